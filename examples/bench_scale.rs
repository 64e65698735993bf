//! Scale benchmark (a harness, not a test): the TUI with 100,000 members and 1,000,000
//! deliveries. Builds the database once (kept at PATH for the next run), then times:
//! the store's loads and Delivery Log queries (searches also with the LIKE scan they
//! replaced), the Members tab's keys (cursor and filter keystrokes, key press → redrawn frame)
//! and the log tab's keys in-process, enqueue throughput, and the release binary in a
//! pseudo-terminal: start to first frame, members shown, a log search answered, and its peak
//! RSS (VmHWM).
//!
//! Build: `cargo build --release --bin notifydesk --examples`
//! Run: `cargo run --release --example bench_scale [PATH [pty]]` (default
//! /tmp/notifydesk-scale.db; `pty`: only the binary's figures;
//! delete the file afterwards, it is ≈ 0.3 GB).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange};
use notifydesk::domain::{ChannelKind, ChannelSummary, DingTalkConfig, Mobile, SourceColumn};
use notifydesk::store::{DeliveryFilter, NewEvent, Store};
use notifydesk::tui::app::{App, AppOptions};
use notifydesk::tui::filter::MemberList;
use notifydesk::tui::msg::{LogPage, Msg};
use notifydesk::tui::theme::Theme;
use notifydesk::tui::view;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;

const MEMBERS: usize = 100_000;
const EVENTS: usize = 50_000;
const PER_EVENT: usize = 20;

/// DingTalk configured and Personal Channel checked for the node the events use.
fn configure(store: &mut Store) {
    store
        .save_dingtalk(&DingTalkConfig {
            app_key: "dingbench".into(),
            app_secret: SecretString::from("bench-secret"),
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
}

fn build(path: &Path) {
    let t = Instant::now();
    let mut store = Store::open(path).unwrap();
    configure(&mut store);
    let members: Vec<NewMember> = (0..MEMBERS)
        .map(|i| NewMember {
            name: format!("User {i}"),
            login: format!("u{i}"),
            phone: format!("139{i:08}"),
            email: Some(format!("user{i}@example.com")),
        })
        .collect();
    store.import_members(&members).unwrap();
    for chunk in (0..EVENTS).collect::<Vec<_>>().chunks(500) {
        let events: Vec<NewEvent> = chunk
            .iter()
            .map(|&e| NewEvent {
                event_id: format!("ev-{e}"),
                type_code: "sql_task".into(),
                node_code: "to_be_approved".into(),
                title: format!("Change {e}"),
                members: (0..PER_EVENT)
                    .map(|i| format!("u{}", (e * PER_EVENT + i) % MEMBERS))
                    .collect(),
                ..NewEvent::default()
            })
            .collect();
        store.enqueue_events(&events).unwrap();
    }
    println!(
        "built {} in {:.1} s: {MEMBERS} members, {} deliveries",
        path.display(),
        t.elapsed().as_secs_f64(),
        EVENTS * PER_EVENT
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<52} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms  (n={})",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*v.last().unwrap()),
        v.len()
    );
}

fn timed<T>(n: usize, mut f: impl FnMut(usize) -> T) -> Vec<Duration> {
    (0..n)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(f(i));
            t.elapsed()
        })
        .collect()
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn app() -> App {
    let mut app = App::new(AppOptions {
        db_label: "scale.db".into(),
        theme: Theme::color(),
        utc_offset: FixedOffset::east_opt(0).unwrap(),
    });
    app.handle(Msg::ChannelsLoaded(Ok(ChannelKind::ALL
        .into_iter()
        .map(ChannelSummary::unconfigured)
        .collect())));
    app
}

