//! Demo VPC flow logs: one day of a small VPC, as gzip files in the S3 layout, with planted,
//! labelled attacks.
//!
//! Layout: `AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/04/25/` holding one file per
//! interface and hour, named as AWS names them
//! (`123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f67890_20240425T0900Z_<hash>.log.gz`),
//! in a custom format (the version 2 fields plus `vpc-id subnet-id tcp-flags
//! flow-direction`), and `labels.json` naming the planted attacks. Background traffic:
//! internet clients to the web servers on 443/80 and their replies, internal app → database
//! traffic on 5432, DNS, and egress to AWS services. A quiet gap from 02:00 to 06:00 UTC
//! carries only NODATA records; one interface's 14:00 file is SKIPDATA (records lost).
//!
//! Planted attackers (times UTC on 2024-04-25):
//! - port scan: `198.51.100.23` → `10.0.1.10`, ~600 ports from 09:10, 90% REJECT, SYN only;
//! - SSH brute force: `192.0.2.77` → `10.0.1.5:22`, 400 short sessions from 11:00;
//! - RDP brute force: `192.0.2.78` → `10.0.1.11:3389`, 300 short sessions from 12:30;
//! - exfiltration: `10.0.2.20` (database) → `203.0.113.50:443`, 12 flows of 60–400 MB from 22:00;
//! - DDoS burst: 200 sources in `198.18.0.0/15` → `10.0.1.10:80`, 16:00–16:10, SYN floods.
//!
//! Deterministic for a seed. Builds the files' bytes; writing them is the caller's.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// The flow-log format of the demo files.
pub const FORMAT: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id tcp-flags flow-direction";

const ACCOUNT: &str = "123456789012";
const VPC: &str = "vpc-0a1b2c3d";
/// 2024-04-25T00:00:00Z in epoch seconds.
const DAY0: i64 = 1_714_003_200;

/// The planted attackers: (kind, source, target, first hour UTC).
pub const PLANTED: [(&str, &str, &str, u32); 5] = [
    ("port_scan", "198.51.100.23", "10.0.1.10", 9),
    ("ssh_brute_force", "192.0.2.77", "10.0.1.5:22", 11),
    ("rdp_brute_force", "192.0.2.78", "10.0.1.11:3389", 12),
    ("exfiltration", "10.0.2.20", "203.0.113.50:443", 22),
    ("ddos", "198.18.0.0/15", "10.0.1.10:80", 16),
];

/// One interface: its id, address and subnet.
struct Eni {
    id: &'static str,
    ip: &'static str,
    subnet: &'static str,
}

const ENIS: [Eni; 4] = [
    Eni {
        id: "eni-0a0000000000web01",
        ip: "10.0.1.10",
        subnet: "subnet-0pub1",
    },
    Eni {
        id: "eni-0a00000000bastion",
        ip: "10.0.1.5",
        subnet: "subnet-0pub1",
    },
    Eni {
        id: "eni-0a000000000app011",
        ip: "10.0.1.11",
        subnet: "subnet-0pub1",
    },
    Eni {
        id: "eni-0a0000000000db020",
        ip: "10.0.2.20",
        subnet: "subnet-0priv2",
    },
];

/// One flow record.
struct Flow {
    src: String,
    dst: String,
    sport: u32,
    dport: u32,
    proto: u32,
    packets: u64,
    bytes: u64,
    start: i64,
    secs: i64,
    reject: bool,
    flags: u32,
    ingress: bool,
}

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
    fn public_ip(&mut self) -> String {
        // Clients from a spread of public blocks (none private or reserved).
        let first = *[23u8, 31, 45, 62, 81, 91, 103, 109, 151, 177, 185, 201]
            .get(self.rng.random_range(0..12usize))
            .unwrap_or(&81);
        format!(
            "{first}.{}.{}.{}",
            self.rng.random_range(0..256u32),
            self.rng.random_range(0..256u32),
            self.rng.random_range(1..255u32)
        )
    }
    fn ephemeral(&mut self) -> u32 {
        self.rng.random_range(32768..61000)
    }
    /// A busy second of the day (outside the 02:00–06:00 quiet gap).
    fn busy_time(&mut self) -> i64 {
        loop {
            let t = self.rng.random_range(0..86_400i64);
            if !(2..6).contains(&(t / 3600)) {
                return DAY0 + t;
            }
        }
    }
}

fn flow(src: &str, dst: &str, sport: u32, dport: u32, start: i64) -> Flow {
    Flow {
        src: src.into(),
        dst: dst.into(),
        sport,
        dport,
        proto: 6,
        packets: 1,
        bytes: 60,
        start,
        secs: 1,
        reject: false,
        flags: 2,
        ingress: true,
    }
}

