//! Field names: aliases, column headers, derived features and `score`, and a
//! "did you mean" for names that match nothing.
//!
//! Resolution order for a bare name: `score`; the aliases `time`, `country`,
//! `port`, `flags` (tcp-flags of a flow log) (when the file has the column they stand for); a header, exactly then
//! case-insensitively; a derived feature; a header with `-`, `.`, `_` and spaces
//! treated alike; a known header alias of a role (`status` → `response.code`).
//! A name in backticks only matches headers. This module only maps names.

use super::ast::Field;
use super::{FilterError, quote_field};
use crate::dataset::schema::normalise;
use crate::dataset::{ColumnData, Dataset, Derived, Role};

/// What a field name resolved to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Column(usize),
    Derived(Derived),
    Score,
}

/// Resolves a field name in the order the module documentation gives.
pub(crate) fn resolve(ds: &Dataset, f: &Field) -> Result<Target, FilterError> {
    if !f.quoted {
        let alias = match f.name.to_ascii_lowercase().as_str() {
            "score" => return Ok(Target::Score),
            "time" => [Role::Start, Role::Time, Role::End]
                .into_iter()
                .find_map(|r| ds.role_index(r)),
            "country" => ds.role_index(Role::Country),
            "port" => ds.role_index(Role::DstPort),
            "flags" => ds.role_index(Role::TcpFlags),
            _ => None,
        };
        if let Some(i) = alias {
            return Ok(Target::Column(i));
        }
    }
    if let Some(i) = ds.column_index(&f.name) {
        return Ok(Target::Column(i));
    }
    if !f.quoted
        && let Some(d) = Derived::from_name(&f.name)
    {
        if d.available(ds) {
            return Ok(Target::Derived(d));
        }
        return Err(FilterError::new(
            f.span,
            format!(
                "'{}' cannot be computed: this file lacks the columns it needs",
                d.name()
            ),
        ));
    }
    let n = normalise(&f.name);
    if let Some(i) = ds.columns.iter().position(|c| normalise(&c.name) == n) {
        return Ok(Target::Column(i));
    }
    if let Some(i) = Role::from_header(&f.name).and_then(|r| ds.role_index(r)) {
        return Ok(Target::Column(i));
    }
    let hint = suggest(ds, &f.name)
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Err(FilterError::new(
        f.span,
        format!("unknown column '{}'{hint}", f.name),
    ))
}

/// The closest known name, if it is close enough to be a typo.
fn suggest(ds: &Dataset, name: &str) -> Option<String> {
    const LONGEST: usize = 64;
    let name = name.to_lowercase();
    let len = name.chars().count();
    if len > LONGEST {
        return None;
    }
    let mut names: Vec<(String, String)> = ds
        .columns
        .iter()
        .filter(|c| c.name.chars().count() <= LONGEST)
        .map(|c| (c.name.to_lowercase(), quote_field(&c.name)))
        .collect();
    names.extend(
        Derived::ALL
            .into_iter()
            .filter(|d| d.available(ds))
            .map(|d| (d.name().to_string(), d.name().to_string())),
    );
    for (alias, present) in [
        ("time", ds.time_column().is_some()),
        ("country", ds.role(Role::Country).is_some()),
        ("port", ds.role(Role::DstPort).is_some()),
    ] {
        if present {
            names.push((alias.to_string(), alias.to_string()));
        }
    }
    names.push(("score".into(), "score".into()));
    let limit = (len / 3).clamp(1, 2);
    names
        .into_iter()
        .map(|(key, shown)| (levenshtein(&name, &key), shown))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, shown)| shown)
}

/// "bytes_in holds whole numbers", for messages about a value.
pub(crate) fn what(ds: &Dataset, t: Target) -> String {
    match t {
        Target::Score => "score is a number".into(),
        Target::Derived(d) => format!("{} is a number", d.name()),
        Target::Column(i) => match ds.columns.get(i) {
            Some(c) => {
                let kind = match c.data {
                    ColumnData::UInt(_) => "whole numbers",
                    ColumnData::Float(_) => "numbers",
                    ColumnData::Time(_) => "times",
                    ColumnData::Ip(_) => "IP addresses",
                    ColumnData::Text(_) => "text",
                };
                format!("{} holds {kind}", c.name)
            }
            None => "no such column".into(),
        },
    }
}

/// Edit distance between two short strings (by characters).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("bytes_inn", "bytes_in"), 1);
        assert_eq!(levenshtein("contry", "country"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
