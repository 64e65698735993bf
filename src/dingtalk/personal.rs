//! DingTalk as one [`PersonalChannel`]: the same client behind the platform-neutral interface
//! (token, lookup by phone, send, errors classified by what a retry would do). The delivery
//! worker drives DingTalk through its richer own path (`delivery/batch.rs`: cards per
//! receiver, flow control, stale userids); this adapter serves everything that only needs the
//! common contract, and keeps DingTalk's answers comparable with the other platforms'.

use crate::domain::ChannelKind;
use crate::personal::{
    ChannelError, Credentials as PersonalCredentials, Disposition as PersonalDisposition,
    ErrorKind as Kind, Limits, LookupKey, Message, PersonalChannel, Resolution, SendReport,
};

use super::{Client, Credentials, DingTalkError, Disposition, ErrorKind, MAX_BATCH_USER_IDS};

fn creds(c: &PersonalCredentials) -> Credentials {
    Credentials {
        app_key: c.app_id.clone(),
        app_secret: c.secret.clone(),
        robot_code: None,
    }
}

/// DingTalk's error in the platform-neutral form (the one-line text stays DingTalk's own).
pub fn to_channel_error(e: &DingTalkError) -> ChannelError {
    let kind = match &e.kind {
        ErrorKind::BadCredentials => Kind::BadCredentials,
        ErrorKind::TokenInvalid => Kind::TokenInvalid,
        ErrorKind::MissingPermission { scope } => Kind::MissingPermission {
            scope: Some(scope.clone()),
        },
        ErrorKind::IpNotAllowed => Kind::IpNotAllowed { ip: None },
        ErrorKind::UserNotFound | ErrorKind::InvalidMobile | ErrorKind::StaleUserId => {
            Kind::NotFound
        }
        ErrorKind::OutsideVisibility => Kind::OutsideScope,
        ErrorKind::RobotNotEnabled | ErrorKind::RobotCodeMismatch => Kind::BotNotEnabled,
        ErrorKind::TemplateNotFound => Kind::Template,
        ErrorKind::RateLimited | ErrorKind::IpBanned | ErrorKind::QuotaExceeded => Kind::Throttled,
        ErrorKind::ServerBusy | ErrorKind::BadResponse | ErrorKind::Other => Kind::Server,
        ErrorKind::Timeout => Kind::Timeout,
        ErrorKind::Network | ErrorKind::Redirected { .. } => Kind::Unreachable,
        ErrorKind::InvalidRequest => Kind::InvalidRequest,
        ErrorKind::Filtered | ErrorKind::NoRobotConversation => Kind::ReceiverRefused,
    };
    let disposition = match e.disposition() {
        Disposition::Retry => PersonalDisposition::Retry,
        Disposition::Permanent => PersonalDisposition::Permanent,
        Disposition::MayHaveBeenDelivered => PersonalDisposition::MayHaveBeenDelivered,
    };
    ChannelError::new(
        ChannelKind::DingTalk,
        kind,
        e.code.clone(),
        e.meaning(),
        disposition,
    )
    .with_fix(e.fix())
    .with_request_id(e.request_id.clone())
    .with_retry_after(e.retry_after())
}

impl PersonalChannel for Client {
    fn kind(&self) -> ChannelKind {
        ChannelKind::DingTalk
    }

    fn limits(&self) -> Limits {
        Limits {
            receivers_per_send: MAX_BATCH_USER_IDS,
            keys_per_lookup: 1,
            sends_per_second: 20,
            per_receiver_per_minute: None,
            // batchSend has no idempotency key: a resend may arrive twice.
            idempotent_send: false,
            dedup_window: None,
        }
    }

    async fn check_credentials(&self, c: &PersonalCredentials) -> Result<(), ChannelError> {
        self.access_token(&creds(c))
            .await
            .map(|_| ())
            .map_err(|e| to_channel_error(&e))
    }

    async fn resolve(
        &self,
        c: &PersonalCredentials,
        keys: &[LookupKey],
    ) -> Result<Vec<Resolution>, ChannelError> {
        let creds = creds(c);
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let LookupKey::Phone(mobile) = key else {
                return Err(ChannelError::new(
                    ChannelKind::DingTalk,
                    Kind::BadConfig,
                    "source-column",
                    "DingTalk finds members by phone only",
                    PersonalDisposition::Permanent,
                ));
            };
            match self.user_id_by_mobile(&creds, mobile).await {
                Ok(id) => out.push(Resolution::Found(id)),
                Err(e) if matches!(e.kind, ErrorKind::UserNotFound | ErrorKind::InvalidMobile) => {
                    out.push(Resolution::NotFound)
                }
                Err(e) => return Err(to_channel_error(&e)),
            }
        }
        Ok(out)
    }

    async fn send(
        &self,
        c: &PersonalCredentials,
        receivers: &[String],
        message: &Message,
    ) -> Result<SendReport, ChannelError> {
        let report = self
            .send_markdown(&creds(c), receivers, &message.title, &message.markdown)
            .await
            .map_err(|e| to_channel_error(&e))?;
        let refused = |ids: &[String], kind: Kind, code: &str, what: &str| {
            ids.iter()
                .map(|id| {
                    let e = ChannelError::new(
                        ChannelKind::DingTalk,
                        kind.clone(),
                        code,
                        format!("DingTalk did not deliver to {id}: {what}"),
                        PersonalDisposition::Permanent,
                    );
                    (id.clone(), e)
                })
                .collect::<Vec<_>>()
        };
        let mut rejected = refused(
            &report.invalid_user_ids,
            Kind::NotFound,
            "invalidStaffIdList",
            "not a valid receiver (unknown, or outside the app's visibility scope)",
        );
        rejected.extend(refused(
            &report.filtered_user_ids,
            Kind::ReceiverRefused,
            "filteredStaffIdList",
            "filtered (blocked or muted the robot)",
        ));
        let mut flow = refused(
            &report.flow_controlled_user_ids,
            Kind::Throttled,
            "flowControlledStaffIdList",
            "skipped by flow control; try again later",
        );
        for (_, e) in &mut flow {
            e.disposition = PersonalDisposition::Retry;
        }
        rejected.extend(flow);
        Ok(SendReport {
            message_id: Some(report.process_query_key),
            request_id: None,
            rejected,
        })
    }
}
