//! HTTP ingest for platforms that push events: `notifydesk worker --listen ADDR`.
//!
//! - `POST /v1/events`: one event or an array, the same JSON as `notify --stdin-json`. `202`
//!   with each event's outcome once the request is durably in the outbox (committed); `400`
//!   for a bad event (nothing of the request is stored); `401` without the bearer token;
//!   `413` over the size limits; idempotent by event id.
//! - `GET /healthz`: database reachable, worker running, which channels are configured.
//! - `GET /metrics`: Prometheus text.

pub mod metrics;
mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

pub use metrics::Metrics;
pub use writer::{Health, Writer};

use crate::store::{EnqueueOutcome, NewEvent, RequestOutcome};

/// The largest request body taken.
pub const MAX_BODY_BYTES: usize = 8 << 20;
/// Events per request at most.
pub const MAX_EVENTS_PER_REQUEST: usize = 1000;

pub struct IngestState {
    pub writer: Writer,
    /// Required as `Authorization: Bearer …` when set.
    pub token: Option<SecretString>,
    pub metrics: Arc<Metrics>,
    /// True while the delivery worker runs.
    pub worker_running: Arc<AtomicBool>,
}

pub fn router(state: Arc<IngestState>) -> Router {
    Router::new()
        .route("/v1/events", post(events))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint; see /v1/events, /healthz, /metrics",
            )
        })
        .with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// Compare without an early exit, so response time says nothing about the token.
fn same_token(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(state: &IngestState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.token else {
        return true;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, given)| same_token(given.trim(), token.expose_secret()))
}

async fn events(State(state): State<Arc<IngestState>>, req: Request) -> Response {
    if !authorized(&state, req.headers()) {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (Authorization: Bearer <NOTIFYDESK_INGEST_TOKEN>)",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) if is_length_limit(&e) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is over {MAX_BODY_BYTES} bytes"),
            );
        }
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {e}"),
            );
        }
    };
    let parsed = match parse(&body) {
        Ok(p) => p,
        Err((status, message)) => {
            state.metrics.ingested("rejected", 1);
            return error(status, message);
        }
    };
    let n = parsed.len() as u64;
    match state.writer.enqueue(parsed.clone()).await {
        Ok(RequestOutcome::Stored(outcomes)) => {
            state.metrics.ingested("stored", n);
            let list: Vec<Value> = parsed
                .iter()
                .zip(outcomes)
                .map(|(ev, o)| outcome_json(&ev.event_id, o))
                .collect();
            (StatusCode::ACCEPTED, axum::Json(json!({ "events": list }))).into_response()
        }
        Ok(RequestOutcome::Rejected(outcomes)) => {
            state.metrics.ingested("rejected", n);
            let list: Vec<Value> = parsed
                .iter()
                .zip(&outcomes)
                .map(|(ev, o)| match o {
                    Ok(_) => json!({ "event_id": ev.event_id, "outcome": "not stored" }),
                    Err(e) => json!({ "event_id": ev.event_id, "error": e.to_string() }),
                })
                .collect();
            let first = outcomes
                .iter()
                .enumerate()
                .find_map(|(i, o)| o.as_ref().err().map(|e| (i, e)));
            let message = match first {
                Some((i, e)) => format!("event {i}: {e}; nothing of this request was stored"),
                None => "refused".into(),
            };
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": message, "events": list })),
            )
                .into_response()
        }
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not stored: {e}; retry later"),
        ),
    }
}

/// Whether reading the body stopped at the size limit (rather than a dropped connection).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.to_string().contains("length limit exceeded") {
            return true;
        }
        src = s.source();
    }
    false
}

/// The request's events, or the status and message that refuse it.
fn parse(body: &[u8]) -> Result<Vec<NewEvent>, (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        _ => return Err(bad("expected an event object or an array of events".into())),
    };
    if items.is_empty() {
        return Err(bad("the array holds no event".into()));
    }
    if items.len() > MAX_EVENTS_PER_REQUEST {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} events in one request; the limit is {MAX_EVENTS_PER_REQUEST}",
                items.len()
            ),
        ));
    }
    let mut events = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let ev: NewEvent = serde_json::from_value(item)
            .map_err(|e| bad(format!("event {i}: not a valid event: {e}")))?;
        if let Some(p) = ev.size_problem() {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, format!("event {i}: {p}")));
        }
        if let Some(p) = ev.content_problem() {
            return Err(bad(format!("event {i}: {p}")));
        }
        events.push(ev);
    }
    Ok(events)
}

