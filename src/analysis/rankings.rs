//! Rankings: traffic grouped by an entity (country, source IP, port, rule …).
//!
//! Any column can be a grouping key: dictionary columns group by their codes,
//! numeric columns by value. Each group gets sessions and bytes in/out sums,
//! means and maxima (exact integer sums); [`reach`] adds a source's distinct destination ports
//! and addresses (a port scan's tell). Pure functions over a row selection.

use super::Rows;
use crate::dataset::{ColumnData, Dataset, MISSING_U64, Role, UInts, format_number};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Group keys for every row: `codes[row]` indexes `labels`.
#[derive(Debug, Clone)]
pub struct Groups {
    pub codes: Vec<u32>,
    pub labels: Vec<String>,
}

/// Groups the rows of a dataset by a column's values (all rows, not only a selection).
pub fn groups(ds: &Dataset, col: usize) -> Option<Groups> {
    let column = ds.columns.get(col)?;
    Some(match &column.data {
        ColumnData::Text(d) => Groups {
            codes: d.codes.to_vec(),
            labels: d.values.iter().map(|s| s.to_string()).collect(),
        },
        ColumnData::Ip(d) => Groups {
            codes: d.codes.to_vec(),
            labels: d
                .values
                .iter()
                .map(|ip| ip.map(|ip| ip.to_string()).unwrap_or_default())
                .collect(),
        },
        _ => {
            let mut index: FxHashMap<u64, u32> = FxHashMap::default();
            let mut labels = Vec::new();
            let codes = (0..ds.rows)
                .map(|r| {
                    let v = column.data.number(r);
                    let key = v.map_or(u64::MAX, f64::to_bits);
                    *index.entry(key).or_insert_with(|| {
                        labels.push(v.map(format_number).unwrap_or_default());
                        (labels.len() - 1) as u32
                    })
                })
                .collect();
            Groups { codes, labels }
        }
    })
}

/// Sum, mean and maximum of a byte column within a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ByteAgg {
    pub sum: u128,
    pub mean: Option<f64>,
    pub max: Option<u64>,
    /// Sessions with a value.
    pub count: u64,
}

impl ByteAgg {
    /// The sum, or `None` when no session had a value (the table has no such column).
    pub fn total(&self) -> Option<u128> {
        (self.count > 0).then_some(self.sum)
    }
}

/// One entity's traffic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankRow {
    pub key: String,
    pub sessions: u64,
    pub bytes_in: ByteAgg,
    pub bytes_out: ByteAgg,
    /// Index of the group in [`Groups::labels`].
    #[serde(skip)]
    pub group: u32,
}

/// How to order a ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankBy {
    #[default]
    Sessions,
    BytesIn,
    BytesOut,
}

fn byte_value(ds: &Dataset, role: Role) -> Option<&UInts> {
    match &ds.role(role)?.data {
        ColumnData::UInt(v) => Some(v),
        _ => None,
    }
}

/// Ranks the groups of `col` over the selected rows, ordered by `by` (descending,
/// ties by key ascending). Missing keys rank as the empty string.
pub fn rank(ds: &Dataset, col: usize, rows: Rows<'_>, by: RankBy) -> Vec<RankRow> {
    let Some(groups) = groups(ds, col) else {
        return Vec::new();
    };
    rank_groups(ds, &groups, rows, by)
}

