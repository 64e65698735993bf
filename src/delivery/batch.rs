//! One claimed batch: resolve receivers (phone → userid, cached on the member), send (one
//! batchSend for the batch, or one card per receiver), and record each receiver's outcome.
//!
//! The outcome rules, from what DingTalk's answer proves:
//! - accepted and not listed as invalid / filtered / flow-controlled → `sent`;
//! - nothing was sent and a later attempt may work (throttling, 429/503, `system.busy`,
//!   connection refused) → back to `pending`, the whole batch at one time so it returns as one
//!   call; throttling and flow control are deferrals, not failed attempts;
//! - nothing was sent and retrying will not help → `failed` with the cause and fix;
//! - maybe sent (timeout, 5xx, unreadable answer) → `unknown`, unless the user opted into
//!   resending. Cards are always retried: their `outTrackId` makes a retry idempotent.

use std::time::Duration;

use tokio::time::Instant;

use super::{RESEND_AMBIGUOUS, Worker, backoff, template};
use crate::dingtalk::{Credentials, DingTalkError, Disposition, ErrorKind};
use crate::domain::Mobile;
use crate::store::{ClaimedBatch, DeliveryStatus, Problem, Recipient, RetryMark};

use super::{DeliveryError, DrainReport};

/// A receiver with a DingTalk userid. `fresh` = looked up during this batch (not cached).
#[derive(Clone, Debug)]
struct Target {
    r: Recipient,
    userid: String,
    fresh: bool,
}

/// Why a group goes back to pending.
pub(super) struct Defer {
    pub(super) problem: Problem,
    /// Least wait the platform asked for.
    pub(super) at_least: Option<Duration>,
    /// A failed attempt (counts towards max_attempts), or a deferral (throttling, flow control).
    pub(super) counted: bool,
    /// Immediately, whatever the backoff (a stale userid to look up again).
    pub(super) now: bool,
    /// The last attempt may have been delivered (a card, or a resend the user opted into):
    /// giving up then means "may have been delivered", never "failed".
    pub(super) ambiguous: bool,
}

fn problem_of(e: &DingTalkError) -> Problem {
    Problem {
        code: e.code.clone(),
        error: e.to_string(),
        request_id: e.request_id.clone(),
    }
}

/// Throttling of any kind: DingTalk asks us to slow down; not a failure of the message.
fn is_throttle(e: &DingTalkError) -> bool {
    matches!(e.kind, ErrorKind::RateLimited | ErrorKind::IpBanned)
}

/// Problems with the app or its configuration: nothing else in the batch can go either.
fn is_app_level(kind: &ErrorKind) -> bool {
    !matches!(
        kind,
        ErrorKind::UserNotFound
            | ErrorKind::InvalidMobile
            | ErrorKind::OutsideVisibility
            | ErrorKind::StaleUserId
            | ErrorKind::NoRobotConversation
            | ErrorKind::Filtered
    )
}

pub(super) fn ids(rs: &[&Recipient]) -> Vec<i64> {
    rs.iter().map(|r| r.delivery_id).collect()
}

impl Worker {
    /// Time a send may take before its lease lapses: a call, a token refresh and the retried
    /// call, plus a margin.
    fn send_lease_until(&self) -> i64 {
        let call = self.client.options().timeout.as_millis() as i64;
        self.now_ms() + 3 * call + self.opts.lease.as_millis() as i64
    }

    /// Made once per database; read once per worker (getting it may write).
    pub(super) fn installation_id(&mut self) -> Result<String, DeliveryError> {
        if let Some(id) = &self.installation {
            return Ok(id.clone());
        }
        let id = self.store.installation_id()?;
        self.installation = Some(id.clone());
        Ok(id)
    }

    pub(super) fn claim_lease_until(&self) -> i64 {
        self.now_ms() + self.opts.lease.as_millis() as i64
    }

