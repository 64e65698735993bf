//! A stateful fake WeCom (企业微信) server (contract section 9) on 127.0.0.1: `gettoken`,
//! member lookup by mobile and by email, and `message/send`.
//!
//! Behaviour worth knowing:
//! - Tokens: 64–128 chars of `[A-Za-z0-9_-]`, TTL 7200 s on an injectable clock; a new token per
//!   `gettoken` unless [`FakeWeCom::set_reissue_same_token`]. Unknown or revoked → `40014`,
//!   expired → `42001`, missing → `41001`.
//! - Trusted IP: an app with `trusted_ips` refuses other client IPs with `60020` (not on
//!   `gettoken` unless [`FakeWeCom::set_gettoken_checks_ip`]). The client IP is the socket's,
//!   or the value of the [`CLIENT_IP_HEADER`] request header, so tests on loopback can be
//!   "elsewhere".
//! - Lookups: `46004` for unknown members (counted; more than 20 % of the seat limit in a fake
//!   day → `45009` for every lookup of that app until the day rolls over), `60011` for members
//!   outside the app's visibility.
//! - Sends: userids compared case-insensitively; unknown, inactive or invisible → `invaliduser`
//!   (lower-case); none valid → `81013` with `invaliduser`. A member's 31st delivery in a
//!   minute (or 1001st in an hour) is still errcode 0 but recorded in [`FakeWeCom::dropped`],
//!   not delivered. With `enable_duplicate_check:1` a byte-identical body within the interval
//!   gets the first answer again and adds nothing to the outbox.
//! - Every business error is HTTP 200 with the real `errmsg` suffix
//!   `", hint: [<id>], from ip: <ip>, more info at …?e=<code>"`.
//! - Faults ([`Fault`]) are queued per endpoint; `Delay` processes the request normally and
//!   answers late (a timed-out send was delivered).

mod api;
mod state;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub use state::{
    CallRecord, DroppedSend, FakeApp, FakeEndpoint, FakeMember, Fault, Oversize, SentMessage,
};

use api::{Req, Resp, fault_response};
use state::FakeState;

/// Request header that overrides the client IP the fake sees (trusted-IP tests).
pub const CLIENT_IP_HEADER: &str = "x-fake-client-ip";

type Shared = Arc<Mutex<FakeState>>;

