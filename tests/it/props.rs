//! Properties of ingest on generated input: it never panics on any bytes, it
//! loads exactly the rows a model of the format says are valid (rejecting the
//! rest at the right lines), and where the parallel splitter cuts a block never
//! changes what is read.

use proptest::prelude::*;
use threatlens::analysis::{Rows, summary};
use threatlens::dataset::schema::RoleType;
use threatlens::dataset::{Dataset, format_time};
use threatlens::ingest::builder::{self, ColBuf, ColPlan};
use threatlens::ingest::{self, chunk};

/// Bytes that mean something to a CSV reader, a sniffer or a parser, plus a few
/// that must not (NUL, ESC, Latin-1, the UTF-8 BOM's first byte).
const STRUCTURAL: &[u8] = b",;\t|\"\n\r 0123456789.-+eE:TZ/naif\x00\x1b\xef\xbb\xbf\xfc\x9b";

fn csvish_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(STRUCTURAL),
        1 => any::<u8>(),
    ]
}

/// Header lines the loader recognises, so generated bodies get past the header.
const HEADERS: &[&str] = &[
    "",
    "bytes_in,bytes_out,src_ip,creation_time,end_time,country\n",
    "bytes_in;bytes_out;note\n",
    "f0,f1,label\n",
    "\u{feff}src_ip\ttime\tbytes_in\r\n",
];

/// Every column has as many values as the dataset has rows, and nothing the
/// loader wrote about the data carries a control character.
fn assert_consistent(ds: &Dataset) {
    assert!(ds.rows > 0, "a dataset with no rows is an error, not Ok");
    for c in &ds.columns {
        assert_eq!(c.data.len(), ds.rows, "column {:?}", c.name);
    }
    for r in &ds.rejects.details {
        assert!(!r.message.chars().any(char::is_control), "{r:?}");
    }
    for n in &ds.notes {
        assert!(!n.chars().any(char::is_control), "{n:?}");
    }
    let s = summary::summarize(ds, Rows::All(ds.rows), summary::SummaryOptions::default());
    let text = threatlens::report::summary::render_text(&s);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    threatlens::cli::to_json(&s).unwrap_or_else(|f| panic!("{}", f.message));
}

proptest! {
    #[test]
    fn load_bytes_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(ds) = ingest::load_bytes("<prop>", &bytes) {
            assert_consistent(&ds);
        }
    }

    #[test]
    fn load_bytes_never_panics_on_csvish_bytes(
        header in prop::sample::select(HEADERS),
        body in prop::collection::vec(csvish_byte(), 0..4096),
    ) {
        let bytes = [header.as_bytes(), &body].concat();
        if let Ok(ds) = ingest::load_bytes("<prop>", &bytes) {
            assert_consistent(&ds);
        }
    }
}

/// A column of the model: its header name and how its values are read.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Bytes,
    Ip,
    Time,
    Text,
}

const COLUMNS: &[(&str, Kind)] = &[
    ("bytes_in", Kind::Bytes),
    ("bytes_out", Kind::Bytes),
    ("src_ip", Kind::Ip),
    ("creation_time", Kind::Time),
    ("src_ip_country_code", Kind::Text),
    ("rule_names", Kind::Text),
];

/// One generated field: its text in the file, whether the loader must accept it,
/// and the cell text it must load as.
#[derive(Debug, Clone)]
struct Field {
    raw: String,
    valid: bool,
    cell: String,
}

fn field(raw: &str, valid: bool, cell: &str) -> Field {
    Field {
        raw: raw.to_string(),
        valid,
        cell: cell.to_string(),
    }
}

fn bytes_field() -> impl Strategy<Value = Field> {
    prop_oneof![
        4 => (0u64..10_000_000).prop_map(|n| field(&n.to_string(), true, &n.to_string())),
        1 => (0u64..1000).prop_map(|n| field(&format!(" {n}.0 "), true, &n.to_string())),
        1 => Just(field("", true, "")),
        1 => Just(field("NaN", true, "")),
        1 => prop::sample::select(vec!["-1", "abc", "1.5", "inf", "18446744073709551616", "1,5", "0x10"])
            .prop_map(|s| field(s, false, "")),
    ]
}

