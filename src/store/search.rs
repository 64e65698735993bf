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

use rusqlite::types::Value;
use rusqlite::{Connection, params};

/// How many rows (the newest, under the status and channel filters) a search reads with LIKE
/// before it turns to the indexes: about 2 ms of LIKE in a release build.
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

/// Record `text` as a login (`field` "login") or an error ("error") written on a delivery,
/// unless it is known. Every INSERT INTO delivery calls this for its login and its error
/// first (a trigger would slow every insert down; see migration v6); updates are covered by
/// triggers. A known text costs one indexed probe.
pub(super) fn note_text(conn: &Connection, field: &str, text: &str) -> rusqlite::Result<()> {
    let known: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM delivery_text WHERE field = ?1 AND text = ?2)",
        )?
        .query_row(params![field, text], |r| r.get(0))?;
    if !known {
        conn.prepare_cached("INSERT INTO delivery_text (field, text) VALUES (?1, ?2)")?
            .execute(params![field, text])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
