//! Channel configuration and last test results.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use secrecy::{ExposeSecret, SecretString};

use super::{Store, StoreError};
use crate::domain::{
    ChannelKind, ChannelSummary, DingTalkConfig, Mobile, SourceColumn, TestRecord,
};

/// A `channel` row without the secret.
struct ChannelRow {
    app_key: String,
    template_id: Option<String>,
    source_column: SourceColumn,
    receiver: Option<Mobile>,
    updated_at: i64,
}

impl Store {
    /// The saved DingTalk configuration, if any.
    pub fn load_dingtalk(&self) -> Result<Option<DingTalkConfig>, StoreError> {
        let Some(row) = self.channel_row(ChannelKind::DingTalk)? else {
            return Ok(None);
        };
        let secret = read_secret(&self.conn, ChannelKind::DingTalk).map_err(|e| self.err(e))?;
        Ok(Some(row.with_secret(secret)))
    }

    /// Insert or replace the DingTalk configuration; `updated_at` becomes now. The last test is
    /// kept only while it is about exactly these values; see [`Store::save_dingtalk_tested`].
    pub fn save_dingtalk(&mut self, config: &DingTalkConfig) -> Result<(), StoreError> {
        self.save_dingtalk_tested(config, None)
    }

    /// Save the DingTalk configuration and, in the same transaction, keep the channel's last
    /// test about it: `test` (a test of exactly `config`) becomes the last test; without one,
    /// the previous last test stays only if the saved values did not change.
    pub fn save_dingtalk_tested(
        &mut self,
        config: &DingTalkConfig,
        test: Option<&TestRecord>,
    ) -> Result<(), StoreError> {
        let kind = ChannelKind::DingTalk;
        let now = chrono::Utc::now().timestamp();
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let unchanged = saved_dingtalk(&tx)
            .map_err(&err)?
            .is_some_and(|saved| saved.same_as(config));
        tx.execute(
            "INSERT INTO channel (kind, app_key, app_secret, template_id, source_column, receiver, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(kind) DO UPDATE SET
                app_key = excluded.app_key,
                app_secret = excluded.app_secret,
                template_id = excluded.template_id,
                source_column = excluded.source_column,
                receiver = excluded.receiver,
                updated_at = excluded.updated_at",
            params![
                kind.code(),
                config.app_key,
                config.app_secret.expose_secret(),
                config.template_id,
                config.source_column.code(),
                config.receiver.as_ref().map(Mobile::as_str),
                now,
            ],
        )
        .map_err(&err)?;
        keep_test_and_commit(tx, kind, test, unchanged).map_err(&err)
    }

    /// Remember `record`, the outcome of a Test Message Sending of `tested`, as the DingTalk
    /// channel's last test, but only if `tested` is exactly the saved configuration (checked in
    /// the same transaction): the card's last test is always about the saved values. Returns
    /// whether it was recorded.
    pub fn record_test(
        &mut self,
        tested: &DingTalkConfig,
        record: &TestRecord,
    ) -> Result<bool, StoreError> {
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let saved = saved_dingtalk(&tx).map_err(&err)?;
        if !saved.is_some_and(|s| s.same_as(tested)) {
            tracing::debug!("test result not recorded: the tested values are not the saved ones");
            return Ok(false);
        }
        write_test(&tx, ChannelKind::DingTalk, record)
            .and_then(|()| tx.commit())
            .map_err(&err)?;
        Ok(true)
    }

