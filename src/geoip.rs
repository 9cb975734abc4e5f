//! Countries of addresses: a MaxMind database (GeoLite2-Country or -City, DB-IP, in mmdb form,
//! read with the `maxminddb` crate) gives `src_country` and `dst_country` columns; internal
//! (private, loopback, link-local, shared address space, IPv6 unique-local) and reserved
//! ranges get a label instead of a country.
//!
//! The database comes from `--geoip PATH` or `THREATLENS_GEOIP`. Lookups are per distinct
//! address (the dictionary), not per row. This is the one home of the reserved ranges;
//! flow-log findings use [`is_internal`]. It reads the database file it is given and nothing
//! else; it never touches the terminal.

use crate::dataset::{Column, ColumnData, Dataset, Dict, Role};
use std::net::IpAddr;
use std::path::Path;

/// The environment variable naming a MaxMind database.
pub const ENV: &str = "THREATLENS_GEOIP";

/// How to get a database, for notes and errors.
pub const HOW_TO_GET: &str = "no country database: pass --geoip PATH, set THREATLENS_GEOIP or put geoip = \"PATH\" in config.toml, naming a MaxMind .mmdb file (GeoLite2-Country is free with a MaxMind account; DB-IP's IP-to-Country Lite works too)";

/// [`HOW_TO_GET`] as lines for a screen with room (the Geo tab).
pub const HOW_TO_GET_LINES: [&str; 6] = [
    "No country database: these logs carry addresses, not countries.",
    "Point threatlens at a MaxMind-format country database (.mmdb):",
    "  threatlens --geoip ~/GeoIP/GeoLite2-Country.mmdb LOGS",
    "  or set THREATLENS_GEOIP, or put geoip = \"PATH\" in config.toml (flag > env > config).",
    "GeoLite2-Country (or -City) is free with a MaxMind account; DB-IP's IP-to-Country Lite",
    "(mmdb download) needs no account. Private and reserved ranges are labelled, not guessed.",
];

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: not a usable MaxMind database: {cause}")]
pub struct GeoIpError {
    pub path: String,
    pub cause: String,
}

/// An open country database.
pub struct CountryDb {
    reader: maxminddb::Reader<Vec<u8>>,
}

#[derive(serde::Deserialize)]
struct Iso {
    iso_code: Option<String>,
}

#[derive(serde::Deserialize)]
struct Record {
    country: Option<Iso>,
    registered_country: Option<Iso>,
}

impl CountryDb {
    pub fn open(path: &Path) -> Result<CountryDb, GeoIpError> {
        let err = |cause: String| GeoIpError {
            path: path.display().to_string(),
            cause,
        };
        let bytes = std::fs::read(path).map_err(|e| err(crate::ingest::io_cause(&e)))?;
        let reader = maxminddb::Reader::from_source(bytes).map_err(|e| err(e.to_string()))?;
        Ok(CountryDb { reader })
    }

    /// The ISO country code of an address, or its range's label; `None` when unknown.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        if let Some(label) = scope_label(ip) {
            return Some(label.to_string());
        }
        let rec: Record = self.reader.lookup(ip).ok()?.decode().ok()??;
        rec.country
            .and_then(|c| c.iso_code)
            .or_else(|| rec.registered_country.and_then(|c| c.iso_code))
    }

    /// Adds `src_country` (the country role, unless the data has one) and `dst_country`.
    pub fn add_countries(&self, ds: &mut Dataset) {
        for (role, name) in [(Role::SrcIp, "src_country"), (Role::DstIp, "dst_country")] {
            let Some(ColumnData::Ip(ips)) = ds.role(role).map(|c| &c.data) else {
                continue;
            };
            if ds.column_index(name).is_some() {
                continue;
            }
            let values: Vec<Box<str>> = ips
                .values
                .iter()
                .map(|ip| {
                    ip.and_then(|ip| self.country(ip))
                        .unwrap_or_default()
                        .into()
                })
                .collect();
            let column = Column {
                name: name.into(),
                role: (role == Role::SrcIp && ds.role(Role::Country).is_none())
                    .then_some(Role::Country),
                data: ColumnData::Text(Dict {
                    codes: ips.codes.clone(),
                    values,
                }),
            };
            ds.columns.push(column);
        }
    }
}

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
