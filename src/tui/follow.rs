//! `threatlens --follow PATH`: the explorer over a file or folder that keeps growing.
//!
//! A feed thread ([`super::follow_feed`]) owns the [`crate::source::follow::FollowFeed`]
//! (reading, appending, scoring with the adopted forest, trimming to `--window`) and offers a
//! ready snapshot a few times a second, and only once the previous views have arrived. The UI
//! thread only swaps in what the feed offers (and hands back what it swapped out); views,
//! flags and per-entity detection are recomputed on the worker as for any other change.
//!
//! Owns what following adds to the explorer: pause (`p`), refits handed to the feed (`R`, and the
//! first fit), the arrival rate, exact counts under a window (rows read, flagged so far), the
//! announcement of newly flagged rows and the "new since you looked" marker (cleared on the
//! Anomalies tab), and the feed's problems in the status line; what is kept across a refresh
//! (Records following the end like `less +F`, the selections) is [`super::follow_keep`]. It
//! must not parse, score or compute views: the feed and the worker do.

use super::action::{Action, Tab};
use super::app::App;
use super::follow_feed::{Control, Shared};
use super::follow_keep::Keep;
use super::worker::JobResult;
use crate::detect::pipeline::DetectionRun;
use crate::detect::{Rule, ScoreIndex, Selection};
use crate::follow::score::Window;
use crate::source::follow::Snapshot;
use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use super::follow_feed::{PUBLISH, TICK};

/// The arrival rate is measured over this long.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// The explorer's side of a follow session.
pub struct Following {
    ctl: Sender<Control>,
    shared: Arc<Mutex<Shared>>,
    pub paused: bool,
    pub(super) keep: Option<Keep>,
    /// (when, rows read so far) at each snapshot taken, over [`RATE_WINDOW`].
    rate: VecDeque<(Instant, u64)>,
    /// Rows newly flagged since the Anomalies tab was last looked at (ids among every row
    /// read, as [`Following::dropped`] counts).
    pub unseen: Vec<u64>,
    /// The last thing following has to say (a problem, an announcement).
    pub status: Option<String>,
    /// The number of the newest fit handed to the feed, and its scores' index.
    fit: u64,
    pending_index: Option<(u64, ScoreIndex)>,
    /// The fit shown, and the index of the rows it was fitted on (its cut stays the cut).
    pub(super) installed_fit: u64,
    pub(super) fit_index: Option<ScoreIndex>,
    /// Which rows the views keep (`--window`).
    pub window: Window,
    /// Rows read so far, kept or not.
    pub total: u64,
    /// Rows the window dropped: row `r` shown is row `dropped + r` read.
    pub dropped: u64,
    /// Dropped rows that were flagged.
    pub dropped_flagged: u64,
    /// `dropped` when the newest fit was asked for (where its rows start).
    fit_from: u64,
    /// The cut last told to the feed.
    cut_sent: Option<Option<f64>>,
    /// When the per-entity view was last asked to refresh, and the entity then selected.
    pub(super) entities_asked: Option<Instant>,
    pub(super) entity: Option<String>,
    /// Rows arrived since the per-entity view was last asked to refresh.
    pub(super) entities_pending: bool,
}

impl Following {
    /// Starts following `path` on a thread of its own.
    pub fn start(path: &str, window: Window) -> Result<Following, String> {
        let (ctl, shared) = super::follow_feed::spawn(path, window)?;
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
            window,
            total: 0,
            dropped: 0,
            dropped_flagged: 0,
            fit_from: 0,
            cut_sent: None,
            entities_asked: None,
            entity: None,
            entities_pending: false,
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

    fn sample(&mut self, rows: u64) {
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

    /// Hands a value the explorer no longer shows to the feed thread, which frees it.
    pub(super) fn retire<T: Send + 'static>(&self, old: T) {
        // If the feed has ended, the value comes back in the error and is freed here.
        let _ = self.ctl.send(Control::Retire(Box::new(old)));
    }
}
impl App {
    /// Starts following (the source `--follow PATH`): the feed reads, the explorer shows.
    pub(super) fn start_follow(&mut self, path: &str, window: Window) {
        match Following::start(path, window) {
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
            p.rows.store(rows, std::sync::atomic::Ordering::Relaxed);
        }
        if self.load_error.is_some() {
            return changed;
        }
        if let Some(s) = snapshot {
            self.take_snapshot(s);
            changed = true;
        } else {
            self.refresh_entities(false, false);
        }
        changed
    }

