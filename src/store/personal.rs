//! WeCom, Feishu and Lark channel configuration, and each member's id on those platforms.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use secrecy::{ExposeSecret, SecretString};

use super::{Store, StoreError};
use crate::domain::{
    AnyChannelConfig, CallbackSettings, ChannelConfig, ChannelKind, SourceColumn, TestRecord,
    parse_receiver,
};

/// A member's cached id on one platform. `user_id == None` = the platform found no one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelId {
    /// The app the id belongs to (Feishu open_ids are per app).
    pub app_id: String,
    /// What was looked up (`LookupKey::cache_key`): a changed phone or email is a cache miss.
    pub lookup_key: String,
    pub user_id: Option<String>,
    /// Unix seconds.
    pub resolved_at: i64,
}

fn read_config(conn: &Connection, kind: ChannelKind) -> rusqlite::Result<Option<RawConfig>> {
    conn.query_row(
        "SELECT app_key, app_secret, agent_id, template_id, source_column, receiver,
            callback_token, callback_aes_key, callback_url
         FROM channel WHERE kind = ?1",
        [kind.code()],
        |r| {
            Ok(RawConfig {
                app_id: r.get(0)?,
                secret: r.get(1)?,
                agent_id: r.get(2)?,
                template_id: r.get(3)?,
                source_column: r.get(4)?,
                receiver: r.get(5)?,
                token: r.get(6)?,
                aes_key: r.get(7)?,
                url: r.get(8)?,
            })
        },
    )
    .optional()
}

struct RawConfig {
    app_id: String,
    secret: String,
    agent_id: Option<i64>,
    template_id: Option<String>,
    source_column: String,
    receiver: Option<String>,
    token: Option<String>,
    aes_key: Option<String>,
    url: Option<String>,
}

impl RawConfig {
    fn validate(self, kind: ChannelKind) -> Result<ChannelConfig, String> {
        let source_column = SourceColumn::from_code(&self.source_column)
            .filter(|c| SourceColumn::for_channel(kind).contains(c))
            .ok_or_else(|| {
                format!(
                    "unknown source column {:?}",
                    crate::domain::sanitize_text(&self.source_column)
                )
            })?;
        let receiver = match self.receiver.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => {
                Some(parse_receiver(source_column, r).map_err(|e| format!("receiver: {e}"))?)
            }
        };
        if kind == ChannelKind::WeCom && self.agent_id.is_none() {
            return Err("AgentId missing".into());
        }
        let secret = |v: Option<String>| v.filter(|s| !s.is_empty()).map(SecretString::from);
        Ok(ChannelConfig {
            kind,
            app_id: self.app_id,
            secret: SecretString::from(self.secret),
            agent_id: self.agent_id,
            template_id: self.template_id.filter(|t| !t.is_empty()),
            source_column,
            receiver,
            callback: CallbackSettings {
                token: secret(self.token),
                aes_key: secret(self.aes_key),
                url: self.url.filter(|u| !u.is_empty()),
            },
        })
    }
}

/// The configured channel kinds, in card order, on `conn` (a transaction, or the store's).
pub(super) fn configured_kinds(conn: &Connection) -> rusqlite::Result<Vec<ChannelKind>> {
    let codes: Vec<String> = conn
        .prepare_cached("SELECT kind FROM channel")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ChannelKind::ALL
        .into_iter()
        .filter(|k| codes.iter().any(|c| c == k.code()))
        .collect())
}

fn saved(conn: &Connection, kind: ChannelKind) -> rusqlite::Result<Option<ChannelConfig>> {
    Ok(read_config(conn, kind)?.and_then(|raw| raw.validate(kind).ok()))
}

fn expose(s: &Option<SecretString>) -> Option<&str> {
    s.as_ref().map(|s| s.expose_secret())
}

impl Store {
    /// The saved configuration of a WeCom, Feishu or Lark channel, if any.
    pub fn load_channel(&self, kind: ChannelKind) -> Result<Option<ChannelConfig>, StoreError> {
        let raw = read_config(&self.conn, kind).map_err(|e| self.err(e))?;
        raw.map(|raw| {
            raw.validate(kind)
                .map_err(|what| self.invalid(format!("channel {}: {what}", kind.code())))
        })
        .transpose()
    }