    pub(super) async fn process(
        &mut self,
        batch: ClaimedBatch,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        let Some(config) = self.store.load_dingtalk()? else {
            let all: Vec<&Recipient> = batch.recipients.iter().collect();
            let p = Problem::new(
                "not_configured",
                "the DingTalk personal channel is not configured",
            );
            self.fail(&all, &p, report).await;
            return Ok(());
        };
        let creds = Credentials::from(&config);
        let Some(targets) = self.resolve(&creds, &batch.recipients, report).await? else {
            return Ok(());
        };
        if targets.is_empty() {
            return Ok(());
        }
        let lang = self.language();
        match config.template_id.as_deref() {
            Some(template_id) => {
                let params = template::card_params(
                    lang,
                    &batch.type_code,
                    &batch.node_code,
                    &batch.title,
                    &batch.text,
                    batch.link.as_deref(),
                );
                self.send_cards(&creds, template_id, &params, targets, report)
                    .await
            }
            None => {
                let (title, text) = template::render(
                    lang,
                    &batch.type_code,
                    &batch.node_code,
                    &batch.title,
                    &batch.text,
                    batch.link.as_deref(),
                );
                self.send_markdown(&creds, &title, &text, targets, report)
                    .await
            }
        }
    }

    /// Userids for the batch's receivers. Receivers that cannot be reached are failed here;
    /// `None` when the whole batch was put back or failed (throttled lookups, app problems).
    async fn resolve(
        &mut self,
        creds: &Credentials,
        recipients: &[Recipient],
        report: &mut DrainReport,
    ) -> Result<Option<Vec<Target>>, DeliveryError> {
        let mut targets: Vec<Target> = Vec::new();
        for (i, r) in recipients.iter().enumerate() {
            let (Some(member_id), Some(phone)) = (r.member_id, r.phone.clone()) else {
                let p = Problem::new(
                    "unknown_member",
                    format!("no member has the login {:?}", r.login),
                );
                self.fail(&[r], &p, report).await;
                continue;
            };
            if let Some(u) = r.userid.clone() {
                targets.push(Target {
                    r: r.clone(),
                    userid: u,
                    fresh: false,
                });
                continue;
            }
            let mobile = match Mobile::parse(&phone) {
                Ok(m) => m,
                Err(e) => {
                    self.fail(&[r], &Problem::new("invalid_phone", e.to_string()), report)
                        .await;
                    continue;
                }
            };
            // Everything not yet decided: what was resolved, this one, and the rest.
            let open: Vec<&Recipient> = targets
                .iter()
                .map(|t| &t.r)
                .chain(recipients[i..].iter())
                .collect();
            if self.held() {
                let d = self.hold_defer();
                self.defer(&open, d, report).await;
                return Ok(None);
            }
            // Keep the claim while we wait for DingTalk (best effort: it only delays others).
            let _ = self
                .store
                .renew_lease(&self.owner, &ids(&open), self.claim_lease_until());
            self.lookups.acquire().await;
            report.calls += 1;
            let started = Instant::now();
            let found = self.client.user_id_by_mobile(creds, &mobile).await;
            self.called("lookup", started, found.is_ok());
            match found {
                Ok(u) => {
                    self.store
                        .set_member_userid(member_id, Some(&u), self.now_ms() / 1000)?;
                    targets.push(Target {
                        r: r.clone(),
                        userid: u,
                        fresh: true,
                    });
                }
                Err(e) if matches!(e.kind, ErrorKind::UserNotFound | ErrorKind::InvalidMobile) => {
                    self.store
                        .set_member_userid(member_id, None, self.now_ms() / 1000)?;
                    self.fail(&[r], &problem_of(&e), report).await;
                }
                Err(e) if e.disposition() == Disposition::Permanent => {
                    // Credentials, permission, IP allow-list…: nothing in this batch can go.
                    self.fail(&open, &problem_of(&e), report).await;
                    return Ok(None);
                }
                Err(e) => {
                    // A lookup changes nothing at DingTalk: always safe to repeat.
                    let d = self.defer_for(&e);
                    self.defer(&open, d, report).await;
                    return Ok(None);
                }
            }
        }
        Ok(Some(targets))
    }

