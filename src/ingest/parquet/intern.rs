//! The dictionaries of one row group's text and address columns while it is read.
//!
//! [`Texts`] keeps each distinct text once, back to back in one buffer, and finds a value's
//! code through a table of codes hashed by their text: no allocation per distinct value
//! until the column is finished (then one, for the dataset's dictionary). [`Addresses`]
//! keys addresses by their parsed value (an IPv4 address by its four bytes), so the text of
//! an address is never kept; [`address`] parses one, with a fast path for the dotted quads
//! flow logs are made of. [`Texts::finish`] and [`Addresses::finish`] keep the values some
//! kept row uses, in first-use order, as the loader's dictionaries always have. This module
//! decides nothing about rows, rejects or roles.

use crate::dataset::{Codes, Dict};
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr};

/// Distinct texts, each stored once.
#[derive(Debug, Default)]
pub struct Texts {
    /// Every distinct value, back to back.
    bytes: String,
    /// Where each value ends in `bytes`; value `c` starts where value `c - 1` ends.
    ends: Vec<usize>,
    /// Codes, found by the hash of their value.
    table: HashTable<u32>,
}

impl Texts {
    /// The value of a code.
    pub fn get(&self, code: u32) -> Option<&str> {
        let c = code as usize;
        let end = *self.ends.get(c)?;
        let start = match c {
            0 => 0,
            _ => *self.ends.get(c - 1)?,
        };
        self.bytes.get(start..end)
    }

    /// The code of `t`, a new one (the next number) if `t` is new.
    #[inline]
    pub fn code_of(&mut self, t: &str) -> u32 {
        let hash = FxBuildHasher.hash_one(t);
        let Texts {
            bytes, ends, table, ..
        } = self;
        let value = |c: u32| -> &str {
            let c = c as usize;
            let end = ends.get(c).copied().unwrap_or(0);
            let start = c.checked_sub(1).and_then(|p| ends.get(p)).copied();
            bytes.get(start.unwrap_or(0)..end).unwrap_or_default()
        };
        if let Some(c) = table.find(hash, |&c| value(c) == t) {
            return *c;
        }
        let code = ends.len() as u32;
        table.insert_unique(hash, code, |&c| FxBuildHasher.hash_one(value(c)));
        bytes.push_str(t);
        ends.push(bytes.len());
        code
    }

    /// The dictionary of the values `codes` use, in first-use order.
    pub fn finish(self, codes: &[u32]) -> Dict<Box<str>> {
        let (order, codes) = first_use(self.ends.len(), codes);
        let values = order
            .iter()
            .map(|&c| Box::from(self.get(c).unwrap_or_default()))
            .collect();
        Dict { codes, values }
    }
}

/// Distinct addresses (and no address), each stored once.
#[derive(Debug, Default)]
pub struct Addresses {
    v4: FxHashMap<u32, u32>,
    other: FxHashMap<Option<IpAddr>, u32>,
    values: Vec<Option<IpAddr>>,
}

impl Addresses {
    /// The code of `ip`, a new one (the next number) if `ip` is new.
    #[inline]
    pub fn code_of(&mut self, ip: Option<IpAddr>) -> u32 {
        let next = self.values.len() as u32;
        let code = match ip {
            Some(IpAddr::V4(a)) => *self.v4.entry(u32::from(a)).or_insert(next),
            other => *self.other.entry(other).or_insert(next),
        };
        if code == next {
            self.values.push(ip);
        }
        code
    }

    /// The dictionary of the values `codes` use, in first-use order.
    pub fn finish(self, codes: &[u32]) -> Dict<Option<IpAddr>> {
        let (order, codes) = first_use(self.values.len(), codes);
        let values = order
            .iter()
            .map(|&c| self.values.get(c as usize).copied().flatten())
            .collect();
        Dict { codes, values }
    }
}

/// The codes in first-use order (old codes) and every row's new code, for a dictionary of
/// `n` distinct values. A code out of range is skipped, as the loader's dictionaries did.
fn first_use(n: usize, codes: &[u32]) -> (Vec<u32>, Codes) {
    let mut remap: Vec<u32> = vec![u32::MAX; n];
    let mut order: Vec<u32> = Vec::new();
    let mut out = Codes::with_capacity(codes.len());
    for &c in codes {
        let Some(slot) = remap.get_mut(c as usize) else {
            continue;
        };
        if *slot == u32::MAX {
            *slot = order.len() as u32;
            order.push(c);
        }
        out.push(*slot);
    }
    out.shrink_to_fit();
    (order, out)
}

