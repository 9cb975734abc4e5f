//! `threatlens detect --follow PATH`: follow a growing file or a folder and print each newly
//! flagged row as it is written.
//!
//! The shell over [`crate::follow`]: it owns the options, the loop (wake on a file-system change
//! or every [`TICK`], poll, score, print), the output (one line per flagged row, flushed at
//! once) and the exits: SIGTERM, SIGINT and SIGHUP end it cleanly with exit 0, and so does a
//! closed stdout (`| head -1`), seen on the next write or by polling stdout. Problems with the
//! data (a file refused, rejected rows) go to stderr with the file and reason and following
//! goes on. It must not decide detection: the scorer does.

use super::Failure;
use super::detect::{DetectArgs, DetectFormat, Flagged};
use crate::dataset::{Dataset, Role};
use crate::follow::score::{Hit, ScoreOptions, Scored, Scorer, Window, parse_duration};
use crate::follow::{Event, Follower, Header};
use clap::Args;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest wait between two polls when no change is reported.
pub const TICK: Duration = Duration::from_millis(200);
/// Rejected rows described on stderr; later ones are only counted.
const SHOWN_REJECTS: u64 = 20;

/// Options of `detect --follow`.
#[derive(Debug, Args, Clone, Default)]
pub struct FollowArgs {
    /// Keep reading FILE (a file, or a folder whose new files are read as they appear) and print
    /// each newly flagged row; ends on Ctrl-C, SIGTERM, SIGHUP or a closed stdout.
    #[arg(long, help_heading = "Following live logs")]
    pub follow: bool,
    /// Fit the forest on the first N rows (default: on what FILE holds at the start, or on the
    /// first 256 rows when it holds almost nothing).
    #[arg(long, value_name = "N", requires = "follow", help_heading = "Following live logs",
          value_parser = clap::value_parser!(u64).range(2..))]
    pub warmup: Option<u64>,
    /// Refit on the rows so far (those in --window) every DURATION, e.g. 10m or 1h.
    #[arg(long, value_name = "DURATION", requires = "follow", help_heading = "Following live logs",
          value_parser = parse_duration)]
    pub refit_every: Option<Duration>,
    /// Rows kept for refits: those of the last DURATION (e.g. 1h) or the last ROWS (e.g.
    /// 100000). Counts stay exact. Default: all rows (kept only when refitting).
    #[arg(
        long,
        value_name = "DURATION|ROWS",
        requires = "refit_every",
        help_heading = "Following live logs"
    )]
    pub window: Option<Window>,
}

/// `--follow` of the explorer (`threatlens --follow PATH`).
#[derive(Debug, Args, Clone, Default)]
pub struct ExploreFollowArgs {
    /// Keep reading FILE as it grows (a file, or a folder whose new files are read as they
    /// appear): new rows show in every tab and are scored with the forest; p pauses, R refits.
    #[arg(long = "follow", help_heading = "Following live logs")]
    pub follow: bool,
    /// With --follow: the views keep only the rows of the last DURATION (e.g. 10m) or the last
    /// ROWS (e.g. 100000); the header's counts (rows read, flagged so far) stay exact.
    #[arg(
        long = "window",
        value_name = "DURATION|ROWS",
        requires = "follow",
        help_heading = "Following live logs"
    )]
    pub window: Option<Window>,
}

impl ExploreFollowArgs {
    /// What the explorer follows with: `None` when not following, else the window to keep.
    pub fn window(&self) -> Option<Window> {
        self.follow.then(|| self.window.unwrap_or_default())
    }

    /// Refuses what the explorer cannot follow (nothing, stdin, no terminal).
    pub fn check(&self, files: &[String], terminal: bool) -> Result<(), Failure> {
        if !self.follow {
            return Ok(());
        }
        match files.first().map(String::as_str) {
            None => Err(Failure::usage(
                "--follow needs a file or a folder to follow: threatlens --follow PATH",
            )),
            Some("-") => Err(Failure::usage(
                "--follow needs a file or a folder, not stdin",
            )),
            Some(_) if !terminal => Err(Failure::usage(
                "the explorer's --follow needs a terminal; for scripts use `threatlens detect --follow PATH --format jsonl`",
            )),
            Some(_) => Ok(()),
        }
    }
}

/// A flagged row of a followed file, as printed.
#[derive(serde::Serialize)]
struct FollowedRow<'a> {
    #[serde(flatten)]
    flagged: Flagged,
    file: &'a str,
}

/// Refuses the options `--follow` does not combine with.
fn check_args(a: &DetectArgs) -> Result<(), Failure> {
    let refuse = |what: &str| {
        Err(Failure::usage(format!(
            "{what} cannot be combined with --follow"
        )))
    };
    if matches!(a.format, DetectFormat::Csv | DetectFormat::Json) {
        return Err(Failure::usage(
            "--follow prints a line per newly flagged row: use --format jsonl (or table)",
        ));
    }
    if a.output.as_deref().is_some_and(|o| o != "-") {
        return refuse("--output (redirect stdout instead)");
    }
    if a.export.is_some() {
        return refuse("--export");
    }
    if a.detect.label.is_some() {
        return refuse("--label");
    }
    let i = &a.input;
    if i.trim_text
        || i.drop_duplicates
        || i.filter.is_some()
        || i.prep() != crate::analysis::prep::PrepOptions::default()
    {
        return refuse(
            "preprocessing (--trim-text, --drop-duplicates, --missing, --outliers, --filter)",
        );
    }
    if a.input.file == "-" {
        return Err(Failure::usage(
            "--follow needs a file or a folder, not stdin",
        ));
    }
    Ok(())
}

