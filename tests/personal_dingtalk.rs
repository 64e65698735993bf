//! DingTalk through the platform-neutral personal-channel interface, against the fake.

use dingtalk_fake::{FakeApp, FakeDingTalk};
use notifydesk::dingtalk::{Client, ClientOptions, Endpoints};
use notifydesk::domain::Mobile;
use notifydesk::personal::{
    Credentials, Disposition, ErrorKind, LookupKey, Message, PersonalChannel, Resolution,
};
use secrecy::SecretString;

async fn setup() -> (FakeDingTalk, Client) {
    let fake = FakeDingTalk::start().await.unwrap();
    fake.add_app(FakeApp::new("dingkey0001", "right-secret-1"));
    fake.add_user("13800000001", "user1");
    let client = Client::new(
        Endpoints::single(&fake.base_url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    (fake, client)
}

fn creds(secret: &str) -> Credentials {
    Credentials {
        app_id: "dingkey0001".into(),
        secret: SecretString::from(secret.to_string()),
        agent_id: None,
    }
}

fn phone(p: &str) -> LookupKey {
    LookupKey::Phone(Mobile::parse(p).unwrap())
}

#[tokio::test]
async fn lookup_send_and_errors_through_the_common_interface() {
    let (fake, client) = setup().await;
    let c = creds("right-secret-1");
    client.check_credentials(&c).await.unwrap();
    let found = client
        .resolve(&c, &[phone("13800000001"), phone("13800000009")])
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![Resolution::Found("user1".into()), Resolution::NotFound]
    );
    let msg = Message {
        title: "T".into(),
        markdown: "**hello**".into(),
        text: "hello".into(),
        link: None,
        template_id: None,
        idempotency_key: "k1".into(),
    };
    let report = client.send(&c, &["user1".into()], &msg).await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assert_eq!(fake.outbox().len(), 1);
    let e = client
        .check_credentials(&creds("wrong-secret-1"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadCredentials);
    assert_eq!(e.disposition, Disposition::Permanent);
    assert!(!e.to_string().contains("wrong-secret-1"), "{e}");
    assert!(e.fix.is_some());
    let e = client
        .resolve(&c, &[LookupKey::Email("a@b.cn".into())])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadConfig);
    assert!(!client.limits().idempotent_send);
}
