//! Performs the App's effects off the UI task and reports back as messages.
//! Database work runs in order on the store's own thread; HTTP on tokio. A test can be
//! aborted (Esc).

use crate::i18n::{Lang, errors, known, words};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::msg::LogPage;
use super::msg::{Effect, Msg};
use super::tabs::delivery_log::PAGE_SIZE;
use crate::delivery::PersonalClients;
use crate::dingtalk::Client;
use crate::domain::{AnyChannelConfig, ChannelKind, TestRecord};
use crate::store::Store;
use crate::store::handle::StoreHandle;
use tokio::sync::Notify;

pub struct Runner {
    store: StoreHandle,
    client: Client,
    personal: PersonalClients,
    tx: UnboundedSender<Msg>,
    tests: HashMap<u64, JoinHandle<()>>,
    /// Wakes the background delivery worker.
    pub wake: Arc<Notify>,
    /// The interface language, for the test results it words.
    pub lang: Lang,
    /// Number of the newest Delivery Log load. A search over 1,000,000 deliveries takes up
    /// to a second and each keystroke asks for one: loads a newer one replaced are skipped
    /// on the store thread rather than run in turn.
    log_load: Arc<AtomicU64>,
}

impl Runner {
    pub fn new(
        store: StoreHandle,
        client: Client,
        personal: PersonalClients,
        tx: UnboundedSender<Msg>,
    ) -> Runner {
        Runner {
            store,
            client,
            personal,
            tx,
            tests: HashMap::new(),
            wake: Arc::new(Notify::new()),
            lang: Lang::En,
            log_load: Arc::default(),
        }
    }

    pub fn run(&mut self, effect: Effect) {
        self.tests.retain(|_, h| !h.is_finished());
        match effect {
            Effect::LoadChannels => {
                self.blocking(|s| Msg::ChannelsLoaded(s.channel_summaries().map_err(Arc::new)))
            }
            Effect::LoadConfig(kind) => {
                self.blocking(move |s| Msg::ConfigLoaded(kind, s.load_any(kind).map_err(Arc::new)))
            }
            Effect::SaveConfig { config, test } => self.blocking(move |s| {
                let result = s.save_any_tested(&config, test.as_ref());
                Msg::Saved(config.kind(), result.map_err(Arc::new))
            }),
            Effect::SendTest { seq, kind, config } => {
                let handle = tokio::spawn(run_test(self.ctx(), seq, kind, Some(config)));
                self.tests.insert(seq, handle);
            }
            Effect::TestStored { seq, kind } => {
                let handle = tokio::spawn(run_test(self.ctx(), seq, kind, None));
                self.tests.insert(seq, handle);
            }
            Effect::LoadSubscriptions => {
                self.blocking(|s| Msg::SubscriptionsLoaded(s.subscription_rows().map_err(Arc::new)))
            }
            Effect::SaveMethods(changes) => self.blocking(move |s| {
                let result = s.apply_method_changes(&changes).map_err(Arc::new);
                Msg::MethodsSaved { changes, result }
            }),
            Effect::LoadLog { filter, before } => {
                let this = self.log_load.fetch_add(1, Ordering::SeqCst) + 1;
                let latest = self.log_load.clone();
                let replaced = move || latest.load(Ordering::SeqCst) != this;
                self.blocking_unless(move |s| {
                    if replaced() {
                        return None;
                    }
                    let page = (|| {
                        let rows = s.delivery_page(&filter, before, PAGE_SIZE)?;
                        // Counting a search is a second pass: not for a replaced one.
                        if replaced() {
                            return Ok(None);
                        }
                        Ok::<_, crate::store::StoreError>(Some(LogPage {
                            before,
                            rows,
                            total: s.delivery_count(&filter)?,
                            counts: s.delivery_counts()?,
                        }))
                    })();
                    page.map_err(Arc::new).transpose().map(Msg::LogLoaded)
                })
            }
            Effect::RetryDelivery { id, force } => self.blocking(move |s| {
                Msg::DeliveryRetried(s.retry_delivery(id, force).map_err(Arc::new))
            }),
            Effect::WakeWorker => self.wake.notify_one(),
            Effect::SendSample(event) => {
                self.blocking(move |s| Msg::SampleQueued(s.enqueue_event(&event).map_err(Arc::new)))
            }
            Effect::LoadMembers => {
                // The compact table and its search text are built here, off the UI task.
                self.blocking(|s| {
                    let list = s.member_table().map(crate::tui::filter::MemberList::new);
                    Msg::MembersLoaded(list.map_err(Arc::new))
                })
            }
            Effect::SaveMember { id, member } => self.blocking(move |s| {
                let result = match id {
                    Some(id) => s.update_member(id, &member),
                    None => s.add_member(&member),
                };
                Msg::MemberSaved(result.map_err(Arc::new))
            }),
            Effect::DeleteMember { id, name } => self.blocking(move |s| {
                let result = s.delete_member(id).map(|_| ()).map_err(Arc::new);
                Msg::MemberDeleted { name, result }
            }),
            Effect::SetReceivers {
                type_code,
                node_code,
                logins,
            } => self.blocking(move |s| {
                let result = s
                    .set_custom_receivers(&type_code, &node_code, &logins)
                    .map_err(Arc::new);
                Msg::ReceiversSaved(result)
            }),
            Effect::CancelTest { seq } => {
                if let Some(h) = self.tests.remove(&seq) {
                    h.abort();
                    tracing::info!(seq, "test message sending cancelled");
                }
            }
        }
    }

