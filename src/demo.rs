//! Demo data: realistic CloudWatch-schema web traffic with planted, labelled attacks.
//!
//! Background traffic comes from a pool of clients in several countries with
//! log-normal byte counts, mostly HTTPS over 10-minute flow windows, and a quiet
//! overnight gap (02:00–06:00 UTC, as in the real dataset). Planted patterns,
//! labelled `1`: exfiltration (high bytes_in, low bytes_out), brute force (many
//! short sessions to 22/3389 from one IP), a port scan (one IP, many ports, tiny
//! sessions) and a DDoS burst (many IPs, one 10-minute window, high rates).
//! Deterministic for a given seed. Writes CSV text; no terminal, no files.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// The demo file committed in `assets/` and embedded in the binary.
pub const EMBEDDED: &[u8] = include_bytes!("../assets/demo.csv");
/// The rows and seed `assets/demo.csv` was made with.
pub const EMBEDDED_ROWS: usize = 5000;
pub const EMBEDDED_SEED: u64 = 7;

const HEADER: &str = "bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,protocol,response.code,dst_port,dst_ip,rule_names,observation_name,source.meta,source.name,time,detection_types,label";

/// 2024-04-25T00:00:00Z in epoch seconds.
const DAY0: i64 = 1_714_003_200;

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn normal(&mut self) -> f64 {
        let u1: f64 = self.rng.random::<f64>().max(1e-12);
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    fn lognormal(&mut self, median: f64, sigma: f64) -> u64 {
        (median * (sigma * self.normal()).exp()).round().max(1.0) as u64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.rng.random_range(0..items.len());
        &items[i.min(items.len() - 1)]
    }
    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        let s: &&'static str = self.pick(items);
        s
    }
    /// A start time outside the quiet gap, within one day, aligned to 10 minutes or not.
    fn busy_time(&mut self, aligned: bool) -> i64 {
        loop {
            let t = self.rng.random_range(0..86_400i64);
            let hour = t / 3600;
            if (2..6).contains(&hour) {
                continue;
            }
            return DAY0 + if aligned { t - t % 600 } else { t };
        }
    }
}

struct Row {
    bytes_in: u64,
    bytes_out: u64,
    start: i64,
    secs: i64,
    src: String,
    country: &'static str,
    protocol: &'static str,
    code: u16,
    port: u16,
    dst: &'static str,
    rule: &'static str,
    observation: &'static str,
    detection: &'static str,
    label: u8,
}

const COUNTRIES: [&str; 12] = [
    "US", "US", "US", "CA", "CA", "DE", "AT", "NL", "AE", "IL", "GB", "JP",
];
const SERVERS: [&str; 3] = ["10.138.69.97", "10.138.69.98", "10.138.70.12"];

