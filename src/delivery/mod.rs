//! Delivery: drains the outbox to DingTalk. Batches up to 20 recipients of one event per
//! batchSend call (or one card per recipient when the channel has a Template ID), paces
//! calls, retries what DingTalk proves was not sent, never retries permanent rejections, and
//! never resends on its own what may have been delivered.
//!
//! Any number of workers may share one database: each claims deliveries under its own owner
//! id with a lease (see `store::outbox`). A database locked by another process is a reason to
//! wait, never to stop; the write that records an accepted send is retried until it lands.

mod batch;
mod channels;
mod limiter;
mod personal;
pub mod template;
mod test_message;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

pub use channels::{PersonalClients, PersonalEndpoints};
pub use limiter::{Limiter, backoff};
pub use template::Language;
pub use test_message::{
    personal_test_message, send_personal_test, send_test_message, test_content,
};

use crate::dingtalk::{Client, MAX_BATCH_USER_IDS};
use crate::store::{DeliveryCounts, Store, StoreError};

/// Settings key: resend a send whose outcome is unknown (a possible duplicate) instead of
/// marking it "may have been delivered" (a possible gap). Off by default: sends count against
/// the organisation's monthly DingTalk quota, and duplicates annoy.
pub const RESEND_AMBIGUOUS: &str = "delivery.resend_ambiguous";

#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Calls per second per DingTalk API (DingTalk's standard limit is 20).
    pub rate_per_sec: f64,
    /// Recipients per batchSend call (DingTalk allows 20).
    pub batch_size: usize,
    /// Attempts before a transient failure is given up (throttling does not count).
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long a claim holds without renewal; renewed before every DingTalk call.
    pub lease: Duration,
    /// First wait for receivers DingTalk's flow control skipped; doubles per deferral, up to
    /// 8× this.
    pub flow_control_delay: Duration,
    /// A delivery that keeps being deferred (throttling, flow control, IP ban) fails only once
    /// it is this old.
    pub give_up_deferred_after: Duration,
    /// The time retries and leases are computed from.
    pub clock: Clock,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            rate_per_sec: 20.0,
            batch_size: MAX_BATCH_USER_IDS,
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            lease: Duration::from_secs(60),
            flow_control_delay: Duration::from_secs(5 * 60),
            give_up_deferred_after: Duration::from_secs(24 * 3600),
            clock: Clock::default(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub failed: usize,
    /// Deliveries put back for a later attempt.
    pub deferred: usize,
    /// Deliveries whose outcome is unknown ("may have been delivered").
    pub unknown: usize,
    /// Deliveries found `sending` from a sender that died, now `unknown`.
    pub interrupted: usize,
    /// HTTP calls made to DingTalk (lookups and sends).
    pub calls: usize,
    pub elapsed: Duration,
}

impl DrainReport {
    fn add(&mut self, r: &DrainReport) {
        self.sent += r.sent;
        self.failed += r.failed;
        self.deferred += r.deferred;
        self.unknown += r.unknown;
        self.interrupted += r.interrupted;
        self.calls += r.calls;
    }
}

/// What a running worker tells whoever shows it (the TUI title bar, the worker's stderr).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerEvent {
    /// Outbox counts after a batch.
    Progress(DeliveryCounts),
    /// Another process holds the database lock; the worker waits and retries.
    DatabaseBusy,
    /// The lock is free again.
    DatabaseAvailable,
    /// Something else failed; the worker retries after a pause.
    Trouble(String),
    /// A DingTalk call finished (for latency metrics).
    Call {
        api: &'static str,
        elapsed: Duration,
        ok: bool,
    },
    /// Deliveries put back for a later attempt.
    Deferred(usize),
    /// Deliveries that ended failed or "may have been delivered".
    Failed(usize),
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeliveryError {
    pub fn is_busy(&self) -> bool {
        match self {
            DeliveryError::Store(e) => e.is_busy(),
        }
    }
}

/// Where the worker reads the time (unix milliseconds): the system clock, or one a test
/// moves by hand, so retry times can be checked without waiting for them.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// A clock that reads `ms` (set it to move time).
    pub fn manual(ms: Arc<std::sync::atomic::AtomicI64>) -> Clock {
        Clock(Arc::new(move || ms.load(Ordering::SeqCst)))
    }

    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock(Arc::new(|| chrono::Utc::now().timestamp_millis()))
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now_ms())
    }
}

