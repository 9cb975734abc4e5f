//! Detection: fitting the isolation forest (100 trees × 256 samples, the defaults) on the
//! notebooks' three features of a 100k-row demo dataset.

use criterion::{Criterion, criterion_group, criterion_main};
use threatlens::detect::{ForestParams, IsolationForest};

mod common;

fn fit(c: &mut Criterion) {
    let ds = common::demo_dataset();
    let matrix = common::demo_matrix(&ds);
    let params = ForestParams::default();
    c.bench_function("fit_100_trees_x_256", |b| {
        b.iter(|| IsolationForest::fit(std::hint::black_box(&matrix), &params))
    });
}

criterion_group!(benches, fit);
criterion_main!(benches);
