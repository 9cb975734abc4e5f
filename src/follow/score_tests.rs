//! Tests of the follow scorer, with the time passed in.

use super::*;
use crate::follow::Header;
use std::sync::Arc;

/// The demo data's header and its records.
fn demo(rows: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let mut csv = Vec::new();
    crate::demo::write_demo(&mut csv, rows, seed).unwrap();
    let nl = csv.iter().position(|&b| b == b'\n').unwrap();
    (csv[..nl].to_vec(), csv[nl + 1..].to_vec())
}

fn rec(header: &[u8], bytes: &[u8], fresh: bool) -> Records {
    Records {
        file: "f.csv".into(),
        header: Arc::new(Header {
            bytes: header.to_vec(),
            delimiter: b',',
        }),
        first_line: 2,
        bytes: bytes.to_vec(),
        fresh,
    }
}

fn scorer(warmup: Option<usize>, refit: Option<Duration>, window: Window) -> Scorer {
    Scorer::new(
        ScoreOptions {
            contamination: Contamination::Fraction(0.05),
            warmup,
            refit_every: refit,
            window,
        },
        Box::new(DetectParams::defaults_for),
    )
}

/// `rows` whole records from the start of `bytes`.
fn first_records(bytes: &[u8], rows: usize) -> &[u8] {
    let end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(rows - 1)
        .unwrap()
        .0;
    &bytes[..=end]
}

#[test]
fn rows_seen_again_score_as_in_the_fit_and_the_cut_flags_the_same_share() {
    let (header, body) = demo(3000, 5);
    let mut s = scorer(None, None, Window::All);
    let start = s.push(&rec(&header, &body, true), Duration::ZERO).unwrap();
    assert!(start.hits.is_empty(), "rows before the fit are not scored");
    assert!(s.fit_now(Duration::ZERO).unwrap());
    assert_eq!(s.kept_rows(), 0, "no refit asked: nothing kept");
    let model = s.model().unwrap();
    let fit_scores = model.run.scores().to_vec();
    let expected = fit_scores.iter().filter(|&&x| x > model.threshold).count();
    assert_eq!(expected, 150, "5% of 3000");
    let again = s
        .push(&rec(&header, &body, false), Duration::from_secs(1))
        .unwrap();
    assert_eq!(again.hits.len(), expected);
    for h in &again.hits {
        assert_eq!(h.score, fit_scores[h.row]);
        assert_eq!(h.file_row, 3000 + h.row as u64);
        assert!(!h.explanation_line.is_empty());
    }
    assert_eq!(s.counts.rows, 6000);
    assert_eq!(s.counts.flagged, expected as u64);
}

#[test]
fn a_warmup_fits_on_its_first_rows_and_scores_the_rest_of_that_batch() {
    let (header, body) = demo(400, 8);
    let mut s = scorer(Some(300), None, Window::All);
    let first = first_records(&body, 200);
    assert!(
        s.push(&rec(&header, first, true), Duration::ZERO)
            .unwrap()
            .hits
            .is_empty()
    );
    assert!(s.model().is_none());
    let scored = s
        .push(&rec(&header, &body[first.len()..], false), Duration::ZERO)
        .unwrap();
    let model = s.model().unwrap();
    assert_eq!(model.rows, 300);
    assert!(
        scored
            .hits
            .iter()
            .all(|h| h.row >= 100 && h.file_row >= 300),
        "only rows past the warm-up"
    );
    assert_eq!(s.counts.rows, 400);
}

#[test]
fn too_little_at_the_start_waits_for_the_default_warmup() {
    let (header, body) = demo(DEFAULT_WARMUP + 10, 2);
    let mut s = scorer(None, None, Window::All);
    s.push(&rec(&header, first_records(&body, 5), true), Duration::ZERO)
        .unwrap();
    assert!(!s.fit_now(Duration::ZERO).unwrap());
    s.push(
        &rec(&header, &body[first_records(&body, 5).len()..], false),
        Duration::ZERO,
    )
    .unwrap();
    assert_eq!(s.model().unwrap().rows, DEFAULT_WARMUP);
}

#[test]
fn a_row_window_bounds_what_refits_keep_while_counts_stay_exact() {
    let (header, body) = demo(1000, 4);
    let every = Duration::from_secs(60);
    let mut s = scorer(Some(100), Some(every), Window::Rows(250));
    let mut at = 0;
    let mut pushed = 0;
    for i in 0..10 {
        let part = first_records(&body[at..], 100);
        at += part.len();
        pushed += 100;
        let now = Duration::from_secs(i * 10);
        s.push(&rec(&header, part, i == 0), now).unwrap();
        assert!(s.kept_rows() <= 350, "{}", s.kept_rows());
        assert!(s.kept_rows() >= 250.min(pushed), "{}", s.kept_rows());
        let refitted = s.maybe_refit(now).unwrap();
        assert_eq!(refitted, now >= every && i % 6 == 0, "at {now:?}");
    }
    assert_eq!(s.counts.rows, 1000);
    assert_eq!(s.counts.fits, 2);
    assert!(s.model().unwrap().rows <= 350);
}

#[test]
fn a_time_window_drops_rows_older_than_it() {
    let (header, body) = demo(600, 4);
    let mut s = scorer(
        Some(100),
        Some(Duration::from_secs(1)),
        Window::Time(Duration::from_secs(30)),
    );
    let mut at = 0;
    for i in 0..6 {
        let part = first_records(&body[at..], 100);
        at += part.len();
        s.push(&rec(&header, part, i == 0), Duration::from_secs(i * 20))
            .unwrap();
    }
    // Pushed at 0, 20, …, 100 s: the batches from 80 s and 100 s are within 30 s of the last.
    assert_eq!(s.kept_rows(), 200);
}

#[test]
fn windows_and_durations_parse_as_people_write_them() {
    assert_eq!("100000".parse::<Window>(), Ok(Window::Rows(100_000)));
    assert_eq!(
        "10m".parse::<Window>(),
        Ok(Window::Time(Duration::from_secs(600)))
    );
    assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert!(
        parse_duration("10 parsecs")
            .unwrap_err()
            .contains("30s, 10m")
    );
    assert!("0".parse::<Window>().is_err());
    assert!(parse_duration("0s").is_err());
}
