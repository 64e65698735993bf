//! Sandbox mode: local DingTalk-, WeCom-, Feishu- and Lark-compatible servers (the same fakes
//! the tests use), with preloaded apps and members, so the whole flow can be tried without any
//! platform credentials. Loopback only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::delivery::{PersonalClients, PersonalEndpoints};
use crate::domain::member::NewMember;
use crate::i18n::Lang;
use crate::personal::HttpOptions;
use crate::store::Store;
use dingtalk_fake::{FakeApp, FakeDingTalk};
use feishu_fake::{FakeFeishu, FakeUser};
use wecom_fake::FakeWeCom;

pub const APP_KEY: &str = "dingsandbox0001";
/// Not a secret: the sandbox only exists on this machine, and the value is printed to be typed.
/// Every sandbox app has this secret.
pub const APP_SECRET: &str = "sandbox-secret";
pub const FIRST_PHONE: &str = "13800000001";
pub const WECOM_CORP_ID: &str = "wwsandbox0001";
pub const WECOM_AGENT_ID: i64 = 1000002;
pub const FEISHU_APP_ID: &str = "cli_sandbox0001";
pub const LARK_APP_ID: &str = "cli_sandboxlark1";

/// Phone, login (= every platform's user id) and email of sandbox member `i` (1-based).
fn member(i: usize) -> (String, String, String) {
    let login = format!("sandbox{i:04}");
    (
        format!("1380000{i:04}"),
        login.clone(),
        format!("{login}@example.com"),
    )
}

/// The four fake platforms.
pub struct Sandbox {
    pub dingtalk: FakeDingTalk,
    pub wecom: FakeWeCom,
    pub feishu: FakeFeishu,
    pub lark: FakeFeishu,
}

fn addr(port: u16, offset: u16) -> SocketAddr {
    // `--port P` puts DingTalk on P and the others on P+1..P+3; 0 picks free ports.
    let port = if port == 0 {
        0
    } else {
        port.saturating_add(offset)
    };
    SocketAddr::from(([127, 0, 0, 1], port))
}

pub async fn start(port: u16, members: usize) -> anyhow::Result<Sandbox> {
    let listen = |offset| format!("cannot listen on {}", addr(port, offset));
    let dingtalk = FakeDingTalk::start_on(addr(port, 0))
        .await
        .with_context(|| listen(0))?;
    let wecom = FakeWeCom::start_on(addr(port, 1))
        .await
        .with_context(|| listen(1))?;
    let feishu = FakeFeishu::start_on(addr(port, 2))
        .await
        .with_context(|| listen(2))?;
    let lark = FakeFeishu::start_on(addr(port, 3))
        .await
        .with_context(|| listen(3))?;
    dingtalk.add_app(FakeApp::new(APP_KEY, APP_SECRET));
    wecom.add_app(wecom_fake::FakeApp::new(
        WECOM_CORP_ID,
        WECOM_AGENT_ID,
        APP_SECRET,
    ));
    feishu.add_app(feishu_fake::FakeApp::new(FEISHU_APP_ID, APP_SECRET));
    lark.add_app(feishu_fake::FakeApp::new(LARK_APP_ID, APP_SECRET));
    for i in 1..=members {
        let (phone, login, email) = member(i);
        dingtalk.add_user(&phone, &login);
        wecom.add_user(&login, &phone, &email);
        for f in [&feishu, &lark] {
            f.add_user(FakeUser::new(&login).mobile(&phone).email(&email));
        }
    }
    Ok(Sandbox {
        dingtalk,
        wecom,
        feishu,
        lark,
    })
}

impl Sandbox {
    /// WeCom, Feishu and Lark clients pointed at the sandbox.
    pub fn personal_clients(&self, timeout: Duration) -> anyhow::Result<PersonalClients> {
        let url = |s: String| url::Url::parse(&s);
        let endpoints = PersonalEndpoints {
            wecom: url(self.wecom.base_url())?,
            feishu: url(self.feishu.base_url())?,
            lark: url(self.lark.base_url())?,
        };
        let opts = HttpOptions {
            timeout,
            ..HttpOptions::default()
        };
        Ok(PersonalClients::new(&endpoints, opts)?)
    }
}

/// Add the sandbox members to a (temporary) database, so delivery has someone to reach.
pub fn seed_members(store: &mut Store, members: usize) -> anyhow::Result<()> {
    let list: Vec<NewMember> = (1..=members)
        .map(|i| {
            let (phone, login, email) = member(i);
            NewMember {
                name: format!("Sandbox User {i}"),
                login,
                phone,
                email: Some(email),
            }
        })
        .collect();
    store.import_members(&list)?;
    Ok(())
}

