//! Integration tests for the SQLite store: file safety, pragmas, migrations, repository.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notifydesk::domain::{ChannelKind, DingTalkConfig, Mobile, SourceColumn, TestRecord};
use notifydesk::store::{LATEST_VERSION, OpenOptions, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

const SECRET: &str = "Sup3rS3cretValue-zz9";

fn config(template: Option<&str>, receiver: Option<&str>) -> DingTalkConfig {
    DingTalkConfig {
        app_key: "dingappkey123".into(),
        app_secret: SecretString::from(SECRET),
        template_id: template.map(String::from),
        source_column: SourceColumn::Phone,
        receiver: receiver.map(|r| Mobile::parse(r).unwrap()),
    }
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Runs `f` on this thread without the capabilities that let root ignore file permissions
/// (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so the permission tests test something when run
/// as root, as CI does. Linux capabilities belong to a thread: other tests keep theirs, and
/// the effective set is restored afterwards (the permitted set is never touched).
fn without_permission_override<T>(f: impl FnOnce() -> T) -> T {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    const OVERRIDES: u32 = (1 << 1) | (1 << 2); // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    let mut header = Header {
        version: VERSION_3,
        pid: 0, // this thread
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset with a version-3 header and two data structs, as the ABI wants.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(rc, 0, "capget: {}", io::Error::last_os_error());
    let saved = data;
    data[0].effective &= !OVERRIDES;
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", io::Error::last_os_error());
    let out = f();
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, saved.as_ptr()) };
    assert_eq!(rc, 0, "capset (restore): {}", io::Error::last_os_error());
    out
}

/// The lock tests ask for a 200 ms wait. This bound only has to tell that wait from the
/// default 5 s one (or none at all), so it leaves a loaded machine 20 times the time.
const GAVE_UP_BY: Duration = Duration::from_secs(4);

fn short() -> OpenOptions {
    OpenOptions {
        busy_timeout: Duration::from_millis(200),
    }
}

/// Captures tracing output for one test (thread-local default subscriber).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture<T>(f: impl FnOnce() -> T) -> (T, String) {
    let cap = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(cap.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    (out, cap.text())
}

#[test]
fn migrations_validate() {
    notifydesk::store::migrations::migrations()
        .validate()
        .unwrap();
}

#[test]
fn fresh_open_creates_private_dir_file_and_wal() {
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let dir = tmp.path().join("data").join("notifydesk");
    let db = dir.join("notifydesk.db");
    let mut store = Store::open(&db).unwrap();
    assert_eq!(store.path(), db);
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&tmp.path().join("data")), 0o700);
    assert_eq!(
        mode(tmp.path()),
        0o755,
        "existing directories are left alone"
    );
    assert_eq!(mode(&db), 0o600);

    store.save_dingtalk(&config(None, None)).unwrap();
    let wal = sidecar(&db, "-wal");
    let shm = sidecar(&db, "-shm");
    assert!(
        wal.exists() && shm.exists(),
        "WAL mode keeps -wal and -shm while open"
    );
    assert_eq!(mode(&wal), 0o600);
    assert_eq!(mode(&shm), 0o600);

    let other = rusqlite::Connection::open(&db).unwrap();
    let jm: String = other
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(jm, "wal");
}

#[test]
fn empty_existing_file_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    fs::write(&db, b"").unwrap();
    let store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
}

#[test]
fn save_load_round_trip() {
    let mut store = Store::open_in_memory().unwrap();
    assert!(store.load_dingtalk().unwrap().is_none());

    let a = config(None, Some("+86 138 0013 8000"));
    store.save_dingtalk(&a).unwrap();
    let got = store.load_dingtalk().unwrap().unwrap();
    assert!(got.same_as(&a));
    assert_eq!(got.app_secret.expose_secret(), SECRET);
    assert_eq!(got.template_id, None);
    assert_eq!(got.receiver.as_ref().unwrap().as_str(), "13800138000");

    let b = DingTalkConfig {
        app_secret: SecretString::from("another-secret"),
        ..config(Some("tpl_0001"), None)
    };
    store.save_dingtalk(&b).unwrap();
    let got = store.load_dingtalk().unwrap().unwrap();
    assert!(got.same_as(&b));
    assert_eq!(got.template_id.as_deref(), Some("tpl_0001"));
    assert_eq!(got.receiver, None);
    assert_eq!(got.app_secret.expose_secret(), "another-secret");
}

