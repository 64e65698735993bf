//! Command-line arguments. No subcommand opens the TUI; every TUI action has a subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Options every command takes, listed after the command's own.
const GLOBAL: &str = "Global options";

/// Seconds to wait for each platform call unless `--http-timeout` says otherwise.
pub(super) const DEFAULT_HTTP_TIMEOUT: f64 = 10.0;

#[derive(Debug, Parser)]
#[command(
    name = "notifydesk",
    version,
    about = "Configure and test DingTalk, WeCom, Feishu and Lark personal notification channels (TUI and CLI)",
    after_help = "Without a command, opens the terminal UI.\n\
                  The AppSecret is never taken as an argument: use --app-secret-stdin (or NOTIFYDESK_APP_SECRET, set with `read -rs`)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Globals,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl std::ops::Deref for Cli {
    type Target = Globals;

    fn deref(&self) -> &Globals {
        &self.global
    }
}

/// The options, without a command: what opening the TUI takes.
#[derive(Debug, Args)]
pub struct Globals {
    /// SQLite database file [default: notifydesk.db in the user's data directory]
    #[arg(long, global = true, env = "NOTIFYDESK_DB", value_name = "PATH", help_heading = GLOBAL)]
    pub db: Option<PathBuf>,

    /// Base URL of DingTalk's new API (api.dingtalk.com), e.g. a private deployment or a local fake
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "NOTIFYDESK_DINGTALK_API",
        value_name = "URL",
        default_value = crate::dingtalk::DINGTALK_API
    )]
    pub dingtalk_api: String,

    /// Base URL of DingTalk's legacy API (oapi.dingtalk.com)
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "NOTIFYDESK_DINGTALK_OAPI",
        value_name = "URL",
        default_value = crate::dingtalk::DINGTALK_OAPI
    )]
    pub dingtalk_oapi: String,

    /// Base URL of the WeCom server API
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "NOTIFYDESK_WECOM_API",
        value_name = "URL",
        default_value = crate::wecom::WECOM_API
    )]
    pub wecom_api: String,

    /// Base URL of the Feishu Open Platform
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "NOTIFYDESK_FEISHU_API",
        value_name = "URL",
        default_value = crate::feishu::FEISHU_API
    )]
    pub feishu_api: String,

    /// Base URL of the Lark (Feishu international) Open Platform
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "NOTIFYDESK_LARK_API",
        value_name = "URL",
        default_value = crate::feishu::LARK_API
    )]
    pub lark_api: String,

    /// Seconds to wait for each platform call (DingTalk, WeCom, Feishu, Lark)
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "NOTIFYDESK_HTTP_TIMEOUT",
        value_name = "SECS",
        default_value_t = DEFAULT_HTTP_TIMEOUT
    )]
    pub http_timeout: f64,

    /// Interface language: en or zh [default: NOTIFYDESK_LANG, else the locale (LC_ALL,
    /// LC_MESSAGES, LANG), else en]. JSON output never changes with it.
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<crate::i18n::Lang>,

    /// Monochrome UI (also when NO_COLOR is set)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_color: bool,

    /// Open the TUI on a temporary database wired to a built-in DingTalk sandbox (try it first)
    #[arg(long)]
    pub sandbox: bool,
}

/// Only the options, no command: the TUI's command line when `quick_args` leaves it to clap
/// (a `NOTIFYDESK_*` variable is set, or an unusual form). Parsing it skips building every
/// subcommand's arguments (≈ 0.25 ms); anything it does not know (a command, `--help`, a typo,
/// a bad value) goes to the full parser, which answers as it always does.
#[derive(Debug, Parser)]
#[command(
    name = "notifydesk",
    disable_help_flag = true,
    disable_version_flag = true
)]
struct OptionsOnly {
    #[command(flatten)]
    global: Globals,
}

impl Cli {
    /// The process's arguments, as [`Parser::parse`] gives them.
    pub fn parse_args() -> Cli {
        Cli::parse_from_args(std::env::args_os())
    }

    pub fn parse_from_args<I, T>(args: I) -> Cli
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        if let Some(global) = super::quick_args::parse(&args, |v| std::env::var_os(v).is_some()) {
            return Cli {
                global,
                command: None,
            };
        }
        match OptionsOnly::try_parse_from(&args) {
            Ok(o) => Cli {
                global: o.global,
                command: None,
            },
            Err(_) => Cli::parse_from(args),
        }
    }
}