fn outcome_json(event_id: &str, o: EnqueueOutcome) -> Value {
    match o {
        EnqueueOutcome::Queued {
            deliveries,
            unknown,
        } => json!({
            "event_id": event_id, "outcome": "queued",
            "deliveries": deliveries, "unknown_members": unknown,
        }),
        EnqueueOutcome::Duplicate => json!({ "event_id": event_id, "outcome": "duplicate" }),
        EnqueueOutcome::Skipped { reason } => {
            json!({ "event_id": event_id, "outcome": "skipped", "reason": reason })
        }
    }
}

async fn healthz(State(state): State<Arc<IngestState>>) -> Response {
    let worker = state.worker_running.load(Ordering::SeqCst);
    match state.writer.health().await {
        Ok(h) => {
            let status = if worker {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let channels: serde_json::Map<String, Value> = crate::domain::ChannelKind::ALL
                .into_iter()
                .map(|k| {
                    (
                        k.code().to_string(),
                        json!(h.configured.contains(&k.code())),
                    )
                })
                .collect();
            let body = json!({
                "status": if worker { "ok" } else { "worker stopped" },
                "database": "ok",
                "worker": if worker { "running" } else { "stopped" },
                "channels": channels,
                "outbox": h.counts,
            });
            (status, axum::Json(body)).into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "status": "database unreachable",
                "database": e,
                "worker": if worker { "running" } else { "stopped" },
            })),
        )
            .into_response(),
    }
}

/// Needs the token when one is set (the figures say how busy the service is); `/healthz`
/// stays open for probes that cannot send one.
async fn metrics_text(State(state): State<Arc<IngestState>>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    }
    match state.writer.health().await {
        Ok(h) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            state.metrics.render(&h.by_channel),
        )
            .into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

/// Where the ingest token comes from: `NOTIFYDESK_INGEST_TOKEN`, else the file named by
/// `NOTIFYDESK_INGEST_TOKEN_FILE`, else systemd's `$CREDENTIALS_DIRECTORY/ingest-token`
/// (`LoadCredential=`), so the token never sits in a unit file or a process argument.
pub fn token_from_env() -> Result<Option<SecretString>, String> {
    if let Ok(t) = std::env::var("NOTIFYDESK_INGEST_TOKEN")
        && !t.trim().is_empty()
    {
        return Ok(Some(SecretString::from(t.trim().to_string())));
    }
    let file = match std::env::var("NOTIFYDESK_INGEST_TOKEN_FILE") {
        Ok(f) if !f.trim().is_empty() => Some(std::path::PathBuf::from(f)),
        _ => std::env::var("CREDENTIALS_DIRECTORY")
            .ok()
            .map(|d| std::path::Path::new(&d).join("ingest-token"))
            .filter(|p| p.exists()),
    };
    let Some(file) = file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read the ingest token file {}: {e}", file.display()))?;
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("the ingest token file {} is empty", file.display()));
    }
    Ok(Some(SecretString::from(t.to_string())))
}

/// The shortest token accepted: a guessable token is no protection.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Refuse to listen beyond this machine without a token, and any token that is too short.
pub fn check_listen(
    addr: &std::net::SocketAddr,
    token: Option<&SecretString>,
) -> Result<(), String> {
    if let Some(t) = token
        && t.expose_secret().chars().count() < MIN_TOKEN_CHARS
    {
        return Err(format!(
            "the ingest token is shorter than {MIN_TOKEN_CHARS} characters; make a long random one, e.g. `head -c 32 /dev/urandom | base64`"
        ));
    }
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(format!(
            "refusing to listen on {addr} without a token: set NOTIFYDESK_INGEST_TOKEN (or NOTIFYDESK_INGEST_TOKEN_FILE), or listen on 127.0.0.1"
        ));
    }
    Ok(())
}
