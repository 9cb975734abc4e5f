//! `threatlens --engine sc://… --table EXPR`: the explorer over a table in Spark.
//!
//! Owns the command-line policy of the remote explorer: files and a terminal-less run are refused
//! with a reason, the table is opened before the screen changes (a wrong URL or table fails with
//! its exit code and message, the token never shown), and detection in the engine uses the
//! defaults (`detect::defaults`). The views are asked by `tui::remote` of a
//! `source::remote_source::RemoteSource`; no SQL is written here.

use super::Failure;
use super::engine::EngineArgs;
use crate::detect::Contamination;
use crate::detect::pipeline::DetectParams;
use crate::source::remote::Remote;
use crate::source::remote_source::RemoteSource;
use crate::source::{Source, engine};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Opens the table and runs the remote explorer.
pub fn explore(files: &[String], args: &EngineArgs) -> Result<(), Failure> {
    if !files.is_empty() {
        return Err(Failure::usage(
            "--engine explores a table in the engine: give --table EXPR, not a FILE",
        ));
    }
    let (Some(url), Some(table)) = (args.engine.clone(), args.table.clone()) else {
        return Err(Failure::usage(
            "--engine needs --table EXPR (a catalog table, a path such as parquet.`s3://…`, or a (subquery))",
        ));
    };
    let terminal =
        super::launch::decide(super::launch::Terminal::probe()) == super::launch::Launch::Explorer;
    if !terminal {
        return Err(Failure::usage(
            "the explorer needs a terminal: for scripts run `threatlens summary --engine URL --table EXPR`",
        ));
    }
    engine::check(&url)?;
    let (maps, timeout, rows) = (args.map.clone(), args.engine_timeout, args.engine_rows);
    let opener = Box::new(
        move |cancel: &AtomicBool| -> Result<Remote, engine::EngineError> {
            Remote::open(engine::connect(&url, timeout)?, &table, &maps, cancel)
        },
    );
    let source = Arc::new(RemoteSource::open(opener, &AtomicBool::new(false))?);
    let dims = source.dimensions();
    let detecting = source.clone();
    let detector = Arc::new(move |cancel: &AtomicBool| {
        detecting.detect(
            &DetectParams::default(),
            Contamination::Fraction(crate::detect::defaults::CONTAMINATION),
            rows,
            cancel,
        )
    });
    let source: Arc<dyn Source> = source;
    let mut app = crate::tui::remote::RemoteApp::new(source, detector, dims);
    crate::tui::remote::run(&mut app).map_err(|e| Failure {
        code: 1,
        message: format!("terminal error: {e}"),
    })
}
