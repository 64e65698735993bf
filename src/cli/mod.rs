//! The command line: parses arguments, opens the store, then runs the TUI or a subcommand.

mod args;
mod channel;
mod channel_other;
mod delivery;
mod member;
pub mod out;
mod quick_args;
#[cfg(feature = "sandbox")]
mod sandbox;
mod subscription;
mod table;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

pub use args::{ChannelCommand, Cli, Command, MemberCommand, SubscriptionCommand};

use crate::delivery::{PersonalClients, PersonalEndpoints};
use crate::dingtalk::{Client, ClientOptions, Endpoints};
use crate::personal::{HttpOptions, parse_base_url};
use crate::store::Store;
use crate::{logging, paths, tui};

/// Exit code when DingTalk refused a test or a call failed (distinct from usage errors, 2).
pub const EXIT_FAILED: u8 = 1;

pub fn main() -> ExitCode {
    let cli = Cli::parse_args();
    // Errors are worded for people: in the language chosen (what the core says in English is
    // translated when the locale file knows the message).
    let lang = crate::i18n::choose_from_env(cli.lang).lang;
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote paths, logins, ids and DingTalk's words: print them cleaned.
            let text = crate::i18n::known::translate(lang, &format!("{e:#}"));
            let _ = out::stderr().line(format_args!("notifydesk: {text}"));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn client_options(cli: &Cli) -> anyhow::Result<ClientOptions> {
    if !(cli.http_timeout.is_finite() && cli.http_timeout > 0.0 && cli.http_timeout <= 600.0) {
        bail!("--http-timeout must be between 0 and 600 seconds");
    }
    Ok(ClientOptions {
        timeout: Duration::from_secs_f64(cli.http_timeout),
        ..ClientOptions::default()
    })
}

/// WeCom, Feishu and Lark clients on the base URLs given (checked like DingTalk's).
fn personal_clients(cli: &Cli) -> anyhow::Result<PersonalClients> {
    let endpoints = PersonalEndpoints {
        wecom: parse_base_url("WeCom", &cli.wecom_api).map_err(anyhow::Error::msg)?,
        feishu: parse_base_url("Feishu", &cli.feishu_api).map_err(anyhow::Error::msg)?,
        lark: parse_base_url("Lark", &cli.lark_api).map_err(anyhow::Error::msg)?,
    };
    let opts = HttpOptions {
        timeout: client_options(cli)?.timeout,
        ..HttpOptions::default()
    };
    Ok(PersonalClients::new(&endpoints, opts)?)
}

/// `notifydesk --sandbox`: the TUI on a temporary database against an in-process sandbox.
#[cfg(feature = "sandbox")]
fn run_sandbox_tui(cli: &Cli) -> anyhow::Result<ExitCode> {
    let dir = sandbox::TempDir::new()?;
    let db_path = dir.0.join(paths::DB_FILE_NAME);
    let _log_guard = start_logging(&paths::log_path_for(&db_path))?;
    let mut store = Store::open(&db_path)?;
    sandbox::seed_members(&mut store, 5)?;
    let options = client_options(cli)?;
    let runtime = runtime()?;
    let lang = crate::i18n::choose_from_env(cli.lang);
    runtime.block_on(async {
        let sb = sandbox::start(0, 5).await?;
        let client = Client::new(Endpoints::single(&sb.dingtalk.base_url())?, options.clone())?;
        let personal = sb.personal_clients(options.timeout)?;
        let config = tui::TuiConfig {
            store: tui::StoreSource::Open(store),
            client,
            personal,
            // The temporary path is shown, so a newcomer can open it with the CLI meanwhile.
            db_label: format!("SANDBOX {}", db_path.display()),
            force_mono: cli.no_color,
            banner: sandbox::banner(lang.lang),
            sandbox: true,
            sandbox_hints: sandbox::dialog_hints(lang.lang),
            lang,
        };
        tui::run(config).await
    })?;
    drop(dir);
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Sandbox { port, members }) = cli.command {
        #[cfg(feature = "sandbox")]
        {
            let lang = crate::i18n::choose_from_env(cli.lang).lang;
            return runtime()?.block_on(sandbox::serve(port, members, lang));
        }
        #[cfg(not(feature = "sandbox"))]
        {
            let _ = (port, members);
            bail!("this build has no sandbox (built without the `sandbox` feature)");
        }
    }
    if cli.sandbox {
        if let Some(db) = &cli.db {
            // Silently using another database than the one asked for would be worse.
            bail!(
                "--sandbox always uses a new temporary database, so it cannot use --db {} (or NOTIFYDESK_DB); drop one of them",
                db.display()
            );
        }
        if cli.command.is_some() {
            bail!(
                "--sandbox opens the TUI; for scripts, run `notifydesk sandbox` and point --dingtalk-api at it"
            );
        }
        #[cfg(feature = "sandbox")]
        return run_sandbox_tui(&cli);
        #[cfg(not(feature = "sandbox"))]
        bail!("this build has no sandbox (built without the `sandbox` feature)");
    }
    let db_path = match &cli.db {
        Some(p) => p.clone(),
        None => paths::default_db_path()?,
    };
    let log_path = paths::log_path_for(&db_path);
    let choice = crate::i18n::choose_from_env(cli.lang);
    let lang = choice.lang;
    if let Some(Command::Paths) = cli.command {
        let mut out = out::stdout();
        let db = db_path.display();
        let log = log_path.display();
        out.line(format_args!(
            "{}",
            lang.trf("cli.paths.database", &[("path", &db)])
        ))?;
        out.line(format_args!(
            "{}",
            lang.trf("cli.paths.log", &[("path", &log)])
        ))?;
        let described = choice.describe();
        out.line(format_args!(
            "{}",
            lang.trf("cli.paths.language", &[("choice", &described)])
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let options = client_options(&cli)?;
    if cli.command.is_none() {
        // The first frame comes before the log, the runtime and the database: the TUI opens
        // the database on its store thread, and an error there is shown in the TUI with the
        // same message.
        let endpoints = Endpoints::new(&cli.dingtalk_api, &cli.dingtalk_oapi)?;
        let config = tui::TuiConfig {
            store: tui::StoreSource::Path(db_path.clone()),
            client: Client::new(endpoints, options)?,
            personal: personal_clients(&cli)?,
            db_label: shorten_home(&db_path),
            force_mono: cli.no_color,
            banner: Vec::new(),
            sandbox: false,
            sandbox_hints: Vec::new(),
            lang: crate::i18n::choose_from_env(cli.lang),
        };
        let mut started = tui::start(config)?;
        // Not on stderr: the TUI owns the terminal now.
        let _log_guard = logging::init(&log_path)
            .map_err(|e| {
                started.warn(lang.trf(
                    "status.log_unwritable",
                    &[("path", &log_path.display()), ("error", &e)],
                ))
            })
            .ok();
        runtime()?.block_on(started.run())?;
        return Ok(ExitCode::SUCCESS);
    }
    let _log_guard = start_logging(&log_path)?;
    let personal = personal_clients(&cli)?;
    let store = Store::open(&db_path)?;
    // Members and subscriptions need the store only.
    let command = match cli.command {
        Some(Command::Member(cmd)) => return member::run(cmd, store, lang),
        Some(Command::Subscription(cmd)) => return subscription::run(cmd, store, lang),
        Some(Command::Notify(args)) => return delivery::notify(args, store, lang),
        Some(Command::Log(args)) => return delivery::log(args, store, lang),
        Some(Command::Settings(cmd)) => return settings(cmd, store),
        other => other,
    };
    let endpoints = Endpoints::new(&cli.global.dingtalk_api, &cli.global.dingtalk_oapi)?;
    let client = Client::new(endpoints, options)?;
    let runtime = runtime()?;
    match command {
        Some(Command::Channel(cmd)) => {
            runtime.block_on(channel::run(cmd, store, client, personal, lang))
        }
        Some(Command::Deliver(args)) => {
            runtime.block_on(delivery::deliver(args, store, client, personal, lang))
        }
        Some(Command::Worker(args)) => {
            runtime.block_on(delivery::worker(args, store, client, personal, lang))
        }
        Some(
            Command::Paths
            | Command::Member(_)
            | Command::Subscription(_)
            | Command::Notify(_)
            | Command::Log(_)
            | Command::Settings(_)
            | Command::Sandbox { .. },
        )
        | None => {
            unreachable!("handled above")
        }
    }
}

/// Start the log beside the database, before the database is opened (its warnings go there).
/// A failure to open the log must not stop the tool.
fn start_logging(
    log_path: &std::path::Path,
) -> anyhow::Result<Option<tracing_appender::non_blocking::WorkerGuard>> {
    match logging::init(log_path) {
        Ok(guard) => Ok(Some(guard)),
        Err(e) => {
            out::stderr().line(format_args!(
                "notifydesk: warning: cannot write the log {}: {e}",
                log_path.display()
            ))?;
            Ok(None)
        }
    }
}

/// Settings a user may change, with their allowed values.
const SETTINGS: &[(&str, &[&str], &str)] = &[
    ("message.language", &["en", "zh"], "en"),
    // Resend sends whose outcome is unknown (a possible duplicate) instead of marking them
    // "may have been delivered" (a possible gap).
    (crate::delivery::RESEND_AMBIGUOUS, &["off", "on"], "off"),
];

fn known_setting(
    key: &str,
) -> anyhow::Result<&'static (&'static str, &'static [&'static str], &'static str)> {
    match SETTINGS.iter().find(|(k, _, _)| *k == key) {
        Some(setting) => Ok(setting),
        None => {
            let known: Vec<&str> = SETTINGS.iter().map(|(k, _, _)| *k).collect();
            bail!("unknown setting {key:?}; known: {}", known.join(", "))
        }
    }
}

fn settings(cmd: args::SettingsCommand, mut store: Store) -> anyhow::Result<ExitCode> {
    let mut out = out::stdout();
    match cmd {
        args::SettingsCommand::List => {
            for (key, _, default) in SETTINGS {
                let value = store.setting(key)?.unwrap_or_else(|| default.to_string());
                out.line(format_args!("{key} = {value}"))?;
            }
        }
        args::SettingsCommand::Get { key } => {
            let (_, _, default) = known_setting(&key)?;
            let value = store.setting(&key)?.unwrap_or_else(|| default.to_string());
            out.line(format_args!("{value}"))?;
        }
        args::SettingsCommand::Set { key, value } => {
            let (_, allowed, _) = known_setting(&key)?;
            if !allowed.contains(&value.as_str()) {
                bail!("{key} must be one of: {}", allowed.join(", "));
            }
            store.set_setting(&key, &value)?;
            out.line(format_args!("{key} = {value}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn shorten_home(path: &std::path::Path) -> String {
    let shown = path.display().to_string();
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && shown.starts_with(&home) => {
            format!("~{}", &shown[home.len()..])
        }
        _ => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn settings_get_prints_one_setting_and_names_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("n.db");
        let db = db.to_str().unwrap();
        let get = |key: &str| {
            let cli = Cli::try_parse_from(["notifydesk", "--db", db, "settings", "get", key]);
            run(cli.expect("settings get parses"))
        };
        assert!(get("message.language").is_ok());
        let err = get("message.lang").unwrap_err().to_string();
        assert!(err.contains("known: message.language"), "{err}");
    }

    #[test]
    fn sandbox_refuses_a_database_path_instead_of_ignoring_it() {
        let cli =
            Cli::try_parse_from(["notifydesk", "--sandbox", "--db", "/nonexistent/x.db"]).unwrap();
        let err = run(cli).unwrap_err().to_string();
        assert!(
            err.contains("--sandbox") && err.contains("--db /nonexistent/x.db"),
            "{err}"
        );
    }
}
