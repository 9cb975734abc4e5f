//! Real-data parity: `threatlens summary --format json` on the real CloudWatch
//! file must equal the pandas reference values to 1e-9 relative.

use crate::common::{close, real_data};
use assert_cmd::Command;
use serde_json::Value;

fn summary_json(path: &std::path::Path) -> Value {
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", "--format", "json", "--top", "100"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn summary_matches_every_pandas_reference_value() {
    let (csv, exp) = real_data("summary parity");
    let got = summary_json(&csv);
    assert_eq!(got["rows"], exp["rows"]);
    assert_eq!(got["rejected"]["total"], 0);

    let mut checked = 0;
    for (col, stats) in exp["numeric"].as_object().unwrap() {
        for (key, want) in stats.as_object().unwrap() {
            let have = &got["numeric"][col][key];
            match want {
                Value::Null => assert!(have.is_null(), "{col}.{key}: want null, have {have}"),
                w => {
                    let (w, h) = (w.as_f64().unwrap(), have.as_f64().unwrap_or(f64::NAN));
                    assert!(close(h, w), "{col}.{key}: want {w}, have {h}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 70, "only {checked} statistics compared");

    for (a, row) in exp["pearson_correlation"].as_object().unwrap() {
        for (b, want) in row.as_object().unwrap() {
            let have = got["pearson_correlation"][a][b].as_f64().unwrap();
            assert!(close(have, want.as_f64().unwrap()), "corr {a}/{b}: {have}");
        }
    }

    let countries = got["countries"].as_array().unwrap();
    let mut exp_counts: Vec<(&String, &Value)> =
        exp["country_counts"].as_object().unwrap().iter().collect();
    exp_counts.sort_by_key(|(code, n)| (std::cmp::Reverse(n.as_u64().unwrap()), code.to_string()));
    assert_eq!(countries.len(), exp_counts.len());
    for (i, (code, n)) in exp_counts.into_iter().enumerate() {
        assert_eq!(
            countries[i]["country"],
            code.as_str(),
            "country order at {i}"
        );
        assert_eq!(countries[i]["sessions"], *n);
        let eb = &exp["country_bytes_in"][code];
        let gb = &countries[i]["bytes_in"];
        assert_eq!(gb["count"], eb["count"]);
        assert_eq!(gb["sum"], eb["sum"]);
        assert_eq!(gb["max"], eb["max"]);
        assert!(close(
            gb["mean"].as_f64().unwrap(),
            eb["mean"].as_f64().unwrap()
        ));
    }

    assert_eq!(got["unique_src_ips"], exp["unique_src_ips"]);
    for (i, want) in exp["top_src_ips_by_bytes_in"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let have = &got["src_ips"][i];
        for key in ["src_ip", "sessions", "bytes_in", "bytes_out"] {
            assert_eq!(have[key], want[key], "src_ips[{i}].{key}");
        }
    }

    let first = exp["time_range"]["first_creation_time"].as_str().unwrap();
    let last = exp["time_range"]["last_creation_time"].as_str().unwrap();
    assert_eq!(got["time_range"]["first"], first.replace("+00:00", "Z"));
    assert_eq!(got["time_range"]["last"], last.replace("+00:00", "Z"));

    let hours = got["hourly_totals"].as_array().unwrap();
    let exp_hours = exp["hourly_totals"].as_array().unwrap();
    assert_eq!(hours.len(), exp_hours.len());
    for (h, w) in hours.iter().zip(exp_hours) {
        assert_eq!(
            h["hour"],
            w["hour"].as_str().unwrap().replace("+00:00", "Z")
        );
        assert_eq!(h["bytes_in"], w["bytes_in"]);
        assert_eq!(h["bytes_out"], w["bytes_out"]);
    }

    assert_eq!(
        got["data_quality"]["constant_columns"],
        exp["constant_columns"]
    );
    assert_eq!(got["data_quality"]["duplicate_rows"], exp["duplicate_rows"]);
}
