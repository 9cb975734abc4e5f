//! Scoring throughput in Spark: the column-per-tree form (what `detect --engine` runs) against the
//! nested-`CASE` form (`--emit-sql spark`) and, with `TL_FORMS=3`, the stepped form (`sql::stepped`), on a generated CloudWatch table cached in the
//! cluster, with a model fitted locally. Prints rows per second and per executor core, and the
//! largest difference between the two forms' scores and the local ones.
//!
//! `cargo run --release --features spark --example spark_score -- sc://127.0.0.1:15002 [ROWS] [CORES]`

use std::sync::atomic::AtomicBool;
use std::time::Instant;
use threatlens::detect::RunControl;
use threatlens::detect::model::Model;
use threatlens::detect::pipeline::{DetectParams, DetectionRun, default_features};
use threatlens::source::engine::{Cell, DEFAULT_CONNECT_TIMEOUT, connect};
use threatlens::sql::Dialect;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "sc://127.0.0.1:15002".into());
    let rows: usize = args
        .get(2)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let cores: f64 = args.get(3).map(|r| r.parse()).transpose()?.unwrap_or(2.0);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("cw.csv");
    let mut buf = Vec::new();
    threatlens::demo::write_demo(&mut buf, rows, 42)?;
    std::fs::write(&csv, &buf)?;
    let ds = threatlens::ingest::load_bytes("bench", &buf)?;
    let params = DetectParams {
        features: default_features(&ds),
        log1p: Vec::new(),
        trees: 100,
        sample: None,
        seed: 42,
    };
    let run = DetectionRun::run(&ds, &params, &RunControl::default())?;
    let local: Vec<f64> = run.scores().to_vec();
    let contamination = threatlens::detect::Contamination::Fraction(0.05);
    let model = Model::from_run(&ds, &run, contamination, 0.0);
    drop(buf);

    let engine = connect(&url, DEFAULT_CONNECT_TIMEOUT)?;
    let never = AtomicBool::new(false);
    let q = |sql: &str| engine.query(sql, &never);
    let d = Dialect::Spark;
    let (raw, table) = ("tl_bench_raw", "tl_bench");
    q(&format!("DROP TABLE IF EXISTS {raw}"))?;
    q(&format!("DROP TABLE IF EXISTS {table}"))?;
    q(&format!(
        "CREATE TABLE {raw} USING csv OPTIONS (path {}, header 'true')",
        d.string(csv.to_str().unwrap_or_default())
    ))?;
    // A row number to compare with the local scores; the table cached so that scoring, not
    // reading CSV, is what is timed.
    // Typed as a real flow table would be (integers, timestamps); `TL_TEXT=1` keeps the CSV's
    // text columns, which Spark then parses on every scoring pass.
    let text = std::env::var("TL_TEXT").is_ok_and(|v| v == "1");
    let typed: Vec<String> = engine
        .columns(&format!("SELECT * FROM {raw}"))?
        .iter()
        .map(|c| {
            let id = d.ident(c).unwrap_or_default();
            match c.as_str() {
                _ if text => id,
                "bytes_in" | "bytes_out" => format!("CAST({id} AS BIGINT) AS {id}"),
                "creation_time" | "end_time" | "time" => format!("CAST({id} AS TIMESTAMP) AS {id}"),
                _ => id,
            }
        })
        .collect();
    q(&format!(
        "CREATE TABLE {table} USING parquet AS SELECT {}, monotonically_increasing_id() AS __row FROM {raw}",
        typed.join(", ")
    ))?;
    q(&format!("CACHE TABLE {table}"))?;
    let columns = engine.columns(&format!("SELECT * FROM {table}"))?;
    let nested = threatlens::sql::score::scoring_select(&model, d, table)?;
    let stepped = threatlens::sql::stepped::scoring_select(&model, table, &columns)?;
    let per_tree = threatlens::sql::score::columns_select(&model, d, table, &columns)?;
    // As `detect --engine` does: generated methods JIT-compile.
    q("SET spark.sql.codegen.hugeMethodLimit=8000")?;
    println!(
        "{rows} rows, {} trees, features {:?}; SQL: nested {} KB, stepped {} KB",
        model.trees,
        model.features.iter().map(|f| &f.name).collect::<Vec<_>>(),
        nested.len() / 1024,
        stepped.len() / 1024
    );
    let time = |label: &str, sql: &str| -> Result<f64, Box<dyn std::error::Error>> {
        let mut best = f64::INFINITY;
        for _ in 0..2 {
            let t = Instant::now();
            let r = engine.query(sql, &never)?;
            best = best.min(t.elapsed().as_secs_f64());
            if let Some(row) = r.rows.first() {
                let _ = row.first().and_then(Cell::number);
            }
        }
        println!(
            "{label:>28}: {best:7.2} s, {:>10.0} rows/s, {:>9.0} rows/s per core",
            rows as f64 / best,
            rows as f64 / best / cores
        );
        Ok(best)
    };
    time("scan (COUNT)", &format!("SELECT COUNT(*) FROM {table}"))?;
    let forms = [
        ("column per tree", &per_tree),
        ("nested CASE", &nested),
        ("stepped", &stepped),
    ];
    let forms = &forms[..std::env::var("TL_FORMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)];
    for (label, sql) in forms {
        time(label, &format!("SELECT SUM(score) FROM ({sql}) AS s"))?;
    }
    // Scores against the local ones, row by row (the CSV's order is the row number's).
    for (label, sql) in forms {
        let r = engine.query(
            &format!("SELECT __row, score FROM ({sql}) AS s ORDER BY __row"),
            &never,
        )?;
        let worst = r
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let s = row.get(1).and_then(Cell::number).unwrap_or(f64::NAN);
                (s - local.get(i).copied().unwrap_or(f64::NAN)).abs()
            })
            .fold(0.0f64, f64::max);
        println!(
            "{label:>28}: largest |score − local| = {worst:e} over {} rows",
            r.rows.len()
        );
    }
    q(&format!("UNCACHE TABLE {table}"))?;
    q(&format!("DROP TABLE IF EXISTS {table}"))?;
    q(&format!("DROP TABLE IF EXISTS {raw}"))?;
    Ok(())
}