    fn ctx(&self) -> TestCtx {
        TestCtx {
            store: self.store.clone(),
            client: self.client.clone(),
            personal: self.personal.clone(),
            tx: self.tx.clone(),
            lang: self.lang,
        }
    }

    /// Queues `job` on the store thread now (so effects run in the order they were made) and
    /// sends its message back; a job that failed is reported, never silently dropped.
    fn blocking(&self, job: impl FnOnce(&mut Store) -> Msg + Send + 'static) {
        self.blocking_unless(move |s| Some(job(s)));
    }

    /// [`Runner::blocking`] for a job that may find it has nothing to say (`None`).
    fn blocking_unless(&self, job: impl FnOnce(&mut Store) -> Option<Msg> + Send + 'static) {
        let answer = self.store.call(job);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = answer
                .await
                .unwrap_or_else(|e| Some(Msg::JobFailed(e.to_string())));
            if let Some(msg) = msg {
                let _ = tx.send(msg);
            }
        });
    }
}

/// What a DingTalk test delivered, in `lang`.
fn message_kind(lang: Lang, kind: &crate::dingtalk::TestMessageKind) -> String {
    match kind {
        crate::dingtalk::TestMessageKind::RobotMarkdown => lang.tr("test.kind_markdown").into(),
        crate::dingtalk::TestMessageKind::Card { template_id } => {
            lang.trf("test.kind_card", &[("id", template_id)])
        }
    }
}

struct TestCtx {
    store: StoreHandle,
    client: Client,
    personal: PersonalClients,
    tx: UnboundedSender<Msg>,
    lang: Lang,
}

async fn with_store<T: Send + 'static>(
    store: &StoreHandle,
    job: impl FnOnce(&mut Store) -> T + Send + 'static,
) -> Option<T> {
    store.call(job).await.ok()
}

/// Token → lookup → send; the outcome becomes the channel's last test if the tested values are
/// the saved ones (the store checks, so a test of unsaved values never replaces it).
async fn run_test(ctx: TestCtx, seq: u64, kind: ChannelKind, config: Option<AnyChannelConfig>) {
    let ui_lang = ctx.lang;
    let config = match config {
        Some(c) => Ok(c),
        None => match with_store(&ctx.store, move |s| s.load_any(kind)).await {
            Some(Ok(Some(c))) => Ok(c),
            Some(Ok(None)) => Err(ui_lang.tr("test.not_configured").to_string()),
            Some(Err(e)) => Err(e.to_string()),
            None => Err(ui_lang.tr("test.db_unavailable").to_string()),
        },
    };
    let lang = with_store(&ctx.store, |s| s.setting("message.language"))
        .await
        .and_then(Result::ok)
        .flatten();
    let lang = crate::delivery::Language::from_setting(lang.as_deref());
    let (ok, summary, detail) = match &config {
        Err(e) => (false, e.clone(), None),
        Ok(AnyChannelConfig::Other(config)) => {
            match crate::delivery::send_personal_test(&ctx.personal, config, lang).await {
                Ok(report) => (
                    true,
                    "Successful".to_string(),
                    Some(ui_lang.trf(
                        "test.sent_personal",
                        &[
                            ("platform", &words::platform(ui_lang, config.kind)),
                            ("user", &report.user_id),
                            ("kind", &report.kind),
                        ],
                    )),
                ),
                Err(e) => (false, errors::channel_error_line(&e, ui_lang), None),
            }
        }
        Ok(AnyChannelConfig::DingTalk(config)) => match &config.receiver {
            None => (false, ui_lang.tr("test.no_receiver").to_string(), None),
            Some(mobile) => {
                match crate::delivery::send_test_message(&ctx.client, config, mobile, lang).await {
                    Ok(report) => (
                        true,
                        "Successful".to_string(),
                        Some(ui_lang.trf(
                            "test.sent_dingtalk",
                            &[
                                ("user", &report.user_id),
                                ("phone", &mobile.masked()),
                                ("kind", &message_kind(ui_lang, &report.kind)),
                            ],
                        )),
                    ),
                    Err(e) => (false, e.line_in(ui_lang), None),
                }
            }
        },
    };
    let record = TestRecord {
        at: chrono::Utc::now().timestamp(),
        ok,
        summary,
    };
    tracing::info!(seq, ok, "test message sending finished");
    // Without a configuration there is nothing the result could be about.
    if let Ok(config) = config {
        let stored = record.clone();
        if let Some(Err(e)) =
            with_store(&ctx.store, move |s| s.record_any_test(&config, &stored)).await
        {
            tracing::warn!(
                channel = kind.code(),
                "could not record the test result: {e}"
            );
        }
    }
    let _ = ctx.tx.send(Msg::TestFinished {
        seq,
        record,
        detail,
    });
}

