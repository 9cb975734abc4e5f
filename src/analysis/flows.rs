//! Flows: the source → destination interaction graph (the notebooks' NetworkX view).
//!
//! Groups the selected rows by (src_ip, dst_ip) pair: sessions, bytes in and out,
//! destination ports per pair; plus fan-out per source (distinct destinations and
//! ports) and fan-in per destination (distinct sources and ports). Pure.

use super::Rows;
use crate::dataset::{ColumnData, Dataset, MISSING_U64, Role};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// One edge of the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub src: String,
    pub dst: String,
    pub sessions: u64,
    pub bytes_in: u128,
    pub bytes_out: u128,
    /// Distinct destination ports (up to 8 shown), ascending.
    pub ports: Vec<u32>,
    pub port_count: usize,
    /// Flagged sessions on this edge.
    pub flagged: u64,
}

/// A node's reach: distinct peers and ports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fan {
    pub ip: String,
    pub peers: usize,
    pub ports: usize,
    pub sessions: u64,
    /// Bytes in and out of its sessions.
    #[serde(skip)]
    pub bytes: u128,
}

/// The order of a fan list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FanOrder {
    /// Distinct peers, then ports, then sessions.
    #[default]
    FanOut,
    Sessions,
    Bytes,
}

impl FanOrder {
    /// The next order: fan-out → sessions → bytes → fan-out.
    pub fn next(self) -> FanOrder {
        match self {
            FanOrder::FanOut => FanOrder::Sessions,
            FanOrder::Sessions => FanOrder::Bytes,
            FanOrder::Bytes => FanOrder::FanOut,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FanOrder::FanOut => "fan-out",
            FanOrder::Sessions => "sessions",
            FanOrder::Bytes => "bytes",
        }
    }
}

/// The graph summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Flows {
    pub unique_src: usize,
    pub unique_dst: usize,
    pub edges: usize,
    /// Pairs by sessions, most first.
    pub pairs: Vec<Pair>,
    /// Sources by distinct destinations, most first.
    pub fan_out: Vec<Fan>,
    /// Sources by sessions, most first (the top of the whole list, not a re-sort of `fan_out`).
    #[serde(skip)]
    pub fan_out_sessions: Vec<Fan>,
    /// Sources by bytes in and out, most first.
    #[serde(skip)]
    pub fan_out_bytes: Vec<Fan>,
    /// Destinations by distinct sources, most first.
    pub fan_in: Vec<Fan>,
}

fn ip_codes(ds: &Dataset, role: Role) -> Option<(&crate::dataset::Codes, Vec<String>)> {
    match &ds.role(role)?.data {
        ColumnData::Ip(d) => Some((
            &d.codes,
            d.values
                .iter()
                .map(|ip| ip.map(|i| i.to_string()).unwrap_or_default())
                .collect(),
        )),
        _ => None,
    }
}

/// Builds the graph over the selected rows; `flagged(row)` marks flagged sessions.
/// `None` when the dataset has no src_ip and dst_ip columns.
pub fn flows(
    ds: &Dataset,
    rows: Rows<'_>,
    top: usize,
    flagged: impl Fn(usize) -> bool,
) -> Option<Flows> {
    let (src_codes, src_labels) = ip_codes(ds, Role::SrcIp)?;
    let (dst_codes, dst_labels) = ip_codes(ds, Role::DstIp)?;
    let port = ds.role(Role::DstPort);
    let bytes = |role| match ds.role(role).map(|c| &c.data) {
        Some(ColumnData::UInt(v)) => Some(v),
        _ => None,
    };
    let (bin, bout) = (bytes(Role::BytesIn), bytes(Role::BytesOut));
    #[derive(Default)]
    struct Acc {
        sessions: u64,
        bytes_in: u128,
        bytes_out: u128,
        ports: FxHashSet<u32>,
        flagged: u64,
    }
    let mut edges: FxHashMap<(u32, u32), Acc> = FxHashMap::default();
    let mut out_peers: FxHashMap<u32, Reach> = FxHashMap::default();
    let mut in_peers: FxHashMap<u32, Reach> = FxHashMap::default();
    rows.for_each(|r| {
        let (Some(s), Some(d)) = (src_codes.get(r), dst_codes.get(r)) else {
            return;
        };
        let p = port
            .and_then(|c| c.data.number(r))
            .filter(|p| (0.0..=65535.0).contains(p))
            .map(|p| p as u32);
        let e = edges.entry((s, d)).or_default();
        e.sessions += 1;
        let (mut b_in, mut b_out) = (0u128, 0u128);
        if let Some(x) = bin.and_then(|v| v.get(r)).filter(|x| *x != MISSING_U64) {
            b_in = u128::from(x);
        }
        if let Some(x) = bout.and_then(|v| v.get(r)).filter(|x| *x != MISSING_U64) {
            b_out = u128::from(x);
        }
        e.bytes_in += b_in;
        e.bytes_out += b_out;
        if let Some(p) = p {
            e.ports.insert(p);
        }
        e.flagged += u64::from(flagged(r));
        let o = out_peers.entry(s).or_default();
        o.0.insert(d);
        if let Some(p) = p {
            o.1.insert(p);
        }
        o.2 += 1;
        o.3 += b_in + b_out;
        let i = in_peers.entry(d).or_default();
        i.0.insert(s);
        if let Some(p) = p {
            i.1.insert(p);
        }
        i.2 += 1;
        i.3 += b_in + b_out;
    });
    let label = |labels: &[String], c: u32| labels.get(c as usize).cloned().unwrap_or_default();
    let n_edges = edges.len();
    let mut pairs: Vec<Pair> = edges
        .into_iter()
        .map(|((s, d), a)| {
            let mut ports: Vec<u32> = a.ports.into_iter().collect();
            ports.sort_unstable();
            let port_count = ports.len();
            ports.truncate(8);
            Pair {
                src: label(&src_labels, s),
                dst: label(&dst_labels, d),
                sessions: a.sessions,
                bytes_in: a.bytes_in,
                bytes_out: a.bytes_out,
                ports,
                port_count,
                flagged: a.flagged,
            }
        })
        .collect();
    pairs.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then(b.bytes_in.cmp(&a.bytes_in))
            .then_with(|| a.src.cmp(&b.src))
            .then_with(|| a.dst.cmp(&b.dst))
    });
    pairs.truncate(top);
    let fans = |m: FxHashMap<u32, Reach>, labels: &[String]| -> Vec<Fan> {
        m.into_iter()
            .map(|(c, (peers, ports, sessions, bytes))| Fan {
                ip: label(labels, c),
                peers: peers.len(),
                ports: ports.len(),
                sessions,
                bytes,
            })
            .collect()
    };
    let unique_src = out_peers.len();
    let unique_dst = in_peers.len();
    let out_all = fans(out_peers, &src_labels);
    Some(Flows {
        unique_src,
        unique_dst,
        edges: n_edges,
        pairs,
        fan_out: top_by(&out_all, FanOrder::FanOut, top),
        fan_out_sessions: top_by(&out_all, FanOrder::Sessions, top),
        fan_out_bytes: top_by(&out_all, FanOrder::Bytes, top),
        fan_in: top_by(&fans(in_peers, &dst_labels), FanOrder::FanOut, top),
    })
}

