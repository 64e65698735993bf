//! notifydesk: configure and run DingTalk personal notification delivery from a terminal.
//!
//! The core (`domain`, `store`, `dingtalk`, `fake`) knows no screen; `cli` and `tui` sit on top.

pub mod dingtalk;
pub mod domain;
pub mod fake;
