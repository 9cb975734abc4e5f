//! The one background worker: loading, filtered views and detection run here,
//! never on the UI thread.
//!
//! Each kind of job has a slot; submitting a job replaces the one waiting in its
//! slot and cancels the one running for it (newest request wins). Jobs carry a
//! generation number, and the app drops results older than what it asked for last.
//! Results come back over a channel as [`JobResult`]s that the event loop hands
//! to the app as `Msg::Worker`. The worker knows nothing of what jobs compute: they are closures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::dataset::Dataset;
use crate::detect::entity::EntityRun;
use crate::detect::pipeline::DetectionRun;
use crate::source::RecordDetail;
use crate::source::search::SearchHit;
use crate::source::view::ViewData;

/// The kinds of job, in the order the worker takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Load = 0,
    /// The drill-down of one record (quick: taken before a refit or a view).
    Detail = 1,
    /// The first view's rows alone, so Records show before the statistics.
    Rows = 2,
    /// The next match of the Records search (one pass over the view's rows).
    Search = 3,
    /// The filtered view: taken before a refit, so rows and statistics show first.
    View = 4,
    Detect = 5,
    /// Per-entity detection (the Anomalies tab's entity view).
    Entities = 6,
    /// The classifier against the label (the evaluation panel).
    Classify = 7,
    /// The bytes of an export or report (`x`, `e`).
    Write = 8,
}

const SLOTS: [Slot; 9] = [
    Slot::Load,
    Slot::Detail,
    Slot::Rows,
    Slot::Search,
    Slot::View,
    Slot::Detect,
    Slot::Entities,
    Slot::Classify,
    Slot::Write,
];

/// What a job returns.
pub enum JobResult {
    Loaded {
        generation: u64,
        result: Result<Arc<Dataset>, String>,
    },
    Detected {
        generation: u64,
        result: Result<Arc<DetectionRun>, String>,
    },
    View {
        generation: u64,
        result: Result<Arc<ViewData>, String>,
    },
    /// Per-entity detection over every row (grouped by source IP).
    Entities {
        generation: u64,
        result: Result<Arc<EntityRun>, String>,
    },
    /// The classifier cross-validated on the label column.
    Classified {
        generation: u64,
        result: Result<Arc<crate::tui::supervised::SupervisedRun>, String>,
    },
    /// One record's drill-down.
    Detail {
        generation: u64,
        result: Result<Arc<RecordDetail>, String>,
    },
    /// The next match of a search and how many rows match.
    Search {
        generation: u64,
        result: Result<SearchHit, String>,
    },
    /// The bytes to write to `path`.
    Prepared {
        generation: u64,
        path: String,
        result: Result<Arc<Vec<u8>>, String>,
    },
}

impl JobResult {
    pub fn generation(&self) -> u64 {
        match self {
            JobResult::Loaded { generation, .. }
            | JobResult::Detected { generation, .. }
            | JobResult::View { generation, .. }
            | JobResult::Entities { generation, .. }
            | JobResult::Classified { generation, .. }
            | JobResult::Detail { generation, .. }
            | JobResult::Search { generation, .. }
            | JobResult::Prepared { generation, .. } => *generation,
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            JobResult::Loaded { .. } => "loaded",
            JobResult::Detected { .. } => "detected",
            JobResult::View { .. } => "view",
            JobResult::Entities { .. } => "entities",
            JobResult::Classified { .. } => "classified",
            JobResult::Detail { .. } => "detail",
            JobResult::Search { .. } => "search",
            JobResult::Prepared { .. } => "prepared",
        }
    }
}

impl std::fmt::Debug for JobResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobResult::{}(gen {})", self.kind(), self.generation())
    }
}

type Work = Box<dyn FnOnce(&AtomicBool) -> JobResult + Send>;

struct Pending {
    slots: [Option<Work>; SLOTS.len()],
    running: Option<(Slot, Arc<AtomicBool>)>,
    shutdown: bool,
}

/// Handle to the worker thread.
pub struct Worker {
    state: Arc<(Mutex<Pending>, Condvar)>,
    results: Receiver<JobResult>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn start() -> Worker {
        let state = Arc::new((
            Mutex::new(Pending {
                slots: std::array::from_fn(|_| None),
                running: None,
                shutdown: false,
            }),
            Condvar::new(),
        ));
        let (tx, rx) = channel();
        let s = state.clone();
        let handle = std::thread::Builder::new()
            .name("threatlens-worker".into())
            .spawn(move || worker_loop(&s, &tx))
            .ok();
        Worker {
            state,
            results: rx,
            handle,
        }
    }

    /// Queues a job, replacing the waiting one of its kind and cancelling the running one.
    pub fn submit(&self, slot: Slot, work: impl FnOnce(&AtomicBool) -> JobResult + Send + 'static) {
        let (lock, cv) = &*self.state;
        if let Ok(mut p) = lock.lock() {
            if let Some((running, cancel)) = &p.running
                && *running == slot
            {
                cancel.store(true, Ordering::Relaxed);
            }
            if let Some(s) = p.slots.get_mut(slot as usize) {
                *s = Some(Box::new(work));
            }
            cv.notify_all();
        }
    }

