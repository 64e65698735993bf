//! The subscription catalogue in SQLite, the per-(type, node) method choices and the custom
//! receivers added on top of each node's default receiver.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Store, StoreError};
use crate::domain::catalogue::Catalogue;
use crate::domain::subscription::{Method, MethodChange, MethodSet, SubscriptionRow};

const KEY_CATALOGUE_VERSION: &str = "catalogue.version";
const KEY_CATALOGUE_HASH: &str = "catalogue.hash";

/// FNV-1a over the catalogue's JSON form: stable across builds and Rust versions.
fn catalogue_hash(cat: &Catalogue) -> String {
    let json = serde_json::to_vec(cat).expect("a catalogue always serialises");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The `subscription` column holding `method`; `None` for Inbox, which is not stored.
fn method_column(method: Method) -> Option<&'static str> {
    match method {
        Method::Inbox => None,
        Method::Sms => Some("sms"),
        Method::Email => Some("email"),
        Method::Phone => Some("phone"),
        Method::Webhook => Some("webhook"),
        Method::Personal => Some("personal"),
    }
}

fn node_label(type_code: &str, node_code: &str) -> String {
    format!("the subscription node {type_code}/{node_code}")
}

/// Whether (type, node) is in the current catalogue (exists and is not retired).
fn node_is_live(tx: &Transaction<'_>, type_code: &str, node_code: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM subscription_node n JOIN subscription_type t ON t.code = n.type_code
         WHERE n.type_code = ?1 AND n.code = ?2 AND n.retired = 0 AND t.retired = 0",
    )?
    .query_row(params![type_code, node_code], |_| Ok(()))
    .optional()
    .map(|r| r.is_some())
}

impl Store {
    /// Load `cat` into the database in one transaction: types, nodes and receiver roles are
    /// inserted or updated (labels, positions, default receiver); those missing from `cat` are
    /// marked retired (hidden, with the user's choices kept) and un-retired if they come back.
    ///
    /// Skipped (one settings read) when the stored catalogue has the same version and content,
    /// and when the stored version is newer than `cat` (a newer notifydesk already upgraded
    /// this database; an older binary keeps showing the newer catalogue rather than hiding it).
    pub fn sync_catalogue(&mut self, cat: &Catalogue) -> Result<(), StoreError> {
        let hash = catalogue_hash(cat);
        let stored_version = self
            .setting(KEY_CATALOGUE_VERSION)?
            .and_then(|v| v.parse::<u32>().ok());
        if let Some(v) = stored_version.filter(|v| *v > cat.version) {
            tracing::debug!(
                stored = v,
                ours = cat.version,
                "the database holds a newer subscription catalogue; keeping it"
            );
            return Ok(());
        }
        if stored_version == Some(cat.version)
            && self.setting(KEY_CATALOGUE_HASH)?.as_deref() == Some(hash.as_str())
        {
            return Ok(());
        }
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        write_catalogue(&tx, cat, &hash).map_err(&err)?;
        tx.commit().map_err(&err)?;
        tracing::info!(
            version = cat.version,
            rows = cat.row_count(),
            "subscription catalogue loaded"
        );
        Ok(())
    }

