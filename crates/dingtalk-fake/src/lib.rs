//! A stateful fake DingTalk server (contract section 9) on 127.0.0.1, serving both the new
//! (`/v1.0/...`) and the legacy (`/gettoken`, `/topapi/...`) API on one port.
//!
//! Used by every test and by the `sandbox` command. Behaviour worth knowing:
//! - Tokens: 32 lowercase hex chars, TTL 7200 s by default; a repeat token call while the token
//!   is valid returns the same token and extends it; after expiry a new one is minted and the
//!   old one is rejected (new API `400 InvalidAuthentication`, legacy `88/40014`, or `88/42001`
//!   with [`FakeDingTalk::set_expired_token_code_42001`]).
//! - Phone matching ([`FakeDingTalk::set_normalize_cn_prefix`]): by default the trimmed input must
//!   equal the stored form exactly; with the option on, `+86`, `+86-`, `0086`, `86` prefixes of an
//!   11-digit mainland number are stripped on both sides first. Malformed input (not an optional
//!   `+` followed by 5–20 digits and dashes) → 40104.
//! - Members: inactive ones are not found by phone (60121) and are invalid receivers; members
//!   outside the visibility scope are found by phone but land in `invalidStaffIdList`, and card
//!   delivery to them reports `success:false` for the space.
//! - createAndDeliver with an `outTrackId` seen before is idempotent: the first answer again,
//!   nothing new in the outbox.
//! - batchSend answers always list `invalidStaffIdList`, `flowControlledStaffIdList` and
//!   `filteredStaffIdList` (the last one as modelled by the official SDK). Forced per userid
//!   until reset: [`FakeDingTalk::force_invalid`], [`FakeDingTalk::force_flow_controlled`],
//!   [`FakeDingTalk::force_filtered`] (not delivered, listed as filtered);
//!   [`FakeDingTalk::force_stale`] makes the whole call 400 `staffId.notExisted` and
//!   [`FakeDingTalk::force_no_conversation`] 400 `robot.oto.notExist` (nothing delivered to
//!   anyone in that call). [`FakeDingTalk::rename_user`] gives a member a new userid.
//! - Every new-API error carries `requestid`, every legacy answer `request_id`.
//! - Faults ([`Fault`]) are queued per endpoint. Besides the contract's list (9.4) there are
//!   `Redirect` (307/308 + `Location`, never served), `EchoRequest` (an error whose message
//!   echoes the query and body and whose code carries the token sent), `TooManyRequests` /
//!   `Unavailable` (429 / 503 with an optional `Retry-After` header), `Throttling`
//!   (403 `Throttling*` codes) and `IpBanPage` (the IP ban as an HTML page).
//! - Admin endpoints (not in the call log): `GET /__fake/state`, `POST /__fake/reset`,
//!   `POST /__fake/clock/advance {"seconds":N}`, `POST /__fake/token/expire`,
//!   `POST /__fake/inject {"endpoint":"batch_send","fault":{"type":"html_page"},"times":1}`
//!   (e.g. `{"type":"too_many_requests","retry_after":"30"}`),
//!   `POST /__fake/apps` (a [`FakeApp`]), `POST /__fake/users` (a [`FakeUser`]),
//!   `POST /__fake/users/rename {"old":"u1","new":"u2"}`,
//!   `POST /__fake/force {"invalid":[..],"flow_controlled":[..],"filtered":[..],"stale":[..],"no_conversation":[..]}`.

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
use serde::Deserialize;
use serde_json::{Value, json};

pub use state::{
    CallRecord, FakeApp, FakeEndpoint, FakeUser, Fault, SCOPE_CARD, SCOPE_LOOKUP, SCOPE_SEND,
    SentMessage,
};

use api::{Req, Resp, fault_response};
use state::FakeState;

type Shared = Arc<Mutex<FakeState>>;

