//! Logging writes to a private file. One test only: the global subscriber is per process.

use std::fs;
use std::os::unix::fs::PermissionsExt;

#[test]
fn init_writes_private_file_and_tolerates_second_call() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("logs").join("notifydesk.log");
    // Make the filter independent of the caller's environment (RUST_LOG=warn would hide the
    // line below). SAFETY: this binary has one test and no other thread reads the environment.
    unsafe { std::env::set_var(notifydesk::logging::LOG_ENV, "info") };
    let guard = notifydesk::logging::init(&log).unwrap();
    tracing::info!("hello from the logging test");
    tracing::debug!("debug is filtered out at the default level");
    drop(guard); // flushes

    let text = fs::read_to_string(&log).unwrap();
    assert!(text.contains("hello from the logging test"), "{text}");
    assert!(!text.contains("debug is filtered out"), "{text}");
    // The directory it had to create is reported (the log starts before the store opens).
    assert!(text.contains("created data directory"), "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI escapes: {text:?}");
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);

    // A looser pre-existing file is tightened; calling init again does not panic.
    let other = tmp.path().join("other.log");
    fs::write(&other, b"old line\n").unwrap();
    fs::set_permissions(&other, fs::Permissions::from_mode(0o644)).unwrap();
    let guard = notifydesk::logging::init(&other).unwrap();
    drop(guard);
    assert_eq!(mode(&other), 0o600);
    assert!(
        fs::read_to_string(&other)
            .unwrap()
            .starts_with("old line\n")
    );
}
