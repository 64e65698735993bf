//! `notifydesk channel configure|test wecom|feishu|lark`: the WeCom, Feishu and Lark cards
//! for scripts, with DingTalk's rules (secret never from argv, `--test` saves only on success,
//! the last test is only ever about the saved values).

use crate::i18n::{Lang, words};
use std::process::ExitCode;

use anyhow::bail;
use secrecy::{ExposeSecret, SecretString};

use super::EXIT_FAILED;
use super::args::{ConfigureFeishu, ConfigureWeCom, TestOther};
use super::channel::read_secret;
use super::out;
use crate::delivery::{Language, PersonalClients, send_personal_test};
use crate::domain::{
    ChannelConfig, ChannelFields, ChannelKind, STORED_SECRET_OTHER_APP, SourceColumn, TestRecord,
    parse_receiver, validate_channel,
};
use crate::store::{Store, StoreError};

/// The secret: typed/piped, or from the environment, or the saved one for the same app.
fn secret_for(
    kind: ChannelKind,
    stored: Option<&ChannelConfig>,
    app_id: &str,
    agent_id: &str,
    from_stdin: bool,
) -> anyhow::Result<SecretString> {
    if let Some(s) = read_secret(from_stdin)? {
        return Ok(s);
    }
    let label = kind.secret_label();
    match stored {
        Some(s) if s.secrets_apply_to(app_id, agent_id) => Ok(s.secret.clone()),
        Some(_) => bail!(
            "{}: pass --app-secret-stdin (or set NOTIFYDESK_APP_SECRET with `read -rs`)",
            STORED_SECRET_OTHER_APP
                .replace(
                    "AppKey",
                    if kind == ChannelKind::WeCom {
                        "CorpID or AgentId"
                    } else {
                        kind.app_id_label()
                    }
                )
                .replace("AppSecret", label)
        ),
        None => bail!(
            "{label} is required: pass --app-secret-stdin to be asked for it or to pipe it in (or set NOTIFYDESK_APP_SECRET with `read -rs`); it is never accepted as an argument"
        ),
    }
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn exposed(s: &Option<SecretString>) -> String {
    s.as_ref()
        .map(|s| s.expose_secret().to_string())
        .unwrap_or_default()
}

pub async fn configure_wecom(
    store: &mut Store,
    clients: &PersonalClients,
    args: ConfigureWeCom,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let kind = ChannelKind::WeCom;
    let stored = store.load_channel(kind)?;
    let secret = secret_for(
        kind,
        stored.as_ref(),
        &args.corp_id,
        &args.agent_id,
        args.app_secret_stdin,
    )?;
    let keep = |new: Option<String>, old: Option<String>| new.or(old).unwrap_or_default();
    // The callback secrets are the app's too: kept only for the same app.
    let same_app = stored
        .as_ref()
        .is_some_and(|s| s.secrets_apply_to(&args.corp_id, &args.agent_id));
    let s = stored.as_ref();
    let callback = stored.as_ref().filter(|_| same_app);
    let fields = ChannelFields {
        app_id: args.corp_id,
        secret: secret.expose_secret().to_string(),
        agent_id: args.agent_id,
        template_id: keep(args.template_id, s.and_then(|s| s.template_id.clone())),
        source_column: args
            .source_column
            .map(SourceColumn::from)
            .or(s.map(|s| s.source_column)),
        receiver: keep(args.receiver, s.and_then(|s| s.receiver.clone())),
        callback_token: env_secret("NOTIFYDESK_WECOM_CALLBACK_TOKEN").unwrap_or_else(|| {
            callback
                .map(|s| exposed(&s.callback.token))
                .unwrap_or_default()
        }),
        callback_aes_key: env_secret("NOTIFYDESK_WECOM_AES_KEY").unwrap_or_else(|| {
            callback
                .map(|s| exposed(&s.callback.aes_key))
                .unwrap_or_default()
        }),
        callback_url: keep(args.callback_url, s.and_then(|s| s.callback.url.clone())),
    };
    save(store, clients, kind, &fields, args.test, lang).await
}

pub async fn configure_feishu(
    store: &mut Store,
    clients: &PersonalClients,
    kind: ChannelKind,
    args: ConfigureFeishu,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let stored = store.load_channel(kind)?;
    let secret = secret_for(
        kind,
        stored.as_ref(),
        &args.app_id,
        "",
        args.app_secret_stdin,
    )?;
    let s = stored.as_ref();
    let keep = |new: Option<String>, old: Option<String>| new.or(old).unwrap_or_default();
    let fields = ChannelFields {
        app_id: args.app_id,
        secret: secret.expose_secret().to_string(),
        template_id: keep(args.template_id, s.and_then(|s| s.template_id.clone())),
        source_column: args
            .source_column
            .map(SourceColumn::from)
            .or(s.map(|s| s.source_column)),
        receiver: keep(args.receiver, s.and_then(|s| s.receiver.clone())),
        ..ChannelFields::default()
    };
    save(store, clients, kind, &fields, args.test, lang).await
}

async fn save(
    store: &mut Store,
    clients: &PersonalClients,
    kind: ChannelKind,
    fields: &ChannelFields,
    test: bool,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let config = validate_channel(kind, fields, test)
        .map_err(|errors| anyhow::anyhow!("invalid configuration: {}", errors.summary()))?;
    let tested = if test {
        // Kept in English with the configuration; said in the interface language.
        let (record, _, shown) = run_test(store, clients, &config, Lang::En, lang).await;
        let shown = TestRecord {
            summary: shown,
            ..record.clone()
        };
        if !super::channel::print_test_before_save(&shown, lang)? {
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Some(record)
    } else {
        None
    };
    store.save_channel_tested(&config, tested.as_ref())?;
    out::stdout().line(summary_line(&config, lang))?;
    Ok(ExitCode::SUCCESS)
}

/// "Saved: WeCom personal channel, Configured: <CorpID>, AgentId …, source column …, …".
fn summary_line(c: &ChannelConfig, lang: Lang) -> String {
    let mut s = super::channel::saved_head(lang, c.kind, &c.app_id);
    if let Some(a) = c.agent_id {
        s.push_str(&lang.trf("cli.configure.agent", &[("id", &a)]));
    }
    let column = words::source_column(lang, c.source_column);
    s.push_str(&lang.trf("cli.configure.source_column", &[("column", &column)]));
    if let Some(t) = &c.template_id {
        s.push_str(&lang.trf("cli.configure.template", &[("id", t)]));
    }
    if let Some(r) = &c.receiver {
        s.push_str(&lang.trf("cli.configure.receiver", &[("receiver", r)]));
    }
    lang.trf("cli.configure.saved", &[("summary", &s)])
}

/// `channel test wecom|feishu|lark`: prints `Successful …` or the mapped error and exits
/// non-zero on failure.
pub async fn test(
    store: &mut Store,
    clients: &PersonalClients,
    kind: ChannelKind,
    args: TestOther,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let Some(mut config) = store.load_channel(kind)? else {
        bail!(
            "{}",
            lang.trf(
                "cli.test.not_configured",
                &[
                    ("channel", &words::channel_title(lang, kind)),
                    ("name", &kind.cli_name()),
                ],
            )
        );
    };
    if let Some(r) = args.receiver {
        config.receiver = Some(
            parse_receiver(config.source_column, &r)
                .map_err(|e| anyhow::anyhow!("--receiver: {e}"))?,
        );
    }
    let (record, recorded, _) = run_test(store, clients, &config, lang, lang).await;
    super::channel::note_recorded(recorded, lang)?;
    super::channel::print_test(&record, args.json)
}

/// Send the test of `config`; recorded as the channel's last test if `config` is saved.
async fn run_test(
    store: &mut Store,
    clients: &PersonalClients,
    config: &ChannelConfig,
    stored: Lang,
    ui: Lang,
) -> (TestRecord, Result<bool, StoreError>, String) {
    let lang = Language::from_setting(store.setting("message.language").ok().flatten().as_deref());
    let outcome = send_personal_test(clients, config, lang).await;
    let line = |l: Lang| match &outcome {
        Ok(r) => l.trf(
            "cli.test.ok_personal",
            &[("kind", &r.kind), ("user", &r.user_id)],
        ),
        Err(e) => crate::i18n::errors::channel_error_line(e, l),
    };
    let (ok, summary, shown) = (outcome.is_ok(), line(stored), line(ui));
    let record = TestRecord {
        at: chrono::Utc::now().timestamp(),
        ok,
        summary,
    };
    let recorded = store.record_channel_test(config, &record);
    if let Err(e) = &recorded {
        tracing::warn!("could not record the test result: {e}");
    }
    (record, recorded, shown)
}
