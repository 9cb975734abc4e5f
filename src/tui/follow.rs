//! `threatlens --follow PATH`: the explorer over a file or folder that keeps growing.
//!
//! A feed thread owns the [`FollowFeed`] (reading, appending, scoring with the adopted forest):
//! it waits on the file watcher (or [`TICK`] when polling), never spins, and offers the newest
//! snapshot in a one-place slot at most every [`PUBLISH`], and only once the explorer has taken
//! the previous one — so the explorer asks for its views a few times a second at most, and
//! only when the previous view has arrived. The UI thread only swaps in what the feed offers;
//! views are recomputed on the worker as for any other change.
//!
//! Owns what following adds to the explorer: pause (`p`), refits handed to the feed (`R`, and the
//! first fit), Records following the end like `less +F` (`G`/End follows, moving up stops),
//! the Rankings and Anomalies selections kept across refreshes, the arrival rate, the
//! announcement of newly flagged rows and the "new since you looked" marker (cleared on the
//! Anomalies tab), and the feed's problems in the status line. It must not parse, score or
//! compute views: the feed and the worker do.

use super::action::{Action, Tab};
use super::app::App;
use super::worker::JobResult;
use crate::detect::pipeline::DetectionRun;
use crate::detect::{Rule, ScoreIndex, Selection};
use crate::source::follow::{FollowFeed, Snapshot};
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Shortest time between two snapshots offered to the explorer.
pub const PUBLISH: Duration = Duration::from_millis(250);
/// Longest wait between two polls of the files when nothing is reported.
pub const TICK: Duration = Duration::from_millis(200);
/// The arrival rate is measured over this long.
const RATE_WINDOW: Duration = Duration::from_secs(5);
/// Polls in a row before the feed looks at its controls again.
const MAX_POLLS: usize = 32;

/// What the explorer tells the feed.
enum Control {
    Pause(bool),
    /// A fit (numbered) to score the new rows with.
    Model(u64, Box<DetectionRun>),
}

/// What the feed offers the explorer.
#[derive(Default)]
struct Shared {
    snapshot: Option<Snapshot>,
    notes: Vec<String>,
    rows: usize,
}

/// What the explorer remembers across a refresh.
#[derive(Debug, Clone)]
struct Keep {
    ranking: Option<String>,
    anomaly: Option<u32>,
    at_end: bool,
    /// The status line, which a new view clears.
    status: Option<String>,
}

/// The explorer's side of a follow session.
pub struct Following {
    ctl: Sender<Control>,
    shared: Arc<Mutex<Shared>>,
    pub paused: bool,
    keep: Option<Keep>,
    /// (when, rows so far) at each snapshot taken, over [`RATE_WINDOW`].
    rate: VecDeque<(Instant, usize)>,
    /// Rows newly flagged since the Anomalies tab was last looked at.
    pub unseen: Vec<u32>,
    /// The last thing following has to say (a problem, an announcement).
    pub status: Option<String>,
    /// The number of the newest fit handed to the feed, and its scores' index.
    fit: u64,
    pending_index: Option<(u64, ScoreIndex)>,
    /// The fit shown, and the index of the rows it was fitted on (its cut stays the cut).
    installed_fit: u64,
    fit_index: Option<ScoreIndex>,
}

impl Following {
    /// Starts following `path` on a thread of its own.
    pub fn start(path: &str) -> Result<Following, String> {
        let feed = FollowFeed::new(path)?;
        let (ctl, rx) = channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        std::thread::Builder::new()
            .name("threatlens-follow".into())
            .spawn(move || feed_loop(feed, &rx, &s))
            .map_err(|e| format!("cannot start following {path}: {e}"))?;
        Ok(Following {
            ctl,
            shared,
            paused: false,
            keep: None,
            rate: VecDeque::new(),
            unseen: Vec::new(),
            status: None,
            fit: 0,
            pending_index: None,
            installed_fit: 0,
            fit_index: None,
        })
    }

