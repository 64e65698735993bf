//! One module per tab: its state and the operations on it (no App, no drawing).

pub mod delivery_log;
pub mod members;
pub mod subscriptions;