    /// Shows a snapshot: swaps in its rows and, once a fit was adopted, its scores (both built
    /// by the feed), hands the old ones back to the feed, and asks for the views.
    fn take_snapshot(&mut self, s: Snapshot) {
        let keep = self.keep_now();
        let Some(f) = &mut self.follow else { return };
        f.sample(s.total);
        let shift = s.dropped.saturating_sub(f.dropped) as usize;
        (f.total, f.dropped, f.dropped_flagged) = (s.total, s.dropped, s.dropped_flagged);
        if self.ds.is_none() {
            self.on_result(JobResult::Loaded {
                generation: 0,
                result: Ok(s.ds),
            });
            return;
        }
        f.keep = Some(keep);
        let mut announce_from = None;
        if let Some(run) = s.det {
            let same_fit = s.fit == f.installed_fit;
            announce_from = Some(match &self.det {
                Some(old) if same_fit => old.scored_rows().saturating_sub(shift),
                _ => s.fit_rows,
            });
            if !same_fit {
                if let Some((_, index)) = f.pending_index.take_if(|(n, _)| *n == s.fit) {
                    f.fit_index = Some(index);
                }
                f.installed_fit = s.fit;
            }
            f.retire(self.det.replace(run));
            self.det_error = None;
            if !same_fit && s.fit > 1 {
                self.entities_after_refit();
            }
        }
        if let Some(f) = &self.follow {
            f.retire(self.ds.replace(s.ds));
        }
        self.reselect();
        if let Some(from) = announce_from {
            self.announce(from);
        }
        self.request_view();
        self.refresh_entities(true, shift > 0);
    }

    /// Says which rows from `from` on the rule flags, and adds them to the marker.
    fn announce(&mut self, from: usize) {
        let (Some(det), Some(sel), Some(f)) = (&self.det, &self.selection, &self.follow) else {
            return;
        };
        let index = &det.detection.index;
        let new: Vec<u64> = (from..det.scored_rows())
            .filter(|&r| index.is_flagged(sel, r))
            .map(|r| f.dropped + r as u64)
            .collect();
        let Some(&newest) = new.last() else { return };
        let local = (newest - f.dropped) as usize;
        let score = det.scores().get(local).copied().unwrap_or(f64::NAN);
        let who = self
            .src_ip_text(local)
            .map(|ip| format!(" from {}", crate::sanitize::inert(&ip)))
            .unwrap_or_default();
        // Under a window the row shown and the row read differ.
        let which = match f.dropped {
            0 => format!("row {newest}"),
            _ => format!("row {local} shown (row {newest} read)"),
        };
        let text = format!(
            "⚑ {} new flagged row{}: newest is {which}{who}, score {score:.3} (5: Anomalies)",
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

    /// Asks for a request of the fit (called whenever one is submitted): remembers where the
    /// rows it is fitted on start among every row read.
    pub(super) fn follow_fit_asked(&mut self) {
        if let Some(f) = &mut self.follow {
            f.fit_from = f.dropped;
        }
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
                // The cut first: the feed may drop rows as soon as it adopts the fit.
                let cut = det.detection.index.select(self.threshold.rule()).threshold;
                let cut = Some(cut).filter(|c| !c.is_nan());
                f.cut_sent = Some(cut);
                let _ = f.ctl.send(Control::Cut(cut));
                let run = Arc::try_unwrap(det).unwrap_or_else(|d| (*d).clone());
                let _ = f.ctl.send(Control::Model(f.fit, Box::new(run), f.fit_from));
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

    /// Tells the feed the cut its window counts dropped flagged rows by, when it changed
    /// (before the first fit is shown there is no selection: the fit's cut stands).
    pub(super) fn follow_cut(&mut self) {
        let Some(sel) = self.selection else { return };
        let cut = Some(sel.threshold).filter(|c| !c.is_nan());
        if let Some(f) = &mut self.follow
            && f.cut_sent != Some(cut)
        {
            f.cut_sent = Some(cut);
            let _ = f.ctl.send(Control::Cut(cut));
        }
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

/// Rows read so far while following (the header's row count), whatever the window keeps.
pub fn rows_read(app: &App) -> Option<u64> {
    let f = app.follow.as_ref()?;
    let shown = app.ds.as_ref().map_or(0, |d| d.rows as u64);
    Some(f.total.max(f.dropped + shown))
}

/// The header's follow part: following or paused, the arrival rate, the window and its exact
/// counts, the marker.
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
    let window = match f.window {
        Window::All => None,
        Window::Rows(n) => Some(format!("last {n} rows")),
        Window::Time(d) => Some(format!("rows of the last {}", describe(d))),
    };
    if let Some(w) = window {
        let shown = app.ds.as_ref().map_or(0, |d| d.rows);
        let flagged = f.dropped_flagged + app.selection.map_or(0, |s| s.count) as u64;
        spans.push(Span::styled(
            format!(" · window: {w} ({shown} shown) · {flagged} flagged so far"),
            t.warn(),
        ));
    }
    if !f.unseen.is_empty() {
        spans.push(Span::styled(
            format!(" · ⚑ {} new since you looked (5)", f.unseen.len()),
            t.alert(),
        ));
    }
    spans
}

/// A window's duration as given (`90s`, `10m`, `2h`, `1d`).
fn describe(d: Duration) -> String {
    let s = d.as_secs_f64();
    let (v, unit) = match s {
        s if s >= 86400.0 && s % 86400.0 == 0.0 => (s / 86400.0, "d"),
        s if s >= 3600.0 && s % 3600.0 == 0.0 => (s / 3600.0, "h"),
        s if s >= 60.0 && s % 60.0 == 0.0 => (s / 60.0, "m"),
        s if s >= 1.0 => (s, "s"),
        s => (s * 1000.0, "ms"),
    };
    format!("{}{unit}", (v * 1000.0).round() / 1000.0)
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