/// A node's distinct peers and ports, sessions and bytes, while the graph is built.
type Reach = (FxHashSet<u32>, FxHashSet<u32>, u64, u128);

/// The first `top` of `fans` in `order` (ties by the other figures, then by address).
fn top_by(fans: &[Fan], order: FanOrder, top: usize) -> Vec<Fan> {
    let mut v: Vec<&Fan> = fans.iter().collect();
    let fan = |f: &Fan| (f.peers, f.ports);
    v.sort_by(|a, b| {
        let first = match order {
            FanOrder::FanOut => fan(b).cmp(&fan(a)).then(b.sessions.cmp(&a.sessions)),
            FanOrder::Sessions => b.sessions.cmp(&a.sessions).then(fan(b).cmp(&fan(a))),
            FanOrder::Bytes => b.bytes.cmp(&a.bytes).then(b.sessions.cmp(&a.sessions)),
        };
        first.then_with(|| a.ip.cmp(&b.ip))
    });
    v.into_iter().take(top).cloned().collect()
}

impl Flows {
    /// The fan-out list in an order.
    pub fn fan_out_by(&self, order: FanOrder) -> &[Fan] {
        match order {
            FanOrder::FanOut => &self.fan_out,
            FanOrder::Sessions => &self.fan_out_sessions,
            FanOrder::Bytes => &self.fan_out_bytes,
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_fans_and_counts() {
        let ds = crate::ingest::load_bytes(
            "<t>",
            b"src_ip,dst_ip,dst_port,bytes_in,bytes_out\n1.1.1.1,10.0.0.1,22,5,1\n1.1.1.1,10.0.0.1,22,5,1\n1.1.1.1,10.0.0.2,3389,7,1\n2.2.2.2,10.0.0.1,443,9,9\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let f = flows(&ds, Rows::All(ds.rows), 10, |r| r == 0).unwrap_or_default();
        assert_eq!((f.unique_src, f.unique_dst, f.edges), (2, 2, 3));
        assert_eq!(f.pairs[0].src, "1.1.1.1");
        assert_eq!(
            (f.pairs[0].sessions, f.pairs[0].bytes_in, f.pairs[0].flagged),
            (2, 10, 1)
        );
        assert_eq!(f.fan_out[0].ip, "1.1.1.1");
        assert_eq!((f.fan_out[0].peers, f.fan_out[0].ports), (2, 2));
        assert_eq!(f.fan_in[0].ip, "10.0.0.1");
        assert_eq!(f.fan_in[0].peers, 2);
        // Sorted by sessions or bytes, the whole list is ordered again, not the fan-out top.
        let f = flows(&ds, Rows::All(ds.rows), 1, |_| false).unwrap_or_default();
        assert_eq!(f.fan_out_by(FanOrder::FanOut)[0].ip, "1.1.1.1");
        assert_eq!(f.fan_out_by(FanOrder::Sessions)[0].ip, "1.1.1.1");
        assert_eq!(f.fan_out_by(FanOrder::Bytes)[0].ip, "1.1.1.1");
        assert_eq!(f.fan_out_by(FanOrder::Bytes)[0].bytes, 20);
        let ds = crate::ingest::load_bytes(
            "<t>",
            b"src_ip,dst_ip,dst_port,bytes_in,bytes_out\n1.1.1.1,10.0.0.1,22,5,1\n1.1.1.1,10.0.0.2,23,5,1\n2.2.2.2,10.0.0.1,443,900,9\n3.3.3.3,10.0.0.1,443,1,1\n3.3.3.3,10.0.0.1,443,1,1\n3.3.3.3,10.0.0.1,443,1,1\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let f = flows(&ds, Rows::All(ds.rows), 1, |_| false).unwrap_or_default();
        let first = |o| {
            f.fan_out_by(o)
                .first()
                .map(|x| x.ip.clone())
                .unwrap_or_default()
        };
        assert_eq!(first(FanOrder::FanOut), "1.1.1.1");
        assert_eq!(first(FanOrder::Sessions), "3.3.3.3");
        assert_eq!(first(FanOrder::Bytes), "2.2.2.2");
        assert_eq!(FanOrder::Bytes.next(), FanOrder::FanOut);
    }
}