pub struct Worker {
    store: Store,
    client: Client,
    opts: WorkerOptions,
    sends: Limiter,
    lookups: Limiter,
    stop: Arc<AtomicBool>,
    events: Option<Box<dyn Fn(WorkerEvent) + Send>>,
    /// This worker's claim owner id.
    owner: String,
    /// No DingTalk call before this (an IP ban applies to every call from this host).
    hold_until: Option<Instant>,
    busy: bool,
    last_progress: Option<Instant>,
    /// Batches processed since counts were last reported.
    progress_owed: bool,
    /// This database's installation id (for card `outTrackId`s), read once.
    installation: Option<String>,
    /// WeCom, Feishu and Lark clients.
    personal: PersonalClients,
    /// Send pacing per platform.
    personal_sends: std::collections::HashMap<crate::domain::ChannelKind, Limiter>,
}

impl Worker {
    /// A worker on its own connection. Several may run on one database.
    pub fn new(store: Store, client: Client, opts: WorkerOptions) -> Result<Worker, DeliveryError> {
        Ok(Worker {
            sends: Limiter::per_second(opts.rate_per_sec),
            lookups: Limiter::per_second(opts.rate_per_sec),
            store,
            client,
            opts,
            stop: Arc::new(AtomicBool::new(false)),
            events: None,
            owner: crate::store::owner::new_owner_id(),
            hold_until: None,
            busy: false,
            last_progress: None,
            progress_owed: false,
            installation: None,
            personal: PersonalClients::default(),
            personal_sends: Default::default(),
        })
    }

    /// Use these WeCom, Feishu and Lark clients (tests point them at local fakes).
    pub fn with_personal(mut self, clients: PersonalClients) -> Worker {
        self.personal = clients;
        self
    }

    /// Called with progress and trouble (the TUI shows them).
    pub fn on_event(&mut self, f: impl Fn(WorkerEvent) + Send + 'static) {
        self.events = Some(Box::new(f));
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

    /// This worker's claim owner id (`<host>/<pid>/<random>`).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn now_ms(&self) -> i64 {
        self.opts.clock.now_ms()
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn emit(&self, e: WorkerEvent) {
        if let Some(f) = &self.events {
            f(e);
        }
    }

    fn set_busy(&mut self, busy: bool) {
        if busy != self.busy {
            self.busy = busy;
            if busy {
                tracing::warn!("database busy: another process holds the lock; waiting");
                self.emit(WorkerEvent::DatabaseBusy);
            } else {
                tracing::info!("database available again");
                self.emit(WorkerEvent::DatabaseAvailable);
            }
        }
    }

    /// Outbox counts for whoever shows them, at most every 250 ms (counting scans the whole
    /// history), and once when a round ends.
    fn progress(&mut self, end_of_round: bool) {
        if self.events.is_none() {
            return;
        }
        if !end_of_round {
            self.progress_owed = true;
        }
        let due = self
            .last_progress
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(250));
        if self.progress_owed && (due || end_of_round) {
            if let Ok(counts) = self.store.delivery_counts() {
                self.emit(WorkerEvent::Progress(counts));
            }
            self.last_progress = Some(Instant::now());
            self.progress_owed = false;
        }
    }

    fn held(&self) -> bool {
        self.hold_until.is_some_and(|t| t > Instant::now())
    }

    /// Send everything that is ready now; deliveries waiting for a retry stay pending.
    pub async fn drain_ready(&mut self) -> Result<DrainReport, DeliveryError> {
        let started = Instant::now();
        let mut report = DrainReport::default();
        let n = self.store.recover_interrupted(self.now_ms())?;
        if n > 0 {
            tracing::warn!(
                n,
                "deliveries interrupted by a sender that stopped mid-call marked \"may have been delivered\""
            );
            report.interrupted += n;
        }
        while !self.stopping() && !self.held() {
            let now = self.now_ms();
            let lease_until = now + self.opts.lease.as_millis() as i64;
            let Some(batch) =
                self.store
                    .claim_batch(&self.owner, now, lease_until, self.opts.batch_size)?
            else {
                break;
            };
            self.set_busy(false);
            if batch.channel == crate::domain::ChannelKind::DingTalk {
                self.process(batch, &mut report).await?;
            } else {
                self.process_other(batch, &mut report).await?;
            }
            self.progress(false);
        }
        self.progress(true);
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// How long to sleep before looking again: until the next retry falls due or the hold
    /// ends, at most `max`.
    fn idle(&self, max: Duration) -> Result<Duration, DeliveryError> {
        let due = match self.store.next_due(&self.owner, self.now_ms())? {
            Some(due) => Duration::from_millis((due - self.now_ms()).max(0) as u64),
            None => max,
        };
        let hold = self
            .hold_until
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or_default();
        Ok(due.max(hold).min(max))
    }

    /// Wait after a failed round: a busy database is reported and retried soon, anything
    /// else is reported and retried with a growing pause. Never gives up.
    async fn pause_after(&mut self, e: DeliveryError, failures: &mut u32, wake: Option<&Notify>) {
        *failures += 1;
        let wait = if e.is_busy() {
            self.set_busy(true);
            backoff(
                *failures,
                Duration::from_millis(100),
                Duration::from_secs(2),
            )
        } else {
            tracing::error!("delivery round failed: {e}");
            self.emit(WorkerEvent::Trouble(e.to_string()));
            backoff(*failures, Duration::from_secs(1), Duration::from_secs(30))
        };
        match wake {
            Some(w) => {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = w.notified() => {}
                }
            }
            None => tokio::time::sleep(wait).await,
        }
    }