    /// One batchSend for up to 20 targets, and the outcome of each.
    async fn send_markdown(
        &mut self,
        creds: &Credentials,
        title: &str,
        text: &str,
        mut targets: Vec<Target>,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        if self.held() {
            let all: Vec<&Recipient> = targets.iter().map(|t| &t.r).collect();
            let d = self.hold_defer();
            self.defer(&all, d, report).await;
            return Ok(());
        }
        self.sends.acquire().await;
        let wanted: Vec<i64> = targets.iter().map(|t| t.r.delivery_id).collect();
        let owned = self
            .store
            .mark_sending(&self.owner, &wanted, self.send_lease_until())?;
        // A claim that lapsed and was taken by another worker is theirs now.
        targets.retain(|t| owned.contains(&t.r.delivery_id));
        if targets.is_empty() {
            return Ok(());
        }
        let user_ids: Vec<String> = targets.iter().map(|t| t.userid.clone()).collect();
        report.calls += 1;
        let started = Instant::now();
        let result = self
            .client
            .send_markdown(creds, &user_ids, title, text)
            .await;
        self.called("batch_send", started, result.is_ok());
        let all: Vec<&Recipient> = targets.iter().map(|t| &t.r).collect();
        let sent = match result {
            Ok(sent) => sent,
            Err(e) => {
                return self
                    .send_failed(creds, title, text, &targets, &all, e, report)
                    .await;
            }
        };
        let listed = |list: &[String], u: &str| list.iter().any(|x| x == u);
        let delivered: Vec<i64> = targets
            .iter()
            .filter(|t| {
                !listed(&sent.invalid_user_ids, &t.userid)
                    && !listed(&sent.flow_controlled_user_ids, &t.userid)
                    && !listed(&sent.filtered_user_ids, &t.userid)
            })
            .map(|t| t.r.delivery_id)
            .collect();
        // Recorded first, with the processQueryKey; this write must land.
        let (owner, key) = (self.owner.clone(), sent.process_query_key.clone());
        self.persist(|s| s.mark_sent(&owner, &delivered, &key))
            .await;
        report.sent += delivered.len();
        for t in &targets {
            if listed(&sent.invalid_user_ids, &t.userid) {
                self.refused(t, report).await?;
            } else if listed(&sent.filtered_user_ids, &t.userid) {
                let p = Problem::new(
                    "filteredStaffIdList",
                    format!(
                        "DingTalk accepted the call but filtered the receiver {} (filteredStaffIdList), so the message was not delivered. Fix: check in DingTalk that the member can receive messages from the app's robot (not blocked, not muted, inside the app's visibility scope)",
                        t.userid
                    ),
                );
                self.fail(&[&t.r], &p, report).await;
            } else if listed(&sent.flow_controlled_user_ids, &t.userid) {
                let d = self.flow_control_defer(&t.r);
                self.defer(&[&t.r], d, report).await;
            }
        }
        Ok(())
    }