/// Background traffic: `n` client sessions with their replies, internal and egress flows.
fn background(g: &mut Gen, n: usize, out: &mut Vec<Flow>) {
    for _ in 0..n {
        let t = g.busy_time();
        let kind = g.rng.random_range(0..10u32);
        let client = g.public_ip();
        let secs = g.rng.random_range(1..60i64);
        let bytes = g.lognormal(6000.0, 1.0);
        let packets = (bytes / g.rng.random_range(400..1200u64)).max(2);
        let mut f = match kind {
            0..=5 => {
                let port = if kind == 0 { 80 } else { 443 };
                let mut f = flow(&client, "10.0.1.10", g.ephemeral(), port, t);
                // The reply from the server.
                let mut r = flow("10.0.1.10", &client, port, f.sport, t);
                r.bytes = bytes * g.rng.random_range(2..20u64);
                r.packets = (r.bytes / 1200).max(2);
                (r.secs, r.flags, r.ingress) = (secs, 18 | 1, false);
                out.push(r);
                f.flags = 2 | 16 | 1;
                f
            }
            6 | 7 => {
                let mut f = flow("10.0.1.11", "10.0.2.20", g.ephemeral(), 5432, t);
                f.flags = 27;
                f
            }
            8 => {
                let mut f = flow("10.0.1.11", "10.0.0.2", g.ephemeral(), 53, t);
                (f.proto, f.flags) = (17, 0);
                f
            }
            _ => {
                let svc = format!(
                    "52.216.{}.{}",
                    g.rng.random_range(0..256u32),
                    g.rng.random_range(1..255u32)
                );
                let mut f = flow("10.0.1.11", &svc, g.ephemeral(), 443, t);
                (f.flags, f.ingress) = (27, false);
                f
            }
        };
        f.bytes = if f.proto == 17 {
            g.rng.random_range(60..300)
        } else {
            bytes
        };
        f.packets = if f.proto == 17 { 1 } else { packets };
        f.secs = secs;
        out.push(f);
    }
}

/// The planted attacks (see the module documentation).
fn attacks(g: &mut Gen, out: &mut Vec<Flow>) {
    let scan0 = DAY0 + 9 * 3600 + 600;
    for k in 0..600u32 {
        let port = g.rng.random_range(1..1025u32);
        let mut f = flow(
            "198.51.100.23",
            "10.0.1.10",
            g.ephemeral(),
            port,
            scan0 + i64::from(k) / 2,
        );
        f.reject = g.rng.random_range(0..10u32) != 0;
        f.packets = g.rng.random_range(1..3);
        f.bytes = 44 * f.packets;
        out.push(f);
    }
    for (src, dst, port, hour, n) in [
        ("192.0.2.77", "10.0.1.5", 22, 11, 400),
        ("192.0.2.78", "10.0.1.11", 3389, 12, 300),
    ] {
        let t0 = DAY0 + hour * 3600 + 1800;
        for k in 0..n {
            let mut f = flow(src, dst, g.ephemeral(), port, t0 + k * 6);
            f.secs = g.rng.random_range(1..5);
            f.packets = g.rng.random_range(10..25);
            f.bytes = f.packets * g.rng.random_range(90..200);
            f.flags = 2 | 16 | 1 | 8;
            out.push(f);
        }
    }
    for k in 0..12 {
        let mut f = flow(
            "10.0.2.20",
            "203.0.113.50",
            g.ephemeral(),
            443,
            DAY0 + 22 * 3600 + k * 290,
        );
        f.bytes = g.rng.random_range(60_000_000..400_000_000);
        f.packets = f.bytes / 1400;
        (f.secs, f.flags, f.ingress) = (g.rng.random_range(200..290), 27, false);
        out.push(f);
    }
    for _ in 0..200 {
        let src = format!(
            "198.{}.{}.{}",
            g.rng.random_range(18..20u32),
            g.rng.random_range(0..256u32),
            g.rng.random_range(1..255u32)
        );
        for _ in 0..g.rng.random_range(2..6) {
            let t = DAY0 + 16 * 3600 + g.rng.random_range(0..600i64);
            let mut f = flow(&src, "10.0.1.10", g.ephemeral(), 80, t);
            f.packets = g.rng.random_range(500..4000);
            f.bytes = f.packets * g.rng.random_range(40..64);
            f.secs = g.rng.random_range(20..60);
            out.push(f);
        }
    }
}

/// The interface a flow is logged on: the one holding its internal address.
fn eni_of(f: &Flow) -> Option<&'static Eni> {
    let own = if f.ingress { &f.dst } else { &f.src };
    ENIS.iter()
        .find(|e| e.ip == own)
        .or_else(|| ENIS.iter().find(|e| e.ip == f.src || e.ip == f.dst))
}

