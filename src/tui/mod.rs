//! The interactive explorer (ratatui + crossterm): the terminal shell over the core.
//!
//! Owns the terminal: raw mode and the alternate screen are entered here and
//! restored on every way out — normal exit, error, panic (a hook restores before
//! the message prints), SIGTERM/SIGHUP/SIGINT and a hung-up terminal ([`hangup`]: a
//! flag the loop checks, and a watchdog for when crossterm cannot return) and early
//! returns (a drop guard). The loop turns events into [`action::Msg`]s, calls
//! `App::update`, and draws with the pure render functions.

pub mod action;
pub mod app;
pub mod columns;
pub mod command;
pub mod config;
pub mod detail;
pub mod entities;
pub mod export;
pub mod features;
pub mod follow;
mod follow_feed;
mod follow_keep;
pub mod hangup;
pub mod input;
pub mod jobs;
pub mod keymap;
pub mod popup;
mod popup_keys;
pub mod prompt;
pub mod remote;
pub mod render;
pub mod supervised;
pub mod tabs;
pub mod theme;
pub mod threshold;
pub mod widgets;
pub mod worker;

use action::{Action, Msg};
use app::{App, Mode, Source};
use keymap::Keymap;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use std::path::Path;
use std::time::Duration;

/// Restores the terminal when dropped (covers early returns and errors).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Builds the app from the command line's files and the config.
pub fn build_app(
    files: &[String],
    config: Option<&Path>,
    opts: &crate::ingest::LoadOptions,
) -> (App, Vec<String>) {
    build_app_with(files, config, opts, None)
}

/// [`build_app`], following the first file as it grows when `follow` is set (keeping the rows
/// of its window).
pub fn build_app_with(
    files: &[String],
    config: Option<&Path>,
    opts: &crate::ingest::LoadOptions,
    follow: Option<crate::follow::score::Window>,
) -> (App, Vec<String>) {
    let cfg = config::load(config);
    let mut warnings = cfg.warnings.clone();
    let mut keymap = Keymap::default();
    warnings.extend(keymap.apply_overrides(&cfg.keys));
    let theme = theme::Theme::detect(cfg.theme.as_deref());
    let source = match (files.first(), follow) {
        (Some(f), Some(window)) => Source::Follow(f.clone(), window),
        (Some(f), None) => Source::PathWith(f.clone(), Box::new(opts.clone())),
        (None, _) => Source::Demo,
    };
    if files.len() > 1 {
        warnings.push(format!(
            "only the first file is opened ({}); open the others one at a time",
            crate::sanitize::inert(&files[0])
        ));
    }
    let mut app = App::new(source, keymap, theme, cfg.params.clone());
    app.config_path = config::config_path(config);
    if let Some(c) = cfg
        .contamination
        .as_deref()
        .and_then(|c| c.parse::<crate::detect::Contamination>().ok())
    {
        app.threshold = match c {
            crate::detect::Contamination::Auto => app::Threshold::Auto,
            crate::detect::Contamination::Fraction(f) => app::Threshold::Contamination(f),
        };
    }
    if !warnings.is_empty() {
        app.status = Some(warnings.join("; "));
    }
    (app, warnings)
}

/// Turns a terminal event into a message.
pub fn event_msg(app: &App, ev: Event) -> Option<Msg> {
    match ev {
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        ev => event_action(app, ev).map(Msg::Key),
    }
}

/// Turns a key or mouse event into an action.
fn event_action(app: &App, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            // Ctrl-C always quits, whatever the mode.
            if k.code == event::KeyCode::Char('c')
                && k.modifiers.contains(event::KeyModifiers::CONTROL)
            {
                return Some(Action::Quit);
            }
            match app.mode {
                Mode::Input(_) => keymap::input_edit(&k).map(Action::Input),
                // In a popup the quit key closes the popup, as Esc does.
                Mode::Normal => match app.keymap.action(&k, app.scope()) {
                    Some(Action::Quit) if app.popup.is_some() => Some(Action::Close),
                    a => a,
                },
            }
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::ScrollUp),
            MouseEventKind::ScrollDown => Some(Action::ScrollDown),
            MouseEventKind::Down(MouseButton::Left) if m.row == 1 => {
                render::tab_spans(app.size.0, app.tab)
                    .into_iter()
                    .find(|(_, _, a, b)| m.column >= *a && m.column < *b)
                    .map(|(t, _, _, _)| Action::ClickTab(t))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Runs the explorer until the user quits, a signal arrives or the terminal goes away.
pub fn run(
    files: &[String],
    config: Option<&Path>,
    opts: &crate::ingest::LoadOptions,
) -> std::io::Result<()> {
    run_with(files, config, opts, None)
}

/// [`run`], following the first file as it grows when `follow` is set (`--follow`, with the
/// rows of its `--window`).
pub fn run_with(
    files: &[String],
    config: Option<&Path>,
    opts: &crate::ingest::LoadOptions,
    follow: Option<crate::follow::score::Window>,
) -> std::io::Result<()> {
    let (mut app, _) = build_app_with(files, config, opts, follow);
    // Declared first so it drops last: the watchdog stands down only once the terminal is back.
    let (hangup, _finished) = hangup::Hangup::install();
    let mut terminal = ratatui::try_init()?;
    let _restore = Restore;
    // Chain a hook that also turns mouse capture off before ratatui's restore.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize(size.width, size.height));
    }
    let mut dirty = true;
    let mut last_tick = std::time::Instant::now();
    while !app.quit && !hangup.stopped() {
        if app.poll_worker() | app.poll_follow() {
            dirty = true;
        }
        if last_tick.elapsed() >= Duration::from_millis(120) {
            last_tick = std::time::Instant::now();
            if app.busy() {
                app.update(Msg::Tick);
                dirty = true;
            }
        }
        if dirty {
            terminal.draw(|f| f.render_widget(&app, f.area()))?;
            dirty = false;
        }
        if let Some(seq) = app.clipboard.take() {
            use std::io::Write;
            let mut out = std::io::stdout();
            out.write_all(seq.as_bytes())?;
            out.flush()?;
        }
        // Never hand a hung-up terminal to crossterm: its read loop spins on end of input.
        if hangup.stopped() || !event::poll(Duration::from_millis(30))? {
            continue;
        }
        // Drain every pending event before drawing again.
        loop {
            let ev = event::read()?;
            if let Some(a) = event_msg(&app, ev) {
                app.update(a);
            }
            dirty = true;
            if app.quit || hangup.stopped() || !event::poll(Duration::ZERO)? {
                break;
            }
        }
    }
    Ok(())
}
