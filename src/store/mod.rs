//! SQLite storage: opening the database safely, pragmas, schema migrations, and the typed
//! errors every caller sees. Repository methods live in the submodules.
//!
//! Security model (the `~/.pgpass` one): the AppSecret is stored in the database, which is only
//! readable by its owner (file 0600, directory 0700). Root and same-uid processes can read it.
//! The secret never appears in an error or a log line.

mod channels;
pub mod handle;
mod members;
pub mod migrations;
mod outbox;
pub mod owner;
mod personal;
mod search;
mod settings;
mod subscriptions;

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior, ffi::ErrorCode};

pub use migrations::LATEST_VERSION;
pub use outbox::{
    ClaimedBatch, DeliveryCounts, DeliveryFilter, DeliveryRow, DeliveryStatus, EnqueueOutcome,
    MAX_EVENT_ID_BYTES, MAX_EVENT_MEMBERS, MAX_LINK_BYTES, MAX_LOGIN_BYTES, MAX_TEXT_BYTES,
    MAX_TITLE_BYTES, NewEvent, Problem, Recipient, RequestOutcome, RetryMark, is_unsafe_char,
};
pub use personal::ChannelId;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How the database is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// How long to wait for another process (the TUI, the CLI, the worker) to release a lock
    /// before giving up with [`StoreError::Locked`].
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Everything that can go wrong in the store. Each message is one sentence naming the file and
/// what to do; none ever contains the AppSecret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "permission denied on {}; make it readable and writable by your user (directory 700, file 600) or choose another path with --db",
        .path.display()
    )]
    Permission { path: PathBuf },
    #[error(
        "{} is read-only (write-protected file or read-only file system); make it writable or choose another path with --db",
        .path.display()
    )]
    ReadOnly { path: PathBuf },
    #[error(
        "{} is not a SQLite database (it was left unchanged); move it away or choose another path with --db",
        .path.display()
    )]
    NotADatabase { path: PathBuf },
    #[error(
        "the database {} is corrupt (it was left unchanged); restore it from a backup or move it away to start afresh",
        .path.display()
    )]
    Corrupt { path: PathBuf },
    #[error(
        "the database {} is locked by another process (waited {}); close the other notifydesk or retry",
        .path.display(), HumanDuration(*.waited)
    )]
    Locked { path: PathBuf, waited: Duration },
    /// SQLite keeps its WAL and journal beside the name a database is opened by, so two
    /// names of one file (hard links) would each get their own and corrupt it.
    #[error(
        "the database {} has {links} hard links (other names for the same file); SQLite would keep a separate journal per name and corrupt it, so it was left unchanged. Open it by one name only: remove the other links, or copy the file (cp, not cp -l or ln)",
        .path.display()
    )]
    HardLinked { path: PathBuf, links: u64 },
    #[error(
        "the database {} was created by a newer notifydesk (schema version {found}, this build supports up to {supported}); upgrade notifydesk",
        .path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "could not open the database {}; check that its directory exists and is writable",
        .path.display()
    )]
    CannotOpen { path: PathBuf },
    #[error("the disk holding {} is full; free some space and retry", .path.display())]
    DiskFull { path: PathBuf },
    #[error(
        "the database {} holds an invalid value ({what}); save the channel configuration again to repair it",
        .path.display()
    )]
    InvalidData { path: PathBuf, what: String },
    #[error(
        "could not {action} {}: {source}; check the path or choose another one with --db",
        .path.display()
    )]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(
        "could not migrate the database {} to schema version {supported}: {detail}; restore a backup or report this bug",
        .path.display()
    )]
    Migration {
        path: PathBuf,
        supported: u32,
        detail: String,
    },
    /// A member, a subscription type or node, etc. does not exist (or is retired).
    #[error("{what} was not found")]
    NotFound { what: String },
    /// Input the store refuses (validation failure, Inbox change); `what` is a whole sentence.
    #[error("{what}")]
    Invalid { what: String },
    /// A unique value is already taken (e.g. a member login, compared case-insensitively).
    #[error("{what} already exists")]
    Duplicate { what: String },
    #[error(
        "database error on {}: {source}; retry, and if it persists check the file and the log",
        .path.display()
    )]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Another connection holds the lock: transient, worth waiting for.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Locked { .. })
    }
}

/// "5 s", "200 ms".
struct HumanDuration(Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_millis() == 0 && d.as_secs() > 0 {
            write!(f, "{} s", d.as_secs())
        } else {
            write!(f, "{} ms", d.as_millis())
        }
    }
}

