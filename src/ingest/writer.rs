//! The ingest's database writer: one thread owns a connection and commits whatever requests
//! are waiting in ONE transaction (each request all-or-nothing), so 50 concurrent clients cost
//! a handful of fsyncs, not 50. A reply goes back only after the commit: durable before 202.

use std::path::PathBuf;

use tokio::sync::{mpsc, oneshot};

use crate::store::{DeliveryCounts, NewEvent, RequestOutcome, Store, StoreError};

/// What the HTTP handlers ask of the database.
enum Job {
    Enqueue(
        Vec<NewEvent>,
        oneshot::Sender<Result<RequestOutcome, String>>,
    ),
    Health(oneshot::Sender<Result<Health, String>>),
}

/// What `/healthz` and `/metrics` read.
#[derive(Clone, Debug)]
pub struct Health {
    pub counts: DeliveryCounts,
    /// The same per channel code (`none`: deliveries that never had a channel).
    pub by_channel: Vec<(&'static str, DeliveryCounts)>,
    /// Channel kind codes that are configured.
    pub configured: Vec<&'static str>,
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// Requests taken into one transaction at most (bounds the latency of the first one).
const MAX_GROUP: usize = 256;

impl Writer {
    /// Open `db` on a new thread. `committed` is called after each commit that stored events
    /// (it wakes the delivery worker).
    pub fn start(db: PathBuf, committed: impl Fn() + Send + 'static) -> Result<Writer, StoreError> {
        let store = Store::open(&db)?;
        let (tx, rx) = mpsc::channel::<Job>(1024);
        std::thread::Builder::new()
            .name("ingest-writer".into())
            .spawn(move || run(store, rx, committed))
            .map_err(|e| StoreError::Io {
                path: db,
                action: "start the ingest writer for",
                source: e,
            })?;
        Ok(Writer { jobs: tx })
    }

    /// Store one request's events; returns after the commit.
    pub async fn enqueue(&self, events: Vec<NewEvent>) -> Result<RequestOutcome, String> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Enqueue(events, tx))
            .await
            .map_err(|_| "the database writer stopped".to_string())?;
        rx.await
            .map_err(|_| "the database writer stopped".to_string())?
    }

    pub async fn health(&self) -> Result<Health, String> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Health(tx))
            .await
            .map_err(|_| "the database writer stopped".to_string())?;
        rx.await
            .map_err(|_| "the database writer stopped".to_string())?
    }
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Job>, committed: impl Fn()) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut requests = Vec::new();
        let mut replies = Vec::new();
        for job in batch {
            match job {
                Job::Enqueue(events, reply) => {
                    requests.push(events);
                    replies.push(reply);
                }
                Job::Health(reply) => {
                    let _ = reply.send(health(&store));
                }
            }
        }
        if requests.is_empty() {
            continue;
        }
        match store_all(&mut store, &requests) {
            Ok(outcomes) => {
                let stored = outcomes
                    .iter()
                    .any(|o| matches!(o, RequestOutcome::Stored(_)));
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
                if stored {
                    committed();
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// A locked database is waited for (briefly) before the clients are told it failed.
fn store_all(
    store: &mut Store,
    requests: &[Vec<NewEvent>],
) -> Result<Vec<RequestOutcome>, StoreError> {
    let mut tries = 0;
    loop {
        match store.enqueue_requests(requests) {
            Err(e) if e.is_busy() && tries < 3 => {
                tries += 1;
                tracing::warn!("ingest: database busy, retrying ({tries}/3)");
            }
            other => return other,
        }
    }
}

fn health(store: &Store) -> Result<Health, String> {
    let counts = store.delivery_counts().map_err(|e| e.to_string())?;
    let configured = store
        .channel_summaries()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|c| c.configured)
        .map(|c| c.kind.code())
        .collect();
    let by_channel = store
        .delivery_counts_by_channel()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(k, c)| (k.map_or("none", |k| k.code()), c))
        .collect();
    Ok(Health {
        counts,
        by_channel,
        configured,
    })
}