    /// Save `config` and, in the same transaction, keep the last test about it: `test` (a
    /// test of exactly `config`) becomes the last test; without one the previous last test
    /// stays only if nothing changed.
    pub fn save_channel_tested(
        &mut self,
        config: &ChannelConfig,
        test: Option<&TestRecord>,
    ) -> Result<(), StoreError> {
        let kind = config.kind;
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let unchanged = saved(&tx, kind)
            .map_err(&err)?
            .is_some_and(|s| s.same_as(config));
        tx.execute(
            "INSERT INTO channel (kind, app_key, app_secret, agent_id, template_id, source_column,
                receiver, callback_token, callback_aes_key, callback_url, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(kind) DO UPDATE SET
                app_key = excluded.app_key, app_secret = excluded.app_secret,
                agent_id = excluded.agent_id, template_id = excluded.template_id,
                source_column = excluded.source_column, receiver = excluded.receiver,
                callback_token = excluded.callback_token,
                callback_aes_key = excluded.callback_aes_key,
                callback_url = excluded.callback_url, updated_at = excluded.updated_at",
            params![
                kind.code(),
                config.app_id,
                config.secret.expose_secret(),
                config.agent_id,
                config.template_id,
                config.source_column.code(),
                config.receiver,
                expose(&config.callback.token),
                expose(&config.callback.aes_key),
                config.callback.url,
                chrono::Utc::now().timestamp(),
            ],
        )
        .map_err(&err)?;
        super::channels::keep_test_and_commit(tx, kind, test, unchanged).map_err(&err)
    }

    /// Remember `record` as the last test of `tested.kind`, only if `tested` is exactly the
    /// saved configuration. Returns whether it was recorded.
    pub fn record_channel_test(
        &mut self,
        tested: &ChannelConfig,
        record: &TestRecord,
    ) -> Result<bool, StoreError> {
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        if !saved(&tx, tested.kind)
            .map_err(&err)?
            .is_some_and(|s| s.same_as(tested))
        {
            return Ok(false);
        }
        super::channels::write_test(&tx, tested.kind, record)
            .and_then(|()| tx.commit())
            .map_err(&err)?;
        Ok(true)
    }

    /// Any channel's saved configuration (the Configure dialog opens with it).
    pub fn load_any(&self, kind: ChannelKind) -> Result<Option<AnyChannelConfig>, StoreError> {
        Ok(match kind {
            ChannelKind::DingTalk => self.load_dingtalk()?.map(AnyChannelConfig::DingTalk),
            _ => self.load_channel(kind)?.map(AnyChannelConfig::Other),
        })
    }

    /// [`Store::save_dingtalk_tested`] or [`Store::save_channel_tested`].
    pub fn save_any_tested(
        &mut self,
        config: &AnyChannelConfig,
        test: Option<&TestRecord>,
    ) -> Result<(), StoreError> {
        match config {
            AnyChannelConfig::DingTalk(c) => self.save_dingtalk_tested(c, test),
            AnyChannelConfig::Other(c) => self.save_channel_tested(c, test),
        }
    }

    /// [`Store::record_test`] or [`Store::record_channel_test`].
    pub fn record_any_test(
        &mut self,
        tested: &AnyChannelConfig,
        record: &TestRecord,
    ) -> Result<bool, StoreError> {
        match tested {
            AnyChannelConfig::DingTalk(c) => self.record_test(c, record),
            AnyChannelConfig::Other(c) => self.record_channel_test(c, record),
        }
    }

    /// The configured channel kinds, in card order.
    pub fn configured_channels(&self) -> Result<Vec<ChannelKind>, StoreError> {
        configured_kinds(&self.conn).map_err(|e| self.err(e))
    }

