//! One module per overlay dialog: its state and the operations on it.

pub mod configure;
pub mod confirm;
pub mod help;
pub mod member_form;
pub mod message;
pub mod receivers;