/// Where lines go, and whether the reader is gone.
struct Out {
    w: std::io::BufWriter<std::io::Stdout>,
    closed: bool,
}

impl Out {
    /// Writes and flushes one line; a closed pipe ends the run, other errors fail it.
    fn line(&mut self, text: &str) -> Result<(), Failure> {
        let r = self
            .w
            .write_all(text.as_bytes())
            .and_then(|()| self.w.flush());
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(Failure {
                code: 1,
                message: format!("cannot write to stdout: {}", crate::ingest::io_cause(&e)),
            }),
        }
    }
}

/// Whether stdout is a pipe whose reader has gone (asks for no events, reads nothing).
#[cfg(unix)]
fn stdout_gone() -> bool {
    let mut p = libc::pollfd {
        fd: 1,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents & (libc::POLLERR | libc::POLLNVAL) != 0
}

#[cfg(not(unix))]
fn stdout_gone() -> bool {
    false
}

/// Everything one follow session holds.
struct Session {
    follower: Follower,
    scorer: Scorer,
    expected: Option<Header>,
    format: DetectFormat,
    out: Out,
    start: Instant,
    rejects_shown: u64,
}

/// The `detect --follow` command.
pub fn cmd_follow(a: &DetectArgs) -> Result<(), Failure> {
    check_args(a)?;
    let follower = Follower::new(&a.input.file).map_err(|e| Failure::usage(e.to_string()))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    let watch = crate::follow::watch::watch(follower.root(), follower.is_folder());
    if let Err(e) = &watch {
        eprintln!(
            "threatlens: {}; checking for changes every {} ms instead",
            crate::sanitize::inert(e),
            TICK.as_millis()
        );
    }
    let opts = a.detect.clone();
    let scorer = Scorer::new(
        ScoreOptions {
            contamination: a.detect.contamination,
            warmup: a.follow.warmup.map(|n| n as usize),
            refit_every: a.follow.refit_every,
            window: a.follow.window.unwrap_or_default(),
        },
        Box::new(move |ds: &Dataset| opts.params(ds)),
    );
    let mut s = Session {
        follower,
        scorer,
        expected: None,
        format: a.format,
        out: Out {
            w: std::io::BufWriter::new(std::io::stdout()),
            closed: false,
        },
        start: Instant::now(),
        rejects_shown: 0,
    };
    // What is there at the start: read it all, then fit on it (or wait for the warm-up).
    loop {
        let (more, records) = s.step()?;
        if (!more && !records) || stop.load(Ordering::Relaxed) {
            break;
        }
    }
    if a.follow.warmup.is_none() {
        s.scorer
            .fit_now(s.start.elapsed())
            .map_err(Failure::usage)?;
    }
    s.announce();
    while !stop.load(Ordering::Relaxed) && !s.out.closed && !stdout_gone() {
        match &watch {
            Ok(w) => {
                let _ = w.changes.recv_timeout(TICK);
                while w.changes.try_recv().is_ok() {}
            }
            Err(_) => std::thread::sleep(TICK),
        }
        while s.step()?.0 && !stop.load(Ordering::Relaxed) {}
        if s.scorer
            .maybe_refit(s.start.elapsed())
            .map_err(Failure::usage)?
        {
            s.announce();
        }
    }
    let c = s.scorer.counts;
    eprintln!(
        "threatlens: stopped following {}: {} rows read, {} flagged, {} rejected",
        crate::sanitize::inert(&s.follower.root().display().to_string()),
        c.rows,
        c.flagged,
        c.rejected
    );
    Ok(())
}

impl Session {
    /// One poll of every file; returns (more bytes waiting, any records read).
    fn step(&mut self) -> Result<(bool, bool), Failure> {
        let mut events = Vec::new();
        let expected = &self.expected;
        // Until a file's columns are planned, any header is taken; then only that one.
        let mut accept = |_: &Path, h: &Header| match expected {
            Some(e) if e.bytes != h.bytes => Err(differs(h, e)),
            _ => Ok(()),
        };
        let more = self.follower.poll(&mut accept, &mut events);
        let mut records = false;
        for event in events {
            let file = event.file().display().to_string();
            match event {
                Event::Records(r) => {
                    records = true;
                    if let Some(reason) = self.refusal(&r) {
                        note(&file, &reason);
                        self.follower.close(&r.file);
                        continue;
                    }
                    let scored = self
                        .scorer
                        .push(&r, self.start.elapsed())
                        .map_err(Failure::usage)?;
                    self.report(&scored)?;
                }
                Event::Notice { message, .. } => note(&file, &message),
                Event::Problem { reason, .. } => note(&file, &reason),
            }
            if self.out.closed {
                break;
            }
        }
        Ok((more, records))
    }

    /// Why a batch's file cannot be followed: the first file planned fixes the header; until
    /// one plans, a file that is no traffic log is skipped and the next one may be.
    fn refusal(&mut self, r: &crate::follow::Records) -> Option<String> {
        match &self.expected {
            Some(e) if e.bytes != r.header.bytes => Some(differs(&r.header, e)),
            Some(_) => None,
            None => match self.scorer.plan(r) {
                Ok(()) => {
                    self.expected = Some((*r.header).clone());
                    None
                }
                Err(reason) => {
                    let prefix = format!("{}: ", r.file.display());
                    let reason = reason.strip_prefix(&prefix).unwrap_or(&reason);
                    Some(format!("{reason}: skipped"))
                }
            },
        }
    }

    /// Prints a batch's flagged rows and describes its first rejects.
    fn report(&mut self, scored: &Scored) -> Result<(), Failure> {
        let file = scored.file.display().to_string();
        for r in &scored.ds.rejects.details {
            if self.rejects_shown < SHOWN_REJECTS {
                note(
                    &file,
                    &format!("{} (row not read)", crate::ingest::describe_reject(r)),
                );
            } else if self.rejects_shown == SHOWN_REJECTS {
                note(&file, "further rejected rows are counted, not described");
            }
            self.rejects_shown += 1;
        }
        let first_rank = self.scorer.counts.flagged - scored.hits.len() as u64;
        for (k, hit) in scored.hits.iter().enumerate() {
            let flagged = flagged(&scored.ds, hit, (first_rank as usize) + k + 1);
            let line = match self.format {
                DetectFormat::Table => table_line(&flagged, &file),
                _ => crate::report::json::to_line(&FollowedRow {
                    flagged,
                    file: &file,
                })
                .map_err(|e| Failure {
                    code: 1,
                    message: format!("cannot encode JSON: {e}"),
                })?,
            };
            self.out.line(&line)?;
            if self.out.closed {
                break;
            }
        }
        Ok(())
    }

    /// Says on stderr what the model is, after a fit.
    fn announce(&self) {
        let root = self.follower.root().display().to_string();
        match self.scorer.model() {
            Some(m) => note(
                &root,
                &format!(
                    "following: {} on {} rows (features {}), flagging rows scoring above {:.4}",
                    if self.scorer.counts.fits > 1 {
                        "refitted"
                    } else {
                        "fitted"
                    },
                    m.rows,
                    m.run.feature_names.join(", "),
                    m.threshold
                ),
            ),
            None => note(
                &root,
                &format!(
                    "following: {} rows so far; the forest is fitted once the warm-up rows have arrived",
                    self.scorer.counts.rows
                ),
            ),
        }
    }
}

fn differs(h: &Header, expected: &Header) -> String {
    format!(
        "its header '{}' differs from the one being followed ('{}'): skipped",
        shorten(&h.bytes),
        shorten(&expected.bytes)
    )
}

/// A header as quoted in a message: its first 60 characters.
fn shorten(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header);
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.into_owned(),
    }
}