#[test]
fn summaries_in_order_without_secret() {
    let mut store = Store::open_in_memory().unwrap();
    let before = store.channel_summaries().unwrap();
    assert_eq!(
        before.iter().map(|s| s.kind).collect::<Vec<_>>(),
        ChannelKind::ALL
    );
    assert!(
        before
            .iter()
            .all(|s| !s.configured && s.last_test.is_none())
    );

    let t0 = chrono::Utc::now().timestamp();
    store
        .save_dingtalk(&config(Some("tpl_x"), Some("13800138000")))
        .unwrap();
    let summaries = store.channel_summaries().unwrap();
    assert_eq!(
        summaries.iter().map(|s| s.kind).collect::<Vec<_>>(),
        ChannelKind::ALL
    );
    let d = &summaries[0];
    assert!(d.configured && d.supported);
    assert_eq!(d.app_key.as_deref(), Some("dingappkey123"));
    assert_eq!(d.template_id.as_deref(), Some("tpl_x"));
    assert_eq!(d.source_column, Some(SourceColumn::Phone));
    assert_eq!(d.receiver.as_deref(), Some("13800138000"));
    let at = d.updated_at.unwrap();
    assert!(at >= t0 && at <= chrono::Utc::now().timestamp());
    assert_eq!(d.status_text(), "Configured: dingappkey123");
    for s in &summaries[1..] {
        assert!(!s.configured && s.supported);
    }
    let debug = format!("{summaries:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    let json = serde_json::to_string(&summaries).unwrap();
    assert!(!json.contains(SECRET), "{json}");
}

#[test]
fn record_and_read_last_test() {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.last_test(ChannelKind::DingTalk).unwrap(), None);
    let cfg = config(None, None);
    store.save_dingtalk(&cfg).unwrap();
    let fail = TestRecord {
        at: 1_700_000_000,
        ok: false,
        summary: "errcode 40078: user not found; check the phone".into(),
    };
    assert!(store.record_test(&cfg, &fail).unwrap());
    assert_eq!(
        store.last_test(ChannelKind::DingTalk).unwrap(),
        Some(fail.clone())
    );
    let ok = TestRecord {
        at: 1_700_000_100,
        ok: true,
        summary: "Successful".into(),
    };
    assert!(store.record_test(&cfg, &ok).unwrap());
    assert_eq!(
        store.last_test(ChannelKind::DingTalk).unwrap(),
        Some(ok.clone())
    );
    assert_eq!(store.last_test(ChannelKind::WeCom).unwrap(), None);
    let summaries = store.channel_summaries().unwrap();
    assert_eq!(summaries[0].last_test, Some(ok));
    assert_eq!(summaries[1].last_test, None);
}

#[test]
fn delete_channel_removes_config_and_test() {
    let mut store = Store::open_in_memory().unwrap();
    assert!(!store.delete_channel(ChannelKind::DingTalk).unwrap());
    store.save_dingtalk(&config(None, None)).unwrap();
    let rec = TestRecord {
        at: 1,
        ok: true,
        summary: "Successful".into(),
    };
    assert!(store.record_test(&config(None, None), &rec).unwrap());
    assert!(store.delete_channel(ChannelKind::DingTalk).unwrap());
    assert!(store.load_dingtalk().unwrap().is_none());
    assert!(store.last_test(ChannelKind::DingTalk).unwrap().is_none());
    assert!(!store.channel_summaries().unwrap()[0].configured);
}

#[test]
fn settings_round_trip() {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.setting("theme").unwrap(), None);
    store.set_setting("theme", "dark").unwrap();
    store.set_setting("theme", "light").unwrap();
    assert_eq!(store.setting("theme").unwrap().as_deref(), Some("light"));
}

