//! The notebooks' isolation-forest result on the real CloudWatch file: with features bytes_in,
//! bytes_out and bytes_per_sec, contamination 0.05, 100 trees and 256 samples, exactly 15 of the 282
//! rows are flagged, all from 155.91.45.242 and 165.225.240.79 (scikit-learn gives this for 20 out
//! of 20 seeds; we check seed 42 and a few others). Skips when `THREATLENS_SHARED` is not set.
//!
//! The CSV is parsed here with `csv` + `chrono` directly, independently of the ingest layer.

use chrono::DateTime;
use std::collections::BTreeSet;
use threatlens::detect::{
    Contamination, Detection, FeatureMatrix, ForestParams, Rule, RunControl, feature_medians,
};

struct Sessions {
    matrix: FeatureMatrix,
    src_ip: Vec<String>,
}

fn load() -> Sessions {
    let path =
        crate::common::shared("real-file detection").join("data/CloudWatch_Traffic_Web_Attack.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (bin, bout, start, end, ip) = (
        col("bytes_in"),
        col("bytes_out"),
        col("creation_time"),
        col("end_time"),
        col("src_ip"),
    );
    let (mut bytes_in, mut bytes_out, mut rate, mut src_ip) = (vec![], vec![], vec![], vec![]);
    for record in reader.records() {
        let r = record.unwrap();
        let i: f64 = r[bin].parse().unwrap();
        let o: f64 = r[bout].parse().unwrap();
        let secs = (DateTime::parse_from_rfc3339(&r[end]).unwrap()
            - DateTime::parse_from_rfc3339(&r[start]).unwrap())
        .num_milliseconds() as f64
            / 1000.0;
        bytes_in.push(i);
        bytes_out.push(o);
        rate.push((i + o) / secs);
        src_ip.push(r[ip].to_owned());
    }
    let names = ["bytes_in", "bytes_out", "bytes_per_sec"]
        .map(String::from)
        .to_vec();
    let matrix = FeatureMatrix::new(names, vec![bytes_in, bytes_out, rate]).unwrap();
    Sessions { matrix, src_ip }
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn flags_the_notebooks_fifteen_rows_from_two_ips() {
    let s = load();
    assert_eq!(s.matrix.rows(), 282);
    let expected: BTreeSet<&str> = ["155.91.45.242", "165.225.240.79"].into();
    for seed in [42, 0, 1, 2, 3, 7, 123] {
        let params = ForestParams {
            seed,
            ..ForestParams::default()
        };
        let d = Detection::run(&s.matrix, &params, &RunControl::default()).unwrap();
        assert_eq!((d.params().sample_size, d.params().max_depth), (256, 8));
        let sel = d
            .index
            .select(Rule::Contamination(Contamination::Fraction(0.05)));
        let flagged: Vec<usize> = d.index.flagged(&sel).collect();
        let ips: BTreeSet<&str> = flagged.iter().map(|&r| s.src_ip[r].as_str()).collect();
        assert_eq!(flagged.len(), 15, "seed {seed}: {flagged:?}");
        assert!(ips.is_subset(&expected), "seed {seed}: {ips:?}");
        if seed == 42 {
            // For information: the notebook reports 13 + 2 with scikit-learn's random stream; the
            // split between the two IPs depends on the stream, the 15 rows and the two IPs do not.
            let first = flagged
                .iter()
                .filter(|&&r| s.src_ip[r] == "155.91.45.242")
                .count();
            eprintln!(
                "seed 42: {first} rows from 155.91.45.242, {} from 165.225.240.79",
                15 - first
            );
        }
    }
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn explains_a_flagged_row_by_its_bytes() {
    let s = load();
    let d = Detection::run(&s.matrix, &ForestParams::default(), &RunControl::default()).unwrap();
    let medians = feature_medians(&s.matrix);
    let top = d
        .index
        .flagged(&d.index.select(Rule::TopK(1)))
        .next()
        .unwrap();
    let e = d.forest.explain_row(&s.matrix, top, &medians).unwrap();
    let total: f64 = e.contributions.iter().map(|c| c.share).sum();
    assert!((total - 100.0).abs() < 1e-9);
    // The most anomalous row is a huge transfer: every feature is far above its median.
    assert!(
        e.contributions
            .iter()
            .all(|c| c.direction == threatlens::detect::Direction::Above)
    );
}
