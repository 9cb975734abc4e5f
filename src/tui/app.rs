//! The explorer's state and its one update function.
//!
//! `App::update(Action)` is the only place state changes: key presses (through
//! the keymap), mouse, resizes, ticks and worker results all arrive as actions.
//! Heavy work (loading, filtering and statistics, fitting) is submitted to the
//! worker; thresholds are answered here from the score index, without refitting.
//! Drawing reads this state and never writes it.

use super::action::{Action, InputEdit, Msg, Tab};
use super::keymap::{Keymap, Scope};
use super::tabs::{anomalies::AnomalyView, rankings::RankSort};
use super::theme::Theme;
use super::worker::{JobResult, Slot, Worker};
use crate::analysis::timeseries::WIDTHS;
use crate::dataset::{Dataset, Role};
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::detect::{Contamination, Rule, RunControl, Selection};
use crate::ingest::{self, LoadProgress};
use crate::source::local::LocalSource;
use crate::source::view::{self, ViewData, ViewRequest};
use crate::source::{RecordDetail, Source as _};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Where the data comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Demo,
    Path(String),
    /// A path read with options (`--format`, `--geoip`, `--flow-format`).
    PathWith(String, Box<ingest::LoadOptions>),
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Demo => "demo data (built in)".into(),
            Source::Path(p) | Source::PathWith(p, _) => p.clone(),
        }
    }
}

/// How keys are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Input(InputKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    Contamination,
    TopK,
    /// A path to export the current table to.
    Export,
    /// A path to write the findings report of the current view to.
    Report,
    /// y/n: replace the existing file `pending_write` would overwrite.
    ConfirmOverwrite,
}

/// A popup over the tabs.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help { scroll: usize },
    Rejects { scroll: usize },
    Detail { row: usize, scroll: usize },
    Features { cursor: usize },
}

/// The flagging rule the user chose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Contamination(f64),
    Auto,
    TopK(usize),
}

impl Threshold {
    pub fn rule(self) -> Rule {
        match self {
            Threshold::Contamination(c) => Rule::Contamination(Contamination::Fraction(c)),
            Threshold::Auto => Rule::Contamination(Contamination::Auto),
            Threshold::TopK(k) => Rule::TopK(k),
        }
    }
    pub fn describe(self) -> String {
        match self {
            Threshold::Contamination(c) => format!("contamination {}%", fmt_pct(c)),
            Threshold::Auto => "contamination auto (score > 0.5)".into(),
            Threshold::TopK(k) => format!("top {k}"),
        }
    }
}