#[test]
fn reopen_persists() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let cfg = config(Some("tpl"), Some("13900139000"));
    let rec = TestRecord {
        at: 42,
        ok: true,
        summary: "Successful".into(),
    };
    {
        let mut store = Store::open(&db).unwrap();
        store.save_dingtalk(&cfg).unwrap();
        assert!(store.record_test(&cfg, &rec).unwrap());
    }
    let store = Store::open(&db).unwrap();
    assert!(store.load_dingtalk().unwrap().unwrap().same_as(&cfg));
    assert_eq!(store.last_test(ChannelKind::DingTalk).unwrap(), Some(rec));
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
}

#[test]
fn garbage_file_is_refused_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let bytes = b"this is my shopping list, not a database\n".repeat(50);
    fs::write(&db, &bytes).unwrap();
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
    let err = Store::open(&db).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&db.display().to_string()), "{msg}");
    assert!(msg.contains("not a SQLite database"), "{msg}");
    assert_eq!(fs::read(&db).unwrap(), bytes);
    assert_eq!(mode(&db), 0o644, "a refused file is not even chmodded");
    assert!(!sidecar(&db, "-wal").exists());
    assert!(!sidecar(&db, "-shm").exists());
}

#[test]
fn sqlite_header_with_garbage_is_refused_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 8192));
    fs::write(&db, &bytes).unwrap();
    let err = Store::open(&db).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotADatabase { .. } | StoreError::Corrupt { .. }
        ),
        "{err:?}"
    );
    assert_eq!(fs::read(&db).unwrap(), bytes);
}

#[test]
fn directory_at_db_path_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Store::open(tmp.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn newer_schema_is_refused_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = fs::read(&db).unwrap();
    let err = Store::open(&db).unwrap_err();
    match &err {
        StoreError::TooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, 99);
            assert_eq!(*supported, LATEST_VERSION);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("newer notifydesk") && msg.contains("upgrade"),
        "{msg}"
    );
    assert!(msg.contains(&db.display().to_string()), "{msg}");
    assert_eq!(fs::read(&db).unwrap(), before);
}

#[test]
fn write_lock_held_elsewhere_gives_locked_on_save() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let mut store = Store::open_with(&db, short()).unwrap();

    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO settings (key, value) VALUES ('held', 'yes');")
        .unwrap();

    let started = Instant::now();
    let err = store.save_dingtalk(&config(None, None)).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        waited >= Duration::from_millis(150),
        "gave up too early: {waited:?}"
    );
    assert!(waited < GAVE_UP_BY, "waited too long: {waited:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("locked by another process (waited 200 ms)"),
        "{msg}"
    );
    assert!(msg.contains("close the other notifydesk or retry"), "{msg}");
    assert!(!msg.contains(SECRET));

    // Reads still work beside the writer (WAL), and the lock going away clears the error.
    assert!(store.load_dingtalk().unwrap().is_none());
    other.execute_batch("COMMIT;").unwrap();
    store.save_dingtalk(&config(None, None)).unwrap();
}

#[test]
fn write_lock_held_elsewhere_gives_locked_on_open() {
    // A database in rollback-journal mode whose writer holds the lock: switching to WAL and
    // migrating both need the lock, so the open itself reports Locked.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
        .unwrap();
    let started = Instant::now();
    let err = Store::open_with(&db, short()).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        waited >= Duration::from_millis(150),
        "gave up too early: {waited:?}"
    );
    assert!(waited < GAVE_UP_BY, "waited too long: {waited:?}");
    assert!(err.to_string().contains(&db.display().to_string()));
    other.execute_batch("COMMIT;").unwrap();
    drop(other);
    assert_eq!(
        Store::open_with(&db, short())
            .unwrap()
            .schema_version()
            .unwrap(),
        LATEST_VERSION
    );
}

#[test]
fn write_lock_held_during_migration_gives_locked() {
    // Already WAL but not yet migrated: only the migration needs the lock.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);",
        )
        .unwrap();
    let started = Instant::now();
    let err = Store::open_with(&db, short()).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        waited >= Duration::from_millis(150),
        "gave up too early: {waited:?}"
    );
    assert!(waited < GAVE_UP_BY, "waited too long: {waited:?}");
    other.execute_batch("COMMIT;").unwrap();
    let store = Store::open_with(&db, short()).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
}

#[test]
fn lock_released_while_waiting_lets_open_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
        .unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        other.execute_batch("COMMIT;").unwrap();
    });
    let store = Store::open_with(
        &db,
        OpenOptions {
            busy_timeout: Duration::from_secs(5),
        },
    )
    .unwrap();
    releaser.join().unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
}

