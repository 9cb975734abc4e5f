//! The order columns are shown in: a flow log's most telling fields first.
//!
//! Flow logs come in any field order (custom formats, Parquet); Records, exports and record
//! details read best with time, source, destination, destination port, protocol, action,
//! bytes and packets first, then every other column in its input order. Other inputs keep
//! their header order. This module only reorders columns; it reads and changes no value.

use crate::dataset::{Dataset, Role, SchemaMode};

/// The roles a flow log's columns start with, in order.
pub const FLOW_FIRST: [Role; 8] = [
    Role::Start,
    Role::SrcIp,
    Role::DstIp,
    Role::DstPort,
    Role::Protocol,
    Role::Action,
    Role::BytesIn,
    Role::Packets,
];

/// Puts a flow log's [`FLOW_FIRST`] columns first (those present); others keep their order.
pub fn flow_first(mut ds: Dataset) -> Dataset {
    if ds.mode() != SchemaMode::FlowLog {
        return ds;
    }
    let rank = |c: &crate::dataset::Column| {
        c.role
            .and_then(|r| FLOW_FIRST.iter().position(|x| *x == r))
            .unwrap_or(FLOW_FIRST.len())
    };
    // A stable sort: columns without a place keep their input order after the first eight.
    ds.columns.sort_by_key(|c| rank(c));
    ds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_logs_start_with_time_addresses_port_protocol_action_and_counts() {
        let text = "version srcport log-status packets bytes action protocol dstport dstaddr srcaddr end start\n\
2 5 OK 1 2 ACCEPT 6 22 10.0.0.2 10.0.0.1 1700000060 1700000000\n";
        let ds = crate::ingest::load_bytes("t", text.as_bytes()).unwrap();
        let ds = flow_first(ds);
        let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "start",
                "srcaddr",
                "dstaddr",
                "dstport",
                "protocol",
                "action",
                "bytes",
                "packets",
                "version",
                "srcport",
                "log-status",
                "end"
            ]
        );
        let csv =
            crate::ingest::load_bytes("c", b"src_ip,bytes_in,dst_port\n10.0.0.1,5,22\n").unwrap();
        let csv = flow_first(csv);
        let names: Vec<&str> = csv.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["src_ip", "bytes_in", "dst_port"],
            "not a flow log: as read"
        );
    }
}
