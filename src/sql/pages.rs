//! The explorer's row views as Spark SQL: a records page, one record by its id, the sessions of
//! one source address.
//!
//! A row in an engine has no position, so it is named by the 64-bit hash of its cells
//! (`xxhash64` of every column, in the table's column order): the same id on every page, under
//! every filter and sort, and after a reconnect. Two identical rows share an id and are the
//! same record to show. Pages are ordered by the asked sort, then by every column, so a page
//! boundary is stable between queries (`LIMIT … OFFSET …` over a total order). Identifiers and
//! literals go through [`Dialect`]; this module runs nothing.

use super::{Dialect, SqlError};

/// The name of the id column the row views add in front of the table's columns.
pub const ID: &str = "__tl_id";

fn list(d: Dialect, columns: &[String]) -> Result<String, SqlError> {
    Ok(columns
        .iter()
        .map(|c| d.ident(c))
        .collect::<Result<Vec<_>, _>>()?
        .join(", "))
}

/// `xxhash64(every column)`: a row's id.
pub fn row_id(d: Dialect, columns: &[String]) -> Result<String, SqlError> {
    Ok(format!("xxhash64({})", list(d, columns)?))
}

/// `limit` rows of `relation` from `offset`, ordered by `sort` (column, descending) then by every
/// column: `__tl_id` followed by the table's columns.
pub fn records_select(
    d: Dialect,
    relation: &str,
    columns: &[String],
    sort: Option<(&str, bool)>,
    offset: u64,
    limit: u64,
) -> Result<String, SqlError> {
    let cols = list(d, columns)?;
    let order = match sort {
        Some((c, desc)) => format!(
            "{} {}, {cols}",
            d.ident(c)?,
            if desc {
                "DESC NULLS LAST"
            } else {
                "ASC NULLS LAST"
            }
        ),
        None => cols.clone(),
    };
    Ok(format!(
        "SELECT {} AS {}, {cols} FROM {} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        row_id(d, columns)?,
        d.ident(ID)?,
        d.ident(relation)?
    ))
}

/// The row of `relation` whose id is `id` (at most one row).
pub fn by_id_select(
    d: Dialect,
    relation: &str,
    columns: &[String],
    id: u64,
) -> Result<String, SqlError> {
    Ok(format!(
        "SELECT {} AS {}, {} FROM {} WHERE {} = {} LIMIT 1",
        row_id(d, columns)?,
        d.ident(ID)?,
        list(d, columns)?,
        d.ident(relation)?,
        row_id(d, columns)?,
        d.integer(id as i64)
    ))
}

/// The roles a sessions query reads.
#[derive(Debug, Clone, Copy)]
pub struct SessionColumns<'a> {
    pub src: &'a str,
    pub time: Option<&'a str>,
    pub bytes_in: Option<&'a str>,
    pub bytes_out: Option<&'a str>,
}

/// The first `limit` sessions (by time, then every column) of `relation` whose `src` is `ip`:
/// `__tl_id, start_ms, bytes_in, bytes_out, total, first_ms, last_ms` (the last three over every
/// session of the address, repeated on each row).
pub fn sessions_select(
    d: Dialect,
    relation: &str,
    columns: &[String],
    roles: SessionColumns<'_>,
    ip: &str,
    limit: u64,
) -> Result<String, SqlError> {
    let ms = match roles.time {
        Some(t) => super::score::millis(d, &d.ident(t)?),
        None => "CAST(NULL AS BIGINT)".into(),
    };
    let num = |c: Option<&str>| -> Result<String, SqlError> {
        Ok(match c {
            Some(c) => format!("TRY_CAST({} AS DOUBLE)", d.ident(c)?),
            None => "CAST(NULL AS DOUBLE)".into(),
        })
    };
    let cols = list(d, columns)?;
    Ok(format!(
        "SELECT {id}, t, bi, bo, COUNT(*) OVER () AS n, MIN(t) OVER () AS first_ms, \
         MAX(t) OVER () AS last_ms FROM (SELECT {hash} AS {id}, {ms} AS t, {bi} AS bi, {bo} AS bo, \
         {cols} FROM {rel} WHERE CAST({src} AS STRING) = {ip}) AS s ORDER BY t ASC NULLS LAST, {cols} \
         LIMIT {limit}",
        id = d.ident(ID)?,
        hash = row_id(d, columns)?,
        bi = num(roles.bytes_in)?,
        bo = num(roles.bytes_out)?,
        rel = d.ident(relation)?,
        src = d.ident(roles.src)?,
        ip = d.string(ip),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const D: Dialect = Dialect::Spark;

    #[test]
    fn a_page_orders_by_the_sort_then_every_column_and_quotes_names() {
        let cols = vec!["a`b".to_string(), "c; DROP".to_string()];
        let sql = records_select(D, "v", &cols, Some(("c; DROP", true)), 50, 25).unwrap();
        assert!(sql.contains("ORDER BY `c; DROP` DESC NULLS LAST, `a``b`, `c; DROP`"));
        assert!(sql.ends_with("LIMIT 25 OFFSET 50"), "{sql}");
        assert!(sql.starts_with("SELECT xxhash64(`a``b`, `c; DROP`) AS `__tl_id`"));
    }

    #[test]
    fn a_sessions_query_quotes_the_address_as_a_literal() {
        let cols = vec!["src_ip".to_string()];
        let roles = SessionColumns {
            src: "src_ip",
            time: None,
            bytes_in: None,
            bytes_out: None,
        };
        let sql = sessions_select(D, "v", &cols, roles, "1.2.3.4' OR '1'='1", 10).unwrap();
        assert!(sql.contains(&D.string("1.2.3.4' OR '1'='1")), "{sql}");
        assert!(!sql.contains("= '1.2.3.4' OR"), "{sql}");
    }

    #[test]
    fn an_id_above_i64_max_round_trips_as_the_engines_signed_hash() {
        let sql = by_id_select(D, "v", &["a".into()], u64::MAX).unwrap();
        assert!(sql.contains("= (-1) LIMIT 1"), "{sql}");
    }
}
