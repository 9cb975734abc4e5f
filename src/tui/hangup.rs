//! Ending the explorer when its terminal goes away: SIGHUP, SIGTERM, SIGINT, or a terminal that
//! has hung up (an SSH drop, a closed window, `tmux kill-session`).
//!
//! The event loop checks [`Hangup::stopped`] on every turn and before every read, and leaves
//! normally when it is set. That is not enough on its own: crossterm 0.29 reads a hung-up tty in a
//! loop that only ends on `WouldBlock`, and a hung-up tty answers every read with end of input, so
//! the read never returns and the loop never gets to look. A watchdog thread therefore polls the
//! controlling terminal for `POLLHUP`/`POLLERR` (it never reads from it, so it takes no input away)
//! and watches the signal flag; once either fires it gives the loop [`GRACE`] to finish, then puts
//! the terminal back as far as it still can (raw writes, no stdout lock) and exits the process. A
//! worker job in flight is abandoned with the process, not waited for.
//!
//! This module owns only that policy; it draws nothing and knows nothing of the app.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// How long the event loop gets to leave by itself once the terminal is gone.
pub const GRACE: Duration = Duration::from_millis(400);
/// The same once the terminal itself has hung up: nothing is left to restore on it.
const GRACE_HUNG_UP: Duration = Duration::from_millis(150);
/// How often the watchdog looks.
const EVERY: Duration = Duration::from_millis(50);

/// Shared between the event loop and the watchdog.
#[derive(Clone)]
pub struct Hangup {
    stop: Arc<AtomicBool>,
    /// The signal that set `stop`, or 0 (terminal hung up or closed).
    signal: Arc<AtomicI32>,
    finished: Arc<AtomicBool>,
    tty: Option<Arc<Tty>>,
}

/// Marks the explorer as finished when dropped, so the watchdog stands down.
pub struct Finished(Arc<AtomicBool>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Hangup {
    /// Registers the signal handlers and starts the watchdog. The returned guard must live
    /// until the terminal has been restored.
    pub fn install() -> (Hangup, Finished) {
        let h = Hangup {
            stop: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicI32::new(0)),
            finished: Arc::new(AtomicBool::new(false)),
            tty: Tty::open().map(Arc::new),
        };
        #[cfg(unix)]
        for sig in [
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
            signal_hook::consts::SIGINT,
        ] {
            let _ = signal_hook::flag::register(sig, h.stop.clone());
            let code = h.signal.clone();
            // SAFETY: the closure only stores to an atomic, which is async-signal-safe.
            let _ = unsafe {
                signal_hook::low_level::register(sig, move || {
                    let _ = code.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                })
            };
        }
        let w = h.clone();
        let _ = std::thread::Builder::new()
            .name("threatlens-hangup".into())
            .spawn(move || w.watch());
        let finished = Finished(h.finished.clone());
        (h, finished)
    }

    /// Whether the explorer must end now (a signal arrived or the terminal hung up).
    pub fn stopped(&self) -> bool {
        if self.stop.load(Ordering::SeqCst) {
            return true;
        }
        if self.tty.as_ref().is_some_and(|t| t.hung_up()) {
            self.stop.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// The exit status for the way the explorer was stopped: 128 + signal, or 129 (as SIGHUP)
    /// when the terminal hung up without one.
    pub fn exit_code(&self) -> i32 {
        match self.signal.load(Ordering::SeqCst) {
            0 => 129,
            s => 128 + s,
        }
    }

    fn watch(&self) {
        loop {
            if self.finished.load(Ordering::SeqCst) {
                return;
            }
            if self.stopped() {
                let hung_up = self.tty.as_ref().is_some_and(|t| t.hung_up());
                let deadline = Instant::now() + if hung_up { GRACE_HUNG_UP } else { GRACE };
                while Instant::now() < deadline {
                    if self.finished.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                force_restore();
                std::process::exit(self.exit_code());
            }
            std::thread::sleep(EVERY);
        }
    }
}

/// Undoes what the explorer did to the terminal without taking Rust's stdout lock (the event
/// loop may hold it, stuck): mouse capture off, cursor shown, main screen, cooked mode.
fn force_restore() {
    const SEQ: &[u8] =
        b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?25h\x1b[?1049l";
    #[cfg(unix)]
    {
        // SAFETY: a plain write of a static buffer to fd 1; errors (a dead terminal) are ignored.
        let _ = unsafe { libc::write(1, SEQ.as_ptr().cast(), SEQ.len()) };
    }
    #[cfg(not(unix))]
    let _ = SEQ;
    let _ = ratatui::crossterm::terminal::disable_raw_mode();
}

/// The controlling terminal, opened only to be polled for a hang-up.
struct Tty {
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

impl Tty {
    #[cfg(unix)]
    fn open() -> Option<Tty> {
        use std::os::fd::OwnedFd;
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open("/dev/tty")
            .ok()?;
        Some(Tty {
            fd: OwnedFd::from(file),
        })
    }

    #[cfg(not(unix))]
    fn open() -> Option<Tty> {
        None
    }

    /// Whether the terminal has hung up or failed. Asks for no events, so nothing is read.
    #[cfg(unix)]
    fn hung_up(&self) -> bool {
        use std::os::fd::AsRawFd;
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, zero timeout.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        n > 0 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
    }

    #[cfg(not(unix))]
    fn hung_up(&self) -> bool {
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_signal_stops_and_names_the_exit_code() {
        let h = Hangup {
            stop: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicI32::new(0)),
            finished: Arc::new(AtomicBool::new(false)),
            tty: None,
        };
        assert!(!h.stopped());
        assert_eq!(h.exit_code(), 129);
        h.signal
            .store(signal_hook::consts::SIGTERM, Ordering::SeqCst);
        h.stop.store(true, Ordering::SeqCst);
        assert!(h.stopped());
        assert_eq!(h.exit_code(), 143);
    }

    #[test]
    fn a_closed_pty_reads_as_hung_up() {
        // A pseudo-terminal whose master side is closed is what an SSH drop leaves behind.
        // SAFETY: plain libc calls on fds this test owns.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0);
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let name = std::ffi::CStr::from_ptr(libc::ptsname(master))
                .to_string_lossy()
                .into_owned();
            let file = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags_nonblocking()
                .open(&name)
                .unwrap();
            let tty = Tty {
                fd: std::os::fd::OwnedFd::from(file),
            };
            assert!(!tty.hung_up(), "an open pty is not hung up");
            libc::close(master);
            assert!(tty.hung_up(), "the pty's master is closed");
        }
    }

    trait NonBlocking {
        fn custom_flags_nonblocking(&mut self) -> &mut Self;
    }
    impl NonBlocking for std::fs::OpenOptions {
        fn custom_flags_nonblocking(&mut self) -> &mut Self {
            use std::os::unix::fs::OpenOptionsExt;
            self.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        }
    }
}
