//! How long a key press holds the explorer's UI thread while a followed file grows at a
//! given rate (issue 16: ≤ 16 ms at 50 000 rows/s).
//!
//! Starts `--follow` on a file of demo rows, then a writer thread appends demo rows at RATE rows
//! per second (a write every 10 ms) for SECONDS while this thread runs the explorer's loop as
//! `tui::run` does — take worker results and follow snapshots, handle a key, draw — on a
//! TestBackend, pressing a key (down, up, tab switches) every 30 ms. It times each key press
//! from the event to the end of the frame drawn after it, and separately the time the loop
//! spends taking a snapshot (also on the UI thread), and the time between two complete views
//! arriving (how often Summary, Timeline, Rankings and Anomalies refresh). Prints the
//! distributions and the rows shown at the end; asserts nothing (timings belong in
//! BENCHMARKS.md, not tests). WINDOW (a row count, 0 for none) is the explorer's `--window`.
//!
//! `cargo run --release --example follow_keys_bench -- [RATE] [SECONDS] [START_ROWS] [WINDOW]`

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::io::Write;
use std::time::{Duration, Instant};
use threatlens::tui::action::Msg;
use threatlens::tui::app::{App, Source};
use threatlens::tui::event_msg;
use threatlens::tui::keymap::Keymap;
use threatlens::tui::theme::Theme;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn show(name: &str, v: &mut [Duration]) {
    println!(
        "{name}: n {} · median {:.2} ms · p99 {:.2} ms · max {:.2} ms",
        v.len(),
        pct(v, 0.5).as_secs_f64() * 1e3,
        pct(v, 0.99).as_secs_f64() * 1e3,
        pct(v, 1.0).as_secs_f64() * 1e3
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rate = arg(1, 50_000);
    let seconds = arg(2, 10);
    let start_rows = arg(3, 5_000) as usize;
    let window = match arg(4, 0) {
        0 => threatlens::follow::score::Window::All,
        n => threatlens::follow::score::Window::Rows(n as usize),
    };
    let total = start_rows + (rate * seconds) as usize;
    let mut csv = Vec::new();
    threatlens::demo::write_demo(&mut csv, total, 7)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("live.csv");
    let lines: Vec<&[u8]> = csv.split_inclusive(|&b| b == b'\n').collect();
    let head: Vec<u8> = lines[..=start_rows].concat();
    std::fs::write(&path, head)?;
    let mut app = App::new(
        Source::Follow(path.display().to_string(), window),
        Keymap::default(),
        Theme { color: false },
        None,
    );
    app.update(Msg::Resize(160, 40));
    let mut term = Terminal::new(TestBackend::new(160, 40))?;
    app.wait_follow(|a| a.det.is_some() && a.view.as_ref().is_some_and(|v| v.complete));
    println!(
        "fitted on {} rows; appending {rate} rows/s for {seconds} s",
        start_rows
    );
    let rest: Vec<u8> = lines[start_rows + 1..].concat();
    let per_write = (rate / 100).max(1) as usize;
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || -> std::io::Result<u64> {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&writer_path)?;
        let t0 = Instant::now();
        let mut written = 0u64;
        for (k, chunk) in rest
            .split_inclusive(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .chunks(per_write)
            .enumerate()
        {
            let due = t0 + Duration::from_millis(10 * k as u64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            f.write_all(&chunk.concat())?;
            written += chunk.len() as u64;
        }
        Ok(written)
    });
    let keys = [
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Up,
        KeyCode::Char('4'),
        KeyCode::Down,
        KeyCode::Char('5'),
        KeyCode::Char('3'),
        KeyCode::Char('1'),
    ];
    let (mut key_times, mut take_times, mut view_gaps) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_view = (app.view.clone(), Instant::now());
    let end = Instant::now() + Duration::from_secs(seconds + 2);
    let mut next_key = Instant::now();
    let mut k = 0;
    while Instant::now() < end {
        app.poll_worker();
        if let Some(v) = app.view.as_ref().filter(|v| v.complete)
            && !last_view
                .0
                .as_ref()
                .is_some_and(|l| std::sync::Arc::ptr_eq(l, v))
        {
            view_gaps.push(last_view.1.elapsed());
            last_view = (Some(v.clone()), Instant::now());
        }
        let t = Instant::now();
        if app.poll_follow() {
            take_times.push(t.elapsed());
        }
        if Instant::now() >= next_key {
            let t = Instant::now();
            let ev = Event::Key(KeyEvent::new(keys[k % keys.len()], KeyModifiers::NONE));
            if let Some(m) = event_msg(&app, ev) {
                app.update(m);
            }
            term.draw(|f| f.render_widget(&app, f.area()))?;
            key_times.push(t.elapsed());
            k += 1;
            next_key += Duration::from_millis(30);
        } else {
            term.draw(|f| f.render_widget(&app, f.area()))?;
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let written = writer
        .join()
        .map_err(|_| std::io::Error::other("writer panicked"))??;
    app.wait_follow(|a| {
        a.follow
            .as_ref()
            .is_some_and(|f| f.dropped as usize + a.ds.as_ref().map_or(0, |d| d.rows) == total)
    });
    println!(
        "rows written {written} · rows read at the end {} · rows shown {}",
        threatlens::tui::follow::rows_read(&app).unwrap_or(0),
        app.ds.as_ref().map_or(0, |d| d.rows)
    );
    show("key press → frame drawn", &mut key_times);
    show("taking a snapshot (UI thread)", &mut take_times);
    show("between two complete views (refresh)", &mut view_gaps);
    Ok(())
}
