//! `--table EXPR` and `--map role=column` as SQL: the relation every engine view reads.
//!
//! Owns the reading of a table expression: a catalog name (`logs.vpc_flow`, parts optionally in
//! backticks), a path read by a data source (``parquet.`s3://bucket/AWSLogs/…` ``) — both re-quoted
//! part by part through [`Dialect::ident`] — or a parenthesised subquery, the user's own SQL,
//! passed whole as one relation. Any other text is taken as ONE table name and quoted, so a
//! name holding quotes, semicolons or comments can only ever fail to resolve, never run. Also
//! owns the base `SELECT` that renames mapped columns to their roles' canonical names (the table's
//! own names decide the other roles, by the rules files use). Runs nothing.

use super::{Dialect, SqlError};
use crate::dataset::Role;
use crate::dataset::schema::normalise;

/// `EXPR` as a relation for `FROM`: a quoted (multi-part) name, or the user's `( … )` subquery.
pub fn table_expr(d: Dialect, expr: &str) -> Result<String, SqlError> {
    let text = expr.trim();
    if text.starts_with('(') && text.ends_with(')') {
        return Ok(text.to_string());
    }
    match name_parts(text) {
        Some(parts) => {
            let quoted: Vec<String> = parts.iter().map(|p| d.ident(p)).collect::<Result<_, _>>()?;
            Ok(quoted.join("."))
        }
        None => d.ident(text),
    }
}

/// The parts of `a.b.c` / `` `a b`.`c` `` (backticks doubled inside), or `None` when `text` is
/// not such a name.
fn name_parts(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'`') {
            chars.next();
            loop {
                match chars.next()? {
                    '`' if chars.peek() == Some(&'`') => {
                        chars.next();
                        part.push('`');
                    }
                    '`' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    part.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if part.is_empty() {
                return None;
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// A `--map role=column`, checked against the table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub role: Role,
    /// The table's column, exactly as the table names it.
    pub column: String,
}

/// Reads `role=column` (`role` by any of the names files use for it: `src_ip`, `srcaddr`, …)
/// and finds the column among `columns` (exact name first, then by normalised name).
pub fn mapping(text: &str, columns: &[String]) -> Result<Mapping, String> {
    let shown = crate::sanitize::inert(text);
    let Some((role, column)) = text.split_once('=') else {
        return Err(format!(
            "--map '{shown}': write ROLE=COLUMN, e.g. --map src_ip=client_addr"
        ));
    };
    let role = Role::from_header(role).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.canonical()).collect();
        format!(
            "--map '{shown}': '{}' is not a role; roles are {}",
            crate::sanitize::inert(role.trim()),
            roles.join(", ")
        )
    })?;
    let column = column.trim();
    let found = columns
        .iter()
        .find(|c| c.as_str() == column)
        .or_else(|| columns.iter().find(|c| normalise(c) == normalise(column)))
        .ok_or_else(|| {
            let names: Vec<String> = columns
                .iter()
                .map(|c| crate::sanitize::inert(c).into_owned())
                .collect();
            format!(
                "--map '{shown}': the table has no column '{}'; its columns are {}",
                crate::sanitize::inert(column),
                names.join(", ")
            )
        })?;
    Ok(Mapping {
        role,
        column: found.clone(),
    })
}

/// `SELECT … FROM <from>`: mapped columns first, renamed to their role's canonical name (so they
/// claim the role), then every other column under its own name — one that already has a mapped
/// role's canonical name is renamed `NAME (unmapped)` so the names stay distinct.
pub fn base_select(
    d: Dialect,
    from: &str,
    columns: &[String],
    maps: &[Mapping],
) -> Result<String, SqlError> {
    let mut items = Vec::with_capacity(columns.len());
    let canonical: Vec<String> = maps
        .iter()
        .map(|m| m.role.canonical().to_string())
        .collect();
    for m in maps {
        items.push(format!(
            "{} AS {}",
            d.ident(&m.column)?,
            d.ident(m.role.canonical())?
        ));
    }
    for c in columns {
        if maps.iter().any(|m| &m.column == c) {
            continue;
        }
        if canonical.iter().any(|k| normalise(c) == *k) {
            items.push(format!(
                "{} AS {}",
                d.ident(c)?,
                d.ident(&format!("{c} (unmapped)"))?
            ));
        } else {
            items.push(d.ident(c)?);
        }
    }
    if items.is_empty() {
        items.push("*".into());
    }
    Ok(format!(
        "SELECT {} FROM {from} AS {}",
        items.join(", "),
        d.ident("__tl_src")?
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_requoted_part_by_part() {
        let d = Dialect::Spark;
        assert_eq!(table_expr(d, "logs.vpc_flow").unwrap(), "`logs`.`vpc_flow`");
        assert_eq!(
            table_expr(d, "parquet.`s3://b/AWSLogs/x y`").unwrap(),
            "`parquet`.`s3://b/AWSLogs/x y`"
        );
        assert_eq!(table_expr(d, "`a``b`.c").unwrap(), "`a``b`.`c`");
        assert_eq!(
            table_expr(d, "(SELECT * FROM t WHERE x > 1)").unwrap(),
            "(SELECT * FROM t WHERE x > 1)"
        );
    }

    #[test]
    fn hostile_table_text_is_one_quoted_name() {
        let d = Dialect::Spark;
        for hostile in [
            "logs; DROP TABLE x",
            "logs -- comment",
            "logs /* c */",
            "a`b",
            "x' OR '1'='1",
            "`a`;`b`",
            "t) UNION (SELECT 1",
        ] {
            let q = table_expr(d, hostile).unwrap();
            assert!(q.starts_with('`') && q.ends_with('`'), "{hostile} → {q}");
            // Inside the quotes every backtick is doubled: one token.
            let inner = &q[1..q.len() - 1];
            assert!(!inner.replace("``", "").contains('`'), "{hostile} → {q}");
        }
    }

    #[test]
    fn a_mapping_finds_its_role_and_column() {
        let cols: Vec<String> = ["client addr", "bytes", "src_ip"]
            .into_iter()
            .map(String::from)
            .collect();
        let m = mapping("srcaddr=client_addr", &cols).unwrap();
        assert_eq!(m.role, Role::SrcIp);
        assert_eq!(m.column, "client addr");
        assert!(
            mapping("nope=bytes", &cols)
                .unwrap_err()
                .contains("not a role")
        );
        assert!(
            mapping("src_ip=zzz", &cols)
                .unwrap_err()
                .contains("no column")
        );
        assert!(
            mapping("src_ip", &cols)
                .unwrap_err()
                .contains("ROLE=COLUMN")
        );
        let sql = base_select(Dialect::Spark, "`t`", &cols, &[m]).unwrap();
        assert_eq!(
            sql,
            "SELECT `client addr` AS `src_ip`, `bytes`, `src_ip` AS `src_ip (unmapped)` FROM `t` AS `__tl_src`"
        );
    }
}
