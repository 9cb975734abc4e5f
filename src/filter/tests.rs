//! Unit tests of the filter language on a small hand-made dataset: every
//! operator on every column type, precedence, CIDR blocks, time ranges, missing
//! values, detection context and error positions.

use super::*;
use crate::dataset::Dataset;
use crate::ingest::load_bytes;

const CSV: &str = "\
bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,protocol,response.code,dst_port,source.meta,time,ratio,note,proxy
100,200,2024-04-26T07:30:00Z,2024-04-26T07:40:00Z,155.91.45.10,US,HTTPS,200,443,AWS_VPC_Flow,2024-04-26T07:30:00Z,0.5,hello world,155.91.45.1
5000,100,2024-04-26T08:00:00Z,2024-04-26T08:10:00Z,155.91.45.242,us,HTTPS,200,443,AWS_VPC_Flow,2024-04-26T08:00:00Z,1.5,Hello,x
30000,12000,2024-04-26T08:30:00Z,2024-04-26T08:40:00Z,155.91.46.1,CA,HTTP,404,80,AWS_VPC_Flow,,2.5,,
,50,2024-04-26T08:59:59Z,2024-04-26T09:09:59Z,2001:db8::1,DE,HTTPS,500,8080,other,NA,,naïve ÄBC,10.0.0.1
7,8,2024-04-26T09:00:00Z,2024-04-26T09:00:00Z,::ffff:10.1.2.3,,HTTPS,,443,other,2024-04-26T09:00:00Z,3.5,\"a, b\",2001:db8::5
2000000,1,2024-04-27T10:00:00Z,2024-04-27T11:00:00Z,,FR,TCP,200,22,other,2024-04-27T10:00:00Z,4.5,path/to,foo
";

const FLAGGED: [bool; 6] = [false, true, false, true, false, false];
const SCORES: [f64; 6] = [0.1, 0.7, 0.3, 0.9, f64::NAN, 0.5];

fn ds() -> Dataset {
    let ds = load_bytes("<t>", CSV.as_bytes()).unwrap();
    assert_eq!(ds.rows, 6, "{:?}", ds.rejects);
    ds
}

fn ctx() -> EvalContext<'static> {
    EvalContext::new(Some(&FLAGGED), Some(&SCORES))
}

/// The rows `q` selects, checked against row-by-row `matches`.
fn sel_in(ds: &Dataset, q: &str, ctx: &EvalContext<'_>) -> Vec<u32> {
    let f = build(q, ds).unwrap_or_else(|e| panic!("{q}: {}\n{}", e, e.caret_line(q)));
    let rows = f.select(ds, ctx);
    let one_by_one: Vec<u32> = (0..ds.rows as u32)
        .filter(|&r| f.matches(ds, r as usize, ctx))
        .collect();
    assert_eq!(rows, one_by_one, "{q}: select and matches disagree");
    // The canonical form means the same thing.
    let again = build(f.describe(), ds).unwrap().select(ds, ctx);
    assert_eq!(
        rows,
        again,
        "{q}: describe() = {:?} selects differently",
        f.describe()
    );
    rows
}

fn check(cases: &[(&str, &[u32])]) {
    let ds = ds();
    for (q, want) in cases {
        assert_eq!(sel_in(&ds, q, &ctx()), *want, "{q}");
    }
}

fn err(q: &str) -> FilterError {
    let ds = ds();
    match build(q, &ds) {
        Ok(f) => panic!("{q}: expected an error, compiled to {}", f.describe()),
        Err(e) => e,
    }
}