fn ip_field() -> impl Strategy<Value = Field> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| {
            let ip = format!("10.{a}.{b}.1");
            field(&ip, true, &ip)
        }),
        1 => any::<u16>().prop_map(|a| {
            let ip = format!("2001:db8::{a:x}");
            let shown = ip.parse::<std::net::IpAddr>().unwrap().to_string();
            field(&ip, true, &shown)
        }),
        1 => any::<u8>().prop_map(|a| field(&format!("::ffff:1.2.3.{a}"), true, &format!("1.2.3.{a}"))),
        1 => Just(field("", true, "")),
        1 => prop::sample::select(vec!["300.1.1.1", "1.2.3", "host", "1.2.3.4:80", "::gg"])
            .prop_map(|s| field(s, false, "")),
    ]
}

fn time_field() -> impl Strategy<Value = Field> {
    // Seconds within 2000–2100, written in one of the accepted forms.
    (946_684_800i64..4_102_444_800, 0usize..5).prop_flat_map(|(secs, form)| {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        let raw = match form {
            0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            1 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            2 => (t + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M:%S+02:00").to_string(),
            3 => secs.to_string(),
            _ => (secs * 1000).to_string(),
        };
        let cell = format_time(secs * 1000);
        prop_oneof![
            6 => Just(field(&raw, true, &cell)),
            1 => Just(field("", true, "")),
            1 => prop::sample::select(vec!["yesterday", "2024-13-01T00:00:00Z", "25/04/2024", "12:00"])
                .prop_map(|s| field(s, false, "")),
        ]
    })
}

fn text_field() -> impl Strategy<Value = Field> {
    "[a-z ,;\"\n\r\t'é日🔥\u{1b}\u{202e}]{0,12}".prop_map(|s| field(&s, true, &s))
}

fn kind_field(kind: Kind) -> BoxedStrategy<Field> {
    match kind {
        Kind::Bytes => bytes_field().boxed(),
        Kind::Ip => ip_field().boxed(),
        Kind::Time => time_field().boxed(),
        Kind::Text => text_field().boxed(),
    }
}

/// A field as written in the file: quoted when it must be (or, harmlessly, at random).
fn write_field(out: &mut String, raw: &str, quote: bool) {
    if quote || raw.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&raw.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(raw);
    }
}

/// A generated table: the header's columns (indexes into COLUMNS) and rows of
/// fields, some rows with a field too many or too few.
#[derive(Debug, Clone)]
struct Table {
    columns: Vec<usize>,
    rows: Vec<(Vec<Field>, bool, bool)>,
    crlf: bool,
    final_newline: bool,
}

fn table() -> impl Strategy<Value = Table> {
    (
        Just((0..COLUMNS.len()).collect::<Vec<usize>>()).prop_shuffle(),
        2usize..=COLUMNS.len(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(order, n, crlf, final_newline)| {
            let columns: Vec<usize> = order.into_iter().take(n).collect();
            let row = (
                columns
                    .iter()
                    .map(|&c| kind_field(COLUMNS[c].1))
                    .collect::<Vec<_>>(),
                prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)],
                any::<bool>(),
            )
                .prop_map(|(mut fields, ragged, quote)| {
                    match ragged {
                        -1 => {
                            fields.pop();
                        }
                        1 => fields.push(field("extra", false, "")),
                        _ => {}
                    }
                    let valid = ragged == 0 && fields.iter().all(|f| f.valid);
                    (fields, valid, quote)
                });
            (
                Just(columns),
                prop::collection::vec(row, 0..40),
                Just(crlf),
                Just(final_newline),
            )
        })
        .prop_map(|(columns, rows, crlf, final_newline)| Table {
            columns,
            rows,
            crlf,
            final_newline,
        })
}

impl Table {
    /// The CSV text, and the line each row starts on.
    fn render(&self) -> (String, Vec<u64>) {
        let end = if self.crlf { "\r\n" } else { "\n" };
        let names: Vec<&str> = self.columns.iter().map(|&c| COLUMNS[c].0).collect();
        let mut out = names.join(",") + end;
        let mut lines = Vec::new();
        let mut line = 2;
        for (i, (fields, _, quote)) in self.rows.iter().enumerate() {
            lines.push(line);
            let start = out.len();
            for (j, f) in fields.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                // A lone empty field would be an empty line, which CSV skips.
                write_field(
                    &mut out,
                    &f.raw,
                    *quote || (fields.len() == 1 && f.raw.is_empty()),
                );
            }
            if i + 1 < self.rows.len() || self.final_newline {
                out.push_str(end);
            }
            line += out[start..].matches('\n').count() as u64;
        }
        (out, lines)
    }
}

