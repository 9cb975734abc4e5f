//! The schema layer: which header names play which role, and how each role is typed.
//!
//! Header names are matched case-insensitively, ignoring surrounding spaces, and
//! `-`/`_`/`.`/space are treated alike, in any column order. Columns without a role
//! are kept as generic columns. This module only maps names; it parses no values.

use serde::Serialize;

/// What a column means to threatlens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Role {
    BytesIn,
    BytesOut,
    Start,
    End,
    Time,
    SrcIp,
    DstIp,
    Country,
    Protocol,
    ResponseCode,
    DstPort,
    RuleNames,
    ObservationName,
    SourceMeta,
    SourceName,
    DetectionTypes,
    Label,
    /// A flow's source port.
    SrcPort,
    /// Packets in a flow (VPC flow logs `packets`).
    Packets,
    /// ACCEPT or REJECT (flow logs, WAF `action`).
    Action,
    /// A flow-log record's `log-status`: OK, NODATA or SKIPDATA.
    LogStatus,
    /// The network interface (`interface-id`).
    Interface,
    /// The AWS account (`account-id`).
    Account,
    /// The VPC (`vpc-id`).
    Vpc,
    /// TCP flags, decoded to names (SYN, SYN-ACK, FIN, RST).
    TcpFlags,
}

/// How a role's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleType {
    UInt,
    Float,
    Time,
    Ip,
    Text,
}

/// Whether the file has the CloudWatch roles, is a flow log (packets and addresses, or a
/// log status), or is a generic numeric table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaMode {
    CloudWatch,
    FlowLog,
    Generic,
}

impl Role {
    pub const ALL: [Role; 25] = [
        Role::BytesIn,
        Role::BytesOut,
        Role::Start,
        Role::End,
        Role::Time,
        Role::SrcIp,
        Role::DstIp,
        Role::Country,
        Role::Protocol,
        Role::ResponseCode,
        Role::DstPort,
        Role::RuleNames,
        Role::ObservationName,
        Role::SourceMeta,
        Role::SourceName,
        Role::DetectionTypes,
        Role::Label,
        Role::SrcPort,
        Role::Packets,
        Role::Action,
        Role::LogStatus,
        Role::Interface,
        Role::Account,
        Role::Vpc,
        Role::TcpFlags,
    ];

    /// The canonical header name.
    pub fn canonical(self) -> &'static str {
        self.names()[0]
    }

    /// Accepted header names, canonical first (compared after [`normalise`]).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            // A flow log's `bytes` are those the source sent towards the destination: the bytes
            // into the destination, as `bytes_in` counts them in the CloudWatch export.
            Role::BytesIn => &["bytes_in", "bytesin", "in_bytes", "bytes"],
            Role::BytesOut => &["bytes_out", "bytesout", "out_bytes"],
            Role::Start => &["creation_time", "start", "start_time"],
            Role::End => &["end_time", "end"],
            Role::Time => &["time", "timestamp"],
            Role::SrcIp => &["src_ip", "srcaddr", "source_ip"],
            Role::DstIp => &["dst_ip", "dstaddr", "destination_ip"],
            Role::Country => &["src_ip_country_code", "country", "country_code"],
            Role::Protocol => &["protocol"],
            Role::ResponseCode => &["response_code", "status"],
            Role::DstPort => &["dst_port", "dstport", "destination_port"],
            Role::RuleNames => &["rule_names", "rule_name", "rule"],
            Role::ObservationName => &["observation_name"],
            Role::SourceMeta => &["source_meta"],
            Role::SourceName => &["source_name"],
            Role::DetectionTypes => &["detection_types", "detection_type"],
            Role::Label => &["label", "is_anomaly", "is_attack"],
            Role::SrcPort => &["src_port", "srcport", "source_port"],
            Role::Packets => &["packets", "pkts"],
            Role::Action => &["action"],
            Role::LogStatus => &["log_status"],
            Role::Interface => &["interface_id"],
            Role::Account => &["account_id"],
            Role::Vpc => &["vpc_id"],
            Role::TcpFlags => &["tcp_flags"],
        }
    }

    pub fn storage(self) -> RoleType {
        match self {
            Role::BytesIn | Role::BytesOut | Role::Packets => RoleType::UInt,
            Role::Start | Role::End | Role::Time => RoleType::Time,
            Role::SrcIp | Role::DstIp => RoleType::Ip,
            Role::ResponseCode | Role::DstPort | Role::SrcPort => RoleType::Float,
            _ => RoleType::Text,
        }
    }

    /// The role a header name plays, if any.
    pub fn from_header(name: &str) -> Option<Role> {
        let n = normalise(name);
        Role::ALL
            .into_iter()
            .find(|r| r.names().iter().any(|alias| *alias == n))
    }
}

/// Lower-cases and folds `-`, `.` and spaces to `_`, trimming spaces.
pub fn normalise(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Assigns roles to headers: the first column to claim a role keeps it; later
/// duplicates stay generic columns.
pub fn assign_roles(headers: &[String]) -> Vec<Option<Role>> {
    let mut taken = Vec::new();
    headers
        .iter()
        .map(|h| {
            let role = Role::from_header(h)?;
            if taken.contains(&role) {
                return None;
            }
            taken.push(role);
            Some(role)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_map_case_insensitively() {
        assert_eq!(Role::from_header("Bytes_In"), Some(Role::BytesIn));
        assert_eq!(
            Role::from_header(" response.code "),
            Some(Role::ResponseCode)
        );
        assert_eq!(Role::from_header("source.meta"), Some(Role::SourceMeta));
        assert_eq!(
            Role::from_header("SRC_IP_COUNTRY_CODE"),
            Some(Role::Country)
        );
        assert_eq!(Role::from_header("start"), Some(Role::Start));
        assert_eq!(Role::from_header("f0"), None);
        assert_eq!(Role::from_header("log-status"), Some(Role::LogStatus));
        assert_eq!(Role::from_header("tcp-flags"), Some(Role::TcpFlags));
        assert_eq!(Role::from_header("bytes"), Some(Role::BytesIn));
    }

    #[test]
    fn duplicate_headers_keep_the_first_role() {
        let h = vec!["bytes_in".to_string(), "BYTES_IN".to_string()];
        assert_eq!(assign_roles(&h), vec![Some(Role::BytesIn), None]);
    }
}
