use super::*;
use crate::dataset::{Column, Dict};

fn col(name: &str, role: Option<Role>, data: ColumnData) -> Column {
    Column {
        name: name.into(),
        role,
        data,
    }
}

fn codes(v: &[u32]) -> Codes {
    let mut c = Codes::default();
    v.iter().for_each(|&x| c.push(x));
    c
}

/// The definition: a row is a duplicate when an earlier row has the same key in every column.
fn naive_duplicates(ds: &Dataset) -> Vec<usize> {
    let mut first: FxHashMap<Vec<u64>, usize> = FxHashMap::default();
    (0..ds.rows)
        .filter(|&row| {
            let key: Vec<u64> = ds.columns.iter().map(|c| cell_key(&c.data, row)).collect();
            first.insert(key, row).is_some()
        })
        .collect()
}

/// Rows drawn from a few values per column, so exact and near duplicates are common; text
/// codes wide enough to need 16 bits.
fn dataset(n: usize, seed: u64) -> Dataset {
    let mut state = seed;
    let mut next = |m: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % m
    };
    let mut a = Vec::new();
    let mut f = Vec::new();
    let mut t = Vec::new();
    let mut ip = Vec::new();
    let mut tx = Vec::new();
    for i in 0..n {
        a.push(if next(10) == 0 { MISSING_U64 } else { next(3) });
        f.push(match next(4) {
            0 => f64::NAN,
            1 => -0.0,
            2 => 0.0,
            _ => 1.5,
        });
        t.push(if next(5) == 0 {
            MISSING_TIME
        } else {
            next(2) as i64 * 1000
        });
        ip.push(next(2) as u32);
        tx.push(if i % 50 == 0 {
            300 + i as u32 % 7
        } else {
            next(2) as u32
        });
    }
    let values: Vec<Box<str>> = (0..310).map(|i| i.to_string().into()).collect();
    Dataset {
        columns: vec![
            col("bytes_in", Some(Role::BytesIn), ColumnData::UInt(a.into())),
            col("x", None, ColumnData::Float(f.into())),
            col(
                "creation_time",
                Some(Role::Start),
                ColumnData::Time(t.into()),
            ),
            col(
                "src_ip",
                Some(Role::SrcIp),
                ColumnData::Ip(Dict {
                    codes: codes(&ip),
                    values: vec![None, "10.0.0.1".parse().ok()],
                }),
            ),
            col(
                "country",
                Some(Role::Country),
                ColumnData::Text(Dict {
                    codes: codes(&tx),
                    values,
                }),
            ),
        ],
        rows: n,
        ..Dataset::default()
    }
}

#[test]
fn duplicate_rows_match_the_definition() {
    for (n, seed) in [(0, 1), (1, 2), (2, 3), (500, 4), (40_000, 5)] {
        let ds = dataset(n, seed);
        let want = naive_duplicates(&ds);
        assert_eq!(duplicate_rows(&ds), want, "{n} rows");
        if n >= 500 {
            assert!(
                !want.is_empty() && want.len() < n,
                "the data has some duplicates"
            );
        }
    }
    // No duplicates at all: the early exit.
    let unique = Dataset {
        columns: vec![col("a", None, ColumnData::UInt((0..1000u64).collect()))],
        rows: 1000,
        ..Dataset::default()
    };
    assert!(duplicate_rows(&unique).is_empty());
}

#[test]
fn quality_reuses_known_statistics_without_changing_the_report() {
    let ds = dataset(5000, 9);
    let subset: Vec<u32> = (0..5000).filter(|r| r % 3 == 0).collect();
    for rows in [Rows::All(ds.rows), Rows::Subset(&subset)] {
        let plain = quality(&ds, rows);
        let st = stats::describe(&rows.series(&ds, NumericSource::Column(0)));
        let reused = quality_with(&ds, rows, &[(NumericSource::Column(0), &st)]);
        assert_eq!(plain, reused);
        assert_eq!(plain.duplicate_rows, naive_duplicates(&ds).len());
        // Missing counts by the definition.
        let want_missing: Vec<(String, usize)> = ds
            .columns
            .iter()
            .filter_map(|c| {
                let mut n = 0;
                rows.for_each(|r| n += usize::from(is_missing(&c.data, r)));
                (n > 0).then(|| (c.name.clone(), n))
            })
            .collect();
        assert_eq!(plain.missing, want_missing);
    }
}

#[test]
fn constant_columns_skip_missing_cells() {
    let ds = Dataset {
        columns: vec![
            col("a", None, ColumnData::UInt(vec![MISSING_U64, 4, 4].into())),
            col("b", None, ColumnData::UInt(vec![1, 2, MISSING_U64].into())),
            col(
                "t",
                None,
                ColumnData::Text(Dict {
                    codes: codes(&[0, 1, 0]),
                    values: vec![" ".into(), "x".into()],
                }),
            ),
        ],
        rows: 3,
        ..Dataset::default()
    };
    let q = quality(&ds, Rows::All(3));
    assert_eq!(q.constant_columns, vec!["a".to_string(), "t".to_string()]);
    assert_eq!(
        q.missing,
        vec![("a".into(), 1), ("b".into(), 1), ("t".into(), 2)]
    );
}