/// What to type in each card's Configure dialog, shown inside it.
pub fn dialog_hints(lang: Lang) -> Vec<(crate::domain::ChannelKind, String)> {
    use crate::domain::ChannelKind;
    let (email, login) = ("sandbox0001@example.com", "sandbox0001");
    let feishu = |app: &str| {
        lang.trf(
            "sandbox.hint_feishu",
            &[
                ("app", &app),
                ("secret", &APP_SECRET),
                ("login", &login),
                ("phone", &FIRST_PHONE),
                ("email", &email),
            ],
        )
    };
    vec![
        (
            ChannelKind::DingTalk,
            lang.trf(
                "sandbox.hint_dingtalk",
                &[
                    ("key", &APP_KEY),
                    ("secret", &APP_SECRET),
                    ("phone", &FIRST_PHONE),
                ],
            ),
        ),
        (
            ChannelKind::WeCom,
            lang.trf(
                "sandbox.hint_wecom",
                &[
                    ("corp", &WECOM_CORP_ID),
                    ("agent", &WECOM_AGENT_ID),
                    ("secret", &APP_SECRET),
                    ("phone", &FIRST_PHONE),
                    ("email", &email),
                    ("login", &login),
                ],
            ),
        ),
        (ChannelKind::Feishu, feishu(FEISHU_APP_ID)),
        (ChannelKind::FeishuLark, feishu(LARK_APP_ID)),
    ]
}

/// The TUI's status line: what to type in each Configure dialog, longest version first (the
/// narrow ones keep the values and drop the labels).
pub fn banner(lang: Lang) -> Vec<String> {
    let args: [(&str, &dyn std::fmt::Display); 7] = [
        ("key", &APP_KEY),
        ("secret", &APP_SECRET),
        ("phone", &FIRST_PHONE),
        ("corp", &WECOM_CORP_ID),
        ("agent", &WECOM_AGENT_ID),
        ("feishu", &FEISHU_APP_ID),
        ("lark", &LARK_APP_ID),
    ];
    vec![
        lang.trf("sandbox.banner_all", &args),
        lang.trf("sandbox.banner_short", &args),
        lang.trf("sandbox.banner_dingtalk", &args),
        lang.trf("sandbox.banner_values", &args),
    ]
}

/// A received message's title, for the printed log (cleaned by the output writer).
fn first_line(s: &str) -> String {
    s.lines()
        .map(|l| l.trim_start_matches(['#', ' ', '*']).trim())
        .find(|l| !l.is_empty())
        .unwrap_or("(message)")
        .to_string()
}

