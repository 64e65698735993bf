//! PLACEHOLDER until the WeCom client lands (replaced on merge).
use crate::domain::ChannelKind;
use crate::personal::*;
use std::time::Duration;
pub const WECOM_API: &str = "https://qyapi.weixin.qq.com";
pub struct Client {
    kind: ChannelKind,
}
impl Client {
    pub fn new(
        kind: ChannelKind,
        _base: url::Url,
        _opts: HttpOptions,
    ) -> Result<Client, ChannelError> {
        Ok(Client { kind })
    }
    pub async fn send_test(
        &self,
        _c: &Credentials,
        _r: &LookupKey,
        _m: &Message,
    ) -> Result<TestReport, ChannelError> {
        Err(self.no())
    }
    #[doc(hidden)]
    pub fn advance_clock(&self, _by: Duration) {}
    fn no(&self) -> ChannelError {
        ChannelError::new(
            self.kind,
            ErrorKind::Server,
            "x",
            "placeholder",
            Disposition::Retry,
        )
    }
}
impl PersonalChannel for Client {
    fn kind(&self) -> ChannelKind {
        self.kind
    }
    fn limits(&self) -> Limits {
        Limits {
            receivers_per_send: 1,
            keys_per_lookup: 50,
            sends_per_second: 50,
            per_receiver_per_minute: None,
            idempotent_send: true,
        }
    }
    async fn check_credentials(&self, _c: &Credentials) -> Result<(), ChannelError> {
        Err(self.no())
    }
    async fn resolve(
        &self,
        _c: &Credentials,
        _k: &[LookupKey],
    ) -> Result<Vec<Resolution>, ChannelError> {
        Err(self.no())
    }
    async fn send(
        &self,
        _c: &Credentials,
        _r: &[String],
        _m: &Message,
    ) -> Result<SendReport, ChannelError> {
        Err(self.no())
    }
}
