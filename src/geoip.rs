//! What an address is, before any country: internal (private, loopback, link-local, shared
//! address space, IPv6 unique-local) or reserved ranges get a label instead of a country.
//!
//! This is the one home of those ranges; flow-log findings use [`is_internal`] to tell an
//! outside address from the VPC's own. It reads no database and does no I/O. (Country lookup
//! through a MaxMind database is not built yet.)

use std::net::IpAddr;

/// The label of an address that is not a routable public one, if it is not.
pub fn scope_label(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            Some(match () {
                _ if v4.is_private() => "private",
                _ if v4.is_loopback() => "loopback",
                _ if v4.is_link_local() => "link-local",
                _ if a == 100 && (64..128).contains(&b) => "shared (CGNAT)",
                _ if v4.is_documentation() => "documentation",
                _ if a == 198 && (18..20).contains(&b) => "benchmarking",
                _ if v4.is_multicast() => "multicast",
                _ if v4.is_broadcast() || v4.is_unspecified() || a == 0 || a >= 240 => "reserved",
                _ => return None,
            })
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            Some(match () {
                _ if v6.is_loopback() => "loopback",
                _ if v6.is_unspecified() => "reserved",
                _ if first & 0xfe00 == 0xfc00 => "private",
                _ if first & 0xffc0 == 0xfe80 => "link-local",
                _ if first == 0x2001 && v6.segments()[1] == 0x0db8 => "documentation",
                _ if v6.is_multicast() => "multicast",
                _ => return None,
            })
        }
    }
}

/// Whether an address belongs inside a network (private, loopback, link-local, shared, ULA):
/// traffic to anything else leaves it.
pub fn is_internal(ip: IpAddr) -> bool {
    matches!(
        scope_label(ip),
        Some("private" | "loopback" | "link-local" | "shared (CGNAT)")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn ranges_are_labelled() {
        assert_eq!(scope_label(ip("10.1.2.3")), Some("private"));
        assert_eq!(scope_label(ip("172.31.0.1")), Some("private"));
        assert_eq!(scope_label(ip("192.168.1.1")), Some("private"));
        assert_eq!(scope_label(ip("100.64.0.1")), Some("shared (CGNAT)"));
        assert_eq!(scope_label(ip("203.0.113.5")), Some("documentation"));
        assert_eq!(scope_label(ip("198.19.0.1")), Some("benchmarking"));
        assert_eq!(scope_label(ip("fd00::1")), Some("private"));
        assert_eq!(scope_label(ip("fe80::1")), Some("link-local"));
        assert_eq!(scope_label(ip("8.8.8.8")), None);
        assert_eq!(scope_label(ip("2a00:1450::1")), None);
        assert!(is_internal(ip("10.0.2.20")));
        assert!(!is_internal(ip("203.0.113.50")));
    }
}
