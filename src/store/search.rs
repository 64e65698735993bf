//! The Delivery Log's text search through the trigram indexes of schema v6.
//!
//! What a search means never changed: a delivery matches when its event id, type, node,
//! title, its login or its last error contains the text, trimmed, as SQLite's `LIKE
//! '%text%'` sees it — case-insensitive for ASCII letters only, and `%` and `_` in the text
//! are LIKE's wildcards (any run of characters, any one character), as they always were.
//!
//! The indexes only narrow the rows down; every row a search returns or counts still passed
//! that same LIKE on the same fields, so the answer is the one the plain scan gives:
//!
//! - The FTS5 query is an AND of trigrams taken from the text's literal runs (the parts
//!   between wildcards) of three characters or more. Any field that LIKE matches contains
//!   each run, up to ASCII case, so it contains each of those trigrams once case-folded: the
//!   index finds a superset of the matches, and LIKE on the candidates removes the rest.
//! - A text without such a run (anything shorter than 3 characters, or `a_b`) has no trigram
//!   to look up: it is searched with LIKE over the rows, as before.
//! - Matching events come from `event_search`; matching logins and errors from
//!   `delivery_text` (each distinct text once), then their deliveries through the
//!   `(event_ref, …)` unique index, `delivery_by_login` and `delivery_by_error`.
//!
//! The newest rows are read with LIKE first ([`SCAN_ROWS`] of them): a text most rows match
//! ("task", a type code) fills its page there at once, where collecting every match through
//! the indexes and keeping the newest would cost as much as the scan did. Only when those
//! rows hold less than a page does the search turn to the indexes for the older rows. A count
//! uses the indexes unless the status and channel filters leave at most [`SCAN_ROWS`] rows.

use std::collections::HashSet;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

/// How many rows (the newest, under the status and channel filters) a search reads with LIKE
/// before it turns to the indexes: a few milliseconds of LIKE at most (release build).
pub(super) const SCAN_ROWS: usize = 10_000;

/// A search text the trigram indexes can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Indexed {
    /// The LIKE pattern every returned row must match: `%text%`.
    pub like: String,
    /// The FTS5 query: trigrams of the literal runs, ANDed.
    pub fts: String,
}

/// The indexed form of a search text (trimmed, not empty), or `None` when it has no literal
/// run of 3 characters (LIKE's `%` and `_` split runs) and must be scanned.
pub(super) fn indexed(text: &str) -> Option<Indexed> {
    if text.contains('\0') {
        return None;
    }
    let mut grams: Vec<String> = Vec::new();
    for run in text.split(['%', '_']) {
        let chars: Vec<char> = run.chars().collect();
        let Some(last) = chars.len().checked_sub(3) else {
            continue;
        };
        // Trigrams that cover the run (every third one, and the last): fewer lists to
        // intersect than all of them, and the LIKE check does the rest.
        for start in (0..=last).step_by(3).chain([last]) {
            let gram: String = chars[start..start + 3].iter().collect();
            if !grams.contains(&gram) {
                grams.push(gram);
            }
        }
    }
    if grams.is_empty() {
        return None;
    }
    let fts = grams
        .iter()
        .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ");
    Some(Indexed {
        like: format!("%{text}%"),
        fts,
    })
}

/// The condition "delivery `alias` matches the search", answered through the indexes, and
/// its parameters.
pub(super) fn matches_sql(ix: &Indexed, alias: &str) -> (String, Vec<Value>) {
    let sql = format!(
        "({alias}.event_ref IN (
            SELECT ev.id FROM event_search CROSS JOIN event ev ON ev.id = event_search.rowid
            WHERE event_search MATCH ? AND (ev.event_id LIKE ? OR ev.type_code LIKE ?
                OR ev.node_code LIKE ? OR ev.title LIKE ?))
        OR {alias}.login IN ({texts})
        OR {alias}.last_error IN ({texts}))",
        // CROSS JOIN: the index drives, then each candidate is checked (never the reverse).
        texts = "SELECT dt.text FROM delivery_text_search
            CROSS JOIN delivery_text dt ON dt.id = delivery_text_search.rowid
            WHERE delivery_text_search MATCH ? AND dt.field = ? AND dt.text LIKE ?"
    );
    let fts = || Value::Text(ix.fts.clone());
    let like = || Value::Text(ix.like.clone());
    let mut params = vec![fts(), like(), like(), like(), like()];
    for field in ["login", "error"] {
        params.extend([fts(), Value::Text(field.into()), like()]);
    }
    (sql, params)
}

/// What a write adds to the search indexes: the events it inserted and the logins and errors
/// its deliveries carry. [`Upkeep::write`] indexes them in one statement per index before the
/// transaction (or savepoint) ends. One FTS5 insert per row would cost far more: FTS5 writes
/// its pending rows out as a new index segment at every statement that may be rolled back on
/// its own (one with a statement journal: any insert into an FTS5 table, any statement with a
/// trigger), so every event would become a segment of its own, to be merged later.
#[derive(Debug, Default)]
pub(super) struct Upkeep {
    events: Vec<i64>,
    /// Rows added to `delivery_text` here, to index.
    texts: Vec<i64>,
    /// Texts known to be in `delivery_text` (within this transaction or savepoint).
    known: HashSet<(&'static str, String)>,
}

impl Upkeep {
    /// An event inserted (its id).
    pub(super) fn event(&mut self, id: i64) {
        self.events.push(id);
    }

    /// A delivery is about to be inserted with this text as its login (`field` "login") or
    /// its last error ("error"): record the text unless it is known. Every INSERT INTO
    /// delivery calls this for its login and its error (a trigger would slow every insert
    /// down; see migration v6). A known text costs one indexed probe, or none when this
    /// upkeep has seen it.
    pub(super) fn text(
        &mut self,
        conn: &Connection,
        field: &'static str,
        text: &str,
    ) -> rusqlite::Result<()> {
        let key = (field, text.to_string());
        if self.known.contains(&key) {
            return Ok(());
        }
        let id: Option<i64> = conn
            .prepare_cached("SELECT id FROM delivery_text WHERE field = ?1 AND text = ?2")?
            .query_row(params![field, text], |r| r.get(0))
            .optional()?;
        if id.is_none() {
            conn.prepare_cached("INSERT INTO delivery_text (field, text) VALUES (?1, ?2)")?
                .execute(params![field, text])?;
            self.texts.push(conn.last_insert_rowid());
        }
        self.known.insert(key);
        Ok(())
    }

    /// Index what was recorded, on the same transaction or savepoint.
    pub(super) fn write(self, conn: &Connection) -> rusqlite::Result<()> {
        let ids = |v: &[i64]| {
            let list: Vec<String> = v.iter().map(i64::to_string).collect();
            format!("[{}]", list.join(","))
        };
        if !self.events.is_empty() {
            conn.prepare_cached(
                "INSERT INTO event_search (rowid, event_id, type_code, node_code, title)
                 SELECT e.id, e.event_id, e.type_code, e.node_code, e.title
                 FROM json_each(?1) j JOIN event e ON e.id = j.value",
            )?
            .execute([ids(&self.events)])?;
        }
        if !self.texts.is_empty() {
            conn.prepare_cached(
                "INSERT INTO delivery_text_search (rowid, text)
                 SELECT t.id, t.text FROM json_each(?1) j JOIN delivery_text t ON t.id = j.value",
            )?
            .execute([ids(&self.texts)])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
