//! Channel configuration and last test results.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
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
        let kind = ChannelKind::DingTalk;
        let Some(row) = self.channel_row(kind)? else {
            return Ok(None);
        };
        let secret: String = self
            .conn
            .query_row(
                "SELECT app_secret FROM channel WHERE kind = ?1",
                [kind.code()],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(Some(DingTalkConfig {
            app_key: row.app_key,
            app_secret: SecretString::from(secret),
            template_id: row.template_id,
            source_column: row.source_column,
            receiver: row.receiver,
        }))
    }

    /// Insert or replace the DingTalk configuration; `updated_at` becomes now.
    pub fn save_dingtalk(&mut self, config: &DingTalkConfig) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| super::sqlite_error(&self.path, self.busy_timeout, e))?;
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
                ChannelKind::DingTalk.code(),
                config.app_key,
                config.app_secret.expose_secret(),
                config.template_id,
                config.source_column.code(),
                config.receiver.as_ref().map(Mobile::as_str),
                now,
            ],
        )
        .and_then(|_| tx.commit())
        .map_err(|e| super::sqlite_error(&self.path, self.busy_timeout, e))?;
        tracing::info!(
            channel = ChannelKind::DingTalk.code(),
            "channel configuration saved"
        );
        Ok(())
    }

    /// Remember the outcome of the last Test Message Sending for `kind` (replaces the previous).
    pub fn record_test(
        &mut self,
        kind: ChannelKind,
        record: &TestRecord,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO channel_test (kind, at, ok, summary) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(kind) DO UPDATE SET
                    at = excluded.at, ok = excluded.ok, summary = excluded.summary",
                params![kind.code(), record.at, record.ok, record.summary],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
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
                if let Some(row) = self.channel_row(kind)? {
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

    /// Read and validate the non-secret columns of a channel row.
    fn channel_row(&self, kind: ChannelKind) -> Result<Option<ChannelRow>, StoreError> {
        type Raw = (String, Option<String>, String, Option<String>, i64);
        let raw: Option<Raw> = self
            .conn
            .query_row(
                "SELECT app_key, template_id, source_column, receiver, updated_at
                 FROM channel WHERE kind = ?1",
                [kind.code()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((app_key, template_id, source_column, receiver, updated_at)) = raw else {
            return Ok(None);
        };
        let source_column = SourceColumn::from_code(&source_column).ok_or_else(|| {
            self.invalid(format!(
                "channel {}: unknown source column {:?}",
                kind.code(),
                crate::domain::sanitize_text(&source_column)
            ))
        })?;
        let receiver = match receiver.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(
                Mobile::parse(r)
                    .map_err(|e| self.invalid(format!("channel {}: receiver: {e}", kind.code())))?,
            ),
        };
        Ok(Some(ChannelRow {
            app_key,
            template_id: template_id.filter(|t| !t.is_empty()),
            source_column,
            receiver,
            updated_at,
        }))
    }
}
