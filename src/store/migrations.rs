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
    // v2: members, the subscription catalogue (types, nodes, receiver roles; retired rather than
    // deleted when a newer catalogue drops them), per-node method choices and custom receivers.
    // A (type, node) without a `subscription` row has the defaults: Inbox only.
    M::up(
        "CREATE TABLE member (
            id              INTEGER PRIMARY KEY,
            name            TEXT NOT NULL,
            login           TEXT NOT NULL UNIQUE COLLATE NOCASE,
            phone           TEXT NOT NULL,
            email           TEXT,
            dingtalk_userid TEXT,
            resolved_at     INTEGER,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL
        );
        CREATE INDEX member_by_name ON member (name COLLATE NOCASE, id);
        CREATE TABLE subscription_receiver (
            role TEXT PRIMARY KEY NOT NULL,
            en   TEXT NOT NULL,
            zh   TEXT NOT NULL
        );
        CREATE TABLE subscription_type (
            code     TEXT PRIMARY KEY NOT NULL,
            en       TEXT NOT NULL,
            zh       TEXT NOT NULL,
            position INTEGER NOT NULL,
            retired  INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE subscription_node (
            type_code     TEXT NOT NULL REFERENCES subscription_type (code),
            code          TEXT NOT NULL,
            en            TEXT NOT NULL,
            zh            TEXT NOT NULL,
            receiver_role TEXT NOT NULL,
            position      INTEGER NOT NULL,
            retired       INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (type_code, code)
        );
        CREATE TABLE subscription (
            type_code  TEXT NOT NULL,
            node_code  TEXT NOT NULL,
            sms        INTEGER NOT NULL DEFAULT 0,
            email      INTEGER NOT NULL DEFAULT 0,
            phone      INTEGER NOT NULL DEFAULT 0,
            webhook    INTEGER NOT NULL DEFAULT 0,
            personal   INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (type_code, node_code),
            FOREIGN KEY (type_code, node_code) REFERENCES subscription_node (type_code, code)
        );
        CREATE TABLE custom_receiver (
            type_code TEXT NOT NULL,
            node_code TEXT NOT NULL,
            member_id INTEGER NOT NULL REFERENCES member (id) ON DELETE CASCADE,
            PRIMARY KEY (type_code, node_code, member_id),
            FOREIGN KEY (type_code, node_code) REFERENCES subscription_node (type_code, code)
        );
        CREATE INDEX custom_receiver_by_member ON custom_receiver (member_id);",
    ),
    // v3: the delivery outbox. One row per workflow event (its id makes it idempotent) and one
    // per recipient; a delivery's state changes only inside transactions.
    M::up(
        "CREATE TABLE event (
            id         INTEGER PRIMARY KEY,
            event_id   TEXT NOT NULL UNIQUE,
            type_code  TEXT NOT NULL,
            node_code  TEXT NOT NULL,
            title      TEXT NOT NULL,
            text       TEXT NOT NULL DEFAULT '',
            link       TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE delivery (
            id                INTEGER PRIMARY KEY,
            event_ref         INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
            login             TEXT NOT NULL,
            status            TEXT NOT NULL,
            attempts          INTEGER NOT NULL DEFAULT 0,
            next_attempt_at   INTEGER NOT NULL DEFAULT 0, -- unix milliseconds
            error_code        TEXT,
            last_error        TEXT,
            process_query_key TEXT,
            created_at        INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL,
            UNIQUE (event_ref, login)
        );
        CREATE INDEX delivery_ready ON delivery (status, next_attempt_at, id);
        CREATE INDEX delivery_by_status ON delivery (status, id);",
    ),
    // v4: exclusivity lives in the database. A worker claims deliveries by writing its owner id
    // and a lease expiry in the transaction that selects them; a live lease is never taken by
    // another worker. `unknown` = the send may have been delivered (never resent on its own).
    // `deferrals` counts waits that are not failures (throttling, flow control).
    M::up(
        "ALTER TABLE delivery ADD COLUMN claim_owner TEXT;
        ALTER TABLE delivery ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0; -- unix ms
        ALTER TABLE delivery ADD COLUMN deferrals INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE delivery ADD COLUMN request_id TEXT;
        ALTER TABLE delivery ADD COLUMN restarted_at INTEGER NOT NULL DEFAULT 0; -- a retry by hand
        CREATE INDEX delivery_claims ON delivery (lease_until, claim_owner)
            WHERE claim_owner IS NOT NULL;
        UPDATE delivery SET status = 'unknown'
            WHERE status = 'failed' AND (error_code = 'interrupted'
                OR last_error LIKE '%may have been delivered%');",
    ),
    // v5: personal channels beyond DingTalk. A delivery is per (event, member, channel); rows
    // that never had a channel (skipped events, unknown logins) have channel ''. Channel rows
    // gain WeCom's AgentId and callback settings. `member_channel_id` caches each member's id
    // on each platform (NULL user_id = not found), valid while the app and the looked-up value
    // are the ones recorded with it.
    M::up(
        "CREATE TABLE delivery_v5 (
            id                INTEGER PRIMARY KEY,
            event_ref         INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
            login             TEXT NOT NULL,
            channel           TEXT NOT NULL DEFAULT 'dingtalk',
            status            TEXT NOT NULL,
            attempts          INTEGER NOT NULL DEFAULT 0,
            next_attempt_at   INTEGER NOT NULL DEFAULT 0,
            error_code        TEXT,
            last_error        TEXT,
            process_query_key TEXT,
            created_at        INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL,
            claim_owner       TEXT,
            lease_until       INTEGER NOT NULL DEFAULT 0,
            deferrals         INTEGER NOT NULL DEFAULT 0,
            request_id        TEXT,
            restarted_at      INTEGER NOT NULL DEFAULT 0,
            UNIQUE (event_ref, login, channel)
        );
        INSERT INTO delivery_v5 (id, event_ref, login, channel, status, attempts,
                next_attempt_at, error_code, last_error, process_query_key, created_at,
                updated_at, claim_owner, lease_until, deferrals, request_id, restarted_at)
            SELECT id, event_ref, login,
                CASE WHEN status = 'skipped' OR error_code = 'unknown_member' THEN ''
                     ELSE 'dingtalk' END,
                status, attempts, next_attempt_at, error_code, last_error, process_query_key,
                created_at, updated_at, claim_owner, lease_until, deferrals, request_id,
                restarted_at
            FROM delivery;
        DROP TABLE delivery;
        ALTER TABLE delivery_v5 RENAME TO delivery;
        CREATE INDEX delivery_ready ON delivery (status, next_attempt_at, id);
        CREATE INDEX delivery_by_status ON delivery (status, id);
        CREATE INDEX delivery_claims ON delivery (lease_until, claim_owner)
            WHERE claim_owner IS NOT NULL;
        CREATE INDEX delivery_by_channel ON delivery (channel, status, id);
        CREATE INDEX delivery_by_login ON delivery (login, channel, updated_at);
        ALTER TABLE channel ADD COLUMN agent_id INTEGER;
        ALTER TABLE channel ADD COLUMN callback_token TEXT;
        ALTER TABLE channel ADD COLUMN callback_aes_key TEXT;
        ALTER TABLE channel ADD COLUMN callback_url TEXT;
        CREATE TABLE member_channel_id (
            member_id   INTEGER NOT NULL REFERENCES member (id) ON DELETE CASCADE,
            channel     TEXT NOT NULL,
            app_id      TEXT NOT NULL,
            lookup_key  TEXT NOT NULL,
            user_id     TEXT,
            resolved_at INTEGER NOT NULL,
            PRIMARY KEY (member_id, channel)
        );",
    ),
    // v6: indexes for the Delivery Log's text search (a case-insensitive substring of the event
    // id, type, node, title, the login or the last error), so that a search at 1,000,000
    // deliveries reads the few rows it finds instead of every row. SQLite's FTS5 with the
    // trigram tokenizer indexes every 3-character substring, case-folded; `detail=none` keeps
    // only which rows hold a trigram (no positions: the search ANDs single trigrams and checks
    // each candidate with the same LIKE as before, so the index only has to find a superset).
    //
    // - `event_search`: the event's four fields, external content (the text stays in `event`
    //   only). One index row per event, not per delivery.
    // - `delivery_text`: every distinct login and every distinct last error ever written on a
    //   delivery, with its own trigram index. Both are few compared with the deliveries (logins
    //   at most one per member and unknown name; errors mostly fixed sentences), so a search
    //   finds the matching texts there and then the deliveries through `delivery_by_login` and
    //   the partial index `delivery_by_error`. Texts are never removed: one no longer on any
    //   delivery just finds no rows.
    //
    // Updates of `delivery` (the worker's errors) add their text through triggers; deletes and
    // updates of events (none today) keep `event_search` right through triggers. Inserts of
    // events and deliveries have no trigger: any trigger on the table, even one that never
    // fires, costs each insert statement a statement journal, at which FTS5 also writes its
    // pending rows out as a separate segment; enqueueing (a statement per row) ran at about a
    // third of its speed with them (measured). The store's inserts record their rows instead
    // and index them in one statement per transaction (`search::Upkeep`).
    M::up(
        "CREATE VIRTUAL TABLE event_search USING fts5 (
            event_id, type_code, node_code, title,
            content = 'event', content_rowid = 'id',
            tokenize = 'trigram case_sensitive 0', detail = none, columnsize = 0
        );
        INSERT INTO event_search (event_search) VALUES ('rebuild');
        CREATE TRIGGER event_search_delete AFTER DELETE ON event BEGIN
            INSERT INTO event_search (event_search, rowid, event_id, type_code, node_code, title)
                VALUES ('delete', OLD.id, OLD.event_id, OLD.type_code, OLD.node_code, OLD.title);
        END;
        CREATE TRIGGER event_search_update
            AFTER UPDATE OF id, event_id, type_code, node_code, title ON event BEGIN
            INSERT INTO event_search (event_search, rowid, event_id, type_code, node_code, title)
                VALUES ('delete', OLD.id, OLD.event_id, OLD.type_code, OLD.node_code, OLD.title);
            INSERT INTO event_search (rowid, event_id, type_code, node_code, title)
                VALUES (NEW.id, NEW.event_id, NEW.type_code, NEW.node_code, NEW.title);
        END;
        CREATE TABLE delivery_text (
            id    INTEGER PRIMARY KEY,
            field TEXT NOT NULL, -- 'login' or 'error' (delivery.last_error)
            text  TEXT NOT NULL,
            UNIQUE (field, text)
        );
        CREATE VIRTUAL TABLE delivery_text_search USING fts5 (
            text,
            content = 'delivery_text', content_rowid = 'id',
            tokenize = 'trigram case_sensitive 0', detail = none, columnsize = 0
        );
        CREATE TRIGGER delivery_text_search_delete AFTER DELETE ON delivery_text BEGIN
            INSERT INTO delivery_text_search (delivery_text_search, rowid, text)
                VALUES ('delete', OLD.id, OLD.text);
        END;
        CREATE INDEX delivery_by_error ON delivery (last_error) WHERE last_error IS NOT NULL;
        -- A channel's rows newest first (the log's channel filter without a status, and the
        -- search's pass over the newest rows): `delivery_by_channel` (channel, status, id) is
        -- in id order only for one status, so that read sorted all the channel's rows.
        CREATE INDEX delivery_by_channel_id ON delivery (channel, id);
        INSERT INTO delivery_text (field, text) SELECT DISTINCT 'login', login FROM delivery;
        INSERT INTO delivery_text (field, text)
            SELECT DISTINCT 'error', last_error FROM delivery WHERE last_error IS NOT NULL;
        INSERT INTO delivery_text_search (delivery_text_search) VALUES ('rebuild');
        CREATE TRIGGER delivery_text_login_update AFTER UPDATE OF login ON delivery
            WHEN NOT EXISTS (SELECT 1 FROM delivery_text WHERE field = 'login' AND text = NEW.login)
        BEGIN
            INSERT INTO delivery_text (field, text) VALUES ('login', NEW.login);
            INSERT INTO delivery_text_search (rowid, text) VALUES (last_insert_rowid(), NEW.login);
        END;
        CREATE TRIGGER delivery_text_error_update AFTER UPDATE OF last_error ON delivery
            WHEN NEW.last_error IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM delivery_text WHERE field = 'error' AND text = NEW.last_error)
        BEGIN
            INSERT INTO delivery_text (field, text) VALUES ('error', NEW.last_error);
            INSERT INTO delivery_text_search (rowid, text)
                VALUES (last_insert_rowid(), NEW.last_error);
        END;",
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