    /// Record a lookup's answer for a member on `kind`'s platform.
    pub fn set_channel_id(
        &mut self,
        member_id: i64,
        kind: ChannelKind,
        id: &ChannelId,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO member_channel_id (member_id, channel, app_id, lookup_key, user_id,
                    resolved_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM member WHERE id = ?1)
                 ON CONFLICT (member_id, channel) DO UPDATE SET app_id = excluded.app_id,
                    lookup_key = excluded.lookup_key, user_id = excluded.user_id,
                    resolved_at = excluded.resolved_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    member_id,
                    kind.code(),
                    id.app_id,
                    id.lookup_key,
                    id.user_id,
                    id.resolved_at
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forget cached ids (the platform rejected them): the next delivery looks them up again.
    pub fn clear_channel_ids(
        &mut self,
        kind: ChannelKind,
        member_ids: &[i64],
    ) -> Result<(), StoreError> {
        let err = self.err_fn();
        let tx = self.conn.transaction().map_err(&err)?;
        {
            let mut s = tx
                .prepare_cached(
                    "DELETE FROM member_channel_id WHERE member_id = ?1 AND channel = ?2",
                )
                .map_err(&err)?;
            for id in member_ids {
                s.execute(params![id, kind.code()]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// Messages sent to `login` on `kind` since `since` (unix seconds), by any worker: the
    /// platforms that drop messages over a per-member rate silently (WeCom) are paced by it
    /// across processes (a cron `deliver` and a running worker alike).
    pub fn recent_sends(
        &self,
        kind: ChannelKind,
        login: &str,
        since: i64,
    ) -> Result<usize, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT COUNT(*) FROM delivery
                 WHERE login = ?1 AND channel = ?2 AND updated_at >= ?3
                   AND status IN ('sent', 'sending')",
            )
            .and_then(|mut s| {
                s.query_row(params![login, kind.code(), since], |r| r.get::<_, i64>(0))
            })
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// Every cached platform id of a member, by channel (for the Members tab and `member show`).
    pub fn channel_ids(&self, member_id: i64) -> Result<Vec<(ChannelKind, ChannelId)>, StoreError> {
        let rows: Vec<(String, ChannelId)> = self
            .conn
            .prepare_cached(
                "SELECT channel, app_id, lookup_key, user_id, resolved_at FROM member_channel_id
                 WHERE member_id = ?1",
            )
            .and_then(|mut s| {
                s.query_map([member_id], |r| {
                    Ok((
                        r.get(0)?,
                        ChannelId {
                            app_id: r.get(1)?,
                            lookup_key: r.get(2)?,
                            user_id: r.get(3)?,
                            resolved_at: r.get(4)?,
                        },
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        let mut out: Vec<(ChannelKind, ChannelId)> = rows
            .into_iter()
            .filter_map(|(code, id)| Some((ChannelKind::from_code(&code)?, id)))
            .collect();
        out.sort_by_key(|(k, _)| ChannelKind::ALL.iter().position(|x| x == k));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::member::NewMember;
    use crate::domain::{ChannelFields, validate_channel};

    fn wecom(secret: &str) -> ChannelConfig {
        let f = ChannelFields {
            app_id: "ww1".into(),
            secret: secret.into(),
            agent_id: "1000002".into(),
            source_column: Some(SourceColumn::Email),
            receiver: "ana@example.com".into(),
            callback_token: "tok".into(),
            ..ChannelFields::default()
        };
        validate_channel(ChannelKind::WeCom, &f, false).unwrap()
    }

    fn record() -> TestRecord {
        TestRecord {
            at: 1,
            ok: true,
            summary: "Successful".into(),
        }
    }

    #[test]
    fn a_channel_round_trips_and_keeps_its_test_only_for_its_values() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(store.load_channel(ChannelKind::WeCom).unwrap().is_none());
        let c = wecom("s1");
        store.save_channel_tested(&c, Some(&record())).unwrap();
        let back = store.load_channel(ChannelKind::WeCom).unwrap().unwrap();
        assert!(back.same_as(&c));
        assert!(store.last_test(ChannelKind::WeCom).unwrap().is_some());
        assert!(
            !store
                .record_channel_test(&wecom("other"), &record())
                .unwrap()
        );
        store.save_channel_tested(&wecom("s2"), None).unwrap();
        assert!(store.last_test(ChannelKind::WeCom).unwrap().is_none());
        assert_eq!(
            store.configured_channels().unwrap(),
            vec![ChannelKind::WeCom]
        );
        let summary = &store.channel_summaries().unwrap()[1];
        assert_eq!(summary.status_text(), "Configured: ww1");
        assert_eq!(summary.receiver.as_deref(), Some("ana@example.com"));
    }

    #[test]
    fn channel_ids_are_per_member_and_channel_and_go_with_the_member() {
        let mut store = Store::open_in_memory().unwrap();
        let m = store
            .add_member(&NewMember {
                name: "Ana".into(),
                login: "ana".into(),
                phone: "13800138000".into(),
                email: None,
            })
            .unwrap();
        let id = ChannelId {
            app_id: "cli_a".into(),
            lookup_key: "phone:13800138000".into(),
            user_id: Some("ou_1".into()),
            resolved_at: 5,
        };
        store
            .set_channel_id(m.id, ChannelKind::Feishu, &id)
            .unwrap();
        store
            .set_channel_id(
                m.id,
                ChannelKind::WeCom,
                &ChannelId {
                    user_id: None,
                    ..id.clone()
                },
            )
            .unwrap();
        let ids = store.channel_ids(m.id).unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(
            ids[0],
            (
                ChannelKind::WeCom,
                ChannelId {
                    user_id: None,
                    ..id.clone()
                }
            )
        );
        store
            .clear_channel_ids(ChannelKind::WeCom, &[m.id])
            .unwrap();
        assert_eq!(
            store.channel_ids(m.id).unwrap(),
            vec![(ChannelKind::Feishu, id)]
        );
        store.delete_member(m.id).unwrap();
        assert!(store.channel_ids(m.id).unwrap().is_empty());
    }
}