    /// batchSend failed as a whole.
    #[allow(clippy::too_many_arguments)]
    async fn send_failed(
        &mut self,
        creds: &Credentials,
        title: &str,
        text: &str,
        targets: &[Target],
        all: &[&Recipient],
        e: DingTalkError,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        match (&e.kind, e.disposition()) {
            // DingTalk no longer knows a userid: nothing was sent. Forget the cached ones and
            // look them up once more; if they were fresh, the member really is gone.
            (ErrorKind::StaleUserId, _) if targets.iter().any(|t| !t.fresh) => {
                let d = Defer {
                    problem: Problem {
                        error: format!("{e} — looking the receivers up again"),
                        ..problem_of(&e)
                    },
                    at_least: None,
                    counted: false,
                    now: true,
                    ambiguous: false,
                };
                self.defer(all, d, report).await;
                let members: Vec<i64> = targets.iter().filter_map(|t| t.r.member_id).collect();
                self.forget_userids(&members);
            }
            // Which receiver has no robot conversation, or a userid DingTalk does not know even
            // freshly looked up? Send to each alone to find out; the 400 proves nothing was
            // sent. They go back to pending (still ours) first, so whatever stops this loop
            // leaves nothing marked as maybe-sent.
            (ErrorKind::NoRobotConversation | ErrorKind::StaleUserId, _) if targets.len() > 1 => {
                let ids: Vec<i64> = all.iter().map(|r| r.delivery_id).collect();
                let (owner, lease) = (self.owner.clone(), self.claim_lease_until());
                self.persist(|s| s.unmark_sending(&owner, &ids, lease))
                    .await;
                for (i, t) in targets.iter().enumerate() {
                    let rest: Vec<i64> = ids[i..].to_vec();
                    let _ = self
                        .store
                        .renew_lease(&self.owner, &rest, self.claim_lease_until());
                    Box::pin(self.send_markdown(creds, title, text, vec![t.clone()], report))
                        .await?;
                }
            }
            (_, Disposition::Retry) => {
                let d = self.defer_for(&e);
                self.defer(all, d, report).await;
            }
            (_, Disposition::Permanent) => self.fail(all, &problem_of(&e), report).await,
            (_, Disposition::MayHaveBeenDelivered) => {
                if self.resend_ambiguous() {
                    let d = self.defer_for(&e);
                    self.defer(all, d, report).await;
                } else {
                    let p = Problem {
                        error: format!(
                            "{e} — the message may have been delivered, so it is not resent automatically; check with the receiver, then `notifydesk log --retry ID --force` (or set delivery.resend_ambiguous on)"
                        ),
                        ..problem_of(&e)
                    };
                    self.finish(all, DeliveryStatus::Unknown, &p, report).await;
                }
            }
        }
        Ok(())
    }

    /// A receiver DingTalk listed in invalidStaffIdList. A cached userid may be stale: forget
    /// it and look it up again once; a fresh one is really refused.
    async fn refused(&mut self, t: &Target, report: &mut DrainReport) -> Result<(), DeliveryError> {
        // Recorded on the member (no userid, as of now); a cache write, so only logged if the
        // database is busy: the next refusal records it again.
        if let Some(mid) = t.r.member_id
            && let Err(e) = self
                .store
                .set_member_userid(mid, None, self.now_ms() / 1000)
        {
            tracing::warn!("could not record the refused userid: {e}");
        }
        if t.fresh {
            let p = Problem::new(
                "invalid_user",
                format!(
                    "DingTalk refused the userid {}: the member is inactive or outside the app's visibility scope. Fix: add them to the app's visibility scope in the DingTalk developer console",
                    t.userid
                ),
            );
            self.fail(&[&t.r], &p, report).await;
        } else {
            let d = Defer {
                problem: Problem::new("invalid_user", "cached userid refused; looking it up again"),
                at_least: None,
                counted: false,
                now: true,
                ambiguous: false,
            };
            self.defer(&[&t.r], d, report).await;
        }
        Ok(())
    }

