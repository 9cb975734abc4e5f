//! Opt-in phase timings for profiling: with `THREATLENS_TIMINGS=1` in the
//! environment, each [`phase`] prints its wall time to stderr. Off by default;
//! the check is one cached environment lookup.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("THREATLENS_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Called with each phase's name as it starts (the CLI's progress bar shows it).
static HOOK: OnceLock<fn(&str)> = OnceLock::new();

/// Registers the function told each phase's name as it starts (the first registration wins).
pub fn on_phase(hook: fn(&str)) {
    let _ = HOOK.set(hook);
}

/// Runs `f`, printing `timing: NAME MS ms` to stderr when timings are on.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if let Some(hook) = HOOK.get() {
        hook(name);
    }
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    eprintln!(
        "timing: {name} {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    out
}

/// Successive laps: each [`Laps::lap`] prints the time since the previous one.
pub struct Laps {
    last: Option<Instant>,
}

impl Laps {
    pub fn start() -> Self {
        Laps {
            last: enabled().then(Instant::now),
        }
    }

    pub fn lap(&mut self, name: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            eprintln!(
                "timing: {name} {:.1} ms",
                now.duration_since(last).as_secs_f64() * 1e3
            );
            self.last = Some(now);
        }
    }
}
