//! `notifydesk channel …`: the Channel Management tab for scripts.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::EXIT_FAILED;
use super::args::{ChannelCommand, ConfigureDingTalk, ConfigureTarget, TestTarget};
use super::out;
use crate::delivery::PersonalClients;
use crate::dingtalk::Client;
use crate::domain::{
    ChannelKind, ChannelSummary, DingTalkConfig, Mobile, STORED_SECRET_OTHER_APP, SourceColumn,
    TestRecord, stored_secret_applies, validate_dingtalk,
};
use crate::i18n::{Lang, words};
use crate::store::{Store, StoreError};

pub async fn run(
    cmd: ChannelCommand,
    mut store: Store,
    client: Client,
    personal: PersonalClients,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ChannelCommand::Configure(ConfigureTarget::Wecom(args)) => {
            super::channel_other::configure_wecom(&mut store, &personal, args, lang).await
        }
        ChannelCommand::Configure(ConfigureTarget::Feishu(args)) => {
            let kind = ChannelKind::Feishu;
            super::channel_other::configure_feishu(&mut store, &personal, kind, args, lang).await
        }
        ChannelCommand::Configure(ConfigureTarget::Lark(args)) => {
            super::channel_other::configure_feishu(
                &mut store,
                &personal,
                ChannelKind::FeishuLark,
                args,
                lang,
            )
            .await
        }
        ChannelCommand::Test(TestTarget::Wecom(args)) => {
            let lang = if args.json { Lang::En } else { lang };
            super::channel_other::test(&mut store, &personal, ChannelKind::WeCom, args, lang).await
        }
        ChannelCommand::Test(TestTarget::Feishu(args)) => {
            let lang = if args.json { Lang::En } else { lang };
            super::channel_other::test(&mut store, &personal, ChannelKind::Feishu, args, lang).await
        }
        ChannelCommand::Test(TestTarget::Lark(args)) => {
            let lang = if args.json { Lang::En } else { lang };
            let kind = ChannelKind::FeishuLark;
            super::channel_other::test(&mut store, &personal, kind, args, lang).await
        }
        ChannelCommand::List { json } => list(&store, json, lang),
        ChannelCommand::Configure(ConfigureTarget::Dingtalk(args)) => {
            configure(&mut store, &client, args, lang).await
        }
        ChannelCommand::Test(TestTarget::Dingtalk { receiver, json }) => {
            // JSON is for scripts: its words never change with the language.
            let lang = if json { Lang::En } else { lang };
            let Some(mut config) = store.load_dingtalk()? else {
                bail!("{}", lang.tr("cli.test.dingtalk_not_configured"));
            };
            if let Some(r) = receiver {
                config.receiver =
                    Some(Mobile::parse(&r).map_err(|e| anyhow::anyhow!("--receiver: {e}"))?);
            }
            let (record, recorded, _) = send_test(&mut store, &client, &config, lang, lang).await;
            note_recorded(recorded, lang)?;
            print_test(&record, json)
        }
    }
}