/// A running fake. Dropping it stops the server.
pub struct FakeWeCom {
    addr: SocketAddr,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeWeCom {
    /// Start on 127.0.0.1 with an OS-chosen port, inside the current tokio runtime.
    pub async fn start() -> io::Result<FakeWeCom> {
        FakeWeCom::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Start on a given loopback address, inside the current tokio runtime.
    pub async fn start_on(addr: SocketAddr) -> io::Result<FakeWeCom> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the fake WeCom server binds loopback addresses only",
            ));
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(FakeState::new()));
        let app = Router::new()
            .fallback(handle)
            .with_state(state.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "fake WeCom server stopped");
            }
        });
        Ok(FakeWeCom { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn st(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- configuration

    /// Add or replace (same corpid and agentid) an app.
    pub fn add_app(&self, app: FakeApp) {
        let mut st = self.st();
        st.apps
            .retain(|a| !(a.corpid == app.corpid && a.agentid == app.agentid));
        st.apps.push(app);
    }

    /// Change an app in place. Panics if unknown.
    pub fn update_app(&self, corpid: &str, agentid: i64, f: impl FnOnce(&mut FakeApp)) {
        let mut st = self.st();
        let app = st
            .apps
            .iter_mut()
            .find(|a| a.corpid == corpid && a.agentid == agentid)
            .expect("unknown fake app");
        f(app);
    }

    /// An active member with a mobile and a personal email (either may be empty).
    pub fn add_user(&self, userid: &str, mobile: &str, email: &str) {
        self.add_member(FakeMember {
            userid: userid.into(),
            mobile: mobile.into(),
            email: email.into(),
            biz_mail: String::new(),
            active: true,
        });
    }

    /// Add or replace (same userid, case-insensitive) a member.
    pub fn add_member(&self, m: FakeMember) {
        let mut st = self.st();
        st.members
            .retain(|x| !x.userid.eq_ignore_ascii_case(&m.userid));
        st.members.push(m);
    }

    /// The member is visible but has no interface licence: listed in `unlicenseduser`.
    pub fn set_unlicensed(&self, userid: &str) {
        self.st().unlicensed.insert(userid.to_lowercase());
    }

    pub fn set_token_ttl(&self, ttl: Duration) {
        self.st().token_ttl = ttl;
    }

    /// Old-doc behaviour: a repeat `gettoken` while the token is valid returns the same token.
    pub fn set_reissue_same_token(&self, on: bool) {
        self.st().reissue_same_token = on;
    }

    /// A wrong secret gives `40091 secret is invalid` instead of `40001 invalid credential`.
    pub fn set_bad_secret_40091(&self, on: bool) {
        self.st().bad_secret_40091 = on;
    }

    pub fn set_gettoken_checks_ip(&self, on: bool) {
        self.st().gettoken_checks_ip = on;
    }

    /// The corp's seat limit (default 200): more than 20 % wrong lookups a day block lookups.
    pub fn set_seat_limit(&self, seats: u32) {
        self.st().seat_limit = seats;
    }

    /// Match `+86`/`+86 ` prefixed mobiles against bare stored ones and back.
    pub fn set_normalize_cn_prefix(&self, on: bool) {
        self.st().normalize_cn_prefix = on;
    }

    /// Text/markdown over 2048 bytes: truncate (default) or `45002`.
    pub fn set_oversize(&self, o: Oversize) {
        self.st().oversize = o;
    }

    // ---- time and tokens

    pub fn advance_clock(&self, by: Duration) {
        self.st().clock_offset += by;
    }

    /// Forget every issued token: their next use answers `40014`.
    pub fn revoke_tokens(&self) {
        self.st().tokens.clear();
    }

    /// `gettoken` calls so far, failed ones included.
    pub fn token_calls(&self) -> usize {
        self.st().token_calls
    }

    /// Every token issued and not revoked (expired ones included), for leak assertions.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.st().tokens.keys().cloned().collect()
    }

    // ---- faults

    /// Answer the next `times` calls to `endpoint` with `fault` (after already queued ones).
    pub fn inject(&self, endpoint: FakeEndpoint, fault: Fault, times: usize) {
        let mut st = self.st();
        let q = st.faults.entry(endpoint).or_default();
        q.extend(std::iter::repeat_n(fault, times));
    }

    // ---- observation

    pub fn outbox(&self) -> Vec<SentMessage> {
        self.st().outbox.clone()
    }

    /// Recipient-sends dropped silently by the per-member rate limit.
    pub fn dropped(&self) -> Vec<DroppedSend> {
        self.st().dropped.clone()
    }

    /// Sends answered from the duplicate check (nothing delivered).
    pub fn duplicates(&self) -> usize {
        self.st().duplicates
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.st().calls.clone()
    }

    pub fn calls_to(&self, endpoint: FakeEndpoint) -> Vec<CallRecord> {
        self.st()
            .calls
            .iter()
            .filter(|c| c.endpoint == endpoint)
            .cloned()
            .collect()
    }

    /// Forget tokens, outbox, drops, calls, faults, counters and clock; keep apps, members
    /// and options.
    pub fn reset(&self) {
        self.st().reset();
    }
}

impl Drop for FakeWeCom {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for FakeWeCom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWeCom")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let socket_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 4 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let client_ip = headers
        .iter()
        .find(|(k, _)| k == CLIENT_IP_HEADER)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or(socket_ip);
    let req = Req {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body,
        client_ip,
    };
    let endpoint = FakeEndpoint::of(&req.method, &req.path);
    let fault = shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_fault(endpoint);
    let resp = match fault {
        Some(Fault::ConnectionReset) => {
            log(&shared, endpoint, &req, 0, "<connection reset>".into());
            // Unwinding out of the connection task closes the socket without an answer;
            // resume_unwind skips the panic hook, so nothing is printed.
            std::panic::resume_unwind(Box::new("fake: connection reset"));
        }
        // Processed (a send is delivered) before the late answer: the client's timeout
        // drops the connection, which would cancel anything still to come.
        Some(Fault::Delay { ms }) => {
            let resp = dispatch(&shared, endpoint, &req);
            log(&shared, endpoint, &req, resp.status, resp.body.clone());
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return to_response(resp);
        }
        Some(f) => fault_response(&f, &req.client_ip),
        None => dispatch(&shared, endpoint, &req),
    };
    log(&shared, endpoint, &req, resp.status, resp.body.clone());
    to_response(resp)
}

fn dispatch(shared: &Shared, endpoint: FakeEndpoint, req: &Req) -> Resp {
    shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .dispatch(endpoint, req)
}

fn log(shared: &Shared, endpoint: FakeEndpoint, req: &Req, status: u16, response: String) {
    shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .calls
        .push(CallRecord {
            endpoint,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            client_ip: req.client_ip.clone(),
            status,
            response,
        });
}

fn to_response(r: Resp) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    resp
}

#[cfg(test)]
mod tests;
