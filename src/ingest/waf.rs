//! AWS WAF logs (JSON lines) and CloudWatch Logs Insights exports of flow logs, turned into
//! the CSV the loader reads.
//!
//! **WAF**: one JSON object per line; recognised by an `httpRequest` object on the first line.
//! Mapped: `timestamp` (epoch ms) → `time`, `httpRequest.clientIp` → `src_ip`,
//! `httpRequest.country` → `country`, `action`, `terminatingRuleId` → `rule`,
//! `terminatingRuleType` → `rule_type`, `httpRequest.httpMethod` → `http_method`, the `Host`
//! header → `host`, `httpRequest.uri` → `uri`, `httpRequest.args` → `args`, `httpVersion`,
//! `responseCodeSent` → `response_code`, `labels` (names joined by `;`), `webaclId`,
//! `httpSourceName`, `requestId`. URI, args and headers are attacker text: they are kept as
//! text values (quoted by the CSV writer), never interpreted; showing them is `sanitize`'s job.
//! A line that is not a JSON object is rejected with its line number; the rest loads.
//!
//! **Logs Insights**: a CSV whose header has `@timestamp` and `@message`, each message a raw
//! flow-log line without a header: split by the default version 2 format (or the one given),
//! `-` becoming empty; the other Insights columns are kept.
//!
//! This module converts bytes to bytes; it decides nothing about types or roles.

use super::builder::quote_value;
use super::flowlog::DEFAULT_FORMAT;
use crate::dataset::{Reject, RejectReport};
use serde_json::Value;

/// The columns written for a WAF log.
const WAF_COLUMNS: [&str; 16] = [
    "time",
    "src_ip",
    "country",
    "action",
    "rule",
    "rule_type",
    "http_method",
    "host",
    "uri",
    "args",
    "http_version",
    "response_code",
    "labels",
    "webacl_id",
    "http_source",
    "request_id",
];

/// What a text input is, judged from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Waf,
    Insights,
    Other,
}

/// Lines of the head a JSON input is judged by: a first line that is not a WAF object (a stray
/// array, a truncated record) does not make the file CSV.
const SNIFF_LINES: usize = 64;

/// Judges the first line of (decompressed) input; for JSON, the first [`SNIFF_LINES`] lines.
pub fn sniff(head: &[u8]) -> Sniffed {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let rest = head.get(start..).unwrap_or(&[]);
    let line = rest
        .get(..memchr::memchr(b'\n', rest).unwrap_or(rest.len()))
        .unwrap_or(&[]);
    if matches!(line.first(), Some(b'{' | b'[')) {
        let waf = rest
            .split(|b| *b == b'\n')
            .take(SNIFF_LINES)
            .filter(|l| l.trim_ascii_start().first() == Some(&b'{'))
            .any(|l| {
                matches!(serde_json::from_slice::<Value>(l),
                    Ok(Value::Object(m)) if m.get("httpRequest").is_some_and(Value::is_object))
            });
        return if waf { Sniffed::Waf } else { Sniffed::Other };
    }
    let text = String::from_utf8_lossy(line);
    let names: Vec<&str> = text
        .trim_end_matches('\r')
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .collect();
    if names.contains(&"@message") && names.contains(&"@timestamp") {
        return Sniffed::Insights;
    }
    Sniffed::Other
}

fn reject(line: u64, kind: &str, message: String) -> Reject {
    Reject {
        line,
        column: None,
        kind: kind.into(),
        message,
    }
}

/// Where each CSV record of a conversion came from: (CSV line, input line), ascending.
pub type LineMap = Vec<(u64, u64)>;

/// The input line of the CSV record starting at `csv_line`.
pub fn input_line(map: &LineMap, csv_line: u64) -> u64 {
    match map.binary_search_by_key(&csv_line, |&(c, _)| c) {
        Ok(i) => map.get(i).map_or(csv_line, |&(_, l)| l),
        Err(i) => i
            .checked_sub(1)
            .and_then(|i| map.get(i))
            .map_or(csv_line, |&(_, l)| l),
    }
}