proptest! {
    /// The loader accepts exactly the rows whose every field is valid for its
    /// column, with the values written, and rejects every other row at the line
    /// it starts on.
    #[test]
    fn csvish_tables_load_the_valid_rows_and_reject_the_rest(t in table()) {
        let (csv, lines) = t.render();
        let valid: Vec<&Vec<Field>> = t.rows.iter().filter(|r| r.1).map(|r| &r.0).collect();
        let want_reject_lines: Vec<u64> = t
            .rows
            .iter()
            .zip(&lines)
            .filter(|(r, _)| !r.1)
            .map(|(_, &l)| l)
            .collect();
        match ingest::load_bytes("<prop>", csv.as_bytes()) {
            Ok(ds) => {
                prop_assert_eq!(ds.rows, valid.len(), "{:?}", ds.rejects.details);
                prop_assert_eq!(ds.rejects.total as usize, want_reject_lines.len());
                let got_lines: Vec<u64> = ds.rejects.details.iter().map(|r| r.line).collect();
                prop_assert_eq!(got_lines, want_reject_lines);
                for (j, &c) in t.columns.iter().enumerate() {
                    let got: Vec<String> =
                        (0..ds.rows).map(|r| ds.cell_text(r, j).into_owned()).collect();
                    let want: Vec<&str> = valid.iter().map(|f| f[j].cell.as_str()).collect();
                    prop_assert_eq!(got, want, "column {}", COLUMNS[c].0);
                }
                assert_consistent(&ds);
            }
            Err(ingest::IngestError::HeaderOnly { .. }) => prop_assert!(t.rows.is_empty()),
            Err(ingest::IngestError::AllRejected { rejected, .. }) => {
                prop_assert!(valid.is_empty());
                prop_assert_eq!(rejected as usize, t.rows.len());
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    /// Parsing a block cut at the splitter's points, each piece on its own (as
    /// the parallel loader does), reads the same rows, values and reject lines
    /// as parsing it whole.
    #[test]
    fn where_a_block_is_split_never_changes_what_is_read(
        body in prop::collection::vec(csvish_byte(), 0..2048),
        chunk in 1usize..64,
    ) {
        let plan: Vec<ColPlan> = (0..3)
            .map(|i| ColPlan { name: format!("c{i}"), role: None, kind: RoleType::Text, dash_missing: false })
            .collect();
        let whole = read(&builder::parse_chunk(&body, b',', &plan, 2));
        let mut pieces = (Vec::new(), Vec::new());
        let mut start = 0;
        let mut line = 2;
        for end in chunk::split_points(&body, b',', chunk, true) {
            let piece = &body[start..end];
            let (rows, rejects) = read(&builder::parse_chunk(piece, b',', &plan, line));
            pieces.0.extend(rows);
            pieces.1.extend(rejects);
            line += piece.iter().filter(|&&b| b == b'\n').count() as u64;
            start = end;
        }
        prop_assert_eq!(start, body.len(), "the pieces cover the block");
        prop_assert_eq!(pieces, whole);
    }
}

/// Rows (as raw field bytes) and reject lines of a parsed chunk.
type Parsed = (Vec<Vec<Vec<u8>>>, Vec<(u64, String)>);

fn read(out: &builder::ChunkOut) -> Parsed {
    let mut rows = vec![Vec::new(); out.rows];
    for col in &out.cols {
        let ColBuf::Text(interner) = col else {
            panic!("text plan")
        };
        for (r, row) in rows.iter_mut().enumerate() {
            let code = interner.codes.get(r).unwrap();
            row.push(interner.values.get(code as usize).unwrap().to_vec());
        }
    }
    let rejects = out
        .rejects
        .details
        .iter()
        .map(|r| (r.line, r.kind.clone()))
        .collect();
    (rows, rejects)
}
