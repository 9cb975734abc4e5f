//! Progress on stderr for the headless `summary`, `detect` and `report`: while a file loads, a bar
//! with bytes read, rows, the phase and an ETA; then the phase being worked on. Shown only when
//! stderr is a terminal and `--quiet` is not given, so pipes, logs and scripts see nothing.
//!
//! Owns the bar (indicatif) and the thread that redraws it from the load's shared counters
//! ([`LoadProgress`]) and the current phase name (fed by [`crate::timing`]'s phase hook). It must
//! not print anything else nor change what the commands compute; the `THREATLENS_TIMINGS` lines
//! are `timing.rs`'s and stay as they are.

use crate::ingest::LoadProgress;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The option shared by the headless commands.
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct ProgressArgs {
    /// No progress bar on stderr (it is shown only when stderr is a terminal anyway).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The load the reporter watches: `load_input` reads into this one while a reporter runs.
static WATCHED: OnceLock<Arc<LoadProgress>> = OnceLock::new();
/// The phase name shown after loading.
static PHASE: Mutex<String> = Mutex::new(String::new());

/// The progress counters the next load should update (the watched ones while a bar is shown).
pub fn load_progress() -> Arc<LoadProgress> {
    WATCHED.get().cloned().unwrap_or_else(LoadProgress::new)
}

/// Whether a bar should be drawn: stderr is a terminal and the user did not ask for quiet.
pub fn wanted(quiet: bool, stderr_is_terminal: bool) -> bool {
    !quiet && stderr_is_terminal
}

/// A running bar; dropping it clears the bar and stops its thread.
pub struct Reporter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    /// Starts the bar if [`wanted`]; `None` otherwise (and nothing is ever drawn).
    pub fn start(args: ProgressArgs) -> Option<Self> {
        use std::io::IsTerminal;
        if !wanted(args.quiet, std::io::stderr().is_terminal()) {
            return None;
        }
        let progress = WATCHED.get_or_init(LoadProgress::new).clone();
        crate::timing::on_phase(set_phase);
        set_phase("load");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || draw_until(&progress, &stop))
                .ok()
        };
        Some(Self { stop, thread })
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Records the phase being worked on (the hook `timing::phase` calls).
fn set_phase(name: &str) {
    if let Ok(mut p) = PHASE.lock() {
        name.clone_into(&mut p);
    }
}

fn phase() -> String {
    PHASE.lock().map(|p| p.clone()).unwrap_or_default()
}

/// Redraws the bar every 100 ms until `stop`, then clears it. While loading: bytes against the
/// file's size (ETA from indicatif) and rows so far; after: the phase and the time elapsed.
fn draw_until(progress: &LoadProgress, stop: &AtomicBool) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    let loading = ProgressStyle::with_template(
        "{spinner} {msg:24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    )
    .map(|s| s.progress_chars("=> "));
    let working = ProgressStyle::with_template("{spinner} {msg} {elapsed}");
    let mut sized = false;
    while !stop.load(Ordering::Relaxed) {
        let phase = phase();
        let rows = progress.rows.load(Ordering::Relaxed);
        let total = progress.total_bytes.load(Ordering::Relaxed);
        let read = progress.bytes_read.load(Ordering::Relaxed);
        let in_load = phase == "load";
        if in_load && total > 0 {
            if !sized {
                if let Ok(s) = &loading {
                    bar.set_style(s.clone());
                }
                bar.set_length(total);
                sized = true;
            }
            bar.set_position(read.min(total));
            bar.set_message(format!("load: {} rows", thousands(rows)));
        } else {
            if sized || bar.length().is_none() {
                if let Ok(s) = &working {
                    bar.set_style(s.clone());
                }
                sized = false;
                bar.set_length(0);
            }
            let what = if in_load {
                format!(
                    "load: {} rows, {} MB read",
                    thousands(rows),
                    read / 1_000_000
                )
            } else {
                format!("{phase} ({} rows loaded)", thousands(rows))
            };
            bar.set_message(crate::sanitize::inert(&what).into_owned());
            bar.tick();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// `1234567` as `1 234 567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_is_for_terminals_only_and_quiet_silences_it() {
        assert!(wanted(false, true));
        assert!(!wanted(true, true));
        assert!(!wanted(false, false));
        assert!(!wanted(true, false));
    }

    #[test]
    fn row_counts_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1 000");
        assert_eq!(thousands(1_234_567), "1 234 567");
    }
}