#[test]
fn whole_number_columns() {
    check(&[
        ("bytes_in > 5000", &[2, 5]),
        ("bytes_in >= 5000", &[1, 2, 5]),
        ("bytes_in = 100", &[0]),
        ("bytes_in == 100", &[0]),
        ("bytes_in != 100", &[1, 2, 4, 5]),
        ("bytes_in < 100", &[4]),
        ("bytes_in <= 100", &[0, 4]),
        ("bytes_in > 99.5", &[0, 1, 2, 5]),
        ("bytes_in = 99.5", &[]),
        ("bytes_in > -1", &[0, 1, 2, 4, 5]),
        ("bytes_in < 1e30", &[0, 1, 2, 4, 5]),
        ("bytes_in in (7, 100, 7.5)", &[0, 4]),
        ("bytes_in not in (7, 100)", &[1, 2, 5]),
        ("bytes_in >= 2M", &[5]),
        ("bytes_in > 4.9k", &[1, 2, 5]),
        ("bytes_in >= 1.9MiB", &[5]),
        ("bytes_in > 29kB", &[2, 5]),
        ("bytes_in = \"\"", &[3]),
        ("bytes_in != ''", &[0, 1, 2, 4, 5]),
        ("not bytes_in = 100", &[1, 2, 3, 4, 5]),
        ("bytes_in in (\"\", 7)", &[3, 4]),
        ("bytes_in ~ \"00\"", &[0, 1, 2, 5]),
        ("bytes_in !~ /^1/", &[1, 2, 4, 5]),
        ("BYTES_IN<100", &[4]),
    ]);
}

#[test]
fn number_columns_and_aliases() {
    check(&[
        ("response.code = 200", &[0, 1, 5]),
        ("response_code != 200", &[2, 3]),
        ("response.code >= 404", &[2, 3]),
        ("response.code > 404", &[3]),
        ("response.code < 404", &[0, 1, 5]),
        ("response.code <= 404", &[0, 1, 2, 5]),
        ("response.code in (404, 500)", &[2, 3]),
        ("response.code not in (404, 500)", &[0, 1, 5]),
        ("response.code = ''", &[4]),
        ("response.code ~ /^[45]/", &[2, 3]),
        ("ratio > 2", &[2, 4, 5]),
        ("ratio = 0.5", &[0]),
        ("port = 443", &[0, 1, 4]),
        ("dst_port < 100", &[2, 5]),
    ]);
}

#[test]
fn time_columns_compare_by_instant() {
    check(&[
        (
            "time >= 2024-04-26T08:00 and time < 2024-04-26T09:00",
            &[1, 2, 3],
        ),
        ("time = \"2024-04-26 08:30:00\"", &[2]),
        ("time = 2024-04-26 08:30:00", &[2]),
        ("time = 2024-04-26T10:30:00+02:00", &[2]),
        ("time != 2024-04-26T08:30", &[0, 1, 3, 4, 5]),
        ("time <= 2024-04-26T08:00:00Z", &[0, 1]),
        ("time > 2024-04-26T09:00", &[5]),
        ("time < 2024-04-26", &[]),
        ("time >= 2024-04-27", &[5]),
        ("time in (2024-04-26T07:30, 1714212000)", &[0, 5]),
        ("time not in (2024-04-26T07:30, 1714212000)", &[1, 2, 3, 4]),
        ("creation_time ~ \"T08:\"", &[1, 2, 3]),
        // `time` is the start time; the column named time is reached in backticks.
        ("`time` = \"\"", &[2, 3]),
        ("`time` >= 2024-04-26T08:00", &[1, 4, 5]),
        (
            "end_time > 2024-04-26T09:00 and end_time < 2024-04-27",
            &[3],
        ),
    ]);
}

