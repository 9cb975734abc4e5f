//! What the app asks of the worker, and what it does with the answers: loading,
//! the filtered view, the refit, the drill-down, the search and the bytes of an
//! export. Every request carries a generation number; an answer older than the
//! newest request of its kind is dropped, and the worker cancels the job it
//! replaces (newest wins). Part of `App` (an `impl App` block), kept apart so
//! `app.rs` reads as the state and its update.

use super::app::{App, DetailKey, FlagArrays, Popup, Threshold};
use super::worker::{JobResult, Slot};
use crate::dataset::Dataset;
use crate::detect::RunControl;
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::ingest::{self, LoadProgress};
use crate::source::local::LocalSource;
use crate::source::view::{self, ViewData, ViewRequest};
use crate::source::{Source as _, search};
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl App {
    pub(super) fn start_load(&mut self, source: super::app::Source) {
        if let super::app::Source::Follow(path, window) = &source {
            return self.start_follow(path, *window);
        }
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
                    super::app::Source::Demo => ingest::load_bytes("<demo>", crate::demo::EMBEDDED),
                    super::app::Source::Path(p) => ingest::load_path(p, progress.clone()),
                    super::app::Source::PathWith(p, opts) => {
                        ingest::load_path_with(p, progress.clone(), opts)
                    }
                    super::app::Source::Follow(p, _) => ingest::load_path(p, progress.clone()),
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

    /// Asks the worker for the open drill-down when what it shows has changed
    /// (another row, a new threshold or model): computed once, drawn from the answer.
    pub(super) fn sync_detail(&mut self) {
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
        self.gens.detail += 1;
        let generation = self.gens.detail;
        self.worker
            .submit(Slot::Detail, move |cancel| JobResult::Detail {
                generation,
                result: source
                    .detail(id, &scope, 200, cancel)
                    .map(Arc::new)
                    .map_err(|e| e.to_string()),
            });
    }

    /// Moves the Records cursor to the next (or previous) row matching the search:
    /// one pass over the view on the worker, which also counts the matches.
    pub fn search(&mut self, forward: bool, include_current: bool) {
        let (Some(ds), Some(needle), Some(view)) = (
            self.ds.clone(),
            self.tabs.records.search.clone(),
            self.view.as_ref(),
        ) else {
            return;
        };
        let rows = view.rows.clone();
        let start = self.tabs.records.cursor;
        self.gens.search += 1;
        let generation = self.gens.search;
        self.searching = true;
        self.worker.submit(Slot::Search, move |cancel| {
            let result =
                search::search(&ds, &rows, &needle, start, forward, include_current, cancel);
            JobResult::Search {
                generation,
                result: result.map_err(|e| e.to_string()),
            }
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
        self.tabs.rewind();
        self.request_view();
    }

    /// Submits a view job for the current filter, sort, timeline and flags.
    pub fn request_view(&mut self) {
        let Some(ds) = self.ds.clone() else { return };
        self.gens.view += 1;
        // A search answered for the old view would point at the wrong row.
        self.gens.search += 1;
        self.searching = false;
        self.view_stale = true;
        let generation = self.gens.view;
        let flags = self.flag_arrays();
        let req = ViewRequest {
            filter: self.filter.clone(),
            sort: self.tabs.records.sort,
            bucket_secs: self.tabs.timeline.bucket_secs(),
            zoom: self.tabs.timeline.zoom,
            flagged: None,
            scores: None,
            prev: self.view.clone(),
        };
        if self.view.is_none() {
            // Nothing on screen yet: the rows first, then the statistics.
            let (ds, req, flags) = (ds.clone(), req.clone(), flags.clone());
            self.worker
                .submit(Slot::Rows, move |cancel| JobResult::View {
                    generation,
                    result: view::rows_only(&ds, with_flags(req, flags, &ds), cancel).map(Arc::new),
                });
        }
        self.worker
            .submit(Slot::View, move |cancel| JobResult::View {
                generation,
                result: view::compute(&ds, with_flags(req, flags, &ds), cancel).map(Arc::new),
            });
    }

    /// Flags and scores of every row for the current selection: the ones built for an earlier
    /// view of the same selection (so an unchanged view is reused), or what the worker needs to
    /// build them — at 10 M rows that is 90 MB written, never on the UI thread.
    fn flag_arrays(&mut self) -> Option<Flags> {
        let (Some(det), Some(sel)) = (&self.det, &self.selection) else {
            return None;
        };
        if let Some((cached_sel, cached_det, arrays)) = &self.flag_cache
            && cached_sel == sel
            && Arc::ptr_eq(cached_det, det)
            && let Some(arrays) = arrays
        {
            return Some(Flags::Ready(arrays.clone()));
        }
        self.flag_cache = Some((*sel, det.clone(), None));
        Some(Flags::Build(det.clone(), *sel))
    }

    /// A view arrived: the flags the worker built for it serve the next views of the selection.
    fn keep_flags(&mut self, v: &ViewData) {
        if let (true, Some((_, _, arrays @ None)), Some(f), Some(s)) = (
            v.complete,
            &mut self.flag_cache,
            &v.request.flagged,
            &v.request.scores,
        ) {
            *arrays = Some((f.clone(), s.clone()));
        }
    }

    /// Submits a refit with the current parameters.
    pub fn request_detection(&mut self) {
        let Some(ds) = self.ds.clone() else { return };
        self.gens.det += 1;
        self.det_stale = true;
        self.follow_fit_asked();
        let generation = self.gens.det;
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
    pub(super) fn reselect(&mut self) {
        let Some(det) = &self.det else {
            self.selection = None;
            self.flagged_rows.clear();
            return;
        };
        let sel = self
            .follow_selection(det)
            .unwrap_or_else(|| det.detection.index.select(self.threshold.rule()));
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
        let n = self.flagged_rows.len();
        let cursor = &mut self.tabs.anomalies.cursor;
        *cursor = (*cursor).min(n.saturating_sub(1));
    }

    /// The parameters to fit with once `ds` has loaded: the config's when they fit the data.
    fn params_for(&mut self, ds: &Dataset) -> DetectParams {
        self.pending_params
            .take()
            .filter(|p| p.features.iter().all(|f| ds.numeric_source(f).is_some()))
            .map(|p| DetectParams {
                features: if p.features.is_empty() {
                    crate::detect::pipeline::default_features(ds)
                } else {
                    p.features
                },
                ..p
            })
            .unwrap_or_else(|| DetectParams::defaults_for(ds))
    }

    pub(super) fn on_result(&mut self, result: JobResult) {
        let Some(result) = self.follow_fit(result) else {
            return;
        };
        match result {
            JobResult::Loaded { result, .. } => {
                self.loading = None;
                match result {
                    Ok(ds) => {
                        self.params = self.params_for(&ds);
                        self.ds = Some(ds);
                        // The view first (records and statistics), then the fit.
                        self.request_view();
                        self.request_detection();
                    }
                    Err(e) => self.load_error = Some(e),
                }
            }
            JobResult::Detected { generation, result } => {
                if generation != self.gens.det {
                    return;
                }
                self.det_stale = false;
                match result {
                    Ok(det) => {
                        let refit = self.det.is_some();
                        self.det = Some(det);
                        self.det_error = None;
                        self.reselect();
                        self.request_view();
                        if refit {
                            self.entities_after_refit();
                        }
                    }
                    Err(e) => self.det_error = Some(e),
                }
            }
            JobResult::Prepared {
                generation,
                path,
                result,
            } => {
                if generation == self.gens.write {
                    self.on_prepared(path, result);
                }
            }
            JobResult::Entities { generation, result } => self.on_entities(generation, result),
            JobResult::Classified { generation, result } => self.on_classified(generation, result),
            JobResult::Detail { generation, result } => {
                if generation != self.gens.detail {
                    return;
                }
                match (result, self.detail_asked.clone()) {
                    (Ok(d), Some(key)) => self.detail = Some((key, d)),
                    (Err(e), _) => self.status = Some(crate::sanitize::inert(&e).into_owned()),
                    (Ok(_), None) => {}
                }
            }
            JobResult::Search { generation, result } => {
                if generation != self.gens.search {
                    return;
                }
                self.searching = false;
                self.status = match result {
                    Ok(hit) => self.tabs.records.on_search(hit, self.page()),
                    Err(e) => Some(crate::sanitize::inert(&e).into_owned()),
                };
            }
            JobResult::View { generation, result } => {
                if generation != self.gens.view {
                    return;
                }
                let partial = result.as_ref().is_ok_and(|v| !v.complete);
                if partial && self.view.as_ref().is_some_and(|v| v.complete) {
                    return;
                }
                self.view_stale = partial;
                match result {
                    Ok(v) => {
                        self.keep_flags(&v);
                        self.tabs.on_view(&v);
                        self.view = Some(v);
                        self.status = None;
                        self.reselect();
                        self.entities_follow_view();
                    }
                    Err(e) => {
                        self.status = Some(format!("filter not applied: {e}"));
                    }
                }
            }
        }
    }

    /// Builds an export's or report's bytes on the worker; [`App::on_prepared`] writes them.
    pub(super) fn request_write(&mut self, request: super::export::Request) {
        self.gens.write += 1;
        let generation = self.gens.write;
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
                    self.open_input(super::app::InputKind::ConfirmOverwrite, String::new());
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
}

/// A view's flags: ready, or to be built on the worker from the run and its selection.
#[derive(Clone)]
enum Flags {
    Ready(FlagArrays),
    Build(Arc<DetectionRun>, crate::detect::Selection),
}

/// The request with its flags and scores filled in (built here, on the worker, when needed).
fn with_flags(mut req: ViewRequest, flags: Option<Flags>, ds: &Dataset) -> ViewRequest {
    let arrays = flags.map(|f| match f {
        Flags::Ready(a) => a,
        Flags::Build(det, sel) => {
            let mut flagged = vec![false; ds.rows];
            for r in det.detection.index.flagged(&sel) {
                if let Some(x) = flagged.get_mut(r) {
                    *x = true;
                }
            }
            (Arc::new(flagged), Arc::new(det.scores().to_vec()))
        }
    });
    (req.flagged, req.scores) = arrays.unzip();
    req
}