/// A percentage without trailing zeros (`6.5`, `5`, `0.25`).
pub fn fmt_pct(c: f64) -> String {
    let s = format!("{:.2}", c * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A line being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputLine {
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    pub error: Option<String>,
    /// A pre-filled value is selected: typing replaces it, a movement key keeps it.
    pub selected: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RecordsState {
    /// Index into the view's rows.
    pub cursor: usize,
    pub offset: usize,
    pub col: usize,
    pub sort: Option<(usize, bool)>,
    pub search: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TimelineState {
    /// Index into `WIDTHS`; `None` is automatic.
    pub width: Option<usize>,
    pub cursor: usize,
    pub mark: Option<usize>,
    pub zoom: Option<(i64, i64)>,
}

#[derive(Debug, Clone, Default)]
pub struct RankingsState {
    pub dim: usize,
    pub sort: RankSort,
    pub cursor: usize,
    /// Display order of the current dimension's entities, and what it was sorted from.
    pub order: Vec<u32>,
    order_for: Option<(usize, usize, RankSort)>,
}

#[derive(Debug, Clone, Default)]
pub struct GeoState {
    pub cursor: usize,
}

#[derive(Debug, Clone, Default)]
pub struct FlowsState {
    pub cursor: usize,
    /// 0 pairs, 1 fan-out, 2 fan-in.
    pub list: usize,
}

#[derive(Debug, Clone, Default)]
pub struct AnomaliesState {
    pub cursor: usize,
    pub view: AnomalyView,
}

/// What a drill-down was computed for: the row, the flagging rule and the model.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailKey {
    pub row: usize,
    rule: Option<Rule>,
    model: usize,
}

/// Per-row flags and scores shared with view jobs.
type FlagArrays = (Arc<Vec<bool>>, Arc<Vec<f64>>);

/// The whole explorer state.
pub struct App {
    pub source: Source,
    pub ds: Option<Arc<Dataset>>,
    pub loading: Option<Arc<LoadProgress>>,
    pub load_error: Option<String>,
    pub tab: Tab,
    pub mode: Mode,
    pub input: InputLine,
    pub popup: Option<Popup>,
    pub filter: Option<String>,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    pub view: Option<Arc<ViewData>>,
    pub view_stale: bool,
    view_gen: u64,
    pub det: Option<Arc<DetectionRun>>,
    pub det_stale: bool,
    pub det_error: Option<String>,
    det_gen: u64,
    pub params: DetectParams,
    pub threshold: Threshold,
    pub selection: Option<Selection>,
    /// Flagged rows inside the view, most anomalous first.
    pub flagged_rows: Vec<u32>,
    pub records: RecordsState,
    pub summary_col: usize,
    pub log_hist: bool,
    pub timeline: TimelineState,
    pub rankings: RankingsState,
    pub anomalies: AnomaliesState,
    pub geo: GeoState,
    pub flows: FlowsState,
    pub status: Option<String>,
    pub quit: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub size: (u16, u16),
    pub tick: usize,
    /// Detection parameters from the config, applied once data has loaded.
    pending_params: Option<DetectParams>,
    /// Flags and scores shared with view jobs, for one selection of one run.
    flag_cache: Option<(Selection, Arc<DetectionRun>, FlagArrays)>,
    /// A file write waiting for the user to confirm overwriting.
    pub pending_write: Option<(std::path::PathBuf, Vec<u8>)>,
    /// The newest export or report asked for, and whether its bytes are being prepared.
    write_gen: u64,
    writing: bool,
    /// The drill-down drawn from: what it was computed for, and the answer.
    pub detail: Option<(DetailKey, Arc<RecordDetail>)>,
    /// The drill-down asked of the worker last, and whether its answer is awaited.
    detail_asked: Option<DetailKey>,
    detail_gen: u64,
    /// Where `W` saves the detection parameters.
    pub config_path: Option<std::path::PathBuf>,
    worker: Worker,
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
            mode: Mode::Normal,
            input: InputLine::default(),
            popup: None,
            filter: None,
            history: Vec::new(),
            history_pos: None,
            view: None,
            view_stale: false,
            view_gen: 0,
            det: None,
            det_stale: false,
            det_error: None,
            det_gen: 0,
            params: DetectParams::default(),
            threshold: Threshold::Contamination(crate::detect::defaults::CONTAMINATION),
            selection: None,
            flagged_rows: Vec::new(),
            records: RecordsState::default(),
            summary_col: 0,
            log_hist: false,
            timeline: TimelineState::default(),
            rankings: RankingsState::default(),
            anomalies: AnomaliesState::default(),
            geo: GeoState::default(),
            flows: FlowsState::default(),
            status: None,
            quit: false,
            keymap,
            theme,
            size: (80, 24),
            tick: 0,
            pending_params: params,
            flag_cache: None,
            pending_write: None,
            write_gen: 0,
            writing: false,
            detail: None,
            detail_asked: None,
            detail_gen: 0,
            config_path: None,
            worker: Worker::start(),
        };
        app.start_load(source);
        app
    }

    fn start_load(&mut self, source: Source) {
        let progress = LoadProgress::new();
        self.loading = Some(progress.clone());
        self.worker.submit(Slot::Load, move |cancel| {
            let watch = progress.clone();
            // Mirror the worker's cancel flag into the loader's.
            let done = std::sync::atomic::AtomicBool::new(false);
            let result = std::thread::scope(|s| {
                s.spawn(|| {
                    while !done.load(Ordering::Relaxed) {
                        if cancel.load(Ordering::Relaxed) {
                            watch.cancel.store(true, Ordering::Relaxed);
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                });
                let r = match &source {
                    Source::Demo => ingest::load_bytes("<demo>", crate::demo::EMBEDDED),
                    Source::Path(p) => ingest::load_path(p, progress.clone()),
                    Source::PathWith(p, opts) => ingest::load_path_with(p, progress.clone(), opts),
                };
                done.store(true, Ordering::Relaxed);
                r
            });
            JobResult::Loaded {
                generation: 0,
                result: result.map(Arc::new).map_err(|e| e.to_string()),
            }
        });
    }

    /// The keymap scope for the current state.
    pub fn scope(&self) -> Scope {
        match self.popup {
            Some(Popup::Detail { .. }) | Some(Popup::Features { .. }) => Scope::Drilldown,
            _ => Scope::Tab(self.tab),
        }
    }

    /// Rows in the current view.
    pub fn view_rows(&self) -> &[u32] {
        self.view.as_ref().map_or(&[], |v| v.rows.as_slice())
    }

    /// The only place state changes.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Key(action) => self.on_action(action),
            Msg::Worker(result) => self.on_result(result),
            Msg::Tick => self.tick = self.tick.wrapping_add(1),
            Msg::Resize(w, h) => self.size = (w, h),
        }
        self.sync_detail();
        self.sync_rankings();
    }

    /// Re-sorts the visible ranking when the view, the dimension or the sort changed.
    fn sync_rankings(&mut self) {
        let Some(view) = &self.view else { return };
        let r = &mut self.rankings;
        let key = (Arc::as_ptr(view) as usize, r.dim, r.sort);
        if r.order_for == Some(key) {
            return;
        }
        r.order = view.rankings.get(r.dim).map_or_else(Vec::new, |rank| {
            super::tabs::rankings::sort_order(&rank.rows, r.sort)
        });
        r.order_for = Some(key);
    }

    /// Asks the worker for the open drill-down when what it shows has changed
    /// (another row, a new threshold or model): computed once, drawn from the answer.
    fn sync_detail(&mut self) {
        let (Some(Popup::Detail { row, .. }), Some(ds)) = (&self.popup, &self.ds) else {
            return;
        };
        let key = DetailKey {
            row: *row,
            rule: self.det.as_ref().map(|_| self.threshold.rule()),
            model: self.det.as_ref().map_or(0, |d| Arc::as_ptr(d) as usize),
        };
        if self.detail_asked.as_ref() == Some(&key) {
            return;
        }
        let source = LocalSource::new(ds.clone(), self.det.clone());
        let scope = crate::source::Scope {
            filter: None,
            rule: key.rule,
        };
        let id = key.row as crate::source::RowId;
        self.detail_asked = Some(key);
        self.detail_gen += 1;
        let generation = self.detail_gen;
        self.worker
            .submit(Slot::Detail, move |cancel| JobResult::Detail {
                generation,
                result: source
                    .detail(id, &scope, 200, cancel)
                    .map(Arc::new)
                    .map_err(|e| e.to_string()),
            });
    }

    fn on_action(&mut self, action: Action) {
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
        match action {
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::ShowRejects => self.popup = Some(Popup::Rejects { scroll: 0 }),
            Action::Close => self.status = None,
            Action::NextTab => self.tab = Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()],
            Action::PrevTab => {
                self.tab = Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
            }
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
            Action::SaveConfig => {
                self.status = Some(match &self.config_path {
                    Some(p) => match super::config::save_params(p, &self.params, self.threshold) {
                        Ok(()) => format!(
                            "detection parameters saved to {}",
                            crate::sanitize::inert(&p.display().to_string())
                        ),
                        Err(e) => crate::sanitize::inert(&e).into_owned(),
                    },
                    None => "no config directory on this system: pass --config PATH".into(),
                });
            }
            _ => self.on_tab_action(action),
        }
    }

    fn open_input(&mut self, kind: InputKind, text: String) {
        self.mode = Mode::Input(kind);
        self.input = InputLine {
            cursor: text.chars().count(),
            selected: !text.is_empty(),
            text,
            error: None,
        };
        self.history_pos = None;
    }

    fn on_input(&mut self, edit: InputEdit) {
        let Mode::Input(kind) = self.mode else { return };
        if kind == InputKind::ConfirmOverwrite {
            self.mode = Mode::Normal;
            let pending = self.pending_write.take();
            match (edit, pending) {
                (InputEdit::Char('y' | 'Y'), Some((path, bytes))) => {
                    self.write_file(&path, &bytes, true)
                }
                _ => self.status = Some("not written".into()),
            }
            return;
        }
        let line = &mut self.input;
        let byte_at = |s: &str, c: usize| s.char_indices().nth(c).map_or(s.len(), |(i, _)| i);
        if std::mem::take(&mut line.selected) {
            match edit {
                // Typing or deleting replaces the selected pre-fill.
                InputEdit::Char(_) | InputEdit::KillToStart | InputEdit::KillWord => {
                    line.text.clear();
                    line.cursor = 0;
                }
                InputEdit::Backspace | InputEdit::Delete if !line.text.is_empty() => {
                    line.text.clear();
                    line.cursor = 0;
                    line.error = None;
                    return;
                }
                _ => {}
            }
        }
        match edit {
            InputEdit::Char(c) => {
                let at = byte_at(&line.text, line.cursor);
                line.text.insert(at, c);
                line.cursor += 1;
                line.error = None;
            }
            InputEdit::Backspace if line.text.is_empty() && kind == InputKind::Filter => {
                // Backspace on an empty line clears the filter.
                self.mode = Mode::Normal;
                self.set_filter(None);
            }
            InputEdit::Backspace => {
                if line.cursor > 0 {
                    let at = byte_at(&line.text, line.cursor - 1);
                    line.text.remove(at);
                    line.cursor -= 1;
                }
            }
            InputEdit::Delete => {
                if line.cursor < line.text.chars().count() {
                    let at = byte_at(&line.text, line.cursor);
                    line.text.remove(at);
                }
            }
            InputEdit::Left => line.cursor = line.cursor.saturating_sub(1),
            InputEdit::Right => line.cursor = (line.cursor + 1).min(line.text.chars().count()),
            InputEdit::Home => line.cursor = 0,
            InputEdit::KillToStart => {
                let at = byte_at(&line.text, line.cursor);
                line.text.replace_range(..at, "");
                line.cursor = 0;
            }
            InputEdit::End => line.cursor = line.text.chars().count(),
            InputEdit::KillWord => {
                let chars: Vec<char> = line.text.chars().collect();
                let mut start = line.cursor.min(chars.len());
                while start > 0 && chars.get(start - 1).is_some_and(|c| c.is_whitespace()) {
                    start -= 1;
                }
                while start > 0 && chars.get(start - 1).is_some_and(|c| !c.is_whitespace()) {
                    start -= 1;
                }
                let (a, b) = (byte_at(&line.text, start), byte_at(&line.text, line.cursor));
                line.text.replace_range(a..b, "");
                line.cursor = start;
            }
            InputEdit::HistoryUp | InputEdit::HistoryDown if kind == InputKind::Filter => {
                if self.history.is_empty() {
                    return;
                }
                let n = self.history.len();
                let pos = match (edit, self.history_pos) {
                    (InputEdit::HistoryUp, None) => n - 1,
                    (InputEdit::HistoryUp, Some(p)) => p.saturating_sub(1),
                    (_, None) => return,
                    (_, Some(p)) => (p + 1).min(n - 1),
                };
                self.history_pos = Some(pos);
                let text = self.history.get(pos).cloned().unwrap_or_default();
                self.input.cursor = text.chars().count();
                self.input.text = text;
            }
            InputEdit::HistoryUp | InputEdit::HistoryDown => {}
            InputEdit::Cancel => self.mode = Mode::Normal,
            InputEdit::Submit => self.submit_input(kind),
        }
    }

    fn submit_input(&mut self, kind: InputKind) {
        let text = self.input.text.trim().to_string();
        match kind {
            InputKind::Filter => {
                if text.is_empty() {
                    self.mode = Mode::Normal;
                    return self.set_filter(None);
                }
                // Check the expression now so errors show under the line.
                if let Some(ds) = &self.ds
                    && let Err(e) = crate::filter::parse(&text)
                        .and_then(|ast| crate::filter::compile(&ast, ds).map(|_| ()))
                {
                    self.input.error = Some(e.one_line(&text));
                    return;
                }
                self.mode = Mode::Normal;
                if self.history.last() != Some(&text) {
                    self.history.push(text.clone());
                    if self.history.len() > 50 {
                        self.history.remove(0);
                    }
                }
                self.set_filter(Some(text));
            }
            InputKind::Search => {
                self.mode = Mode::Normal;
                self.records.search = (!text.is_empty()).then_some(text);
                self.search(true, true);
            }
            InputKind::Contamination => match text.parse::<Contamination>() {
                Ok(Contamination::Auto) => {
                    self.mode = Mode::Normal;
                    self.set_threshold(Threshold::Auto);
                }
                Ok(Contamination::Fraction(c)) => {
                    self.mode = Mode::Normal;
                    self.set_threshold(Threshold::Contamination(c));
                }
                Err(e) => self.input.error = Some(e.to_string()),
            },
            InputKind::Export | InputKind::Report => {
                self.mode = Mode::Normal;
                if text.is_empty() {
                    return;
                }
                match super::export::Request::from_app(self, kind == InputKind::Report, &text) {
                    Ok(request) => self.request_write(request),
                    Err(e) => self.status = Some(e),
                }
            }
            InputKind::ConfirmOverwrite => {}
            InputKind::TopK => match text.parse::<usize>() {
                Ok(k) if k > 0 => {
                    self.mode = Mode::Normal;
                    self.set_threshold(Threshold::TopK(k));
                }
                _ => self.input.error = Some(format!("'{text}' is not a positive whole number")),
            },
        }
    }

    /// Builds an export's or report's bytes on the worker; [`App::on_prepared`] writes them.
    fn request_write(&mut self, request: super::export::Request) {
        self.write_gen += 1;
        let generation = self.write_gen;
        self.status = Some(format!(
            "preparing {}…",
            crate::sanitize::inert(request.path())
        ));
        self.writing = true;
        self.worker.submit(Slot::Write, move |cancel| {
            let path = request.path().to_string();
            JobResult::Prepared {
                generation,
                path,
                result: request.run(cancel).map(Arc::new),
            }
        });
    }

    /// Writes prepared bytes, asking first when the file exists.
    fn on_prepared(&mut self, path: String, result: Result<Arc<Vec<u8>>, String>) {
        self.writing = false;
        match result {
            Ok(bytes) => {
                let bytes = Arc::try_unwrap(bytes).unwrap_or_else(|b| (*b).clone());
                let path = std::path::PathBuf::from(path);
                if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    self.status = None;
                    self.pending_write = Some((path, bytes));
                    self.open_input(InputKind::ConfirmOverwrite, String::new());
                } else {
                    self.write_file(&path, &bytes, false);
                }
            }
            Err(e) => self.status = Some(crate::sanitize::inert(&e).into_owned()),
        }
    }

    /// Writes a file atomically and says what happened in the status line.
    pub fn write_file(&mut self, path: &std::path::Path, bytes: &[u8], force: bool) {
        self.status = Some(match crate::report::file::write_file(path, bytes, force) {
            Ok(()) => format!(
                "wrote {} ({} bytes)",
                crate::sanitize::inert(&path.display().to_string()),
                bytes.len()
            ),
            Err(e) => crate::sanitize::inert(&e.to_string()).into_owned(),
        });
    }

    /// Narrows the current filter by a clause (and-ed to it) and remembers it in the history.
    pub fn narrow_filter(&mut self, clause: String) {
        let text = crate::filter::clause::narrow(self.filter.as_deref(), &clause);
        self.history.push(text.clone());
        self.set_filter(Some(text));
    }

    /// Applies (or clears) the global filter.
    pub fn set_filter(&mut self, filter: Option<String>) {
        self.filter = filter;
        self.records.cursor = 0;
        self.records.offset = 0;
        self.rankings.cursor = 0;
        self.anomalies.cursor = 0;
        self.timeline.cursor = 0;
        self.geo.cursor = 0;
        self.flows.cursor = 0;
        self.request_view();
    }

    /// Submits a view job for the current filter, sort, timeline and flags.
    pub fn request_view(&mut self) {
        let Some(ds) = self.ds.clone() else { return };
        self.view_gen += 1;
        self.view_stale = true;
        let generation = self.view_gen;
        let (flagged, scores) = self.flag_arrays(&ds).unzip();
        let req = ViewRequest {
            filter: self.filter.clone(),
            sort: self.records.sort,
            bucket_secs: self.timeline.width.and_then(|i| WIDTHS.get(i).copied()),
            zoom: self.timeline.zoom,
            flagged,
            scores,
            prev: self.view.clone(),
        };
        self.worker
            .submit(Slot::View, move |cancel| JobResult::View {
                generation,
                result: view::compute(&ds, req, cancel).map(Arc::new),
            });
    }

    /// Flags and scores of every row for the current selection, built once per
    /// selection and shared with the worker (so an unchanged view is reused).
    fn flag_arrays(&mut self, ds: &Dataset) -> Option<FlagArrays> {
        let (Some(det), Some(sel)) = (&self.det, &self.selection) else {
            return None;
        };
        if let Some((cached_sel, cached_det, arrays)) = &self.flag_cache
            && cached_sel == sel
            && Arc::ptr_eq(cached_det, det)
        {
            return Some(arrays.clone());
        }
        let mut f = vec![false; ds.rows];
        for r in det.detection.index.flagged(sel) {
            if let Some(x) = f.get_mut(r) {
                *x = true;
            }
        }
        let f = Arc::new(f);
        let s = Arc::new(det.scores().to_vec());
        self.flag_cache = Some((*sel, det.clone(), (f.clone(), s.clone())));
        Some((f, s))
    }

    /// Submits a refit with the current parameters.
    pub fn request_detection(&mut self) {
        let Some(ds) = self.ds.clone() else { return };
        self.det_gen += 1;
        self.det_stale = true;
        let generation = self.det_gen;
        let params = self.params.clone();
        self.worker
            .submit(Slot::Detect, move |cancel| JobResult::Detected {
                generation,
                result: DetectionRun::run(
                    &ds,
                    &params,
                    &RunControl {
                        cancel: Some(cancel),
                        progress: None,
                    },
                )
                .map(Arc::new),
            });
    }

    /// Changes the flagging rule: answered from the score index, no refit.
    pub fn set_threshold(&mut self, t: Threshold) {
        self.threshold = t;
        self.reselect();
        // Rankings and an `anomaly` filter depend on the flags.
        self.request_view();
    }

    /// Recomputes the selection and the flagged rows in view (O(k)).
    fn reselect(&mut self) {
        let Some(det) = &self.det else {
            self.selection = None;
            self.flagged_rows.clear();
            return;
        };
        let sel = det.detection.index.select(self.threshold.rule());
        let member = self.view.as_ref().and_then(|v| v.member.clone());
        self.flagged_rows = det
            .detection
            .index
            .flagged(&sel)
            .filter(|&r| {
                member
                    .as_ref()
                    .is_none_or(|m| m.get(r).copied().unwrap_or(false))
            })
            .map(|r| r as u32)
            .collect();
        self.selection = Some(sel);
        self.anomalies.cursor = self
            .anomalies
            .cursor
            .min(self.flagged_rows.len().saturating_sub(1));
    }

    fn on_result(&mut self, result: JobResult) {
        match result {
            JobResult::Loaded { result, .. } => {
                self.loading = None;
                match result {
                    Ok(ds) => {
                        self.params = self
                            .pending_params
                            .take()
                            .filter(|p| p.features.iter().all(|f| ds.numeric_source(f).is_some()))
                            .map(|p| DetectParams {
                                features: if p.features.is_empty() {
                                    crate::detect::pipeline::default_features(&ds)
                                } else {
                                    p.features
                                },
                                ..p
                            })
                            .unwrap_or_else(|| DetectParams::defaults_for(&ds));
                        self.ds = Some(ds);
                        self.request_detection();
                        self.request_view();
                    }
                    Err(e) => self.load_error = Some(e),
                }
            }
            JobResult::Detected { generation, result } => {
                if generation != self.det_gen {
                    return;
                }
                self.det_stale = false;
                match result {
                    Ok(det) => {
                        self.det = Some(det);
                        self.det_error = None;
                        self.reselect();
                        self.request_view();
                    }
                    Err(e) => self.det_error = Some(e),
                }
            }
            JobResult::Prepared {
                generation,
                path,
                result,
            } => {
                if generation == self.write_gen {
                    self.on_prepared(path, result);
                }
            }
            JobResult::Detail { generation, result } => {
                if generation != self.detail_gen {
                    return;
                }
                match (result, self.detail_asked.clone()) {
                    (Ok(d), Some(key)) => self.detail = Some((key, d)),
                    (Err(e), _) => self.status = Some(crate::sanitize::inert(&e).into_owned()),
                    (Ok(_), None) => {}
                }
            }
            JobResult::View { generation, result } => {
                if generation != self.view_gen {
                    return;
                }
                self.view_stale = false;
                match result {
                    Ok(v) => {
                        self.view = Some(v);
                        self.status = None;
                        self.clamp_cursors();
                        self.reselect();
                    }
                    Err(e) => {
                        self.status = Some(format!("filter not applied: {e}"));
                    }
                }
            }
        }
    }

    fn clamp_cursors(&mut self) {
        let n = self.view_rows().len();
        self.records.cursor = self.records.cursor.min(n.saturating_sub(1));
        let buckets = self.view.as_ref().map_or(0, |v| v.series.buckets.len());
        self.timeline.cursor = self.timeline.cursor.min(buckets.saturating_sub(1));
    }

    /// Page height for list movement.
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(8)).max(1)
    }

    fn on_popup(&mut self, popup: Popup, action: Action) {
        match (popup, action) {
            (_, Action::Close) => self.popup = None,
            (Popup::Help { .. }, Action::Help) => self.popup = None,
            (Popup::Help { scroll }, a) => {
                self.popup = Some(Popup::Help {
                    scroll: scrolled(scroll, &a, self.page()),
                })
            }
            (Popup::Rejects { scroll }, a) => {
                self.popup = Some(Popup::Rejects {
                    scroll: scrolled(scroll, &a, self.page()),
                })
            }
            (Popup::Detail { row, .. }, Action::FilterToSelection) => {
                let field = self
                    .ds
                    .as_ref()
                    .and_then(|ds| ds.role(Role::SrcIp))
                    .map(|c| c.name.clone());
                if let (Some(ip), Some(field)) = (self.src_ip_text(row), field) {
                    self.popup = None;
                    self.narrow_filter(crate::filter::clause::equals(&field, &ip));
                }
            }
            (Popup::Detail { row, scroll }, a) => {
                self.popup = Some(Popup::Detail {
                    row,
                    scroll: scrolled(scroll, &a, self.page()),
                })
            }
            (Popup::Features { cursor }, a) => {
                super::tabs::anomalies::features_action(self, cursor, a)
            }
        }
    }

    /// The source IP of a row as text.
    pub fn src_ip_text(&self, row: usize) -> Option<String> {
        let ds = self.ds.as_ref()?;
        let i = ds.role_index(Role::SrcIp)?;
        let t = ds.cell_text(row, i);
        (!t.is_empty()).then(|| t.into_owned())
    }

    fn on_tab_action(&mut self, action: Action) {
        match self.tab {
            Tab::Records => super::tabs::records::update(self, action),
            Tab::Summary => super::tabs::summary::update(self, action),
            Tab::Timeline => super::tabs::timeline::update(self, action),
            Tab::Rankings => super::tabs::rankings::update(self, action),
            Tab::Anomalies => super::tabs::anomalies::update(self, action),
            Tab::Geo => super::tabs::geo::update(self, action),
            Tab::Flows => super::tabs::flows::update(self, action),
        }
    }

    /// Opens an input line (used by tabs).
    pub fn input_mode(&mut self, kind: InputKind, text: String) {
        self.open_input(kind, text);
    }

    /// Moves the Records cursor to the next (or previous) row matching the search.
    pub fn search(&mut self, forward: bool, include_current: bool) {
        let (Some(ds), Some(needle)) = (self.ds.clone(), self.records.search.clone()) else {
            return;
        };
        let needle = needle.to_lowercase();
        let rows = self.view_rows().to_vec();
        let n = rows.len();
        if n == 0 {
            return;
        }
        let start = self.records.cursor;
        for step in 0..n {
            let k = if include_current { step } else { step + 1 };
            let i = if forward {
                (start + k) % n
            } else {
                (start + n * 2 - k % n) % n
            };
            let Some(&row) = rows.get(i) else { continue };
            let hit = (0..ds.columns.len()).any(|c| {
                ds.cell_text(row as usize, c)
                    .to_lowercase()
                    .contains(&needle)
            });
            if hit {
                self.records.cursor = i;
                self.status = None;
                return;
            }
        }
        self.status = Some(format!(
            "no match for '{}'",
            crate::sanitize::inert(&needle)
        ));
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
            || self.writing
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