#[test]
fn ip_columns() {
    check(&[
        ("src_ip = 155.91.45.10", &[0]),
        ("src_ip != 155.91.45.10", &[1, 2, 3, 4]),
        ("src_ip in 155.91.45.0/24", &[0, 1]),
        ("src_ip = 155.91.45.0/24", &[0, 1]),
        ("src_ip != 155.91.45.0/24", &[2, 3, 4]),
        ("src_ip not in 155.91.45.0/24", &[2, 3, 4]),
        ("src_ip in 2001:db8::/32", &[3]),
        ("src_ip in 2001:DB8:0:0::/64", &[3]),
        ("src_ip = [2001:db8::1]", &[3]),
        ("src_ip in ::ffff:10.0.0.0/104", &[4]),
        ("src_ip in 10.0.0.0/8", &[4]),
        ("src_ip = ::ffff:10.1.2.3", &[4]),
        ("src_ip = 10.1.2.3", &[4]),
        (
            "src_ip in (155.91.45.10, 2001:db8::1, 10.0.0.0/8)",
            &[0, 3, 4],
        ),
        ("src_ip in 0.0.0.0/0", &[0, 1, 2, 4]),
        ("src_ip in ::/0", &[3]),
        ("src_ip < 155.91.45.242", &[0, 4]),
        ("src_ip <= 155.91.45.242", &[0, 1, 4]),
        ("src_ip > 155.91.45.242", &[2, 3]),
        ("src_ip >= 155.91.45.242", &[1, 2, 3]),
        ("src_ip ~ \"45.\"", &[0, 1]),
        ("src_ip ~ /^155\\.91\\.4[56]\\./", &[0, 1, 2]),
        ("src_ip !~ \"155.\"", &[3, 4]),
        ("src_ip = ''", &[5]),
    ]);
}

#[test]
fn text_columns() {
    check(&[
        ("country = US", &[0, 1]),
        ("country = us", &[0, 1]),
        ("src_ip_country_code == 'Us'", &[0, 1]),
        ("country != US", &[2, 3, 5]),
        ("not country = US", &[2, 3, 4, 5]),
        ("country in (us, ca)", &[0, 1, 2]),
        ("country not in (US)", &[2, 3, 5]),
        ("country < d", &[2]),
        ("country <= CA", &[2]),
        ("country > ca", &[0, 1, 3, 5]),
        ("country >= fr", &[0, 1, 5]),
        ("country = \"\"", &[4]),
        ("country in (\"\", DE)", &[3, 4]),
        ("note ~ \"HELLO\"", &[0, 1]),
        ("note ~ hello", &[0, 1]),
        ("note ~ /^Hel/", &[1]),
        ("note ~ /^hel/i", &[0, 1]),
        ("note !~ \"hello\"", &[3, 4, 5]),
        ("note ~ \"äbc\"", &[3]),
        ("note = 'NAÏVE ÄBC'", &[3]),
        ("note = \"a, b\"", &[4]),
        ("note ~ /a\\/?t/", &[5]),
        ("note ~ \"\"", &[0, 1, 3, 4, 5]),
        ("protocol in (http, tcp)", &[2, 5]),
        ("source.meta = other", &[3, 4, 5]),
        ("source_meta = OTHER", &[3, 4, 5]),
        ("Source-Meta = other", &[3, 4, 5]),
        ("proxy in 155.91.45.0/24", &[0]),
        ("proxy in (10.0.0.0/8, foo)", &[3, 5]),
        ("proxy in 2001:db8::/32", &[4]),
        ("proxy = 'foo'", &[5]),
    ]);
}

#[test]
fn derived_features() {
    check(&[
        ("bytes_per_sec > 10", &[2, 5]),
        ("avg_packet_size > 10", &[2, 5]),
        ("bytes_per_sec = ''", &[3, 4]),
        ("session_duration = 0", &[4]),
        ("session_duration >= 3600", &[5]),
        ("hour = 8", &[1, 2, 3]),
        ("hour in (7, 10)", &[0, 5]),
        ("day_of_week = 5", &[5]),
        ("in_out_ratio > 1", &[1, 2, 5]),
        ("bytes_per_sec ~ \"8.5\"", &[1]),
    ]);
}

