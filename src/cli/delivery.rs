//! `notifydesk notify | deliver | worker | log`: events in, deliveries out.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};

use super::EXIT_FAILED;
use super::args::{DeliverArgs, LogArgs, NotifyArgs};
use super::out;
use crate::delivery::{Worker, WorkerOptions};
use crate::dingtalk::Client;
use crate::store::{DeliveryFilter, DeliveryStatus, EnqueueOutcome, NewEvent, Store};

pub fn notify(args: NotifyArgs, mut store: Store) -> anyhow::Result<ExitCode> {
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
        out.line(describe(&ev.event_id, store.enqueue_event(&ev)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut bad = 0;
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                err.line(format_args!("stdin:{n}: cannot read: {e}"))?;
                bad += 1;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let ev: NewEvent = match serde_json::from_str(&line) {
            Ok(ev) => ev,
            Err(e) => {
                err.line(format_args!("stdin:{n}: not a valid event: {e}"))?;
                bad += 1;
                continue;
            }
        };
        match store.enqueue_event(&ev) {
            Ok(outcome) => out.line(describe(&ev.event_id, outcome))?,
            Err(e) => {
                err.line(format_args!("stdin:{n}: {e}"))?;
                bad += 1;
            }
        }
    }
    Ok(if bad > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn describe(event_id: &str, outcome: EnqueueOutcome) -> String {
    match outcome {
        EnqueueOutcome::Queued {
            deliveries,
            unknown,
        } if unknown.is_empty() => {
            format!("event {event_id}: queued {deliveries} delivery(ies)")
        }
        EnqueueOutcome::Queued {
            deliveries,
            unknown,
        } => format!(
            "event {event_id}: queued {deliveries} delivery(ies); unknown member(s) recorded as failed: {}",
            unknown.join(", ")
        ),
        EnqueueOutcome::Duplicate => format!("event {event_id}: duplicate event, ignored"),
        EnqueueOutcome::Skipped { reason } => format!("event {event_id}: skipped: {reason}"),
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

pub async fn deliver(args: DeliverArgs, store: Store, client: Client) -> anyhow::Result<ExitCode> {
    let mut worker = Worker::new(store, client, options(&args)?)?;
    let stop = worker.stop_flag();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.store(true, Ordering::SeqCst);
    });
    let r = worker.drain_once().await?;
    println!(
        "sent {} · failed {} · deferred {} · {} DingTalk call(s) in {:.1} s",
        r.sent,
        r.failed,
        r.deferred,
        r.calls,
        r.elapsed.as_secs_f64()
    );
    Ok(if r.failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn worker(args: DeliverArgs, store: Store, client: Client) -> anyhow::Result<ExitCode> {
    let mut worker = Worker::new(store, client, options(&args)?)?;
    let stop = worker.stop_flag();
    let wake = Arc::new(tokio::sync::Notify::new());
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
    eprintln!("notifydesk worker: delivering; SIGTERM or Ctrl-C stops after the current batch");
    worker.run(wake).await?;
    let c = worker.store().delivery_counts()?;
    eprintln!(
        "notifydesk worker: stopped (pending {} · sent {} · failed {})",
        c.pending, c.sent, c.failed
    );
    Ok(ExitCode::SUCCESS)
}

pub fn log(args: LogArgs, mut store: Store) -> anyhow::Result<ExitCode> {
    let mut out = out::stdout();
    if let Some(id) = args.retry {
        store.retry_delivery(id)?;
        out.line(format_args!(
            "delivery {id} queued again; it goes out at the next `notifydesk deliver` or with a running worker"
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let filter = DeliveryFilter {
        status: args.status.as_deref().and_then(DeliveryStatus::from_code),
        text: None,
    };
    let rows = store
        .delivery_page(&filter, None, args.limit)
        .context("cannot read the delivery log")?;
    if args.json {
        out.json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    out.line(format_args!(
        "{:>6}  {:<16}  {:<28}  {:<14}  {:<8}  {:>3}  LAST ERROR",
        "ID", "TIME", "TYPE/NODE", "MEMBER", "STATUS", "TRY"
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
        out.line(format_args!(
            "{:>6}  {:<16}  {:<28}  {:<14}  {:<8}  {:>3}  {}",
            r.id,
            when,
            format!("{}/{}", r.type_code, r.node_code),
            r.login,
            r.status.code(),
            r.attempts,
            err
        ))?;
    }
    let c = store.delivery_counts()?;
    out.line(format_args!(
        "pending {} · sending {} · sent {} · failed {} · skipped {}",
        c.pending, c.sending, c.sent, c.failed, c.skipped
    ))?;
    Ok(ExitCode::SUCCESS)
}
