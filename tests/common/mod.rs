pub mod cli_env;
pub mod fixtures;
pub mod outbox;
pub mod pty;
