//! The delivery outbox: workflow events and one delivery per recipient. Every state change
//! is a transaction, so a process killed at any point leaves each delivery in exactly one
//! state; `sending` marks a batch whose HTTP call may have reached DingTalk.

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::subscription::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sending,
    Sent,
    Failed,
    Skipped,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
        DeliveryStatus::Skipped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Skipped => "skipped",
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
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    /// Matched against event id, type, node, title, login and the error.
    pub text: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// A batch claimed for sending: deliveries of one event, now in state `sending`.
#[derive(Clone, Debug)]
pub struct ClaimedBatch {
    pub event_id: String,
    pub type_code: String,
    pub node_code: String,
    pub title: String,
    pub text: String,
    pub link: Option<String>,
    pub recipients: Vec<Recipient>,
}

#[derive(Clone, Debug)]
pub struct Recipient {
    pub delivery_id: i64,
    pub attempts: u32,
    pub member_id: Option<i64>,
    pub login: String,
    pub phone: Option<String>,
    pub userid: Option<String>,
}

const ROW_SELECT: &str =
    "SELECT d.id, d.updated_at, d.created_at, e.event_id, e.type_code, e.node_code,
        e.title, d.login, m.name, d.status, d.attempts, d.error_code, d.last_error,
        d.process_query_key
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
    })
}

