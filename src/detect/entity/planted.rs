//! Generated traffic with planted per-source behaviours, for tests and benchmarks of entity
//! detection: the CloudWatch CSV columns (as `threatlens demo` writes them) plus `action`.
//!
//! Owns [`write_planted`] and the planted sources' addresses. Background sources make a handful of
//! ordinary HTTPS sessions each (a few ports, a few destinations, minutes long, accepted); on top
//! of them it plants a port scanner ([`SCANNER`]: hundreds of one-second flows to distinct ports,
//! mostly rejected), a brute-forcer ([`BRUTE_FORCER`]: hundreds of short SSH/RDP sessions) and an
//! exfiltrating host ([`EXFILTRATOR`]: a few sessions sending hundreds of megabytes to one
//! address). Deterministic for a seed. It must not read files or print.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// The planted port scanner.
pub const SCANNER: &str = "203.0.113.66";
/// The planted SSH/RDP brute-forcer.
pub const BRUTE_FORCER: &str = "198.51.100.22";
/// The planted exfiltrating host.
pub const EXFILTRATOR: &str = "10.0.9.99";

const HEADER: &str = "bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,protocol,response.code,dst_port,dst_ip,rule_names,observation_name,source.meta,source.name,time,detection_types,action";

/// Writes `sources` ordinary sources (about `sessions` rows each, varying) plus the three planted
/// ones, starting 2024-04-25T23:00:00Z.
pub fn write_planted(
    out: &mut dyn Write,
    sources: usize,
    sessions: usize,
    seed: u64,
) -> std::io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    writeln!(out, "{HEADER}")?;
    let t0: i64 = 1_714_086_000;
    let day = 86_400;
    let ports = [443u32, 80, 8443, 443, 443];
    for s in 0..sources {
        let ip = format!("172.{}.{}.{}", 16 + s / 65_536 % 16, s / 256 % 256, s % 256);
        let n = rng.random_range(sessions / 2..=sessions * 3 / 2).max(1);
        for _ in 0..n {
            let start = t0 + rng.random_range(0..day);
            let dur = rng.random_range(120..900);
            let port = ports[rng.random_range(0..ports.len())];
            let dst = format!("10.0.{}.{}", rng.random_range(0..2), rng.random_range(1..4));
            let bin = rng.random_range(2_000..40_000);
            let bout = rng.random_range(2_000..40_000);
            row(out, bin, bout, start, dur, &ip, port, &dst, "ACCEPT")?;
        }
    }
    for k in 0..900u32 {
        let start = t0 + 3_600 + i64::from(k) / 10;
        let action = if k % 10 == 0 { "ACCEPT" } else { "REJECT" };
        row(out, 60, 0, start, 1, SCANNER, 1 + k * 7, "10.0.0.1", action)?;
    }
    for k in 0..400i64 {
        let port = if k % 4 == 0 { 3389 } else { 22 };
        let bin = rng.random_range(900..1_500);
        let bout = rng.random_range(900..1_500);
        row(
            out,
            bin,
            bout,
            t0 + 7_200 + k * 3,
            2,
            BRUTE_FORCER,
            port,
            "10.0.1.2",
            "ACCEPT",
        )?;
    }
    for k in 0..4u32 {
        let bin = 150_000_000 + u64::from(k) * 7_000_000;
        let start = t0 + 40_000 + i64::from(k) * 1_800;
        row(
            out,
            bin,
            20_000,
            start,
            1_200,
            EXFILTRATOR,
            443,
            "192.0.2.200",
            "ACCEPT",
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn row(
    out: &mut dyn Write,
    bytes_in: u64,
    bytes_out: u64,
    start: i64,
    duration: i64,
    ip: &str,
    port: u32,
    dst: &str,
    action: &str,
) -> std::io::Result<()> {
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    };
    let (s, e) = (fmt(start), fmt(start + duration));
    writeln!(
        out,
        "{bytes_in},{bytes_out},{s},{e},{ip},US,TCP,200,{port},{dst},Suspicious Web Traffic,Adversary Infrastructure Interaction,AWS_VPC_Flow,prod_webserver,{s},waf_rule,{action}"
    )
}
