//! File logging. Never to stdout/stderr: the TUI owns the terminal.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Environment variable with the log filter (`RUST_LOG` syntax); `RUST_LOG` is the fallback.
pub const LOG_ENV: &str = "NOTIFYDESK_LOG";

const DEFAULT_FILTER: &str = "info";

/// Log lines queued for the writer thread before new ones are dropped (never blocks the UI).
const LOG_QUEUE_LINES: usize = 4096;

/// Send `tracing` events to `log_file` (appended, mode 0600, no ANSI colours).
///
/// Call it before opening the database, so the store's warnings (file created, permissions
/// tightened) are not lost. Keep the returned guard alive until the process ends; dropping it
/// flushes the log. If a global subscriber is already installed, the existing one stays and
/// this is a no-op apart from creating the file.
pub fn init(log_file: &Path) -> Result<WorkerGuard, io::Error> {
    let (file, opened) = open_log(log_file)?;
    // The default queue holds 128,000 lines and is allocated and initialised up front (~1.4 ms,
    // a third of the TUI's start-up); a few thousand lines are plenty for this tool's log rate.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(file);
    let (filter, bad_filter) = filter_from_env();
    let installed = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    if installed {
        if let Some((var, value)) = bad_filter {
            tracing::warn!(%var, %value, "invalid log filter, using \"{DEFAULT_FILTER}\"");
        }
        // The log usually lives in the data directory: report what opening it changed, as
        // the store does for the database it opens next.
        for dir in &opened.created_dirs {
            tracing::info!(dir = %dir.display(), "created data directory (mode 700)");
        }
        if opened.tightened {
            tracing::warn!(
                path = %log_file.display(),
                "log file was accessible by other users; permissions tightened to 600"
            );
        }
    }
    Ok(guard)
}

/// What opening a private file changed on disk.
struct Opened {
    created_dirs: Vec<PathBuf>,
    tightened: bool,
}

/// Open `path` for appending, creating it (and missing directories, 0700) with mode 0600;
/// tighten an existing file that others can read.
pub fn open_private_append(path: &Path) -> io::Result<fs::File> {
    open_log(path).map(|(file, _)| file)
}

fn open_log(path: &Path) -> io::Result<(fs::File, Opened)> {
    let mut created_dirs = Vec::new();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        created_dirs = crate::paths::create_private_dir_all(dir)?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let tightened = file.metadata()?.mode() & 0o077 != 0;
    if tightened {
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok((
        file,
        Opened {
            created_dirs,
            tightened,
        },
    ))
}

/// `NOTIFYDESK_LOG`, else `RUST_LOG`, else `info`. An unparsable value falls back to `info`
/// and is returned so it can be reported once logging works.
fn filter_from_env() -> (EnvFilter, Option<(&'static str, String)>) {
    for var in [LOG_ENV, "RUST_LOG"] {
        if let Ok(value) = std::env::var(var)
            && !value.trim().is_empty()
        {
            return match EnvFilter::try_new(&value) {
                Ok(f) => (f, None),
                Err(_) => (EnvFilter::new(DEFAULT_FILTER), Some((var, value))),
            };
        }
    }
    (EnvFilter::new(DEFAULT_FILTER), None)
}
