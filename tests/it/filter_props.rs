//! Property tests of the filter language: the parser never panics on any
//! string, error spans stay inside the input, the canonical form is stable, and
//! compiling and selecting never panic and agree with row-by-row matching.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use threatlens::dataset::Dataset;
use threatlens::filter::{EvalContext, FilterError, compile, parse};
use threatlens::ingest::load_bytes;

const CSV: &str = "\
bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,response.code,dst_port,time,note
100,200,2024-04-26T07:30:00Z,2024-04-26T07:40:00Z,155.91.45.10,US,200,443,2024-04-26T07:30:00Z,hello world
5000,100,2024-04-26T08:00:00Z,2024-04-26T08:10:00Z,155.91.45.242,us,200,443,2024-04-26T08:00:00Z,Hello
30000,12000,2024-04-26T08:30:00Z,2024-04-26T08:40:00Z,155.91.46.1,CA,404,80,,
,50,2024-04-26T08:59:59Z,2024-04-26T09:09:59Z,2001:db8::1,DE,500,8080,NA,naïve ÄBC
7,8,2024-04-26T09:00:00Z,2024-04-26T09:00:00Z,::ffff:10.1.2.3,,,443,2024-04-26T09:00:00Z,\"a, b\"
2000000,1,2024-04-27T10:00:00Z,2024-04-27T11:00:00Z,,FR,200,22,2024-04-27T10:00:00Z,path/to
";

fn dataset() -> Dataset {
    load_bytes("<props>", CSV.as_bytes()).unwrap()
}

/// The error's span lies within the input (a zero-length span may sit at its end).
fn span_ok(e: &FilterError, input: &str) -> bool {
    let n = input.chars().count();
    e.pos <= n && e.pos + e.len <= n
}

fn field() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "bytes_in",
        "BYTES_OUT",
        "time",
        "`time`",
        "country",
        "port",
        "src_ip",
        "response.code",
        "response_code",
        "note",
        "hour",
        "day_of_week",
        "bytes_per_sec",
        "in_out_ratio",
        "session_duration",
        "score",
        "bytes_inn",
        "`no such`",
        "dst_port",
        "end_time",
    ])
    .prop_map(str::to_string)
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "-1",
            "100",
            "1e308",
            "1e400",
            "99.5",
            "10k",
            "1.5M",
            "2GiB",
            "US",
            "us",
            "\"\"",
            "''",
            "155.91.45.10",
            "155.91.45.0/24",
            "x.y.z/99",
            "2001:db8::/32",
            "::ffff:10.0.0.0/104",
            "::ffff:10.1.2.3",
            "2024-04-26T08:00",
            "2024-04-26 08:00:00",
            "2024-04-26",
            "1714212000",
            "\"a, b\"",
            "'naïve'",
            "nan",
            "inf",
            "-",
            "0.0.0.0/0",
            "::/0",
            "[::1]",
            "1/2",
        ])
        .prop_map(str::to_string),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<u64>().prop_map(|x| x.to_string()),
        "[a-zA-Z0-9.:/_-]{1,12}",
        any::<String>().prop_map(|s| threatlens::filter::quote(&s)),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "/^155/",
            "/(?i)hel/",
            "/[/",
            "/a\\/b/i",
            "/\\w{500}\\w{500}/",
            "/.*/",
            "\"\"",
            "hello",
            "/((((((((((a))))))))))/",
            "/(a+)+$/",
        ])
        .prop_map(str::to_string),
        any::<String>().prop_map(|s| threatlens::filter::quote(&s)),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let ops = prop::sample::select(vec!["=", "==", "!=", "<", "<=", ">", ">="]);
    prop_oneof![
        (field(), ops, value()).prop_map(|(f, o, v)| format!("{f} {o} {v}")),
        (field(), any::<bool>(), prop::collection::vec(value(), 1..4)).prop_map(|(f, neg, vs)| {
            let not = if neg { "not " } else { "" };
            format!("{f} {not}in ({})", vs.join(", "))
        }),
        (field(), value()).prop_map(|(f, v)| format!("{f} in {v}")),
        (field(), any::<bool>(), pattern())
            .prop_map(|(f, neg, p)| { format!("{f} {} {p}", if neg { "!~" } else { "~" }) }),
        Just("anomaly".to_string()),
    ]
}

/// Mostly well-formed filters, nested with and/or/not and parentheses.
fn filter_text() -> impl Strategy<Value = String> {
    condition().prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![" and ", " or ", " && ", " || ", "&&", " AND "]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("{a}{op}{b}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("!({a})")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

/// Token soup: valid pieces in random order, to reach every parser error.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "(", ")", ",", "and", "or", "not", "in", "anomaly", "~", "!~", "=", "!=", "<", ">=",
            "&&", "||", "!", "&", "|", "\"", "'", "`", "/", "/x/", "/x/q", "score", "time", "``",
        ])
        .prop_map(str::to_string),
        field(),
        value(),
    ];
    prop::collection::vec(
        (piece, prop::sample::select(vec!["", " ", "  ", "\t"])),
        0..30,
    )
    .prop_map(|v| v.into_iter().map(|(p, s)| format!("{p}{s}")).collect())
}

fn exercise(ds: &Dataset, input: &str) {
    let flagged = [true, false, true, false, false, true];
    let scores = [0.9, f64::NAN, 0.2, 0.6, 0.61, -1.0];
    let ctx = EvalContext::new(Some(&flagged), Some(&scores));
    match parse(input) {
        Err(e) => {
            assert!(
                span_ok(&e, input),
                "{input:?}: span {}+{} out of range",
                e.pos,
                e.len
            );
            let _ = e.caret_line(input);
        }
        Ok(ast) => {
            let canonical = ast.to_string();
            let again =
                parse(&canonical).unwrap_or_else(|e| panic!("{input:?} → {canonical:?}: {e}"));
            assert_eq!(again.to_string(), canonical, "canonical form is not stable");
            match compile(&ast, ds) {
                Err(e) => assert!(
                    span_ok(&e, input),
                    "{input:?}: span {}+{} out of range",
                    e.pos,
                    e.len
                ),
                Ok(f) => {
                    let rows = f.select(ds, &ctx);
                    let one: Vec<u32> = (0..ds.rows as u32)
                        .filter(|&r| f.matches(ds, r as usize, &ctx))
                        .collect();
                    assert_eq!(rows, one, "{input:?}");
                    let _ = f.select(ds, &EvalContext::NONE);
                    let _ = f.check_context(&EvalContext::NONE);
                    let g = compile(&again, ds).unwrap();
                    assert_eq!(g.select(ds, &ctx), rows, "{input:?} vs {canonical:?}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        exercise(&dataset(), &s);
    }

    #[test]
    fn parse_never_panics_on_long_strings(s in prop::collection::vec(any::<char>(), 0..20_000)) {
        let s: String = s.into_iter().collect();
        exercise(&dataset(), &s);
    }

    #[test]
    fn token_soup_never_panics(s in soup()) {
        exercise(&dataset(), &s);
    }

    #[test]
    fn well_formed_filters_compile_and_select_consistently(s in filter_text()) {
        exercise(&dataset(), &s);
    }
}

#[test]
fn many_well_formed_filters_compile() {
    // Guard against a generator that only ever produces errors.
    let ds = dataset();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = filter_text();
    let mut compiled = 0;
    for _ in 0..300 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        if parse(&s).ok().and_then(|a| compile(&a, &ds).ok()).is_some() {
            compiled += 1;
        }
    }
    assert!(
        compiled > 30,
        "only {compiled} of 300 generated filters compiled"
    );
}
