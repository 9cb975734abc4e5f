//! Timing of `Filter::select` on one million synthetic rows
//! (speed is measured, never asserted in tests); run it in release mode:
//! `cargo run --release --example filter_bench`.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;
use threatlens::dataset::{Codes, Column, ColumnData, Dataset, Dict, Role};
use threatlens::filter::{EvalContext, build};

fn dict<T: Clone>(values: Vec<T>, n: usize, code: impl Fn(usize) -> u32) -> Dict<T> {
    let mut codes = Codes::with_capacity(n);
    for r in 0..n {
        codes.push(code(r));
    }
    Dict { codes, values }
}

fn million() -> Dataset {
    let n = 1_000_000;
    let t0 = 1_714_086_000_000i64;
    let col = |name: &str, role, data| Column {
        name: name.into(),
        role: Some(role),
        data,
    };
    let ips: Vec<Option<IpAddr>> = (0..50_000u32)
        .map(|i| Some(IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + i * 7))))
        .collect();
    let countries: Vec<Box<str>> = ["US", "CA", "DE", "FR", "NL", "GB", "JP", "AU"]
        .iter()
        .map(|s| Box::<str>::from(*s))
        .collect();
    let columns = vec![
        col(
            "bytes_in",
            Role::BytesIn,
            ColumnData::UInt((0..n as u64).map(|i| i * 7919 % 100_000).collect()),
        ),
        col(
            "bytes_out",
            Role::BytesOut,
            ColumnData::UInt((0..n as u64).map(|i| i * 104_729 % 50_000).collect()),
        ),
        col(
            "creation_time",
            Role::Start,
            ColumnData::Time((0..n as i64).map(|i| t0 + i * 600).collect()),
        ),
        col(
            "end_time",
            Role::End,
            ColumnData::Time((0..n as i64).map(|i| t0 + i * 600 + 600_000).collect()),
        ),
        col(
            "src_ip",
            Role::SrcIp,
            ColumnData::Ip(dict(ips, n, |r| (r * 31 % 50_000) as u32)),
        ),
        col(
            "src_ip_country_code",
            Role::Country,
            ColumnData::Text(dict(countries, n, |r| (r % 8) as u32)),
        ),
    ];
    Dataset {
        source: "<million>".into(),
        columns,
        rows: n,
        ..Dataset::default()
    }
}

fn main() {
    let ds = million();
    let flagged: Vec<bool> = (0..ds.rows).map(|r| r % 20 == 0).collect();
    let ctx = EvalContext::new(Some(&flagged), None);
    for q in [
        "bytes_in > 50000",
        "country = US",
        "src_ip in 10.0.0.0/20",
        "time >= 2024-04-26T00:00 and time < 2024-04-26T01:00",
        "country in (US, CA) and bytes_in > 1k and not anomaly",
        "bytes_per_sec > 100",
        "bytes_in ~ \"99\"",
    ] {
        let f = build(q, &ds).unwrap();
        let compile = {
            let t = Instant::now();
            let _ = build(q, &ds).unwrap();
            t.elapsed()
        };
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..7 {
            let t = Instant::now();
            n = f.select(&ds, &ctx).len();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{q:<58} {n:>7} rows  median {:>8.2?}  best {:>8.2?}  (compile {compile:.2?})",
            times[3], times[0]
        );
        assert!(n > 0 && n < ds.rows, "{q}: {n}");
    }
}