/// An address, no address (missing, `-`), or `None` when the text is not an address, as the
/// text loader reads it.
pub fn address(t: &str) -> Option<Option<IpAddr>> {
    // Most values: a dotted quad, which is neither padded nor a missing-value token.
    if let Some(a) = dotted_quad(t.as_bytes()) {
        return Some(Some(IpAddr::V4(a)));
    }
    let t = t.trim();
    if super::convert::is_missing(t) {
        return Some(None);
    }
    crate::ingest::fields::parse_ip(t.as_bytes()).ok().map(Some)
}

/// `a.b.c.d` with each part 0–255 in one to three digits and no leading zero: a subset of
/// what the standard parser accepts, read to the same address. Anything else is `None`
/// (and left to the standard parser).
#[inline]
fn dotted_quad(b: &[u8]) -> Option<Ipv4Addr> {
    let mut parts = [0u8; 4];
    let mut part = 0usize;
    let mut value = 0u32;
    let mut digits = 0usize;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if digits > 0 && value == 0 {
                    return None; // a leading zero
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if digits > 3 || value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && part < 3 => {
                *parts.get_mut(part)? = value as u8;
                part += 1;
                value = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    *parts.get_mut(3)? = value as u8;
    Some(Ipv4Addr::from(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_stored_once_and_coded_in_arrival_order() {
        let mut t = Texts::default();
        let codes: Vec<u32> = ["b", "", "a", "b", "ab", "", "a"]
            .iter()
            .map(|v| t.code_of(v))
            .collect();
        assert_eq!(codes, [0, 1, 2, 0, 3, 1, 2]);
        assert_eq!(t.bytes, "baab");
        assert_eq!(t.get(3), Some("ab"));
        assert_eq!(t.get(1), Some(""));
        assert_eq!(t.get(4), None);
        // Rows 0 and 3 dropped: "" is first used.
        let d = t.finish(&[1, 2, 3, 1, 2]);
        assert_eq!(d.values, ["", "a", "ab"].map(Box::from));
        assert_eq!(d.codes.to_vec(), [0, 1, 2, 0, 1]);
    }

    #[test]
    fn many_texts_survive_the_table_growing() {
        let mut t = Texts::default();
        let values: Vec<String> = (0..50_000).map(|i| format!("v{i}")).collect();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(t.code_of(v), i as u32);
        }
        for (i, v) in values.iter().enumerate().rev() {
            assert_eq!(t.code_of(v), i as u32);
            assert_eq!(t.get(i as u32), Some(v.as_str()));
        }
    }

    #[test]
    fn addresses_are_keyed_by_value() {
        let mut a = Addresses::default();
        let ip = |s: &str| address(s).unwrap();
        let codes: Vec<u32> = [
            "10.0.0.1",
            " 10.0.0.1",
            "-",
            "::1",
            "0:0::1",
            "",
            "10.0.0.2",
        ]
        .iter()
        .map(|s| a.code_of(ip(s)))
        .collect();
        assert_eq!(codes, [0, 0, 1, 2, 2, 1, 3]);
        let d = a.finish(&[3, 1, 0]);
        assert_eq!(d.values, [ip("10.0.0.2"), None, ip("10.0.0.1")]);
        assert_eq!(d.codes.to_vec(), [0, 1, 2]);
    }

    #[test]
    fn the_dotted_quad_fast_path_reads_what_the_standard_parser_reads() {
        let cases = [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "192.168.001.1",
            "01.2.3.4",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "1234.1.1.1",
            "1.2.3.x",
            "::ffff:1.2.3.4",
            "",
            "0.0.0.00",
            "9.99.199.249",
        ];
        for s in cases {
            let fast = dotted_quad(s.as_bytes());
            let std = s.parse::<Ipv4Addr>().ok();
            if fast.is_some() {
                assert_eq!(fast, std, "{s}");
            }
            let full = crate::ingest::fields::parse_ip(s.trim().as_bytes()).ok();
            match address(s) {
                Some(Some(got)) => assert_eq!(Some(got), full, "{s}"),
                Some(None) => assert!(s.trim().is_empty(), "{s}"),
                None => assert_eq!(full, None, "{s}"),
            }
        }
        for i in 0..=999u32 {
            let s = format!("{i}.{}.{}.{}", i % 7, (i * 37) % 300, i / 4);
            let fast = dotted_quad(s.as_bytes());
            assert_eq!(fast, s.parse::<Ipv4Addr>().ok(), "{s}");
        }
    }
}
