//! One claimed batch on a WeCom, Feishu or Lark channel: resolve each member by the channel's
//! source column (cached per member and app, not-found answers too), send in groups of the
//! platform's size, and record each receiver's outcome.
//!
//! The outcome rules are DingTalk's (see `batch.rs`), through the platform-neutral
//! [`Disposition`]: accepted and not refused → `sent`; refused in an accepted answer
//! (WeCom `invaliduser`) → `failed`, never `sent`; retryable → back to `pending` as one group;
//! maybe sent → retried only when the platform deduplicates resends (Feishu `uuid`, WeCom
//! duplicate check), otherwise `unknown`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::batch::{Defer, ids};
use super::{DeliveryError, DrainReport, Worker, template};
use crate::domain::{ChannelConfig, ChannelKind, Mobile, SourceColumn};
use crate::personal::{
    ChannelError, Credentials, Disposition, ErrorKind, LookupKey, Message, PersonalChannel,
    Resolution,
};
use crate::store::{ChannelId, ClaimedBatch, DeliveryStatus, Problem, Recipient};

/// How long a "not found" answer is believed. WeCom blocks an app for a day when too many
/// lookups fail, so a member who is not there is not asked about again for an hour.
pub const NOT_FOUND_TTL: Duration = Duration::from_secs(3600);

/// Code prefix of a delivery put back after a send that may have been delivered.
const MAYBE_DELIVERED: &str = "maybe-delivered:";

/// WeCom also drops more than 1,000 messages an hour to one member.
const PER_RECEIVER_PER_HOUR: usize = 1000;

/// How the rest of a batch goes on after one group's send.
enum GroupEnd {
    Next,
    /// The app itself failed (credentials, permission, IP list): the rest cannot go.
    AppFailed,
    /// The platform as a whole asked to wait: the rest waits too.
    AppWait(Defer),
}

/// A refusal of a cached (not freshly looked-up) id that a new lookup may fix.
fn is_stale(e: &ChannelError, t: &Target) -> bool {
    !t.fresh && matches!(e.kind, ErrorKind::NotFound | ErrorKind::ReceiverRefused)
}

/// Back at once, without spending an attempt, to look the receivers up again.
fn look_again(e: &ChannelError) -> Defer {
    Defer {
        problem: Problem {
            error: format!("{e} — looking the receiver up again"),
            ..problem_of(e)
        },
        at_least: None,
        counted: false,
        now: true,
        ambiguous: false,
    }
}

/// Retryable problems of the platform or the app, not of one receiver: the rest of the batch
/// would meet them too. (Feishu 230020 is one receiver's rate.)
fn is_app_wide_wait(e: &ChannelError) -> bool {
    e.disposition == Disposition::Retry
        && e.code != "230020"
        && matches!(
            e.kind,
            ErrorKind::Throttled
                | ErrorKind::Unreachable
                | ErrorKind::Server
                | ErrorKind::TokenInvalid
        )
}

/// A receiver with a platform id. `fresh` = looked up in this batch (not from the cache).
#[derive(Clone, Debug)]
struct Target {
    r: Recipient,
    id: String,
    fresh: bool,
}

fn problem_of(e: &ChannelError) -> Problem {
    Problem {
        code: e.code.clone(),
        error: e.to_string(),
        request_id: e.request_id.clone(),
    }
}

/// The value a member is looked up by, or why they cannot be.
fn lookup_key(column: SourceColumn, r: &Recipient) -> Result<LookupKey, Problem> {
    match column {
        SourceColumn::Phone => {
            let phone = r.phone.as_deref().unwrap_or_default();
            Mobile::parse(phone)
                .map(LookupKey::Phone)
                .map_err(|e| Problem::new("invalid_phone", e.to_string()))
        }
        SourceColumn::Email => match r.email.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => Ok(LookupKey::Email(e.to_string())),
            _ => Err(Problem::new(
                "no_email",
                format!(
                    "member {:?} has no email, and this channel finds members by Email. Fix: add the email with `notifydesk member edit` (or on the Members tab), or choose another Source Column",
                    r.login
                ),
            )),
        },
        SourceColumn::Login => Ok(LookupKey::Login(r.login.clone())),
    }
}