fn store_figures(store: &Store) {
    report(
        "store: load every member (100,000) as Member values",
        timed(5, |_| store.members().unwrap()),
    );
    report(
        "store: load every member (100,000) as the TUI's table",
        timed(5, |_| store.member_table().unwrap()),
    );
    let all = DeliveryFilter::default();
    report(
        "store: log newest page (200 rows)",
        timed(100, |_| store.delivery_page(&all, None, 200).unwrap()),
    );
    report(
        "store: log page before id 500,000",
        timed(100, |_| {
            store.delivery_page(&all, Some(500_000), 200).unwrap()
        }),
    );
    report(
        "store: count, all",
        timed(10, |_| store.delivery_count(&all).unwrap()),
    );
    report(
        "store: counts by status",
        timed(10, |_| store.delivery_counts().unwrap()),
    );
    // The search through the trigram indexes (schema v6) next to the LIKE scan it replaced,
    // on the same database: selective texts, texts most rows match (`sql_task`: `_` is a
    // wildcard), one that matches 222,220 older rows only, and a short one (LIKE for both).
    let like = rusqlite::Connection::open_with_flags(
        store.path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    for needle in [
        "Change 49990",
        "Change 123",
        "u77777",
        "Change 1",
        "Change",
        "sql_task",
        "12",
    ] {
        let f = DeliveryFilter {
            text: Some(needle.into()),
            ..DeliveryFilter::default()
        };
        let page = store.delivery_page(&f, None, 200).unwrap();
        let count = store.delivery_count(&f).unwrap();
        assert_eq!(
            page.iter().map(|r| r.id).collect::<Vec<_>>(),
            like_page(&like, needle),
            "{needle}"
        );
        assert_eq!(count, like_count(&like, needle), "{needle}");
        println!("search {needle:?}: {count} matches");
        report(
            &format!("store: search {needle:?}, first page"),
            timed(5, |_| store.delivery_page(&f, None, 200).unwrap()),
        );
        report(
            &format!("store: search {needle:?}, count"),
            timed(5, |_| store.delivery_count(&f).unwrap()),
        );
        report(
            &format!("  LIKE scan (before v6) {needle:?}, first page"),
            timed(5, |_| like_page(&like, needle)),
        );
        report(
            &format!("  LIKE scan (before v6) {needle:?}, count"),
            timed(5, |_| like_count(&like, needle)),
        );
    }
}

/// The Delivery Log's search before schema v6: LIKE over every row, same columns.
const LIKE_SEARCH: &str = "(e.event_id LIKE ?1 OR e.type_code LIKE ?1 OR e.node_code LIKE ?1
    OR e.title LIKE ?1 OR d.login LIKE ?1 OR IFNULL(d.last_error, '') LIKE ?1)";

