//! The explorer's tabs: one file per tab, each owning its state, its key handling
//! and its drawing. A tab never sees the app state (`tui::app`): only a [`Ctx`].
//!
//! # The shape of a tab
//! A tab file holds a state struct (cursor, sort, which sub-view…) and two methods:
//! - `update(&mut self, action, &Ctx) -> Vec<Effect>`: changes only the tab's own
//!   state and asks for everything else through [`Effect`]s that the app applies
//!   (narrow the filter, recompute the view, open a popup, show a status line,
//!   open an input line, change the flagging rule, search on the worker).
//! - `draw(&self, &Ctx, area, buf)`: reads the tab state and the [`Ctx`], writes the
//!   buffer, and computes nothing heavy: whatever is expensive arrives ready in the
//!   [`ViewData`] (computed on the worker by `crate::source::view::compute`, which
//!   asks the same questions a [`crate::source::Source`] answers) or is cached in
//!   the tab state when its input changes ([`Tabs::sync`], called after every message).
//!
//! [`Ctx`] is the read-only picture of what every tab may look at: the dataset, the
//! current view, the model and its selection, the theme, the page height. It is
//! built by the app for each call; tabs keep no references into it.
//!
//! # Adding a tab (e.g. a "protocols" ranking)
//! 1. Copy the smallest tab that looks like yours (`geo.rs` for a list with Enter to
//!    filter) to `tabs/yours.rs`; keep its `State` struct, `update` and `draw`.
//! 2. If it needs numbers the view does not hold yet, add them to
//!    `crate::source::view::ViewData` (computed on the worker), never in `draw`.
//! 3. Add a variant to [`crate::tui::action::Tab`] (title, order), a field to
//!    [`Tabs`] and one arm in each of [`Tabs::update`] and [`Tabs::draw`]; add its
//!    keys to the keymap's `Scope::Tab(Tab::Yours)` (help and footer follow).
//! 4. Snapshot it in `tests/it/tui.rs`. Expect the help snapshot and every tab snapshot
//!    to move (the tab bar gains a title), and check the bar at 40 columns
//!    (`every_tab_is_on_the_bar_and_reachable_at_40x12`): with an eighth tab the
//!    active tab's title no longer fits there, so shorten the titles or the bar.

pub mod anomalies;
pub mod entities;
pub mod flows;
pub mod geo;
pub mod rankings;
pub mod records;
pub mod summary;
pub mod timeline;

use super::action::{Action, Tab};
use super::popup::Popup;
use super::prompt::InputKind;
use super::theme::Theme;
use super::threshold::Threshold;
use crate::dataset::Dataset;
use crate::detect::Selection;
use crate::detect::entity::EntityRun;
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::source::view::ViewData;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// What a tab may read: shared, immutable, built by the app for one call.
pub struct Ctx<'a> {
    pub ds: &'a Dataset,
    /// The current view (possibly stale while a new one is computed).
    pub view: &'a ViewData,
    pub det: Option<&'a DetectionRun>,
    /// A refit is under way (the model shown is the previous one).
    pub det_stale: bool,
    pub det_error: Option<&'a str>,
    pub selection: Option<Selection>,
    pub threshold: Threshold,
    /// Flagged rows inside the view, most anomalous first.
    pub flagged_rows: &'a [u32],
    /// Per-entity detection (by source IP), once computed on the worker.
    pub entities: Option<&'a EntityRun>,
    /// The entities the current rule flags.
    pub entity_selection: Option<Selection>,
    /// Per-entity detection is being computed (what is shown is the previous run, if any).
    pub entities_stale: bool,
    pub entities_error: Option<&'a str>,
    /// The classifier against the label, once cross-validated (its out-of-fold probabilities).
    pub classifier: Option<&'a crate::classify::Evaluation>,
    pub params: &'a DetectParams,
    pub theme: &'a Theme,
    /// Rows a page-up/page-down moves.
    pub page: usize,
    /// The spinner's frame.
    pub tick: usize,
}

impl Ctx<'_> {
    /// Whether a row is flagged under the current rule.
    pub fn is_flagged(&self, row: usize) -> bool {
        matches!((self.det, &self.selection), (Some(d), Some(s)) if d.detection.index.is_flagged(s, row))
    }
}

