//! Waking up when a followed path changes: the `notify` crate's native watcher (inotify,
//! kqueue, …), or its polling watcher where no native one works (some network file systems,
//! containers without inotify). Either way the caller also polls on a timer, so a missed event
//! only delays reading, never loses data. This module reads no file and decides nothing: it
//! only says "look again".

use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// How often the polling fallback looks at the files.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A live watch; dropping it stops watching.
pub struct Watch {
    _watcher: Box<dyn Watcher + Send>,
    /// One message per change seen.
    pub changes: Receiver<()>,
    /// Whether this is the polling fallback.
    pub polling: bool,
}

/// Watches `path` (a folder: its entries; a file: its folder, to see renames and new files).
pub fn watch(path: &Path, folder: bool) -> Result<Watch, String> {
    let target = if folder {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        }
    };
    let (tx, rx) = channel();
    let native_tx = tx.clone();
    let native = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = native_tx.send(());
    })
    .and_then(|mut w| w.watch(&target, RecursiveMode::NonRecursive).map(|()| w));
    if let Ok(w) = native {
        return Ok(Watch {
            _watcher: Box::new(w),
            changes: rx,
            polling: false,
        });
    }
    let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
    let mut w = notify::PollWatcher::new(
        move |_: notify::Result<notify::Event>| {
            let _ = tx.send(());
        },
        config,
    )
    .map_err(|e| e.to_string())?;
    w.watch(&target, RecursiveMode::NonRecursive)
        .map_err(|e| format!("{}: cannot watch: {e}", target.display()))?;
    Ok(Watch {
        _watcher: Box::new(w),
        changes: rx,
        polling: true,
    })
}
