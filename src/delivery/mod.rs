//! Delivery: drains the outbox to DingTalk. Batches up to 20 recipients of one event per
//! batchSend call, paces calls, retries transient failures with backoff, never retries
//! permanent ones, and never resends a batch whose outcome is unknown.

mod limiter;
pub mod template;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

pub use limiter::{Limiter, backoff};
pub use template::Language;

use crate::dingtalk::{Client, Credentials, ErrorKind, MAX_BATCH_USER_IDS};
use crate::domain::Mobile;
use crate::store::{ClaimedBatch, DeliveryCounts, Recipient, Store, StoreError};

#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Calls per second per DingTalk API (DingTalk's standard limit is 20).
    pub rate_per_sec: f64,
    /// Recipients per batchSend call (DingTalk allows 20).
    pub batch_size: usize,
    /// Attempts before a transient failure is given up.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            rate_per_sec: 20.0,
            batch_size: MAX_BATCH_USER_IDS,
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub failed: usize,
    /// Deliveries put back for a later attempt.
    pub deferred: usize,
    /// Deliveries found `sending` from a run that died, now failed as `interrupted`.
    pub interrupted: usize,
    /// HTTP calls made to DingTalk (lookups and sends).
    pub calls: usize,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("another notifydesk is already delivering from {0} (only one sender per database)")]
    Busy(String),
    #[error("cannot lock {0}: {1}")]
    Lock(String, std::io::Error),
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One sender per database: an exclusive lock on `<db>.sender.lock`, held while it lives.
/// With it held, a delivery still `sending` can only come from a process that died.
pub struct SenderLock {
    _file: File,
}

impl SenderLock {
    pub fn acquire(db: &Path) -> Result<SenderLock, DeliveryError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".sender.lock");
        let path = std::path::PathBuf::from(name);
        let shown = path.display().to_string();
        let file = crate::logging::open_private_append(&path)
            .map_err(|e| DeliveryError::Lock(shown.clone(), e))?;
        match file.try_lock() {
            Ok(()) => Ok(SenderLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(DeliveryError::Busy(db.display().to_string()))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(DeliveryError::Lock(shown, e)),
        }
    }
}

pub struct Worker {
    store: Store,
    client: Client,
    opts: WorkerOptions,
    sends: Limiter,
    lookups: Limiter,
    stop: Arc<AtomicBool>,
    progress: Option<Box<dyn Fn(DeliveryCounts) + Send>>,
    _lock: Option<SenderLock>,
}

impl Worker {
    /// A worker on its own connection. Takes the database's sender lock and marks deliveries
    /// left `sending` by a dead process as `interrupted`.
    pub fn new(store: Store, client: Client, opts: WorkerOptions) -> Result<Worker, DeliveryError> {
        let lock = if store.path() == Path::new(":memory:") {
            None
        } else {
            Some(SenderLock::acquire(store.path())?)
        };
        let mut w = Worker {
            sends: Limiter::per_second(opts.rate_per_sec),
            lookups: Limiter::per_second(opts.rate_per_sec),
            store,
            client,
            opts,
            stop: Arc::new(AtomicBool::new(false)),
            progress: None,
            _lock: lock,
        };
        let n = w.store.recover_interrupted()?;
        if n > 0 {
            tracing::warn!(n, "deliveries interrupted by a previous run marked failed");
        }
        Ok(w)
    }

    /// Called with the outbox counts after every batch (the TUI shows progress with it).
    pub fn on_progress(&mut self, f: impl Fn(DeliveryCounts) + Send + 'static) {
        self.progress = Some(Box::new(f));
    }

