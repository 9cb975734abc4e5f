//! Export of tables: any selection of rows (a filtered view, the anomaly list)
//! as CSV or JSON bytes, with optional score and flag columns.
//!
//! CSV keeps the data as it was read (it is a file, not a terminal), except that
//! by default a text cell a spreadsheet would run as a formula gets a leading
//! apostrophe ([`CsvCells::Guarded`]): log fields are attacker-controlled, and an
//! analyst opening an export in Excel or LibreOffice must not run `=HYPERLINK(…)`
//! or `=cmd|…`. JSON is written with the terminal-safe formatter. Pure: returns
//! bytes, the caller decides where they go.
//!
//! Columns: `row` (the 0-based data row, as the explorer and the report number rows), `line`
//! (the 1-based line of the input file, the header being line 1; for a folder, the line within
//! the file the `file` column names) when the loader knew it, the data columns, then with
//! detection `rank` (1 = most anomalous), `score` (4 decimals in CSV, full precision in JSON),
//! `anomaly` (1/0), `pattern` (the row's label, see [`crate::detect::Pattern`]) and `why`.

use std::borrow::Cow;

use crate::dataset::Dataset;

/// Export format, from a file name's extension (`.json`, else CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn from_path(path: &str) -> ExportFormat {
        if path.to_ascii_lowercase().ends_with(".json") {
            ExportFormat::Json
        } else {
            ExportFormat::Csv
        }
    }
}

/// Optional detection columns added to each exported row.
pub struct Scores<'a> {
    pub scores: &'a [f64],
    pub flagged: &'a dyn Fn(usize) -> bool,
    /// A row's rank, label and explanation (the Anomalies list's columns), when known.
    pub explain: Option<&'a dyn Fn(usize) -> RowWhy>,
}

/// What the Anomalies list says of a row beside its score.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowWhy {
    /// 1 for the most anomalous row of the file.
    pub rank: Option<usize>,
    /// The first pattern's short form (empty when none applies).
    pub pattern: String,
    /// Top features with direction, then every pattern's short form.
    pub why: String,
}

/// The rank, label and explanation of a row under a detection run.
pub fn row_why(ds: &Dataset, run: &crate::detect::pipeline::DetectionRun, row: usize) -> RowWhy {
    let patterns = run.patterns(ds, row);
    RowWhy {
        rank: run.detection.index.rank_of(row).map(|r| r + 1),
        pattern: patterns
            .first()
            .map(crate::detect::Pattern::short)
            .unwrap_or_default(),
        why: run.explanation_line_for(run.explain(ds, row).as_ref(), &patterns),
    }
}

/// Rows under a detection run (the anomaly list's export) with every detection column.
pub fn export_detected(
    ds: &Dataset,
    rows: &[u32],
    run: &crate::detect::pipeline::DetectionRun,
    selection: &crate::detect::Selection,
    format: ExportFormat,
    cells: CsvCells,
) -> Result<Vec<u8>, String> {
    let flagged = |r: usize| run.detection.index.is_flagged(selection, r);
    let explain = |r: usize| row_why(ds, run, r);
    let scores = Scores {
        scores: run.scores(),
        flagged: &flagged,
        explain: Some(&explain),
    };
    export_rows_with(ds, rows, Some(&scores), format, cells)
}

/// How text cells (and column names) are written to CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvCells {
    /// Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return (what spreadsheets read as
    /// a formula) gets a leading `'`, as OWASP advises against CSV injection. Numbers are never
    /// changed.
    #[default]
    Guarded,
    /// Exactly as read.
    Raw,
}

/// `text` as a CSV cell under `cells`.
pub fn csv_cell(text: &str, cells: CsvCells) -> Cow<'_, str> {
    if cells == CsvCells::Guarded && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The rows as CSV or JSON (`row` is the 0-based data row in the input file), CSV text cells
/// guarded against formula injection.
pub fn export_rows(
    ds: &Dataset,
    rows: &[u32],
    scores: Option<&Scores<'_>>,
    format: ExportFormat,
) -> Result<Vec<u8>, String> {
    export_rows_with(ds, rows, scores, format, CsvCells::Guarded)
}