/// Map an OS error on `path` to the matching typed error.
fn io_error(path: &Path, action: &'static str, e: io::Error) -> StoreError {
    let path = path.to_path_buf();
    match e.kind() {
        io::ErrorKind::PermissionDenied => StoreError::Permission { path },
        io::ErrorKind::ReadOnlyFilesystem => StoreError::ReadOnly { path },
        io::ErrorKind::StorageFull => StoreError::DiskFull { path },
        _ => StoreError::Io {
            path,
            action,
            source: e,
        },
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Map a SQLite error to the matching typed error.
fn sqlite_error(path: &Path, waited: Duration, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Locked { path, waited }
        }
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path },
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
        Some(ErrorCode::PermissionDenied) => StoreError::Permission { path },
        Some(ErrorCode::CannotOpen) => StoreError::CannotOpen { path },
        Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
        _ => StoreError::Sqlite { path, source: e },
    }
}

/// The notifydesk database: one SQLite connection plus the path it came from.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("busy_timeout", &self.busy_timeout)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open (creating if needed) the database at `path` with the default options.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, OpenOptions::default())
    }

    /// Open (creating if needed) the database at `path`.
    ///
    /// Missing parent directories are created 0700 and a missing file 0600, before SQLite sees
    /// the path, so the `-wal` and `-shm` files inherit 0600. An existing file must look like
    /// SQLite (or be empty); anything else is refused without being written to. Loose
    /// permissions on an existing database are tightened to 0600 with a warning in the log.
    /// A database from a newer notifydesk is refused before anything is written.
    pub fn open_with(path: &Path, options: OpenOptions) -> Result<Store, StoreError> {
        prepare_file(path)?;
        // No SQLITE_OPEN_CREATE: the file exists now, and SQLite must never create it.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| sqlite_error(path, options.busy_timeout, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            busy_timeout: options.busy_timeout,
        };
        store.init(true)?;
        Ok(store)
    }

    /// A private in-memory database with the current schema, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let busy_timeout = OpenOptions::default().busy_timeout;
        let conn =
            Connection::open_in_memory().map_err(|e| sqlite_error(&path, busy_timeout, e))?;
        let mut store = Store {
            conn,
            path,
            busy_timeout,
        };
        store.init(false)?;
        Ok(store)
    }

    /// The database file (`:memory:` for [`Store::open_in_memory`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        u32::try_from(v).map_err(|_| StoreError::NotADatabase {
            path: self.path.clone(),
        })
    }

    /// An error mapper that does not borrow the store (for use inside transactions).
    pub(crate) fn err_fn(&self) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
        let path = self.path.clone();
        let waited = self.busy_timeout;
        move |e| sqlite_error(&path, waited, e)
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite_error(&self.path, self.busy_timeout, e)
    }

    pub(crate) fn invalid(&self, what: String) -> StoreError {
        StoreError::InvalidData {
            path: self.path.clone(),
            what,
        }
    }

    /// Switch to WAL, retrying while another connection holds a lock. SQLite does not call the
    /// busy handler here (the pragma already holds a read lock), so wait for it ourselves.
    fn switch_to_wal(&self) -> Result<String, StoreError> {
        let deadline = Instant::now() + self.busy_timeout;
        loop {
            match self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            {
                Ok(mode) => return Ok(mode),
                Err(e) if is_busy(&e) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(self.err(e));
                    }
                    std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
                }
                Err(e) => return Err(self.err(e)),
            }
        }
    }

    /// Pragmas, version check, migrations. Nothing is written before the version check.
    fn init(&mut self, on_disk: bool) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(self.busy_timeout)
            .map_err(|e| self.err(e))?;
        // SQLite's own handler sleeps up to 100 ms between tries, so a writer that queues
        // behind another (the worker and the ingest) can wait far longer than the lock was
        // held. With the default timeout, retry every 2 ms instead, for the same 5 s in all.
        if self.busy_timeout == OpenOptions::default().busy_timeout {
            self.conn
                .busy_handler(Some(retry_every_2ms_for_5s))
                .map_err(|e| self.err(e))?;
        }
        // Reading the header also detects files SQLite cannot make sense of.
        let found = self.schema_version()?;
        if found > LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
                supported: LATEST_VERSION,
            });
        }
        if self.conn.is_readonly("main").map_err(|e| self.err(e))? {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        if on_disk {
            let mode = self.switch_to_wal()?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(path = %self.path.display(), %mode, "could not switch the database to WAL mode");
            }
        }
        self.conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.err(e))?;
        // Take the write lock when a transaction starts (so the busy timeout applies) instead
        // of upgrading a read lock later, which SQLite refuses at once to avoid deadlocks.
        self.conn
            .set_transaction_behavior(TransactionBehavior::Immediate);
        let path = self.path.clone();
        let waited = self.busy_timeout;
        if let Err(e) = migrations::migrations().to_latest(&mut self.conn) {
            // Another notifydesk may have migrated between our version check and our lock.
            if found < LATEST_VERSION && self.schema_version().ok() == Some(LATEST_VERSION) {
                tracing::debug!("database was migrated concurrently by another process");
            } else {
                return Err(migration_error(&path, waited, e));
            }
        }
        if found < LATEST_VERSION {
            tracing::info!(path = %path.display(), from = found, to = LATEST_VERSION, "database schema migrated");
        }
        // A newer binary brings a newer catalogue: upgrade it, keeping the user's choices.
        self.sync_catalogue(crate::domain::catalogue::Catalogue::embedded())?;
        Ok(())
    }
}

