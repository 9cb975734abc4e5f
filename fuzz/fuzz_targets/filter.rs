//! Fuzz target for the filter language: any text must parse or fail with a span
//! inside the input, and whatever parses must compile (or fail the same way) and
//! select without panicking, agreeing with row-by-row matching.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use threatlens::dataset::Dataset;
use threatlens::filter::{EvalContext, compile, parse};

const CSV: &[u8] = b"\
bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,response.code,dst_port,time,note
100,200,2024-04-26T07:30:00Z,2024-04-26T07:40:00Z,155.91.45.10,US,200,443,2024-04-26T07:30:00Z,hello world
5000,100,2024-04-26T08:00:00Z,2024-04-26T08:10:00Z,155.91.45.242,us,200,443,2024-04-26T08:00:00Z,Hello
30000,12000,2024-04-26T08:30:00Z,2024-04-26T08:40:00Z,155.91.46.1,CA,404,80,,
,50,2024-04-26T08:59:59Z,2024-04-26T09:09:59Z,2001:db8::1,DE,500,8080,NA,na\xc3\xafve
7,8,2024-04-26T09:00:00Z,2024-04-26T09:00:00Z,::ffff:10.1.2.3,,,443,2024-04-26T09:00:00Z,\"a, b\"
";

fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| match threatlens::ingest::load_bytes("<fuzz>", CSV) {
        Ok(ds) => ds,
        Err(e) => panic!("the fuzz dataset does not load: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let n = input.chars().count();
    let ast = match parse(input) {
        Ok(ast) => ast,
        Err(e) => {
            assert!(e.pos + e.len <= n, "parse error span out of range");
            let _ = e.caret_line(input);
            return;
        }
    };
    let ds = dataset();
    match compile(&ast, ds) {
        Err(e) => assert!(e.pos + e.len <= n, "compile error span out of range"),
        Ok(f) => {
            let flagged = [true, false, true, false, false];
            let scores = [0.9, f64::NAN, 0.2, 0.6, 0.61];
            let ctx = EvalContext::new(Some(&flagged), Some(&scores));
            let rows = f.select(ds, &ctx);
            let one: Vec<u32> = (0..ds.rows as u32)
                .filter(|&r| f.matches(ds, r as usize, &ctx))
                .collect();
            assert_eq!(rows, one);
            assert!(parse(f.describe()).is_ok(), "canonical form does not parse");
        }
    }
});
