//! Interactive figures of the explorer, measured headlessly through the same
//! `App::update` path a key press takes and drawn on a TestBackend:
//! first frame after start, when Records, the statistics and detection arrive,
//! how long a key press holds the UI thread (search, opening the drill-down),
//! a redraw of every tab and of the open drill-down, a contamination change
//! (update + redraw), a feature change (refit + rescore on the worker), and a
//! sort and a filter of Records.
//!
//! `cargo run --release --example interactive_bench -- FILE` (e.g. a 1 M-row file
//! from `threatlens demo --rows 1000000 -o /tmp/d.csv`). Prints medians of a few
//! runs; it asserts nothing (timings belong in BENCHMARKS.md, not tests).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::time::{Duration, Instant};
use threatlens::tui::action::{Action, InputEdit, Msg};
use threatlens::tui::app::{App, Source};
use threatlens::tui::event_msg;
use threatlens::tui::keymap::Keymap;
use threatlens::tui::theme::Theme;

fn draw(app: &App, t: &mut Terminal<TestBackend>) {
    let _ = t.draw(|f| f.render_widget(app, f.area()));
}

fn press(app: &mut App, c: char) {
    if let Some(a) = event_msg(
        app,
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    ) {
        app.update(a);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: interactive_bench FILE");
        std::process::exit(2);
    };
    let mut term = match Terminal::new(TestBackend::new(160, 48)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    // First frame: the loading screen with its progress bar.
    let start = Instant::now();
    let mut app = App::new(
        Source::Path(path.clone()),
        Keymap::default(),
        Theme::default(),
        None,
    );
    app.update(Msg::Resize(160, 48));
    draw(&app, &mut term);
    let first_frame = start.elapsed();
    let until = |app: &mut App, done: &dyn Fn(&App) -> bool| {
        while !done(app) {
            app.poll_worker();
            std::thread::sleep(Duration::from_millis(1));
        }
        start.elapsed()
    };
    let records = until(&mut app, &|a| a.view.is_some() || a.load_error.is_some());
    let stats = until(&mut app, &|a| a.view.as_ref().is_none_or(|v| v.complete));
    let detected = until(&mut app, &|a| a.det.is_some() || a.det_error.is_some());
    app.wait_idle();
    let ready = start.elapsed();
    let rows = app.ds.as_ref().map_or(0, |d| d.rows);
    println!("file {path}: {rows} rows");
    println!("first frame (progress bar)      {}", ms(first_frame));
    println!("Records shown (usable)          {}", ms(records));
    println!("statistics and rankings in      {}", ms(stats));
    println!("detection in                    {}", ms(detected));
    println!("everything idle                 {}", ms(ready));

    // Every tab's redraw.
    for tab in ['1', '2', '3', '4', '5', '6', '7'] {
        press(&mut app, tab);
        app.wait_idle();
        let times: Vec<Duration> = (0..10)
            .map(|_| {
                let t0 = Instant::now();
                draw(&app, &mut term);
                t0.elapsed()
            })
            .collect();
        println!("redraw tab {tab}                    {}", ms(median(times)));
    }

    // Search: the key press only asks the worker; the worker scans the view.
    press(&mut app, '1');
    app.wait_idle();
    press(&mut app, '/');
    for c in "203.0.113".chars() {
        press(&mut app, c);
    }
    let t0 = Instant::now();
    app.update(Msg::Key(Action::Input(InputEdit::Submit)));
    let stall = t0.elapsed();
    app.wait_idle();
    println!("search: key press on UI thread  {}", ms(stall));
    println!(
        "search: answer from the worker  {} ({})",
        ms(t0.elapsed()),
        app.status.clone().unwrap_or_default()
    );
    let mut next = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        press(&mut app, 'n');
        next.push(t0.elapsed());
        app.wait_idle();
    }
    println!(
        "search next: key press          {} (median of 5)",
        ms(median(next))
    );

    // Drill-down: opening it asks the worker; redraws read the answer.
    let t0 = Instant::now();
    app.update(Msg::Key(Action::Enter));
    let open = t0.elapsed();
    app.wait_idle();
    let answered = t0.elapsed();
    let times: Vec<Duration> = (0..20)
        .map(|_| {
            let t0 = Instant::now();
            draw(&app, &mut term);
            t0.elapsed()
        })
        .collect();
    println!("drill-down: key press           {}", ms(open));
    println!("drill-down: answer from worker  {}", ms(answered));
    println!(
        "drill-down: redraw while open   {} (median of 20)",
        ms(median(times))
    );
    app.update(Msg::Key(Action::Close));

    // Contamination change: update + redraw of the anomaly list, no refit.
    press(&mut app, '5');
    app.wait_idle();
    draw(&app, &mut term);
    let mut times = Vec::new();
    for i in 0..20 {
        let t0 = Instant::now();
        press(&mut app, if i % 2 == 0 { '+' } else { '-' });
        draw(&app, &mut term);
        times.push(t0.elapsed());
        app.wait_idle();
    }
    println!(
        "contamination change + redraw   {} (median of 20)",
        ms(median(times))
    );

    // Feature change: refit + rescore in the background; the UI stays responsive.
    let mut refits = Vec::new();
    let mut frames = Vec::new();
    for _ in 0..3 {
        press(&mut app, 'F');
        let t0 = Instant::now();
        press(&mut app, 'j');
        press(&mut app, 'j');
        press(&mut app, 'j');
        press(&mut app, ' ');
        // Input keeps being handled while the worker refits.
        let f0 = Instant::now();
        press(&mut app, 'k');
        press(&mut app, 'j');
        draw(&app, &mut term);
        frames.push(f0.elapsed());
        while app.det_stale {
            app.poll_worker();
            std::thread::sleep(Duration::from_millis(1));
        }
        refits.push(t0.elapsed());
        press(&mut app, ' ');
        app.update(Msg::Key(Action::Close));
        app.wait_idle();
    }
    println!(
        "feature change: refit + rescore {} (median of 3)",
        ms(median(refits))
    );
    println!("  a key press during the refit  {}", ms(median(frames)));

    // Sort and filter of Records, on the worker.
    press(&mut app, '1');
    app.wait_idle();
    let t0 = Instant::now();
    press(&mut app, 'S');
    app.wait_idle();
    println!("sort Records by bytes_in        {}", ms(t0.elapsed()));
    let t0 = Instant::now();
    app.set_filter(Some("bytes_in > 100000 and country != US".into()));
    app.wait_idle();
    println!(
        "filter Records ({} rows match)  {}",
        app.view.as_ref().map_or(0, |v| v.rows.len()),
        ms(t0.elapsed())
    );
}
