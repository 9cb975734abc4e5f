//! Per-entity detection at scale: generates planted traffic (about `ROWS` rows; default 1 M) in
//! memory, loads it and times grouping + features + forest with `--by src_ip`.
//!
//! `cargo run --release --example entity_bench [ROWS]`. Prints the phases, the entity count and
//! the top three entities (which must be the planted ones). Wall-clock figures: take them on an
//! idle machine, or compare instruction counts under `valgrind --tool=callgrind`.

use std::time::Instant;
use threatlens::detect::entity::{EntityParams, EntityRun, planted};
use threatlens::detect::{Contamination, Rule, RunControl};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let sources = (rows / 20).max(1);
    let mut csv = Vec::new();
    planted::write_planted(&mut csv, sources, 20, 1)?;
    let t = Instant::now();
    let ds = threatlens::ingest::load_bytes("<planted>", &csv)?;
    eprintln!("load: {} rows in {:.2?}", ds.rows, t.elapsed());
    let params = EntityParams {
        by: vec!["src_ip".into()],
        features: Vec::new(),
        log1p: Vec::new(),
        trees: 100,
        sample: None,
        seed: 42,
    };
    let t = Instant::now();
    let run = EntityRun::run(&ds, &params, &RunControl::default())?;
    eprintln!(
        "entity detection: {} entities in {:.2?}",
        run.len(),
        t.elapsed()
    );
    let sel = run.select(Rule::Contamination(Contamination::Fraction(0.05)));
    for r in run.flagged(&sel, 3) {
        eprintln!("  {} {:.4} {:?}", r.key, r.score, r.behaviour);
    }
    Ok(())
}
