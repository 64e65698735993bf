//! Start-up benchmark (a harness, not a test): time from spawning the release binary in a
//! pseudo-terminal to its first complete frame, against a minimal ratatui program.
//!
//! Build first: `cargo build --release --bin notifydesk --example minimal_frame`
//! Run: `cargo run --release --example bench_startup [RUNS]`
//! Each run of the app is followed by one of the minimal program, with a pause after each
//! (`NOTIFYDESK_BENCH_SETTLE_MS`, default 100 ms; 0 runs them back to back).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn time_to_text(program: &Path, args: &[&str], home: &Path, needle: &str) -> Duration {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(program);
    cmd.args(args);
    cmd.env_clear();
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let (tx, rx) = mpsc::channel();
    let needle_owned = needle.to_string();
    std::thread::spawn(move || {
        let mut parser = vt100::Parser::new(24, 80, 0);
        let mut buf = [0u8; 8192];
        let mut sent = false;
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            parser.process(&buf[..n]);
            if !sent && parser.screen().contents().contains(&needle_owned) {
                let _ = tx.send(Instant::now());
                sent = true;
            }
        }
    });
    let seen = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("first frame");
    let elapsed = seen - start;
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let _ = child.wait();
    elapsed
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[(v.len() * 9) / 10]))
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("release");
    // NOTIFYDESK_BENCH_BIN: another build of the binary (another profile, or before a change).
    let app = std::env::var_os("NOTIFYDESK_BENCH_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| target.join("notifydesk"));
    let minimal = target.join("examples/minimal_frame");
    for p in [&app, &minimal] {
        assert!(
            p.exists(),
            "build first: cargo build --release --bin notifydesk --example minimal_frame ({} missing)",
            p.display()
        );
    }
    let dir = std::env::temp_dir().join(format!("nd-bench-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // NOTIFYDESK_BENCH_DB: start on a prepared database (e.g. the one bench_store builds).
    let db = std::env::var_os("NOTIFYDESK_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join("bench.db"));
    let db_arg = db.to_str().unwrap().to_string();
    // The TUI starts delivering pending messages: keep any such call on a closed local port.
    let args = [
        "--db",
        db_arg.as_str(),
        "--dingtalk-api",
        "http://127.0.0.1:9",
        "--dingtalk-oapi",
        "http://127.0.0.1:9",
    ];
    // First run creates the database; it is not counted.
    time_to_text(&app, &args, &dir, "DingTalk personal channel");
    // Interleaved, with a pause after each run: the app's exit leaves work to the kernel
    // (the database's WAL and fsyncs, freeing its memory) that would otherwise land on the
    // next app run only.
    // NOTIFYDESK_BENCH_SETTLE_MS: the pause (default 100; 0 = back to back).
    let pause: u64 = std::env::var("NOTIFYDESK_BENCH_SETTLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let settle = || std::thread::sleep(Duration::from_millis(pause));
    let (mut app_times, mut min_times) = (vec![], vec![]);
    for _ in 0..runs {
        app_times.push(time_to_text(&app, &args, &dir, "DingTalk personal channel"));
        settle();
        min_times.push(time_to_text(&minimal, &[], &dir, "minimal frame ready"));
        settle();
    }
    let (a50, a90) = stats(app_times);
    let (m50, m90) = stats(min_times);
    println!("start to first frame, {runs} runs each (80x24 pty, existing database):");
    println!("  notifydesk      p50 {a50:7.2} ms   p90 {a90:7.2} ms");
    println!("  minimal ratatui p50 {m50:7.2} ms   p90 {m90:7.2} ms");
    println!("  ratio (p50)     {:.2}x", a50 / m50);
    let _ = std::fs::remove_dir_all(&dir);
}
