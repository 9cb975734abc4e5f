//! The explorer's state and its one update function.
//!
//! `App::update(Msg)` is the only place state changes: key presses and mouse (as
//! [`Action`]s through the keymap), resizes, ticks and worker results. The app holds
//! what the tabs share — the data, the view, the model, the filter — plus the active
//! tab, the popup, the input line and the worker; each tab's own state lives in its
//! tab ([`super::tabs`]), which answers an action with [`Effect`]s that [`App::apply`]
//! carries out. What the app asks of the worker and does with the answers is in
//! [`super::jobs`]; the input line's submissions in [`super::input`]. Drawing
//! (`render`) reads this state and never writes it.

pub use super::popup::Popup;
pub use super::prompt::{InputKind, InputLine, Mode};
pub use super::threshold::{Threshold, fmt_pct};

use super::action::{Action, Msg, Tab};
use super::keymap::{Keymap, Scope};
use super::prompt::History;
use super::tabs::{Ctx, Effect, Tabs};
use super::theme::Theme;
use super::worker::{Slot, Worker};
use crate::dataset::Dataset;
use crate::detect::Selection;
use crate::detect::entity::EntityRun;
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::ingest::LoadProgress;
use crate::source::RecordDetail;
use crate::source::view::ViewData;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Where the data comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Demo,
    Path(String),
    /// A path read with options (`--format`, `--geoip`, `--flow-format`).
    PathWith(String, Box<crate::ingest::LoadOptions>),
    /// A file or folder followed as it grows (`--follow`), and the rows the views keep.
    Follow(String, crate::follow::score::Window),
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Demo => "demo data (built in)".into(),
            Source::Path(p) | Source::PathWith(p, _) | Source::Follow(p, _) => p.clone(),
        }
    }
}

/// What a drill-down was computed for: the row, the flagging rule and the model.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailKey {
    pub row: usize,
    pub(super) rule: Option<crate::detect::Rule>,
    pub(super) model: usize,
}

/// Per-row flags and scores shared with view jobs.
pub(super) type FlagArrays = (Arc<Vec<bool>>, Arc<Vec<f64>>);

/// Generation numbers of the newest request of each kind (older answers are dropped).
#[derive(Debug, Default)]
pub(super) struct Generations {
    pub view: u64,
    pub det: u64,
    pub write: u64,
    pub detail: u64,
    pub search: u64,
    pub entities: u64,
}

/// The whole explorer state.
pub struct App {
    pub source: Source,
    pub ds: Option<Arc<Dataset>>,
    pub loading: Option<Arc<LoadProgress>>,
    pub load_error: Option<String>,
    pub tab: Tab,
    /// Every tab's own state.
    pub tabs: Tabs,
    pub mode: Mode,
    pub input: InputLine,
    pub popup: Option<Popup>,
    pub filter: Option<String>,
    pub(super) history: History,
    pub view: Option<Arc<ViewData>>,
    pub view_stale: bool,
    pub det: Option<Arc<DetectionRun>>,
    pub det_stale: bool,
    pub det_error: Option<String>,
    pub params: DetectParams,
    pub threshold: Threshold,
    pub selection: Option<Selection>,
    /// Flagged rows inside the view, most anomalous first.
    pub flagged_rows: Vec<u32>,
    pub status: Option<String>,
    pub quit: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub size: (u16, u16),
    pub tick: usize,
    /// Detection parameters from the config, applied once data has loaded.
    pub(super) pending_params: Option<DetectParams>,
    /// Flags and scores shared with view jobs, for one selection of one run.
    pub(super) flag_cache: Option<(Selection, Arc<DetectionRun>, Option<FlagArrays>)>,
    /// A file write waiting for the user to confirm overwriting.
    pub pending_write: Option<(std::path::PathBuf, Vec<u8>)>,
    /// Whether an export's or report's bytes are being prepared.
    pub(super) writing: bool,
    /// Whether a search is under way on the worker.
    pub(super) searching: bool,
    /// The drill-down drawn from: what it was computed for, and the answer.
    pub detail: Option<(DetailKey, Arc<RecordDetail>)>,
    /// The drill-down asked of the worker last.
    pub(super) detail_asked: Option<DetailKey>,
    pub(super) gens: Generations,
    /// Per-entity detection (by source IP) and whether a newer one is being computed.
    pub entities: Option<Arc<EntityRun>>,
    pub entities_stale: bool,
    /// The classifier against the label column (the evaluation panel, `P` in Anomalies).
    pub supervised: super::supervised::Supervised,
    /// The filter the entities were (or are being) computed under.
    pub(super) entities_filter: Option<String>,
    pub entities_error: Option<String>,
    /// The open entity drill-down: the entity and its report (computed when it opened).
    pub entity_report: Option<(usize, Arc<super::entities::EntityDetail>)>,
    /// Where `W` saves the detection parameters.
    pub config_path: Option<std::path::PathBuf>,
    /// An OSC 52 sequence the loop writes to the terminal after the next draw (`y`).
    pub clipboard: Option<String>,
    pub(super) worker: Worker,
    /// The follow session of `--follow`.
    pub follow: Option<super::follow::Following>,
}

