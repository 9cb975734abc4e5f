//! Measures the isolation forest on one labelled benchmark file, in release mode: fit time, scoring
//! throughput at 1 thread and at all threads, ROC AUC and PR AUC (100 trees, 256 samples).
//!
//! ```text
//! cargo run --release --example detect_bench -- ../shared/bench/http.csv.gz [--seeds 5] [--repeats 3]
//! python3 bench/detect_sklearn.py ../shared/bench/http.csv.gz [--seeds 5] [--repeats 3]
//! ```
//! Run both in the same session to compare. Besides wall-clock medians it prints the scoring
//! thread's CPU time (from `/proc/thread-self/schedstat`), which on a shared, busy machine is the
//! fairer per-core figure: it leaves out the time the thread waited for a core.

#[path = "../tests/it/common/bench_csv.rs"]
mod bench_csv;

use std::path::PathBuf;
use std::time::Instant;
use threatlens::detect::{
    Contamination, ForestParams, IsolationForest, Rule, RunControl, ScoreIndex, average_precision,
    feature_medians, roc_auc,
};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let (mut seeds, mut repeats) = (5u64, 3usize);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match a.as_str() {
            "--seeds" => seeds = num("--seeds")?.max(1) as u64,
            "--repeats" => repeats = num("--repeats")?.max(1),
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let path = path.ok_or("usage: detect_bench FILE.csv.gz [--seeds N] [--repeats N]")?;
    let data = bench_csv::load(&path)?;
    let m = &data.matrix;
    let rows = m.rows() as f64;
    let threads = rayon::current_num_threads();
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| e.to_string())?;
    let none = RunControl::default();
    let err = |e: threatlens::detect::DetectError| e.to_string();

    // Short operations are repeated inside one timing, so that even on a small file the CPU-time
    // clock (which advances in scheduler ticks) sees enough work.
    const FITS: usize = 20;
    let score_runs = repeats.max(1_000_000usize.div_ceil(m.rows()));
    let (mut fit1, mut fit1_cpu, mut fitn) = (vec![], vec![], vec![]);
    let (mut score1, mut score1_cpu, mut scoren) = (vec![], vec![], vec![]);
    let (mut aucs, mut aps) = (vec![], vec![]);
    let mut last = None;
    for seed in 0..seeds {
        let params = ForestParams {
            seed,
            ..ForestParams::default()
        };
        let (single_forest, wall, cpu) = timed(&single, FITS, || IsolationForest::fit(m, &params));
        fit1.push(wall);
        fit1_cpu.push(cpu);
        let t = Instant::now();
        let forest = repeat(FITS, || IsolationForest::fit(m, &params)).map_err(err)?;
        fitn.push(ms(t) / FITS as f64);
        assert!(
            single_forest.map_err(err)? == forest,
            "thread count changed the forest"
        );

        let (single_scores, wall, cpu) = timed(&single, score_runs, || forest.score(m, &none));
        score1.push(wall);
        score1_cpu.push(cpu);
        let t = Instant::now();
        let scores = repeat(score_runs, || forest.score(m, &none)).map_err(err)?;
        scoren.push(ms(t) / score_runs as f64);
        assert!(
            single_scores.map_err(err)? == scores,
            "thread count changed the scores"
        );
        aucs.push(roc_auc(&data.labels, &scores).ok_or("constant label")?);
        aps.push(average_precision(&data.labels, &scores).ok_or("constant label")?);
        last = Some((forest, scores));
    }
    let (forest, scores) = last.ok_or("no run")?;

    // Interactive operations on the last run: indexing the scores once, then per keypress a new
    // contamination, and an explanation per row (on this thread).
    let t = Instant::now();
    let index = ScoreIndex::new(&scores).map_err(err)?;
    let index_ms = ms(t);
    let t = Instant::now();
    let mut flagged = 0;
    for k in 1..=1000 {
        let c = Contamination::fraction(f64::from(k) / 2000.0).map_err(err)?;
        flagged += index.select(Rule::Contamination(c)).count;
    }
    let select_us = ms(t);
    let medians = feature_medians(m);
    let top: Vec<usize> = index.ranked().take(1000).map(|(r, _)| r).collect();
    let explained = 20_000;
    let cpu = thread_cpu_ms();
    for &row in top.iter().cycle().take(explained) {
        forest.explain_row(m, row, &medians).map_err(err)?;
    }
    let explain_us = (thread_cpu_ms() - cpu) * 1e3 / explained as f64;

    let name = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?");
    let (s1, c1, sn) = (
        median(&mut score1),
        median(&mut score1_cpu),
        median(&mut scoren),
    );
    println!(
        "threatlens  file={name} rows={rows} features={} trees=100 sample=256 seeds=0..{seeds} repeats={repeats}",
        m.features()
    );
    println!("  machine: {threads} threads, load average {load}");
    println!(
        "  fit ms (median)             1 thread {:9.2}   {threads} threads {:9.2}",
        median(&mut fit1),
        median(&mut fitn)
    );
    println!("  score ms (median)           1 thread {s1:9.1}   {threads} threads {sn:9.1}");
    println!(
        "  fit thread CPU ms (median)           {:9.2}",
        median(&mut fit1_cpu)
    );
    println!("  score thread CPU ms (median)         {c1:9.1}");
    println!(
        "  score rows/s                1 thread {:8.2} M   {threads} threads {:8.2} M",
        rows / s1 / 1e3,
        rows / sn / 1e3
    );
    println!(
        "  score rows per CPU-second            {:8.2} M",
        rows / c1 / 1e3
    );
    println!(
        "  ROC AUC mean {:.4}   PR AUC mean {:.4}",
        mean(&aucs),
        mean(&aps)
    );
    println!(
        "  score index build ms {index_ms:.1}; 1000 contamination changes {select_us:.2} ms in all ({flagged} rows flagged in total)"
    );
    println!(
        "  explanation µs per row (CPU time, {explained} explanations of the top rows) {explain_us:.1}"
    );
    Ok(())
}

/// Runs `f` `n` times on the one-thread pool; returns the last result and, per run, the wall ms
/// and that thread's CPU ms.
fn timed<T: Send>(
    pool: &rayon::ThreadPool,
    n: usize,
    f: impl Fn() -> T + Send + Sync,
) -> (T, f64, f64) {
    let t = Instant::now();
    let (out, cpu) = pool.install(|| {
        let c = thread_cpu_ms();
        let out = repeat(n, &f);
        (out, thread_cpu_ms() - c)
    });
    (out, ms(t) / n as f64, cpu / n as f64)
}

/// Runs `f` `n` (at least 1) times in a row and returns the last result.
fn repeat<T>(n: usize, f: impl Fn() -> T) -> T {
    let mut out = f();
    for _ in 1..n {
        out = f();
    }
    out
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// CPU time of the calling thread in ms (0 where /proc is unavailable).
fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}
