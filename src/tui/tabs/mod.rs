//! One unit per tab: its state, its keys and its drawing (no App).

pub mod channels;
pub mod delivery_log;
pub mod members;
pub mod subscriptions;