fn like_page(conn: &rusqlite::Connection, text: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT d.id, d.updated_at, d.created_at, e.event_id, e.type_code, e.node_code,
            e.title, d.login, m.name, d.status, d.attempts, d.error_code, d.last_error,
            d.process_query_key, d.request_id, d.deferrals, d.next_attempt_at, d.channel
        FROM delivery d JOIN event e ON e.id = d.event_ref
        LEFT JOIN member m ON m.login = d.login
        WHERE {LIKE_SEARCH} ORDER BY d.id DESC LIMIT 200"
    );
    let mut stmt = conn.prepare_cached(&sql).unwrap();
    stmt.query_map([format!("%{text}%")], |r| {
        // Read every column, as the store's row mapping does.
        (1..18).try_for_each(|i| r.get_ref(i).map(drop))?;
        r.get(0)
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn like_count(conn: &rusqlite::Connection, text: &str) -> u64 {
    conn.query_row(
        &format!(
            "SELECT COUNT(*) FROM delivery d JOIN event e ON e.id = d.event_ref WHERE {LIKE_SEARCH}"
        ),
        [format!("%{text}%")],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}

/// Enqueue throughput (with the search indexes' upkeep) on fresh databases of 1,000 members:
/// 20,000 events of 20 members, and of 2 members (as `bench_service`), in groups of 500 (as
/// `notify --stdin-json` commits); median of 3 runs each.
fn enqueue_figures() {
    let dir = std::env::temp_dir().join(format!("nd-bench-enqueue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for per_event in [20, 2] {
        let mut rates: Vec<f64> = (0..3)
            .map(|run| {
                let path = dir.join(format!("enqueue-{per_event}-{run}.db"));
                let mut store = Store::open(&path).unwrap();
                configure(&mut store);
                let members: Vec<NewMember> = (0..1000)
                    .map(|i| NewMember {
                        name: format!("User {i}"),
                        login: format!("u{i}"),
                        phone: format!("139{i:08}"),
                        email: None,
                    })
                    .collect();
                store.import_members(&members).unwrap();
                let events: Vec<NewEvent> = (0..20_000)
                    .map(|e| NewEvent {
                        event_id: format!("ev-{e}"),
                        type_code: "sql_task".into(),
                        node_code: "to_be_approved".into(),
                        title: format!("Change {e}"),
                        members: (0..per_event)
                            .map(|i| format!("u{}", (e * per_event + i) % 1000))
                            .collect(),
                        ..NewEvent::default()
                    })
                    .collect();
                let t = Instant::now();
                for chunk in events.chunks(500) {
                    store.enqueue_events(chunk).unwrap();
                }
                let rate = events.len() as f64 / t.elapsed().as_secs_f64();
                drop(store);
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                rate
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "enqueue 20,000 events x {per_event} members, groups of 500: {:.0} events/s \
             (median of {:.0} / {:.0} / {:.0})",
            rates[1], rates[0], rates[1], rates[2]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tui_figures(store: &Store) {
    let table = store.member_table().unwrap();
    report(
        "store thread: the members' search text (MemberList::new)",
        timed(5, |_| MemberList::new(table.clone())),
    );
    let arrivals = (0..5)
        .map(|_| {
            let (mut a, list) = (app(), MemberList::new(table.clone()));
            let t = Instant::now();
            a.handle(Msg::MembersLoaded(Ok(list)));
            t.elapsed()
        })
        .collect();
    report(
        "tui: members arrive (message handled on the UI task)",
        arrivals,
    );
    let mut a = app();
    a.handle(Msg::MembersLoaded(Ok(MemberList::new(table))));
    a.handle(key(KeyCode::Char('3')));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    report(
        "tui: members frame 80x24",
        timed(200, |_| term.draw(|f| view::render(&a, f)).map(|_| ())),
    );
    report(
        "tui: members cursor key -> frame",
        timed(500, |i| {
            let _ = a.handle(key(if i % 50 == 49 {
                KeyCode::Home
            } else {
                KeyCode::Down
            }));
            term.draw(|f| view::render(&a, f)).map(|_| ())
        }),
    );
    // Typing "user 4242" into the filter, then deleting it, over and over.
    a.handle(key(KeyCode::Char('/')));
    let typed: Vec<char> = "user 4242".chars().collect();
    let n = typed.len();
    report(
        "tui: members filter keystroke -> frame",
        timed(20 * n * 2, |i| {
            let k = match i % (2 * n) {
                j if j < n => KeyCode::Char(typed[j]),
                _ => KeyCode::Backspace,
            };
            let _ = a.handle(key(k));
            term.draw(|f| view::render(&a, f)).map(|_| ())
        }),
    );
    a.handle(key(KeyCode::Char('u')));
    a.handle(key(KeyCode::Enter));
    report(
        "tui: members cursor key -> frame, filter \"u\" kept",
        timed(500, |_| {
            let _ = a.handle(key(KeyCode::Down));
            term.draw(|f| view::render(&a, f)).map(|_| ())
        }),
    );

    let filter = DeliveryFilter::default();
    let mut a = app();
    a.handle(key(KeyCode::Char('4')));
    a.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows: store.delivery_page(&filter, None, 200).unwrap(),
        total: store.delivery_count(&filter).unwrap(),
        counts: store.delivery_counts().unwrap(),
    })));
    report(
        "tui: log key -> frame (page of 1,000,000)",
        timed(1000, |i| {
            let _ = a.handle(key(if (i / 100) % 2 == 0 {
                KeyCode::Down
            } else {
                KeyCode::Up
            }));
            term.draw(|f| view::render(&a, f)).map(|_| ())
        }),
    );
}

/// The release binary in an 80×24 pseudo-terminal: waits for each text in turn after
/// typing its keys; returns the time each appeared (from spawn) and the peak RSS in kB.
fn pty_run(program: &Path, db: &Path, steps: &[(&str, &str)]) -> (Vec<Duration>, u64) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let home = std::env::temp_dir().join(format!("nd-bench-scale-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = CommandBuilder::new(program);
    cmd.args([
        "--db",
        db.to_str().unwrap(),
        "--dingtalk-api",
        "http://127.0.0.1:9",
        "--dingtalk-oapi",
        "http://127.0.0.1:9",
    ]);
    cmd.env_clear();
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", &home);
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let screen = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
    let s2 = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            s2.lock().unwrap().process(&buf[..n]);
        }
    });
    let mut seen = vec![];
    for (keys, text) in steps {
        writer.write_all(keys.as_bytes()).unwrap();
        writer.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !screen.lock().unwrap().screen().contents().contains(text) {
            assert!(Instant::now() < deadline, "never saw {text:?}");
            std::thread::sleep(Duration::from_micros(200));
        }
        seen.push(start.elapsed());
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&home);
    (seen, hwm)
}

fn release_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("release")
}

fn main() {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/notifydesk-scale.db".into()),
    );
    if !path.exists() {
        build(&path);
    }
    // `pty` as the second argument: only the binary's figures.
    if std::env::args().nth(2).as_deref() != Some("pty") {
        let store = Store::open(&path).unwrap();
        store_figures(&store);
        tui_figures(&store);
        enqueue_figures();
    }

    // NOTIFYDESK_BENCH_BIN: another build of the binary (e.g. the one before a change).
    let app = std::env::var_os("NOTIFYDESK_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| release_dir().join("notifydesk"));
    if !app.exists() {
        println!("(no {}: pseudo-terminal figures skipped)", app.display());
        return;
    }
    let steps = [
        ("", "DingTalk personal channel"),
        ("3", "Members · 100000"),
        ("/user 4242", "· 11 of 100000"),
        // The log's title once its first page and count are in, then a search's count.
        ("\r4", "of 1,000,000"),
        ("/Change 123\r", "of 2,220"),
    ];
    let mut firsts = vec![];
    for run in 0..3 {
        let (seen, hwm) = pty_run(&app, &path, &steps);
        println!(
            "pty run {run}: first frame {:.1} ms, members shown {:.1} ms, filtered {:.1} ms, \
             log {:.1} ms, search shown {:.1} ms; peak RSS {:.1} MB",
            ms(seen[0]),
            ms(seen[1]),
            ms(seen[2]),
            ms(seen[3]),
            ms(seen[4]),
            hwm as f64 / 1024.0
        );
        firsts.push(seen[0]);
    }
    report("pty: start to first frame (100k/1M database)", firsts);
}