fn not_found(kind: ChannelKind, key: &LookupKey, cached_at: Option<i64>) -> Problem {
    let (column, value) = match key {
        LookupKey::Phone(m) => ("phone", m.masked()),
        LookupKey::Email(e) => ("email", e.clone()),
        LookupKey::Login(l) => ("login name", l.clone()),
    };
    let when = cached_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| {
            format!(
                " (answer from {} UTC, asked again after an hour)",
                t.format("%H:%M")
            )
        })
        .unwrap_or_default();
    Problem::new(
        "not_found",
        format!(
            "{} found no member with {column} {value}, or the app cannot see them{when}. Fix: check the member's {column} in the platform's directory and that they are inside the app's visibility / availability scope",
            kind.platform()
        ),
    )
}

impl Worker {
    /// Deliver `batch` on `config`'s channel through `client`.
    pub(super) async fn process_personal<C: PersonalChannel>(
        &mut self,
        client: Arc<C>,
        config: ChannelConfig,
        batch: ClaimedBatch,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        let creds = Credentials {
            app_id: config.app_id.clone(),
            secret: config.secret.clone(),
            agent_id: config.agent_id,
        };
        let Some(targets) = self
            .resolve_personal(
                &*client,
                &creds,
                config.source_column,
                &batch.recipients,
                report,
            )
            .await?
        else {
            return Ok(());
        };
        if targets.is_empty() {
            return Ok(());
        }
        let (title, markdown) = template::render(
            self.language(),
            &batch.type_code,
            &batch.node_code,
            &batch.title,
            &batch.text,
            batch.link.as_deref(),
        );
        let installation = self.installation_id()?;
        let per_send = client.limits().receivers_per_send.max(1);
        let mut rest = targets;
        while !rest.is_empty() {
            let group: Vec<Target> = rest.drain(..per_send.min(rest.len())).collect();
            // One receiver per call (Feishu) gets its own key; a group shares the event's.
            let who = match group.as_slice() {
                [one] => one.r.login.clone(),
                _ => "group".into(),
            };
            let message = Message {
                title: title.clone(),
                markdown: markdown.clone(),
                text: markdown.clone(),
                link: batch.link.clone(),
                template_id: config.template_id.clone(),
                idempotency_key: format!(
                    "nd-{installation}-{}-{}-{who}-{}",
                    batch.event_id,
                    batch.channel.code(),
                    group.iter().map(|t| t.r.restarted_at).max().unwrap_or(0)
                ),
            };
            let end = self
                .send_group(&*client, &creds, &message, group, report)
                .await?;
            let left: Vec<&Recipient> = rest.iter().map(|t| &t.r).collect();
            match end {
                GroupEnd::Next => {}
                GroupEnd::AppFailed => {
                    let p = Problem::new(
                        "app_error",
                        format!(
                            "not sent: the {} app failed for another receiver of this event (see its delivery)",
                            batch.channel.platform()
                        ),
                    );
                    self.fail(&left, &p, report).await;
                    return Ok(());
                }
                // The platform as a whole asked to wait (throttling, an outage): the rest of
                // the batch waits with the group, as one, without spending an attempt.
                GroupEnd::AppWait(mut d) => {
                    d.counted = false;
                    d.ambiguous = false;
                    self.defer(&left, d, report).await;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Platform ids for the batch's receivers. Receivers that cannot be reached are failed
    /// here; `None` when the whole batch was put back or failed.
    async fn resolve_personal<C: PersonalChannel>(
        &mut self,
        client: &C,
        creds: &Credentials,
        column: SourceColumn,
        recipients: &[Recipient],
        report: &mut DrainReport,
    ) -> Result<Option<Vec<Target>>, DeliveryError> {
        let kind = client.kind();
        let now_s = self.now_ms() / 1000;
        let mut targets = Vec::new();
        let mut wanted: Vec<(Recipient, LookupKey)> = Vec::new();
        for r in recipients {
            if r.member_id.is_none() {
                let p = Problem::new(
                    "unknown_member",
                    format!("no member has the login {:?}", r.login),
                );
                self.fail(&[r], &p, report).await;
                continue;
            }
            let key = match lookup_key(column, r) {
                Ok(k) => k,
                Err(p) => {
                    self.fail(&[r], &p, report).await;
                    continue;
                }
            };
            let cached = r
                .channel_id
                .as_ref()
                .filter(|c| c.app_id == creds.app_id && c.lookup_key == key.cache_key());
            match cached {
                Some(ChannelId {
                    user_id: Some(id), ..
                }) => targets.push(Target {
                    r: r.clone(),
                    id: id.clone(),
                    fresh: false,
                }),
                Some(ChannelId {
                    user_id: None,
                    resolved_at,
                    ..
                }) if now_s - resolved_at < NOT_FOUND_TTL.as_secs() as i64 => {
                    let p = not_found(kind, &key, Some(*resolved_at));
                    self.fail(&[r], &p, report).await;
                }
                _ => wanted.push((r.clone(), key)),
            }
        }
        let chunk = client.limits().keys_per_lookup.max(1);
        for (i, part) in wanted.chunks(chunk).enumerate() {
            // Everything not yet decided: resolved targets, this chunk and the ones after it.
            let open: Vec<&Recipient> = targets
                .iter()
                .map(|t: &Target| &t.r)
                .chain(wanted[i * chunk..].iter().map(|(r, _)| r))
                .collect();
            let _ = self
                .store
                .renew_lease(&self.owner, &ids(&open), self.claim_lease_until());
            self.lookups.acquire().await;
            report.calls += 1;
            let keys: Vec<LookupKey> = part.iter().map(|(_, k)| k.clone()).collect();
            let started = Instant::now();
            let answer = client.resolve(creds, &keys).await;
            self.called("lookup", started, answer.is_ok());
            match answer {
                Ok(found) => {
                    for ((r, key), res) in part.iter().zip(found) {
                        let user_id = match &res {
                            Resolution::Found(id) => Some(id.clone()),
                            Resolution::NotFound => None,
                        };
                        let cache = ChannelId {
                            app_id: creds.app_id.clone(),
                            lookup_key: key.cache_key(),
                            user_id: user_id.clone(),
                            resolved_at: now_s,
                        };
                        if let Some(m) = r.member_id
                            && let Err(e) = self.store.set_channel_id(m, kind, &cache)
                        {
                            tracing::warn!("could not cache a {} id: {e}", kind.platform());
                        }
                        match user_id {
                            Some(id) => targets.push(Target {
                                r: r.clone(),
                                id,
                                fresh: true,
                            }),
                            None => self.fail(&[r], &not_found(kind, key, None), report).await,
                        }
                    }
                }
                // A member-level refusal of a one-key lookup (WeCom 60011: outside visibility):
                // remembered like "not found", so the member is not asked about again for an
                // hour (WeCom blocks apps whose lookups fail too often).
                Err(e)
                    if part.len() == 1
                        && !e.is_app_level()
                        && e.disposition == Disposition::Permanent =>
                {
                    let (r, key) = &part[0];
                    if let Some(m) = r.member_id {
                        let cache = ChannelId {
                            app_id: creds.app_id.clone(),
                            lookup_key: key.cache_key(),
                            user_id: None,
                            resolved_at: now_s,
                        };
                        if let Err(e) = self.store.set_channel_id(m, kind, &cache) {
                            tracing::warn!("could not cache a {} answer: {e}", kind.platform());
                        }
                    }
                    self.fail(&[r], &problem_of(&e), report).await;
                }
                Err(e) if e.disposition == Disposition::Permanent => {
                    self.fail(&open, &problem_of(&e), report).await;
                    return Ok(None);
                }
                Err(e) => {
                    // A lookup changes nothing on the platform: always safe to repeat.
                    let d = self.personal_defer(&e, false);
                    self.defer(&open, d, report).await;
                    return Ok(None);
                }
            }
        }
        Ok(Some(targets))
    }

    /// Whether a send that may have been delivered can still be resent under the platform's
    /// duplicate protection; past its window a resend could arrive twice.
    fn dedup_expired(&self, r: &Recipient, window: Option<Duration>) -> bool {
        let ambiguous = r
            .last_code
            .as_deref()
            .is_some_and(|c| c == "interrupted" || c.starts_with(MAYBE_DELIVERED));
        let age = Duration::from_secs((self.now_ms() / 1000 - r.since).max(0) as u64);
        ambiguous && window.is_none_or(|w| age > w)
    }

    /// How long until `t` may get one more message on a platform that drops messages over a
    /// per-member rate silently, from what the database says was sent to them by any worker
    /// (this one, others, earlier `deliver` runs). The client paces its own calls too.
    fn receiver_wait(&self, kind: ChannelKind, t: &Target, per_minute: u32) -> Duration {
        let now_s = self.now_ms() / 1000;
        let sent = |since: i64| {
            self.store
                .recent_sends(kind, &t.r.login, since)
                .unwrap_or(0)
        };
        if sent(now_s - 60) >= per_minute as usize {
            Duration::from_secs(60)
        } else if sent(now_s - 3600) >= PER_RECEIVER_PER_HOUR {
            Duration::from_secs(600)
        } else {
            Duration::ZERO
        }
    }

    /// Send one group and say how the rest of the batch goes on.
    async fn send_group<C: PersonalChannel>(
        &mut self,
        client: &C,
        creds: &Credentials,
        message: &Message,
        mut group: Vec<Target>,
        report: &mut DrainReport,
    ) -> Result<GroupEnd, DeliveryError> {
        let kind = client.kind();
        let limits = client.limits();
        // Maybe delivered, and the platform's duplicate protection has lapsed since: a resend
        // could arrive twice, so a person decides.
        let (expired, keep): (Vec<Target>, Vec<Target>) = group
            .into_iter()
            .partition(|t| self.dedup_expired(&t.r, limits.dedup_window));
        group = keep;
        if !expired.is_empty() {
            let p = Problem::new(
                "unknown",
                format!(
                    "an earlier attempt may have been delivered and {}'s protection against resends has lapsed since, so it is not resent automatically; check with the receiver, then `notifydesk log --retry ID --force`",
                    kind.platform()
                ),
            );
            let all: Vec<&Recipient> = expired.iter().map(|t| &t.r).collect();
            self.finish(&all, DeliveryStatus::Unknown, &p, report).await;
        }
        // Over the platform's per-receiver rate the message would be dropped silently: wait.
        if let Some(per_minute) = limits.per_receiver_per_minute {
            let mut later = Vec::new();
            let mut ready = Vec::new();
            for t in group {
                let wait = self.receiver_wait(kind, &t, per_minute);
                if wait.is_zero() {
                    ready.push(t);
                } else {
                    later.push((t.r, wait));
                }
            }
            group = ready;
            for (r, wait) in later {
                let d = Defer {
                    problem: Problem::new(
                        "receiver_rate",
                        format!(
                            "{} drops messages over {per_minute} a minute (or {PER_RECEIVER_PER_HOUR} an hour) to one member; waiting {} s",
                            kind.platform(),
                            wait.as_secs().max(1)
                        ),
                    ),
                    at_least: Some(wait),
                    counted: false,
                    now: false,
                    ambiguous: false,
                };
                self.defer(&[&r], d, report).await;
            }
        }
        if group.is_empty() {
            return Ok(GroupEnd::Next);
        }
        self.personal_sends.entry(kind).or_insert_with(|| {
            super::Limiter::per_second(f64::from(limits.sends_per_second.max(1)))
        });
        if let Some(l) = self.personal_sends.get_mut(&kind) {
            l.acquire().await;
        }
        let wanted: Vec<i64> = group.iter().map(|t| t.r.delivery_id).collect();
        // A token fetch, the call, a token refresh and the retried call, plus a margin.
        let call = self.client.options().timeout.as_millis() as i64;
        let lease = self.now_ms() + 4 * call + self.opts.lease.as_millis() as i64;
        let owned = self.store.mark_sending(&self.owner, &wanted, lease)?;
        group.retain(|t| owned.contains(&t.r.delivery_id));
        if group.is_empty() {
            return Ok(GroupEnd::Next);
        }
        let receivers: Vec<String> = group.iter().map(|t| t.id.clone()).collect();
        report.calls += 1;
        let started = Instant::now();
        let result = client.send(creds, &receivers, message).await;
        self.called("send", started, result.is_ok());
        let all: Vec<&Recipient> = group.iter().map(|t| &t.r).collect();
        match result {
            Ok(sent) => {
                let refused = |t: &Target| {
                    sent.rejected
                        .iter()
                        .find(|(id, _)| id.eq_ignore_ascii_case(&t.id))
                        .map(|(_, e)| e.clone())
                };
                let delivered: Vec<i64> = group
                    .iter()
                    .filter(|t| refused(t).is_none())
                    .map(|t| t.r.delivery_id)
                    .collect();
                let key = sent.message_id.clone().unwrap_or_default();
                let owner = self.owner.clone();
                self.persist(|s| s.mark_sent(&owner, &delivered, &key))
                    .await;
                report.sent += delivered.len();
                for t in &group {
                    let Some(e) = refused(t) else { continue };
                    let members: Vec<i64> = t.r.member_id.into_iter().collect();
                    if e.disposition == Disposition::Retry {
                        let d = self.personal_defer(&e, false);
                        self.defer(&[&t.r], d, report).await;
                    } else if is_stale(&e, t) {
                        // A cached id the platform no longer takes: nothing was sent to it;
                        // look the member up once more.
                        self.forget_channel_ids(kind, &members);
                        self.defer(&[&t.r], look_again(&e), report).await;
                    } else {
                        self.forget_channel_ids(kind, &members);
                        self.fail(&[&t.r], &problem_of(&e), report).await;
                    }
                }
                Ok(GroupEnd::Next)
            }
            Err(e) => {
                self.personal_send_failed(kind, limits.idempotent_send, &group, &all, e, report)
                    .await
            }
        }
    }

    async fn personal_send_failed(
        &mut self,
        kind: ChannelKind,
        idempotent: bool,
        group: &[Target],
        all: &[&Recipient],
        e: ChannelError,
        report: &mut DrainReport,
    ) -> Result<GroupEnd, DeliveryError> {
        let members: Vec<i64> = group.iter().filter_map(|t| t.r.member_id).collect();
        match e.disposition {
            // The platform no longer takes a cached id (another app's open_id, a renamed or
            // deleted user): nothing was sent; look them up again once.
            Disposition::Permanent if group.iter().any(|t| is_stale(&e, t)) => {
                self.forget_channel_ids(kind, &members);
                self.defer(all, look_again(&e), report).await;
                Ok(GroupEnd::Next)
            }
            Disposition::Permanent => {
                if matches!(e.kind, ErrorKind::NotFound | ErrorKind::ReceiverRefused) {
                    self.forget_channel_ids(kind, &members);
                }
                self.fail(all, &problem_of(&e), report).await;
                Ok(if e.is_app_level() {
                    GroupEnd::AppFailed
                } else {
                    GroupEnd::Next
                })
            }
            Disposition::Retry => {
                let d = self.personal_defer(&e, false);
                self.defer(all, d, report).await;
                Ok(if is_app_wide_wait(&e) {
                    GroupEnd::AppWait(self.personal_defer(&e, false))
                } else {
                    GroupEnd::Next
                })
            }
            Disposition::MayHaveBeenDelivered if idempotent || self.resend_ambiguous() => {
                // The platform drops a resend of the same message, so retrying cannot
                // duplicate it (within its window, checked before the resend); giving up
                // still says "may have been delivered".
                let d = self.personal_defer(&e, true);
                self.defer(all, d, report).await;
                Ok(GroupEnd::Next)
            }
            Disposition::MayHaveBeenDelivered => {
                let p = Problem {
                    error: format!(
                        "{e} — the message may have been delivered, so it is not resent automatically; check with the receiver, then `notifydesk log --retry ID --force`"
                    ),
                    ..problem_of(&e)
                };
                self.finish(all, DeliveryStatus::Unknown, &p, report).await;
                Ok(GroupEnd::Next)
            }
        }
    }

    fn personal_defer(&self, e: &ChannelError, ambiguous: bool) -> Defer {
        let mut problem = problem_of(e);
        if ambiguous {
            // Marked, so the resend checks the platform's duplicate window first.
            problem.code = format!("{MAYBE_DELIVERED}{}", problem.code);
        }
        Defer {
            problem,
            at_least: e.retry_after,
            counted: e.kind != ErrorKind::Throttled,
            now: false,
            ambiguous,
        }
    }

    /// Drop cached platform ids; a cache write, so a failure is only logged.
    fn forget_channel_ids(&mut self, kind: ChannelKind, member_ids: &[i64]) {
        if member_ids.is_empty() {
            return;
        }
        if let Err(e) = self.store.clear_channel_ids(kind, member_ids) {
            tracing::warn!("could not forget cached {} ids: {e}", kind.platform());
        }
    }
}