enum Runner {
    Task(tokio::task::JoinHandle<()>),
    Thread {
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

/// A running fake. Dropping it stops the server.
pub struct FakeDingTalk {
    addr: SocketAddr,
    state: Shared,
    runner: Runner,
}

impl FakeDingTalk {
    /// Start on 127.0.0.1 with an OS-chosen port, inside the current tokio runtime.
    pub async fn start() -> io::Result<FakeDingTalk> {
        FakeDingTalk::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Start on a given loopback address, inside the current tokio runtime.
    pub async fn start_on(addr: SocketAddr) -> io::Result<FakeDingTalk> {
        check_loopback(addr)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(FakeState::new()));
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "fake DingTalk server stopped");
            }
        });
        Ok(FakeDingTalk {
            addr,
            state,
            runner: Runner::Task(task),
        })
    }

    /// Start on its own thread and tokio runtime (for synchronous tests that spawn the binary).
    /// Panics if 127.0.0.1 cannot be bound.
    pub fn start_background() -> FakeDingTalk {
        FakeDingTalk::try_start_background(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("start fake DingTalk on 127.0.0.1")
    }

    pub fn try_start_background(addr: SocketAddr) -> io::Result<FakeDingTalk> {
        check_loopback(addr)?;
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(FakeState::new()));
        let app = router(state.clone());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("fake-dingtalk".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::warn!(error = %e, "fake DingTalk: bad listener");
                            return;
                        }
                    };
                    tokio::select! {
                        _ = axum::serve(listener, app).into_future() => {}
                        _ = stop_rx => {}
                    }
                });
                // Dropping the runtime cancels open connections.
            })?;
        Ok(FakeDingTalk {
            addr,
            state,
            runner: Runner::Thread {
                stop: Some(stop_tx),
                thread: Some(thread),
            },
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: use it as both the api and the oapi base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn st(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- configuration

    /// Add or replace an app.
    pub fn add_app(&self, app: FakeApp) {
        self.st().apps.insert(app.app_key.clone(), app);
    }

    /// Change an app in place (e.g. remove a scope, disable the robot). Panics if unknown.
    pub fn update_app(&self, app_key: &str, f: impl FnOnce(&mut FakeApp)) {
        let mut st = self.st();
        f(st.apps.get_mut(app_key).expect("unknown fake app"));
    }

    /// An active member inside the visibility scope.
    pub fn add_user(&self, mobile: &str, userid: &str) {
        self.add_user_with(mobile, userid, true, true);
    }

    pub fn add_user_with(&self, mobile: &str, userid: &str, active: bool, in_scope: bool) {
        let mut st = self.st();
        st.users
            .retain(|u| u.mobile != mobile && u.userid != userid);
        st.users.push(FakeUser {
            mobile: mobile.into(),
            userid: userid.into(),
            active,
            in_scope,
        });
    }

    /// Change a member's userid; their phone lookup then returns `new_userid`, and `old_userid`
    /// becomes unknown (an invalid receiver; add [`FakeDingTalk::force_stale`] for the 400
    /// answer). Panics if no member has `old_userid`.
    pub fn rename_user(&self, old_userid: &str, new_userid: &str) {
        assert!(
            self.st().rename_user(old_userid, new_userid),
            "unknown fake user {old_userid:?}"
        );
    }

    pub fn set_token_ttl(&self, ttl: Duration) {
        self.st().token_ttl = ttl;
    }

    /// Max userIds per batchSend (default 20).
    pub fn set_userids_cap(&self, cap: usize) {
        self.st().userids_cap = cap;
    }

    /// Max msgParam length in bytes (default 15000).
    pub fn set_msg_param_limit(&self, limit: usize) {
        self.st().msg_param_limit = limit;
    }

    /// Robot messages per user per fake day before flow control (default: unlimited).
    pub fn set_per_user_daily_cap(&self, cap: Option<u32>) {
        self.st().per_user_daily_cap = cap;
    }

    /// See the module docs; default off (exact stored-form match).
    pub fn set_normalize_cn_prefix(&self, on: bool) {
        self.st().normalize_cn_prefix = on;
    }

    /// Legacy answer for an expired (not unknown) token: 88/42001 instead of 88/40014.
    pub fn set_expired_token_code_42001(&self, on: bool) {
        self.st().expired_token_code_42001 = on;
    }

    // ---- time and tokens

    pub fn advance_clock(&self, by: Duration) {
        self.st().clock_offset += by;
    }

    /// Expire every issued token now (server-side expiry/revocation).
    pub fn expire_tokens(&self) {
        self.st().expire_tokens();
    }

    /// Number of calls to the token endpoints (new and legacy), including failed ones.
    pub fn token_calls(&self) -> usize {
        self.st().token_calls
    }

    /// Tokens currently valid (for assertions only).
    pub fn valid_tokens(&self) -> Vec<String> {
        let st = self.st();
        let now = st.now();
        st.tokens
            .iter()
            .filter(|(_, e)| e.expires_at > now)
            .map(|(t, _)| t.clone())
            .collect()
    }

    // ---- faults

    /// Answer the next `times` calls to `endpoint` with `fault` (after already queued ones).
    pub fn inject(&self, endpoint: FakeEndpoint, fault: Fault, times: usize) {
        let mut st = self.st();
        let q = st.faults.entry(endpoint).or_default();
        q.extend(std::iter::repeat_n(fault, times));
    }

    /// batchSend reports this userid in invalidStaffIdList (card delivery fails) until reset.
    pub fn force_invalid(&self, userid: &str) {
        self.st().forced_invalid.insert(userid.to_string());
    }

    /// batchSend reports this userid in flowControlledStaffIdList until reset.
    pub fn force_flow_controlled(&self, userid: &str) {
        self.st().forced_flow_controlled.insert(userid.to_string());
    }

    /// batchSend reports this userid in filteredStaffIdList (not delivered) until reset.
    pub fn force_filtered(&self, userid: &str) {
        self.st().forced_filtered.insert(userid.to_string());
    }

    /// A batchSend naming this userid answers 400 `staffId.notExisted` (nothing delivered to
    /// anyone in that call) until reset.
    pub fn force_stale(&self, userid: &str) {
        self.st().forced_stale.insert(userid.to_string());
    }

    /// A batchSend naming this userid answers 400 `robot.oto.notExist` (no robot one-to-one
    /// conversation; nothing delivered) until reset.
    pub fn force_no_conversation(&self, userid: &str) {
        self.st().forced_no_conversation.insert(userid.to_string());
    }

    /// Mark a delivered robot message as read by a user (readStatus).
    pub fn mark_read(&self, process_query_key: &str, userid: &str) {
        self.st()
            .read
            .insert((process_query_key.to_string(), userid.to_string()));
    }

    // ---- observation

    pub fn outbox(&self) -> Vec<SentMessage> {
        self.st().outbox.clone()
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

    /// Forget tokens, outbox, calls, faults, forced lists, counters and clock; keep apps,
    /// members and options.
    pub fn reset(&self) {
        self.st().reset();
    }
}

impl Drop for FakeDingTalk {
    fn drop(&mut self) {
        match &mut self.runner {
            Runner::Task(task) => task.abort(),
            Runner::Thread { stop, thread } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(t) = thread.take() {
                    let _ = t.join();
                }
            }
        }
    }
}

impl std::fmt::Debug for FakeDingTalk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDingTalk")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn check_loopback(addr: SocketAddr) -> io::Result<()> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the fake DingTalk server binds loopback addresses only",
        ))
    }
}