    /// Setting this stops the worker between batches (never in the middle of a call).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Use a stop flag made by the caller (before the worker exists).
    pub fn with_stop_flag(mut self, stop: Arc<AtomicBool>) -> Worker {
        self.stop = stop;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Send everything that is ready now; deliveries waiting for a retry stay pending.
    pub async fn drain_ready(&mut self) -> Result<DrainReport, DeliveryError> {
        let started = Instant::now();
        let mut report = DrainReport::default();
        while !self.stop.load(Ordering::SeqCst) {
            let Some(batch) = self.store.claim_batch(now_ms(), self.opts.batch_size)? else {
                break;
            };
            self.process(batch, &mut report).await?;
            if let Some(p) = &self.progress {
                p(self.store.delivery_counts()?);
            }
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Drain until nothing is pending, waiting for retries that fall due (for `deliver`).
    pub async fn drain_once(&mut self) -> Result<DrainReport, DeliveryError> {
        let started = Instant::now();
        let mut total = DrainReport::default();
        loop {
            let r = self.drain_ready().await?;
            total.sent += r.sent;
            total.failed += r.failed;
            total.deferred += r.deferred;
            total.calls += r.calls;
            match self.store.next_due()? {
                Some(due) if !self.stop.load(Ordering::SeqCst) => {
                    let wait = (due - now_ms()).max(0) as u64;
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                _ => break,
            }
        }
        total.elapsed = started.elapsed();
        Ok(total)
    }

    /// Keep draining until `stop_flag` is set; `wake` makes it look at once (new events).
    pub async fn run(&mut self, wake: Arc<Notify>) -> Result<(), DeliveryError> {
        while !self.stop.load(Ordering::SeqCst) {
            let r = self.drain_ready().await?;
            if r.sent + r.failed > 0 {
                tracing::info!(
                    sent = r.sent,
                    failed = r.failed,
                    deferred = r.deferred,
                    "delivered"
                );
            }
            let idle = match self.store.next_due()? {
                Some(due) => Duration::from_millis((due - now_ms()).clamp(0, 1000) as u64),
                None => Duration::from_secs(1),
            };
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = wake.notified() => {}
            }
        }
        Ok(())
    }

    fn language(&self) -> Language {
        Language::from_setting(
            self.store
                .setting("message.language")
                .ok()
                .flatten()
                .as_deref(),
        )
    }

    async fn process(
        &mut self,
        batch: ClaimedBatch,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        let Some(config) = self.store.load_dingtalk()? else {
            let ids: Vec<i64> = batch.recipients.iter().map(|r| r.delivery_id).collect();
            self.store.mark_failed(
                &ids,
                "not_configured",
                "the DingTalk personal channel is not configured",
            )?;
            report.failed += ids.len();
            return Ok(());
        };
        let creds = Credentials::from(&config);
        // Phone → userid, cached on the member.
        let mut ready: Vec<(Recipient, String, bool)> = Vec::new();
        let mut pending: Vec<Recipient> = batch.recipients.clone();
        while let Some(r) = pending.first().cloned() {
            pending.remove(0);
            let (Some(member_id), Some(phone)) = (r.member_id, r.phone.clone()) else {
                self.store.mark_failed(
                    &[r.delivery_id],
                    "unknown_member",
                    &format!("no member has the login {:?}", r.login),
                )?;
                report.failed += 1;
                continue;
            };
            if let Some(u) = r.userid.clone() {
                ready.push((r, u, false));
                continue;
            }
            let mobile = match Mobile::parse(&phone) {
                Ok(m) => m,
                Err(e) => {
                    self.store
                        .mark_failed(&[r.delivery_id], "invalid_phone", &e.to_string())?;
                    report.failed += 1;
                    continue;
                }
            };
            self.lookups.acquire().await;
            report.calls += 1;
            match self.client.user_id_by_mobile(&creds, &mobile).await {
                Ok(u) => {
                    self.store
                        .set_member_userid(member_id, Some(&u), now_ms() / 1000)?;
                    ready.push((r, u, true));
                }
                Err(e) if matches!(e.kind, ErrorKind::UserNotFound | ErrorKind::InvalidMobile) => {
                    self.store
                        .set_member_userid(member_id, None, now_ms() / 1000)?;
                    self.store
                        .mark_failed(&[r.delivery_id], &e.code, &e.to_string())?;
                    report.failed += 1;
                }
                Err(e) if e.is_transient() => {
                    self.retry_or_fail(
                        std::slice::from_ref(&r),
                        &e.code,
                        &e.to_string(),
                        e.retry_after(),
                        report,
                    )?;
                }
                Err(e) => {
                    // Credentials, permission, IP allow-list…: nothing in this batch can go.
                    let mut ids = vec![r.delivery_id];
                    ids.extend(pending.iter().map(|p| p.delivery_id));
                    ids.extend(ready.iter().map(|(p, _, _)| p.delivery_id));
                    self.store.mark_failed(&ids, &e.code, &e.to_string())?;
                    report.failed += ids.len();
                    return Ok(());
                }
            }
        }
        if ready.is_empty() {
            return Ok(());
        }
        let (title, text) = template::render(
            self.language(),
            &batch.type_code,
            &batch.node_code,
            &batch.title,
            &batch.text,
            batch.link.as_deref(),
        );
        let user_ids: Vec<String> = ready.iter().map(|(_, u, _)| u.clone()).collect();
        self.sends.acquire().await;
        let ids: Vec<i64> = ready.iter().map(|(r, _, _)| r.delivery_id).collect();
        self.store.mark_sending(&ids)?;
        report.calls += 1;
        let result = self
            .client
            .send_markdown(&creds, &user_ids, &title, &text)
            .await;
        match result {
            Ok(sent) => {
                let is_in = |list: &[String], u: &str| list.iter().any(|x| x == u);
                let ok: Vec<i64> = ready
                    .iter()
                    .filter(|(_, u, _)| {
                        !is_in(&sent.invalid_user_ids, u)
                            && !is_in(&sent.flow_controlled_user_ids, u)
                    })
                    .map(|(r, _, _)| r.delivery_id)
                    .collect();
                // Recorded first, in one transaction with the processQueryKey.
                self.store.mark_sent(&ok, &sent.process_query_key)?;
                report.sent += ok.len();
                for (r, u, fresh) in &ready {
                    if is_in(&sent.invalid_user_ids, u) {
                        if let Some(mid) = r.member_id {
                            self.store.set_member_userid(mid, None, now_ms() / 1000)?;
                        }
                        if *fresh || r.attempts >= self.opts.max_attempts {
                            self.store.mark_failed(
                                &[r.delivery_id],
                                "invalid_user",
                                &format!("DingTalk refused the userid {u}: the member is inactive or outside the app's visibility scope. Fix: add them to the app's visibility scope in the DingTalk developer console"),
                            )?;
                            report.failed += 1;
                        } else {
                            // The cached userid may be stale: look it up again, once.
                            self.store.mark_retry(
                                &[r.delivery_id],
                                "invalid_user",
                                "cached userid refused; looking it up again",
                                now_ms(),
                            )?;
                            report.deferred += 1;
                        }
                    } else if is_in(&sent.flow_controlled_user_ids, u) {
                        self.retry_or_fail(
                            std::slice::from_ref(r),
                            "flow_controlled",
                            "DingTalk deferred this receiver (flow control)",
                            None,
                            report,
                        )?;
                    }
                }
            }
            Err(e) => {
                let recipients: Vec<Recipient> = ready.into_iter().map(|(r, _, _)| r).collect();
                let ids: Vec<i64> = recipients.iter().map(|r| r.delivery_id).collect();
                if e.may_have_been_delivered() {
                    self.store.mark_failed(
                        &ids,
                        &e.code,
                        &format!(
                            "{e} — the message may have been delivered; not resent automatically"
                        ),
                    )?;
                    report.failed += ids.len();
                } else if e.is_transient() {
                    self.retry_or_fail(
                        &recipients,
                        &e.code,
                        &e.to_string(),
                        e.retry_after(),
                        report,
                    )?;
                } else {
                    self.store.mark_failed(&ids, &e.code, &e.to_string())?;
                    report.failed += ids.len();
                }
            }
        }
        Ok(())
    }

    fn retry_or_fail(
        &mut self,
        recipients: &[Recipient],
        code: &str,
        message: &str,
        at_least: Option<Duration>,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        for r in recipients {
            if r.attempts >= self.opts.max_attempts {
                self.store.mark_failed(
                    &[r.delivery_id],
                    code,
                    &format!("gave up after {} attempts: {message}", r.attempts),
                )?;
                report.failed += 1;
            } else {
                let wait = backoff(r.attempts, self.opts.backoff_base, self.opts.backoff_cap)
                    .max(at_least.unwrap_or_default().min(self.opts.backoff_cap));
                self.store.mark_retry(
                    &[r.delivery_id],
                    code,
                    message,
                    now_ms() + wait.as_millis() as i64,
                )?;
                report.deferred += 1;
            }
        }
        Ok(())
    }
}
