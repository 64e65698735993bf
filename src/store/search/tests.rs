//! The indexed search against the LIKE scan it replaces (kept here as the oracle), the
//! indexes' upkeep, their query plans, and the v5 → v6 migration.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::params;

use super::{Indexed, SCAN_ROWS, Upkeep, indexed};
use crate::domain::ChannelKind;
use crate::store::outbox::{indexed_count_sql, indexed_page_sql, like_page_sql, nth_newest_sql};
use crate::store::{DeliveryFilter, DeliveryStatus, NewEvent, Store, migrations};

/// The Delivery Log's search before the indexes, verbatim: the oracle.
const OLD_SEARCH: &str = "(e.event_id LIKE ? OR e.type_code LIKE ? OR e.node_code LIKE ? \
    OR e.title LIKE ? OR d.login LIKE ? OR IFNULL(d.last_error, '') LIKE ?)";

/// Ids of the rows the old LIKE query returns: newest first, below `before`, `limit` of them
/// (all with `None`).
fn old_page(
    store: &Store,
    f: &DeliveryFilter,
    before: Option<i64>,
    limit: Option<usize>,
) -> Vec<i64> {
    let (mut sql, args) = old_where(f);
    let mut args = args;
    if let Some(b) = before {
        sql.push_str(" AND d.id < ?");
        args.push(b.into());
    }
    let limit = limit.map_or(-1, |l| l as i64);
    let sql = format!(
        "SELECT d.id FROM delivery d JOIN event e ON e.id = d.event_ref WHERE {sql}
         ORDER BY d.id DESC LIMIT {limit}"
    );
    let mut stmt = store.conn.prepare(&sql).unwrap();
    stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn old_count(store: &Store, f: &DeliveryFilter) -> u64 {
    let (sql, args) = old_where(f);
    let sql =
        format!("SELECT COUNT(*) FROM delivery d JOIN event e ON e.id = d.event_ref WHERE {sql}");
    store
        .conn
        .query_row(&sql, rusqlite::params_from_iter(args), |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as u64
}

fn old_where(f: &DeliveryFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from("1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = f.status {
        sql.push_str(" AND d.status = ?");
        args.push(s.code().to_string().into());
    }
    if let Some(c) = f.channel {
        sql.push_str(" AND d.channel = ?");
        args.push(c.code().to_string().into());
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        sql.push_str(" AND ");
        sql.push_str(OLD_SEARCH);
        for _ in 0..6 {
            args.push(format!("%{}%", t.trim()).into());
        }
    }
    (sql, args)
}

fn ids(
    store: &Store,
    f: &DeliveryFilter,
    before: Option<i64>,
    limit: usize,
    scan: usize,
) -> Vec<i64> {
    store
        .delivery_page_scanning(f, before, limit, scan)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// Both trigram indexes hold exactly the rows of their content tables.
fn assert_indexes_complete(store: &Store) {
    for table in ["event_search", "delivery_text_search"] {
        store
            .conn
            .execute(
                &format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"),
                [],
            )
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
}

/// Letters whose case LIKE folds (ASCII) and some it does not (é/É, ß/ẞ, the Kelvin sign
/// that Unicode folds to k, dotted and dotless i), CJK, LIKE's wildcards, quotes.
const ALPHABET: &[char] = &[
    'a', 'A', 'b', 'B', 'c', 'C', 'x', 'é', 'É', 'ß', 'ẞ', '日', '本', '%', '_', ' ', '-', '1',
    '"', '\\', '\u{212A}', 'k', 'K', 'İ', 'i', 'ı',
];

fn word(rng: &mut StdRng, min: usize, max: usize) -> String {
    let n = rng.random_range(min..=max);
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

const CHANNELS: [&str; 5] = ["", "dingtalk", "wecom", "feishu", "feishu_lark"];

/// A store with random events and deliveries: inserted directly (any text), through
/// `enqueue_events` (the real path: skipped and unknown-member rows with their errors), then
/// errors changed and rows deleted. Returns every text a search could look for.
fn random_store(rng: &mut StdRng) -> (Store, Vec<String>) {
    let mut store = Store::open_in_memory().unwrap();
    let logins: Vec<String> = (0..rng.random_range(1..10))
        .map(|_| word(rng, 1, 8))
        .collect();
    let errors: Vec<String> = (0..rng.random_range(1..6))
        .map(|_| word(rng, 3, 20))
        .collect();
    let mut texts: Vec<String> = logins.iter().chain(&errors).cloned().collect();
    // As the store's own inserts do: record, then index in one go.
    let mut upkeep = Upkeep::default();
    for i in 0..rng.random_range(5..40) {
        let fields = [
            format!("{}#{i}", word(rng, 0, 8)),
            word(rng, 1, 6),
            word(rng, 1, 8),
            word(rng, 3, 14),
        ];
        store
            .conn
            .execute(
                "INSERT INTO event (event_id, type_code, node_code, title, created_at)
                 VALUES (?1, ?2, ?3, ?4, 1)",
                params![fields[0], fields[1], fields[2], fields[3]],
            )
            .unwrap();
        let event = store.conn.last_insert_rowid();
        upkeep.event(event);
        for _ in 0..rng.random_range(0..7) {
            let login = pick(rng, &logins).clone();
            let error = rng.random_bool(0.5).then(|| pick(rng, &errors).clone());
            upkeep.text(&store.conn, "login", &login).unwrap();
            if let Some(error) = &error {
                upkeep.text(&store.conn, "error", error).unwrap();
            }
            store
                .conn
                .execute(
                    "INSERT OR IGNORE INTO delivery (event_ref, login, channel, status, last_error,
                        created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1, 1)",
                    params![
                        event,
                        login,
                        pick(rng, &CHANNELS),
                        pick(rng, &DeliveryStatus::ALL).code(),
                        error
                    ],
                )
                .unwrap();
        }
        texts.extend(fields);
    }
    upkeep.write(&store.conn).unwrap();
    // The catalogue's node without Personal Channel: every named login gets a skipped row.
    let events: Vec<NewEvent> = (0..rng.random_range(0..4))
        .map(|i| NewEvent {
            event_id: format!("{}@{i}", word(rng, 1, 6)),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: word(rng, 3, 14),
            members: (0..rng.random_range(1..4))
                .map(|_| pick(rng, &logins).clone())
                .collect(),
            ..NewEvent::default()
        })
        .collect();
    for ev in &events {
        texts.extend([ev.event_id.clone(), ev.title.clone()]);
    }
    store.enqueue_events(&events).unwrap();
    let all: Vec<i64> = old_page(&store, &DeliveryFilter::default(), None, None);
    if !all.is_empty() {
        for _ in 0..rng.random_range(0..10) {
            let error = match rng.random_range(0..3) {
                0 => None,
                1 => Some(pick(rng, &errors).clone()),
                _ => Some(word(rng, 3, 20)),
            };
            texts.extend(error.clone());
            store
                .conn
                .execute(
                    "UPDATE delivery SET last_error = ?2 WHERE id = ?1",
                    params![pick(rng, &all), error],
                )
                .unwrap();
        }
        for _ in 0..rng.random_range(0..3) {
            store
                .conn
                .execute("DELETE FROM delivery WHERE id = ?1", [pick(rng, &all)])
                .unwrap();
        }
    }
    texts.extend(
        store
            .conn
            .prepare("SELECT DISTINCT last_error FROM delivery WHERE last_error IS NOT NULL")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap),
    );
    (store, texts)
}

/// A search text: mostly 1–6 characters of a stored text with their case changed at random,
/// sometimes random characters (mostly absent), sometimes padded with spaces.
fn query(rng: &mut StdRng, texts: &[String]) -> String {
    let q = if rng.random_bool(0.75) {
        let chars: Vec<char> = pick(rng, texts).chars().collect();
        let len = rng.random_range(1..=6).min(chars.len());
        let start = rng.random_range(0..=chars.len() - len);
        chars[start..start + len]
            .iter()
            .map(|c| {
                let flipped: Vec<char> = if c.is_lowercase() {
                    c.to_uppercase().collect()
                } else {
                    c.to_lowercase().collect()
                };
                match flipped.as_slice() {
                    [one] if rng.random_bool(0.5) => *one,
                    _ => *c,
                }
            })
            .collect()
    } else {
        word(rng, 1, 6)
    };
    if rng.random_bool(0.1) {
        format!("  {q} ")
    } else {
        q
    }
}

/// Every page, count and paging walk of the indexed search equals the LIKE scan's, for
/// every scan size (0: the indexes alone; 1 and 4: both phases; the default: mostly LIKE).
fn check(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (store, texts) = random_store(&mut rng);
    assert_indexes_complete(&store);
    let all = old_page(&store, &DeliveryFilter::default(), None, None);
    let mut through_indexes = 0;
    for _ in 0..30 {
        let text = query(&mut rng, &texts);
        through_indexes += usize::from(indexed(text.trim()).is_some());
        let status = Some(*pick(&mut rng, &DeliveryStatus::ALL));
        let channel = Some(*pick(&mut rng, &ChannelKind::ALL));
        for (status, channel) in [
            (None, None),
            (status, None),
            (None, channel),
            (status, channel),
        ] {
            let f = DeliveryFilter {
                status,
                channel,
                text: Some(text.clone()),
            };
            let want_count = old_count(&store, &f);
            let limit = rng.random_range(1..6);
            let before = (!all.is_empty()).then(|| *pick(&mut rng, &all));
            for scan in [0, 1, 4, SCAN_ROWS] {
                let at = format!("seed {seed}, text {text:?}, filter {f:?}, scan {scan}");
                assert_eq!(
                    store.delivery_count_scanning(&f, scan).unwrap(),
                    want_count,
                    "count: {at}"
                );
                assert_eq!(
                    ids(&store, &f, None, limit, scan),
                    old_page(&store, &f, None, Some(limit)),
                    "first page of {limit}: {at}"
                );
                assert_eq!(
                    ids(&store, &f, before, limit, scan),
                    old_page(&store, &f, before, Some(limit)),
                    "page of {limit} before {before:?}: {at}"
                );
            }
        }
        // Paging through every match, as the TUI does.
        let f = DeliveryFilter {
            text: Some(text.clone()),
            ..DeliveryFilter::default()
        };
        for scan in [0, 3] {
            let mut walked = Vec::new();
            loop {
                let page = ids(&store, &f, walked.last().copied(), 2, scan);
                if page.is_empty() {
                    break;
                }
                walked.extend(page);
            }
            assert_eq!(
                walked,
                old_page(&store, &f, None, None),
                "walk: seed {seed}, text {text:?}, scan {scan}"
            );
        }
    }
    assert!(
        through_indexes > 0,
        "seed {seed}: no search used the indexes"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn indexed_search_equals_the_like_scan(seed in any::<u64>()) {
        check(seed);
    }
}

#[test]
fn fts5_with_the_trigram_tokenizer_is_compiled_in() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let fts5: bool = conn
        .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(fts5, "SQLite without FTS5");
    // The trigram tokenizer came with 3.34.0.
    assert!(
        rusqlite::version_number() >= 3_034_000,
        "{}",
        rusqlite::version()
    );
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5 (x, tokenize = 'trigram case_sensitive 0')",
    )
    .unwrap();
}

#[test]
fn a_search_needs_a_literal_run_of_three_characters() {
    for scanned in ["ab", "a", "日本", "a_b", "ab%cd", "%%%", "__x", "a\0bcd"] {
        assert_eq!(indexed(scanned), None, "{scanned:?}");
    }
    let fts = |t: &str| indexed(t).unwrap().fts;
    assert_eq!(fts("abc"), "\"abc\"");
    assert_eq!(indexed("Abc").unwrap().like, "%Abc%");
    // Trigrams covering each run (every third one and the last), the wildcards between runs.
    assert_eq!(
        fts("Change 123"),
        "\"Cha\" AND \"nge\" AND \" 12\" AND \"123\""
    );
    assert_eq!(fts("sql_task"), "\"sql\" AND \"tas\" AND \"ask\"");
    assert_eq!(fts("ab_cde%x"), "\"cde\"");
    assert_eq!(fts("日本語の"), "\"日本語\" AND \"本語の\"");
    // A quote is a character like any other inside an FTS5 string.
    assert_eq!(fts("a\"b"), "\"a\"\"b\"");
}

/// A search at scale must read only the rows it finds: no plan scans the deliveries.
#[test]
fn indexed_queries_do_not_scan_deliveries() {
    let store = Store::open_in_memory().unwrap();
    let ix: Indexed = indexed("Change 123").unwrap();
    for (status, channel) in [
        (None, None),
        (Some(DeliveryStatus::Pending), None),
        (None, Some(ChannelKind::WeCom)),
        (Some(DeliveryStatus::Failed), Some(ChannelKind::DingTalk)),
    ] {
        let f = DeliveryFilter {
            status,
            channel,
            text: None,
        };
        for (sql, args) in [
            indexed_page_sql(&f, &ix, Some(500_000), 200),
            indexed_page_sql(&f, &ix, None, 200),
            indexed_count_sql(&f, &ix),
        ] {
            let plan: Vec<String> = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join("\n");
            for index in [
                "event_search VIRTUAL TABLE",
                "delivery_text_search VIRTUAL TABLE",
                "sqlite_autoindex_delivery_1 (event_ref=?",
                "delivery_by_login (login=?",
                "delivery_by_error (last_error=?",
            ] {
                assert!(plan.contains(index), "{f:?}: no {index} in\n{plan}");
            }
            let full_scan = |line: &str| {
                let mut words = line.split_whitespace();
                words.next() == Some("SCAN")
                    && matches!(words.next(), Some("d" | "dd" | "e" | "ev" | "dt" | "m"))
            };
            assert!(!plan.lines().any(full_scan), "{f:?}: a scan in\n{plan}");
        }
    }
}

/// The bounded LIKE pass over the newest rows reads them in id order under every filter: no
/// sort of all the channel's (or status's) rows, no scan (a review found the channel-only filter
/// sorting every row of the channel).
#[test]
fn the_newest_rows_pass_reads_in_id_order_under_every_filter() {
    let store = Store::open_in_memory().unwrap();
    for (status, channel) in [
        (None, None),
        (Some(DeliveryStatus::Pending), None),
        (None, Some(ChannelKind::DingTalk)),
        (Some(DeliveryStatus::Failed), Some(ChannelKind::WeCom)),
    ] {
        let f = DeliveryFilter {
            status,
            channel,
            text: Some("Change 123".into()),
        };
        for (sql, args) in [
            nth_newest_sql(&f, Some(500_000), SCAN_ROWS),
            nth_newest_sql(&f, None, SCAN_ROWS),
            like_page_sql(&f, Some(500_000), Some(400_000), 200),
            like_page_sql(&f, None, Some(400_000), 200),
        ] {
            let plan: Vec<String> = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join("\n");
            assert!(!plan.contains("TEMP B-TREE"), "{f:?}: a sort in\n{plan}");
            let scans_d = plan.lines().any(|l| {
                let l = l.trim_start_matches(|c: char| !c.is_alphabetic());
                l.starts_with("SCAN d") && !l.contains("INDEX")
            });
            assert!(
                !scans_d || (status, channel) == (None, None),
                "{f:?}: a scan in\n{plan}"
            );
        }
    }
}

/// Every login and error written on a delivery, by any path, is in `delivery_text` with its
/// trigram index: inserts and updates (also through the worker's own statements).
#[test]
fn delivery_texts_follow_inserts_and_updates() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .enqueue_event(&NewEvent {
            event_id: "e1".into(),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: "Release 42".into(),
            members: vec!["Ana".into(), "bo".into()],
            ..NewEvent::default()
        })
        .unwrap();
    store
        .conn
        .execute(
            "UPDATE delivery SET last_error = 'HTTP 503 from the gateway' WHERE login = 'bo'",
            [],
        )
        .unwrap();
    let found = |q: &str| -> Vec<(String, String)> {
        store
            .conn
            .prepare(
                "SELECT dt.field, dt.text FROM delivery_text_search
                 JOIN delivery_text dt ON dt.id = delivery_text_search.rowid
                 WHERE delivery_text_search MATCH ?1 ORDER BY dt.field, dt.text",
            )
            .unwrap()
            .query_map([q], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(found("\"ana\""), [("login".into(), "Ana".into())]);
    assert_eq!(
        found("\"gat\""),
        [("error".into(), "HTTP 503 from the gateway".into())]
    );
    // The skip reason written by the enqueue (single trigrams: the index has no positions).
    assert_eq!(found("\"Per\" AND \"nal\" AND \"Cha\"").len(), 1);
    let events: Vec<i64> = store
        .conn
        .prepare("SELECT rowid FROM event_search WHERE event_search MATCH '\"e 4\"'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(events.len(), 1);
    // A known text is not stored twice.
    store
        .conn
        .execute(
            "UPDATE delivery SET last_error = 'HTTP 503 from the gateway' WHERE login = 'Ana'",
            [],
        )
        .unwrap();
    let n: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM delivery_text", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4, "two logins, the skip reason, one error");
}

/// A database written by the previous version (schema v5) gets the indexes filled by the
/// migration: searches through them find the rows written before it.
#[test]
fn v5_database_migrates_and_its_rows_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        migrations::migrations().to_version(&mut conn, 5).unwrap();
        conn.execute_batch(
            "INSERT INTO event (id, event_id, type_code, node_code, title, created_at)
                VALUES (1, 'ev-old-1', 'sql_task', 'to_be_approved', 'Schema change ORDERS', 1),
                       (2, 'ev-old-2', 'sql_task', 'to_be_approved', 'Index rebuild', 1);
             INSERT INTO delivery (id, event_ref, login, channel, status, last_error,
                    created_at, updated_at)
                VALUES (10, 1, 'ana.li', 'dingtalk', 'sent', NULL, 1, 1),
                       (11, 1, 'bo', 'wecom', 'failed', 'WeCom said: user not found', 1, 1),
                       (12, 2, 'cy', 'dingtalk', 'pending', NULL, 1, 1);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), migrations::LATEST_VERSION);
    let search = |store: &Store, text: &str| -> (Vec<i64>, u64) {
        let f = DeliveryFilter {
            text: Some(text.into()),
            ..DeliveryFilter::default()
        };
        assert!(indexed(text).is_some(), "{text:?} must use the indexes");
        let rows = ids(store, &f, None, 200, 0);
        (rows, store.delivery_count_scanning(&f, 0).unwrap())
    };
    assert_eq!(search(&store, "orders"), (vec![11, 10], 2), "title");
    assert_eq!(search(&store, "EV-OLD-2"), (vec![12], 1), "event id");
    assert_eq!(search(&store, "na.l"), (vec![10], 1), "login");
    assert_eq!(search(&store, "not found"), (vec![11], 1), "error");
    assert_eq!(search(&store, "be_app"), (vec![12, 11, 10], 3), "node");
    assert_eq!(search(&store, "nothing"), (vec![], 0));
    // Rows written after the migration are found as well.
    store
        .enqueue_event(&NewEvent {
            event_id: "ev-new".into(),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: "Orders again".into(),
            members: vec!["dee".into()],
            ..NewEvent::default()
        })
        .unwrap();
    let (rows, n) = search(&store, "orders");
    assert_eq!((rows.len(), n), (3, 3));
    assert_eq!(&rows[1..], [11, 10]);
}

/// Deliveries whose login or last error is missing from `delivery_text`: none, after the
/// store's own inserts (queued, unknown member, a channelless row retried) and the worker's
/// updates.
#[test]
fn every_login_and_error_the_store_writes_is_recorded() {
    use crate::domain::member::NewMember;
    use crate::domain::subscription::{Method, MethodChange};
    use crate::domain::{DingTalkConfig, Mobile, SourceColumn};
    use crate::store::RetryMark;

    let missing = |store: &Store| -> i64 {
        store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM delivery d
                 WHERE NOT EXISTS (SELECT 1 FROM delivery_text t
                        WHERE t.field = 'login' AND t.text = d.login)
                    OR (d.last_error IS NOT NULL AND NOT EXISTS (SELECT 1 FROM delivery_text t
                        WHERE t.field = 'error' AND t.text = d.last_error))",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let mut store = Store::open_in_memory().unwrap();
    store
        .save_dingtalk(&DingTalkConfig {
            app_key: "dingkey".into(),
            app_secret: secrecy::SecretString::from("secret"),
            template_id: None,
            source_column: SourceColumn::Phone,
            receiver: Some(Mobile::parse("13900000001").unwrap()),
        })
        .unwrap();
    store
        .apply_method_changes(&[MethodChange {
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            method: Method::Personal,
            on: true,
        }])
        .unwrap();
    let member = |login: &str| NewMember {
        name: login.to_uppercase(),
        login: login.into(),
        phone: "13900000002".into(),
        email: None,
    };
    store.add_member(&member("ana")).unwrap();
    store
        .enqueue_event(&NewEvent {
            event_id: "e1".into(),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: "Deploy".into(),
            members: vec!["ana".into(), "Zed.Unknown".into()],
            ..NewEvent::default()
        })
        .unwrap();
    assert_eq!(missing(&store), 0);
    assert_indexes_complete(&store);
    let f = |text: &str| DeliveryFilter {
        text: Some(text.into()),
        ..DeliveryFilter::default()
    };
    let found = |store: &Store, text: &str| -> Vec<String> {
        store
            .delivery_page_scanning(&f(text), None, 10, 0)
            .unwrap()
            .into_iter()
            .map(|r| r.login)
            .collect()
    };
    assert_eq!(found(&store, "zed.u"), ["Zed.Unknown"]);
    assert_eq!(found(&store, "no member has"), ["Zed.Unknown"]);
    // The worker's retry records its error (a trigger on the update).
    let batch = store
        .claim_batch("owner-1", i64::MAX / 2, i64::MAX / 2 + 60_000, 10)
        .unwrap()
        .unwrap();
    let ids: Vec<i64> = batch.recipients.iter().map(|r| r.delivery_id).collect();
    store
        .mark_retry(
            "owner-1",
            &ids,
            &RetryMark {
                code: "http".into(),
                error: "HTTP 502 from upstream".into(),
                request_id: None,
                next_at_ms: 0,
                counted: true,
            },
        )
        .unwrap();
    assert_eq!(missing(&store), 0);
    assert_indexes_complete(&store);
    assert_eq!(found(&store, "502 from"), ["ana"]);
    // A row that never had a channel, retried once its login is a member: new rows.
    store.add_member(&member("Zed.Unknown")).unwrap();
    let failed = store.delivery_page(&f("Zed.Unknown"), None, 10).unwrap();
    store.retry_delivery(failed[0].id, false).unwrap();
    assert_eq!(missing(&store), 0);
    assert_indexes_complete(&store);
    assert_eq!(found(&store, "zed.unk").len(), 1);
    // Requests in one transaction: a refused one leaves nothing behind, in the indexes too.
    let ev = |id: &str, title: &str, member: &str| NewEvent {
        event_id: id.into(),
        type_code: "sql_task".into(),
        node_code: "to_be_approved".into(),
        title: title.into(),
        members: vec![member.into()],
        ..NewEvent::default()
    };
    let outcomes = store
        .enqueue_requests(&[
            vec![ev("r1", "Kept request", "kim")],
            vec![ev("r2", "Refused request", "lou"), ev("r3", "", "lou")],
            vec![ev("r4", "Also kept", "max")],
        ])
        .unwrap();
    assert!(matches!(
        outcomes[1],
        crate::store::RequestOutcome::Rejected(_)
    ));
    assert_eq!(missing(&store), 0);
    assert_indexes_complete(&store);
    assert_eq!(found(&store, "kept"), ["max", "kim"]);
    assert!(found(&store, "refused").is_empty());
    assert!(found(&store, "lou").is_empty());
}
