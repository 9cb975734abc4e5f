//! AWS VPC flow logs in their text form: recognising them and reading their fields right.
//!
//! A flow-log file is space-separated with the field names on its first line: the default
//! version 2 format (`version account-id interface-id srcaddr dstaddr srcport dstport protocol
//! packets bytes start end action log-status`) or a custom format with any subset of the
//! version 2 to 8 fields in any order. The loader asks [`is_header`] whether a first line is
//! such a header (content decides, never the file name); the columns then go through the
//! ordinary chunk parser with these differences: `-` is a missing value, `protocol` numbers
//! are shown as IANA names (6 → TCP), `tcp-flags` are decoded (SYN, SYN-ACK, FIN, RST), and
//! records whose `log-status` is NODATA or SKIPDATA are not flows: [`StatusPlan`] counts them
//! with the time they cover instead of loading them. This module only classifies and maps
//! values; it does no I/O.

use crate::dataset::{Column, ColumnData, Dict, LoadFacts, Role, StatusSpan, format_time};
use std::collections::BTreeMap;

/// Every field a flow-log record can carry (versions 2 to 8), as AWS names them.
pub const FIELDS: [&str; 40] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
];

/// The default (version 2) format's fields, in order.
pub const DEFAULT_FORMAT: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// Whether a flow-log field name is known (`account-id` and `account_id` alike, any case).
pub fn is_field(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace('_', "-");
    FIELDS.contains(&n.as_str())
}

/// Whether `line` is a flow-log header: space-separated known field names, at least three,
/// among them an address, a byte count or the log status. A CSV header that happens to use
/// some of these names has commas and is not one.
pub fn is_header(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let text = text.trim_end_matches(['\r', '\n']).trim();
    if text.contains([',', ';', '\t', '|', '"']) {
        return false;
    }
    let names: Vec<&str> = text.split(' ').collect();
    names.len() >= 3
        && names.iter().all(|n| is_field(n))
        && names.iter().any(|n| {
            matches!(
                n.to_ascii_lowercase().replace('_', "-").as_str(),
                "srcaddr" | "dstaddr" | "bytes" | "log-status"
            )
        })
}

/// The IANA name of a protocol number, for the common ones.
pub fn protocol_name(n: u32) -> Option<&'static str> {
    Some(match n {
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPv4",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        89 => "OSPF",
        132 => "SCTP",
        _ => return None,
    })
}

