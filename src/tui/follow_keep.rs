//! What the explorer keeps across a follow refresh: Records following the end like `less +F`
//! (`G`/End follows, moving up stops) or staying on its row, the Rankings, Anomalies and
//! per-entity selections, and the status line.
//!
//! When a snapshot is taken ([`App::keep_now`]) the rows under the cursors are remembered by
//! their place among every row read (a window shifts row ids); once the refreshed view (or
//! per-entity run) has arrived ([`App::follow_sync`], after every message) the cursors are put
//! back on them. The per-entity view refreshes at most every [`ENTITY_REFRESH`] while rows
//! arrive (it refits a forest over the entities), at once when the window moved the rows under
//! it. Part of `App` (an `impl App` block); it computes no view and draws nothing.

use super::action::Tab;
use super::app::App;
use std::time::{Duration, Instant};

/// Shortest time between two refreshes of the per-entity view while rows arrive.
pub const ENTITY_REFRESH: Duration = Duration::from_secs(2);

/// What the explorer remembers across a refresh.
#[derive(Debug, Clone)]
pub(super) struct Keep {
    pub ranking: Option<String>,
    /// The flagged row under the Anomalies cursor, among every row read.
    pub anomaly: Option<u64>,
    /// The row under the Records cursor, among every row read.
    pub record: Option<u64>,
    pub at_end: bool,
    /// The status line, which a new view clears.
    pub status: Option<String>,
}

impl App {
    /// The state to restore once the next view arrives.
    pub(super) fn keep_now(&self) -> Keep {
        let dropped = self.follow.as_ref().map_or(0, |f| f.dropped);
        let rows = self.view_rows();
        let cursor = self.tabs.records.cursor;
        Keep {
            ranking: self.selected_ranking(),
            anomaly: self
                .flagged_rows
                .get(self.tabs.anomalies.cursor)
                .map(|&r| dropped + u64::from(r)),
            record: rows.get(cursor).map(|&r| dropped + u64::from(r)),
            at_end: cursor + 1 >= rows.len(),
            status: self.status.clone(),
        }
    }

    /// The key of the ranking entity under the cursor.
    fn selected_ranking(&self) -> Option<String> {
        let view = self.view.as_ref()?;
        let rows = self.tabs.rankings.sorted(view);
        rows.get(self.tabs.rankings.cursor)
            .map(|e| e.row.key.clone())
    }

    /// After a key: the cursors a pending restore will put back are the ones the user has just
    /// moved to (a `G` pressed while a refreshed view was on its way was undone when it came).
    pub(super) fn follow_moved(&mut self) {
        if self.follow.as_ref().is_some_and(|f| f.keep.is_some()) {
            let now = self.keep_now();
            if let Some(keep) = self.follow.as_mut().and_then(|f| f.keep.as_mut()) {
                *keep = Keep {
                    status: keep.status.take(),
                    ..now
                };
            }
        }
    }

    /// After every message: the marker clears on the Anomalies tab, the feed learns the cut,
    /// the per-entity cursor goes back to its entity, and once a refreshed view has arrived,
    /// Records follows the end if it was there (else stays on its row) and the selections are
    /// restored.
    pub(super) fn follow_sync(&mut self) {
        if self.follow.is_none() {
            return;
        }
        self.follow_cut();
        self.restore_entity();
        let Some(f) = &mut self.follow else { return };
        if self.tab == Tab::Anomalies {
            f.unseen.clear();
        }
        if self.view_stale {
            return;
        }
        let dropped = f.dropped;
        let (Some(keep), Some(view)) = (f.keep.take(), self.view.clone()) else {
            return;
        };
        let local = |global: u64| global.checked_sub(dropped).map(|r| r as u32);
        if keep.at_end {
            self.tabs.records.follow_end(view.rows.len(), self.page());
        } else if let Some(row) = keep.record.and_then(local) {
            let cursor = self.tabs.records.cursor;
            if view.rows.get(cursor) != Some(&row)
                && let Some(i) = view.rows.iter().position(|&r| r == row)
            {
                self.tabs.records.put_cursor(i, self.page());
            }
        }
        if self.status.is_none() {
            self.status = keep.status;
        }
        if let Some(row) = keep.anomaly.and_then(local)
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

    /// New rows are shown (`arrived`, called with false on every turn of the loop): the
    /// per-entity view, when shown, is recomputed at most every [`ENTITY_REFRESH`] — at once
    /// when the window moved its rows (`moved`) — keeping its entity; when not shown it is
    /// dropped, to be computed when it is next shown.
    pub(super) fn refresh_entities(&mut self, arrived: bool, moved: bool) {
        let Some(f) = &mut self.follow else { return };
        f.entities_pending |= arrived;
        if !f.entities_pending || self.entities.is_none() || self.entities_stale {
            return;
        }
        if !self.tabs.anomalies.by_entity {
            f.entities_pending = false;
            self.entities = None;
            self.entity_report = None;
            return;
        }
        let due = f
            .entities_asked
            .is_none_or(|t| t.elapsed() >= ENTITY_REFRESH);
        if !(due || moved) {
            return;
        }
        let key = self.selected_entity();
        if let Some(f) = &mut self.follow {
            f.entities_pending = false;
            f.entities_asked = Some(Instant::now());
            f.entity = key;
        }
        self.request_entities();
    }

    /// The label of the flagged entity under the per-entity cursor.
    pub(super) fn selected_entity(&self) -> Option<String> {
        let run = self.entities.as_ref()?;
        let sel = run.select(self.threshold.rule());
        let e = run
            .detection
            .index
            .flagged(&sel)
            .nth(self.tabs.anomalies.entity_cursor)?;
        Some(run.grouping.label(e))
    }

    /// Once a refreshed per-entity run has arrived: its cursor back on the entity it was on.
    fn restore_entity(&mut self) {
        if self.entities_stale {
            return;
        }
        let Some(key) = self.follow.as_mut().and_then(|f| f.entity.take()) else {
            return;
        };
        let Some(run) = &self.entities else { return };
        let sel = run.select(self.threshold.rule());
        if let Some(i) = run
            .detection
            .index
            .flagged(&sel)
            .position(|e| run.grouping.label(e) == key)
        {
            self.tabs.anomalies.entity_cursor = i;
        }
    }
}
