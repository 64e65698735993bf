//! Members: add, edit, delete, bulk import and the DingTalk userid found for each.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::{Store, StoreError};
use crate::domain::member::{Member, NewMember, ValidMember};
use crate::domain::member_table::MemberTable;
use crate::domain::{ChannelKind, Mobile};

/// A member's ids on WeCom, Feishu and Lark (`None`: not found).
type ChannelIds = Vec<(ChannelKind, Option<String>)>;

const MEMBER_COLUMNS: &str = "id, name, login, phone, email, dingtalk_userid, resolved_at";

/// A member row; the phone is parsed later so a bad stored value becomes a typed error.
struct RawMember {
    id: i64,
    name: String,
    login: String,
    phone: String,
    email: Option<String>,
    dingtalk_userid: Option<String>,
    resolved_at: Option<i64>,
}

impl RawMember {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawMember> {
        Ok(RawMember {
            id: r.get(0)?,
            name: r.get(1)?,
            login: r.get(2)?,
            phone: r.get(3)?,
            email: r.get(4)?,
            dingtalk_userid: r.get(5)?,
            resolved_at: r.get(6)?,
        })
    }
}

fn validate(member: &NewMember) -> Result<ValidMember, StoreError> {
    member.validate().map_err(|errors| StoreError::Invalid {
        what: format!("invalid member: {}", errors.summary()),
    })
}

fn duplicate(login: &str) -> StoreError {
    StoreError::Duplicate {
        what: format!("a member with login {login:?}"),
    }
}