    /// Rows arriving per second, over the last few seconds (0 when nothing arrives).
    pub fn rate(&self, now: Instant) -> f64 {
        match (self.rate.front(), self.rate.back()) {
            (Some(a), Some(b)) if b.1 > a.1 => {
                let secs = now.duration_since(a.0).as_secs_f64().max(1.0);
                (b.1 - a.1) as f64 / secs
            }
            _ => 0.0,
        }
    }

    fn sample(&mut self, rows: usize) {
        let now = Instant::now();
        self.rate.push_back((now, rows));
        // Keep one sample older than the window as the baseline.
        while self.rate.len() > 2
            && self
                .rate
                .get(1)
                .is_some_and(|s| now.duration_since(s.0) > RATE_WINDOW)
        {
            self.rate.pop_front();
        }
    }
}

/// The feed thread: poll, offer a snapshot, wait for a change or a control.
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
        offer(&mut feed, shared, notes, &mut last);
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
        Control::Model(fit, run) => {
            if let Err(e) = feed.adopt(fit, *run)
                && let Ok(mut s) = shared.lock()
            {
                s.notes.push(format!("the new model was not used: {e}"));
            }
        }
    }
}

/// Hands over the notes and, when one is due and the slot is free, a snapshot (copied
/// outside the lock, so the explorer never waits for the copy).
fn offer(
    feed: &mut FollowFeed,
    shared: &Mutex<Shared>,
    notes: Vec<String>,
    last: &mut Option<Instant>,
) {
    let free = match shared.lock() {
        Ok(mut s) => {
            s.notes.extend(notes);
            s.rows = feed.rows();
            s.snapshot.is_none()
        }
        Err(_) => return,
    };
    let due = last.is_none_or(|t| t.elapsed() >= PUBLISH);
    if !(free && due && feed.changed()) {
        return;
    }
    if let Some(snap) = feed.snapshot()
        && let Ok(mut s) = shared.lock()
    {
        s.snapshot = Some(snap);
        *last = Some(Instant::now());
    }
}

impl App {
    /// Starts following (the source `--follow PATH`): the feed reads, the explorer shows.
    pub(super) fn start_follow(&mut self, path: &str) {
        match Following::start(path) {
            Ok(f) => {
                self.loading = Some(crate::ingest::LoadProgress::new());
                self.follow = Some(f);
            }
            Err(e) => self.load_error = Some(e),
        }
    }

    /// Takes what the feed offers (called by the event loop); whether anything changed.
    pub fn poll_follow(&mut self) -> bool {
        let ready = self.ds.is_none() || !self.view_stale;
        let Some(f) = &mut self.follow else {
            return false;
        };
        let (snapshot, notes, rows) = match f.shared.lock() {
            Ok(mut s) => (
                if ready { s.snapshot.take() } else { None },
                std::mem::take(&mut s.notes),
                s.rows,
            ),
            Err(_) => return false,
        };
        let mut changed = !notes.is_empty();
        if let Some(note) = notes.last() {
            f.status = Some(crate::sanitize::inert(note).into_owned());
        }
        if let Some(p) = &self.loading {
            p.rows
                .store(rows as u64, std::sync::atomic::Ordering::Relaxed);
        }
        if self.load_error.is_some() {
            return changed;
        }
        if let Some(s) = snapshot {
            self.take_snapshot(s);
            changed = true;
        }
        changed
    }

