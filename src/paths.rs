//! Where notifydesk keeps its files, and creation of private (0700) directories.

use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "notifydesk.db";
/// File name of the log, kept beside the database.
pub const LOG_FILE_NAME: &str = "notifydesk.log";

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "cannot find a home directory for the default data location (is $HOME set?); pass --db <path> or --data-dir <dir> instead"
    )]
    NoHomeDir,
}

/// `<data dir>/notifydesk.db`, e.g. `~/.local/share/notifydesk/notifydesk.db` on Linux.
pub fn default_db_path() -> Result<PathBuf, PathsError> {
    let dirs = directories::ProjectDirs::from("", "", "notifydesk").ok_or(PathsError::NoHomeDir)?;
    Ok(dirs.data_dir().join(DB_FILE_NAME))
}

/// `notifydesk.log` in the same directory as the database file.
pub fn log_path_for(db: &Path) -> PathBuf {
    match db.parent() {
        Some(dir) => dir.join(LOG_FILE_NAME),
        None => PathBuf::from(LOG_FILE_NAME),
    }
}

/// Create `dir` and any missing ancestors with mode 0700. Directories that already exist are
/// left exactly as they are. Returns the directories that were created, outermost first.
pub fn create_private_dir_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    if dir.as_os_str().is_empty() {
        return Ok(Vec::new());
    }
    let mut missing = Vec::new();
    for ancestor in dir.ancestors() {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        match std::fs::metadata(ancestor) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} exists and is not a directory", ancestor.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(ancestor.to_path_buf()),
            Err(e) => return Err(e),
        }
    }
    missing.reverse();
    let mut created = Vec::new();
    for d in missing {
        match std::fs::DirBuilder::new().mode(0o700).create(&d) {
            Ok(()) => {
                // The umask can only remove bits; make the mode exact.
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
                created.push(d);
            }
            // Someone else created it in the meantime: not ours, leave it alone.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_is_beside_db() {
        assert_eq!(
            log_path_for(Path::new("/a/b/notifydesk.db")),
            PathBuf::from("/a/b/notifydesk.log")
        );
        assert_eq!(
            log_path_for(Path::new("x.db")),
            PathBuf::from("notifydesk.log")
        );
    }

    #[test]
    fn default_db_path_ends_with_file_name() {
        // HOME is set in any normal test environment.
        let p = default_db_path().unwrap();
        assert!(p.ends_with("notifydesk/notifydesk.db"), "{}", p.display());
    }

    #[test]
    fn private_dirs_created_0700_existing_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let target = tmp.path().join("a/b");
        let created = create_private_dir_all(&target).unwrap();
        assert_eq!(created, vec![tmp.path().join("a"), target.clone()]);
        for d in &created {
            let mode = std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        let mode = std::fs::metadata(tmp.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755);
        assert!(create_private_dir_all(&target).unwrap().is_empty());
    }

    #[test]
    fn file_in_the_way_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        let err = create_private_dir_all(&f.join("sub")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotADirectory);
    }
}
