//! Small key/value settings (UI preferences and the like). Never for secrets.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

impl Store {
    /// A random id for this database, made on first use. Cards sent from it carry it in
    /// their `outTrackId`, so two installations never collide on DingTalk's idempotency key.
    pub fn installation_id(&mut self) -> Result<String, StoreError> {
        let fresh: String = (0..8)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES ('installation.id', ?1)
                 ON CONFLICT(key) DO NOTHING",
                [fresh],
            )
            .map_err(|e| self.err(e))?;
        Ok(self
            .setting("installation.id")?
            .unwrap_or_else(|| "0".into()))
    }
}

impl Store {
    /// Changes whenever ANOTHER connection commits (SQLite's `PRAGMA data_version`): a cheap
    /// way to notice events enqueued by other processes without polling the tables.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