/// What a tab asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// And a filter clause (from `crate::filter::clause`) to the current filter.
    Narrow(String),
    /// The tab's view parameters (sort, bucket width, zoom) changed: recompute the view.
    RequestView,
    /// Refit the model with the current parameters.
    Refit,
    Open(Popup),
    /// Close the open popup.
    Close,
    Status(String),
    /// Open the input line of a kind, pre-filled.
    Prompt(InputKind, String),
    /// Change the flagging rule (answered from the score index, no refit).
    Threshold(Threshold),
    /// Find the next (or previous) match of the Records search, on the worker.
    Search {
        forward: bool,
    },
    /// Compute per-entity detection on the worker (unless it is already there).
    Entities,
    /// Put this text on the clipboard (OSC 52; the app sanitises it).
    Copy(String),
}

/// Every tab's state.
#[derive(Debug, Clone, Default)]
pub struct Tabs {
    pub records: records::RecordsState,
    pub summary: summary::SummaryState,
    pub timeline: timeline::TimelineState,
    pub rankings: rankings::RankingsState,
    pub anomalies: anomalies::AnomaliesState,
    pub geo: geo::GeoState,
    pub flows: flows::FlowsState,
}

impl Tabs {
    /// Hands an action to the tab shown.
    pub fn update(&mut self, tab: Tab, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        match tab {
            Tab::Records => self.records.update(action, ctx),
            Tab::Summary => self.summary.update(action, ctx),
            Tab::Timeline => self.timeline.update(action, ctx),
            Tab::Rankings => self.rankings.update(action, ctx),
            Tab::Anomalies => self.anomalies.update(action, ctx),
            Tab::Geo => self.geo.update(action, ctx),
            Tab::Flows => self.flows.update(action, ctx),
        }
    }

    /// Draws the tab shown.
    pub fn draw(&self, tab: Tab, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        match tab {
            Tab::Records => self.records.draw(ctx, area, buf),
            Tab::Summary => self.summary.draw(ctx, area, buf),
            Tab::Timeline => self.timeline.draw(ctx, area, buf),
            Tab::Rankings => self.rankings.draw(ctx, area, buf),
            Tab::Anomalies => self.anomalies.draw(ctx, area, buf),
            Tab::Geo => self.geo.draw(ctx, area, buf),
            Tab::Flows => self.flows.draw(ctx, area, buf),
        }
    }

    /// Re-derives what tabs cache from the view (sorted orders) when it changed.
    pub fn sync(&mut self, view: &std::sync::Arc<ViewData>) {
        self.rankings.sync(view);
        self.anomalies.sync(view);
    }

    /// A new filter: every list starts at its top.
    pub fn rewind(&mut self) {
        self.records.cursor = 0;
        self.records.offset = 0;
        self.records.hits = None;
        self.rankings.cursor = 0;
        self.anomalies.cursor = 0;
        self.timeline.cursor = 0;
        self.geo.cursor = 0;
        self.flows.cursor = 0;
    }

    /// A new view arrived: cursors stay inside it and caches follow it.
    pub fn on_view(&mut self, view: &ViewData) {
        let n = view.rows.len();
        self.records.cursor = self.records.cursor.min(n.saturating_sub(1));
        let buckets = view.series.buckets.len();
        self.timeline.cursor = self.timeline.cursor.min(buckets.saturating_sub(1));
    }
}

/// A scroll position moved by a navigation action.
pub fn scrolled(pos: usize, a: &Action, page: usize) -> usize {
    match a {
        Action::Up | Action::ScrollUp => pos.saturating_sub(1),
        Action::Down | Action::ScrollDown => pos + 1,
        Action::PageUp => pos.saturating_sub(page),
        Action::PageDown => pos + page,
        Action::Top => 0,
        _ => pos,
    }
}

/// Moves a cursor over `n` items by a navigation action.
pub fn moved(cursor: usize, a: &Action, n: usize, page: usize) -> usize {
    let last = n.saturating_sub(1);
    match a {
        Action::Up | Action::ScrollUp => cursor.saturating_sub(1),
        Action::Down | Action::ScrollDown => (cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(page),
        Action::PageDown => (cursor + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => cursor.min(last),
    }
}