#[cfg(test)]
mod v5_tests {
    use super::*;

    /// Deliveries written before channels existed keep their state and become DingTalk's;
    /// rows that never had a channel (skipped, unknown login) get none.
    #[test]
    fn v5_gives_old_deliveries_a_channel_and_keeps_everything_else() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 4).unwrap();
        conn.execute_batch(
            "INSERT INTO event (id, event_id, type_code, node_code, title, created_at)
                VALUES (1, 'e1', 'sql_task', 'to_be_approved', 't', 1);
             INSERT INTO delivery (id, event_ref, login, status, attempts, error_code,
                    created_at, updated_at, deferrals, request_id)
                VALUES (10, 1, 'ana', 'sent', 1, NULL, 1, 2, 0, NULL),
                       (11, 1, 'bo', 'failed', 3, 'unknown_member', 1, 2, 0, NULL),
                       (12, 1, 'cy', 'skipped', 0, 'skipped', 1, 2, 0, NULL),
                       (13, 1, 'dee', 'unknown', 1, 'timeout', 1, 2, 2, 'req-1');",
        )
        .unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let rows: Vec<(i64, String, String, i64, i64, Option<String>)> = conn
            .prepare(
                "SELECT id, channel, status, attempts, deferrals, request_id FROM delivery ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (10, "dingtalk".into(), "sent".into(), 1, 0, None),
                (11, "".into(), "failed".into(), 3, 0, None),
                (12, "".into(), "skipped".into(), 0, 0, None),
                (
                    13,
                    "dingtalk".into(),
                    "unknown".into(),
                    1,
                    2,
                    Some("req-1".into())
                ),
            ]
        );
        // The same member may now have one delivery per channel of an event.
        conn.execute(
            "INSERT INTO delivery (event_ref, login, channel, status, created_at, updated_at)
             VALUES (1, 'ana', 'wecom', 'pending', 3, 3)",
            [],
        )
        .unwrap();
        assert!(
            conn.execute(
                "INSERT INTO delivery (event_ref, login, channel, status, created_at, updated_at)
                 VALUES (1, 'ana', 'wecom', 'pending', 3, 3)",
                [],
            )
            .is_err(),
            "one delivery per (event, member, channel)"
        );
    }
}
