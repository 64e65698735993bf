//! The schema, as an ordered list of migrations. The schema version is the number of
//! migrations applied, kept in `PRAGMA user_version` by rusqlite_migration.
//!
//! To change the schema, APPEND a migration to `MIGRATION_LIST`; never edit or reorder one
//! that has shipped.

use rusqlite_migration::{M, Migrations};

const MIGRATION_LIST: &[M<'static>] = &[
    // v1: channel configuration, last test result per channel, key/value settings.
    M::up(
        "CREATE TABLE channel (
            kind          TEXT PRIMARY KEY NOT NULL,
            app_key       TEXT NOT NULL,
            app_secret    TEXT NOT NULL,
            template_id   TEXT,
            source_column TEXT NOT NULL,
            receiver      TEXT,
            updated_at    INTEGER NOT NULL
        );
        CREATE TABLE channel_test (
            kind    TEXT PRIMARY KEY NOT NULL,
            at      INTEGER NOT NULL,
            ok      INTEGER NOT NULL,
            summary TEXT NOT NULL
        );
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        );",
    ),
];

/// The schema version this build creates and understands.
pub const LATEST_VERSION: u32 = MIGRATION_LIST.len() as u32;
const _: () = assert!(LATEST_VERSION >= 1, "at least one migration");

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATION_LIST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        migrations().validate().unwrap();
    }

    #[test]
    fn latest_version_matches_user_version() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST_VERSION);
    }
}