fn time_str(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Writes `rows` demo rows (plus a header) made with `seed`.
pub fn write_demo(out: &mut dyn Write, rows: usize, seed: u64) -> std::io::Result<()> {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
    };
    // Planted attacks take about 5% of the rows.
    let at_least_one = |n: usize| if rows >= 100 { n.max(1) } else { n };
    let exfil = at_least_one(rows / 200);
    let brute = at_least_one(rows * 3 / 200);
    let scan = at_least_one(rows / 100);
    let ddos = at_least_one(rows / 60);
    let planted = exfil + brute + scan + ddos;
    let normal = rows.saturating_sub(planted);
    let clients: Vec<(String, &'static str)> = (0..(rows / 80).clamp(8, 5000))
        .map(|i| {
            let ip = format!(
                "{}.{}.{}.{}",
                [136, 165, 147, 155, 52, 34][i % 6],
                g.rng.random_range(1..255),
                g.rng.random_range(0..255),
                g.rng.random_range(1..255)
            );
            (ip, COUNTRIES[i % COUNTRIES.len()])
        })
        .collect();
    let mut out_rows: Vec<Row> = Vec::with_capacity(rows);
    for _ in 0..normal {
        let (src, country) = g.pick(&clients).clone();
        let bytes_in = g.lognormal(12_000.0, 0.7);
        let bytes_out = (bytes_in as f64 * (0.6 + 0.8 * g.rng.random::<f64>())) as u64 + 200;
        let https = g.rng.random_bool(0.85);
        let secs = if g.rng.random_bool(0.8) {
            600
        } else {
            g.rng.random_range(60..600)
        };
        out_rows.push(Row {
            bytes_in,
            bytes_out,
            start: g.busy_time(secs == 600),
            secs,
            src,
            country,
            protocol: if https { "HTTPS" } else { "HTTP" },
            code: *g.pick(&[200, 200, 200, 200, 200, 200, 301, 304, 404, 403, 500]),
            port: if https { 443 } else { 80 },
            dst: g.pick_str(&SERVERS),
            rule: "Suspicious Web Traffic",
            observation: "Adversary Infrastructure Interaction",
            detection: "waf_rule",
            label: 0,
        });
    }
    // Exfiltration: one client pulls tens of MB in, almost nothing out.
    for _ in 0..exfil {
        out_rows.push(Row {
            bytes_in: g.lognormal(20_000_000.0, 0.5),
            bytes_out: g.lognormal(2_500.0, 0.4),
            start: g.busy_time(true),
            secs: 600,
            src: "185.220.101.47".into(),
            country: "RU",
            protocol: "HTTPS",
            code: 200,
            port: 443,
            dst: SERVERS[0],
            rule: "Large Data Transfer",
            observation: "Data Exfiltration Attempt",
            detection: "anomaly",
            label: 1,
        });
    }
    // Brute force: many short sessions to SSH/RDP from one address within an hour.
    let bf_start = DAY0 + 22 * 3600;
    for _ in 0..brute {
        out_rows.push(Row {
            bytes_in: g.rng.random_range(300..900),
            bytes_out: g.rng.random_range(150..450),
            start: bf_start + g.rng.random_range(0..3600),
            secs: g.rng.random_range(1..4),
            src: "45.155.205.233".into(),
            country: "NL",
            protocol: "TCP",
            code: *g.pick(&[401, 403]),
            port: *g.pick(&[22, 3389]),
            dst: SERVERS[1],
            rule: "Repeated Authentication Failure",
            observation: "Brute Force Attempt",
            detection: "ids_signature",
            label: 1,
        });
    }
    // Port scan: one address touches many ports with tiny sessions.
    let scan_start = DAY0 + 7 * 3600;
    for _ in 0..scan {
        out_rows.push(Row {
            bytes_in: g.rng.random_range(40..120),
            bytes_out: g.rng.random_range(0..60),
            start: scan_start + g.rng.random_range(0..900),
            secs: 1,
            src: "198.51.100.23".into(),
            country: "CN",
            protocol: "TCP",
            code: 0,
            port: g.rng.random_range(1..65535),
            dst: SERVERS[2],
            rule: "Port Sweep",
            observation: "Reconnaissance Scan",
            detection: "ids_signature",
            label: 1,
        });
    }
    // DDoS burst: many addresses in one 10-minute window, high rates.
    let burst = DAY0 + 14 * 3600;
    for i in 0..ddos {
        out_rows.push(Row {
            bytes_in: g.lognormal(600_000.0, 0.4),
            bytes_out: g.lognormal(900.0, 0.5),
            start: burst + g.rng.random_range(0..600),
            secs: g.rng.random_range(5..20),
            src: format!("203.0.113.{}", 1 + i % 250),
            country: g.pick_str(&["BR", "VN", "IN", "ID"]),
            protocol: "HTTPS",
            code: *g.pick(&[200, 503]),
            port: 443,
            dst: SERVERS[0],
            rule: "Traffic Volume Spike",
            observation: "Denial of Service",
            detection: "anomaly",
            label: 1,
        });
    }
    out_rows.sort_by_key(|r| r.start);
    writeln!(out, "{HEADER}")?;
    for r in &out_rows {
        let start = time_str(r.start);
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},AWS_VPC_Flow,prod_webserver,{},{},{}",
            r.bytes_in,
            r.bytes_out,
            start,
            time_str(r.start + r.secs),
            r.src,
            r.country,
            r.protocol,
            r.code,
            r.port,
            r.dst,
            r.rule,
            r.observation,
            start,
            r.detection,
            r.label
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_demo_is_what_the_generator_makes() {
        let mut buf = Vec::new();
        write_demo(&mut buf, EMBEDDED_ROWS, EMBEDDED_SEED).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            buf == EMBEDDED,
            "assets/demo.csv is stale: regenerate with `cargo run -- demo --rows {EMBEDDED_ROWS} --seed {EMBEDDED_SEED} -o assets/demo.csv --force`"
        );
    }

    #[test]
    fn same_seed_same_data_and_rows_as_asked() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_demo(&mut a, 300, 1).unwrap_or_else(|e| panic!("{e}"));
        write_demo(&mut b, 300, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 301);
    }
}