impl App {
    /// Creates the app and starts loading.
    pub fn new(source: Source, keymap: Keymap, theme: Theme, params: Option<DetectParams>) -> App {
        let mut app = App {
            source: source.clone(),
            ds: None,
            loading: None,
            load_error: None,
            tab: Tab::Records,
            tabs: Tabs::default(),
            mode: Mode::Normal,
            input: InputLine::default(),
            popup: None,
            filter: None,
            history: History::default(),
            view: None,
            view_stale: false,
            det: None,
            det_stale: false,
            det_error: None,
            params: DetectParams::default(),
            threshold: Threshold::Contamination(crate::detect::defaults::CONTAMINATION),
            selection: None,
            flagged_rows: Vec::new(),
            status: None,
            quit: false,
            keymap,
            theme,
            size: (80, 24),
            tick: 0,
            pending_params: params,
            flag_cache: None,
            pending_write: None,
            writing: false,
            searching: false,
            detail: None,
            detail_asked: None,
            gens: Generations::default(),
            entities: None,
            entities_stale: false,
            supervised: Default::default(),
            entities_filter: None,
            entities_error: None,
            entity_report: None,
            config_path: None,
            clipboard: None,
            worker: Worker::start(),
            follow: None,
        };
        app.start_load(source);
        app
    }

