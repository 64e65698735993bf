//! notifydesk: configure and run personal notification delivery (DingTalk, WeCom, Feishu, Lark)
//! from a terminal.
//!
//! The core (`domain`, `store`, `personal`, `dingtalk`, `feishu`, `wecom`, `delivery`, `ingest`) knows no
//! screen; `cli` and `tui` sit on top of it.

// Errors here carry a platform's code, meaning, fix and request id (or one message per form
// field): they are built on cold paths next to network or disk I/O, so their size costs nothing
// worth boxing every one of them for.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod delivery;
pub mod dingtalk;
pub mod domain;
pub mod feishu;
pub mod i18n;
pub mod ingest;
pub mod logging;
pub mod paths;
pub mod personal;
mod phone_cc;
pub mod store;
pub mod tui;
pub mod wecom;