/// Drain the outbox in the background while the TUI runs (one sender per database: when a
/// `notifydesk worker` already runs, the TUI leaves delivery to it and says so). Everything,
/// opening the second connection included, happens off the UI task and after the first frame.
pub fn spawn_worker(
    db: std::path::PathBuf,
    client: Client,
    personal: PersonalClients,
    wake: Arc<Notify>,
    tx: UnboundedSender<Msg>,
    lang: Lang,
) -> (JoinHandle<()>, Arc<std::sync::atomic::AtomicBool>) {
    use crate::delivery::{Worker, WorkerEvent, WorkerOptions};
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_flag = stop.clone();
    let handle = tokio::spawn(async move {
        let opened = tokio::task::spawn_blocking(move || {
            let store = Store::open(&db)?;
            Worker::new(store, client, WorkerOptions::default()).map(|w| w.with_personal(personal))
        })
        .await;
        let mut worker = match opened {
            Ok(Ok(w)) => w.with_stop_flag(stop_flag),
            Ok(Err(e)) => {
                let text = delivery_notice(lang, DeliveryNotice::Off, &e.to_string());
                let _ = tx.send(Msg::Notice(text));
                return;
            }
            Err(_) => return,
        };
        let progress = tx.clone();
        worker.on_event(move |e| {
            let msg = match e {
                WorkerEvent::Progress(c) => Msg::DeliveryProgress(c),
                WorkerEvent::DatabaseBusy => Msg::DatabaseBusy(true),
                WorkerEvent::DatabaseAvailable => Msg::DatabaseBusy(false),
                WorkerEvent::Trouble(t) => {
                    Msg::Notice(delivery_notice(lang, DeliveryNotice::Retrying, &t))
                }
                WorkerEvent::Call { .. } | WorkerEvent::Deferred(_) | WorkerEvent::Failed(_) => {
                    return;
                }
            };
            let _ = progress.send(msg);
        });
        if let Err(e) = worker.run(wake).await {
            tracing::error!("delivery worker stopped: {e}");
            let text = delivery_notice(lang, DeliveryNotice::Stopped, &e.to_string());
            let _ = tx.send(Msg::Notice(text));
        }
    });
    (handle, stop)
}

/// What went wrong with the background delivery.
#[derive(Clone, Copy, Debug)]
enum DeliveryNotice {
    /// It could not start.
    Off,
    /// A round failed; it tries again.
    Retrying,
    /// It gave up.
    Stopped,
}

/// The status line for the background delivery's trouble, in the interface language (the
/// core's English error inside it is translated when the locale file knows it).
fn delivery_notice(lang: Lang, notice: DeliveryNotice, error: &str) -> String {
    let error = known::translate(lang, error);
    let args: [(&str, &dyn std::fmt::Display); 1] = [("error", &error)];
    match notice {
        DeliveryNotice::Off => lang.trf("status.delivery_off", &args),
        DeliveryNotice::Retrying => lang.trf("status.delivery_retrying", &args),
        DeliveryNotice::Stopped => lang.trf("status.delivery_stopped", &args),
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
