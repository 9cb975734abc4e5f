//! Detection: scoring every row of a 100k-row demo dataset (three features) through a fitted
//! 100-tree forest, on all cores; throughput is rows per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use threatlens::detect::{ForestParams, IsolationForest, RunControl};

mod common;

fn score(c: &mut Criterion) {
    let ds = common::demo_dataset();
    let matrix = common::demo_matrix(&ds);
    let forest =
        IsolationForest::fit(&matrix, &ForestParams::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(matrix.rows() as u64));
    g.sample_size(20);
    g.bench_function("score_100k_rows_100_trees", |b| {
        b.iter(|| forest.score(std::hint::black_box(&matrix), &RunControl::default()))
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("score_100k_rows_100_trees_1_thread", |b| {
        b.iter(|| {
            one.install(|| forest.score(std::hint::black_box(&matrix), &RunControl::default()))
        })
    });
    g.finish();
}

criterion_group!(benches, score);
criterion_main!(benches);