/// Whether a member other than `except` has the login `login` (case-insensitive).
fn login_taken(tx: &Transaction<'_>, login: &str, except: Option<i64>) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT id FROM member WHERE login = ?1 AND id IS NOT ?2")?
        .query_row(params![login, except], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

fn insert(tx: &Transaction<'_>, m: &ValidMember, now: i64) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO member (name, login, phone, email, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![m.name, m.login, m.mobile.as_str(), m.email, now])?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    fn member_from_raw(&self, raw: RawMember) -> Result<Member, StoreError> {
        let mobile = Mobile::parse(&raw.phone).map_err(|_| {
            self.invalid(format!(
                "the phone of member {:?} is not a mobile number; edit the member to fix it",
                raw.login
            ))
        })?;
        Ok(Member {
            id: raw.id,
            name: raw.name,
            login: raw.login,
            mobile,
            email: raw.email,
            dingtalk_userid: raw.dingtalk_userid,
            resolved_at: raw.resolved_at,
            channel_ids: Vec::new(),
        })
    }

    /// Every cached platform id (WeCom, Feishu, Lark), by member id, in card order.
    fn all_channel_ids(&self, member: Option<i64>) -> Result<HashMap<i64, ChannelIds>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT member_id, channel, user_id FROM member_channel_id
                 WHERE ?1 IS NULL OR member_id = ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([member], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<(i64, String, Option<String>)>, _>>())
            .map_err(|e| self.err(e))?;
        let mut map: HashMap<i64, ChannelIds> = HashMap::new();
        for (id, code, user) in rows {
            if let Some(kind) = ChannelKind::from_code(&code) {
                map.entry(id).or_default().push((kind, user));
            }
        }
        for v in map.values_mut() {
            v.sort_by_key(|(k, _)| ChannelKind::ALL.iter().position(|x| x == k));
        }
        Ok(map)
    }

    /// Every member, sorted by name (case-insensitively), then by id.
    pub fn members(&self) -> Result<Vec<Member>, StoreError> {
        Ok(self.member_table()?.iter().collect())
    }

    /// Every member in the order of [`Store::members`], in the compact form a long list keeps.
    /// Read row by row, never every raw row or `Member` at once: at 100,000 members the peak
    /// would hold both lists.
    pub fn member_table(&self) -> Result<MemberTable, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM member", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM member ORDER BY name COLLATE NOCASE, id"
            ))
            .map_err(|e| self.err(e))?;
        let mut ids = self.all_channel_ids(None)?;
        let mut table = MemberTable::with_capacity(count.max(0) as usize);
        let rows = stmt
            .query_map([], RawMember::from_row)
            .map_err(|e| self.err(e))?;
        for r in rows {
            let mut m = self.member_from_raw(r.map_err(|e| self.err(e))?)?;
            m.channel_ids = ids.remove(&m.id).unwrap_or_default();
            table.push(&m);
        }
        table.shrink_to_fit();
        Ok(table)
    }

    /// The member with this login (case-insensitive, surrounding spaces ignored).
    pub fn member_by_login(&self, login: &str) -> Result<Option<Member>, StoreError> {
        self.member_where("login = ?1", login.trim())
    }

    /// The member with this id.
    pub fn member_by_id(&self, id: i64) -> Result<Option<Member>, StoreError> {
        self.member_where("id = ?1", id)
    }

    fn member_where(
        &self,
        condition: &str,
        value: impl rusqlite::ToSql,
    ) -> Result<Option<Member>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM member WHERE {condition}"
            ))
            .and_then(|mut s| s.query_row([value], RawMember::from_row).optional())
            .map_err(|e| self.err(e))?;
        let Some(mut m) = raw.map(|r| self.member_from_raw(r)).transpose()? else {
            return Ok(None);
        };
        m.channel_ids = self
            .all_channel_ids(Some(m.id))?
            .remove(&m.id)
            .unwrap_or_default();
        Ok(Some(m))
    }

    /// Validate and insert a member. Invalid fields give [`StoreError::Invalid`] listing each
    /// problem; a login already used (case-insensitively) gives [`StoreError::Duplicate`].
    pub fn add_member(&mut self, member: &NewMember) -> Result<Member, StoreError> {
        let valid = validate(member)?;
        let err = self.err_fn();
        let now = chrono::Utc::now().timestamp();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        if login_taken(&tx, &valid.login, None).map_err(&err)? {
            return Err(duplicate(&valid.login));
        }
        let id = insert(&tx, &valid, now).map_err(&err)?;
        tx.commit().map_err(&err)?;
        tracing::info!(id, "member added");
        Ok(Member {
            id,
            name: valid.name,
            login: valid.login,
            mobile: valid.mobile,
            email: valid.email,
            dingtalk_userid: None,
            resolved_at: None,
            channel_ids: Vec::new(),
        })
    }

    /// Replace a member's fields. Changing the phone clears the DingTalk userid found for the
    /// old one. Unknown id → [`StoreError::NotFound`]; login taken by another member →
    /// [`StoreError::Duplicate`].
    pub fn update_member(&mut self, id: i64, member: &NewMember) -> Result<Member, StoreError> {
        let valid = validate(member)?;
        let err = self.err_fn();
        let now = chrono::Utc::now().timestamp();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let old_phone: Option<String> = tx
            .query_row("SELECT phone FROM member WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(&err)?;
        let Some(old_phone) = old_phone else {
            return Err(StoreError::NotFound {
                what: format!("member #{id}"),
            });
        };
        if login_taken(&tx, &valid.login, Some(id)).map_err(&err)? {
            return Err(duplicate(&valid.login));
        }
        let phone_changed = old_phone != valid.mobile.as_str();
        tx.execute(
            "UPDATE member SET name = ?2, login = ?3, phone = ?4, email = ?5, updated_at = ?6,
                dingtalk_userid = CASE WHEN ?7 THEN NULL ELSE dingtalk_userid END,
                resolved_at = CASE WHEN ?7 THEN NULL ELSE resolved_at END
             WHERE id = ?1",
            params![
                id,
                valid.name,
                valid.login,
                valid.mobile.as_str(),
                valid.email,
                now,
                phone_changed
            ],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        tracing::info!(id, phone_changed, "member updated");
        self.member_by_id(id)?.ok_or_else(|| StoreError::NotFound {
            what: format!("member #{id}"),
        })
    }

    /// Delete a member (and their custom-receiver entries). False if there was no such member.
    pub fn delete_member(&mut self, id: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM member WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        if n > 0 {
            tracing::info!(id, "member deleted");
        }
        Ok(n > 0)
    }

    /// Record the outcome of a DingTalk userid lookup made at `at` (Unix seconds):
    /// `Some(userid)` when found, `None` when DingTalk knows no user with that phone.
    pub fn set_member_userid(
        &mut self,
        id: i64,
        userid: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE member SET dingtalk_userid = ?2, resolved_at = ?3 WHERE id = ?1",
                params![id, userid, at],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: format!("member #{id}"),
            });
        }
        Ok(())
    }

    /// Insert many members in one transaction: all or nothing. The first invalid member or
    /// duplicate login (within `members` or against the database) is reported and nothing is
    /// inserted. Returns the number inserted.
    pub fn import_members(&mut self, members: &[NewMember]) -> Result<usize, StoreError> {
        let mut valid = Vec::with_capacity(members.len());
        let mut seen = HashSet::with_capacity(members.len());
        for m in members {
            let v = validate(m)?;
            if !seen.insert(v.login.to_lowercase()) {
                return Err(StoreError::Invalid {
                    what: format!("the login {:?} appears twice in the import", v.login),
                });
            }
            valid.push(v);
        }
        if valid.is_empty() {
            return Ok(0);
        }
        let err = self.err_fn();
        let now = chrono::Utc::now().timestamp();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        for v in &valid {
            if login_taken(&tx, &v.login, None).map_err(&err)? {
                return Err(duplicate(&v.login));
            }
            insert(&tx, v, now).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        tracing::info!(count = valid.len(), "members imported");
        Ok(valid.len())
    }
}
