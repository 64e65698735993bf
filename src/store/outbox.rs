//! The delivery outbox: workflow events and one delivery per recipient. Every state change
//! is a transaction, so a process killed at any point leaves each delivery in exactly one
//! state; `sending` marks a batch whose HTTP call may have reached DingTalk.
//!
//! Several workers may drain one database (whatever path or link they opened it by): a worker
//! claims deliveries by writing its owner id and a lease expiry in the same transaction that
//! selects them, and every later state change checks the owner. A delivery leased by a live
//! owner is never claimed by another; a lease ends when it expires or when its owner is known
//! to be dead (same host, process gone).

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::search::{self, Indexed};
use super::{ChannelId, Store, StoreError};
use crate::domain::ChannelKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sending,
    Sent,
    Failed,
    Skipped,
    /// The send may have been delivered (timeout, 5xx, a sender that died mid-call): never
    /// resent automatically, because a resend may be a duplicate.
    Unknown,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 6] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
        DeliveryStatus::Skipped,
        DeliveryStatus::Unknown,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Skipped => "skipped",
            DeliveryStatus::Unknown => "unknown",
        }
    }

    /// How people read the state (the code is for scripts).
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Unknown => "may have been delivered",
            other => other.code(),
        }
    }

    pub fn from_code(code: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A workflow event as it comes in (`notifydesk notify`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NewEvent {
    pub event_id: String,
    #[serde(rename = "type")]
    pub type_code: String,
    #[serde(rename = "node")]
    pub node_code: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub link: Option<String>,
    /// Logins of the members the workflow names (the node's receivers).
    #[serde(default, alias = "member")]
    pub members: Vec<String>,
}

/// What an event may carry. Bigger events are refused before anything is stored: DingTalk
/// could not send them anyway (a markdown message is cut at 15,000 bytes) and they would bloat
/// the outbox.
pub const MAX_EVENT_ID_BYTES: usize = 200;
pub const MAX_TITLE_BYTES: usize = 1024;
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
pub const MAX_LINK_BYTES: usize = 2048;
pub const MAX_EVENT_MEMBERS: usize = 1000;
pub const MAX_LOGIN_BYTES: usize = 128;

pub use crate::domain::is_unsafe_char;

impl NewEvent {
    /// Why this event cannot be accepted, as one sentence naming the field.
    pub fn problem(&self) -> Option<String> {
        self.size_problem().or_else(|| self.content_problem())
    }

    /// An empty id or title, or a field over its size limit (an HTTP 413 for the ingest).
    pub fn size_problem(&self) -> Option<String> {
        let too_long = |what: &str, len: usize, max: usize| {
            (len > max).then(|| format!("the event {what} is {len} bytes; the limit is {max}"))
        };
        too_long("id", self.event_id.len(), MAX_EVENT_ID_BYTES)
            .or_else(|| too_long("title", self.title.len(), MAX_TITLE_BYTES))
            .or_else(|| too_long("text", self.text.len(), MAX_TEXT_BYTES))
            .or_else(|| {
                self.link
                    .as_deref()
                    .and_then(|l| too_long("link", l.len(), MAX_LINK_BYTES))
            })
            .or_else(|| {
                (self.members.len() > MAX_EVENT_MEMBERS).then(|| {
                    format!(
                        "the event names {} members; the limit is {MAX_EVENT_MEMBERS}",
                        self.members.len()
                    )
                })
            })
            .or_else(|| {
                self.members
                    .iter()
                    .find_map(|m| too_long("member login", m.len(), MAX_LOGIN_BYTES))
            })
    }

    /// Empty required fields or characters that could drive a terminal.
    pub fn content_problem(&self) -> Option<String> {
        let unsafe_in = |what: &str, v: &str| {
            v.chars()
                .any(is_unsafe_char)
                .then(|| format!("the event {what} contains control characters"))
        };
        if self.event_id.trim().is_empty() {
            return Some("the event id is empty".into());
        }
        if self.title.trim().is_empty() {
            return Some("the event title is empty".into());
        }
        unsafe_in("id", &self.event_id)
            .or_else(|| unsafe_in("title", &self.title))
            .or_else(|| self.link.as_deref().and_then(|l| unsafe_in("link", l)))
            .or_else(|| {
                let bad = |c: char| is_unsafe_char(c) && !matches!(c, '\n' | '\t' | '\r');
                self.text
                    .chars()
                    .any(bad)
                    .then(|| "the event text contains control characters".to_string())
            })
            .or_else(|| {
                self.members
                    .iter()
                    .find_map(|m| unsafe_in("member login", m))
            })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// Queued; `unknown` lists logins that are no member (recorded as failed deliveries).
    Queued {
        deliveries: usize,
        unknown: Vec<String>,
    },
    /// The event id was seen before: nothing new.
    Duplicate,
    /// Recorded, but nothing will be sent.
    Skipped { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRow {
    pub id: i64,
    /// Last change, unix seconds.
    pub at: i64,
    pub created_at: i64,
    pub event_id: String,
    pub type_code: String,
    pub node_code: String,
    pub title: String,
    pub login: String,
    pub member_name: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    pub process_query_key: Option<String>,
    /// DingTalk's request id of the last failed call (DingTalk support asks for it).
    pub request_id: Option<String>,
    /// Waits that were not failures (throttling, flow control, IP ban).
    pub deferrals: u32,
    /// When a pending delivery is tried next, unix milliseconds (0 = at once).
    pub next_attempt_at: i64,
    /// The personal channel; `None` for rows that never had one (skipped, unknown login).
    pub channel: Option<ChannelKind>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub channel: Option<ChannelKind>,
    /// Matched against event id, type, node, title, login and the error: the trimmed text
    /// as a substring, case-insensitive for ASCII letters; `%` and `_` are LIKE's wildcards.
    pub text: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
    pub unknown: u64,
}

impl DeliveryCounts {
    /// Count `n` more deliveries in the state stored as `status` (unknown codes are ignored).
    fn add(&mut self, status: &str, n: u64) {
        let slot = match DeliveryStatus::from_code(status) {
            Some(DeliveryStatus::Pending) => &mut self.pending,
            Some(DeliveryStatus::Sending) => &mut self.sending,
            Some(DeliveryStatus::Sent) => &mut self.sent,
            Some(DeliveryStatus::Failed) => &mut self.failed,
            Some(DeliveryStatus::Skipped) => &mut self.skipped,
            Some(DeliveryStatus::Unknown) => &mut self.unknown,
            None => return,
        };
        *slot += n;
    }
}

/// A batch claimed for sending: deliveries of one event, now in state `sending`.
#[derive(Clone, Debug)]
pub struct ClaimedBatch {
    pub channel: ChannelKind,
    pub event_id: String,
    pub type_code: String,
    pub node_code: String,
    pub title: String,
    pub text: String,
    pub link: Option<String>,
    pub recipients: Vec<Recipient>,
}

/// Why deliveries end without being sent (or may have been): code, message, request id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problem {
    pub code: String,
    pub error: String,
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(code: impl Into<String>, error: impl Into<String>) -> Problem {
        Problem {
            code: code.into(),
            error: error.into(),
            request_id: None,
        }
    }
}

/// A delivery put back for later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryMark {
    pub code: String,
    pub error: String,
    pub request_id: Option<String>,
    /// Unix milliseconds.
    pub next_at_ms: i64,
    /// False for a wait that is not a failure (throttling, flow control): the attempt the
    /// claim counted is given back.
    pub counted: bool,
}

#[derive(Clone, Debug)]
pub struct Recipient {
    pub delivery_id: i64,
    /// Attempts including this one.
    pub attempts: u32,
    pub deferrals: u32,
    /// Unix seconds the delivery was queued, or retried by hand if later: deferrals give up
    /// counting from here.
    pub since: i64,
    /// When it was last retried by hand (0 = never): a card sent after that is a new card.
    pub restarted_at: i64,
    pub member_id: Option<i64>,
    pub login: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The DingTalk userid cached on the member.
    pub userid: Option<String>,
    /// The member's cached id on this batch's platform (WeCom, Feishu, Lark).
    pub channel_id: Option<ChannelId>,
    /// The code of the last problem (`interrupted`, `maybe-delivered:…` after a send that
    /// may have been delivered).
    pub last_code: Option<String>,
}

const ROW_SELECT: &str =
    "SELECT d.id, d.updated_at, d.created_at, e.event_id, e.type_code, e.node_code,
        e.title, d.login, m.name, d.status, d.attempts, d.error_code, d.last_error,
        d.process_query_key, d.request_id, d.deferrals, d.next_attempt_at, d.channel
    FROM delivery d JOIN event e ON e.id = d.event_ref
    LEFT JOIN member m ON m.login = d.login";

fn row(r: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    let status: String = r.get(9)?;
    Ok(DeliveryRow {
        id: r.get(0)?,
        at: r.get(1)?,
        created_at: r.get(2)?,
        event_id: r.get(3)?,
        type_code: r.get(4)?,
        node_code: r.get(5)?,
        title: r.get(6)?,
        login: r.get(7)?,
        member_name: r.get(8)?,
        status: DeliveryStatus::from_code(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: r.get(10)?,
        error_code: r.get(11)?,
        last_error: r.get(12)?,
        process_query_key: r.get(13)?,
        request_id: r.get(14)?,
        deferrals: r.get(15)?,
        next_attempt_at: r.get(16)?,
        channel: ChannelKind::from_code(&r.get::<_, String>(17)?),
    })
}

/// The status and channel clauses of a filter on delivery `alias`. `plus` writes `+d.status`:
/// the planner then leaves those columns' indexes alone (the search's own indexes drive).
fn base_sql(f: &DeliveryFilter, alias: &str, plus: bool) -> (Vec<String>, Vec<Value>) {
    let plus = if plus { "+" } else { "" };
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(s) = f.status {
        clauses.push(format!("{plus}{alias}.status = ?"));
        params.push(Value::Text(s.code().to_string()));
    }
    if let Some(c) = f.channel {
        clauses.push(format!("{plus}{alias}.channel = ?"));
        params.push(Value::Text(c.code().to_string()));
    }
    (clauses, params)
}

/// The filter's search text, trimmed; `None` when there is none.
fn search_text(f: &DeliveryFilter) -> Option<&str> {
    f.text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// WHERE clauses and parameters for a filter (status and a case-insensitive text search),
/// searching with LIKE over every row (joined with its event as `e`).
fn filter_sql(f: &DeliveryFilter) -> (Vec<String>, Vec<Value>) {
    let (mut clauses, mut params) = base_sql(f, "d", false);
    if let Some(t) = search_text(f) {
        clauses.push(
            "(e.event_id LIKE ?1x OR e.type_code LIKE ?1x OR e.node_code LIKE ?1x OR e.title LIKE ?1x \
             OR d.login LIKE ?1x OR IFNULL(d.last_error, '') LIKE ?1x)"
                .replace("?1x", "?"),
        );
        let like = format!("%{t}%");
        for _ in 0..6 {
            params.push(Value::Text(like.clone()));
        }
    }
    (clauses, params)
}

/// SQL of the LIKE search: newest first, `limit` rows with `at_least <= id < before`.
pub(super) fn like_page_sql(
    filter: &DeliveryFilter,
    before: Option<i64>,
    at_least: Option<i64>,
    limit: usize,
) -> (String, Vec<Value>) {
    let (mut clauses, mut args) = filter_sql(filter);
    if let Some(b) = before {
        clauses.push("d.id < ?".into());
        args.push(Value::Integer(b));
    }
    if let Some(a) = at_least {
        clauses.push("d.id >= ?".into());
        args.push(Value::Integer(a));
    }
    let sql = format!(
        "{ROW_SELECT} {} ORDER BY d.id DESC LIMIT {limit}",
        where_sql(&clauses)
    );
    (sql, args)
}

/// SQL of the id of the `n`th newest delivery below `before` under the filter's status and
/// channel (not its text).
pub(super) fn nth_newest_sql(
    filter: &DeliveryFilter,
    before: Option<i64>,
    n: usize,
) -> (String, Vec<Value>) {
    let (mut clauses, mut args) = base_sql(filter, "d", false);
    if let Some(b) = before {
        clauses.push("d.id < ?".into());
        args.push(Value::Integer(b));
    }
    args.push(Value::Integer(n.saturating_sub(1) as i64));
    let sql = format!(
        "SELECT d.id FROM delivery d {} ORDER BY d.id DESC LIMIT 1 OFFSET ?",
        where_sql(&clauses)
    );
    (sql, args)
}

/// The page query of a search through the indexes: newest first, `limit` rows below
/// `before` (ids first, then their rows).
pub(super) fn indexed_page_sql(
    filter: &DeliveryFilter,
    ix: &Indexed,
    before: Option<i64>,
    limit: usize,
) -> (String, Vec<Value>) {
    let (mut clauses, mut args) = base_sql(filter, "dd", true);
    if let Some(b) = before {
        clauses.push("dd.id < ?".into());
        args.push(Value::Integer(b));
    }
    let (matches, match_args) = search::matches_sql(ix, "dd");
    clauses.push(matches);
    args.extend(match_args);
    let sql = format!(
        "{ROW_SELECT} WHERE d.id IN (
            SELECT dd.id FROM delivery dd {} ORDER BY dd.id DESC LIMIT {limit})
         ORDER BY d.id DESC",
        where_sql(&clauses)
    );
    (sql, args)
}

/// The count query of a search through the indexes. Deliveries always have their event (a
/// foreign key), so unlike the LIKE count it needs no join.
pub(super) fn indexed_count_sql(filter: &DeliveryFilter, ix: &Indexed) -> (String, Vec<Value>) {
    let (mut clauses, mut args) = base_sql(filter, "dd", true);
    let (matches, match_args) = search::matches_sql(ix, "dd");
    clauses.push(matches);
    args.extend(match_args);
    let sql = format!("SELECT COUNT(*) FROM delivery dd {}", where_sql(&clauses));
    (sql, args)
}

fn where_sql(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What became of one request of [`Store::enqueue_requests`].
#[derive(Debug)]
pub enum RequestOutcome {
    /// Every event was stored (or was a duplicate), durably.
    Stored(Vec<EnqueueOutcome>),
    /// At least one event was refused, so none was stored; the outcome of each.
    Rejected(Vec<Result<EnqueueOutcome, StoreError>>),
}

/// Enqueue `events` on an open transaction or savepoint.
fn enqueue_on(
    conn: &rusqlite::Connection,
    events: &[NewEvent],
    err: &impl Fn(rusqlite::Error) -> StoreError,
) -> Result<Vec<Result<EnqueueOutcome, StoreError>>, StoreError> {
    let configured = super::personal::configured_kinds(conn).map_err(err)?;
    let mut nodes: std::collections::HashMap<(String, String), Option<NodeInfo>> =
        Default::default();
    let mut outcomes = Vec::with_capacity(events.len());
    let mut upkeep = search::Upkeep::default();
    let t = now();
    for ev in events {
        if let Some(what) = ev.problem() {
            outcomes.push(Err(StoreError::Invalid { what }));
            continue;
        }
        let key = (ev.type_code.clone(), ev.node_code.clone());
        if !nodes.contains_key(&key) {
            let info = node_info(conn, &ev.type_code, &ev.node_code).map_err(err)?;
            nodes.insert(key.clone(), info);
        }
        let Some(node) = &nodes[&key] else {
            let what = unknown_node(conn, &ev.type_code, &ev.node_code).map_err(err)?;
            outcomes.push(Err(StoreError::Invalid { what }));
            continue;
        };
        outcomes.push(Ok(insert_event(
            conn,
            ev,
            node,
            &configured,
            t,
            &mut upkeep,
        )
        .map_err(err)?));
    }
    upkeep.write(conn).map_err(err)?;
    Ok(outcomes)
}

/// What enqueueing needs of a subscription node.
struct NodeInfo {
    type_label: String,
    node_label: String,
    personal: bool,
    custom_receivers: Vec<String>,
}

fn node_info(
    tx: &rusqlite::Connection,
    type_code: &str,
    node_code: &str,
) -> rusqlite::Result<Option<NodeInfo>> {
    let row = tx
        .prepare_cached(
            "SELECT t.en, n.en, COALESCE(s.personal, 0)
             FROM subscription_node n
             JOIN subscription_type t ON t.code = n.type_code
             LEFT JOIN subscription s ON s.type_code = n.type_code AND s.node_code = n.code
             WHERE n.type_code = ?1 AND n.code = ?2 AND t.retired = 0 AND n.retired = 0",
        )?
        .query_row(params![type_code, node_code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0))
        })
        .optional()?;
    let Some((type_label, node_label, personal)) = row else {
        return Ok(None);
    };
    let custom_receivers = tx
        .prepare_cached(
            "SELECT m.login FROM custom_receiver cr JOIN member m ON m.id = cr.member_id
             WHERE cr.type_code = ?1 AND cr.node_code = ?2 ORDER BY m.login COLLATE NOCASE",
        )?
        .query_map(params![type_code, node_code], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Some(NodeInfo {
        type_label,
        node_label,
        personal,
        custom_receivers,
    }))
}

/// The error for a (type, node) that is not in the catalogue, naming the valid codes (as
/// `subscription set` does).
fn unknown_node(
    tx: &rusqlite::Connection,
    type_code: &str,
    node_code: &str,
) -> rusqlite::Result<String> {
    let codes = |sql: &str, arg: &str| -> rusqlite::Result<Vec<String>> {
        tx.prepare_cached(sql)?
            .query_map([arg], |r| r.get::<_, String>(0))?
            .collect()
    };
    let types = codes(
        "SELECT code FROM subscription_type WHERE retired = 0 AND ?1 = ?1 ORDER BY position",
        "",
    )?;
    if !types.iter().any(|t| t == type_code) {
        return Ok(format!(
            "unknown subscription type {type_code:?}; valid types: {}",
            types.join(", ")
        ));
    }
    let nodes = codes(
        "SELECT code FROM subscription_node WHERE type_code = ?1 AND retired = 0 ORDER BY position",
        type_code,
    )?;
    Ok(format!(
        "unknown node {node_code:?} for subscription type {type_code}; valid nodes: {}",
        nodes.join(", ")
    ))
}

fn insert_event(
    tx: &rusqlite::Connection,
    ev: &NewEvent,
    node: &NodeInfo,
    configured: &[ChannelKind],
    t: i64,
    upkeep: &mut search::Upkeep,
) -> rusqlite::Result<EnqueueOutcome> {
    let skip_reason = if !node.personal {
        Some(format!(
            "Personal Channel is not checked for {} / {}",
            node.type_label, node.node_label
        ))
    } else if configured.is_empty() {
        Some("no personal channel is configured: DingTalk, WeCom, Feishu and Lark are all not configured".to_string())
    } else {
        None
    };
    let inserted = tx
        .prepare_cached(
            "INSERT INTO event (event_id, type_code, node_code, title, text, link, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (event_id) DO NOTHING",
        )?
        .execute(params![
            ev.event_id,
            ev.type_code,
            ev.node_code,
            ev.title,
            ev.text,
            ev.link,
            t
        ])?;
    if inserted == 0 {
        return Ok(EnqueueOutcome::Duplicate);
    }
    let event_ref = tx.last_insert_rowid();
    upkeep.event(event_ref);
    let mut logins: Vec<&str> = Vec::new();
    for l in ev.members.iter().chain(node.custom_receivers.iter()) {
        let l = l.trim();
        if !l.is_empty() && !logins.iter().any(|x| x.eq_ignore_ascii_case(l)) {
            logins.push(l);
        }
    }
    let mut is_member =
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM member WHERE login = ?1)")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO delivery (event_ref, login, channel, status, error_code, last_error,
            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    let mut unknown = Vec::new();
    let mut queued = 0;
    for login in logins {
        // The search's record of logins and errors (no trigger on `delivery`: see v6).
        upkeep.text(tx, "login", login)?;
        let (status, code, error) = match &skip_reason {
            Some(reason) => ("skipped", Some("skipped"), Some(reason.clone())),
            None if !is_member.query_row([login], |r| r.get::<_, bool>(0))? => {
                unknown.push(login.to_string());
                (
                    "failed",
                    Some("unknown_member"),
                    Some(format!(
                        "no member has the login {login:?}; add it with `notifydesk member add`"
                    )),
                )
            }
            None => {
                // One delivery per configured channel: each has its own state and retries.
                for kind in configured {
                    queued += 1;
                    insert.execute(params![
                        event_ref,
                        login,
                        kind.code(),
                        "pending",
                        None::<String>,
                        None::<String>,
                        t
                    ])?;
                }
                continue;
            }
        };
        if let Some(error) = &error {
            upkeep.text(tx, "error", error)?;
        }
        insert.execute(params![event_ref, login, "", status, code, error, t])?;
    }
    Ok(match skip_reason {
        Some(reason) => EnqueueOutcome::Skipped { reason },
        None => EnqueueOutcome::Queued {
            deliveries: queued,
            unknown,
        },
    })
}

impl Store {
    /// Record a workflow event and its deliveries in one transaction. See
    /// [`Store::enqueue_events`].
    pub fn enqueue_event(&mut self, ev: &NewEvent) -> Result<EnqueueOutcome, StoreError> {
        let mut out = self.enqueue_events(std::slice::from_ref(ev))?;
        out.pop().expect("one outcome per event")
    }

    /// Record workflow events and their deliveries, all in ONE transaction (durable when this
    /// returns `Ok`), with an outcome per event: a bad event is refused on its own without
    /// failing the others. `Err` = the transaction failed and nothing was stored.
    ///
    /// Receivers are the members named on the event plus the node's custom receivers, when
    /// the node has Personal Channel checked and the DingTalk channel is configured; otherwise
    /// the event is skipped with the reason (its named members get `skipped` deliveries, so the
    /// log shows why). Only indexed look-ups: the node's row, its custom receivers, each named
    /// login — never every member or every row, so 100,000 members cost what 20 do.
    pub fn enqueue_events(
        &mut self,
        events: &[NewEvent],
    ) -> Result<Vec<Result<EnqueueOutcome, StoreError>>, StoreError> {
        let err = self.err_fn();
        let tx = self.conn.transaction().map_err(&err)?;
        let outcomes = enqueue_on(&tx, events, &err)?;
        tx.commit().map_err(&err)?;
        Ok(outcomes)
    }

    /// Several requests in ONE transaction (one fsync), each all-or-nothing: a request with a
    /// bad event stores none of its events (its outcomes say which event was bad), the others
    /// are stored. `Err` = the transaction failed and nothing was stored.
    pub fn enqueue_requests(
        &mut self,
        requests: &[Vec<NewEvent>],
    ) -> Result<Vec<RequestOutcome>, StoreError> {
        let err = self.err_fn();
        let mut tx = self.conn.transaction().map_err(&err)?;
        let mut out = Vec::with_capacity(requests.len());
        for events in requests {
            let sp = tx.savepoint().map_err(&err)?;
            let outcomes = enqueue_on(&sp, events, &err)?;
            if outcomes.iter().all(Result::is_ok) {
                sp.commit().map_err(&err)?;
                out.push(RequestOutcome::Stored(
                    outcomes.into_iter().map(Result::unwrap).collect(),
                ));
            } else {
                drop(sp); // rolls back this request only
                out.push(RequestOutcome::Rejected(outcomes));
            }
        }
        tx.commit().map_err(&err)?;
        Ok(out)
    }

    /// Leases of owners that are known to be dead end now: an owner id starts with
    /// `<host>/<pid>/`, so a worker on the same host whose process is gone (killed, crashed)
    /// gives its deliveries back at once instead of after its lease. Unknown hosts and live or
    /// reused pids keep their lease until it expires, which is always safe.
    fn end_dead_leases(tx: &rusqlite::Transaction<'_>, now_ms: i64) -> rusqlite::Result<()> {
        let owners: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT DISTINCT claim_owner FROM delivery
                 WHERE status IN ('pending', 'sending') AND lease_until > ?1
                   AND claim_owner IS NOT NULL",
            )?;
            stmt.query_map([now_ms], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for owner in owners {
            if crate::store::owner::is_dead(&owner) {
                tx.execute(
                    "UPDATE delivery SET lease_until = 0
                     WHERE claim_owner = ?1 AND status IN ('pending', 'sending')",
                    [&owner],
                )?;
            }
        }
        Ok(())
    }

    /// Deliveries left `sending` whose owner is gone (lease expired, or its process died):
    /// DingTalk may have accepted them (batchSend has no idempotency key), so they become
    /// `unknown` ("may have been delivered"), never resent automatically.
    pub fn recover_interrupted(&mut self, now_ms: i64) -> Result<usize, StoreError> {
        let err = self.err_fn();
        // Most rounds find nothing in flight: answer that without taking the write lock.
        let in_flight: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM delivery WHERE status = 'sending')")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(&err)?;
        if !in_flight {
            return Ok(0);
        }
        let tx = self.conn.transaction().map_err(&err)?;
        Self::end_dead_leases(&tx, now_ms).map_err(&err)?;
        // Feishu/Lark (`uuid`, 1 h) and WeCom (duplicate check of the identical one-member
        // body, 4 h) drop a resend of the same message: within those windows, with a margin,
        // an interrupted send goes out again instead of waiting for a person.
        let now_s = now();
        tx.execute(
            "UPDATE delivery SET status = 'pending', error_code = 'interrupted',
                last_error = 'the sender stopped during the call; sent again with the same idempotency key, so it arrives at most once',
                lease_until = 0, claim_owner = NULL, next_attempt_at = 0, updated_at = ?2
             WHERE status = 'sending' AND lease_until <= ?1
               AND ((channel IN ('feishu', 'feishu_lark') AND updated_at >= ?2 - 3000)
                 OR (channel = 'wecom' AND updated_at >= ?2 - 13000))",
            params![now_ms, now_s],
        )
        .map_err(&err)?;
        let n = tx
            .execute(
                "UPDATE delivery SET status = 'unknown', error_code = 'interrupted',
                    last_error = 'the sender stopped during the call, so the message may have been delivered; check with the receiver before retrying (notifydesk log --retry ID --force)',
                    lease_until = 0, updated_at = ?2
                 WHERE status = 'sending' AND lease_until <= ?1",
                params![now_ms, now()],
            )
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(n)
    }

    /// Claim up to `limit` ready deliveries of the oldest ready event for `owner`, until
    /// `lease_until_ms`, counting an attempt. A delivery is ready when it is pending, due, and
    /// not leased by another owner. They stay `pending` until [`Store::mark_sending`] just
    /// before the DingTalk call, so a crash while looking up receivers loses nothing and marks
    /// nothing as maybe-sent.
    pub fn claim_batch(
        &mut self,
        owner: &str,
        at_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Option<ClaimedBatch>, StoreError> {
        let err = self.err_fn();
        let tx = self.conn.transaction().map_err(&err)?;
        Self::end_dead_leases(&tx, at_ms).map_err(&err)?;
        const READY: &str = "status = 'pending' AND next_attempt_at <= ?1
            AND (lease_until <= ?1 OR claim_owner = ?2)";
        let first: Option<(i64, String)> = tx
            .query_row(
                &format!(
                    "SELECT event_ref, channel FROM delivery WHERE {READY} AND channel <> ''
                     ORDER BY id LIMIT 1"
                ),
                params![at_ms, owner],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let Some((event_ref, channel_code)) = first else {
            return Ok(None);
        };
        // Rows written before channels existed are DingTalk's (the v5 migration says so).
        let channel = ChannelKind::from_code(&channel_code).unwrap_or(ChannelKind::DingTalk);
        let (event_id, type_code, node_code, title, text, link): (
            String,
            String,
            String,
            String,
            String,
            Option<String>,
        ) = tx
            .query_row(
                "SELECT event_id, type_code, node_code, title, text, link FROM event WHERE id = ?1",
                [event_ref],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .map_err(&err)?;
        let recipients: Vec<Recipient> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT d.id, d.attempts, d.deferrals, MAX(d.created_at, d.restarted_at), m.id,
                        d.login, m.phone, m.dingtalk_userid, d.restarted_at, m.email,
                        c.app_id, c.lookup_key, c.user_id, c.resolved_at, d.error_code
                     FROM delivery d LEFT JOIN member m ON m.login = d.login
                     LEFT JOIN member_channel_id c ON c.member_id = m.id AND c.channel = d.channel
                     WHERE d.event_ref = ?3 AND d.channel = ?5 AND {READY}
                     ORDER BY d.id LIMIT ?4"
                ))
                .map_err(&err)?;
            stmt.query_map(
                params![at_ms, owner, event_ref, limit as i64, channel_code],
                |r| {
                    Ok(Recipient {
                        delivery_id: r.get(0)?,
                        attempts: r.get::<_, u32>(1)? + 1,
                        deferrals: r.get(2)?,
                        since: r.get(3)?,
                        restarted_at: r.get(8)?,
                        member_id: r.get(4)?,
                        login: r.get(5)?,
                        phone: r.get(6)?,
                        userid: r.get(7)?,
                        email: r.get(9)?,
                        channel_id: match r.get::<_, Option<String>>(10)? {
                            Some(app_id) => Some(ChannelId {
                                app_id,
                                lookup_key: r.get(11)?,
                                user_id: r.get(12)?,
                                resolved_at: r.get(13)?,
                            }),
                            None => None,
                        },
                        last_code: r.get(14)?,
                    })
                },
            )
            .and_then(|rows| rows.collect())
            .map_err(&err)?
        };
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE delivery SET attempts = attempts + 1, claim_owner = ?2,
                        lease_until = ?3, updated_at = ?4 WHERE id = ?1",
                )
                .map_err(&err)?;
            for r in &recipients {
                stmt.execute(params![r.delivery_id, owner, lease_until_ms, now()])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(Some(ClaimedBatch {
            channel,
            event_id,
            type_code,
            node_code,
            title,
            text,
            link,
            recipients,
        }))
    }

    /// Run `sql` for each delivery id in one transaction (all or nothing); the ids whose row
    /// changed.
    fn update_deliveries(
        &mut self,
        ids: &[i64],
        sql: &str,
        bind: impl Fn(i64) -> Vec<rusqlite::types::Value>,
    ) -> Result<Vec<i64>, StoreError> {
        let err = self.err_fn();
        let tx = self.conn.transaction().map_err(&err)?;
        let mut changed = Vec::with_capacity(ids.len());
        {
            let mut stmt = tx.prepare(sql).map_err(&err)?;
            for id in ids {
                if stmt
                    .execute(rusqlite::params_from_iter(bind(*id)))
                    .map_err(&err)?
                    > 0
                {
                    changed.push(*id);
                }
            }
        }
        tx.commit().map_err(&err)?;
        Ok(changed)
    }

    /// Run `sql` (binding ?1 id, ?2 owner, ?3 lease end) on each of `ids` in one
    /// transaction; the ids whose row changed.
    fn update_owned(
        &mut self,
        sql: &str,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let owner = owner.to_string();
        self.update_deliveries(ids, sql, |id| {
            vec![id.into(), owner.clone().into(), lease_until_ms.into()]
        })
    }

    /// A failed row that never had a channel (its login was no member when the event came):
    /// retrying it means one delivery per channel configured now, in its place. Returns
    /// false for any other row.
    fn retry_channelless(&mut self, id: i64) -> Result<bool, StoreError> {
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        let row: Option<(i64, String)> = tx
            .query_row(
                "SELECT event_ref, login FROM delivery
                 WHERE id = ?1 AND channel = '' AND status = 'failed'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let Some((event_ref, login)) = row else {
            return Ok(false);
        };
        let is_member: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM member WHERE login = ?1)",
                [&login],
                |r| r.get(0),
            )
            .map_err(&err)?;
        if !is_member {
            return Err(StoreError::Invalid {
                what: format!(
                    "delivery {id} cannot be retried yet: no member has the login {login:?}; add it with `notifydesk member add` first"
                ),
            });
        }
        let kinds = super::personal::configured_kinds(&tx).map_err(&err)?;
        if kinds.is_empty() {
            return Err(StoreError::Invalid {
                what: format!("delivery {id} cannot be retried: no personal channel is configured"),
            });
        }
        let t = now();
        let mut upkeep = search::Upkeep::default();
        upkeep.text(&tx, "login", &login).map_err(&err)?;
        upkeep.write(&tx).map_err(&err)?;
        for kind in kinds {
            tx.execute(
                "INSERT INTO delivery (event_ref, login, channel, status, restarted_at, created_at,
                    updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?4)
                 ON CONFLICT (event_ref, login, channel) DO NOTHING",
                params![event_ref, login, kind.code(), t],
            )
            .map_err(&err)?;
        }
        tx.execute("DELETE FROM delivery WHERE id = ?1", [id])
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(true)
    }

    /// Extend `owner`'s lease on these deliveries (before each slow call).
    pub fn renew_lease(
        &mut self,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<(), StoreError> {
        self.update_owned(
            "UPDATE delivery SET lease_until = ?3
             WHERE id = ?1 AND claim_owner = ?2 AND status IN ('pending', 'sending')",
            owner,
            ids,
            lease_until_ms,
        )
        .map(drop)
    }

    /// About to call DingTalk for these deliveries: from here until the answer is recorded,
    /// a crash leaves them `sending` (outcome unknown). Returns the ids `owner` still holds
    /// (pending and claimed by it); only those may be sent.
    pub fn mark_sending(
        &mut self,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<Vec<i64>, StoreError> {
        self.update_owned(
            "UPDATE delivery SET status = 'sending', lease_until = ?3,
                updated_at = CAST(strftime('%s', 'now') AS INTEGER)
             WHERE id = ?1 AND claim_owner = ?2 AND status IN ('pending', 'sending')",
            owner,
            ids,
            lease_until_ms,
        )
    }

    /// DingTalk accepted these deliveries: record the processQueryKey with the state. Also
    /// corrects `unknown` left by a recovery that ran while this owner waited for the answer.
    pub fn mark_sent(
        &mut self,
        owner: &str,
        ids: &[i64],
        process_query_key: &str,
    ) -> Result<(), StoreError> {
        let t = now();
        let owner = owner.to_string();
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = 'sent', process_query_key = ?3, error_code = NULL,
                last_error = NULL, request_id = NULL, claim_owner = NULL, lease_until = 0,
                updated_at = ?4
             WHERE id = ?1 AND claim_owner IS ?2",
            |id| {
                vec![
                    id.into(),
                    owner.clone().into(),
                    process_query_key.to_string().into(),
                    t.into(),
                ]
            },
        )
        .map(drop)
    }

    /// Back to `pending`, to be tried again at `next_at_ms` (unix milliseconds). A deferral
    /// (`counted` false: throttling, flow control, a stale userid) gives back the attempt the
    /// claim counted.
    pub fn mark_retry(
        &mut self,
        owner: &str,
        ids: &[i64],
        r: &RetryMark,
    ) -> Result<(), StoreError> {
        let t = now();
        let owner = owner.to_string();
        let undo = i64::from(!r.counted);
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = 'pending', error_code = ?3, last_error = ?4,
                request_id = ?5, next_attempt_at = ?6, attempts = MAX(attempts - ?7, 0),
                deferrals = deferrals + ?7, claim_owner = NULL, lease_until = 0, updated_at = ?8
             WHERE id = ?1 AND claim_owner IS ?2 AND status IN ('pending', 'sending', 'unknown')",
            |id| {
                vec![
                    id.into(),
                    owner.clone().into(),
                    r.code.clone().into(),
                    r.error.clone().into(),
                    r.request_id.clone().into(),
                    r.next_at_ms.into(),
                    undo.into(),
                    t.into(),
                ]
            },
        )
        .map(drop)
    }

    /// A final outcome other than sent: `failed` (nothing was delivered) or `unknown` (may
    /// have been delivered).
    pub fn mark_done(
        &mut self,
        owner: &str,
        ids: &[i64],
        status: DeliveryStatus,
        problem: &Problem,
    ) -> Result<(), StoreError> {
        debug_assert!(matches!(
            status,
            DeliveryStatus::Failed | DeliveryStatus::Unknown
        ));
        let t = now();
        let owner = owner.to_string();
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = ?3, error_code = ?4, last_error = ?5, request_id = ?6,
                claim_owner = NULL, lease_until = 0, updated_at = ?7
             WHERE id = ?1 AND claim_owner IS ?2 AND status IN ('pending', 'sending', 'unknown')",
            |id| {
                vec![
                    id.into(),
                    owner.clone().into(),
                    status.code().to_string().into(),
                    problem.code.clone().into(),
                    problem.error.clone().into(),
                    problem.request_id.clone().into(),
                    t.into(),
                ]
            },
        )
        .map(drop)
    }

    /// Give back every pending delivery `owner` still holds (a worker that stops).
    pub fn release_claims(&mut self, owner: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE delivery SET claim_owner = NULL, lease_until = 0
                 WHERE claim_owner = ?1 AND status = 'pending'",
                [owner],
            )
            .map_err(|e| self.err(e))
            .map(drop)
    }

    /// A failed delivery goes back to `pending`, to be sent at the next drain. One that may
    /// have been delivered (`unknown`) needs `force`: resending it may deliver it twice. One
    /// UPDATE decides, so a delivery that a live worker is still finishing (its lease holds)
    /// is never reset under it.
    pub fn retry_delivery(&mut self, id: i64, force: bool) -> Result<(), StoreError> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        if self.retry_channelless(id)? {
            return Ok(());
        }
        let allowed = if force {
            "('failed', 'unknown')"
        } else {
            "('failed')"
        };
        let changed = self
            .conn
            .execute(
                &format!(
                    "UPDATE delivery SET status = 'pending', next_attempt_at = 0, attempts = 0,
                        deferrals = 0, claim_owner = NULL, lease_until = 0, restarted_at = ?2,
                        updated_at = ?2
                     WHERE id = ?1 AND status IN {allowed}
                       AND (claim_owner IS NULL OR lease_until <= ?3)"
                ),
                params![id, now(), now_ms],
            )
            .map_err(|e| self.err(e))?;
        if changed == 1 {
            return Ok(());
        }
        let status: Option<String> = self
            .conn
            .query_row("SELECT status FROM delivery WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        Err(match status.as_deref().map(DeliveryStatus::from_code) {
            None => StoreError::NotFound {
                what: format!("delivery {id}"),
            },
            Some(Some(DeliveryStatus::Unknown)) if !force => StoreError::Invalid {
                what: format!(
                    "delivery {id} may have been delivered (DingTalk did not confirm or deny it), so a retry may send it twice; check with the receiver, then retry with --force if it did not arrive"
                ),
            },
            Some(Some(DeliveryStatus::Failed | DeliveryStatus::Unknown)) => StoreError::Invalid {
                what: format!(
                    "delivery {id} is still held by a running worker that may record its outcome; retry in a minute"
                ),
            },
            _ => StoreError::Invalid {
                what: format!(
                    "delivery {id} is {}; only failed deliveries (or, with --force, ones that may have been delivered) can be retried",
                    status.unwrap_or_default()
                ),
            },
        })
    }

    /// Put deliveries `owner` marked `sending` back to `pending`, still claimed by it (nothing
    /// was sent: DingTalk refused the call as a whole, and it will try them one by one).
    pub fn unmark_sending(
        &mut self,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<(), StoreError> {
        self.update_owned(
            "UPDATE delivery SET status = 'pending', lease_until = ?3
             WHERE id = ?1 AND claim_owner = ?2 AND status = 'sending'",
            owner,
            ids,
            lease_until_ms,
        )
        .map(drop)
    }

    /// Forget the cached DingTalk userids of these members (DingTalk said they no longer
    /// exist), so the next attempt looks them up again.
    pub fn clear_userids(&mut self, member_ids: &[i64]) -> Result<(), StoreError> {
        let err = self.err_fn();
        let tx = self.conn.transaction().map_err(&err)?;
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE member SET dingtalk_userid = NULL, resolved_at = NULL WHERE id = ?1",
                )
                .map_err(&err)?;
            for id in member_ids {
                stmt.execute([id]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// Newest first, `limit` rows older than `before_id` (keyset paging: never all rows).
    /// A search text of 3 characters or more is answered through the trigram indexes (see
    /// `store::search`); the rows are the same as a LIKE scan's.
    pub fn delivery_page(
        &self,
        filter: &DeliveryFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        self.delivery_page_scanning(filter, before_id, limit, search::SCAN_ROWS)
    }

    /// [`Store::delivery_page`], reading at most `scan_rows` rows with LIKE before a search
    /// turns to the indexes.
    pub(super) fn delivery_page_scanning(
        &self,
        filter: &DeliveryFilter,
        before_id: Option<i64>,
        limit: usize,
        scan_rows: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let limit = limit.min(10_000);
        let Some(ix) = search_text(filter).and_then(search::indexed) else {
            return self.like_page(filter, before_id, None, limit);
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut below = before_id;
        let mut rows = Vec::new();
        if scan_rows > 0 {
            // The newest `scan_rows` rows (under the status and channel filters) with LIKE:
            // when most rows match, the page is full here.
            let edge = self.nth_newest(filter, before_id, scan_rows)?;
            rows = self.like_page(filter, before_id, edge, limit)?;
            match edge {
                Some(edge) if rows.len() < limit => below = Some(edge),
                // A full page, or fewer rows than `scan_rows`: all were read.
                _ => return Ok(rows),
            }
        }
        rows.extend(self.indexed_page(filter, &ix, below, limit - rows.len())?);
        Ok(rows)
    }

    /// The LIKE search: newest first, `limit` rows with `at_least <= id < before`.
    fn like_page(
        &self,
        filter: &DeliveryFilter,
        before: Option<i64>,
        at_least: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let (sql, args) = like_page_sql(filter, before, at_least, limit);
        self.rows(&sql, args)
    }

    /// The id of the `n`th newest delivery below `before` under the filter's status and
    /// channel (not its text); `None` when there are fewer. Reads `n` index entries.
    fn nth_newest(
        &self,
        filter: &DeliveryFilter,
        before: Option<i64>,
        n: usize,
    ) -> Result<Option<i64>, StoreError> {
        let (sql, args) = nth_newest_sql(filter, before, n);
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args.iter()), |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The search through the indexes: newest first, `limit` rows below `before`.
    fn indexed_page(
        &self,
        filter: &DeliveryFilter,
        ix: &Indexed,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let (sql, args) = indexed_page_sql(filter, ix, before, limit);
        self.rows(&sql, args)
    }

    fn rows(&self, sql: &str, args: Vec<Value>) -> Result<Vec<DeliveryRow>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        stmt.query_map(rusqlite::params_from_iter(args.iter()), row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// How many deliveries the filter matches. A search text of 3 characters or more is
    /// counted through the trigram indexes, unless the status and channel filters leave few
    /// rows to scan.
    pub fn delivery_count(&self, filter: &DeliveryFilter) -> Result<u64, StoreError> {
        self.delivery_count_scanning(filter, search::SCAN_ROWS)
    }

    /// [`Store::delivery_count`], scanning with LIKE when the status and channel filters leave
    /// at most `scan_rows` rows.
    pub(super) fn delivery_count_scanning(
        &self,
        filter: &DeliveryFilter,
        scan_rows: usize,
    ) -> Result<u64, StoreError> {
        let (sql, args) = match search_text(filter).and_then(search::indexed) {
            Some(ix) if !self.at_most(filter, scan_rows)? => indexed_count_sql(filter, &ix),
            _ => {
                let (clauses, args) = filter_sql(filter);
                let sql = format!(
                    "SELECT COUNT(*) FROM delivery d JOIN event e ON e.id = d.event_ref {}",
                    where_sql(&clauses)
                );
                (sql, args)
            }
        };
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Whether the filter's status and channel leave at most `n` deliveries (reads at most
    /// `n + 1` index entries).
    fn at_most(&self, filter: &DeliveryFilter, n: usize) -> Result<bool, StoreError> {
        let (clauses, mut args) = base_sql(filter, "d", false);
        args.push(Value::Integer(n as i64 + 1));
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM delivery d {} LIMIT ?)",
            where_sql(&clauses)
        );
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, i64>(0)
            })
            .map(|found| found as u64 <= n as u64)
            .map_err(|e| self.err(e))
    }

    /// [`Store::delivery_counts`] per channel (`None`: rows that never had one), in card order.
    pub fn delivery_counts_by_channel(
        &self,
    ) -> Result<Vec<(Option<ChannelKind>, DeliveryCounts)>, StoreError> {
        let rows: Vec<(String, String, i64)> = self
            .conn
            .prepare("SELECT channel, status, COUNT(*) FROM delivery GROUP BY channel, status")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .map_err(|e| self.err(e))?;
        let mut out: Vec<(Option<ChannelKind>, DeliveryCounts)> = Vec::new();
        for (channel, status, n) in rows {
            let kind = ChannelKind::from_code(&channel);
            let i = match out.iter().position(|(k, _)| *k == kind) {
                Some(i) => i,
                None => {
                    out.push((kind, DeliveryCounts::default()));
                    out.len() - 1
                }
            };
            out[i].1.add(&status, n as u64);
        }
        out.sort_by_key(|(k, _)| {
            k.map_or(usize::MAX, |k| {
                ChannelKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
            })
        });
        Ok(out)
    }

    pub fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        let mut c = DeliveryCounts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM delivery GROUP BY status")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))?;
        for (s, n) in rows {
            c.add(&s, n as u64);
        }
        Ok(c)
    }

    pub fn delivery(&self, id: i64) -> Result<Option<DeliveryRow>, StoreError> {
        self.conn
            .query_row(&format!("{ROW_SELECT} WHERE d.id = ?1"), [id], row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Why an event already recorded was skipped, if all its deliveries were.
    pub fn skipped_reason(&self, event_id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT MIN(d.last_error), SUM(d.status <> 'skipped')
                 FROM delivery d JOIN event e ON e.id = d.event_ref WHERE e.event_id = ?1",
                [event_id],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<i64>>(1)?)),
            )
            .map(|(reason, others)| reason.filter(|_| others == Some(0)))
            .map_err(|e| self.err(e))
    }

    /// When the next pending delivery is due for `owner` (unix milliseconds), if any: a
    /// delivery leased by another worker is due when its lease ends, not before.
    pub fn next_due(&self, owner: &str, now_ms: i64) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT MIN(CASE WHEN lease_until > ?2 AND claim_owner IS NOT ?1
                                 THEN MAX(next_attempt_at, lease_until)
                                 ELSE next_attempt_at END)
                 FROM delivery WHERE status = 'pending'",
                params![owner, now_ms],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }
}