#[test]
fn unwritable_location_gives_clear_error() {
    // A path "under" a regular file can never be created, even by root.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plainfile");
    fs::write(&file, b"x").unwrap();
    let db = file.join("sub").join("notifydesk.db");
    let err = Store::open(&db).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    assert!(msg.contains(&file.display().to_string()), "{msg}");
    assert!(msg.contains("could not create the directory"), "{msg}");
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn read_only_directory_gives_permission_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ro");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).unwrap();
    let db = dir.join("notifydesk.db");
    let (probe, err) = without_permission_override(|| {
        (
            fs::write(dir.join("probe"), b""),
            Store::open(&db).map(drop),
        )
    });
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(probe.is_err(), "the directory was writable: nothing tested");
    let err = err.unwrap_err();
    assert!(matches!(err, StoreError::Permission { .. }), "{err:?}");
    assert!(err.to_string().contains(&db.display().to_string()));
}

#[test]
fn read_only_file_gives_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    drop(Store::open(&db).unwrap());
    fs::set_permissions(&db, fs::Permissions::from_mode(0o400)).unwrap();
    let (probe, err) = without_permission_override(|| {
        (
            fs::OpenOptions::new().write(true).open(&db).map(drop),
            Store::open(&db).map(drop),
        )
    });
    assert!(probe.is_err(), "the file was writable: nothing tested");
    let err = err.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Permission { .. } | StoreError::ReadOnly { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&db.display().to_string()));
}

#[test]
fn loose_permissions_are_tightened_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    drop(Store::open(&db).unwrap());
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
    let (store, logs) = capture(|| Store::open(&db));
    store.unwrap();
    assert_eq!(mode(&db), 0o600);
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("permissions tightened to 600"), "{logs}");
    assert!(logs.contains("644"), "{logs}");
}

#[test]
fn secret_never_reaches_logs_or_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let (errors, logs) = capture(|| {
        let mut store = Store::open_with(&db, short()).unwrap();
        store
            .save_dingtalk(&config(Some("t"), Some("13800138000")))
            .unwrap();
        let loaded = store.load_dingtalk().unwrap().unwrap();
        tracing::info!(?loaded, "debug of a loaded config");
        let summaries = store.channel_summaries().unwrap();
        tracing::info!(?summaries, "summaries");
        let other = rusqlite::Connection::open(&db).unwrap();
        other
            .execute_batch("BEGIN IMMEDIATE; DELETE FROM settings;")
            .unwrap();
        let locked = store.save_dingtalk(&config(None, None)).unwrap_err();
        other.execute_batch("ROLLBACK;").unwrap();
        store.delete_channel(ChannelKind::DingTalk).unwrap();
        vec![
            format!("{locked}"),
            format!("{locked:?}"),
            format!("{store:?}"),
        ]
    });
    assert!(logs.contains("channel configuration saved"), "{logs}");
    assert!(!logs.contains(SECRET), "{logs}");
    for e in errors {
        assert!(!e.contains(SECRET), "{e}");
    }
}

#[test]
fn bad_stored_rows_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notifydesk.db");
    let mut store = Store::open(&db).unwrap();
    store
        .save_dingtalk(&config(None, Some("13800138000")))
        .unwrap();
    let other = rusqlite::Connection::open(&db).unwrap();

    other
        .execute("UPDATE channel SET receiver = '12345'", [])
        .unwrap();
    let err = store.load_dingtalk().unwrap_err();
    assert!(matches!(err, StoreError::InvalidData { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("receiver"), "{msg}");
    assert!(!msg.contains(SECRET), "{msg}");
    assert!(matches!(
        store.channel_summaries().unwrap_err(),
        StoreError::InvalidData { .. }
    ));

    other
        .execute(
            "UPDATE channel SET receiver = NULL, source_column = 'email'",
            [],
        )
        .unwrap();
    let err = store.load_dingtalk().unwrap_err();
    assert!(err.to_string().contains("source column"), "{err}");

    // Saving again repairs it, as the message says.
    store.save_dingtalk(&config(None, None)).unwrap();
    assert!(store.load_dingtalk().unwrap().is_some());
}
