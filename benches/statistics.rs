//! Statistics: the whole summary (describe, correlations, rankings, hourly series, data
//! quality) of a 100k-row demo dataset.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use threatlens::analysis::{Rows, summary};

mod common;

fn statistics(c: &mut Criterion) {
    let ds = common::demo_dataset();
    let mut g = c.benchmark_group("statistics");
    g.throughput(Throughput::Elements(ds.rows as u64));
    g.sample_size(20);
    g.bench_function("summarize_100k_rows", |b| {
        b.iter(|| {
            summary::summarize(
                std::hint::black_box(&ds),
                Rows::All(ds.rows),
                summary::SummaryOptions::default(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, statistics);
criterion_main!(benches);