    /// Shows a snapshot: the rows so far, and the scores once a fit was adopted.
    fn take_snapshot(&mut self, s: Snapshot) {
        let records_at_end = self.tabs.records.cursor + 1 >= self.view_rows().len();
        let keep = Keep {
            ranking: self.selected_ranking(),
            anomaly: self.flagged_rows.get(self.tabs.anomalies.cursor).copied(),
            at_end: records_at_end,
            status: self.status.clone(),
        };
        let Some(f) = &mut self.follow else { return };
        f.sample(s.ds.rows);
        if self.ds.is_none() {
            self.on_result(JobResult::Loaded {
                generation: 0,
                result: Ok(Arc::new(s.ds)),
            });
            return;
        }
        f.keep = Some(keep);
        let mut announce_from = None;
        if let Some(run) = s.det {
            let same_fit = s.fit == f.installed_fit;
            announce_from = Some(match &self.det {
                Some(old) if same_fit => old.scored_rows(),
                _ => s.fit_rows,
            });
            if !same_fit {
                if let Some((_, index)) = f.pending_index.take_if(|(n, _)| *n == s.fit) {
                    f.fit_index = Some(index);
                }
                f.installed_fit = s.fit;
            }
            self.det = Some(Arc::new(run));
            self.det_error = None;
            if !same_fit && s.fit > 1 {
                self.entities_after_refit();
            }
        }
        self.ds = Some(Arc::new(s.ds));
        self.reselect();
        if let Some(from) = announce_from {
            self.announce(from);
        }
        self.request_view();
    }

    /// Says which rows from `from` on the rule flags, and adds them to the marker.
    fn announce(&mut self, from: usize) {
        let (Some(det), Some(sel)) = (&self.det, &self.selection) else {
            return;
        };
        let index = &det.detection.index;
        let new: Vec<u32> = (from..det.scored_rows())
            .filter(|&r| index.is_flagged(sel, r))
            .map(|r| r as u32)
            .collect();
        let Some(&newest) = new.last() else { return };
        let score = det
            .scores()
            .get(newest as usize)
            .copied()
            .unwrap_or(f64::NAN);
        let who = self
            .src_ip_text(newest as usize)
            .map(|ip| format!(" from {}", crate::sanitize::inert(&ip)))
            .unwrap_or_default();
        let text = format!(
            "⚑ {} new flagged row{}: newest is row {newest}{who}, score {score:.3} (5: Anomalies)",
            new.len(),
            if new.len() == 1 { "" } else { "s" },
        );
        let looking = self.tab == Tab::Anomalies;
        if let Some(f) = &mut self.follow {
            f.status = Some(text);
            if !looking {
                f.unseen.extend(new);
            }
        }
    }

    /// The key of the ranking entity under the cursor.
    fn selected_ranking(&self) -> Option<String> {
        let view = self.view.as_ref()?;
        let rows = self.tabs.rankings.sorted(view);
        rows.get(self.tabs.rankings.cursor)
            .map(|e| e.row.key.clone())
    }

    /// In follow mode a fit from the worker is handed to the feed, which scores the rows read
    /// since and offers it with the next snapshot. Anything else is given back.
    pub(super) fn follow_fit(&mut self, result: JobResult) -> Option<JobResult> {
        let Some(f) = &mut self.follow else {
            return Some(result);
        };
        match result {
            JobResult::Detected {
                generation,
                result: Ok(det),
            } if generation == self.gens.det => {
                self.det_stale = false;
                f.fit += 1;
                f.pending_index = Some((f.fit, det.detection.index.clone()));
                let rows = det.scored_rows();
                let run = Arc::try_unwrap(det).unwrap_or_else(|d| (*d).clone());
                let _ = f.ctl.send(Control::Model(f.fit, Box::new(run)));
                f.status = Some(format!(
                    "forest fitted on {rows} rows: new rows are scored with it (R refits on the rows so far)"
                ));
                None
            }
            other => Some(other),
        }
    }

    /// The flags while following: the cut of the rule on the rows the forest was fitted on,
    /// so new rows are flagged by the cut the user chose and the list only grows between
    /// refits (top k stays the top k of every row).
    pub(super) fn follow_selection(&self, det: &DetectionRun) -> Option<Selection> {
        let fit = self.follow.as_ref()?.fit_index.as_ref()?;
        let rule = self.threshold.rule();
        if matches!(rule, Rule::TopK(_)) {
            return None;
        }
        let cut = fit.select(rule).threshold;
        Some(Selection {
            rule,
            ..det.detection.index.select(Rule::Above(cut))
        })
    }

