//! Country centroids for the world map: ISO 3166-1 alpha-2 code → name, latitude,
//! longitude, from the table shipped in `assets/country_centroids.csv` (embedded).
//! Pure lookups; the table is parsed once.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../assets/country_centroids.csv");

/// A country's name and approximate centre.
#[derive(Debug, Clone, PartialEq)]
pub struct Centroid {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

fn table() -> &'static HashMap<String, Centroid> {
    static T: OnceLock<HashMap<String, Centroid>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let code = f.next()?.trim().to_ascii_uppercase();
                let name = f.next()?.trim().to_string();
                let lat = f.next()?.trim().parse().ok()?;
                let lon = f.next()?.trim().parse().ok()?;
                Some((code, Centroid { name, lat, lon }))
            })
            .collect()
    })
}

/// The centroid of a country code (case-insensitive, surrounding spaces ignored).
pub fn centroid(code: &str) -> Option<&'static Centroid> {
    table().get(&code.trim().to_ascii_uppercase())
}

/// How many countries the table knows.
pub fn known() -> usize {
    table().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_the_world() {
        assert!(known() >= 240, "{}", known());
        let us = centroid("us").unwrap_or_else(|| panic!("US"));
        assert_eq!(us.name, "United States");
        assert!((us.lat - 38.0).abs() < 1.0 && (us.lon + 97.0).abs() < 1.0);
        for cc in [
            "CA", "DE", "AT", "NL", "AE", "IL", "RU", "CN", "BR", "VN", "IN", "ID", "GB", "JP",
            "PS", "XK",
        ] {
            assert!(centroid(cc).is_some(), "{cc}");
        }
        assert!(centroid("ZZ").is_none());
        assert!(centroid("").is_none());
    }
}
