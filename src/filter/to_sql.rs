//! A filter as a SQL `WHERE` condition, for engines that hold the rows (`--engine` with
//! `--filter`).
//!
//! Resolves field names exactly as [`compile`](super::compile) does (against a dataset with the
//! engine table's columns: the probe), parses every literal with the same rules (units, times,
//! CIDR blocks), and writes each condition through [`Dialect`]'s quoting: a column name is one
//! quoted identifier, a literal one quoted literal, so nothing from the filter text is spliced.
//! The semantics are the local ones: text compared case-insensitively, `~` a case-insensitive
//! substring or a regex search (the engine's regex dialect: Java's in Spark), times by instant,
//! IPv4 blocks by address range on IPv4 and IPv4-mapped cells; a missing value (NULL or empty
//! text) never satisfies a condition, and `not` is the full complement (each condition is
//! `COALESCE(…, FALSE)`). What the engine cannot answer the same way (`anomaly`, `score`, IPv6
//! blocks, address order) is refused with the span, never answered differently.

use super::ast::{Ast, CmpOp, Field, Pattern, Value};
use super::names::{self, Target};
use super::{FilterError, literal};
use crate::dataset::{ColumnData, Dataset, Role};
use crate::sql::Dialect;
use ipnet::IpNet;
use std::net::IpAddr;

/// The `WHERE` condition for `text` over a relation with `ds`'s column names.
pub fn where_clause(d: Dialect, text: &str, ds: &Dataset) -> Result<String, String> {
    let ast = super::parse(text).map_err(|e| e.one_line(text))?;
    node(d, &ast, ds).map_err(|e| e.one_line(text))
}

type R = Result<String, FilterError>;

fn node(d: Dialect, ast: &Ast, ds: &Dataset) -> R {
    match ast {
        Ast::Or(items) | Ast::And(items) => {
            let sep = if matches!(ast, Ast::Or(_)) {
                " OR "
            } else {
                " AND "
            };
            let parts: Vec<String> = items
                .iter()
                .map(|i| node(d, i, ds))
                .collect::<Result<_, _>>()?;
            Ok(format!("({})", parts.join(sep)))
        }
        Ast::Not(inner) => Ok(format!("(NOT {})", node(d, inner, ds)?)),
        Ast::Anomaly(span) => Err(FilterError::new(
            *span,
            "'anomaly' needs detection, which runs after the filter with --engine",
        )),
        Ast::Compare { field, op, value } => leaf(d, ds, field, |col| compare(d, col, *op, value)),
        Ast::In {
            field,
            negated,
            values,
        } => leaf(d, ds, field, |col| {
            let any: Vec<String> = values
                .iter()
                .map(|v| {
                    if literal::looks_like_cidr(v) {
                        cidr(d, col, v)
                    } else {
                        compare(d, col, CmpOp::Eq, v)
                    }
                })
                .collect::<Result<_, _>>()?;
            let any = format!("({})", any.join(" OR "));
            Ok(if *negated { format!("NOT {any}") } else { any })
        }),
        Ast::Match {
            field,
            negated,
            pattern,
        } => leaf(d, ds, field, |col| {
            let text = format!("CAST({} AS STRING)", col.sql);
            let test = match pattern {
                Pattern::Text(v) => format!(
                    "instr(lower({text}), {}) > 0",
                    d.string(&v.text.to_lowercase())
                ),
                Pattern::Regex {
                    pattern,
                    case_insensitive,
                    ..
                } => {
                    let p = if *case_insensitive {
                        format!("(?i){pattern}")
                    } else {
                        pattern.clone()
                    };
                    format!("{text} RLIKE {}", d.string(&p))
                }
            };
            Ok(if *negated {
                format!("NOT ({test})")
            } else {
                test
            })
        }),
    }
}

/// A resolved field: its SQL value and kind.
struct Col {
    sql: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Time,
    Ip,
    Text,
}

/// `COALESCE(present AND test, FALSE)`: missing values never pass, `NOT` is the complement.
fn leaf(d: Dialect, ds: &Dataset, field: &Field, test: impl FnOnce(&Col) -> R) -> R {
    let col = column(d, ds, field)?;
    let present = match col.kind {
        Kind::Text | Kind::Ip => format!(
            "{sql} IS NOT NULL AND CAST({sql} AS STRING) <> {}",
            d.string(""),
            sql = col.sql
        ),
        Kind::Number | Kind::Time => format!("{} IS NOT NULL", col.sql),
    };
    Ok(format!(
        "COALESCE(({present} AND ({})), FALSE)",
        test(&col)?
    ))
}

fn column(d: Dialect, ds: &Dataset, f: &Field) -> Result<Col, FilterError> {
    let quoted = |name: &str| {
        d.ident(name)
            .map_err(|e| FilterError::new(f.span, e.to_string()))
    };
    match names::resolve(ds, f)? {
        Target::Score => Err(FilterError::new(
            f.span,
            "'score' needs detection, which runs after the filter with --engine",
        )),
        Target::Derived(der) => {
            let input = crate::detect::model::input_of(ds, der.name());
            let sql = crate::sql::score::raw_value(d, "", &input)
                .map_err(|e| FilterError::new(f.span, e.to_string()))?;
            Ok(Col {
                sql,
                kind: Kind::Number,
            })
        }
        Target::Column(i) => {
            let c = &ds.columns[i];
            let name = quoted(&c.name)?;
            let kind = match &c.data {
                ColumnData::Time(_) => Kind::Time,
                ColumnData::Ip(_) => Kind::Ip,
                data if data.is_numeric() && c.role != Some(Role::Label) => Kind::Number,
                _ => Kind::Text,
            };
            let sql = match kind {
                Kind::Number => format!("TRY_CAST({name} AS DOUBLE)"),
                Kind::Time => crate::sql::score::millis(d, &name),
                Kind::Ip | Kind::Text => name,
            };
            Ok(Col { sql, kind })
        }
    }
}