/// `notifydesk sandbox`: serve until Ctrl-C, printing every message the fakes receive.
pub async fn serve(port: u16, members: u16, lang: Lang) -> anyhow::Result<ExitCode> {
    let members = usize::from(members);
    let sb = start(port, members).await?;
    let url = sb.dingtalk.base_url();
    let (wecom, feishu, lark) = (
        sb.wecom.base_url(),
        sb.feishu.base_url(),
        sb.lark.base_url(),
    );
    let mut out = super::out::stdout();
    // The words in the interface language; the commands and values as they must be typed.
    out.line(lang.tr("sandbox.serve_intro"))?;
    out.line("")?;
    out.line(lang.trf(
        "sandbox.serve_dingtalk",
        &[("url", &url), ("key", &APP_KEY)],
    ))?;
    out.line(lang.trf(
        "sandbox.serve_wecom",
        &[
            ("url", &wecom),
            ("corp", &WECOM_CORP_ID),
            ("agent", &WECOM_AGENT_ID),
        ],
    ))?;
    out.line(lang.trf(
        "sandbox.serve_feishu",
        &[("url", &feishu), ("app", &FEISHU_APP_ID)],
    ))?;
    out.line(lang.trf(
        "sandbox.serve_lark",
        &[("url", &lark), ("app", &LARK_APP_ID)],
    ))?;
    out.line(lang.trf("sandbox.serve_secret", &[("secret", &APP_SECRET)]))?;
    out.line(lang.trf("sandbox.serve_members", &[("n", &members)]))?;
    out.line("")?;
    out.line(lang.tr("sandbox.serve_try"))?;
    out.line(format_args!(
        "  export NOTIFYDESK_DINGTALK_API={url} NOTIFYDESK_DINGTALK_OAPI={url} NOTIFYDESK_WECOM_API={wecom} NOTIFYDESK_FEISHU_API={feishu} NOTIFYDESK_LARK_API={lark}"
    ))?;
    // The secret is asked for without echo, never typed on the command line (shell history).
    out.line(format_args!(
        "  notifydesk --db /tmp/sandbox.db channel configure dingtalk --app-key {APP_KEY} --receiver {FIRST_PHONE} --app-secret-stdin"
    ))?;
    out.line(format_args!(
        "  notifydesk --db /tmp/sandbox.db channel configure wecom --corp-id {WECOM_CORP_ID} --agent-id {WECOM_AGENT_ID} --receiver {FIRST_PHONE} --app-secret-stdin"
    ))?;
    out.line(format_args!(
        "  notifydesk --db /tmp/sandbox.db channel configure feishu --app-id {FEISHU_APP_ID} --receiver sandbox0001 --app-secret-stdin"
    ))?;
    out.line(lang.trf("sandbox.serve_answer", &[("secret", &APP_SECRET)]))?;
    out.line(format_args!(
        "  notifydesk --db /tmp/sandbox.db channel test dingtalk   {}",
        lang.tr("sandbox.serve_test_comment")
    ))?;
    out.line(format_args!(
        "  notifydesk --db /tmp/sandbox.db        {}",
        lang.tr("sandbox.serve_tui_comment")
    ))?;
    out.line("")?;
    out.line(lang.tr("sandbox.serve_received"))?;
    let mut seen = [0usize; 4];
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        // (platform, receivers, title) of every message not printed yet.
        let mut lines: Vec<(&str, String, String)> = Vec::new();
        let dt = sb.dingtalk.outbox();
        for m in dt.iter().skip(seen[0]) {
            let what = match (&m.msg_param, &m.card_template_id) {
                (Some(p), _) => p
                    .get("title")
                    .and_then(|t| t.as_str())
                    .unwrap_or("(untitled)")
                    .to_string(),
                (None, Some(t)) => format!("card {t}"),
                _ => "(message)".into(),
            };
            lines.push(("DingTalk", m.user_ids.join(", "), what));
        }
        let wc = sb.wecom.outbox();
        for m in wc.iter().skip(seen[1]) {
            let text = m.payload["content"]
                .as_str()
                .or(m.payload["main_title"]["title"].as_str())
                .unwrap_or("(message)");
            lines.push(("WeCom", m.touser.join(", "), first_line(text)));
        }
        let fs = sb.feishu.outbox();
        let lk = sb.lark.outbox();
        for (name, list, skip) in [("Feishu", &fs, seen[2]), ("Lark", &lk, seen[3])] {
            for m in list.iter().skip(skip) {
                let title = m.content["zh_cn"]["title"]
                    .as_str()
                    .or(m.content["en_us"]["title"].as_str())
                    .or(m.content["data"]["template_variable"]["title"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| m.msg_type.clone());
                lines.push((name, m.user_id.clone(), title));
            }
        }
        seen = [dt.len(), wc.len(), fs.len(), lk.len()];
        for (platform, to, what) in lines {
            // Anything on loopback can post here: the line is cleaned like every other.
            out.line(format_args!(
                "  {} {platform} → {to}: {what}",
                chrono::Local::now().format("%H:%M:%S"),
            ))?;
        }
    }
    out.line(lang.tr("sandbox.stopped"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ChannelKind;

    fn hint(lang: Lang, kind: ChannelKind) -> String {
        let hints = dialog_hints(lang);
        hints.into_iter().find(|(k, _)| *k == kind).unwrap().1
    }

    #[test]
    fn the_sandbox_hints_speak_the_interface_language_and_keep_the_values() {
        assert_eq!(
            hint(Lang::Zh, ChannelKind::DingTalk),
            "沙箱：AppKey dingsandbox0001 · AppSecret sandbox-secret · 接收人 13800000001"
        );
        let wecom = hint(Lang::Zh, ChannelKind::WeCom);
        assert!(
            wecom.starts_with("沙箱：CorpID wwsandbox0001 · AgentId 1000002"),
            "{wecom}"
        );
        assert!(
            hint(Lang::Zh, ChannelKind::FeishuLark).contains("App ID cli_sandboxlark1"),
            "Lark has its own app"
        );
        // English as it was.
        assert_eq!(
            hint(Lang::En, ChannelKind::Feishu),
            "Sandbox: App ID cli_sandbox0001 · App Secret sandbox-secret · Receiver sandbox0001 (or 13800000001, sandbox0001@example.com)"
        );
        let zh = banner(Lang::Zh);
        let en = banner(Lang::En);
        assert_eq!(zh.len(), en.len(), "as many versions as in English");
        assert!(zh[0].starts_with("试试：AppKey dingsandbox0001"), "{zh:?}");
        assert!(zh.iter().all(|b| b.contains("sandbox-secret")), "{zh:?}");
        assert_eq!(en[3], "Try dingsandbox0001 / sandbox-secret / 13800000001");
    }
}
