//! Debug logs of the DingTalk client name calls but never carry a secret or a token.
//! Its own test binary: it installs a global tracing subscriber.

mod common;

use common::test_content::markdown;

use std::sync::{Arc, Mutex};

use dingtalk_fake::{FakeApp, FakeDingTalk, FakeEndpoint, Fault};
use notifydesk::dingtalk::{Client, ClientOptions, Credentials, Endpoints};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn};
use secrecy::SecretString;
use tracing_subscriber::fmt::MakeWriter;

const KEY: &str = "dingk3yapp0001";
const SECRET: &str = "S3cr3t-AppSecret-9f8e7d6c5b4a";
const BAD_SECRET: &str = "bad-secret-abcdef";
const MOBILE: &str = "13800138000";

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Buf {
        self.clone()
    }
}

#[tokio::test]
async fn nothing_secret_in_logs_or_debug_output() {
    let buf = Buf::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buf.clone())
        .with_ansi(false)
        .init();

    let fake = FakeDingTalk::start().await.unwrap();
    fake.add_app(FakeApp::new(KEY, SECRET));
    fake.add_user(MOBILE, "u1");
    let client = Client::new(
        Endpoints::single(&fake.base_url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let creds = Credentials::new(KEY, SECRET);
    let mobile = Mobile::parse(MOBILE).unwrap();

    client
        .send_test_message(&creds, &mobile, &markdown())
        .await
        .unwrap();
    fake.expire_tokens();
    client.user_id_by_mobile(&creds, &mobile).await.unwrap();
    fake.expire_tokens();
    client
        .send_markdown(&creds, &["u1".to_string()], "t", "x")
        .await
        .unwrap();
    fake.inject(FakeEndpoint::GetByMobile, Fault::DropConnection, 1);
    let e1 = client.user_id_by_mobile(&creds, &mobile).await.unwrap_err();
    fake.inject(FakeEndpoint::BatchSend, Fault::InvalidAuthentication, 2);
    let e2 = client
        .send_markdown(&creds, &["u1".to_string()], "t", "x")
        .await
        .unwrap_err();
    let e3 = client
        .access_token(&Credentials::new(KEY, BAD_SECRET))
        .await
        .unwrap_err();

    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("/v1.0/robot/oToMessages/batchSend"), "{log}");
    assert!(log.contains("/topapi/v2/user/getbymobile"), "{log}");
    assert!(log.contains("/v1.0/oauth2/accessToken"), "{log}");
    assert!(log.contains("refreshing once"), "{log}");
    // DingTalk's request id is logged with the error, for support tickets.
    let request_id = e2.request_id.clone().expect("DingTalk's request id");
    assert!(log.contains(&request_id), "{request_id} not in log:\n{log}");

    let mut secrets = vec![SECRET.to_string(), BAD_SECRET.to_string()];
    for c in fake.calls() {
        if let Some(t) = c.header("x-acs-dingtalk-access-token") {
            secrets.push(t.to_string());
        }
    }
    assert!(secrets.len() >= 5, "several tokens were issued and used");
    let errors = [&e1, &e2, &e3]
        .iter()
        .map(|e| format!("{e} {e:?}"))
        .collect::<Vec<_>>()
        .join("\n");
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "{s} in log:\n{log}");
        assert!(!errors.contains(s.as_str()), "{s} in errors:\n{errors}");
    }
    assert!(!log.contains("access_token="), "{log}");

    let cfg = DingTalkConfig {
        app_key: KEY.into(),
        app_secret: SecretString::from(SECRET.to_string()),
        template_id: None,
        source_column: SourceColumn::Phone,
        receiver: None,
    };
    let from_cfg = Credentials::from(&cfg);
    assert_eq!(from_cfg.robot_code(), KEY);
    for dbg in [
        format!("{from_cfg:?}"),
        format!("{client:?}"),
        format!("{creds:?}"),
    ] {
        assert!(!dbg.contains(SECRET), "{dbg}");
    }
}
