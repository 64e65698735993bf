//! The terminal UI: one event loop over terminal input, background results, a spinner tick and
//! signals. `App::handle` turns each message into state changes and effects; the runner
//! performs effects off the UI task; a frame is drawn only when something changed.

pub mod app;
pub mod dialogs;
pub mod field;
pub mod filter;
pub mod focus;
pub mod keymap;
pub mod list;
pub mod msg;
pub mod runner;
#[cfg(test)]
mod structure_tests;
pub mod tabs;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod ui;
pub mod view;
pub mod widgets;

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::dingtalk::Client;
use crate::store::Store;
use crate::store::handle::StoreHandle;
use app::{App, AppOptions};
use msg::Msg;
use runner::Runner;
use terminal::TerminalGuard;
use theme::Theme;

/// The database the TUI works on: already open (the sandbox seeds it first), or a path to open
/// on the store thread after the first frame.
pub enum StoreSource {
    Open(Store),
    Path(std::path::PathBuf),
}

pub struct TuiConfig {
    pub store: StoreSource,
    pub client: Client,
    /// WeCom, Feishu and Lark clients.
    pub personal: crate::delivery::PersonalClients,
    pub db_label: String,
    pub force_mono: bool,
    /// A first status line shown on every tab (e.g. the sandbox's credentials), longest
    /// version first; the longest that fits is shown.
    pub banner: Vec<String>,
    /// The sandbox's temporary database: the Delivery Log's `s` sends sample events.
    pub sandbox: bool,
    /// The sandbox's values for each card's Configure dialog.
    pub sandbox_hints: Vec<(crate::domain::ChannelKind, String)>,
    /// The interface language and where the choice came from.
    pub lang: crate::i18n::LangChoice,
}

const TICK: Duration = Duration::from_millis(80);

/// The TUI with its first frame on the screen: what [`start`] built, for [`Started::run`].
pub struct Started {
    app: App,
    guard: TerminalGuard,
    /// Raised by a quit signal that came before the event loop's own handlers.
    early_quit: Arc<AtomicBool>,
    store: StoreSource,
    client: Client,
    personal: crate::delivery::PersonalClients,
}

/// Checks the terminal, enters it and draws the first frame ("loading…" where data will be),
/// before anything else: no runtime, no log, no database yet. They start in
/// [`Started::run`], so the first frame waits only for the binary to load.
pub fn start(cfg: TuiConfig) -> anyhow::Result<Started> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the interactive UI needs a terminal; for scripts use a subcommand (see `notifydesk --help`)"
        );
    }
    // The first frame shows no time: the local offset (read from the time zone file) is
    // looked up after it, in [`Started::run`].
    let mut app = App::new(AppOptions {
        db_label: cfg.db_label,
        theme: Theme::from_env(cfg.force_mono),
        utc_offset: chrono::FixedOffset::east_opt(0).expect("UTC"),
    });
    app.sandbox = cfg.sandbox;
    app.sandbox_hints = cfg.sandbox_hints.clone();
    app.set_lang(cfg.lang);
    app.set_banner(app::Level::Info, &cfg.banner);
    // Until the event loop's handlers exist (after the log, the runtime and the store start),
    // a quit signal only raises this flag: its default action would end the process with the
    // terminal still raw.
    let early_quit = Arc::new(AtomicBool::new(false));
    for sig in [SIGTERM, SIGHUP, SIGQUIT, SIGINT] {
        signal_hook::flag::register(sig, early_quit.clone())?;
    }
    let mut guard = TerminalGuard::enter()?;
    guard.draw(|f| view::render(&app, f))?;
    app.ui.dirty = false;
    Ok(Started {
        app,
        guard,
        early_quit,
        store: cfg.store,
        client: cfg.client,
        personal: cfg.personal,
    })
}

/// [`start`], then [`Started::run`].
pub async fn run(cfg: TuiConfig) -> anyhow::Result<()> {
    start(cfg)?.run().await
}

impl Started {
    /// Shows a problem met after the first frame (e.g. the log cannot be written).
    pub fn warn(&mut self, text: String) {
        self.app.ui.set_status(app::Level::Error, text);
    }

