//! The explorer over a table in an engine (`threatlens --engine sc://… --table EXPR`): the same
//! seven tabs, every view asked of a [`Source`] on a background thread, so the tabs never know
//! where the rows live.
//!
//! Owns the remote explorer's state and its update: which view each tab needs ([`ViewKey`]),
//! the answers cached per (view, filter) so going back to a tab is instant, the one query in
//! flight (a newer request cancels it; Esc cancels it; its cancel flag interrupts the engine's
//! operation), and the status line (a spinner while the engine works; a lost connection said
//! plainly, with the next request reconnecting). Detection in the engine starts when the
//! Anomalies tab is first opened. Tabs the engine cannot answer yet (Geo, Flows) say so in one
//! line. Drawing is in `draw`; it reads this state and never computes. It never builds SQL.

mod draw;
mod keys;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use crate::analysis::rankings::RankBy;
use crate::analysis::summary::Summary;
use crate::source::{
    AnomalyList, AnomalyQuery, RankingQuery, RecordDetail, RecordsPage, RecordsQuery, RowId, Scope,
    Source, SourceError, Timeline, TimelineQuery,
};
pub use keys::Key;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// The tabs, in the order the local explorer shows them.
pub const TABS: [&str; 7] = [
    "Records",
    "Summary",
    "Timeline",
    "Rankings",
    "Anomalies",
    "Geo",
    "Flows",
];

/// Runs detection in the engine for the Anomalies tab (fit on the engine's sample, score there).
pub type Detector = Arc<dyn Fn(&AtomicBool) -> Result<(), SourceError> + Send + Sync>;

/// One question asked of the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ViewKey {
    Records {
        filter: String,
        offset: usize,
        limit: usize,
    },
    Summary {
        filter: String,
    },
    Timeline {
        filter: String,
    },
    Ranking {
        filter: String,
        column: String,
    },
    /// Detection in the engine, then the anomaly list.
    Anomalies,
    Detail(RowId),
}

/// An answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Records(RecordsPage),
    Summary(Box<Summary>),
    Timeline(Timeline),
    Ranking(crate::source::Ranking),
    Anomalies(AnomalyList),
    Detail(Box<RecordDetail>),
}

/// The query running on the background thread.
struct Running {
    key: ViewKey,
    cancel: Arc<AtomicBool>,
    generation: u64,
}

/// The remote explorer.
pub struct RemoteApp {
    source: Arc<dyn Source>,
    detector: Detector,
    /// Ranking dimensions: (label, column).
    pub dims: Vec<(String, String)>,
    pub tab: usize,
    pub filter: Option<String>,
    /// The filter being typed.
    pub input: Option<String>,
    cache: HashMap<ViewKey, Answer>,
    running: Option<Running>,
    /// The view whose last query failed: not asked again by itself (r retries; another view asks).
    failed: Option<ViewKey>,
    generation: u64,
    tx: Sender<(u64, ViewKey, Result<Answer, SourceError>)>,
    rx: Receiver<(u64, ViewKey, Result<Answer, SourceError>)>,
    pub status: Option<String>,
    /// The error of the current tab's view (kept until it is asked again).
    pub error: Option<String>,
    pub cursor: usize,
    pub offset: usize,
    pub page: usize,
    pub dim: usize,
    pub scroll: usize,
    /// The drill-down open (a row id).
    pub detail: Option<RowId>,
    pub spinner: usize,
    pub quit: bool,
    /// Threads started for queries (joined by nothing: each ends with its query).
    threads: Arc<Mutex<usize>>,
}

impl RemoteApp {
    pub fn new(source: Arc<dyn Source>, detector: Detector, dims: Vec<(String, String)>) -> Self {
        let (tx, rx) = channel();
        let mut app = RemoteApp {
            source,
            detector,
            dims,
            tab: 0,
            filter: None,
            input: None,
            cache: HashMap::new(),
            running: None,
            failed: None,
            generation: 0,
            tx,
            rx,
            status: None,
            error: None,
            cursor: 0,
            offset: 0,
            page: 20,
            dim: 0,
            scroll: 0,
            detail: None,
            spinner: 0,
            quit: false,
            threads: Arc::new(Mutex::new(0)),
        };
        app.request();
        app
    }

    /// The source's name (endpoint and table, no secret).
    pub fn name(&self) -> String {
        self.source.info().name
    }