    /// One interactive card per target, each with a stable `outTrackId`, so any retry is
    /// idempotent at DingTalk.
    async fn send_cards(
        &mut self,
        creds: &Credentials,
        template_id: &str,
        params: &std::collections::BTreeMap<String, String>,
        targets: Vec<Target>,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        let installation = self.installation_id()?;
        for (i, t) in targets.iter().enumerate() {
            let rest: Vec<&Recipient> = targets[i..].iter().map(|t| &t.r).collect();
            if self.held() {
                let d = self.hold_defer();
                self.defer(&rest, d, report).await;
                return Ok(());
            }
            self.sends.acquire().await;
            let owned = self.store.mark_sending(
                &self.owner,
                &[t.r.delivery_id],
                self.send_lease_until(),
            )?;
            if owned.is_empty() {
                continue;
            }
            report.calls += 1;
            // Stable across automatic retries (DingTalk creates the card at most once); new
            // after a retry by hand, which follows a known failure, so the card is sent again.
            let out_track_id = match t.r.restarted_at {
                0 => format!("notifydesk-{installation}-{}", t.r.delivery_id),
                r => format!("notifydesk-{installation}-{}-{r}", t.r.delivery_id),
            };
            let started = Instant::now();
            let result = self
                .client
                .send_card(creds, template_id, &t.userid, &out_track_id, params)
                .await;
            self.called("card", started, result.is_ok());
            // A retry of a card DingTalk already created (its first answer was lost): done.
            let result = match result {
                Err(e) if e.code.eq_ignore_ascii_case("param.cardAlreadyExist") => {
                    Ok(crate::dingtalk::CardReport {
                        out_track_id: out_track_id.clone(),
                        carrier_id: None,
                    })
                }
                other => other,
            };
            let e = match result {
                Ok(card) => {
                    let key = card.carrier_id.unwrap_or(out_track_id);
                    let owner = self.owner.clone();
                    let id = t.r.delivery_id;
                    self.persist(|s| s.mark_sent(&owner, &[id], &key)).await;
                    report.sent += 1;
                    continue;
                }
                Err(e) => e,
            };
            match (&e.kind, e.disposition()) {
                (ErrorKind::StaleUserId | ErrorKind::UserNotFound, _) if !t.fresh => {
                    let d = Defer {
                        problem: problem_of(&e),
                        at_least: None,
                        counted: false,
                        now: true,
                        ambiguous: false,
                    };
                    self.defer(&[&t.r], d, report).await;
                    if let Some(mid) = t.r.member_id {
                        self.forget_userids(&[mid]);
                    }
                }
                (_, Disposition::Retry) => {
                    // Throttled: the rest would be too. Keep them together.
                    let d = self.defer_for(&e);
                    self.defer(&rest, d, report).await;
                    return Ok(());
                }
                (_, Disposition::MayHaveBeenDelivered) => {
                    // Same outTrackId next time: DingTalk creates the card at most once.
                    let mut d = self.defer_for(&e);
                    d.counted = true;
                    self.defer(&[&t.r], d, report).await;
                }
                (kind, Disposition::Permanent) if is_app_level(kind) => {
                    self.fail(&rest, &problem_of(&e), report).await;
                    return Ok(());
                }
                (_, Disposition::Permanent) => self.fail(&[&t.r], &problem_of(&e), report).await,
            }
        }
        Ok(())
    }

    /// Drop cached userids; a cache write, so a failure (a locked database) is only logged:
    /// the next refusal clears them again.
    fn forget_userids(&mut self, member_ids: &[i64]) {
        if let Err(e) = self.store.clear_userids(member_ids) {
            tracing::warn!("could not forget cached DingTalk userids: {e}");
        }
    }

    pub(super) fn called(&self, api: &'static str, started: Instant, ok: bool) {
        self.emit(super::WorkerEvent::Call {
            api,
            elapsed: started.elapsed(),
            ok,
        });
    }

    pub(super) fn resend_ambiguous(&self) -> bool {
        matches!(
            self.store
                .setting(RESEND_AMBIGUOUS)
                .ok()
                .flatten()
                .as_deref(),
            Some("on")
        )
    }

    /// How to put back a group after a retryable error. An IP ban also holds every call.
    fn defer_for(&mut self, e: &DingTalkError) -> Defer {
        if e.kind == ErrorKind::IpBanned {
            let wait = e.retry_after().unwrap_or(Duration::from_secs(300));
            self.hold_until = Some(Instant::now() + wait);
            tracing::warn!(
                wait_s = wait.as_secs(),
                "DingTalk banned this IP; no calls until the ban ends"
            );
        }
        Defer {
            problem: problem_of(e),
            at_least: e.retry_after(),
            counted: !is_throttle(e),
            now: false,
            ambiguous: e.disposition() == Disposition::MayHaveBeenDelivered,
        }
    }