/// WHERE clause and parameters for a filter (status and a case-insensitive text search).
fn filter_sql(f: &DeliveryFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(s) = f.status {
        clauses.push("d.status = ?".to_string());
        params.push(rusqlite::types::Value::Text(s.code().to_string()));
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        clauses.push(
            "(e.event_id LIKE ?1x OR e.type_code LIKE ?1x OR e.node_code LIKE ?1x OR e.title LIKE ?1x \
             OR d.login LIKE ?1x OR IFNULL(d.last_error, '') LIKE ?1x)"
                .replace("?1x", "?"),
        );
        let like = format!("%{}%", t.trim());
        for _ in 0..6 {
            params.push(rusqlite::types::Value::Text(like.clone()));
        }
    }
    (clauses.join(" AND "), params)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Store {
    /// Record a workflow event and its deliveries in one transaction. Receivers are the members
    /// named on the event plus the node's custom receivers, when the node has Personal Channel
    /// checked and the DingTalk channel is configured; otherwise the event is skipped with the
    /// reason (its named members get `skipped` deliveries, so the log shows why).
    pub fn enqueue_event(&mut self, ev: &NewEvent) -> Result<EnqueueOutcome, StoreError> {
        let err = self.err_fn();
        let invalid = |what: String| StoreError::Invalid { what };
        if ev.event_id.trim().is_empty() {
            return Err(invalid("the event id is empty".into()));
        }
        if ev.title.trim().is_empty() {
            return Err(invalid("the event title is empty".into()));
        }
        let rows = self.subscription_rows()?;
        let Some(row) = rows
            .iter()
            .find(|r| r.type_code == ev.type_code && r.node_code == ev.node_code)
        else {
            let valid: Vec<String> = rows
                .iter()
                .map(|r| format!("{} {}", r.type_code, r.node_code))
                .collect();
            return Err(StoreError::NotFound {
                what: format!(
                    "subscription node {} {} (valid: {})",
                    ev.type_code,
                    ev.node_code,
                    valid.join(", ")
                ),
            });
        };
        let configured = self.load_dingtalk()?.is_some();
        let skip_reason = if !row.methods.contains(Method::Personal) {
            Some(format!(
                "Personal Channel is not checked for {} / {}",
                row.type_label, row.node_label
            ))
        } else if !configured {
            Some("the DingTalk personal channel is not configured".to_string())
        } else {
            None
        };
        let mut logins: Vec<String> = Vec::new();
        for l in ev.members.iter().chain(row.custom_receivers.iter()) {
            let l = l.trim();
            if !l.is_empty() && !logins.iter().any(|x| x.eq_ignore_ascii_case(l)) {
                logins.push(l.to_string());
            }
        }
        let known: Vec<String> = self.members()?.into_iter().map(|m| m.login).collect();
        let t = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let inserted = tx
            .execute(
                "INSERT INTO event (event_id, type_code, node_code, title, text, link, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (event_id) DO NOTHING",
                params![
                    ev.event_id,
                    ev.type_code,
                    ev.node_code,
                    ev.title,
                    ev.text,
                    ev.link,
                    t
                ],
            )
            .map_err(&err)?;
        if inserted == 0 {
            return Ok(EnqueueOutcome::Duplicate);
        }
        let event_ref = tx.last_insert_rowid();
        let mut unknown = Vec::new();
        let mut queued = 0;
        for login in &logins {
            let is_known = known.iter().any(|k| k.eq_ignore_ascii_case(login));
            let (status, code, error) = match (&skip_reason, is_known) {
                (Some(reason), _) => ("skipped", Some("skipped"), Some(reason.clone())),
                (None, false) => {
                    unknown.push(login.clone());
                    (
                        "failed",
                        Some("unknown_member"),
                        Some(format!(
                            "no member has the login {login:?}; add it with `notifydesk member add`"
                        )),
                    )
                }
                (None, true) => {
                    queued += 1;
                    ("pending", None, None)
                }
            };
            tx.execute(
                "INSERT INTO delivery (event_ref, login, status, error_code, last_error, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![event_ref, login, status, code, error, t],
            )
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(match skip_reason {
            Some(reason) => EnqueueOutcome::Skipped { reason },
            None => EnqueueOutcome::Queued {
                deliveries: queued,
                unknown,
            },
        })
    }

    /// Deliveries left `sending` by a process that died mid-call: DingTalk may have accepted
    /// them (batchSend has no idempotency key), so they are not resent automatically.
    pub fn recover_interrupted(&mut self) -> Result<usize, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE delivery SET status = 'failed', error_code = 'interrupted',
                    last_error = 'the sender stopped during the DingTalk call; the message may have been delivered. Retry by hand if it was not.',
                    updated_at = ?1
                 WHERE status = 'sending'",
                [now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// Take up to `limit` ready deliveries of the oldest ready event, counting an attempt.
    /// They stay `pending` until [`Store::mark_sending`] just before the DingTalk call, so a
    /// crash while looking up receivers loses nothing and marks nothing as maybe-sent.
    pub fn claim_batch(
        &mut self,
        at_ms: i64,
        limit: usize,
    ) -> Result<Option<ClaimedBatch>, StoreError> {
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let first: Option<i64> = tx
            .query_row(
                "SELECT event_ref FROM delivery WHERE status = 'pending' AND next_attempt_at <= ?1
                 ORDER BY id LIMIT 1",
                [at_ms],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        let Some(event_ref) = first else {
            return Ok(None);
        };
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
                .prepare(
                    "SELECT d.id, d.attempts, m.id, d.login, m.phone, m.dingtalk_userid
                     FROM delivery d LEFT JOIN member m ON m.login = d.login
                     WHERE d.event_ref = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2
                     ORDER BY d.id LIMIT ?3",
                )
                .map_err(&err)?;
            stmt.query_map(params![event_ref, at_ms, limit as i64], |r| {
                Ok(Recipient {
                    delivery_id: r.get(0)?,
                    attempts: r.get(1)?,
                    member_id: r.get(2)?,
                    login: r.get(3)?,
                    phone: r.get(4)?,
                    userid: r.get(5)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(&err)?
        };
        for r in &recipients {
            tx.execute(
                "UPDATE delivery SET attempts = attempts + 1, updated_at = ?2 WHERE id = ?1",
                params![r.delivery_id, now()],
            )
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(Some(ClaimedBatch {
            event_id,
            type_code,
            node_code,
            title,
            text,
            link,
            recipients: recipients
                .into_iter()
                .map(|r| Recipient {
                    attempts: r.attempts + 1,
                    ..r
                })
                .collect(),
        }))
    }

    /// Run `update` for each delivery id in one transaction (all or nothing).
    fn update_deliveries(
        &mut self,
        ids: &[i64],
        sql: &str,
        bind: impl Fn(i64) -> Vec<rusqlite::types::Value>,
    ) -> Result<(), StoreError> {
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        {
            let mut stmt = tx.prepare(sql).map_err(&err)?;
            for id in ids {
                stmt.execute(rusqlite::params_from_iter(bind(*id)))
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// About to call DingTalk for these deliveries: from here until the answer is recorded,
    /// a crash leaves them `sending` (outcome unknown).
    pub fn mark_sending(&mut self, ids: &[i64]) -> Result<(), StoreError> {
        let t = now();
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = 'sending', updated_at = ?2 WHERE id = ?1",
            |id| vec![id.into(), t.into()],
        )
    }

    /// DingTalk accepted these deliveries: record the processQueryKey with the state.
    pub fn mark_sent(&mut self, ids: &[i64], process_query_key: &str) -> Result<(), StoreError> {
        let t = now();
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = 'sent', process_query_key = ?2, error_code = NULL,
                last_error = NULL, updated_at = ?3 WHERE id = ?1",
            |id| vec![id.into(), process_query_key.to_string().into(), t.into()],
        )
    }

    /// Back to `pending`, to be tried again at `next_at_ms` (unix milliseconds).
    pub fn mark_retry(
        &mut self,
        ids: &[i64],
        code: &str,
        error: &str,
        next_at_ms: i64,
    ) -> Result<(), StoreError> {
        let t = now();
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = 'pending', error_code = ?2, last_error = ?3,
                next_attempt_at = ?4, updated_at = ?5 WHERE id = ?1",
            |id| {
                vec![
                    id.into(),
                    code.to_string().into(),
                    error.to_string().into(),
                    next_at_ms.into(),
                    t.into(),
                ]
            },
        )
    }

    pub fn mark_failed(&mut self, ids: &[i64], code: &str, error: &str) -> Result<(), StoreError> {
        let t = now();
        self.update_deliveries(
            ids,
            "UPDATE delivery SET status = 'failed', error_code = ?2, last_error = ?3, updated_at = ?4
             WHERE id = ?1",
            |id| vec![id.into(), code.to_string().into(), error.to_string().into(), t.into()],
        )
    }

    /// A failed delivery goes back to `pending`, to be sent at the next drain.
    pub fn retry_delivery(&mut self, id: i64) -> Result<(), StoreError> {
        let status: Option<String> = self
            .conn
            .query_row("SELECT status FROM delivery WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        match status.as_deref() {
            None => Err(StoreError::NotFound {
                what: format!("delivery {id}"),
            }),
            Some("failed") => {
                self.conn
                    .execute(
                        "UPDATE delivery SET status = 'pending', next_attempt_at = 0, attempts = 0,
                            updated_at = ?2 WHERE id = ?1",
                        params![id, now()],
                    )
                    .map_err(|e| self.err(e))?;
                Ok(())
            }
            Some(other) => Err(StoreError::Invalid {
                what: format!("delivery {id} is {other}; only failed deliveries can be retried"),
            }),
        }
    }

    /// Newest first, `limit` rows older than `before_id` (keyset paging: never all rows).
    pub fn delivery_page(
        &self,
        filter: &DeliveryFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let (mut where_sql, mut args) = filter_sql(filter);
        if let Some(b) = before_id {
            if !where_sql.is_empty() {
                where_sql.push_str(" AND ");
            }
            where_sql.push_str("d.id < ?");
            args.push(rusqlite::types::Value::Integer(b));
        }
        let sql = format!(
            "{ROW_SELECT} {} ORDER BY d.id DESC LIMIT {}",
            if where_sql.is_empty() {
                String::new()
            } else {
                format!("WHERE {where_sql}")
            },
            limit.min(10_000)
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        stmt.query_map(rusqlite::params_from_iter(args.iter()), row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    pub fn delivery_count(&self, filter: &DeliveryFilter) -> Result<u64, StoreError> {
        let (where_sql, args) = filter_sql(filter);
        let sql = format!(
            "SELECT COUNT(*) FROM delivery d JOIN event e ON e.id = d.event_ref {}",
            if where_sql.is_empty() {
                String::new()
            } else {
                format!("WHERE {where_sql}")
            }
        );
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
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
            let n = n as u64;
            match DeliveryStatus::from_code(&s) {
                Some(DeliveryStatus::Pending) => c.pending = n,
                Some(DeliveryStatus::Sending) => c.sending = n,
                Some(DeliveryStatus::Sent) => c.sent = n,
                Some(DeliveryStatus::Failed) => c.failed = n,
                Some(DeliveryStatus::Skipped) => c.skipped = n,
                None => {}
            }
        }
        Ok(c)
    }

    pub fn delivery(&self, id: i64) -> Result<Option<DeliveryRow>, StoreError> {
        self.conn
            .query_row(&format!("{ROW_SELECT} WHERE d.id = ?1"), [id], row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// When the next pending delivery is due (unix milliseconds), if any.
    pub fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT MIN(next_attempt_at) FROM delivery WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }
}