    /// Column names of the table.
    pub fn columns(&self) -> Vec<String> {
        self.source
            .info()
            .columns
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    fn filter_key(&self) -> String {
        self.filter.clone().unwrap_or_default()
    }

    /// The view the screen needs now, if the tab asks one.
    pub fn wanted(&self) -> Option<ViewKey> {
        if let Some(id) = self.detail {
            return Some(ViewKey::Detail(id));
        }
        let filter = self.filter_key();
        match self.tab {
            0 => Some(ViewKey::Records {
                filter,
                offset: self.offset,
                limit: self.page,
            }),
            1 => Some(ViewKey::Summary { filter }),
            2 => Some(ViewKey::Timeline { filter }),
            3 => self.dims.get(self.dim).map(|(_, c)| ViewKey::Ranking {
                filter,
                column: c.clone(),
            }),
            4 => Some(ViewKey::Anomalies),
            _ => None,
        }
    }

    /// The cached answer to what the screen needs.
    pub fn answer(&self) -> Option<&Answer> {
        self.wanted().and_then(|k| self.cache.get(&k))
    }

    /// The answer to `key`, if cached.
    pub fn cached(&self, key: &ViewKey) -> Option<&Answer> {
        self.cache.get(key)
    }

    /// A query is running.
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    /// What the running query is for.
    pub fn running(&self) -> Option<&ViewKey> {
        self.running.as_ref().map(|r| &r.key)
    }

    /// Asks for the view the screen needs, unless it is cached or already running; a running
    /// query for another view is cancelled (newest wins).
    pub fn request(&mut self) {
        let Some(key) = self.wanted() else {
            self.cancel_running();
            return;
        };
        if self.cache.contains_key(&key)
            || self.running.as_ref().is_some_and(|r| r.key == key)
            || self.failed.as_ref() == Some(&key)
        {
            return;
        }
        self.cancel_running();
        self.error = None;
        self.generation += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.running = Some(Running {
            key: key.clone(),
            cancel: cancel.clone(),
            generation: self.generation,
        });
        let (source, detector, tx, generation) = (
            self.source.clone(),
            self.detector.clone(),
            self.tx.clone(),
            self.generation,
        );
        let threads = self.threads.clone();
        if let Ok(mut n) = threads.lock() {
            *n += 1;
        }
        let spawned = std::thread::Builder::new()
            .name("threatlens-remote".into())
            .spawn(move || {
                let answer = ask(source.as_ref(), &detector, &key, &cancel);
                let _ = tx.send((generation, key, answer));
                if let Ok(mut n) = threads.lock() {
                    *n = n.saturating_sub(1);
                }
            });
        if let Err(e) = spawned {
            self.running = None;
            self.status = Some(format!("cannot start a query: {e}"));
        }
    }

    /// Cancels the running query (its thread ends with `Cancelled`, which is then dropped).
    pub fn cancel_running(&mut self) -> bool {
        match self.running.take() {
            Some(r) => {
                r.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Esc: cancels the running query and leaves its view unasked until r (true when one ran).
    pub fn cancel_by_user(&mut self) -> bool {
        let Some(key) = self.running.as_ref().map(|r| r.key.clone()) else {
            return false;
        };
        self.cancel_running();
        self.failed = Some(key);
        self.error = Some("cancelled".into());
        self.status = Some("query cancelled: r asks again".into());
        true
    }

    /// Takes the answers that arrived; true when the screen changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        while let Ok((generation, key, result)) = self.rx.try_recv() {
            let current = self
                .running
                .as_ref()
                .is_some_and(|r| r.generation == generation);
            match result {
                Ok(answer) => {
                    // An answer to an older request is still right for its key: keep it.
                    self.cache.insert(key, answer);
                    if current {
                        self.status = None;
                    }
                }
                Err(SourceError::Cancelled) => {}
                Err(e) if current => {
                    self.failed = Some(key);
                    let text = crate::sanitize::inert(&e.to_string()).into_owned();
                    self.status = Some(if text.contains("cannot reach") {
                        format!("connection lost — {text}; r retries (the next view reconnects)")
                    } else {
                        text.clone()
                    });
                    self.error = Some(text);
                }
                Err(_) => {}
            }
            if current {
                self.running = None;
            }
            changed = true;
        }
        if changed {
            self.clamp();
            self.request();
        }
        changed
    }

    fn clamp(&mut self) {
        let n = match self.answer() {
            Some(Answer::Records(p)) => p.rows.len(),
            Some(Answer::Anomalies(a)) => a.rows.len(),
            Some(Answer::Ranking(r)) => r.rows.len(),
            _ => return,
        };
        self.cursor = self.cursor.min(n.saturating_sub(1));
    }

    /// Sets the filter: every view is asked again for it (earlier answers stay cached).
    pub fn set_filter(&mut self, text: Option<String>) {
        self.filter = text.filter(|t| !t.trim().is_empty());
        self.offset = 0;
        self.cursor = 0;
        self.scroll = 0;
        self.status = None;
        self.request();
    }

    /// Forgets the failed answer so that the view is asked again.
    pub fn retry(&mut self) {
        self.error = None;
        self.failed = None;
        self.status = None;
        if let Some(k) = self.wanted() {
            self.cache.remove(&k);
        }
        self.request();
    }

    /// Advances the spinner.
    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }
}

/// Asks `source` the question `key` (on the background thread).
fn ask(
    source: &dyn Source,
    detector: &Detector,
    key: &ViewKey,
    cancel: &AtomicBool,
) -> Result<Answer, SourceError> {
    let scope = |f: &String| Scope {
        filter: Some(f.clone()).filter(|f| !f.is_empty()),
        rule: None,
    };
    Ok(match key {
        ViewKey::Records {
            filter,
            offset,
            limit,
        } => Answer::Records(source.records(
            &RecordsQuery {
                scope: scope(filter),
                sort: None,
                offset: *offset,
                limit: *limit,
            },
            cancel,
        )?),
        ViewKey::Summary { filter } => {
            Answer::Summary(Box::new(source.summary(&scope(filter), cancel)?))
        }
        ViewKey::Timeline { filter } => Answer::Timeline(source.timeline(
            &TimelineQuery {
                scope: scope(filter),
                bucket_secs: None,
                range: None,
            },
            cancel,
        )?),
        ViewKey::Ranking { filter, column } => Answer::Ranking(source.ranking(
            &RankingQuery {
                scope: scope(filter),
                key: column.clone(),
                by: RankBy::Sessions,
                top: 50,
            },
            cancel,
        )?),
        ViewKey::Anomalies => {
            let q = AnomalyQuery {
                scope: Scope::default(),
                limit: 200,
            };
            match source.anomalies(&q, cancel) {
                Err(SourceError::NoModel) => {
                    detector(cancel)?;
                    Answer::Anomalies(source.anomalies(&q, cancel)?)
                }
                other => Answer::Anomalies(other?),
            }
        }
        ViewKey::Detail(id) => Answer::Detail(Box::new(source.detail(
            *id,
            &Scope::default(),
            50,
            cancel,
        )?)),
    })
}

/// Runs the remote explorer until the user quits, a signal arrives or the terminal goes away.
pub fn run(app: &mut RemoteApp) -> std::io::Result<()> {
    use ratatui::crossterm::event::{self, Event, KeyEventKind};
    use std::time::{Duration, Instant};
    let (hangup, _finished) = super::hangup::Hangup::install();
    let mut terminal = ratatui::try_init()?;
    let _restore = super::Restore;
    let mut last_tick = Instant::now();
    let mut dirty = true;
    while !app.quit && !hangup.stopped() {
        if app.poll() {
            dirty = true;
        }
        if app.busy() && last_tick.elapsed() >= Duration::from_millis(100) {
            last_tick = Instant::now();
            app.tick();
            dirty = true;
        }
        if dirty {
            terminal.draw(|f| {
                app.page = usize::from(f.area().height.saturating_sub(6)).max(1);
                f.render_widget(&*app, f.area());
            })?;
            // A new height asks for a page of that many rows.
            app.request();
            dirty = false;
        }
        if hangup.stopped() || !event::poll(Duration::from_millis(30))? {
            continue;
        }
        loop {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    if let Some(key) = keys::from_event(&k) {
                        app.key(key);
                    }
                }
                _ => {}
            }
            dirty = true;
            if app.quit || hangup.stopped() || !event::poll(Duration::ZERO)? {
                break;
            }
        }
    }
    app.cancel_running();
    Ok(())
}
