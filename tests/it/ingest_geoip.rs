//! Countries from a MaxMind database: the test writes its own tiny mmdb (the format's search
//! tree, data section and metadata, by the MaxMind DB 2.0 specification) and never downloads one.

use std::io::Write;
use std::path::Path;
use threatlens::dataset::Role;
use threatlens::ingest::{LoadOptions, LoadProgress, load_path_with};

/// MaxMind DB data-section encodings (only the types a country database needs).
fn ctrl(kind: u8, size: usize, out: &mut Vec<u8>) {
    assert!(size < 29);
    if kind <= 7 {
        out.push((kind << 5) | size as u8);
    } else {
        out.push(size as u8);
        out.push(kind - 7);
    }
}
fn string(s: &str, out: &mut Vec<u8>) {
    ctrl(2, s.len(), out);
    out.extend_from_slice(s.as_bytes());
}
fn uint(kind: u8, v: u64, out: &mut Vec<u8>) {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    ctrl(kind, bytes.len(), out);
    out.extend(bytes);
}
/// Writes a value into the data section.
type Encode<'a> = &'a dyn Fn(&mut Vec<u8>);

fn map(entries: &[(&str, Encode<'_>)], out: &mut Vec<u8>) {
    ctrl(7, entries.len(), out);
    for (k, v) in entries {
        string(k, out);
        v(out);
    }
}

/// An IPv4 database mapping each (prefix, length) to an ISO country code.
fn mmdb(networks: &[([u8; 4], u8, &str)]) -> Vec<u8> {
    #[derive(Clone, Copy)]
    enum Rec {
        Empty,
        Node(usize),
        Data(usize),
    }
    let mut data = Vec::new();
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    for (net, len, iso) in networks {
        let offset = data.len();
        map(
            &[("country", &|o: &mut Vec<u8>| {
                map(&[("iso_code", &|o: &mut Vec<u8>| string(iso, o))], o)
            })],
            &mut data,
        );
        let bits = u32::from_be_bytes(*net);
        let mut n = 0;
        for i in 0..*len {
            let bit = ((bits >> (31 - i)) & 1) as usize;
            if i == len - 1 {
                nodes[n][bit] = Rec::Data(offset);
            } else {
                n = match nodes[n][bit] {
                    Rec::Node(m) => m,
                    _ => {
                        nodes.push([Rec::Empty, Rec::Empty]);
                        let m = nodes.len() - 1;
                        nodes[n][bit] = Rec::Node(m);
                        m
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for node in &nodes {
        for r in node {
            let v = match *r {
                Rec::Empty => count,
                Rec::Node(m) => m,
                Rec::Data(off) => count + 16 + off,
            } as u32;
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
    }
    out.extend([0u8; 16]);
    out.extend(&data);
    out.extend(b"\xab\xcd\xefMaxMind.com");
    map(
        &[
            ("binary_format_major_version", &|o: &mut Vec<u8>| {
                uint(5, 2, o)
            }),
            ("binary_format_minor_version", &|o: &mut Vec<u8>| {
                uint(5, 0, o)
            }),
            ("build_epoch", &|o: &mut Vec<u8>| uint(9, 1_714_003_200, o)),
            ("database_type", &|o: &mut Vec<u8>| {
                string("Test-Country", o)
            }),
            ("description", &|o: &mut Vec<u8>| {
                map(
                    &[("en", &|o: &mut Vec<u8>| string("threatlens test", o))],
                    o,
                )
            }),
            ("ip_version", &|o: &mut Vec<u8>| uint(5, 4, o)),
            ("languages", &|o: &mut Vec<u8>| {
                ctrl(11, 1, o);
                string("en", o);
            }),
            ("node_count", &|o: &mut Vec<u8>| uint(6, count as u64, o)),
            ("record_size", &|o: &mut Vec<u8>| uint(5, 24, o)),
        ],
        &mut out,
    );
    out
}

#[test]
fn geoip_adds_source_and_destination_countries_and_labels_private_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("test.mmdb");
    std::fs::write(
        &db,
        mmdb(&[
            ([81, 2, 0, 0], 16, "GB"),
            ([45, 9, 0, 0], 16, "NL"),
            ([8, 0, 0, 0], 8, "US"),
        ]),
    )
    .unwrap();
    let flows = dir.path().join("flows.log");
    std::fs::File::create(&flows)
        .unwrap()
        .write_all(
            b"srcaddr dstaddr dstport protocol packets bytes start end action log-status\n\
81.2.69.142 10.0.1.10 443 6 5 900 1714039200 1714039260 ACCEPT OK\n\
10.0.1.10 45.9.20.1 443 6 5 900 1714039200 1714039260 ACCEPT OK\n\
8.8.8.8 203.0.113.7 53 17 1 90 1714039200 1714039201 ACCEPT OK\n\
9.9.9.9 192.168.1.1 53 17 1 90 1714039200 1714039201 ACCEPT OK\n",
        )
        .unwrap();
    let opts = LoadOptions {
        geoip: Some(db.clone()),
        ..LoadOptions::default()
    };
    let ds = load_path_with(flows.to_str().unwrap(), LoadProgress::new(), &opts).unwrap();
    let col = |name: &str| {
        let i = ds.column_index(name).unwrap();
        (0..ds.rows)
            .map(|r| ds.cell_text(r, i).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(col("src_country"), ["GB", "private", "US", ""]);
    assert_eq!(
        col("dst_country"),
        ["private", "NL", "documentation", "private"]
    );
    assert_eq!(ds.role(Role::Country).unwrap().name, "src_country");
    assert!(!ds.notes.iter().any(|n| n.contains("no country database")));

    // The same through the command line and the environment; countries reach the summary.
    let out = assert_cmd::Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", "--format", "json", flows.to_str().unwrap()])
        .env("THREATLENS_GEOIP", &db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let countries: Vec<&str> = v["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["country"].as_str().unwrap())
        .collect();
    assert!(
        countries.contains(&"GB") && countries.contains(&"US"),
        "{countries:?}"
    );

    // Without a database, the data says how to get one; a bad one is refused with exit 2.
    let out = assert_cmd::Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", flows.to_str().unwrap()])
        .env_remove("THREATLENS_GEOIP")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pass --geoip PATH"));
    let out = assert_cmd::Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", flows.to_str().unwrap(), "--geoip"])
        .arg(&flows)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a usable MaxMind database"));
}

#[test]
fn geoip_comes_from_the_flag_then_the_environment_then_config_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("db.mmdb"),
        mmdb(&[([81, 2, 0, 0], 16, "GB")]),
    )
    .unwrap();
    let flows = dir.path().join("flows.log");
    std::fs::write(
        &flows,
        "srcaddr dstaddr bytes packets start end action log-status\n\
81.2.69.142 10.0.1.10 900 5 1714039200 1714039260 ACCEPT OK\n",
    )
    .unwrap();
    let config = dir.path().join("config.toml");
    // A relative path is the config file's folder's.
    std::fs::write(&config, "geoip = \"db.mmdb\"\n[detect]\nseed = 1\n").unwrap();
    let run = |env: Option<&str>, flag: Option<&Path>| {
        let mut c = assert_cmd::Command::cargo_bin("threatlens").unwrap();
        c.args(["summary", "--format", "json", "--config"])
            .arg(&config)
            .arg(&flows);
        match env {
            Some(e) => c.env("THREATLENS_GEOIP", e),
            None => c.env_remove("THREATLENS_GEOIP"),
        };
        if let Some(f) = flag {
            c.arg("--geoip").arg(f);
        }
        c.output().unwrap()
    };
    let out = run(None, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["countries"][0]["country"], "GB",
        "config.toml's geoip is used"
    );
    // The environment wins over the config: a bad path there is the one refused.
    let out = run(Some("/nonexistent/env.mmdb"), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/env.mmdb"));
    // The flag wins over both.
    let good = dir.path().join("db.mmdb");
    let out = run(Some("/nonexistent/env.mmdb"), Some(&good));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
