//! A stateful fake Feishu/Lark Open Platform server (contract section 10) on 127.0.0.1: the
//! tenant token, `batch_get_id` and `im/v1/messages`, for notifydesk's tests. One listener
//! serves "Feishu" and "Lark" alike (only the client's base URL differs).
//!
//! Behaviour worth knowing:
//! - Tokens: `t-` + 40 hex, TTL 7200 s. A token call while the live token has ≥ 30 min left
//!   returns it with `expire` = the remaining seconds; otherwise a new token is minted (the
//!   old one stays valid until its own expiry). Revoked tokens are never handed out again.
//! - Bad App ID or secret: `{"code":10014,"msg":"app secret invalid"}` with HTTP 200 (see
//!   [`FakeFeishu::set_token_error_status`]).
//! - Availability and contact scope are sets of tenant `user_id`s (`None` = everyone); each
//!   app sees its own `open_id` per user ([`open_id_for`]).
//! - Mobile matching is exact on the stored form; [`FakeFeishu::set_plus86_matches_bare`]
//!   lets `+86…` input match a bare mainland number.
//! - Every response carries `X-Tt-Logid`; errors carry `error.log_id`.
//! - A `uuid` seen within an hour returns the original `message_id` and adds nothing.
//! - Faults ([`Fault`]) are queued per endpoint and answered before any validation.

mod api;
mod state;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub use state::{
    CallRecord, FakeApp, FakeEndpoint, FakeTemplate, FakeUser, Fault, SCOPE_EMPLOYEE_ID,
    SCOPE_LOOKUP, SCOPE_SEND, SEND_SCOPES, SentMessage, open_id_for,
};

use api::{Req, Resp, fault_response};
use state::FakeState;

type Shared = Arc<Mutex<FakeState>>;

/// A running fake. Dropping it stops the server.
pub struct FakeFeishu {
    addr: SocketAddr,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeFeishu {
    /// Start on 127.0.0.1 with an OS-chosen port, inside the current tokio runtime.
    pub async fn start() -> io::Result<FakeFeishu> {
        FakeFeishu::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Start on a loopback address (anything else is refused).
    pub async fn start_on(addr: SocketAddr) -> io::Result<FakeFeishu> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the fake Feishu server binds loopback addresses only",
            ));
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(FakeState::new()));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "fake Feishu server stopped");
            }
        });
        Ok(FakeFeishu { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn st(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- configuration

    pub fn add_app(&self, app: FakeApp) {
        self.st().apps.insert(app.app_id.clone(), app);
    }

    /// Change an app in place (scopes, bot, availability…). Panics if unknown.
    pub fn update_app(&self, app_id: &str, f: impl FnOnce(&mut FakeApp)) {
        f(self.st().apps.get_mut(app_id).expect("unknown fake app"));
    }

    /// Add or replace (by `user_id`) a member.
    pub fn add_user(&self, user: FakeUser) {
        let mut st = self.st();
        st.users.retain(|u| u.user_id != user.user_id);
        st.users.push(user);
    }

    /// Change a member in place. Panics if unknown.
    pub fn update_user(&self, user_id: &str, f: impl FnOnce(&mut FakeUser)) {
        let mut st = self.st();
        f(st.users
            .iter_mut()
            .find(|u| u.user_id == user_id)
            .expect("unknown fake user"));
    }

    pub fn add_template(&self, t: FakeTemplate) {
        self.st().templates.insert(t.template_id.clone(), t);
    }

    pub fn set_token_ttl(&self, ttl: Duration) {
        self.st().token_ttl = ttl;
    }

    /// HTTP status of the 10014 answer (200 by default; 400 is seen too).
    pub fn set_token_error_status(&self, status: u16) {
        self.st().token_error_status = status;
    }

    /// Whether `+86<11 digits>` matches a member stored with the bare number (default no).
    pub fn set_plus86_matches_bare(&self, on: bool) {
        self.st().plus86_matches_bare = on;
    }

    /// The IP the fake pretends callers come from (for the IP allow-list; default 127.0.0.1).
    pub fn set_client_ip(&self, ip: &str) {
        self.st().client_ip = ip.into();
    }

    /// Request-body limits in bytes: `text`, and `post`/`interactive` (150 KB / 30 KB).
    pub fn set_size_limits(&self, text: usize, rich: usize) {
        let mut st = self.st();
        st.text_limit = text;
        st.rich_limit = rich;
    }

    // ---- time and tokens

    pub fn advance_clock(&self, by: Duration) {
        self.st().clock_offset += by;
    }

    /// Revoke every issued token (server-side invalidation: `99991663` from now on).
    pub fn revoke_tokens(&self) {
        self.st().revoke_tokens();
    }

    /// Tokens neither expired nor revoked.
    pub fn valid_tokens(&self) -> Vec<String> {
        let st = self.st();
        let now = st.now();
        st.tokens
            .iter()
            .filter(|(_, e)| !e.revoked && e.expires_at > now)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Every token ever issued (for leak assertions).
    pub fn all_tokens(&self) -> Vec<String> {
        self.st().tokens.keys().cloned().collect()
    }

    // ---- faults

    /// Answer the next `times` calls to `endpoint` with `fault` (after those already queued).
    pub fn inject(&self, endpoint: FakeEndpoint, fault: Fault, times: usize) {
        let mut st = self.st();
        st.faults
            .entry(endpoint)
            .or_default()
            .extend(std::iter::repeat_n(fault, times));
    }

    // ---- observation

    pub fn outbox(&self) -> Vec<SentMessage> {
        self.st().outbox.clone()
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.st().calls.clone()
    }

    pub fn calls_to(&self, endpoint: FakeEndpoint) -> Vec<CallRecord> {
        let st = self.st();
        st.calls
            .iter()
            .filter(|c| c.endpoint == endpoint)
            .cloned()
            .collect()
    }

    pub fn token_calls(&self) -> usize {
        self.calls_to(FakeEndpoint::Token).len()
    }
}

impl Drop for FakeFeishu {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for FakeFeishu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeFeishu")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

const LOGGED_HEADERS: [&str; 3] = ["authorization", "content-type", "user-agent"];

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 4 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_ascii_lowercase(), v)
        })
        .collect();
    let req = Req {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body,
    };
    let endpoint = FakeEndpoint::of(&req.method, &req.path);
    let index = {
        let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
        st.calls.push(CallRecord {
            endpoint,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req
                .headers
                .iter()
                .filter(|(k, _)| LOGGED_HEADERS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            status: None,
            response: String::new(),
        });
        st.calls.len() - 1
    };
    let fault = shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_fault(endpoint);
    let resp = match fault {
        Some(Fault::Delay { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            None
        }
        // Unwinding out of the connection task closes the socket without an answer;
        // resume_unwind skips the panic hook, so nothing is printed.
        Some(Fault::DropConnection) => std::panic::resume_unwind(Box::new("fake: drop")),
        Some(f) => Some(fault_response(&f)),
        None => None,
    };
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    let resp = resp.unwrap_or_else(|| st.dispatch(endpoint, &req));
    if let Some(c) = st.calls.get_mut(index) {
        c.status = Some(resp.status);
        c.response = resp.body.clone();
    }
    to_response(resp)
}

fn to_response(r: Resp) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&api::log_id()) {
        headers.insert("x-tt-logid", v);
    }
    for (name, value) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests;
