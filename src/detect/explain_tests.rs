//! Tests for `explain.rs`: contribution shares, their edge cases, and the pattern rules.

use super::*;
use crate::detect::ForestParams;

fn matrix(cols: Vec<Vec<f64>>) -> FeatureMatrix {
    let names = (0..cols.len()).map(|i| format!("f{i}")).collect();
    FeatureMatrix::new(names, cols).unwrap()
}

/// 400 ordinary rows on three features, then one row far out on feature 1 only.
fn outlier_on_f1() -> FeatureMatrix {
    let n = 400;
    let mut a: Vec<f64> = (0..n).map(|i| f64::from(i % 20)).collect();
    let mut b: Vec<f64> = (0..n).map(|i| f64::from((i * 7) % 20)).collect();
    let mut c: Vec<f64> = (0..n).map(|i| f64::from((i * 13) % 20)).collect();
    a.push(10.0);
    b.push(1000.0);
    c.push(10.0);
    matrix(vec![a, b, c])
}

#[test]
fn the_deviating_feature_gets_the_largest_share() {
    let m = outlier_on_f1();
    let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    let med = feature_medians(&m);
    let e = f.explain_row(&m, 400, &med).unwrap();
    assert_eq!(e.basis, ExplainBasis::Isolation);
    let total: f64 = e.contributions.iter().map(|c| c.share).sum();
    assert!((total - 100.0).abs() < 1e-9, "{total}");
    let top = &e.contributions[0];
    assert_eq!((top.feature, top.name.as_str()), (1, "f1"));
    assert!(top.share > 50.0, "{e:?}");
    assert_eq!(top.direction, Direction::Above);
    assert_eq!((top.value, top.median), (1000.0, 10.0));
    assert!(e.contributions.windows(2).all(|w| w[0].share >= w[1].share));
    // The outlier isolates much sooner than a central row (row 10 is (10, 10, 10)).
    let ordinary = f.explain_row(&m, 10, &med).unwrap();
    assert!(
        e.mean_leaf_depth + 1.5 < ordinary.mean_leaf_depth,
        "{e:?} {ordinary:?}"
    );
}

#[test]
fn edge_cases_give_defined_answers() {
    // Identical rows: no tree splits.
    let same = matrix(vec![vec![1.0; 30], vec![2.0; 30]]);
    let f = IsolationForest::fit(&same, &ForestParams::default()).unwrap();
    let e = f.explain_row(&same, 0, &feature_medians(&same)).unwrap();
    assert_eq!(e.basis, ExplainBasis::NoSplits);
    assert!(
        e.contributions
            .iter()
            .all(|c| c.share == 0.0 && c.direction == Direction::AtMedian)
    );
    assert_eq!(e.mean_leaf_depth, 0.0);
    // Two-row trees have depth limit 1, so every leaf is at the limit: fall back to 1/L.
    let m = outlier_on_f1();
    let tiny = ForestParams {
        sample_size: Some(2),
        ..ForestParams::default()
    };
    let f = IsolationForest::fit(&m, &tiny).unwrap();
    let e = f.explain_row(&m, 400, &feature_medians(&m)).unwrap();
    assert_eq!(e.basis, ExplainBasis::InverseDepth);
    assert!((e.contributions.iter().map(|c| c.share).sum::<f64>() - 100.0).abs() < 1e-9);
    // Wrong lengths and rows are errors, not panics.
    assert!(matches!(
        f.explain(&[1.0], &[1.0, 2.0, 3.0]),
        Err(DetectError::LengthMismatch { .. })
    ));
    assert!(matches!(
        f.explain(&[1.0, 2.0, 3.0], &[1.0]),
        Err(DetectError::LengthMismatch { .. })
    ));
    assert!(matches!(
        f.explain_row(&m, 401, &[0.0; 3]),
        Err(DetectError::RowOutOfRange { .. })
    ));
}

#[test]
fn quantile_matches_numpy_linear() {
    // numpy.percentile([1, 2, 3, 4, 10], [0, 25, 50, 90, 100]) = [1, 2, 3, 7.6, 10]
    for (q, want) in [(0.0, 1.0), (0.25, 2.0), (0.5, 3.0), (0.9, 7.6), (1.0, 10.0)] {
        let mut v = vec![10.0, 3.0, 1.0, 4.0, 2.0];
        assert!((quantile(&mut v, q) - want).abs() < 1e-12, "{q}");
    }
    assert!(quantile(&mut [], 0.5).is_nan());
    assert_eq!(
        feature_medians(&matrix(vec![vec![4.0, 1.0, 3.0, 2.0]])),
        vec![2.5]
    );
}

/// 100 ordinary sessions: in ≈ out, rate ≈ 100 B/s, 600 s long, from IPs with 1–4 sessions.
fn reference() -> PatternReference {
    let bin: Vec<f64> = (0..100).map(|i| 1000.0 + f64::from(i)).collect();
    let bout: Vec<f64> = (0..100).map(|i| 1000.0 + f64::from(i % 7)).collect();
    let rate: Vec<f64> = (0..100).map(|i| 100.0 + f64::from(i)).collect();
    let dur = vec![600.0; 100];
    let per_ip: Vec<usize> = (0..40).map(|i| 1 + i % 4).collect();
    PatternReference::new(&bin, &bout, Some(&rate), Some(&dur), &per_ip).unwrap()
}