fn compare(d: Dialect, col: &Col, op: CmpOp, v: &Value) -> R {
    let sym = match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    };
    let bad = |e: crate::sql::SqlError| FilterError::new(v.span, e.to_string());
    match col.kind {
        Kind::Number => {
            let x = literal::number_or_err(v, "a numeric field")?;
            Ok(format!("{} {sym} {}", col.sql, d.number(x).map_err(bad)?))
        }
        Kind::Time => {
            let ms = literal::time(v)?;
            Ok(format!("{} {sym} {}", col.sql, d.integer(ms)))
        }
        Kind::Ip if literal::looks_like_cidr(v) && matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            let inside = cidr(d, col, v)?;
            Ok(if op == CmpOp::Eq {
                inside
            } else {
                format!("NOT {inside}")
            })
        }
        Kind::Ip => match (op, literal::ip(&v.text)) {
            (CmpOp::Eq | CmpOp::Ne, Some(IpAddr::V4(a))) => Ok(format!(
                "{} {sym} {}",
                ipv4_number(d, &col.sql),
                u32::from(a)
            )),
            (CmpOp::Eq | CmpOp::Ne, Some(IpAddr::V6(a))) => Ok(format!(
                "lower(CAST({} AS STRING)) {sym} {}",
                col.sql,
                d.string(&a.to_string())
            )),
            _ => Err(FilterError::new(
                v.span,
                format!(
                    "{} '{}' is not answered by the engine: compare IP fields with =, != or in",
                    op.symbol(),
                    v.text
                ),
            )),
        },
        Kind::Text => Ok(format!(
            "lower(CAST({} AS STRING)) {sym} {}",
            col.sql,
            d.string(&v.text.to_lowercase())
        )),
    }
}

/// `col` in an IPv4 block (IPv4 and IPv4-mapped cells); IPv6 blocks are refused.
fn cidr(d: Dialect, col: &Col, v: &Value) -> R {
    let net = literal::cidr_or_err(v)?;
    let IpNet::V4(net) = net else {
        return Err(FilterError::new(
            v.span,
            format!(
                "the IPv6 block '{}' is not answered by the engine yet: filter on IPv4 blocks",
                v.text
            ),
        ));
    };
    let (lo, hi) = (u32::from(net.network()), u32::from(net.broadcast()));
    Ok(format!(
        "{} BETWEEN {lo} AND {hi}",
        ipv4_number(d, &col.sql)
    ))
}

/// An IPv4 (or IPv4-mapped IPv6) address in text as a number, NULL for anything else.
fn ipv4_number(d: Dialect, sql: &str) -> String {
    let text = format!(
        "regexp_replace(lower(trim(CAST({sql} AS STRING))), {}, {})",
        d.string("^::ffff:"),
        d.string("")
    );
    let part = |i: usize| {
        format!(
            "TRY_CAST(split({text}, {})[{i}] AS BIGINT)",
            d.string("[.]")
        )
    };
    format!(
        "(CASE WHEN {text} RLIKE {} THEN {}*16777216+{}*65536+{}*256+{} END)",
        d.string("^[0-9]{1,3}([.][0-9]{1,3}){3}$"),
        part(0),
        part(1),
        part(2),
        part(3)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ds() -> Dataset {
        let csv = "bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,protocol,weird`; --name\n\
                   100,20,2024-04-25T23:00:00Z,2024-04-25T23:10:00Z,10.0.0.1,US,HTTPS,x\n\
                   5000,10,2024-04-26T01:00:00Z,2024-04-26T01:10:00Z,155.91.45.2,CA,HTTP,y\n";
        crate::ingest::load_bytes("t", csv.as_bytes()).unwrap()
    }

    #[test]
    fn conditions_are_quoted_and_missing_never_matches() {
        let d = Dialect::Spark;
        let w = where_clause(d, "country = us and bytes_in > 1k", &ds()).unwrap();
        assert!(
            w.contains("lower(CAST(`src_ip_country_code` AS STRING)) = 'us'"),
            "{w}"
        );
        assert!(w.contains("TRY_CAST(`bytes_in` AS DOUBLE) > 1e3"), "{w}");
        assert!(w.contains("COALESCE(("), "{w}");
        let w = where_clause(d, "src_ip in 155.91.0.0/16", &ds()).unwrap();
        assert!(w.contains("BETWEEN 2606432256 AND 2606497791"), "{w}");
        let w = where_clause(d, "time >= 2024-04-26", &ds()).unwrap();
        assert!(w.contains(">= 1714089600000"), "{w}");
    }

    #[test]
    fn hostile_names_and_literals_stay_one_token() {
        let d = Dialect::Spark;
        let w = where_clause(
            d,
            r#"`weird``; --name` = "x' OR '1'='1\\" or protocol ~ /a'b/"#,
            &ds(),
        )
        .unwrap();
        assert!(w.contains("`weird``; --name`"), "{w}");
        assert!(w.contains(r"'x\' or \'1\'=\'1\\'"), "{w}");
        assert!(w.contains(r"RLIKE 'a\'b'"), "{w}");
    }

    #[test]
    fn what_the_engine_cannot_answer_is_refused() {
        let d = Dialect::Spark;
        for f in [
            "anomaly",
            "score > 0.5",
            "src_ip in 2001:db8::/32",
            "src_ip < 10.0.0.1",
        ] {
            let e = where_clause(d, f, &ds()).unwrap_err();
            assert!(e.contains("column"), "{f}: {e}");
        }
    }
}