/// [`export_rows`] with the CSV text cells written as `cells` says.
pub fn export_rows_with(
    ds: &Dataset,
    rows: &[u32],
    scores: Option<&Scores<'_>>,
    format: ExportFormat,
    cells: CsvCells,
) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let lines = !ds.facts.lines.is_empty();
            let mut header: Vec<String> = vec!["row".into()];
            if lines {
                header.push("line".into());
            }
            header.extend(
                ds.columns
                    .iter()
                    .map(|c| csv_cell(&c.name, cells).into_owned()),
            );
            if let Some(s) = scores {
                if s.explain.is_some() {
                    header.push("rank".into());
                }
                header.push("score".into());
                header.push("anomaly".into());
                if s.explain.is_some() {
                    header.push("pattern".into());
                    header.push("why".into());
                }
            }
            w.write_record(&header).map_err(|e| e.to_string())?;
            for &r in rows {
                let r = r as usize;
                let mut rec: Vec<String> = vec![ds.origin_row(r).to_string()];
                if lines {
                    rec.push(ds.line_of(r).map_or(String::new(), |l| l.to_string()));
                }
                rec.extend(ds.columns.iter().enumerate().map(|(c, col)| {
                    let text = ds.cell_text(r, c);
                    if col.data.is_numeric() {
                        text.into_owned()
                    } else {
                        csv_cell(&text, cells).into_owned()
                    }
                }));
                if let Some(s) = scores {
                    let why = s.explain.map(|f| f(r));
                    if let Some(w) = &why {
                        rec.push(w.rank.map_or(String::new(), |k| k.to_string()));
                    }
                    rec.push(s.scores.get(r).map_or(String::new(), |x| format!("{x:.4}")));
                    rec.push(u8::from((s.flagged)(r)).to_string());
                    if let Some(w) = why {
                        rec.push(w.pattern);
                        rec.push(csv_cell(&w.why, cells).into_owned());
                    }
                }
                w.write_record(&rec).map_err(|e| e.to_string())?;
            }
            w.into_inner().map_err(|e| e.to_string())
        }
        ExportFormat::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|&r| {
                    let r = r as usize;
                    let mut m = serde_json::Map::new();
                    m.insert("row".into(), ds.origin_row(r).into());
                    if let Some(l) = ds.line_of(r) {
                        m.insert("line".into(), l.into());
                    }
                    for (c, col) in ds.columns.iter().enumerate() {
                        let v = match col.data.number(r) {
                            Some(x) => serde_json::json!(x),
                            None if col.data.is_numeric() => serde_json::Value::Null,
                            None => {
                                let t = ds.cell_text(r, c);
                                if t.is_empty() {
                                    serde_json::Value::Null
                                } else {
                                    t.into_owned().into()
                                }
                            }
                        };
                        m.insert(col.name.clone(), v);
                    }
                    if let Some(s) = scores {
                        m.insert("score".into(), serde_json::json!(s.scores.get(r)));
                        m.insert("anomaly".into(), (s.flagged)(r).into());
                        if let Some(w) = s.explain.map(|f| f(r)) {
                            m.insert("rank".into(), serde_json::json!(w.rank));
                            m.insert("pattern".into(), w.pattern.into());
                            m.insert("why".into(), w.why.into());
                        }
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            super::json::to_string(&items)
                .map(String::into_bytes)
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_round_trip_the_selected_rows() {
        let ds = crate::ingest::load_bytes(
            "<t>",
            b"bytes_in,src_ip,note\n1,1.1.1.1,\"a,b\"\n2,2.2.2.2,x\n3,3.3.3.3,y\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let flagged = |r: usize| r == 2;
        let scores = [0.1, 0.2, 0.9];
        let s = Scores {
            scores: &scores,
            flagged: &flagged,
            explain: None,
        };
        let csv = String::from_utf8(
            export_rows(&ds, &[2, 0], Some(&s), ExportFormat::Csv).unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(
            csv,
            "row,line,bytes_in,src_ip,note,score,anomaly\n2,4,3,3.3.3.3,y,0.9000,1\n0,2,1,1.1.1.1,\"a,b\",0.1000,0\n"
        );
        let json = export_rows(&ds, &[1], None, ExportFormat::Json).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(v[0]["src_ip"], "2.2.2.2");
        assert_eq!(v[0]["bytes_in"], 2.0);
        assert_eq!(ExportFormat::from_path("x.JSON"), ExportFormat::Json);
    }

    #[test]
    fn line_is_the_file_line_across_blank_rejected_and_multi_line_records() {
        // Line 1 header; 2 a row; 3 blank; 4 rejected (bad number); 5–6 one quoted record; 7 a row.
        let ds = crate::ingest::load_bytes(
            "<t>",
            b"bytes_in,note\n1,a\n\nnope,b\n2,\"two\nlines\"\n3,c\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ds.rows, 3);
        let csv = export_rows(&ds, &[0, 1, 2], None, ExportFormat::Csv).unwrap_or_default();
        let mut r = csv::ReaderBuilder::new().from_reader(&csv[..]);
        let got: Vec<(String, String)> = r
            .records()
            .map(|x| x.unwrap_or_default())
            .map(|x| (x[0].to_string(), x[1].to_string()))
            .collect();
        let want = [("0", "2"), ("1", "5"), ("2", "7")].map(|(a, b)| (a.into(), b.into()));
        assert_eq!(got, want);
        let json = export_rows(&ds, &[2], None, ExportFormat::Json).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(v[0]["line"], 7);
    }

    #[test]
    fn csv_cells_that_spreadsheets_would_run_are_guarded_unless_raw_is_asked() {
        let ds = crate::ingest::load_bytes(
            "<t>",
            b"delta,note,=HYPERLINK(\"http://x\")\n-5,=1+1,a\n7,+cmd|' /C calc'!A0,@SUM(A1)\n8,-2+3,\tx\n9,plain,b\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let all = [0, 1, 2, 3];
        let guarded = export_rows(&ds, &all, None, ExportFormat::Csv).unwrap_or_default();
        let mut r = csv::ReaderBuilder::new().from_reader(&guarded[..]);
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header[4], "'=HYPERLINK(\"http://x\")");
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect();
        // After `row` and `line`: numbers as they are (a negative byte count is a number, not a formula).
        assert_eq!(rows[0][2], "-5");
        assert_eq!(rows[0][3], "'=1+1");
        assert_eq!(rows[1][3], "'+cmd|' /C calc'!A0");
        assert_eq!(rows[1][4], "'@SUM(A1)");
        assert_eq!(rows[2][3], "'-2+3");
        assert_eq!(rows[3][3], "plain");
        for row in &rows {
            for cell in &row[3..] {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{cell:?}"
                );
            }
        }
        let raw =
            export_rows_with(&ds, &all, None, ExportFormat::Csv, CsvCells::Raw).unwrap_or_default();
        let text = String::from_utf8(raw).unwrap_or_default();
        assert!(text.contains(",=1+1,") && text.starts_with("row,line,delta,note,\"=HYPERLINK"));
        // JSON is data for programs: never altered.
        let json = export_rows(&ds, &[0], None, ExportFormat::Json).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(v[0]["note"], "=1+1");
    }
}