fn note(file: &str, message: &str) {
    eprintln!(
        "threatlens: {}: {}",
        crate::sanitize::inert(file),
        crate::sanitize::inert(message)
    );
}

fn text(ds: &Dataset, row: usize, role: Role) -> Option<String> {
    let i = ds.role_index(role)?;
    let t = ds.cell_text(row, i);
    (!t.is_empty()).then(|| t.into_owned())
}

/// The `detect --format json` fields of a newly flagged row (`rank` counts the flagged rows
/// printed so far, `row` is the data row within its file).
fn flagged(ds: &Dataset, hit: &Hit, rank: usize) -> Flagged {
    let row = hit.row;
    Flagged {
        row: hit.file_row as usize,
        rank,
        score: hit.score,
        src_ip: text(ds, row, Role::SrcIp),
        country: text(ds, row, Role::Country),
        time: ds.start_time(row).map(crate::dataset::format_time),
        bytes_in: ds.role(Role::BytesIn).and_then(|c| c.data.number(row)),
        bytes_out: ds.role(Role::BytesOut).and_then(|c| c.data.number(row)),
        explanation: hit.explanation_line.clone(),
        contributions: hit
            .explanation
            .as_ref()
            .map(|e| e.contributions.clone())
            .unwrap_or_default(),
        patterns: hit.patterns.iter().map(|p| p.to_string()).collect(),
    }
}

fn table_line(f: &Flagged, file: &str) -> String {
    let inert = |s: &str| crate::sanitize::inert(s).into_owned();
    format!(
        "{}  {}  {}  score {:.4}  {}  ({} row {})\n",
        inert(f.time.as_deref().unwrap_or("-")),
        inert(f.src_ip.as_deref().unwrap_or("-")),
        inert(f.country.as_deref().unwrap_or("-")),
        f.score,
        inert(&f.explanation),
        inert(file),
        f.row
    )
}
