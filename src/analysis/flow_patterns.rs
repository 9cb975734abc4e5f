//! Attack shapes in flow logs, found from the flows themselves (not from anomaly scores):
//! rejected port scans, large transfers to one outside address, and many short sessions to
//! SSH (22) or RDP (3389).
//!
//! Rules (one home for them and for their sentences):
//! - **rejected scan**: a source with at least [`SCAN_REJECTS`] REJECT flows to at least
//!   [`SCAN_PORTS`] distinct destination ports;
//! - **large transfer**: an internal source's bytes to one outside address (see
//!   [`crate::geoip::is_internal`]) totalling at least [`TRANSFER_BYTES`] and above the mean
//!   + 3σ of all such pairs' totals;
//! - **short sessions**: a source with at least [`SHORT_SESSIONS`] flows of at most
//!   [`SHORT_SECS`] seconds to port 22 or 3389.
//!
//! Needs source and destination addresses; the other rules apply when their columns exist
//! (action, destination port, bytes, start/end). Pure: no I/O.

use crate::dataset::{ColumnData, Dataset, MISSING_TIME, MISSING_U64, Role, format_time};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::net::IpAddr;

pub const SCAN_REJECTS: u64 = 20;
pub const SCAN_PORTS: usize = 10;
pub const TRANSFER_BYTES: u128 = 100_000_000;
pub const SHORT_SESSIONS: u64 = 20;
pub const SHORT_SECS: i64 = 30;

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowPattern {
    /// `rejected scan`, `large transfer` or `short sessions`.
    pub kind: &'static str,
    pub src_ip: String,
    /// The outside address (large transfer) or the port's service (short sessions).
    pub target: String,
    pub flows: u64,
    pub bytes: u128,
    pub first: Option<String>,
    pub last: Option<String>,
    /// What was found and what to do, for a person.
    pub sentence: String,
}

#[derive(Default)]
struct Acc {
    flows: u64,
    bytes: u128,
    ports: FxHashSet<u32>,
    first: Option<i64>,
    last: Option<i64>,
}