    /// What the tabs may read, once data and a view exist.
    pub fn ctx(&self) -> Option<Ctx<'_>> {
        Some(Ctx {
            ds: self.ds.as_deref()?,
            view: self.view.as_deref()?,
            det: self.det.as_deref(),
            det_stale: self.det_stale,
            det_error: self.det_error.as_deref(),
            selection: self.selection,
            threshold: self.threshold,
            flagged_rows: &self.flagged_rows,
            entities: self.entities.as_deref(),
            entity_selection: self
                .entities
                .as_ref()
                .map(|e| e.select(self.threshold.rule())),
            entities_stale: self.entities_stale,
            classifier: self.supervised.run.as_deref().map(|r| &r.classifier),
            entities_error: self.entities_error.as_deref(),
            params: &self.params,
            theme: &self.theme,
            page: self.page(),
            tick: self.tick,
        })
    }

    /// The keymap scope for the current state.
    pub fn scope(&self) -> Scope {
        match self.popup {
            Some(Popup::Detail { .. } | Popup::Features { .. } | Popup::Entity { .. }) => {
                Scope::Drilldown
            }
            _ => Scope::Tab(self.tab),
        }
    }

    /// Rows in the current view.
    pub fn view_rows(&self) -> &[u32] {
        self.view.as_ref().map_or(&[], |v| v.rows.as_slice())
    }

    /// Page height for list movement.
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(8)).max(1)
    }

    /// Lines a page-down moves in a popup: one less than the smallest popup shows, so a page
    /// never skips a line (a heading).
    pub fn popup_page(&self) -> usize {
        (usize::from(self.size.1.saturating_sub(5)) * 90 / 100)
            .saturating_sub(3)
            .max(1)
    }

    /// The only place state changes.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Key(action) => {
                self.on_action(action);
                self.follow_moved();
            }
            Msg::Worker(result) => self.on_result(result),
            Msg::Tick => self.tick = self.tick.wrapping_add(1),
            Msg::Resize(w, h) => self.size = (w, h),
        }
        self.sync_detail();
        if let Some(view) = &self.view {
            self.tabs.sync(view);
        }
        self.follow_sync();
    }

    pub(super) fn on_action(&mut self, action: Action) {
        match action {
            Action::Quit => {
                self.quit = true;
                return;
            }
            Action::Input(edit) => return self.on_input(edit),
            _ => {}
        }
        if self.loading.is_some() {
            if action == Action::Close {
                self.worker.cancel(Slot::Load);
                if let Some(p) = &self.loading {
                    p.cancel.store(true, Ordering::Relaxed);
                }
                self.loading = None;
                self.load_error = Some("loading cancelled".into());
            }
            return;
        }
        if self.ds.is_none() {
            return;
        }
        if let Some(popup) = self.popup.clone() {
            return self.on_popup(popup, action);
        }
        if self.follow_action(&action) {
            return;
        }
        let n = Tab::ALL.len();
        match action {
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::ShowRejects => self.popup = Some(Popup::Rejects { scroll: 0 }),
            Action::Close => self.status = None,
            Action::NextTab => self.tab = Tab::ALL[(self.tab.index() + 1) % n],
            Action::PrevTab => self.tab = Tab::ALL[(self.tab.index() + n - 1) % n],
            Action::GoTab(t) | Action::ClickTab(t) => self.tab = t,
            Action::OpenFilter => {
                self.open_input(InputKind::Filter, self.filter.clone().unwrap_or_default())
            }
            Action::Export => {
                let name = if self.tab == Tab::Anomalies {
                    "threatlens-anomalies.csv"
                } else {
                    "threatlens-rows.csv"
                };
                self.open_input(InputKind::Export, name.into());
            }
            Action::ExportReport => {
                self.open_input(InputKind::Report, "threatlens-report.md".into())
            }
            Action::SaveConfig => self.save_config(),
            Action::CommandLine => self.open_input(InputKind::Command, String::new()),
            _ => {
                // The tab answers from its own state and a read-only context.
                let mut tabs = std::mem::take(&mut self.tabs);
                let effects = self
                    .ctx()
                    .map(|ctx| tabs.update(self.tab, action, &ctx))
                    .unwrap_or_default();
                self.tabs = tabs;
                self.apply(effects);
            }
        }
    }

    /// Carries out what a tab or a popup asked for.
    pub fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Narrow(clause) => self.narrow_filter(clause),
                Effect::RequestView => self.request_view(),
                Effect::Refit => self.request_detection(),
                Effect::Open(popup) => self.open_popup(popup),
                Effect::Close => self.popup = None,
                Effect::Status(text) => self.status = Some(text),
                Effect::Copy(text) => self.copy(&text),
                Effect::Prompt(kind, text) => self.open_input(kind, text),
                Effect::Threshold(t) => self.set_threshold(t),
                Effect::Search { forward } => self.search(forward, false),
                Effect::Entities => self.want_entities(),
            }
        }
    }

    /// Applies worker results that are ready (called by the event loop).
    pub fn poll_worker(&mut self) -> bool {
        let mut any = false;
        while let Some(r) = self.worker.try_result() {
            self.update(Msg::Worker(r));
            any = true;
        }
        any
    }

    /// Whether background work is under way (for the spinner).
    pub fn busy(&self) -> bool {
        self.loading.is_some()
            || self.view_stale
            || self.det_stale
            || self.entities_stale
            || self.supervised.busy
            || self.writing
            || self.searching
            || self.detail_asked.is_some()
                && self.detail.as_ref().map(|d| &d.0) != self.detail_asked.as_ref()
    }

    /// Test helper: waits until every job has finished and its result is applied.
    pub fn wait_idle(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while (self.worker.busy() || self.busy()) && std::time::Instant::now() < deadline {
            if let Some(r) = self
                .worker
                .wait_result(std::time::Duration::from_millis(50))
            {
                self.update(Msg::Worker(r));
            }
        }
        self.poll_worker();
    }
}

/// Kept for callers of the old paths: see [`super::tabs::moved`].
pub use super::tabs::{moved, scrolled};