#[test]
fn anomaly_and_score_come_from_the_context() {
    check(&[
        ("anomaly", &[1, 3]),
        ("ANOMALY", &[1, 3]),
        ("not anomaly", &[0, 2, 4, 5]),
        ("!anomaly", &[0, 2, 4, 5]),
        ("score > 0.6", &[1, 3]),
        ("score = ''", &[4]),
        ("score != ''", &[0, 1, 2, 3, 5]),
        ("score in (0.1, 0.5)", &[0, 5]),
        ("anomaly and score > 0.8", &[3]),
        ("score ~ \"0.9\"", &[3]),
    ]);
    let ds = ds();
    let none = EvalContext::NONE;
    assert_eq!(sel_in(&ds, "anomaly", &none), Vec::<u32>::new());
    assert_eq!(sel_in(&ds, "not anomaly", &none), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(sel_in(&ds, "score > 0", &none), Vec::<u32>::new());

    let f = build("country = US or (score > 0.5)", &ds).unwrap();
    assert!(f.needs_detection());
    let e = f.check_context(&none).unwrap_err();
    assert_eq!((e.pos, e.len), (17, 5));
    assert!(f.check_context(&ctx()).is_ok());
    let f = build("not anomaly", &ds).unwrap();
    assert_eq!(f.check_context(&none).unwrap_err().pos, 4);
    assert!(!build("country = US", &ds).unwrap().needs_detection());

    // Short slices: the rows past the end are neither flagged nor scored.
    let short = EvalContext::new(Some(&[true]), Some(&[0.9]));
    assert_eq!(sel_in(&ds, "anomaly or score > 0", &short), vec![0]);
}

#[test]
fn a_score_column_is_reached_in_backticks() {
    let ds = load_bytes("<t>", b"score,anomaly\n1,a\n5,b\n").unwrap();
    assert_eq!(sel_in(&ds, "`score` > 2", &EvalContext::NONE), vec![1]);
    assert_eq!(
        sel_in(&ds, "score > 2", &EvalContext::NONE),
        Vec::<u32>::new()
    );
    assert_eq!(sel_in(&ds, "`anomaly` = a", &EvalContext::NONE), vec![0]);
    let e = build("bytes_per_sec > 1", &ds).unwrap_err();
    assert!(e.message.contains("cannot be computed"), "{}", e.message);
    let e = build("time > 2024-01-01", &ds).unwrap_err();
    assert!(
        e.message.starts_with("unknown column 'time'"),
        "{}",
        e.message
    );
}

#[test]
fn precedence_not_then_and_then_or() {
    check(&[
        ("country = CA or country = US and bytes_in < 1000", &[0, 2]),
        ("(country = CA or country = US) and bytes_in < 1000", &[0]),
        ("country = CA || country = US && bytes_in < 1000", &[0, 2]),
        ("country = CA OR country = US AND bytes_in < 1000", &[0, 2]),
        ("not country = US and bytes_in > 10", &[2, 5]),
        ("! country = US && bytes_in > 10", &[2, 5]),
        ("not (country = US and bytes_in > 10)", &[2, 3, 4, 5]),
        ("not not anomaly", &[1, 3]),
        (
            "bytes_in > 10 and not (country = US or country = CA) or anomaly",
            &[1, 3, 5],
        ),
        ("((((country = CA))))", &[2]),
    ]);
}

#[test]
fn canonical_form() {
    let ds = ds();
    let q = "Country==us&&(bytes_in>10||!anomaly) and note ~ /a\\/b/i";
    let f = build(q, &ds).unwrap();
    assert_eq!(f.source(), q);
    assert_eq!(
        f.describe(),
        "Country = us and (bytes_in > 10 or not anomaly) and note ~ /a\\/b/i"
    );
    let f = build("src_ip not in (10.0.0.0/8,'x y')or`my ``col``` = \"\"", &ds);
    // `my `col`` is unknown, but the text still parses and prints.
    assert!(f.is_err());
    let ast = parse("src_ip not in (10.0.0.0/8,'x y')or`my ``col``` = \"\"").unwrap();
    assert_eq!(
        ast.to_string(),
        "src_ip not in (10.0.0.0/8, \"x y\") or `my ``col``` = \"\""
    );
    assert_eq!(
        parse(&ast.to_string()).unwrap().to_string(),
        ast.to_string()
    );
}

#[test]
fn quoting_helpers_round_trip() {
    let ds = ds();
    let q = format!("note = {}", quote("naïve äbc"));
    assert_eq!(sel_in(&ds, &q, &ctx()), vec![3]);
    let ast = parse(&format!("note = {}", quote("a \"q\" \\ b"))).unwrap();
    match ast {
        Ast::Compare { value, .. } => assert_eq!(value.text, "a \"q\" \\ b"),
        other => panic!("{other:?}"),
    }
    assert_eq!(quote_field("bytes_in"), "bytes_in");
    assert_eq!(quote_field("response.code"), "response.code");
    assert_eq!(quote_field("my col"), "`my col`");
    assert_eq!(quote_field("time"), "`time`");
    assert_eq!(quote_field("a`b"), "`a``b`");
}

/// (input, pos, len, message start)
fn check_errors(cases: &[(&str, usize, usize, &str)]) {
    for (q, pos, len, msg) in cases {
        let e = err(q);
        assert!(
            e.message.starts_with(msg),
            "{q}: message {:?} does not start with {msg:?}",
            e.message
        );
        assert_eq!(
            (e.pos, e.len),
            (*pos, *len),
            "{q}: {}\n{}",
            e.message,
            e.caret_line(q)
        );
    }
}

#[test]
fn errors_point_at_the_mistake() {
    check_errors(&[
        (
            "bytes_inn > 5",
            0,
            9,
            "unknown column 'bytes_inn' (did you mean bytes_in?)",
        ),
        (
            "contry = US",
            0,
            6,
            "unknown column 'contry' (did you mean country?)",
        ),
        ("zzzzzz = 1", 0, 6, "unknown column 'zzzzzz'"),
        ("bytes_in >=", 11, 0, "expected a value after '>='"),
        (
            "bytes_in >= and x = 1",
            12,
            3,
            "expected a value after '>=', found 'and'",
        ),
        (
            "src_ip in x.y.z/99",
            10,
            8,
            "'x.y.z/99' is not a CIDR block",
        ),
        (
            "src_ip in (1.2.3.4, 10.0.0.0/33)",
            20,
            11,
            "'10.0.0.0/33' is not a CIDR block",
        ),
        ("src_ip = nope", 9, 4, "'nope' is not an IP address"),
        (
            "src_ip < 155.91.45.0/24",
            9,
            14,
            "'155.91.45.0/24' is a CIDR block",
        ),
        (
            "bytes_in in 10.0.0.0/8",
            12,
            10,
            "'10.0.0.0/8' is a CIDR block, but bytes_in holds whole numbers",
        ),
        ("(country = US", 0, 1, "unclosed parenthesis"),
        ("country in (US, CA", 11, 1, "unclosed parenthesis"),
        ("country in ()", 11, 2, "empty list"),
        ("country in (US CA)", 15, 2, "expected ',' or ')'"),
        ("country = US)", 12, 1, "unmatched ')'"),
        (
            "country = US and",
            16,
            0,
            "expected a condition after 'and'",
        ),
        (
            "country = US or or",
            16,
            2,
            "expected a condition after 'or'",
        ),
        ("country US", 8, 2, "expected an operator after 'country'"),
        ("country", 7, 0, "expected an operator after 'country'"),
        (
            "country = US country = CA",
            13,
            7,
            "expected 'and' or 'or' before 'country'",
        ),
        (
            "(country = US country = CA)",
            14,
            7,
            "expected 'and', 'or' or ')'",
        ),
        (
            "country in US, CA",
            13,
            1,
            "unexpected ',': a list goes in parentheses",
        ),
        ("(country in US, CA)", 14, 1, "unexpected ','"),
        ("country not US", 12, 2, "expected 'in' after 'country not'"),
        ("note ~ /(/", 7, 3, "invalid regex"),
        ("note ~ /a/g", 10, 1, "unknown regex flag 'g'"),
        ("note ~ /abc", 7, 4, "unclosed regex"),
        ("note ~", 6, 0, "expected \"text\" or /regex/ after '~'"),
        ("note = /abc/", 7, 5, "a /regex/ needs '~'"),
        ("country = \"US", 10, 3, "unclosed quote"),
        ("`country = US", 0, 13, "unclosed backtick"),
        (
            "bytes_in > abc",
            11,
            3,
            "'abc' is not a number (bytes_in holds whole numbers",
        ),
        ("ratio > 1.5x", 8, 4, "'1.5x' is not a number"),
        ("time > tomorrow", 7, 8, "'tomorrow' is not a time"),
        ("bytes_in & 5", 9, 1, "'&' is not an operator"),
        ("country = US | x", 13, 1, "'|' is not an operator"),
        ("", 0, 0, "empty filter"),
        ("   ", 0, 3, "empty filter"),
        (")", 0, 1, "expected a condition, found ')'"),
        ("= 5", 0, 1, "expected a condition, found '='"),
        (
            "\"US\" = country",
            0,
            4,
            "expected a field name, found quoted text",
        ),
        ("not", 3, 0, "expected a condition after 'not'"),
        (
            "country < ''",
            10,
            2,
            "\"\" only works with = (missing) and != (present)",
        ),
        ("anomaly = 1", 8, 1, "expected 'and' or 'or' before '='"),
        // Positions count characters, not bytes.
        (
            "note = 'ñü' or bytes_inn > 1",
            15,
            9,
            "unknown column 'bytes_inn'",
        ),
    ]);
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}country = US{}", "(".repeat(1000), ")".repeat(1000));
    let e = parse(&deep).unwrap_err();
    assert!(e.message.starts_with("too deeply nested"), "{}", e.message);
    assert_eq!(e.pos, MAX_DEPTH);
    let nots = format!("{}anomaly", "not ".repeat(10_000));
    assert!(
        parse(&nots)
            .unwrap_err()
            .message
            .starts_with("too deeply nested")
    );
    let ok = format!(
        "{}country = US{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert_eq!(sel_in(&ds(), &ok, &ctx()), vec![0, 1]);
    // Long flat chains are fine.
    let long = vec!["bytes_in > 1"; 20_000].join(" or ");
    assert_eq!(sel_in(&ds(), &long, &ctx()), vec![0, 1, 2, 4, 5]);
}

#[test]
fn huge_regexes_are_refused() {
    let e = err("note ~ /\\w{1000}\\w{1000}\\w{1000}/");
    assert!(e.message.contains("too large"), "{}", e.message);
    assert_eq!((e.pos, e.len), (7, 26));
}

#[test]
fn caret_line_marks_the_span_by_display_width() {
    let q = "bytes_inn > 5";
    assert_eq!(err(q).caret_line(q), "bytes_inn > 5\n^~~~~~~~~");
    let q = "note = '日本' or bytes_inn > 1";
    assert_eq!(
        err(q).caret_line(q),
        format!("{q}\n{}^~~~~~~~~", " ".repeat(17))
    );
    // At the end of the input, one caret after the last character.
    let q = "bytes_in >=";
    assert_eq!(err(q).caret_line(q), "bytes_in >=\n           ^");
    // Control and bidi characters are echoed as U+FFFD, keeping alignment.
    let q = "note = '\u{1b}[2J\u{202e}' or bytes_inn > 1";
    let shown = err(q).caret_line(q);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[1].find('^'),
        Some(lines[0].chars().position(|c| c == 'b').unwrap())
    );
}

#[test]
fn select_keeps_row_order_across_chunks() {
    let mut csv = String::from("bytes_in,src_ip,src_ip_country_code\n");
    for i in 0..70_000u32 {
        let cc = ["US", "CA", "DE"][(i % 3) as usize];
        csv.push_str(&format!(
            "{},10.{}.{}.{},{cc}\n",
            i % 1000,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        ));
    }
    let ds = load_bytes("<t>", csv.as_bytes()).unwrap();
    assert_eq!(ds.rows, 70_000);
    let none = EvalContext::NONE;
    let rows = sel_in(&ds, "country = us and bytes_in < 500", &none);
    let want: Vec<u32> = (0..70_000u32)
        .filter(|i| i % 3 == 0 && i % 1000 < 500)
        .collect();
    assert_eq!(rows, want);
    let rows = sel_in(
        &ds,
        "src_ip in 10.0.255.0/24 or src_ip in 10.1.0.0/16",
        &none,
    );
    let want: Vec<u32> = (0xff00..0xffff + 1).chain(65_536..70_000).collect();
    assert_eq!(rows, want);
}
