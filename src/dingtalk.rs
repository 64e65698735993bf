// Placeholder interface until the DingTalk client lands (replaced by src/dingtalk/).
use crate::domain::*;
#[derive(Clone)]
pub struct Client;
pub struct Credentials;
impl From<&DingTalkConfig> for Credentials {
    fn from(_: &DingTalkConfig) -> Self {
        Credentials
    }
}
pub struct TestReport {
    pub user_id: String,
}
#[derive(Default)]
pub struct ClientOptions {
    pub timeout: std::time::Duration,
}
pub struct Endpoints;
impl Endpoints {
    pub fn new(_a: &str, _o: &str) -> anyhow::Result<Endpoints> {
        Ok(Endpoints)
    }
}
impl Client {
    pub fn new(_e: Endpoints, _o: ClientOptions) -> anyhow::Result<Client> {
        Ok(Client)
    }
    pub async fn send_test_message(
        &self,
        _c: &Credentials,
        _t: Option<&str>,
        _m: &Mobile,
    ) -> Result<TestReport, String> {
        Err("DingTalk client not available in this build".into())
    }
}
