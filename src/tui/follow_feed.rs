//! The feed thread of `threatlens --follow PATH`: reads, appends, scores and trims off the
//! explorer's thread, and hands over ready snapshots.
//!
//! The thread owns the [`FollowFeed`]. It waits on the file watcher (or [`TICK`] when polling),
//! never spins, and offers the newest [`Snapshot`] in a one-place slot at most every
//! [`PUBLISH`], and only once the explorer has taken the previous one. A snapshot's rows and
//! run are already behind `Arc`s, so the explorer only swaps them in; what it swaps out comes
//! back here ([`Control::Retire`]) to be freed, so freeing a large dataset never holds a frame
//! either. It must not touch the explorer's state: it answers [`Control`]s and fills [`Shared`].

use crate::detect::pipeline::DetectionRun;
use crate::follow::score::Window;
use crate::source::follow::{FollowFeed, Snapshot};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Shortest time between two snapshots offered to the explorer.
pub const PUBLISH: Duration = Duration::from_millis(250);
/// Longest wait between two polls of the files when nothing is reported.
pub const TICK: Duration = Duration::from_millis(200);
/// Polls in a row before the feed looks at its controls again.
const MAX_POLLS: usize = 32;

/// What the explorer tells the feed.
pub(super) enum Control {
    Pause(bool),
    /// A fit (numbered) to score the new rows with, and where its rows start among every row
    /// read (the `dropped` of the snapshot it was fitted on).
    Model(u64, Box<DetectionRun>, u64),
    /// The score above which a row counts as flagged (for the rows a window drops).
    Cut(Option<f64>),
    /// Values the explorer no longer shows, freed here rather than on its thread.
    Retire(Box<dyn std::any::Any + Send>),
}

/// What the feed offers the explorer.
#[derive(Default)]
pub(super) struct Shared {
    pub snapshot: Option<Snapshot>,
    pub notes: Vec<String>,
    /// Rows read so far.
    pub rows: u64,
}

/// Starts the feed thread over `path`; the explorer's ends of it.
pub(super) fn spawn(
    path: &str,
    window: Window,
) -> Result<(Sender<Control>, Arc<Mutex<Shared>>), String> {
    let feed = FollowFeed::new(path)?.with_window(window);
    let (ctl, rx) = channel();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let s = shared.clone();
    std::thread::Builder::new()
        .name("threatlens-follow".into())
        .spawn(move || feed_loop(feed, &rx, &s))
        .map_err(|e| format!("cannot start following {path}: {e}"))?;
    Ok((ctl, shared))
}

/// The feed thread: poll, trim, offer a snapshot, wait for a change or a control.
fn feed_loop(mut feed: FollowFeed, ctl: &Receiver<Control>, shared: &Mutex<Shared>) {
    let watch = crate::follow::watch::watch(feed.root(), feed.is_folder());
    if let Err(e) = &watch
        && let Ok(mut s) = shared.lock()
    {
        s.notes.push(format!(
            "{e}; checking for changes every {} ms instead",
            TICK.as_millis()
        ));
    }
    let start = Instant::now();
    let mut paused = false;
    let mut last: Option<Instant> = None;
    loop {
        loop {
            match ctl.try_recv() {
                Ok(c) => control(&mut feed, c, &mut paused, shared),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let mut notes = Vec::new();
        let mut more = false;
        if !paused {
            let mut polls = 0;
            while feed.poll(&mut notes) && polls < MAX_POLLS {
                polls += 1;
            }
            more = polls == MAX_POLLS;
        }
        if let Err(e) = feed.trim(start.elapsed(), false) {
            notes.push(e);
        }
        offer(&mut feed, shared, notes, &mut last, start);
        let wait = if more {
            Duration::ZERO
        } else if feed.changed() {
            // A snapshot is due once the explorer has taken the last one.
            last.map_or(Duration::ZERO, |t| PUBLISH.saturating_sub(t.elapsed()))
                .max(Duration::from_millis(20))
        } else {
            TICK
        };
        match (&watch, paused) {
            (Ok(w), false) => {
                let _ = w.changes.recv_timeout(wait);
                while w.changes.try_recv().is_ok() {}
            }
            _ => match ctl.recv_timeout(wait) {
                Ok(c) => control(&mut feed, c, &mut paused, shared),
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            },
        }
    }
}

fn control(feed: &mut FollowFeed, c: Control, paused: &mut bool, shared: &Mutex<Shared>) {
    match c {
        Control::Pause(p) => *paused = p,
        Control::Cut(cut) => feed.set_cut(cut),
        Control::Retire(old) => drop(old),
        Control::Model(fit, run, from) => {
            if let Err(e) = feed.adopt(fit, *run, from)
                && let Ok(mut s) = shared.lock()
            {
                s.notes.push(format!("the new model was not used: {e}"));
            }
        }
    }
}

/// Hands over the notes and, when one is due and the slot is free, a snapshot (trimmed to
/// the window and copied outside the lock, so the explorer never waits for either).
fn offer(
    feed: &mut FollowFeed,
    shared: &Mutex<Shared>,
    mut notes: Vec<String>,
    last: &mut Option<Instant>,
    start: Instant,
) {
    let free = match shared.lock() {
        Ok(s) => s.snapshot.is_none(),
        Err(_) => return,
    };
    let due = last.is_none_or(|t| t.elapsed() >= PUBLISH);
    let snapshot = if free && due && feed.changed() {
        if let Err(e) = feed.trim(start.elapsed(), true) {
            notes.push(e);
        }
        feed.snapshot()
    } else {
        None
    };
    if let Ok(mut s) = shared.lock() {
        s.notes.extend(notes);
        s.rows = feed.rows();
        if snapshot.is_some() {
            s.snapshot = snapshot;
            *last = Some(Instant::now());
        }
    }
}