/// A `tcp-flags` value decoded: the OR of the flags seen during the aggregation interval, as
/// names joined by `,` (18 → `SYN-ACK`, 3 → `FIN,SYN`, 0 → `none`). Bits without a name are
/// kept as a number.
pub fn decode_tcp_flags(v: u32) -> String {
    if v == 0 {
        return "none".into();
    }
    let mut names: Vec<String> = Vec::new();
    let mut rest = v;
    // SYN-ACK first: AWS documents 18 as its own value.
    if rest & 0x12 == 0x12 {
        names.push("SYN-ACK".into());
        rest &= !0x12;
    }
    for (bit, name) in [
        (0x01, "FIN"),
        (0x02, "SYN"),
        (0x04, "RST"),
        (0x08, "PSH"),
        (0x10, "ACK"),
        (0x20, "URG"),
    ] {
        if rest & bit != 0 {
            names.push(name.into());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(rest.to_string());
    }
    names.join(",")
}

/// Where a chunk finds a record's log status and times, so non-flow records are counted.
#[derive(Debug, Clone, Copy)]
pub struct StatusPlan {
    pub status: usize,
    pub start: Option<usize>,
    pub end: Option<usize>,
}

impl StatusPlan {
    /// The plan for columns with these roles, when one of them is the log status.
    pub fn of(roles: impl Iterator<Item = Option<Role>> + Clone) -> Option<StatusPlan> {
        let find = |want: Role| roles.clone().position(|r| r == Some(want));
        Some(StatusPlan {
            status: find(Role::LogStatus)?,
            start: find(Role::Start),
            end: find(Role::End),
        })
    }
}

/// Whether a log status marks a record that is not a flow.
pub fn is_non_flow(status: &[u8]) -> bool {
    status.eq_ignore_ascii_case(b"NODATA") || status.eq_ignore_ascii_case(b"SKIPDATA")
}

/// Maps the text columns' values once loaded: in a flow log `-` becomes missing; protocol
/// numbers become names; tcp-flags numbers are decoded. Values that become equal share one
/// dictionary entry.
pub fn tidy_columns(columns: &mut [Column], flow: bool) {
    for col in columns.iter_mut() {
        let role = col.role;
        let ColumnData::Text(dict) = &mut col.data else {
            continue;
        };
        let map = |v: &str| -> Option<String> {
            let t = v.trim();
            if flow && t == "-" {
                return Some(String::new());
            }
            let n: u32 = t.parse().ok()?;
            match role {
                Some(Role::Protocol) => protocol_name(n).map(str::to_string),
                Some(Role::TcpFlags) => Some(decode_tcp_flags(n)),
                _ => None,
            }
        };
        if dict.values.iter().any(|v| map(v).is_some()) {
            remap(dict, map);
        }
    }
}

/// Rewrites a dictionary's values through `map` (unchanged where it gives `None`), folding
/// equal results into one entry.
fn remap(dict: &mut Dict<Box<str>>, map: impl Fn(&str) -> Option<String>) {
    let mut values: Vec<Box<str>> = Vec::new();
    let mut index: BTreeMap<Box<str>, u32> = BTreeMap::new();
    let codes: Vec<u32> = dict
        .values
        .iter()
        .map(|v| {
            let new: Box<str> = map(v).map_or_else(|| v.clone(), String::into_boxed_str);
            *index.entry(new.clone()).or_insert_with(|| {
                values.push(new);
                (values.len() - 1) as u32
            })
        })
        .collect();
    let mut out = crate::dataset::Codes::with_capacity(dict.codes.len());
    out.extend_mapped(&dict.codes, &codes);
    out.shrink_to_fit();
    dict.codes = out;
    dict.values = values;
}

/// Notes for a person about the records that are not flows.
pub fn status_notes(facts: &LoadFacts) -> Vec<String> {
    let span = |s: &StatusSpan| match (s.first, s.last) {
        (Some(a), Some(b)) => format!(" between {} and {}", format_time(a), format_time(b)),
        _ => String::new(),
    };
    let mut notes = Vec::new();
    if let Some(s) = facts.log_status.get("NODATA") {
        notes.push(format!(
            "{} NODATA records (no traffic on those interfaces){}: counted, not loaded as flows",
            s.records,
            span(s)
        ));
    }
    if let Some(s) = facts.log_status.get("SKIPDATA") {
        notes.push(format!(
            "{} SKIPDATA records{}: AWS dropped flow records in that window (capacity or an internal error), so traffic there is under-counted",
            s.records,
            span(s)
        ));
    }
    notes
}

/// Adds one chunk's status counts into the totals.
pub fn merge_statuses(
    into: &mut BTreeMap<String, StatusSpan>,
    from: &BTreeMap<String, StatusSpan>,
) {
    for (k, v) in from {
        into.entry(k.clone()).or_default().merge(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised_from_their_names() {
        assert!(is_header(DEFAULT_FORMAT.as_bytes()));
        assert!(is_header(
            b"srcaddr dstaddr tcp-flags pkt-srcaddr flow-direction bytes\n"
        ));
        assert!(is_header(b"account_id srcaddr dstaddr\r\n"));
        assert!(!is_header(b"srcaddr,dstaddr,bytes"));
        assert!(!is_header(b"srcaddr dstaddr"));
        assert!(!is_header(b"version srcaddr nonsense bytes"));
        assert!(!is_header(b"version account-id start"));
    }

    #[test]
    fn protocols_and_flags_read_as_names() {
        assert_eq!(protocol_name(6), Some("TCP"));
        assert_eq!(protocol_name(17), Some("UDP"));
        assert_eq!(protocol_name(1), Some("ICMP"));
        assert_eq!(protocol_name(250), None);
        assert_eq!(decode_tcp_flags(2), "SYN");
        assert_eq!(decode_tcp_flags(18), "SYN-ACK");
        assert_eq!(decode_tcp_flags(1), "FIN");
        assert_eq!(decode_tcp_flags(4), "RST");
        assert_eq!(decode_tcp_flags(3), "FIN,SYN");
        assert_eq!(decode_tcp_flags(19), "SYN-ACK,FIN");
        assert_eq!(decode_tcp_flags(0), "none");
        assert_eq!(decode_tcp_flags(0x102), "SYN,256");
    }

    #[test]
    fn status_spans_cover_their_records() {
        let mut s = StatusSpan::default();
        s.add(Some(5), Some(9));
        s.add(Some(2), None);
        assert_eq!((s.records, s.first, s.last), (2, Some(2), Some(9)));
        let mut t = StatusSpan::default();
        t.merge(&s);
        t.merge(&s);
        assert_eq!((t.records, t.first, t.last), (4, Some(2), Some(9)));
    }
}
