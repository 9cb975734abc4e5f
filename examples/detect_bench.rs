//! Measures the isolation forest on one labelled benchmark file, in release mode:
//! fit time, scoring throughput at 1 thread and at all threads, ROC AUC and PR AUC.
//!
//! ```text
//! cargo run --release --example detect_bench -- ../shared/bench/http.csv.gz [--seeds 5] [--repeats 3]
//! ```
//! Compare with `python3 bench/detect_sklearn.py ../shared/bench/http.csv.gz` on the same machine.

#[path = "../tests/common/bench_csv.rs"]
mod bench_csv;

use std::path::PathBuf;
use std::time::Instant;
use threatlens::detect::{ForestParams, IsolationForest, RunControl, average_precision, roc_auc};

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
            "--seeds" => seeds = num("--seeds")? as u64,
            "--repeats" => repeats = num("--repeats")?.max(1),
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let path = path.ok_or("usage: detect_bench FILE.csv.gz [--seeds N] [--repeats N]")?;
    let t = Instant::now();
    let data = bench_csv::load(&path)?;
    let (rows, features) = (data.matrix.rows(), data.matrix.features());
    eprintln!(
        "loaded {rows} rows × {features} features in {:.0} ms",
        ms(t)
    );

    let threads = rayon::current_num_threads();
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| e.to_string())?;
    let (mut fit1, mut fitn, mut score1, mut scoren, mut aucs, mut aps) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut score1_cpu = vec![];
    for seed in 0..seeds {
        let params = ForestParams {
            seed,
            ..ForestParams::default()
        };
        let mut forest = None;
        for _ in 0..repeats {
            let t = Instant::now();
            let f = single.install(|| IsolationForest::fit(&data.matrix, &params));
            fit1.push(ms(t));
            let t = Instant::now();
            let f2 = IsolationForest::fit(&data.matrix, &params).map_err(|e| e.to_string())?;
            fitn.push(ms(t));
            forest = Some(f2);
            drop(f);
        }
        let forest = forest.ok_or("no forest")?;
        let mut scores = vec![];
        for _ in 0..repeats {
            let t = Instant::now();
            let (s, cpu) = single.install(|| {
                let cpu = thread_cpu_ms();
                let s = forest.score(&data.matrix, &RunControl::default());
                (s, thread_cpu_ms() - cpu)
            });
            let s = s.map_err(|e| e.to_string())?;
            score1.push(ms(t));
            score1_cpu.push(cpu);
            let t = Instant::now();
            scores = forest
                .score(&data.matrix, &RunControl::default())
                .map_err(|e| e.to_string())?;
            scoren.push(ms(t));
            assert_eq!(s, scores, "thread count changed the scores");
        }
        aucs.push(roc_auc(&data.labels, &scores).ok_or("constant label")?);
        aps.push(average_precision(&data.labels, &scores).ok_or("constant label")?);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (s1, sn) = (median(&mut score1), median(&mut scoren));
    println!(
        "threatlens  file={name} rows={rows} features={features} trees=100 sample=256 seeds=0..{seeds} threads={threads}"
    );
    println!(
        "  fit ms (median)          1 thread {:8.2}   {threads} threads {:8.2}",
        median(&mut fit1),
        median(&mut fitn)
    );
    let c1 = median(&mut score1_cpu);
    println!(
        "  score ms (median)        1 thread {s1:8.1}   {threads} threads {sn:8.1}   (1-thread CPU time {c1:.1} ms)"
    );
    println!(
        "  score rows/s             1 thread {:8.2} M  {threads} threads {:8.2} M",
        rows as f64 / s1 / 1e3,
        rows as f64 / sn / 1e3
    );
    println!(
        "  ROC AUC mean {:.4}  PR AUC mean {:.4}",
        mean(&aucs),
        mean(&aps)
    );
    Ok(())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// CPU time of the calling thread in ms, from /proc (0 where unavailable): unlike wall time it
/// does not count time the thread spent waiting for a core on a busy machine.
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
