//! The filter language on the real CloudWatch file (needs `THREATLENS_SHARED`):
//! the counts an analyst checks first.

use threatlens::filter::{EvalContext, build};
use threatlens::ingest::{LoadProgress, load_path};

fn count(ds: &threatlens::dataset::Dataset, q: &str) -> usize {
    let f = build(q, ds).unwrap_or_else(|e| panic!("{q}: {e}\n{}", e.caret_line(q)));
    f.select(ds, &EvalContext::NONE).len()
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn cidr_and_country_counts_on_the_real_file() {
    let shared = crate::common::shared("filter on the real file");
    let path = shared
        .join("data")
        .join("CloudWatch_Traffic_Web_Attack.csv");
    let ds = load_path(path.to_str().unwrap(), LoadProgress::new()).unwrap();
    assert_eq!(ds.rejects.total, 0);

    assert_eq!(count(&ds, "src_ip in 155.91.45.0/24"), 28);
    assert_eq!(count(&ds, "country = US"), 113);
    assert_eq!(count(&ds, "country = us"), 113);
    assert_eq!(count(&ds, "src_ip_country_code == 'US'"), 113);
    assert_eq!(count(&ds, "country = CA"), 72);
    // Complements add up: nothing is missing in these columns.
    assert_eq!(count(&ds, "country != US") + 113, ds.rows);
    assert_eq!(count(&ds, "src_ip not in 155.91.45.0/24") + 28, ds.rows);
    assert_eq!(
        count(&ds, "src_ip in 155.91.45.0/24 or country = US"),
        count(&ds, "src_ip in 155.91.45.0/24") + count(&ds, "country = US")
            - count(&ds, "src_ip in 155.91.45.0/24 and country = US")
    );
    let day = count(&ds, "time >= 2024-04-25T23:00 and time < 2024-04-26T23:00");
    assert!(day > 0 && day <= ds.rows, "{day}");
}