    /// Cancels the running and waiting job of a kind.
    pub fn cancel(&self, slot: Slot) {
        let (lock, _) = &*self.state;
        if let Ok(mut p) = lock.lock() {
            if let Some((running, cancel)) = &p.running
                && *running == slot
            {
                cancel.store(true, Ordering::Relaxed);
            }
            if let Some(s) = p.slots.get_mut(slot as usize) {
                *s = None;
            }
        }
    }

    /// A finished result, if any (never blocks).
    pub fn try_result(&self) -> Option<JobResult> {
        self.results.try_recv().ok()
    }

    /// Whether a job is waiting or running.
    pub fn busy(&self) -> bool {
        let (lock, _) = &*self.state;
        lock.lock()
            .map(|p| p.running.is_some() || p.slots.iter().any(Option::is_some))
            .unwrap_or(false)
    }

    /// Blocks until the next result (tests; the UI never calls this).
    pub fn wait_result(&self, timeout: std::time::Duration) -> Option<JobResult> {
        self.results.recv_timeout(timeout).ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let (lock, cv) = &*self.state;
        if let Ok(mut p) = lock.lock() {
            p.shutdown = true;
            if let Some((_, cancel)) = &p.running {
                cancel.store(true, Ordering::Relaxed);
            }
            cv.notify_all();
        }
        // Not joined: a job in flight is cancelled, never waited for (a load of a large file
        // or a refit must not hold the explorer open after a quit or a hang-up). The thread
        // ends at its next cancel check, or with the process.
        drop(self.handle.take());
    }
}

fn worker_loop(state: &Arc<(Mutex<Pending>, Condvar)>, tx: &Sender<JobResult>) {
    let (lock, cv) = &**state;
    loop {
        let (slot, work, cancel) = {
            let Ok(mut p) = lock.lock() else { return };
            loop {
                if p.shutdown {
                    return;
                }
                let next = (0..SLOTS.len()).find(|&i| p.slots.get(i).is_some_and(Option::is_some));
                if let Some(i) = next {
                    let slot = SLOTS[i];
                    let work = p.slots.get_mut(i).and_then(Option::take);
                    let cancel = Arc::new(AtomicBool::new(false));
                    p.running = Some((slot, cancel.clone()));
                    break (slot, work, cancel);
                }
                p = match cv.wait(p) {
                    Ok(p) => p,
                    Err(_) => return,
                };
            }
        };
        let _ = slot;
        if let Some(work) = work {
            // A panic inside a job must not take the worker (or the terminal) down.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&cancel)));
            if let Ok(mut p) = lock.lock() {
                p.running = None;
            }
            if let Ok(r) = result
                && !cancel.load(Ordering::Relaxed)
                && tx.send(r).is_err()
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn prepared(generation: u64) -> JobResult {
        JobResult::Prepared {
            generation,
            path: String::new(),
            result: Ok(Arc::new(Vec::new())),
        }
    }

    /// A job that runs until it is cancelled, after saying it has started.
    fn blocking(started: Sender<()>) -> impl FnOnce(&AtomicBool) -> JobResult + Send {
        move |cancel| {
            let _ = started.send(());
            while !cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            prepared(1)
        }
    }

    fn results(w: &Worker) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(r) = w.wait_result(Duration::from_millis(500)) {
            out.push(r.generation());
        }
        out
    }

    #[test]
    fn newest_request_wins() {
        let w = Worker::start();
        let (tx, started) = channel();
        w.submit(Slot::Write, blocking(tx));
        started.recv_timeout(Duration::from_secs(10)).unwrap();
        // Both arrive while the first runs: the first is cancelled, the second replaced.
        w.submit(Slot::Write, |_| prepared(2));
        w.submit(Slot::Write, |_| prepared(3));
        assert_eq!(results(&w), vec![3]);
        assert!(!w.busy());
    }

    #[test]
    fn cancel_drops_the_running_and_the_waiting_job() {
        let w = Worker::start();
        let (tx, started) = channel();
        w.submit(Slot::Write, blocking(tx));
        started.recv_timeout(Duration::from_secs(10)).unwrap();
        w.submit(Slot::Write, |_| prepared(2));
        w.cancel(Slot::Write);
        assert_eq!(results(&w), Vec::<u64>::new());
        assert!(!w.busy());
        // The worker still takes new work after a cancel.
        w.submit(Slot::Write, |_| prepared(4));
        assert_eq!(results(&w), vec![4]);
    }

    #[test]
    fn slots_are_independent_and_a_panicking_job_is_survived() {
        let w = Worker::start();
        w.submit(Slot::View, |_| panic!("a job that panics"));
        w.submit(Slot::Detect, |_| prepared(5));
        w.submit(Slot::Write, |_| prepared(6));
        // A panic's backtrace can take a while to print: wait for both, then for nothing more.
        let mut got: Vec<u64> = (0..2)
            .filter_map(|_| w.wait_result(Duration::from_secs(30)))
            .map(|r| r.generation())
            .collect();
        got.extend(results(&w));
        got.sort_unstable();
        assert_eq!(got, vec![5, 6]);
    }
}