    /// Drain until nothing is pending, waiting for retries that fall due (for `deliver`).
    pub async fn drain_once(&mut self) -> Result<DrainReport, DeliveryError> {
        let started = Instant::now();
        let mut total = DrainReport::default();
        let mut failures = 0;
        while !self.stopping() {
            match self.drain_ready().await {
                Ok(r) => {
                    failures = 0;
                    total.add(&r);
                }
                Err(e) => {
                    self.pause_after(e, &mut failures, None).await;
                    continue;
                }
            }
            match self
                .store
                .next_due(&self.owner, self.now_ms())
                .map(|due| (due, self.idle(Duration::from_secs(24 * 3600))))
            {
                Ok((Some(_), Ok(wait))) => tokio::time::sleep(wait).await,
                Ok((None, _)) => break,
                Ok((Some(_), Err(e))) => self.pause_after(e, &mut failures, None).await,
                Err(e) => self.pause_after(e.into(), &mut failures, None).await,
            }
        }
        let _ = self.store.release_claims(&self.owner);
        total.elapsed = started.elapsed();
        Ok(total)
    }

    /// Keep draining until `stop_flag` is set; `wake` makes it look at once (new events).
    /// Errors (a locked database above all) are waited out, never fatal.
    pub async fn run(&mut self, wake: Arc<Notify>) -> Result<(), DeliveryError> {
        let mut failures = 0;
        while !self.stopping() {
            match self.drain_ready().await {
                Ok(r) => {
                    failures = 0;
                    if r.sent + r.failed + r.unknown > 0 {
                        tracing::info!(
                            sent = r.sent,
                            failed = r.failed,
                            unknown = r.unknown,
                            deferred = r.deferred,
                            "delivered"
                        );
                    }
                }
                Err(e) => {
                    self.pause_after(e, &mut failures, Some(&wake)).await;
                    continue;
                }
            }
            let idle = match self.idle(Duration::from_secs(60)) {
                Ok(d) => d,
                Err(e) => {
                    self.pause_after(e, &mut failures, Some(&wake)).await;
                    continue;
                }
            };
            self.wait_for_work(idle, &wake).await;
        }
        if let Err(e) = self.store.release_claims(&self.owner) {
            tracing::warn!("could not release claims on stop (they expire on their own): {e}");
        }
        Ok(())
    }

    /// Sleep until `idle` has passed, `wake` is notified (an event enqueued in this process),
    /// or another process commits to the database. The last is noticed by watching SQLite's
    /// `data_version` every few milliseconds: it works for any number of workers and writers,
    /// needs no socket or file beside the database, and costs one in-memory check per tick
    /// (the WAL index is in shared memory); our own commits do not change it.
    async fn wait_for_work(&mut self, idle: Duration, wake: &Notify) {
        const TICK: Duration = Duration::from_millis(5);
        let deadline = Instant::now() + idle;
        let seen = self.store.data_version().ok();
        loop {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK.min(deadline - now)) => {}
                _ = wake.notified() => return,
            }
            if self.stopping() {
                return;
            }
            match self.store.data_version() {
                Ok(v) if Some(v) != seen => return,
                Ok(_) => {}
                // A lock or an error: let the main loop deal with it.
                Err(_) => return,
            }
        }
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

    /// Write an outcome that must not be lost (DingTalk already answered): retried until it
    /// succeeds while the database is busy; other errors are retried until the worker is
    /// asked to stop (the deliveries then stay `sending` and are recovered as "may have been
    /// delivered" — never resent).
    async fn persist(&mut self, mut write: impl FnMut(&mut Store) -> Result<(), StoreError>) {
        let mut failures = 0;
        loop {
            match write(&mut self.store) {
                Ok(()) => {
                    self.set_busy(false);
                    return;
                }
                Err(e) if e.is_busy() => self.set_busy(true),
                Err(e) => {
                    tracing::error!("could not record a delivery outcome, retrying: {e}");
                    self.emit(WorkerEvent::Trouble(e.to_string()));
                    if self.stopping() {
                        return;
                    }
                }
            }
            failures += 1;
            tokio::time::sleep(backoff(
                failures,
                Duration::from_millis(50),
                Duration::from_secs(2),
            ))
            .await;
        }
    }
}
