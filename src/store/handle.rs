//! One thread owns a `Store` and runs jobs on it one at a time, in the order they were sent.
//! The TUI uses it so a save and the reload after it can never swap, no SQLite call blocks an
//! async worker thread, and a failed job is answered with an error instead of never.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::Store;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// The store thread is gone or the job panicked: the job has no result.
#[derive(Debug, thiserror::Error)]
#[error("the database job did not finish (see the log)")]
pub struct JobFailed;

#[derive(Clone)]
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl StoreHandle {
    /// Moves `store` to its own thread; it is closed when every handle is dropped.
    pub fn spawn(store: Store) -> std::io::Result<StoreHandle> {
        let path = store.path().to_path_buf();
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("store".into())
            .spawn(move || {
                let mut store = store;
                for job in queue {
                    // A panicking job loses only its own answer (its reply channel is dropped).
                    if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut store))).is_err() {
                        tracing::error!("a database job panicked");
                    }
                }
            })?;
        Ok(StoreHandle { jobs, path })
    }

    /// Opens the database at `path` on the store thread, so whoever asks does not wait for it
    /// (the TUI draws its first frame meanwhile). Jobs queue behind the opening; if it fails,
    /// `failed` gets the error and every job is dropped unanswered ([`JobFailed`]).
    pub fn open(
        path: PathBuf,
        failed: impl FnOnce(super::StoreError) + Send + 'static,
    ) -> std::io::Result<StoreHandle> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let at = path.clone();
        std::thread::Builder::new()
            .name("store".into())
            .spawn(move || {
                let mut store = match Store::open(&at) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!("cannot open the database: {e}");
                        failed(e);
                        return;
                    }
                };
                for job in queue {
                    if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut store))).is_err() {
                        tracing::error!("a database job panicked");
                    }
                }
            })?;
        Ok(StoreHandle { jobs, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `job` now (so calls run in the order they were made) and returns its result.
    pub fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> impl Future<Output = Result<T, JobFailed>> + Send + 'static {
        let (reply, answer) = oneshot::channel();
        let queued = self
            .jobs
            .send(Box::new(move |store: &mut Store| {
                let _ = reply.send(job(store));
            }))
            .is_ok();
        async move {
            if !queued {
                return Err(JobFailed);
            }
            answer.await.map_err(|_| JobFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> StoreHandle {
        StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap()
    }

    #[tokio::test]
    async fn jobs_run_in_the_order_they_were_queued() {
        let h = handle();
        // Queued first, awaited last: the order of the calls decides, not of the awaits.
        let calls: Vec<_> = (0..50)
            .map(|i| {
                h.call(move |s| {
                    let last: i64 = s
                        .setting("test.order")
                        .unwrap()
                        .map_or(-1, |v| v.parse().unwrap());
                    s.set_setting("test.order", &i.to_string()).unwrap();
                    (i, last)
                })
            })
            .collect();
        for call in calls.into_iter().rev() {
            let (i, last) = call.await.unwrap();
            assert_eq!(last, i - 1);
        }
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone() {
        let h = handle();
        let failed = h.call(|_| -> u8 { panic!("job panics on purpose") });
        let next = h.call(|_| 7u8);
        assert!(failed.await.is_err());
        assert_eq!(next.await.unwrap(), 7);
    }
}