impl Acc {
    fn add(&mut self, bytes: Option<u64>, port: Option<u32>, t: Option<i64>, scan: bool) {
        self.flows += 1;
        self.bytes += u128::from(bytes.unwrap_or(0));
        if scan && let Some(p) = port {
            self.ports.insert(p);
        }
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
    fn span(&self) -> String {
        match (self.first, self.last) {
            (Some(a), Some(b)) => format!("{} to {}", format_time(a), format_time(b)),
            _ => "times unknown".into(),
        }
    }
}

fn ip_dict(ds: &Dataset, role: Role) -> Option<&crate::dataset::Dict<Option<IpAddr>>> {
    match &ds.role(role)?.data {
        ColumnData::Ip(d) => Some(d),
        _ => None,
    }
}

/// The flow-log patterns of a dataset, strongest first within each kind.
pub fn find(ds: &Dataset) -> Vec<FlowPattern> {
    find_in(ds, crate::analysis::Rows::All(ds.rows))
}

/// [`find`] over some rows only (a filtered view).
pub fn find_in(ds: &Dataset, rows: crate::analysis::Rows<'_>) -> Vec<FlowPattern> {
    let (Some(src), Some(dst)) = (ip_dict(ds, Role::SrcIp), ip_dict(ds, Role::DstIp)) else {
        return Vec::new();
    };
    let bytes = |r: usize| match ds.role(Role::BytesIn).map(|c| &c.data) {
        Some(ColumnData::UInt(v)) => v.get(r).filter(|x| *x != MISSING_U64),
        _ => None,
    };
    let port = |r: usize| {
        ds.role(Role::DstPort)
            .and_then(|c| c.data.number(r))
            .map(|p| p as u32)
    };
    let time = |role, r: usize| match ds.role(role).map(|c| &c.data) {
        Some(ColumnData::Time(v)) => v.get(r).filter(|t| *t != MISSING_TIME),
        _ => None,
    };
    let reject_code = match ds.role(Role::Action).map(|c| &c.data) {
        Some(ColumnData::Text(d)) => d
            .values
            .iter()
            .position(|v| v.eq_ignore_ascii_case("REJECT"))
            .map(|c| (d, c as u32)),
        _ => None,
    };
    let mut scans: FxHashMap<u32, Acc> = FxHashMap::default();
    let mut pairs: FxHashMap<(u32, u32), Acc> = FxHashMap::default();
    let mut short: FxHashMap<(u32, u32), Acc> = FxHashMap::default();
    let addr = |d: &crate::dataset::Dict<Option<IpAddr>>, c: u32| {
        d.values.get(c as usize).copied().flatten()
    };
    rows.for_each(|r| {
        let (Some(s), Some(d)) = (src.codes.get(r), dst.codes.get(r)) else {
            return;
        };
        let (b, p, t0, t1) = (bytes(r), port(r), time(Role::Start, r), time(Role::End, r));
        if let Some((dict, code)) = reject_code
            && dict.codes.get(r) == Some(code)
        {
            scans.entry(s).or_default().add(b, p, t0, true);
        }
        let (Some(sa), Some(da)) = (addr(src, s), addr(dst, d)) else {
            return;
        };
        if crate::geoip::is_internal(sa) && !crate::geoip::is_internal(da) {
            pairs.entry((s, d)).or_default().add(b, p, t0, false);
        }
        if let (Some(port @ (22 | 3389)), Some(a), Some(e)) = (p, t0, t1)
            && (e - a) <= SHORT_SECS * 1000
        {
            short.entry((s, port)).or_default().add(b, p, t0, false);
        }
    });
    let name = |d: &crate::dataset::Dict<Option<IpAddr>>, c: u32| {
        addr(d, c).map_or_else(|| "?".to_string(), |ip| ip.to_string())
    };
    let mut out = Vec::new();
    let mut found: Vec<(u32, Acc)> = scans
        .into_iter()
        .filter(|(_, a)| a.flows >= SCAN_REJECTS && a.ports.len() >= SCAN_PORTS)
        .collect();
    found.sort_by(|a, b| b.1.flows.cmp(&a.1.flows).then(a.0.cmp(&b.0)));
    for (s, a) in found {
        let ip = name(src, s);
        out.push(FlowPattern {
            kind: "rejected scan",
            sentence: format!(
                "Rejected port scan from {ip}: {} rejected flows to {} destination ports ({}): block the source in the network ACL and check whether any of its accepted flows reached a service.",
                a.flows,
                a.ports.len(),
                a.span()
            ),
            target: format!("{} ports", a.ports.len()),
            ..pattern(ip, &a)
        });
    }
    out.extend(transfers(pairs, |c| name(src, c), |c| name(dst, c)));
    let mut found: Vec<((u32, u32), Acc)> = short
        .into_iter()
        .filter(|(_, a)| a.flows >= SHORT_SESSIONS)
        .collect();
    found.sort_by(|a, b| b.1.flows.cmp(&a.1.flows).then(a.0.cmp(&b.0)));
    for ((s, port), a) in found {
        let ip = name(src, s);
        let service = if port == 22 {
            "SSH (port 22)"
        } else {
            "RDP (port 3389)"
        };
        out.push(FlowPattern {
            kind: "short sessions",
            sentence: format!(
                "Many short sessions to {service} from {ip}: {} flows of {SHORT_SECS} s or less ({}), the shape of password guessing: allow {service} only from known addresses in the security group, and require keys or MFA.",
                a.flows,
                a.span()
            ),
            target: service.into(),
            ..pattern(ip, &a)
        });
    }
    out
}

fn pattern(src_ip: String, a: &Acc) -> FlowPattern {
    FlowPattern {
        kind: "",
        src_ip,
        target: String::new(),
        flows: a.flows,
        bytes: a.bytes,
        first: a.first.map(format_time),
        last: a.last.map(format_time),
        sentence: String::new(),
    }
}

/// Internal → outside pairs whose total is large and far above the others.
fn transfers(
    pairs: FxHashMap<(u32, u32), Acc>,
    src: impl Fn(u32) -> String,
    dst: impl Fn(u32) -> String,
) -> Vec<FlowPattern> {
    let n = pairs.len() as f64;
    if n == 0.0 {
        return Vec::new();
    }
    let mean = pairs.values().map(|a| a.bytes as f64).sum::<f64>() / n;
    let var = pairs
        .values()
        .map(|a| (a.bytes as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let cut = mean + 3.0 * var.sqrt();
    let mut found: Vec<((u32, u32), Acc)> = pairs
        .into_iter()
        .filter(|(_, a)| a.bytes >= TRANSFER_BYTES && a.bytes as f64 > cut)
        .collect();
    found.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(&b.0)));
    found
        .into_iter()
        .map(|((s, d), a)| {
            let (ip, to) = (src(s), dst(d));
            FlowPattern {
                kind: "large transfer",
                sentence: format!(
                    "Large transfer from {ip} to outside address {to}: {:.1} MB in {} flows ({}): confirm {to} is a known service; if not, isolate {ip} and review what it could read.",
                    a.bytes as f64 / 1e6,
                    a.flows,
                    a.span()
                ),
                target: to,
                ..pattern(ip, &a)
            }
        })
        .collect()
}