pub(super) fn parse_lang(s: &str) -> Result<crate::i18n::Lang, String> {
    match s {
        "en" => Ok(crate::i18n::Lang::En),
        "zh" => Ok(crate::i18n::Lang::Zh),
        _ => Err("expected en or zh".into()),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Channel Management: list, configure and test personal channels
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Members: the people who can be added as custom receivers
    #[command(subcommand)]
    Member(MemberCommand),
    /// Subscription: the methods and receivers of each subscription type's workflow nodes
    #[command(subcommand)]
    Subscription(SubscriptionCommand),
    /// Enqueue a workflow event for delivery (idempotent by --event-id)
    Notify(NotifyArgs),
    /// Drain the outbox once (waiting for due retries) and exit; for cron
    Deliver(DeliverArgs),
    /// Keep draining the outbox until SIGTERM or Ctrl-C
    Worker(WorkerArgs),
    /// Show the delivery log (newest first), or retry a failed delivery
    Log(LogArgs),
    /// Show or change settings (message.language: en or zh)
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Print the database and log file paths
    Paths,
    /// Run a local DingTalk-compatible server for trying notifydesk offline (loopback only)
    Sandbox {
        /// Port on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Number of DingTalk members to create (phones 13800000001…)
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=10000))]
        members: u16,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a member
    Add {
        /// Display name
        #[arg(long)]
        name: String,
        /// Login name (unique, case-insensitive; letters, digits, '.', '_', '@', '-')
        #[arg(long)]
        login: String,
        /// Mobile number, used to find the member in DingTalk
        #[arg(long)]
        phone: String,
        /// Email address
        #[arg(long)]
        email: Option<String>,
    },
    /// List the members, sorted by name
    List {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Import members from a CSV file with a header row: name, login, phone[, email]
    #[command(
        after_help = "By default nothing is imported if any line is invalid; every problem is printed as FILE:LINE: message."
    )]
    Import {
        /// The CSV file (UTF-8)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Import the valid lines and skip the invalid ones
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Delete a member (also removes them as a custom receiver)
    Delete {
        /// Login name of the member
        #[arg(value_name = "LOGIN")]
        login: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionCommand {
    /// List every subscription type and workflow node with its receivers and methods
    List {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Change the methods or custom receivers of one workflow node (Inbox is always on)
    Set(SubscriptionSet),
}

#[derive(Debug, Args)]
pub struct SubscriptionSet {
    /// Subscription type code, e.g. sql_task (see `subscription list`)
    #[arg(value_name = "TYPE")]
    pub type_code: String,
    /// Workflow node code, e.g. to_be_approved
    #[arg(value_name = "NODE")]
    pub node_code: String,
    /// Also send through the member's personal channel (DingTalk)
    #[arg(long, value_enum, value_name = "on|off")]
    pub personal: Option<OnOff>,
    /// Turn the Email method on or off for this node
    #[arg(long, value_enum, value_name = "on|off")]
    pub email: Option<OnOff>,
    /// Turn the SMS method on or off for this node
    #[arg(long, value_enum, value_name = "on|off")]
    pub sms: Option<OnOff>,
    /// Turn the Phone (voice call) method on or off for this node
    #[arg(long, value_enum, value_name = "on|off")]
    pub phone: Option<OnOff>,
    /// Turn the Webhook method on or off for this node
    #[arg(long, value_enum, value_name = "on|off")]
    pub webhook: Option<OnOff>,
    /// Custom receivers added to the default receiver: member logins, comma-separated; they
    /// replace the current custom receivers, and an empty value removes them all
    #[arg(long, value_name = "LOGIN,LOGIN")]
    pub receivers: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// List the channel cards and their state (the secret is never printed)
    List {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Configure a channel (as the Configure dialog's OK)
    #[command(subcommand)]
    Configure(ConfigureTarget),
    /// Send a test message with the saved configuration (as Test Message Sending)
    #[command(subcommand)]
    Test(TestTarget),
}

#[derive(Debug, Subcommand)]
pub enum ConfigureTarget {
    /// The DingTalk personal channel
    Dingtalk(ConfigureDingTalk),
    /// The WeCom personal channel
    Wecom(ConfigureWeCom),
    /// The Feishu personal channel
    Feishu(ConfigureFeishu),
    /// The Feishu Lark (international) personal channel
    Lark(ConfigureFeishu),
}

#[derive(Debug, Args)]
pub struct ConfigureWeCom {
    /// CorpID (My Company → Company Info; starts with ww)
    #[arg(long, value_name = "ID")]
    pub corp_id: String,
    /// AgentId of the self-built app (App Management → the app)
    #[arg(long, value_name = "N")]
    pub agent_id: String,
    /// Read the app's Secret from standard input (first line).
    /// Otherwise NOTIFYDESK_APP_SECRET is used, or the saved secret if the CorpID is unchanged.
    #[arg(long)]
    pub app_secret_stdin: bool,
    /// Member field used to find the receiver (login = the WeCom userid) [default: keep, else phone]
    #[arg(long, value_enum)]
    pub source_column: Option<SourceColumnArg>,
    /// The test receiver, in the source column's form; empty clears it [default: keep]
    #[arg(long, value_name = "VALUE")]
    pub receiver: Option<String>,
    /// Send a template card (text_notice) instead of markdown when the event has a link;
    /// any non-empty value turns it on, empty turns it off [default: keep]
    #[arg(long, value_name = "ID")]
    pub template_id: Option<String>,
    /// Callback URL (only for WeCom's URL verification, which unlocks the Trusted IP list;
    /// not used for sending). Token and EncodingAESKey come from
    /// NOTIFYDESK_WECOM_CALLBACK_TOKEN and NOTIFYDESK_WECOM_AES_KEY [default: keep]
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Send a test message with the new values before saving; save only if it succeeds
    #[arg(long)]
    pub test: bool,
}

#[derive(Debug, Args)]
pub struct ConfigureFeishu {
    /// App ID (Credentials & Basic Info; starts with cli_)
    #[arg(long, value_name = "ID")]
    pub app_id: String,
    /// Read the App Secret from standard input (first line).
    /// Otherwise NOTIFYDESK_APP_SECRET is used, or the saved secret if the App ID is unchanged.
    #[arg(long)]
    pub app_secret_stdin: bool,
    /// Card template id (CardKit); an empty value clears it [default: keep the saved one]
    #[arg(long, value_name = "ID")]
    pub template_id: Option<String>,
    /// Member field used to find the receiver (login = the tenant user_id) [default: keep, else login]
    #[arg(long, value_enum)]
    pub source_column: Option<SourceColumnArg>,
    /// The test receiver, in the source column's form; empty clears it [default: keep]
    #[arg(long, value_name = "VALUE")]
    pub receiver: Option<String>,
    /// Send a test message with the new values before saving; save only if it succeeds
    #[arg(long)]
    pub test: bool,
}

#[derive(Debug, Args)]
pub struct ConfigureDingTalk {
    /// AppKey (the DingTalk app's Client ID)
    #[arg(long, value_name = "KEY")]
    pub app_key: String,
    /// Read the AppSecret (Client Secret) from standard input (first line).
    /// Otherwise NOTIFYDESK_APP_SECRET is used, or the saved secret if the AppKey is unchanged.
    #[arg(long)]
    pub app_secret_stdin: bool,
    /// Interactive card template id; an empty value clears it [default: keep the saved one]
    #[arg(long, value_name = "ID")]
    pub template_id: Option<String>,
    /// Member field used to find the receiver
    #[arg(long, value_enum, default_value_t = SourceColumnArg::Phone)]
    pub source_column: SourceColumnArg,
    /// Phone of the member that test messages go to; empty clears it [default: keep]
    #[arg(long, value_name = "PHONE")]
    pub receiver: Option<String>,
    /// Send a test message with the new values before saving; save only if it succeeds
    #[arg(long)]
    pub test: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SourceColumnArg {
    Phone,
    Email,
    Login,
}

impl From<SourceColumnArg> for crate::domain::SourceColumn {
    fn from(a: SourceColumnArg) -> Self {
        match a {
            SourceColumnArg::Phone => crate::domain::SourceColumn::Phone,
            SourceColumnArg::Email => crate::domain::SourceColumn::Email,
            SourceColumnArg::Login => crate::domain::SourceColumn::Login,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TestTarget {
    /// The DingTalk personal channel
    Dingtalk {
        /// Send to this phone instead of the saved Receiver Info
        #[arg(long, value_name = "PHONE")]
        receiver: Option<String>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// The WeCom personal channel
    Wecom(TestOther),
    /// The Feishu personal channel
    Feishu(TestOther),
    /// The Feishu Lark personal channel
    Lark(TestOther),
}

#[derive(Debug, Args)]
pub struct TestOther {
    /// Send to this receiver (in the source column's form) instead of the saved Receiver Info
    #[arg(long, value_name = "VALUE")]
    pub receiver: Option<String>,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Subscription type code, e.g. sql_task
    #[arg(
        long = "type",
        value_name = "TYPE",
        required_unless_present = "stdin_json"
    )]
    pub type_code: Option<String>,
    /// Workflow node code, e.g. to_be_approved
    #[arg(
        long = "node",
        value_name = "NODE",
        required_unless_present = "stdin_json"
    )]
    pub node_code: Option<String>,
    /// The workflow's id for this event; the same id twice is delivered once
    #[arg(long, value_name = "ID", required_unless_present = "stdin_json")]
    pub event_id: Option<String>,
    /// Title of the message (at most 1 KiB)
    #[arg(long, required_unless_present = "stdin_json")]
    pub title: Option<String>,
    /// Markdown body
    #[arg(long, default_value = "")]
    pub text: String,
    /// Link to the ticket in the console
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
    /// Login of a member the workflow names (repeatable)
    #[arg(long = "member", value_name = "LOGIN")]
    pub members: Vec<String>,
    /// Read events as JSON lines from standard input: {"event_id","type","node","title","text","link","members":[..]}
    #[arg(long, conflicts_with_all = ["type_code", "node_code", "event_id", "title"])]
    pub stdin_json: bool,
}

#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// DingTalk calls per second per API (DingTalk's standard-edition limit is 20)
    #[arg(long, default_value_t = 20.0, value_name = "N")]
    pub rate_limit: f64,
    /// Attempts before a transient failure is given up
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_attempts: u32,
    /// First retry delay in milliseconds (doubles each attempt, with jitter)
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub backoff_ms: u64,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub deliver: DeliverArgs,
    /// Also accept events over HTTP on this address (e.g. 127.0.0.1:8080): POST /v1/events,
    /// GET /healthz, GET /metrics. A non-loopback address needs NOTIFYDESK_INGEST_TOKEN
    /// (or NOTIFYDESK_INGEST_TOKEN_FILE, or a systemd credential named ingest-token)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only deliveries in this state
    #[arg(long, value_parser = ["pending", "sending", "sent", "failed", "skipped", "unknown"])]
    pub status: Option<String>,
    /// Only deliveries on this personal channel
    #[arg(long, value_parser = ["dingtalk", "wecom", "feishu", "lark"])]
    pub channel: Option<String>,
    /// Only deliveries whose event id, type, node, title, login or error contains this text
    /// (any case), as the Delivery Log's `/` search
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
    /// Show at most this many deliveries (newest first)
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
    /// Put a failed delivery back in the queue
    #[arg(long, value_name = "ID")]
    pub retry: Option<i64>,
    /// With --retry: also a delivery that may have been delivered (status unknown); it may
    /// then arrive twice
    #[arg(long, requires = "retry")]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print every setting and its value
    List,
    /// Print one setting's value, e.g. `settings get message.language`
    Get {
        /// The setting's name (see `settings list`)
        key: String,
    },
    /// Change a setting, e.g. `settings set message.language zh`
    Set {
        /// The setting's name (see `settings list`)
        key: String,
        /// Its new value (`settings list` shows the current ones)
        value: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every option of every command, with the command's path.
    fn all_args(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
        for a in cmd.get_arguments() {
            out.push((path.to_string(), a.clone()));
        }
        for sub in cmd.get_subcommands() {
            all_args(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_option_says_what_it_does_and_global_ones_are_grouped() {
        let mut args = Vec::new();
        all_args(&Cli::command(), "notifydesk", &mut args);
        for (path, a) in &args {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            assert!(a.get_help().is_some(), "{path} --{id} has no description");
            if a.is_global_set() {
                assert_eq!(
                    a.get_help_heading(),
                    Some("Global options"),
                    "{path} --{id}"
                );
            }
        }
    }
}

#[cfg(test)]
mod options_only_tests {
    use super::*;

    #[test]
    fn options_alone_parse_as_the_full_parser_parses_them() {
        let cases: [&[&str]; 5] = [
            &["notifydesk"],
            &[
                "notifydesk",
                "--db",
                "/tmp/x.db",
                "--lang",
                "zh",
                "--no-color",
            ],
            &["notifydesk", "--sandbox"],
            &[
                "notifydesk",
                "--http-timeout",
                "3",
                "--dingtalk-api=http://127.0.0.1:1",
            ],
            &[
                "notifydesk",
                "--wecom-api",
                "http://127.0.0.1:2",
                "--lark-api",
                "http://h",
            ],
        ];
        for args in cases {
            let fast = OptionsOnly::try_parse_from(args).expect("options alone");
            let full = Cli::try_parse_from(args).unwrap();
            assert_eq!(format!("{:?}", fast.global), format!("{:?}", full.global));
            assert!(full.command.is_none());
            let chosen = Cli::parse_from_args(args);
            assert_eq!(format!("{chosen:?}"), format!("{full:?}"));
        }
    }

    #[test]
    fn commands_help_and_mistakes_go_to_the_full_parser() {
        let cases: [&[&str]; 6] = [
            &["notifydesk", "channel", "list"],
            &["notifydesk", "--db", "/tmp/x.db", "paths"],
            &["notifydesk", "--help"],
            &["notifydesk", "--version"],
            &["notifydesk", "--lang", "fr"],
            &["notifydesk", "--dbb", "x"],
        ];
        for args in cases {
            assert!(OptionsOnly::try_parse_from(args).is_err(), "{args:?}");
        }
        let cli = Cli::parse_from_args(["notifydesk", "--db", "/tmp/x.db", "paths"]);
        assert!(matches!(cli.command, Some(Command::Paths)));
        assert_eq!(cli.db.as_deref(), Some(std::path::Path::new("/tmp/x.db")));
    }
}