fn router(state: Shared) -> Router {
    Router::new().fallback(handle).with_state(state)
}

const LOGGED_HEADERS: [&str; 4] = [
    "content-type",
    "x-acs-dingtalk-access-token",
    "authorization",
    "user-agent",
];

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 4 << 20).await {
        Ok(b) => b.to_vec(),
        Err(_) => return to_response(api_error_413()),
    };
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let req = Req {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body,
    };
    if let Some(admin_path) = req.path.strip_prefix("/__fake/") {
        return to_response(admin(&shared, admin_path, &req));
    }
    let endpoint = FakeEndpoint::of(&req.method, &req.path);
    let fault = {
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
        });
        if matches!(endpoint, FakeEndpoint::Token | FakeEndpoint::LegacyToken) {
            st.token_calls += 1;
        }
        st.pop_fault(endpoint)
    };
    match fault {
        Some(Fault::Delay { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        // Unwinding out of the connection task closes the socket without an answer;
        // resume_unwind skips the panic hook, so nothing is printed.
        Some(Fault::DropConnection) => std::panic::resume_unwind(Box::new("fake: drop connection")),
        Some(f) => return to_response(fault_response(&f, &req)),
        None => {}
    }
    let resp = shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .dispatch(endpoint, &req);
    to_response(resp)
}

fn api_error_413() -> Resp {
    Resp::new(
        413,
        "application/json",
        json!({"requestid": api::request_id(), "code": "invalidParameter.msgBody.invalid", "message": "body too large"})
            .to_string(),
    )
}

fn to_response(r: Resp) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    for (name, value) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

#[derive(Deserialize)]
struct InjectBody {
    endpoint: FakeEndpoint,
    fault: Fault,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
struct AdvanceBody {
    seconds: u64,
}

#[derive(Deserialize, Default)]
struct ForceBody {
    #[serde(default)]
    invalid: Vec<String>,
    #[serde(default)]
    flow_controlled: Vec<String>,
    #[serde(default)]
    filtered: Vec<String>,
    #[serde(default)]
    stale: Vec<String>,
    #[serde(default)]
    no_conversation: Vec<String>,
}

#[derive(Deserialize)]
struct RenameBody {
    old: String,
    new: String,
}

fn admin(shared: &Shared, path: &str, req: &Req) -> Resp {
    let ok = |v: Value| Resp::new(200, "application/json", v.to_string());
    let bad = |msg: String| Resp::new(400, "application/json", json!({"error": msg}).to_string());
    let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
    fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
        serde_json::from_slice(body).map_err(|e| format!("bad admin body: {e}"))
    }
    match (req.method.as_str(), path) {
        ("GET", "state") => ok(json!({
            "outbox": st.outbox,
            "calls": st.calls,
            "token_calls": st.token_calls,
            "apps": st.apps.values().collect::<Vec<_>>(),
            "users": st.users,
        })),
        ("POST", "reset") => {
            st.reset();
            ok(json!({"ok": true}))
        }
        ("POST", "clock/advance") => match parse::<AdvanceBody>(&req.body) {
            Ok(b) => {
                st.clock_offset += Duration::from_secs(b.seconds);
                ok(json!({"ok": true}))
            }
            Err(e) => bad(e),
        },
        ("POST", "token/expire") => {
            st.expire_tokens();
            ok(json!({"ok": true}))
        }
        ("POST", "inject") => match parse::<InjectBody>(&req.body) {
            Ok(b) => {
                let q = st.faults.entry(b.endpoint).or_default();
                q.extend(std::iter::repeat_n(b.fault, b.times));
                ok(json!({"ok": true}))
            }
            Err(e) => bad(e),
        },
        ("POST", "apps") => match parse::<FakeApp>(&req.body) {
            Ok(app) => {
                st.apps.insert(app.app_key.clone(), app);
                ok(json!({"ok": true}))
            }
            Err(e) => bad(e),
        },
        ("POST", "users") => match parse::<FakeUser>(&req.body) {
            Ok(u) => {
                st.users
                    .retain(|x| x.mobile != u.mobile && x.userid != u.userid);
                st.users.push(u);
                ok(json!({"ok": true}))
            }
            Err(e) => bad(e),
        },
        ("POST", "force") => match parse::<ForceBody>(&req.body) {
            Ok(b) => {
                st.forced_invalid.extend(b.invalid);
                st.forced_flow_controlled.extend(b.flow_controlled);
                st.forced_filtered.extend(b.filtered);
                st.forced_stale.extend(b.stale);
                st.forced_no_conversation.extend(b.no_conversation);
                ok(json!({"ok": true}))
            }
            Err(e) => bad(e),
        },
        ("POST", "users/rename") => match parse::<RenameBody>(&req.body) {
            Ok(b) if st.rename_user(&b.old, &b.new) => ok(json!({"ok": true})),
            Ok(b) => Resp::new(
                404,
                "application/json",
                json!({"error": format!("no member with userid {:?}", b.old)}).to_string(),
            ),
            Err(e) => bad(e),
        },
        _ => Resp::new(
            404,
            "application/json",
            json!({"error": format!("no admin endpoint {} /__fake/{path}", req.method)})
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests;