/// The busy handler for the default 5 s timeout: `true` = try again.
fn retry_every_2ms_for_5s(tries: i32) -> bool {
    const STEP: Duration = Duration::from_millis(2);
    if tries as u128 * STEP.as_millis() >= 5_000 {
        return false;
    }
    std::thread::sleep(STEP);
    true
}

fn migration_error(path: &Path, waited: Duration, e: rusqlite_migration::Error) -> StoreError {
    use rusqlite_migration::{Error, MigrationDefinitionError};
    match e {
        Error::RusqliteError { err, .. } => sqlite_error(path, waited, err),
        Error::MigrationDefinition(MigrationDefinitionError::DatabaseTooFarAhead) => {
            StoreError::TooNew {
                path: path.to_path_buf(),
                // The exact version was checked before; this is a race with a newer writer.
                found: LATEST_VERSION + 1,
                supported: LATEST_VERSION,
            }
        }
        other => StoreError::Migration {
            path: path.to_path_buf(),
            supported: LATEST_VERSION,
            detail: other.to_string(),
        },
    }
}

/// Make sure `path` is a private file that is empty or SQLite, creating it (and its
/// directories) if missing. Never writes to an existing file.
fn prepare_file(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let created = crate::paths::create_private_dir_all(dir)
            .map_err(|e| io_error(dir, "create the directory", e))?;
        for d in created {
            tracing::info!(dir = %d.display(), "created data directory (mode 700)");
        }
    }
    match fs::metadata(path) {
        Ok(meta) => check_existing(path, &meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let created = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path);
            match created {
                Ok(_) => {
                    // The umask can only remove bits; make the mode exact.
                    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
                        .map_err(|e| io_error(path, "set permissions on", e))?;
                    tracing::info!(path = %path.display(), "created database file (mode 600)");
                    Ok(())
                }
                // Another process created it between our two calls: treat it as existing.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let meta = fs::metadata(path).map_err(|e| io_error(path, "inspect", e))?;
                    check_existing(path, &meta)
                }
                Err(e) => Err(io_error(path, "create the database file", e)),
            }
        }
        Err(e) => Err(io_error(path, "inspect", e)),
    }
}

fn check_existing(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    if !meta.is_file() {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    if meta.nlink() > 1 {
        return Err(StoreError::HardLinked {
            path: path.to_path_buf(),
            links: meta.nlink(),
        });
    }
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    fs::File::open(path)
        .and_then(|f| f.take(SQLITE_HEADER.len() as u64).read_to_end(&mut header))
        .map_err(|e| io_error(path, "read", e))?;
    if !header.is_empty() && header.as_slice() != SQLITE_HEADER {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    // Opening for writing (no create, no truncate) tells a write-protected file apart before
    // SQLite silently falls back to read-only.
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, "open for writing", e))?;
    tighten(path, meta)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = PathBuf::from(side);
        if let Ok(m) = fs::metadata(&side) {
            tighten(&side, &m)?;
        }
    }
    Ok(())
}

/// Remove group/other permission bits, as ssh insists for keys; warn when it had to.
fn tighten(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error(path, "set permissions on", e))?;
        tracing::warn!(
            path = %path.display(),
            old_mode = %format!("{mode:o}"),
            "database file was accessible by other users; permissions tightened to 600"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_is_at_latest_version() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
        assert_eq!(store.path(), Path::new(":memory:"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(HumanDuration(Duration::from_secs(5)).to_string(), "5 s");
        assert_eq!(
            HumanDuration(Duration::from_millis(200)).to_string(),
            "200 ms"
        );
    }

    #[test]
    fn locked_message() {
        let e = StoreError::Locked {
            path: PathBuf::from("/x/notifydesk.db"),
            waited: Duration::from_secs(5),
        };
        assert_eq!(
            e.to_string(),
            "the database /x/notifydesk.db is locked by another process (waited 5 s); close the other notifydesk or retry"
        );
    }

    #[test]
    fn sqlite_codes_map_to_typed_errors() {
        let p = Path::new("/x.db");
        let w = Duration::from_secs(1);
        let mk = |code: i32| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_BUSY)),
            StoreError::Locked { .. }
        ));
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_LOCKED)),
            StoreError::Locked { .. }
        ));
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_CORRUPT)),
            StoreError::Corrupt { .. }
        ));
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_NOTADB)),
            StoreError::NotADatabase { .. }
        ));
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_READONLY)),
            StoreError::ReadOnly { .. }
        ));
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_PERM)),
            StoreError::Permission { .. }
        ));
        assert!(matches!(
            sqlite_error(p, w, mk(rusqlite::ffi::SQLITE_CANTOPEN)),
            StoreError::CannotOpen { .. }
        ));
    }
}