    /// Follow keys (`p`, `R`) and what moving in Records means for following the end.
    /// Returns whether the action was taken.
    pub(super) fn follow_action(&mut self, action: &Action) -> bool {
        match action {
            Action::Refit => {
                let rows = self.ds.as_ref().map_or(0, |d| d.rows);
                self.request_detection();
                let text = format!("refitting the forest on the {rows} rows so far…");
                match &mut self.follow {
                    Some(f) => f.status = Some(text),
                    None => self.status = Some(text),
                }
                true
            }
            Action::FollowPause => {
                match &mut self.follow {
                    Some(f) => {
                        f.paused = !f.paused;
                        let _ = f.ctl.send(Control::Pause(f.paused));
                        f.status = Some(if f.paused {
                            "following paused: p resumes".into()
                        } else {
                            "following resumed".into()
                        });
                    }
                    None => {
                        self.status =
                            Some("not following: start the explorer with --follow PATH".into())
                    }
                }
                true
            }
            Action::Up | Action::PageUp | Action::Top | Action::ScrollUp
                if self.tab == Tab::Records =>
            {
                if let Some(k) = self.follow.as_mut().and_then(|f| f.keep.as_mut()) {
                    k.at_end = false;
                }
                false
            }
            _ => false,
        }
    }

    /// After every message: the marker clears on the Anomalies tab, and once a refreshed view
    /// has arrived, Records follows the end if it was there and the selections are restored.
    pub(super) fn follow_sync(&mut self) {
        let Some(f) = &mut self.follow else { return };
        if self.tab == Tab::Anomalies {
            f.unseen.clear();
        }
        if self.view_stale {
            return;
        }
        let (Some(keep), Some(view)) = (f.keep.take(), self.view.clone()) else {
            return;
        };
        if keep.at_end {
            self.tabs.records.follow_end(view.rows.len(), self.page());
        }
        if self.status.is_none() {
            self.status = keep.status;
        }
        if let Some(row) = keep.anomaly
            && let Some(i) = self.flagged_rows.iter().position(|&r| r == row)
        {
            self.tabs.anomalies.cursor = i;
        }
        if let Some(key) = keep.ranking
            && let Some(i) = self
                .tabs
                .rankings
                .sorted(&view)
                .iter()
                .position(|e| e.row.key == key)
        {
            self.tabs.rankings.cursor = i;
        }
    }

    /// What following says in the status line when nothing else does.
    pub fn follow_status(&self) -> Option<&String> {
        self.follow.as_ref()?.status.as_ref()
    }

    /// Test helper: takes snapshots and worker results until `done` holds (or a minute passes).
    pub fn wait_follow(&mut self, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(self) && Instant::now() < deadline {
            self.poll_follow();
            if let Some(r) = self.worker.wait_result(Duration::from_millis(20)) {
                self.update(super::action::Msg::Worker(r));
            }
        }
    }
}

/// The header's follow part: following or paused, the arrival rate, the marker.
pub fn header_spans(app: &App) -> Vec<ratatui::text::Span<'static>> {
    use ratatui::text::Span;
    let Some(f) = &app.follow else {
        return Vec::new();
    };
    let t = &app.theme;
    let mut spans = vec![if f.paused {
        Span::styled(" · paused (p)", t.warn())
    } else {
        Span::styled(
            format!(" · following {:.0} rows/s", f.rate(Instant::now())),
            t.key(),
        )
    }];
    if !f.unseen.is_empty() {
        spans.push(Span::styled(
            format!(" · ⚑ {} new since you looked (5)", f.unseen.len()),
            t.alert(),
        ));
    }
    spans
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