/// [`rank`] with groups already computed.
pub fn rank_groups(ds: &Dataset, groups: &Groups, rows: Rows<'_>, by: RankBy) -> Vec<RankRow> {
    let bin = byte_value(ds, Role::BytesIn);
    let bout = byte_value(ds, Role::BytesOut);
    let mut acc: Vec<RankRow> = groups
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| RankRow {
            key: l.clone(),
            sessions: 0,
            bytes_in: ByteAgg::default(),
            bytes_out: ByteAgg::default(),
            group: i as u32,
        })
        .collect();
    let add = |agg: &mut ByteAgg, v: Option<&UInts>, r: usize| {
        if let Some(x) = v.and_then(|v| v.get(r))
            && x != MISSING_U64
        {
            agg.sum += u128::from(x);
            agg.count += 1;
            agg.max = Some(agg.max.map_or(x, |m| m.max(x)));
        }
    };
    rows.for_each(|r| {
        if let Some(g) = groups.codes.get(r).and_then(|&c| acc.get_mut(c as usize)) {
            g.sessions += 1;
            add(&mut g.bytes_in, bin, r);
            add(&mut g.bytes_out, bout, r);
        }
    });
    let mut out: Vec<RankRow> = acc.into_iter().filter(|g| g.sessions > 0).collect();
    for g in &mut out {
        for a in [&mut g.bytes_in, &mut g.bytes_out] {
            a.mean = (a.count > 0).then(|| a.sum as f64 / a.count as f64);
        }
    }
    out.sort_by(|a, b| {
        let key = |g: &RankRow| match by {
            RankBy::Sessions => u128::from(g.sessions),
            RankBy::BytesIn => g.bytes_in.sum,
            RankBy::BytesOut => g.bytes_out.sum,
        };
        key(b).cmp(&key(a)).then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// How far a group reaches: distinct destination ports and destination addresses among its
/// sessions (None when the dataset has no such column). A port scan is one source with many
/// ports; a sweep is one source with many addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub dst_ports: Option<u64>,
    pub dst_addrs: Option<u64>,
}

/// [`Reach`] of every group over the selected rows, indexed like `groups.labels`. `None` when
/// the dataset has neither a destination port nor a destination address column.
pub fn reach(ds: &Dataset, groups: &Groups, rows: Rows<'_>) -> Option<Vec<Reach>> {
    let port = ds.role(Role::DstPort);
    let addr = match ds.role(Role::DstIp).map(|c| &c.data) {
        Some(ColumnData::Ip(d)) => Some(&d.codes),
        _ => None,
    };
    if port.is_none() && addr.is_none() {
        return None;
    }
    let mut ports: rustc_hash::FxHashSet<(u32, u64)> = Default::default();
    let mut addrs: rustc_hash::FxHashSet<(u32, u32)> = Default::default();
    rows.for_each(|r| {
        let Some(&g) = groups.codes.get(r) else {
            return;
        };
        if let Some(p) = port.and_then(|c| c.data.number(r)) {
            ports.insert((g, p.to_bits()));
        }
        if let Some(a) = addr.and_then(|c| c.get(r)) {
            addrs.insert((g, a));
        }
    });
    let zero = |present: bool| present.then_some(0);
    let mut out = vec![
        Reach {
            dst_ports: zero(port.is_some()),
            dst_addrs: zero(addr.is_some()),
        };
        groups.labels.len()
    ];
    for (g, _) in ports {
        if let Some(n) = out.get_mut(g as usize).and_then(|x| x.dst_ports.as_mut()) {
            *n += 1;
        }
    }
    for (g, _) in addrs {
        if let Some(n) = out.get_mut(g as usize).and_then(|x| x.dst_addrs.as_mut()) {
            *n += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_counts_distinct_ports_and_addresses_per_source() {
        let ds = crate::ingest::load_bytes(
            "<t>",
            b"src_ip,dst_ip,dst_port,bytes_in,bytes_out\n\
              1.1.1.1,10.0.0.1,22,5,1\n1.1.1.1,10.0.0.1,23,5,1\n1.1.1.1,10.0.0.1,22,5,1\n\
              1.1.1.1,10.0.0.2,80,5,1\n2.2.2.2,10.0.0.1,443,9,9\n2.2.2.2,10.0.0.1,443,9,9\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let col = ds.role_index(Role::SrcIp).unwrap_or_default();
        let g = groups(&ds, col).unwrap_or_else(|| panic!("groups"));
        let reach = reach(&ds, &g, Rows::All(ds.rows)).unwrap_or_default();
        let of = |ip: &str| {
            let i = g.labels.iter().position(|l| l == ip).unwrap_or(usize::MAX);
            reach.get(i).copied().unwrap_or_default()
        };
        assert_eq!(
            of("1.1.1.1"),
            Reach {
                dst_ports: Some(3),
                dst_addrs: Some(2)
            }
        );
        assert_eq!(
            of("2.2.2.2"),
            Reach {
                dst_ports: Some(1),
                dst_addrs: Some(1)
            }
        );
        // Only the selected rows count.
        let first = [4u32, 5];
        let r = super::reach(&ds, &g, Rows::Subset(&first)).unwrap_or_default();
        assert_eq!(r.iter().filter_map(|x| x.dst_ports).sum::<u64>(), 1);
        // Without destination columns there is nothing to count.
        let bare = crate::ingest::load_bytes("<t>", b"src_ip,bytes_in\n1.1.1.1,5\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let g = groups(&bare, 0).unwrap_or_else(|| panic!("groups"));
        assert_eq!(super::reach(&bare, &g, Rows::All(1)), None);
    }
}