    /// The outcome of the last Test Message Sending for `kind`, if any.
    pub fn last_test(&self, kind: ChannelKind) -> Result<Option<TestRecord>, StoreError> {
        self.conn
            .query_row(
                "SELECT at, ok, summary FROM channel_test WHERE kind = ?1",
                [kind.code()],
                |r| {
                    Ok(TestRecord {
                        at: r.get(0)?,
                        ok: r.get::<_, i64>(1)? != 0,
                        summary: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// One summary per [`ChannelKind::ALL`], in that order. Never includes the secret.
    pub fn channel_summaries(&self) -> Result<Vec<ChannelSummary>, StoreError> {
        ChannelKind::ALL
            .into_iter()
            .map(|kind| {
                let mut s = ChannelSummary::unconfigured(kind);
                if kind != ChannelKind::DingTalk {
                    if let Some(c) = self.load_channel(kind)? {
                        s.configured = true;
                        s.app_key = Some(c.app_id);
                        s.agent_id = c.agent_id;
                        s.template_id = c.template_id;
                        s.source_column = Some(c.source_column);
                        s.receiver = c.receiver;
                        s.updated_at = self.channel_updated_at(kind)?;
                    }
                } else if let Some(row) = self.channel_row(kind)? {
                    s.configured = true;
                    s.app_key = Some(row.app_key);
                    s.template_id = row.template_id;
                    s.source_column = Some(row.source_column);
                    s.receiver = row.receiver.map(String::from);
                    s.updated_at = Some(row.updated_at);
                }
                s.last_test = self.last_test(kind)?;
                Ok(s)
            })
            .collect()
    }

    /// Forget the configuration and last test of `kind`. Returns whether a configuration existed.
    pub fn delete_channel(&mut self, kind: ChannelKind) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| super::sqlite_error(&self.path, self.busy_timeout, e))?;
        let deleted = tx
            .execute("DELETE FROM channel WHERE kind = ?1", [kind.code()])
            .and_then(|n| {
                tx.execute("DELETE FROM channel_test WHERE kind = ?1", [kind.code()])?;
                tx.commit()?;
                Ok(n > 0)
            })
            .map_err(|e| super::sqlite_error(&self.path, self.busy_timeout, e))?;
        if deleted {
            tracing::info!(channel = kind.code(), "channel configuration deleted");
        }
        Ok(deleted)
    }

    fn channel_updated_at(&self, kind: ChannelKind) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT updated_at FROM channel WHERE kind = ?1",
                [kind.code()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Read and validate the non-secret columns of a channel row.
    fn channel_row(&self, kind: ChannelKind) -> Result<Option<ChannelRow>, StoreError> {
        let raw = read_row(&self.conn, kind).map_err(|e| self.err(e))?;
        raw.map(|raw| {
            raw.validate()
                .map_err(|what| self.invalid(format!("channel {}: {what}", kind.code())))
        })
        .transpose()
    }
}

/// A `channel` row as stored, not validated yet (without the secret).
struct RawRow {
    app_key: String,
    template_id: Option<String>,
    source_column: String,
    receiver: Option<String>,
    updated_at: i64,
}

impl RawRow {
    /// The row, or what is wrong with it.
    fn validate(self) -> Result<ChannelRow, String> {
        let source_column = SourceColumn::from_code(&self.source_column)
            .filter(|c| SourceColumn::for_channel(ChannelKind::DingTalk).contains(c))
            .ok_or_else(|| {
                format!(
                    "unknown source column {:?}",
                    crate::domain::sanitize_text(&self.source_column)
                )
            })?;
        let receiver = match self.receiver.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(Mobile::parse(r).map_err(|e| format!("receiver: {e}"))?),
        };
        Ok(ChannelRow {
            app_key: self.app_key,
            template_id: self.template_id.filter(|t| !t.is_empty()),
            source_column,
            receiver,
            updated_at: self.updated_at,
        })
    }
}

impl ChannelRow {
    fn with_secret(self, secret: String) -> DingTalkConfig {
        DingTalkConfig {
            app_key: self.app_key,
            app_secret: SecretString::from(secret),
            template_id: self.template_id,
            source_column: self.source_column,
            receiver: self.receiver,
        }
    }
}

fn read_row(conn: &Connection, kind: ChannelKind) -> rusqlite::Result<Option<RawRow>> {
    conn.query_row(
        "SELECT app_key, template_id, source_column, receiver, updated_at
         FROM channel WHERE kind = ?1",
        [kind.code()],
        |r| {
            Ok(RawRow {
                app_key: r.get(0)?,
                template_id: r.get(1)?,
                source_column: r.get(2)?,
                receiver: r.get(3)?,
                updated_at: r.get(4)?,
            })
        },
    )
    .optional()
}

fn read_secret(conn: &Connection, kind: ChannelKind) -> rusqlite::Result<String> {
    conn.query_row(
        "SELECT app_secret FROM channel WHERE kind = ?1",
        [kind.code()],
        |r| r.get(0),
    )
}

/// The saved DingTalk configuration as `conn` (a transaction) sees it. A row that does not
/// validate counts as none: no tested configuration can be the same as it.
fn saved_dingtalk(conn: &Connection) -> rusqlite::Result<Option<DingTalkConfig>> {
    let kind = ChannelKind::DingTalk;
    let Some(Ok(row)) = read_row(conn, kind)?.map(RawRow::validate) else {
        return Ok(None);
    };
    Ok(Some(row.with_secret(read_secret(conn, kind)?)))
}

/// Finish saving `kind`'s configuration: `test` (a test of exactly the saved values) becomes
/// the last test; without one, the last test stays only if the values did not change, since
/// a result about other values must not vouch for these. Then commit.
pub(super) fn keep_test_and_commit(
    tx: Transaction<'_>,
    kind: ChannelKind,
    test: Option<&TestRecord>,
    unchanged: bool,
) -> rusqlite::Result<()> {
    match test {
        Some(record) => write_test(&tx, kind, record)?,
        None if unchanged => {}
        None => {
            tx.execute("DELETE FROM channel_test WHERE kind = ?1", [kind.code()])?;
        }
    }
    tx.commit()?;
    tracing::info!(
        channel = kind.code(),
        tested = test.is_some(),
        "channel configuration saved"
    );
    Ok(())
}

pub(super) fn write_test(
    conn: &Connection,
    kind: ChannelKind,
    record: &TestRecord,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO channel_test (kind, at, ok, summary) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(kind) DO UPDATE SET
            at = excluded.at, ok = excluded.ok, summary = excluded.summary",
        params![kind.code(), record.at, record.ok, record.summary],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(receiver: &str, secret: &str) -> DingTalkConfig {
        DingTalkConfig {
            app_key: "dingkey".into(),
            app_secret: SecretString::from(secret),
            template_id: None,
            source_column: SourceColumn::Phone,
            receiver: Some(Mobile::parse(receiver).unwrap()),
        }
    }

    fn record(at: i64, ok: bool) -> TestRecord {
        TestRecord {
            at,
            ok,
            summary: if ok { "Successful" } else { "Failed" }.into(),
        }
    }

    fn last(store: &Store) -> Option<TestRecord> {
        store.last_test(ChannelKind::DingTalk).unwrap()
    }

    #[test]
    fn a_test_is_recorded_only_for_the_saved_values() {
        let mut store = Store::open_in_memory().unwrap();
        let saved = config("13800138000", "s");
        assert!(!store.record_test(&saved, &record(1, true)).unwrap());
        assert_eq!(last(&store), None, "nothing saved: nothing to vouch for");
        store.save_dingtalk(&saved).unwrap();
        assert!(store.record_test(&saved, &record(2, true)).unwrap());
        for other in [config("13900139000", "s"), config("13800138000", "other")] {
            assert!(!store.record_test(&other, &record(3, false)).unwrap());
        }
        assert_eq!(last(&store), Some(record(2, true)));
        assert!(store.record_test(&saved, &record(4, false)).unwrap());
        assert_eq!(last(&store), Some(record(4, false)));
    }

    #[test]
    fn saving_other_values_forgets_the_last_test_unless_it_brings_one() {
        let mut store = Store::open_in_memory().unwrap();
        let a = config("13800138000", "s");
        let b = config("13900139000", "s");
        store.save_dingtalk(&a).unwrap();
        store.record_test(&a, &record(1, true)).unwrap();
        store.save_dingtalk(&a).unwrap();
        assert_eq!(last(&store), Some(record(1, true)), "same values: kept");
        store.save_dingtalk(&b).unwrap();
        assert_eq!(
            last(&store),
            None,
            "other values: the old result is not theirs"
        );
        store
            .save_dingtalk_tested(&a, Some(&record(2, true)))
            .unwrap();
        assert_eq!(last(&store), Some(record(2, true)));
        assert!(store.load_dingtalk().unwrap().unwrap().same_as(&a));
        store.save_dingtalk_tested(&a, None).unwrap();
        assert_eq!(last(&store), Some(record(2, true)));
    }

    #[test]
    fn an_unreadable_saved_row_is_never_the_tested_one() {
        let mut store = Store::open_in_memory().unwrap();
        let a = config("13800138000", "s");
        store
            .save_dingtalk_tested(&a, Some(&record(1, true)))
            .unwrap();
        store
            .conn
            .execute("UPDATE channel SET receiver = 'garbage'", [])
            .unwrap();
        assert!(!store.record_test(&a, &record(2, false)).unwrap());
        assert_eq!(last(&store), Some(record(1, true)));
        store.save_dingtalk(&a).unwrap();
        assert_eq!(
            last(&store),
            None,
            "the repaired row was not what was tested"
        );
    }
}