/// WAF JSON lines as CSV, with the lines that are not objects rejected, and the line map.
pub fn waf_to_csv(input: &[u8]) -> (Vec<u8>, RejectReport, LineMap) {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(input.len() / 2));
    let mut rejects = RejectReport::default();
    let mut map = LineMap::new();
    // The header is CSV line 1; a value holding line breaks makes its record span more.
    let mut csv_line = 2u64;
    let _ = out.write_record(WAF_COLUMNS);
    for (i, raw) in input.split(|&b| b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = super::fields::trim(raw.strip_suffix(b"\r").unwrap_or(raw));
        if raw.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(Value::Object(m)) => {
                let record = waf_record(&Value::Object(m));
                map.push((csv_line, line));
                csv_line += 1 + record
                    .iter()
                    .map(|f| f.bytes().filter(|&b| b == b'\n' || b == b'\r').count() as u64)
                    .sum::<u64>();
                let _ = out.write_record(record);
            }
            Ok(_) => rejects.push(reject(
                line,
                "not a JSON object",
                format!(
                    "not a JSON object: {} (a WAF log has one object per line)",
                    quote_value(raw)
                ),
            )),
            Err(e) => rejects.push(reject(
                line,
                "invalid JSON",
                format!(
                    "invalid JSON at column {}: {}",
                    e.column(),
                    quote_value(raw)
                ),
            )),
        }
    }
    (out.into_inner().unwrap_or_default(), rejects, map)
}

/// A value as CSV text: strings as they are, numbers and booleans as written, else empty.
fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn waf_record(v: &Value) -> Vec<String> {
    let req = v.get("httpRequest");
    let field = |k: &str| text(req.and_then(|r| r.get(k)));
    let host = req
        .and_then(|r| r.get("headers"))
        .and_then(Value::as_array)
        .and_then(|hs| {
            hs.iter().find(|h| {
                h.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case("host"))
            })
        })
        .map(|h| text(h.get("value")))
        .unwrap_or_default();
    let labels = v
        .get("labels")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .map(|l| text(l.get("name")))
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default();
    vec![
        text(v.get("timestamp")),
        field("clientIp"),
        field("country"),
        text(v.get("action")),
        text(v.get("terminatingRuleId")),
        text(v.get("terminatingRuleType")),
        field("httpMethod"),
        host,
        field("uri"),
        field("args"),
        field("httpVersion"),
        text(v.get("responseCodeSent")),
        labels,
        text(v.get("webaclId")),
        text(v.get("httpSourceName")),
        field("requestId"),
    ]
}

