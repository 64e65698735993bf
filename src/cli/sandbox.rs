//! Sandbox mode: a local DingTalk-compatible server (the same fake the tests use), so the
//! whole flow can be tried without DingTalk credentials. Loopback only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::domain::member::NewMember;
use crate::store::Store;
use dingtalk_fake::{FakeApp, FakeDingTalk};

pub const APP_KEY: &str = "dingsandbox0001";
/// Not a secret: the sandbox only exists on this machine, and the value is printed to be typed.
pub const APP_SECRET: &str = "sandbox-secret";
pub const FIRST_PHONE: &str = "13800000001";

/// Phone and userid of sandbox member `i` (1-based).
fn member(i: usize) -> (String, String) {
    (format!("1380000{i:04}"), format!("sandbox{i:04}"))
}

pub async fn start_fake(port: u16, members: usize) -> anyhow::Result<FakeDingTalk> {
    let fake = FakeDingTalk::start_on(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    fake.add_app(FakeApp::new(APP_KEY, APP_SECRET));
    for i in 1..=members {
        let (phone, userid) = member(i);
        fake.add_user(&phone, &userid);
    }
    Ok(fake)
}

/// Add the sandbox members to a (temporary) database, so delivery has someone to reach.
pub fn seed_members(store: &mut Store, members: usize) -> anyhow::Result<()> {
    let list: Vec<NewMember> = (1..=members)
        .map(|i| {
            let (phone, userid) = member(i);
            NewMember {
                name: format!("Sandbox User {i}"),
                login: userid,
                phone,
                email: None,
            }
        })
        .collect();
    store.import_members(&list)?;
    Ok(())
}

/// The TUI's status line: what to type in the Configure dialog, longest version first (the
/// narrow one keeps every value and drops the labels).
pub fn banner() -> Vec<String> {
    vec![
        format!("Try: AppKey {APP_KEY} · AppSecret {APP_SECRET} · phone {FIRST_PHONE}"),
        format!("Try {APP_KEY} / {APP_SECRET} / {FIRST_PHONE}"),
    ]
}

/// `notifydesk sandbox`: serve until Ctrl-C, printing every message the fake receives.
pub async fn serve(port: u16, members: u16) -> anyhow::Result<ExitCode> {
    let members = usize::from(members);
    let fake = start_fake(port, members).await?;
    let url = fake.base_url();
    let mut out = super::out::stdout();
    out.line("notifydesk sandbox: a local DingTalk-compatible server (contract of the real API)")?;
    out.line("")?;
    out.line(format_args!(
        "  API base URL    {url}   (serves both api and oapi paths)"
    ))?;
    out.line(format_args!("  AppKey          {APP_KEY}"))?;
    out.line(format_args!("  AppSecret       {APP_SECRET}"))?;
    out.line(format_args!(
        "  members         {members} (phones 13800000001.., userids sandbox0001..)"
    ))?;
    out.line("")?;
    out.line("Try, in another terminal:")?;
    out.line(format_args!(
        "  export NOTIFYDESK_DINGTALK_API={url} NOTIFYDESK_DINGTALK_OAPI={url}"
    ))?;
    // The secret is asked for without echo, never typed on the command line (shell history).
    out.line(format_args!(
        "  notifydesk --db /tmp/sandbox.db channel configure dingtalk --app-key {APP_KEY} --receiver {FIRST_PHONE} --app-secret-stdin"
    ))?;
    out.line(format_args!(
        "      (answer the AppSecret prompt with {APP_SECRET}; it is not echoed)"
    ))?;
    out.line("  notifydesk --db /tmp/sandbox.db channel test dingtalk")?;
    out.line("  notifydesk --db /tmp/sandbox.db        # the TUI against the sandbox")?;
    out.line("")?;
    out.line("Messages received (Ctrl-C stops):")?;
    let mut seen = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let outbox = fake.outbox();
        for m in outbox.iter().skip(seen) {
            let what = match (&m.msg_param, &m.card_template_id) {
                (Some(p), _) => p
                    .get("title")
                    .and_then(|t| t.as_str())
                    .unwrap_or("(untitled)")
                    .to_string(),
                (None, Some(t)) => format!("card {t}"),
                _ => "(message)".into(),
            };
            // Anything on loopback can post here: the line is cleaned like every other.
            out.line(format_args!(
                "  {} → {}: {}",
                chrono::Local::now().format("%H:%M:%S"),
                m.user_ids.join(", "),
                what
            ))?;
        }
        seen = outbox.len();
    }
    out.line("sandbox stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// A private temporary directory for `--sandbox`, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> anyhow::Result<TempDir> {
        let name = format!(
            "notifydesk-sandbox-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let dir = std::env::temp_dir().join(name);
        crate::paths::create_private_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// PLACEHOLDER until the WeCom and Feishu fakes land.
pub fn personal_clients(
    timeout: std::time::Duration,
) -> anyhow::Result<crate::delivery::PersonalClients> {
    let u = url::Url::parse("http://127.0.0.1:9/")?;
    let e = crate::delivery::PersonalEndpoints {
        wecom: u.clone(),
        feishu: u.clone(),
        lark: u,
    };
    Ok(crate::delivery::PersonalClients::new(
        &e,
        crate::personal::HttpOptions {
            timeout,
            ..Default::default()
        },
    )?)
}
