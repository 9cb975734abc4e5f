//! Ingest: parsing an in-memory demo CSV of 100k rows (~21 MB) into a dataset.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;

fn parse(c: &mut Criterion) {
    let csv = common::demo_csv();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(csv.len() as u64));
    g.sample_size(20);
    g.bench_function("demo_100k_rows", |b| {
        b.iter(|| threatlens::ingest::load_bytes("<bench>", std::hint::black_box(&csv)))
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
