//! Export of tables: any selection of rows (a filtered view, the anomaly list)
//! as CSV or JSON bytes, with optional score and flag columns.
//!
//! CSV keeps the data as it was read (it is a file, not a terminal); JSON is
//! written with the terminal-safe formatter. Pure: returns bytes, the caller
//! decides where they go.

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
}

/// The rows as CSV or JSON (`row` is the 0-based data row in the input file).
pub fn export_rows(
    ds: &Dataset,
    rows: &[u32],
    scores: Option<&Scores<'_>>,
    format: ExportFormat,
) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header: Vec<String> = vec!["row".into()];
            header.extend(ds.columns.iter().map(|c| c.name.clone()));
            if scores.is_some() {
                header.push("score".into());
                header.push("anomaly".into());
            }
            w.write_record(&header).map_err(|e| e.to_string())?;
            for &r in rows {
                let r = r as usize;
                let mut rec: Vec<String> = vec![ds.origin_row(r).to_string()];
                rec.extend((0..ds.columns.len()).map(|c| ds.cell_text(r, c).into_owned()));
                if let Some(s) = scores {
                    rec.push(s.scores.get(r).map_or(String::new(), |x| x.to_string()));
                    rec.push(u8::from((s.flagged)(r)).to_string());
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
        };
        let csv = String::from_utf8(
            export_rows(&ds, &[2, 0], Some(&s), ExportFormat::Csv).unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(
            csv,
            "row,bytes_in,src_ip,note,score,anomaly\n2,3,3.3.3.3,y,0.9,1\n0,1,1.1.1.1,\"a,b\",0.1,0\n"
        );
        let json = export_rows(&ds, &[1], None, ExportFormat::Json).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(v[0]["src_ip"], "2.2.2.2");
        assert_eq!(v[0]["bytes_in"], 2.0);
        assert_eq!(ExportFormat::from_path("x.JSON"), ExportFormat::Json);
    }
}
