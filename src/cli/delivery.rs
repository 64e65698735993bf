//! `notifydesk notify | deliver | worker | log`: events in, deliveries out.

use crate::i18n::{Lang, known, words};
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};

use super::EXIT_FAILED;
use super::args::{DeliverArgs, LogArgs, NotifyArgs, WorkerArgs};
use super::out;
use crate::delivery::{PersonalClients, Worker, WorkerEvent, WorkerOptions};
use crate::dingtalk::Client;
use crate::domain::ChannelKind;
use crate::store::{DeliveryFilter, DeliveryStatus, EnqueueOutcome, NewEvent, Store};

pub fn notify(args: NotifyArgs, mut store: Store, lang: Lang) -> anyhow::Result<ExitCode> {
    let (mut out, mut err) = (out::stdout(), out::stderr());
    if !args.stdin_json {
        let ev = NewEvent {
            event_id: args.event_id.unwrap_or_default(),
            type_code: args.type_code.unwrap_or_default(),
            node_code: args.node_code.unwrap_or_default(),
            title: args.title.unwrap_or_default(),
            text: args.text,
            link: args.link,
            members: args.members,
        };
        let outcome = store.enqueue_event(&ev)?;
        out.line(describe(&store, &ev.event_id, outcome, lang))?;
        return Ok(ExitCode::SUCCESS);
    }
    // Lines are read on their own thread; events are committed in groups (one transaction
    // each) of up to GROUP lines, or whatever has arrived when the input pauses, so a steady
    // stream costs one fsync per group while a trickle is still stored at once.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<NewEvent, String>)>(GROUP * 2);
    std::thread::spawn(move || read_events(tx));
    let mut bad = 0;
    let mut group: Vec<(usize, NewEvent)> = Vec::with_capacity(GROUP);
    loop {
        let next = if group.is_empty() {
            rx.recv()
                .map_err(|_| std::sync::mpsc::RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(PAUSE)
        };
        let paused = matches!(next, Err(std::sync::mpsc::RecvTimeoutError::Timeout));
        let done = match next {
            Ok((n, Ok(ev))) => {
                group.push((n, ev));
                false
            }
            Ok((n, Err(e))) => {
                err.line(format_args!("stdin:{n}: {}", known::translate(lang, &e)))?;
                bad += 1;
                false
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => false,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => true,
        };
        if !group.is_empty() && (done || paused || group.len() >= GROUP) {
            let events: Vec<NewEvent> = group.iter().map(|(_, ev)| ev.clone()).collect();
            match store.enqueue_events(&events) {
                Ok(outcomes) => {
                    for ((n, ev), outcome) in group.iter().zip(outcomes) {
                        match outcome {
                            Ok(o) => out.line(describe(&store, &ev.event_id, o, lang))?,
                            Err(e) => {
                                let e = known::translate(lang, &e.to_string());
                                err.line(format_args!("stdin:{n}: {e}"))?;
                                bad += 1;
                            }
                        }
                    }
                }
                Err(e) => {
                    let e = known::translate(lang, &e.to_string());
                    for (n, _) in &group {
                        err.line(lang.trf("cli.notify.not_stored", &[("n", n), ("error", &e)]))?;
                    }
                    bad += group.len();
                }
            }
            group.clear();
        }
        if done {
            break;
        }
    }
    Ok(if bad > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Events per transaction for `--stdin-json`.
const GROUP: usize = 500;
/// Commit what has arrived when no line came for this long.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// Read stdin line by line and send each parsed event (or why the line is not one).
fn read_events(tx: std::sync::mpsc::SyncSender<(usize, Result<NewEvent, String>)>) {
    let mut input = std::io::stdin().lock();
    let mut n = 0;
    loop {
        n += 1;
        let parsed = match read_bounded_line(&mut input, MAX_LINE_BYTES) {
            Ok(None) => return,
            Ok(Some(Ok(line))) if line.trim().is_empty() => continue,
            Ok(Some(Ok(line))) => serde_json::from_str::<NewEvent>(&line)
                .map_err(|e| format!("not a valid event: {e}")),
            Ok(Some(Err(len))) => Err(format!(
                "line of {len} bytes is over the {MAX_LINE_BYTES}-byte limit for one event (title ≤ 1 KiB, text ≤ 64 KiB); skipped"
            )),
            Err(e) => {
                let _ = tx.send((n, Err(format!("cannot read: {e}"))));
                return;
            }
        };
        if tx.send((n, parsed)).is_err() {
            return;
        }
    }
}

/// One event per line; a line longer than this cannot hold a valid event (JSON escaping of
/// 64 KiB of text included), so it is skipped without being kept in memory.
const MAX_LINE_BYTES: usize = 512 * 1024;

/// The next line (without its newline), `Err(len)` for one over `max` bytes (read and thrown
/// away), or `None` at the end of input.
fn read_bounded_line(
    input: &mut impl BufRead,
    max: usize,
) -> std::io::Result<Option<Result<String, usize>>> {
    let mut line = Vec::new();
    let mut len = 0usize;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            if len == 0 {
                return Ok(None);
            }
            break;
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        len += chunk.len();
        if len <= max {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(buf.len());
        input.consume(used);
        if done.is_some() {
            if len == 0 {
                return Ok(Some(Ok(String::new())));
            }
            break;
        }
    }
    if len > max {
        return Ok(Some(Err(len)));
    }
    Ok(Some(Ok(String::from_utf8_lossy(&line)
        .trim_end_matches('\r')
        .to_string())))
}

/// What became of one event, for people (the reasons the core gives are in English and
/// translated when the locale file knows them).
fn describe(store: &Store, event_id: &str, outcome: EnqueueOutcome, lang: Lang) -> String {
    let id: &dyn std::fmt::Display = &event_id;
    let deliveries = |n: usize| match n {
        1 => lang.tr("cli.notify.one_delivery").to_string(),
        n => lang.trf("cli.notify.deliveries", &[("n", &n)]),
    };
    match outcome {
        EnqueueOutcome::Queued {
            deliveries: n,
            unknown,
        } if unknown.is_empty() => lang.trf(
            "cli.notify.queued",
            &[("id", id), ("deliveries", &deliveries(n))],
        ),
        EnqueueOutcome::Queued {
            deliveries: n,
            unknown,
        } => lang.trf(
            "cli.notify.queued_unknown",
            &[
                ("id", id),
                ("deliveries", &deliveries(n)),
                ("logins", &unknown.join(", ")),
            ],
        ),
        EnqueueOutcome::Duplicate => match store.skipped_reason(event_id).ok().flatten() {
            Some(reason) => lang.trf(
                "cli.notify.skipped_before",
                &[("id", id), ("reason", &known::translate(lang, &reason))],
            ),
            None => lang.trf("cli.notify.duplicate", &[("id", id)]),
        },
        EnqueueOutcome::Skipped { reason } => lang.trf(
            "cli.notify.skipped",
            &[("id", id), ("reason", &known::translate(lang, &reason))],
        ),
    }
}

fn options(a: &DeliverArgs) -> anyhow::Result<WorkerOptions> {
    if !(a.rate_limit.is_finite() && a.rate_limit > 0.0 && a.rate_limit <= 1000.0) {
        bail!("--rate-limit must be between 0 and 1000 calls per second");
    }
    Ok(WorkerOptions {
        rate_per_sec: a.rate_limit,
        max_attempts: a.max_attempts.max(1),
        backoff_base: Duration::from_millis(a.backoff_ms.max(1)),
        ..WorkerOptions::default()
    })
}

pub async fn deliver(
    args: DeliverArgs,
    store: Store,
    client: Client,
    personal: PersonalClients,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let mut worker = Worker::new(store, client, options(&args)?)?.with_personal(personal);
    let stop = worker.stop_flag();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.store(true, Ordering::SeqCst);
    });
    let r = worker.drain_once().await?;
    let secs = format!("{:.1}", r.elapsed.as_secs_f64());
    println!(
        "{}",
        lang.trf(
            "cli.deliver.summary",
            &[
                ("sent", &r.sent),
                ("failed", &r.failed),
                ("unknown", &r.unknown),
                ("deferred", &r.deferred),
                ("calls", &r.calls),
                ("secs", &secs),
            ],
        )
    );
    Ok(if r.failed + r.unknown > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn worker(
    args: WorkerArgs,
    store: Store,
    client: Client,
    personal: PersonalClients,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let db = store.path().to_path_buf();
    let mut worker = Worker::new(store, client, options(&args.deliver)?)?.with_personal(personal);
    let metrics = Arc::new(crate::ingest::Metrics::default());
    let m = metrics.clone();
    worker.on_event(move |e| {
        m.observe(&e);
        // Error texts carry paths and server words: through the sanitising writer.
        let _ = match e {
            WorkerEvent::DatabaseBusy => out::stderr().line(lang.tr("cli.worker.busy")),
            WorkerEvent::DatabaseAvailable => out::stderr().line(lang.tr("cli.worker.available")),
            WorkerEvent::Trouble(t) => {
                let error = known::translate(lang, &t);
                out::stderr().line(lang.trf("cli.worker.retrying", &[("error", &error)]))
            }
            _ => Ok(()),
        };
    });
    let stop = worker.stop_flag();
    let wake = Arc::new(tokio::sync::Notify::new());
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let w = wake.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        stop.store(true, Ordering::SeqCst);
        w.notify_one();
    });
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let server = match args.listen {
        None => None,
        Some(addr) => Some(
            listen(
                addr,
                &db,
                wake.clone(),
                metrics,
                running.clone(),
                shutdown_rx,
            )
            .await?,
        ),
    };
    eprintln!("{}", lang.tr("cli.worker.started"));
    worker.run(wake).await?;
    running.store(false, Ordering::SeqCst);
    let _ = shutdown_tx.send(true);
    if let Some(server) = server {
        let _ = server.await;
    }
    let c = worker.store().delivery_counts()?;
    eprintln!(
        "{}",
        lang.trf(
            "cli.worker.stopped",
            &[
                ("pending", &c.pending),
                ("sent", &c.sent),
                ("failed", &c.failed)
            ],
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// Start the HTTP ingest beside the worker; it stops when `shutdown` turns true.
async fn listen(
    addr: std::net::SocketAddr,
    db: &std::path::Path,
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<crate::ingest::Metrics>,
    running: Arc<std::sync::atomic::AtomicBool>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use crate::ingest::{IngestState, Writer, check_listen, router, token_from_env};
    let token = token_from_env().map_err(anyhow::Error::msg)?;
    check_listen(&addr, token.as_ref()).map_err(anyhow::Error::msg)?;
    let writer = Writer::start(db.to_path_buf(), move || wake.notify_one())?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let state = Arc::new(IngestState {
        writer,
        token,
        metrics,
        worker_running: running,
    });
    eprintln!(
        "notifydesk worker: accepting events on http://{bound}/v1/events (health /healthz, metrics /metrics)"
    );
    Ok(tokio::spawn(async move {
        let app = router(state);
        let stopped = async move {
            let _ = shutdown.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!("ingest server stopped: {e}");
        }
    }))
}

pub fn log(args: LogArgs, mut store: Store, lang: Lang) -> anyhow::Result<ExitCode> {
    let mut out = out::stdout();
    if let Some(id) = args.retry {
        store.retry_delivery(id, args.force)?;
        out.line(lang.trf("cli.log.retried", &[("id", &id)]))?;
        return Ok(ExitCode::SUCCESS);
    }
    let filter = DeliveryFilter {
        status: args.status.as_deref().and_then(DeliveryStatus::from_code),
        channel: args.channel.as_deref().and_then(ChannelKind::from_cli),
        text: args.search.clone(),
    };
    let rows = store
        .delivery_page(&filter, None, args.limit)
        .context(lang.tr("cli.log.read_failed"))?;
    if args.json {
        out.json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Padded by display width: Chinese headings and names line up as English ones do.
    let (pad, left) = (crate::tui::text::pad, words::pad_left);
    out.line(format_args!(
        "{}  {}  {}  {}  {}  {}  {}  {}",
        left(lang.tr("cli.log.id"), 6),
        pad(lang.tr("cli.log.time"), 16),
        pad(lang.tr("cli.log.what"), 28),
        pad(lang.tr("cli.log.member"), 14),
        pad(lang.tr("cli.log.channel"), 8),
        pad(lang.tr("cli.log.status"), 8),
        left(lang.tr("cli.log.try"), 3),
        lang.tr("cli.log.last_error")
    ))?;
    for r in rows {
        let when = chrono::DateTime::from_timestamp(r.at, 0)
            .map(|d| {
                d.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let err = r
            .last_error
            .as_deref()
            .map(|e| e.replace('\n', " "))
            .unwrap_or_default();
        // English shows the codes (stable for grep); Chinese the catalogue's names.
        let what = match lang {
            Lang::En => format!("{}/{}", r.type_code, r.node_code),
            _ => format!(
                "{}/{}",
                words::type_label(lang, &r.type_code, &r.type_code),
                words::node_label(lang, &r.type_code, &r.node_code, &r.node_code)
            ),
        };
        let status = match r.status {
            DeliveryStatus::Unknown => lang.tr("cli.log.maybe_sent"),
            s => words::status_code(lang, s),
        };
        out.line(format_args!(
            "{:>6}  {}  {}  {}  {}  {}  {:>3}  {}",
            r.id,
            pad(&when, 16),
            pad(&what, 28),
            pad(&r.login, 14),
            pad(r.channel.map(|k| k.cli_name()).unwrap_or("-"), 8),
            pad(status, 8),
            r.attempts,
            err
        ))?;
    }
    let c = store.delivery_counts()?;
    out.line(lang.trf(
        "cli.log.counts",
        &[
            ("pending", &c.pending),
            ("sending", &c.sending),
            ("sent", &c.sent),
            ("failed", &c.failed),
            ("unknown", &c.unknown),
            ("skipped", &c.skipped),
        ],
    ))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_the_rest_of_a_long_line_is_skipped() {
        let long = "x".repeat(100);
        let text = format!("a\n\n{long}\nb\r\nc");
        let mut input = std::io::BufReader::with_capacity(16, text.as_bytes());
        let mut got = Vec::new();
        while let Some(l) = read_bounded_line(&mut input, 50).unwrap() {
            got.push(l);
        }
        assert_eq!(
            got,
            vec![
                Ok("a".to_string()),
                Ok(String::new()),
                Err(100),
                Ok("b".to_string()),
                Ok("c".to_string())
            ]
        );
    }
}