/// A Logs Insights export as CSV: the flow fields of each `@message` (split by `format`, or
/// the default version 2 format), then the other Insights columns.
pub fn insights_to_csv(input: &[u8], format: Option<&str>) -> (Vec<u8>, RejectReport) {
    let names: Vec<&str> = format
        .unwrap_or(DEFAULT_FORMAT)
        .split_whitespace()
        .collect();
    let mut rejects = RejectReport::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut out = csv::Writer::from_writer(Vec::with_capacity(input.len()));
    let mut records = reader.byte_records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
        _ => return (Vec::new(), rejects),
    };
    let Some(message) = header.iter().position(|h| h == "@message") else {
        return (Vec::new(), rejects);
    };
    let extra: Vec<usize> = (0..header.len()).filter(|&i| i != message).collect();
    let head: Vec<&str> = names
        .iter()
        .copied()
        .chain(
            extra
                .iter()
                .filter_map(|&i| header.get(i).map(String::as_str)),
        )
        .collect();
    let _ = out.write_record(&head);
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                rejects.push(reject(line, "unreadable record", e.to_string()));
                continue;
            }
        };
        let line = rec.position().map_or(0, csv::Position::line);
        let msg = rec.get(message).unwrap_or_default();
        let fields: Vec<&[u8]> = super::fields::trim(msg)
            .split(|&b| b == b' ')
            .filter(|f| !f.is_empty())
            .collect();
        if fields.len() != names.len() {
            rejects.push(Reject {
                line,
                column: Some("@message".into()),
                kind: "wrong number of fields".into(),
                message: format!(
                    "the flow-log message has {} fields, the format {} (give yours with --flow-format): {}",
                    fields.len(),
                    names.len(),
                    quote_value(msg)
                ),
            });
            continue;
        }
        let row: Vec<&[u8]> = fields
            .iter()
            .map(|f| if *f == b"-" { &b""[..] } else { f })
            .chain(extra.iter().map(|&i| rec.get(i).unwrap_or_default()))
            .collect();
        let _ = out.write_record(&row);
    }
    (out.into_inner().unwrap_or_default(), rejects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waf_and_insights_are_recognised_by_content() {
        assert_eq!(
            sniff(b"{\"timestamp\":1,\"httpRequest\":{}}\n"),
            Sniffed::Waf
        );
        assert_eq!(sniff(b"{\"a\":1}\n"), Sniffed::Other);
        // A first line that is not a WAF object (an array, a cut record) does not hide the rest.
        assert_eq!(
            sniff(b"[1,2]\n{\"timestamp\":1,\"httpRequest\":{}}\n"),
            Sniffed::Waf
        );
        assert_eq!(
            sniff(b"{\"timest\n  {\"timestamp\":1,\"httpRequest\":{}}\n"),
            Sniffed::Waf
        );
        assert_eq!(sniff(b"[1,2]\n[3]\n"), Sniffed::Other);
        assert_eq!(sniff(b"@timestamp,@message\n"), Sniffed::Insights);
        assert_eq!(
            sniff(b"\"@timestamp\",\"@message\",\"@logStream\"\r\n"),
            Sniffed::Insights
        );
        assert_eq!(sniff(b"bytes_in,bytes_out\n"), Sniffed::Other);
    }

    #[test]
    fn waf_lines_map_to_columns_and_bad_lines_are_rejected() {
        let input = br#"{"timestamp":1714003200123,"action":"BLOCK","terminatingRuleId":"SQLi","httpRequest":{"clientIp":"1.2.3.4","country":"DE","uri":"/a,\"b\"","args":"x=1","httpMethod":"GET","headers":[{"name":"host","value":"shop.example"}]},"labels":[{"name":"awswaf:sqli"},{"name":"x"}]}
[1,2]
not json
"#;
        let (csv, rejects, map) = waf_to_csv(input);
        assert_eq!(map, vec![(2, 1)]);
        assert_eq!(input_line(&map, 2), 1);
        let text = String::from_utf8(csv).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), WAF_COLUMNS.join(","));
        assert_eq!(
            lines.next().unwrap(),
            r#"1714003200123,1.2.3.4,DE,BLOCK,SQLi,,GET,shop.example,"/a,""b""",x=1,,,awswaf:sqli;x,,,"#
        );
        assert_eq!(rejects.total, 2);
        assert_eq!(rejects.details[0].line, 2);
        assert_eq!(rejects.details[0].kind, "not a JSON object");
        assert_eq!(rejects.details[1].line, 3);
    }

    #[test]
    fn insights_messages_split_by_the_format() {
        let input = b"@timestamp,@message,@logStream\n\
2024-04-25 10:00:00.000,2 1 eni-1 10.0.0.1 10.0.0.2 1000 22 6 3 300 1714039200 1714039260 ACCEPT OK,eni-1-all\n\
2024-04-25 10:01:00.000,2 1 eni-1 - - - - - - - 1714039200 1714039260 - NODATA,eni-1-all\n\
2024-04-25 10:02:00.000,2 1 eni-1 10.0.0.1,eni-1-all\n";
        let (csv, rejects) = insights_to_csv(input, None);
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!("{},@timestamp,@logStream", DEFAULT_FORMAT.replace(' ', ","))
        );
        assert!(lines[1].starts_with("2,1,eni-1,10.0.0.1,10.0.0.2,1000,22,6,"));
        assert!(lines[2].contains(",,,,,,,1714039200,"));
        assert_eq!(rejects.total, 1);
        assert_eq!(rejects.details[0].line, 4);
        let (csv, _) = insights_to_csv(
            b"@timestamp,@message\nt,10.0.0.1 10.0.0.2 5\n",
            Some("srcaddr dstaddr bytes"),
        );
        assert!(
            String::from_utf8(csv)
                .unwrap()
                .contains("10.0.0.1,10.0.0.2,5,t")
        );
    }
}