    /// Put back what is waiting for the IP ban to end.
    fn hold_defer(&self) -> Defer {
        let left = self
            .hold_until
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or_default();
        Defer {
            problem: Problem::new(
                "ip-ban",
                "waiting for DingTalk's IP ban on this server to end",
            ),
            at_least: Some(left),
            counted: false,
            now: false,
            ambiguous: false,
        }
    }

    /// DingTalk's flow control skipped this receiver: try again in minutes, growing.
    fn flow_control_defer(&self, r: &Recipient) -> Defer {
        let base = self.opts.flow_control_delay;
        let wait = backoff(r.deferrals + 1, base, base.saturating_mul(8));
        Defer {
            problem: Problem::new(
                "flowControlledStaffIdList",
                format!(
                    "DingTalk's flow control skipped this receiver (too many messages to them recently); trying again in about {} min",
                    wait.as_secs().div_ceil(60)
                ),
            ),
            at_least: Some(wait),
            counted: false,
            now: false,
            ambiguous: false,
        }
    }

    /// Back to pending, all at one time (the group comes back as one call), or failed when the
    /// attempts or the deferral time are used up.
    pub(super) async fn defer(&mut self, group: &[&Recipient], d: Defer, report: &mut DrainReport) {
        if group.is_empty() {
            return;
        }
        let now = self.now_ms();
        let give_up_ms = self.opts.give_up_deferred_after.as_millis() as i64;
        let (done, keep): (Vec<&Recipient>, Vec<&Recipient>) = group.iter().partition(|r| {
            if d.counted {
                r.attempts >= self.opts.max_attempts
            } else {
                !d.now && now - r.since * 1000 > give_up_ms
            }
        });
        if !done.is_empty() {
            let why = if d.counted {
                format!("gave up after {} attempts", self.opts.max_attempts)
            } else {
                format!(
                    "gave up after deferring for more than {} h",
                    self.opts.give_up_deferred_after.as_secs() / 3600
                )
            };
            let p = Problem {
                error: format!("{why}: {}", d.problem.error),
                ..d.problem.clone()
            };
            let status = if d.ambiguous {
                DeliveryStatus::Unknown
            } else {
                DeliveryStatus::Failed
            };
            self.finish(&done, status, &p, report).await;
        }
        if keep.is_empty() {
            return;
        }
        let wait = if d.now {
            Duration::ZERO
        } else {
            let n = keep
                .iter()
                .map(|r| {
                    if d.counted {
                        r.attempts
                    } else {
                        r.deferrals + 1
                    }
                })
                .max()
                .unwrap_or(1);
            // DingTalk's own wait is a floor, not subject to our cap.
            backoff(n, self.opts.backoff_base, self.opts.backoff_cap)
                .max(d.at_least.unwrap_or_default())
        };
        let mark = RetryMark {
            code: d.problem.code.clone(),
            error: d.problem.error.clone(),
            request_id: d.problem.request_id.clone(),
            next_at_ms: now + wait.as_millis() as i64,
            counted: d.counted,
        };
        let owner = self.owner.clone();
        let ids = ids(&keep);
        self.persist(|s| s.mark_retry(&owner, &ids, &mark)).await;
        report.deferred += keep.len();
        self.emit(super::WorkerEvent::Deferred(keep.len()));
    }

    pub(super) async fn fail(
        &mut self,
        group: &[&Recipient],
        p: &Problem,
        report: &mut DrainReport,
    ) {
        self.finish(group, DeliveryStatus::Failed, p, report).await;
    }

    pub(super) async fn finish(
        &mut self,
        group: &[&Recipient],
        status: DeliveryStatus,
        p: &Problem,
        report: &mut DrainReport,
    ) {
        if group.is_empty() {
            return;
        }
        let owner = self.owner.clone();
        let ids = ids(group);
        self.persist(|s| s.mark_done(&owner, &ids, status, p)).await;
        self.emit(super::WorkerEvent::Failed(group.len()));
        match status {
            DeliveryStatus::Unknown => report.unknown += group.len(),
            _ => report.failed += group.len(),
        }
    }
}
