//! One module per overlay dialog: its state, keys and drawing. The receivers picker and the
//! delivery detail belong to their tabs (`tabs::subscriptions`, `tabs::delivery_log`).

pub mod configure;
pub mod confirm;
pub mod help;
pub mod member_form;
pub mod message;