/// `channel test`: the outcome as JSON, or its summary on standard output (success) or
/// standard error (failure); a failure exits non-zero.
pub(super) fn print_test(record: &TestRecord, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        out::stdout().json(record)?;
    } else if record.ok {
        out::stdout().line(&record.summary)?;
    } else {
        out::stderr().line(&record.summary)?;
    }
    Ok(if record.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// `channel configure … --test`: says how the test before the save went. Returns whether it
/// succeeded; after a failure nothing may be saved.
pub(super) fn print_test_before_save(record: &TestRecord, lang: Lang) -> anyhow::Result<bool> {
    if !record.ok {
        let mut err = out::stderr();
        err.line(&record.summary)?;
        err.line(lang.tr("cli.configure.not_saved"))?;
        return Ok(false);
    }
    out::stdout().line(&record.summary)?;
    Ok(true)
}

/// Whether a test's outcome became the channel's last test, said on standard error.
pub(super) fn note_recorded(recorded: Result<bool, StoreError>, lang: Lang) -> anyhow::Result<()> {
    match recorded {
        Ok(true) => {}
        Ok(false) => out::stderr().line(lang.tr("cli.test.not_recorded"))?,
        Err(e) => out::stderr().line(lang.trf("cli.test.record_failed", &[("error", &e)]))?,
    }
    Ok(())
}

fn list(store: &Store, json: bool, lang: Lang) -> anyhow::Result<ExitCode> {
    let channels = store.channel_summaries()?;
    let mut out = out::stdout();
    if json {
        out.json(&channels)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Padded by display width, so Chinese names line up as English ones do.
    let pad = crate::tui::text::pad;
    out.line(format_args!(
        "{} {} {}",
        pad(lang.tr("cli.list.channel"), 30),
        pad(lang.tr("cli.list.status"), 34),
        lang.tr("cli.list.last_test")
    ))?;
    // `status_text` is "Configured: <app id>"; WeCom adds its AgentId.
    for ch in &channels {
        out.line(format_args!(
            "{} {} {}",
            pad(words::channel_title(lang, ch.kind), 30),
            pad(&words::status_text(lang, ch), 34),
            last_test_text(ch, lang)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The card's last test, as `channel list` shows it.
pub(super) fn last_test_text(ch: &ChannelSummary, lang: Lang) -> String {
    match &ch.last_test {
        None => "-".into(),
        Some(t) => {
            let when = chrono::DateTime::from_timestamp(t.at, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            let key = if t.ok {
                "cli.list.test_ok"
            } else {
                "cli.list.test_failed"
            };
            lang.trf(key, &[("when", &when)])
        }
    }
}

/// The AppSecret, from standard input (never echoed) or NOTIFYDESK_APP_SECRET; never from argv.
pub(super) fn read_secret(from_stdin: bool) -> anyhow::Result<Option<SecretString>> {
    if from_stdin {
        let line = if std::io::stdin().is_terminal() {
            Zeroizing::new(
                rpassword::prompt_password("AppSecret: ").context("cannot read the AppSecret")?,
            )
        } else {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the AppSecret from standard input")?;
            line
        };
        let secret = line.trim_end_matches(['\r', '\n']);
        if secret.trim().is_empty() {
            bail!(
                "--app-secret-stdin: standard input was empty; pipe the AppSecret in, e.g. `notifydesk channel configure dingtalk --app-key K --app-secret-stdin < secret.txt`"
            );
        }
        return Ok(Some(SecretString::from(secret.to_string())));
    }
    match std::env::var("NOTIFYDESK_APP_SECRET") {
        Ok(v) if !v.trim().is_empty() => Ok(Some(SecretString::from(v))),
        _ => Ok(None),
    }
}

async fn configure(
    store: &mut Store,
    client: &Client,
    args: ConfigureDingTalk,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let stored = store.load_dingtalk()?;
    let secret = match read_secret(args.app_secret_stdin)? {
        Some(s) => s,
        None => match &stored {
            Some(s) if stored_secret_applies(&s.app_key, &args.app_key) => s.app_secret.clone(),
            Some(_) => bail!(
                "{STORED_SECRET_OTHER_APP}: pass --app-secret-stdin (or set NOTIFYDESK_APP_SECRET with `read -rs`)"
            ),
            None => bail!(
                "AppSecret is required: pass --app-secret-stdin to be asked for it or to pipe it in (or set NOTIFYDESK_APP_SECRET with `read -rs`); it is never accepted as an argument"
            ),
        },
    };
    let template = match args.template_id {
        Some(t) => t,
        None => stored
            .as_ref()
            .and_then(|s| s.template_id.clone())
            .unwrap_or_default(),
    };
    let receiver = match args.receiver {
        Some(r) => r,
        None => stored
            .as_ref()
            .and_then(|s| s.receiver.as_ref().map(|m| m.to_string()))
            .unwrap_or_default(),
    };
    let source = SourceColumn::from(args.source_column);
    if source != SourceColumn::Phone {
        bail!("--source-column: DingTalk finds members by phone only (getbymobile)");
    }
    let config = validate_dingtalk(
        &args.app_key,
        &secret,
        &template,
        source,
        &receiver,
        args.test,
    )
    .map_err(|errors| anyhow::anyhow!("invalid configuration: {}", errors.summary()))?;
    let tested = if args.test {
        // Recorded now only if these are already the saved values; otherwise with the save.
        // Kept in English with the configuration; said in the interface language.
        let (record, _, shown) = send_test(store, client, &config, Lang::En, lang).await;
        let shown = TestRecord {
            summary: shown,
            ..record.clone()
        };
        if !print_test_before_save(&shown, lang)? {
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Some(record)
    } else {
        None
    };
    store.save_dingtalk_tested(&config, tested.as_ref())?;
    out::stdout().line(summary_line(&config, lang))?;
    Ok(ExitCode::SUCCESS)
}

/// "Saved: DingTalk personal channel, Configured: <AppKey>, template …, receiver …".
fn summary_line(c: &DingTalkConfig, lang: Lang) -> String {
    let mut s = saved_head(lang, ChannelKind::DingTalk, &c.app_key);
    if let Some(t) = &c.template_id {
        s.push_str(&lang.trf("cli.configure.template", &[("id", t)]));
    }
    if let Some(r) = &c.receiver {
        s.push_str(&lang.trf("cli.configure.receiver", &[("receiver", r)]));
    }
    lang.trf("cli.configure.saved", &[("summary", &s)])
}

/// "DingTalk personal channel, Configured: <id>": how a saved configuration's line starts.
pub(super) fn saved_head(lang: Lang, kind: ChannelKind, id: &str) -> String {
    let status = lang.trf("card.configured", &[("key", &id)]);
    lang.trf(
        "cli.configure.head",
        &[
            ("channel", &words::channel_title(lang, kind)),
            ("status", &status),
        ],
    )
}

/// Send a test of `config`; its outcome becomes the channel's last test if `config` is the
/// saved configuration (returned: whether it was recorded), as in the dialog.
async fn send_test(
    store: &mut Store,
    client: &Client,
    config: &DingTalkConfig,
    stored: Lang,
    ui: Lang,
) -> (TestRecord, Result<bool, StoreError>, String) {
    let outcome = match &config.receiver {
        None => None,
        Some(mobile) => Some(
            crate::delivery::send_test_message(
                client,
                config,
                mobile,
                crate::delivery::Language::from_setting(
                    store.setting("message.language").ok().flatten().as_deref(),
                ),
            )
            .await,
        ),
    };
    let line = |lang: Lang| match &outcome {
        None => lang.tr("cli.test.no_receiver").to_string(),
        Some(Ok(report)) => {
            let kind = match (&report.kind, lang) {
                (_, Lang::En) => report.kind.label(),
                (crate::dingtalk::TestMessageKind::RobotMarkdown, _) => {
                    lang.tr("test.kind_markdown").into()
                }
                (crate::dingtalk::TestMessageKind::Card { template_id }, _) => {
                    lang.trf("test.kind_card", &[("id", template_id)])
                }
            };
            lang.trf("cli.test.ok", &[("kind", &kind)])
        }
        Some(Err(e)) => e.line_in(lang),
    };
    let (ok, summary, shown) = (matches!(outcome, Some(Ok(_))), line(stored), line(ui));
    let record = TestRecord {
        at: chrono::Utc::now().timestamp(),
        ok,
        summary,
    };
    let recorded = store.record_test(config, &record);
    if let Err(e) = &recorded {
        tracing::warn!("could not record the test result: {e}");
    }
    (record, recorded, shown)
}
