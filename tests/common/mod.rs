pub mod cli_env;
pub mod fixtures;
pub mod outbox;
pub mod pty;
pub mod test_content;
