//! notifydesk: configure and run DingTalk personal notification delivery from a terminal.
//!
//! The core (`domain`, `catalogue`, `subscription`, `store`, `dingtalk`, `delivery`, `ingest`) knows no
//! screen; `cli` and `tui` sit on top of it.

pub mod cli;
pub mod delivery;
pub mod dingtalk;
pub mod domain;
pub mod feishu;
pub mod i18n;
/// The fake DingTalk server (its own workspace crate), re-exported for the sandbox and tests.
pub use dingtalk_fake as fake;
pub mod ingest;
pub mod logging;
pub mod paths;
pub mod personal;
mod phone_cc;
pub mod store;
pub mod tui;
pub mod wecom;
