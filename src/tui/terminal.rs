//! Entering and leaving the terminal. Restoring is idempotent and runs on drop, on panic
//! (hook installed before raw mode) and on signals, so the shell is never left in raw mode.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::Once;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Frames are written whole: stdout's own buffer flushes every 1 KiB, so a full 80×24 frame
/// was three writes (and three packets over SSH) plus one per synchronized-update marker.
pub type Backend = CrosstermBackend<FrameWriter>;

/// Stdout behind a frame-sized buffer. What is still buffered when a panic unwinds is dropped,
/// not written: the panic hook has restored the screen by then.
pub struct FrameWriter(Option<BufWriter<Stdout>>);

impl Write for FrameWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Some(w) => w.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for FrameWriter {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(w) = self.0.take()
        {
            let _ = w.into_parts();
        }
    }
}

/// Larger than any frame's escape codes at common sizes (a 200×60 frame is ≈ 30 KB at worst).
const FRAME_BUFFER: usize = 64 * 1024;

pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

static PANIC_HOOK: Once = Once::new();

fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!("panic: {info}");
            previous(info);
        }));
    });
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(
            stdout,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        ) {
            restore();
            return Err(e);
        }
        let out = FrameWriter(Some(BufWriter::with_capacity(FRAME_BUFFER, io::stdout())));
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Draw one frame inside a synchronized update, so slow links never show half a frame.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        // The start marker goes out with the frame (ratatui flushes at the end of a draw).
        let _ = queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate);
        let result = self.terminal.draw(render).map(|_| ());
        let _ = execute!(self.terminal.backend_mut(), EndSynchronizedUpdate);
        result
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Leaving normally: a synchronized update still open (an error inside a draw) is
        // closed while the alternate screen is up. After a panic the hook has restored the
        // screen already, and the frame buffer is dropped unwritten (`FrameWriter`).
        if !std::thread::panicking() {
            let _ = execute!(self.terminal.backend_mut(), EndSynchronizedUpdate);
        }
        restore();
    }
}

/// Leave raw mode and the alternate screen. Errors are ignored: the terminal may be gone
/// (SSH hangup), and printing about it would only fail again.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = stdout.flush();
}