fn line(f: &Flow, eni: &Eni) -> String {
    format!(
        "2 {ACCOUNT} {} {} {} {} {} {} {} {} {} {} {} OK {VPC} {} {} {}\n",
        eni.id,
        f.src,
        f.dst,
        f.sport,
        f.dport,
        f.proto,
        f.packets,
        f.bytes,
        f.start,
        f.start + f.secs,
        if f.reject { "REJECT" } else { "ACCEPT" },
        eni.subnet,
        if f.proto == 6 {
            f.flags.to_string()
        } else {
            "-".into()
        },
        if f.ingress { "ingress" } else { "egress" },
    )
}

/// The demo's files: (path relative to the output folder, bytes), gzip-compressed logs and
/// `labels.json`. `sessions` scales the background traffic.
pub fn files(sessions: usize, seed: u64) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
    };
    let mut flows = Vec::new();
    background(&mut g, sessions, &mut flows);
    attacks(&mut g, &mut flows);
    flows.sort_by_key(|f| f.start);
    // Text per (interface, hour).
    let mut texts: Vec<Vec<String>> = vec![vec![String::new(); 24]; ENIS.len()];
    for f in &flows {
        let Some(eni) = eni_of(f) else { continue };
        let e = ENIS.iter().position(|x| x.id == eni.id).unwrap_or(0);
        let hour = ((f.start - DAY0) / 3600).clamp(0, 23) as usize;
        if let Some(t) = texts.get_mut(e).and_then(|h| h.get_mut(hour)) {
            t.push_str(&line(f, eni));
        }
    }
    let dir = format!("AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2024/04/25");
    let mut out = Vec::new();
    for (e, eni) in ENIS.iter().enumerate() {
        for hour in 0..24usize {
            let start = DAY0 + hour as i64 * 3600;
            let mut text = format!("{FORMAT}\n");
            let status = match hour {
                2..=5 => Some("NODATA"),
                14 if e == 2 => Some("SKIPDATA"),
                _ => None,
            };
            match status {
                Some(s) => text.push_str(&format!(
                    "2 {ACCOUNT} {} - - - - - - - {start} {} - {s} {VPC} {} - -\n",
                    eni.id,
                    start + 3599,
                    eni.subnet
                )),
                None => {
                    let body = texts.get(e).and_then(|h| h.get(hour)).map_or("", |s| s);
                    // AWS delivers no file for an hour without records.
                    if body.is_empty() {
                        continue;
                    }
                    text.push_str(body);
                }
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(text.as_bytes())?;
            let name = format!(
                "{dir}/{ACCOUNT}_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f67890_20240425T{hour:02}00Z_{:08x}.log.gz",
                (seed as u32) ^ ((e * 24 + hour) as u32).wrapping_mul(2_654_435_761)
            );
            out.push((name, gz.finish()?));
        }
    }
    out.push(("labels.json".into(), labels().into_bytes()));
    Ok(out)
}

/// The demo's files as S3 delivers Parquet flow logs: each `.log.gz` becomes a `.log.parquet`
/// with gzip pages (labels.json stays).
pub fn as_parquet(files: Vec<(String, Vec<u8>)>) -> Result<Vec<(String, Vec<u8>)>, String> {
    use crate::ingest::parquet::write::{Codec, flow_text_to_parquet};
    use std::io::Read;
    files
        .into_iter()
        .map(|(name, bytes)| {
            let Some(stem) = name.strip_suffix(".log.gz") else {
                return Ok((name, bytes));
            };
            let mut text = String::new();
            flate2::read::GzDecoder::new(bytes.as_slice())
                .read_to_string(&mut text)
                .map_err(|e| format!("{name}: {e}"))?;
            let pq = flow_text_to_parquet(&text, Codec::Gzip, 100_000)
                .map_err(|e| format!("{name}: {e}"))?;
            Ok((format!("{stem}.log.parquet"), pq))
        })
        .collect()
}

/// The planted attacks as JSON, for tests and for people checking what was found.
pub fn labels() -> String {
    let items: Vec<serde_json::Value> = PLANTED
        .iter()
        .map(|(kind, src, target, hour)| {
            serde_json::json!({"attack": kind, "src": src, "target": target, "from_hour_utc": hour, "date": "2024-04-25"})
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_deterministic_and_in_the_s3_layout() {
        let a = files(500, 3).unwrap();
        let b = files(500, 3).unwrap();
        assert_eq!(a, b);
        assert!(a.len() > 40 && a.len() <= ENIS.len() * 24 + 1);
        assert!(
            a[0].0
                .starts_with("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/04/25/")
        );
        assert!(a[0].1.starts_with(&[0x1f, 0x8b]));
    }
}