#[test]
fn pattern_cut_offs_come_from_the_data() {
    let r = reference();
    assert!((r.bytes_in_high - 1089.1).abs() < 1e-9, "{r:?}");
    assert_eq!(r.in_out_ratio_high, 2.0); // the ratio's 90th percentile is ~1.09: the floor applies
    assert!((r.rate_very_high.unwrap() - 198.01).abs() < 1e-9);
    assert_eq!(r.many_sessions, 5); // 95th percentile is 4: the minimum applies
    // Every session lasts 600 s: none of them is short, though a 5 s one would be.
    assert!(!r.is_short_session(600.0) && r.is_short_session(5.0));
    let varied =
        PatternReference::new(&[1.0], &[1.0], None, Some(&[2.0, 600.0, 900.0]), &[1]).unwrap();
    assert!(varied.is_short_session(2.0) && !varied.is_short_session(61.0));
    assert!(varied.rate_very_high.is_none());
    assert!(PatternReference::new(&[1.0], &[], None, None, &[]).is_err());
}

#[test]
fn each_rule_fires_on_its_pattern_only() {
    let r = reference();
    let ordinary = RowFacts {
        bytes_in: 1050.0,
        bytes_out: 1003.0,
        bytes_per_sec: Some(150.0),
        dst_port: Some(443),
        session_duration: Some(600.0),
        sessions_from_ip: 3,
        short_sessions_from_ip: 0,
    };
    assert!(r.patterns(&ordinary).is_empty());
    let exfil = RowFacts {
        bytes_in: 50_000.0,
        bytes_out: 900.0,
        ..ordinary.clone()
    };
    assert_eq!(r.patterns(&exfil), vec![Pattern::Exfiltration]);
    let both_ways = RowFacts {
        bytes_in: 50_000.0,
        bytes_out: 50_000.0,
        ..ordinary.clone()
    };
    assert!(
        r.patterns(&both_ways).is_empty(),
        "high in but also high out"
    );
    let fast = RowFacts {
        bytes_per_sec: Some(5_000.0),
        ..ordinary.clone()
    };
    assert_eq!(r.patterns(&fast), vec![Pattern::HighRate]);
    for (port, hit) in [
        (22, true),
        (3389, true),
        (49152, true),
        (65000, true),
        (80, false),
        (49151, false),
    ] {
        let row = RowFacts {
            dst_port: Some(port),
            ..ordinary.clone()
        };
        assert_eq!(
            r.patterns(&row) == vec![Pattern::SuspiciousPort(port)],
            hit,
            "{port}"
        );
    }
    let scan = RowFacts {
        sessions_from_ip: 40,
        short_sessions_from_ip: 30,
        ..ordinary
    };
    assert_eq!(r.patterns(&scan), vec![Pattern::ManyShortSessions(30)]);
    assert_eq!(
        Pattern::SuspiciousPort(3389).to_string(),
        "possible brute force / unauthorised access (destination port 3389)"
    );
}

#[test]
fn a_row_matching_several_patterns_is_labelled_by_the_documented_precedence() {
    let r = reference();
    // The demo's DDoS: a lot in, almost nothing out, at a very high rate, in seconds.
    let burst = RowFacts {
        bytes_in: 600_000.0,
        bytes_out: 900.0,
        bytes_per_sec: Some(60_000.0),
        dst_port: Some(443),
        session_duration: Some(7.0),
        sessions_from_ip: 1,
        short_sessions_from_ip: 1,
    };
    assert_eq!(
        r.patterns(&burst),
        vec![Pattern::Burst],
        "a 7-second burst is a DDoS, not exfiltration"
    );
    // The same bytes over a median-length session: exfiltration first, the rate second.
    let long = RowFacts {
        session_duration: Some(600.0),
        ..burst.clone()
    };
    assert_eq!(
        r.patterns(&long),
        vec![Pattern::Exfiltration, Pattern::HighRate]
    );
    // Brute force to SSH: many short sessions before the port.
    let brute = RowFacts {
        dst_port: Some(22),
        short_sessions_from_ip: 40,
        bytes_in: 1000.0,
        bytes_out: 1000.0,
        bytes_per_sec: Some(100.0),
        ..burst
    };
    assert_eq!(
        r.patterns(&brute),
        vec![Pattern::ManyShortSessions(40), Pattern::SuspiciousPort(22)]
    );
    // Short forms are whole words, one per pattern.
    let shorts: Vec<String> = [
        Pattern::Burst,
        Pattern::Exfiltration,
        Pattern::HighRate,
        Pattern::ManyShortSessions(3),
        Pattern::SuspiciousPort(22),
    ]
    .iter()
    .map(Pattern::short)
    .collect();
    assert_eq!(
        shorts,
        [
            "DDoS",
            "exfiltration",
            "bulk transfer",
            "brute force/scan",
            "port 22"
        ]
    );
}

#[test]
fn the_in_out_ratio_cut_is_capped_so_one_sources_sessions_agree() {
    // 80% of sessions send about as much as they receive; one source's 20% receive 15–17× what
    // they send, so the ratio's 90th percentile (~16) falls among them.
    let mut bin: Vec<f64> = (0..80).map(|i| 1000.0 + f64::from(i)).collect();
    let mut bout: Vec<f64> = (0..80).map(|_| 1000.0).collect();
    for i in 0..20 {
        bin.push(1_000_000.0);
        bout.push(1_000_000.0 / (15.0 + f64::from(i) * 0.1));
    }
    let r = PatternReference::new(&bin, &bout, None, None, &[1]).unwrap();
    assert_eq!(r.in_out_ratio_high, RATIO_CAP);
    let labels: Vec<Vec<Pattern>> = (80..100)
        .map(|i| {
            r.patterns(&RowFacts {
                bytes_in: bin[i],
                bytes_out: bout[i],
                bytes_per_sec: None,
                dst_port: None,
                session_duration: None,
                sessions_from_ip: 1,
                short_sessions_from_ip: 0,
            })
        })
        .collect();
    assert!(
        labels.iter().all(|l| l == &[Pattern::Exfiltration]),
        "{labels:?}"
    );
}