    /// Every current (type, node) in catalogue order, with English labels, the default
    /// receiver's label, the methods that are on (Inbox always) and the custom receivers'
    /// logins, sorted case-insensitively.
    pub fn subscription_rows(&self) -> Result<Vec<SubscriptionRow>, StoreError> {
        let mut custom: HashMap<(String, String), Vec<String>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT cr.type_code, cr.node_code, m.login
                 FROM custom_receiver cr JOIN member m ON m.id = cr.member_id
                 ORDER BY cr.type_code, cr.node_code, m.login COLLATE NOCASE",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let key: (String, String) = (
                r.get(0).map_err(|e| self.err(e))?,
                r.get(1).map_err(|e| self.err(e))?,
            );
            custom
                .entry(key)
                .or_default()
                .push(r.get(2).map_err(|e| self.err(e))?);
        }
        drop(rows);
        drop(stmt);

        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT n.type_code, n.code, t.en, n.en, COALESCE(r.en, n.receiver_role),
                        COALESCE(s.sms, 0), COALESCE(s.email, 0), COALESCE(s.phone, 0),
                        COALESCE(s.webhook, 0), COALESCE(s.personal, 0)
                 FROM subscription_node n
                 JOIN subscription_type t ON t.code = n.type_code
                 LEFT JOIN subscription_receiver r ON r.role = n.receiver_role
                 LEFT JOIN subscription s ON s.type_code = n.type_code AND s.node_code = n.code
                 WHERE t.retired = 0 AND n.retired = 0
                 ORDER BY t.position, n.position",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let type_code: String = r.get(0)?;
                let node_code: String = r.get(1)?;
                let on = |i: usize| r.get::<_, i64>(i).map(|v| v != 0);
                let methods = MethodSet::default()
                    .with(Method::Sms, on(5)?)
                    .with(Method::Email, on(6)?)
                    .with(Method::Phone, on(7)?)
                    .with(Method::Webhook, on(8)?)
                    .with(Method::Personal, on(9)?);
                let custom_receivers = custom
                    .remove(&(type_code.clone(), node_code.clone()))
                    .unwrap_or_default();
                Ok(SubscriptionRow {
                    type_code,
                    node_code,
                    type_label: r.get(2)?,
                    node_label: r.get(3)?,
                    receiver: r.get(4)?,
                    methods,
                    custom_receivers,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Apply a batch of method changes in one transaction: all or nothing. A change to Inbox
    /// (always on) is refused with [`StoreError::Invalid`]; an unknown or retired (type, node)
    /// with [`StoreError::NotFound`].
    pub fn apply_method_changes(&mut self, changes: &[MethodChange]) -> Result<(), StoreError> {
        if let Some(c) = changes.iter().find(|c| method_column(c.method).is_none()) {
            return Err(StoreError::Invalid {
                what: format!(
                    "Inbox is always on and cannot be changed ({}/{})",
                    c.type_code, c.node_code
                ),
            });
        }
        if changes.is_empty() {
            return Ok(());
        }
        let err = self.err_fn();
        let now = chrono::Utc::now().timestamp();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        for c in changes {
            if !node_is_live(&tx, &c.type_code, &c.node_code).map_err(&err)? {
                // Dropping `tx` rolls back the changes applied so far.
                return Err(StoreError::NotFound {
                    what: node_label(&c.type_code, &c.node_code),
                });
            }
            let column = method_column(c.method).expect("Inbox was refused above");
            tx.prepare_cached(
                "INSERT INTO subscription (type_code, node_code, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (type_code, node_code) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![c.type_code, c.node_code, now]))
            .map_err(&err)?;
            tx.prepare_cached(&format!(
                "UPDATE subscription SET {column} = ?3, updated_at = ?4
                 WHERE type_code = ?1 AND node_code = ?2"
            ))
            .and_then(|mut s| s.execute(params![c.type_code, c.node_code, c.on, now]))
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        tracing::info!(changes = changes.len(), "subscription methods saved");
        Ok(())
    }

    /// Replace the custom receivers of (type, node) with the members named by `logins`
    /// (case-insensitive; duplicates ignored). An unknown node or login is refused with
    /// [`StoreError::NotFound`] naming it, and nothing is changed. The default receiver is not
    /// affected (it cannot be removed).
    pub fn set_custom_receivers(
        &mut self,
        type_code: &str,
        node_code: &str,
        logins: &[String],
    ) -> Result<(), StoreError> {
        let err = self.err_fn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        if !node_is_live(&tx, type_code, node_code).map_err(&err)? {
            return Err(StoreError::NotFound {
                what: node_label(type_code, node_code),
            });
        }
        let mut ids = Vec::with_capacity(logins.len());
        for login in logins {
            let login = login.trim();
            let id: Option<i64> = tx
                .prepare_cached("SELECT id FROM member WHERE login = ?1")
                .and_then(|mut s| s.query_row([login], |r| r.get(0)).optional())
                .map_err(&err)?;
            match id {
                Some(id) => {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                None => {
                    return Err(StoreError::NotFound {
                        what: format!("a member with login {login:?}"),
                    });
                }
            }
        }
        tx.execute(
            "DELETE FROM custom_receiver WHERE type_code = ?1 AND node_code = ?2",
            params![type_code, node_code],
        )
        .map_err(&err)?;
        for id in &ids {
            tx.prepare_cached(
                "INSERT INTO custom_receiver (type_code, node_code, member_id) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![type_code, node_code, id]))
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        tracing::info!(
            type_code,
            node_code,
            receivers = ids.len(),
            "custom receivers saved"
        );
        Ok(())
    }
}

fn write_catalogue(tx: &Transaction<'_>, cat: &Catalogue, hash: &str) -> rusqlite::Result<()> {
    tx.execute_batch(
        "UPDATE subscription_type SET retired = 1 WHERE retired = 0;
         UPDATE subscription_node SET retired = 1 WHERE retired = 0;",
    )?;
    let mut receiver = tx.prepare(
        "INSERT INTO subscription_receiver (role, en, zh) VALUES (?1, ?2, ?3)
         ON CONFLICT (role) DO UPDATE SET en = excluded.en, zh = excluded.zh",
    )?;
    for (role, labels) in &cat.receivers {
        receiver.execute(params![role, labels.en, labels.zh])?;
    }
    let mut ty = tx.prepare(
        "INSERT INTO subscription_type (code, en, zh, position, retired) VALUES (?1, ?2, ?3, ?4, 0)
         ON CONFLICT (code) DO UPDATE SET
            en = excluded.en, zh = excluded.zh, position = excluded.position, retired = 0",
    )?;
    let mut node = tx.prepare(
        "INSERT INTO subscription_node (type_code, code, en, zh, receiver_role, position, retired)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
         ON CONFLICT (type_code, code) DO UPDATE SET
            en = excluded.en, zh = excluded.zh, receiver_role = excluded.receiver_role,
            position = excluded.position, retired = 0",
    )?;
    for (tpos, t) in cat.types.iter().enumerate() {
        ty.execute(params![t.code, t.en, t.zh, tpos as i64])?;
        for (npos, n) in t.nodes.iter().enumerate() {
            node.execute(params![t.code, n.code, n.en, n.zh, n.receiver, npos as i64])?;
        }
    }
    let mut setting = tx.prepare(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?;
    setting.execute(params![KEY_CATALOGUE_VERSION, cat.version.to_string()])?;
    setting.execute(params![KEY_CATALOGUE_HASH, hash])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_content_sensitive() {
        let cat = Catalogue::embedded();
        assert_eq!(catalogue_hash(cat), catalogue_hash(&cat.clone()));
        let mut other = cat.clone();
        other.types[0].nodes[0].en.push('!');
        assert_ne!(catalogue_hash(cat), catalogue_hash(&other));
    }

    #[test]
    fn every_method_but_inbox_has_a_column() {
        for m in Method::ALL {
            assert_eq!(method_column(m).is_some(), m.toggleable(), "{m:?}");
        }
    }
}