    /// The event loop, until the user quits.
    pub async fn run(self) -> anyhow::Result<()> {
        let Started {
            mut app,
            mut guard,
            early_quit,
            store,
            client,
            personal,
        } = self;
        app.ui.utc_offset = *chrono::Local::now().offset();
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        let store = match store {
            StoreSource::Open(store) => StoreHandle::spawn(store)?,
            StoreSource::Path(path) => {
                let tx = tx.clone();
                StoreHandle::open(path, move |e| {
                    let _ = tx.send(Msg::StoreUnavailable(e.to_string()));
                })?
            }
        };
        let db_path = store.path().to_path_buf();
        // The background worker starts right after the first frame: it opens its own connection,
        // which must not compete with drawing that frame. The wake-up is shared from the start.
        let wake = Arc::new(tokio::sync::Notify::new());
        let mut worker_pending = db_path.as_os_str() != ":memory:";
        let mut worker = None;
        let (worker_client, worker_tx) = (client.clone(), tx.clone());
        let worker_personal = personal.clone();
        let mut runner = Runner::new(store, client, personal, tx);
        runner.wake = wake.clone();
        runner.lang = app.ui.lang;
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigquit = signal(SignalKind::quit())?;
        // Raw mode turns ^C into a key, so a SIGINT can only come from outside (`kill -INT`):
        // without a handler it would end the process with the alternate screen still up.
        let mut sigint = signal(SignalKind::interrupt())?;
        // From here on the handlers above catch them; one that came before is acted on now.
        if early_quit.load(Ordering::SeqCst) {
            app.should_quit = true;
        }

        let mut events = EventStream::new();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        for fx in app.init() {
            runner.run(fx);
        }
        tracing::info!("tui started");
        loop {
            if app.ui.dirty {
                guard.draw(|f| view::render(&app, f))?;
                app.ui.dirty = false;
            }
            if std::mem::take(&mut worker_pending) {
                let (handle, stop) = runner::spawn_worker(
                    db_path.clone(),
                    worker_client.clone(),
                    worker_personal.clone(),
                    wake.clone(),
                    worker_tx.clone(),
                    app.ui.lang,
                );
                worker = Some((handle, stop, wake.clone()));
            }
            if app.should_quit {
                break;
            }
            let animating = app.animating();
            let msg = tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => to_msg(ev),
                    // The terminal went away (hangup) or input broke: leave cleanly.
                    Some(Err(e)) => { tracing::warn!("terminal input error: {e}"); Some(Msg::Quit) }
                    None => Some(Msg::Quit),
                },
                Some(m) = rx.recv() => Some(m),
                _ = tick.tick(), if animating => Some(Msg::Tick),
                _ = sigterm.recv() => Some(Msg::Quit),
                _ = sighup.recv() => Some(Msg::Quit),
                _ = sigquit.recv() => Some(Msg::Quit),
                _ = sigint.recv() => Some(Msg::Quit),
            };
            let mut pending: Vec<Msg> = msg.into_iter().collect();
            // Take everything already waiting before drawing, so a paste or a key burst over a
            // slow link costs one frame, not one per key.
            while pending.len() < 256 {
                if let Ok(m) = rx.try_recv() {
                    pending.push(m);
                    continue;
                }
                // Polled inside this task (not with `now_or_never`): crossterm keeps the waker of
                // the first pending poll, so it must be this task's waker or wake-ups are lost.
                let ready = tokio::select! {
                    biased;
                    ev = events.next() => Some(ev),
                    _ = std::future::ready(()) => None,
                };
                match ready {
                    Some(Some(Ok(ev))) => pending.extend(to_msg(ev)),
                    Some(_) => pending.push(Msg::Quit),
                    None => break,
                }
            }
            for m in pending {
                for fx in app.handle(m) {
                    runner.run(fx);
                }
            }
        }
        drop(guard);
        // Let the worker finish the batch in flight (never cut a DingTalk call short).
        if let Some((handle, stop, wake)) = worker {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            wake.notify_one();
            if tokio::time::timeout(Duration::from_secs(15), handle)
                .await
                .is_err()
            {
                tracing::warn!("delivery worker did not stop in time");
            }
        }
        tracing::info!("tui stopped");
        Ok(())
    }
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}
