//! The findings as Markdown: the notebooks' written report, with the real numbers.
//!
//! Renders the report's [`Doc`] (written once in [`super::prose`]).
//! Data text is made inert and Markdown-escaped (table pipes, backticks, angle
//! brackets), so a hostile field cannot break the document or inject HTML when
//! the Markdown is rendered. Pure string building.

use super::doc::{Block, Column, Doc, Line, Span};
use super::findings::Findings;
use crate::sanitize::inert;
use std::fmt::Write;

/// Escapes text for a Markdown table cell or paragraph: every character that could start markup
/// (table pipes, code, emphasis, links, HTML, a heading, an escape) gets a backslash, and only
/// those, so `src_ip` stays `src_ip`. An underscore inside a word cannot open or close emphasis
/// (CommonMark's flanking rules), so it is left alone; one at a word's edge is escaped. `#` starts
/// a heading only at the start of a line.
pub fn md(s: &str) -> String {
    let text = inert(s);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '|' | '`' | '*' | '[' | ']' | '<' | '>' | '\\' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            '#' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn line(l: &Line) -> String {
    l.iter()
        .map(|s| match s {
            Span::Text(x) => md(x),
            Span::Strong(x) | Span::Alert(x) => format!("**{}**", md(x)),
        })
        .collect()
}

fn table(o: &mut String, columns: &[Column], rows: &[Vec<String>]) {
    let head: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let rule: Vec<&str> = columns
        .iter()
        .map(|c| if c.numeric { "---:" } else { "---" })
        .collect();
    let _ = writeln!(o, "| {} |\n|{}|", head.join(" | "), rule.join("|"));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
}

/// Renders a document as Markdown (figures are left out: Markdown has no inline charts).
pub fn render_doc(d: &Doc) -> String {
    let mut o = String::new();
    for (i, block) in d.blocks.iter().enumerate() {
        if i > 0 && !matches!(block, Block::Figure { .. }) {
            o.push('\n');
        }
        match block {
            Block::Title(x) => _ = writeln!(o, "# {}", md(x)),
            Block::Heading(x) => _ = writeln!(o, "## {}", md(x)),
            Block::Subheading(x) => _ = writeln!(o, "### {}", md(x)),
            Block::Paragraph(l) => _ = writeln!(o, "{}", line(l)),
            Block::Bullets(items) => {
                for l in items {
                    let _ = writeln!(o, "- {}", line(l));
                }
            }
            Block::Numbered(items) => {
                for (n, l) in items.iter().enumerate() {
                    let _ = writeln!(o, "{}. {}", n + 1, line(l));
                }
            }
            Block::Table { columns, rows } => table(&mut o, columns, rows),
            Block::Figure { .. } => {}
        }
    }
    o
}

/// Renders the report.
pub fn render(f: &Findings) -> String {
    render_doc(&super::prose::document(f))
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn names_that_need_no_escaping_are_left_alone_and_markup_is_still_inert() {
        assert_eq!(
            md("src_ip, bytes_in, dst_port"),
            "src_ip, bytes_in, dst_port"
        );
        assert_eq!(md("rule_names"), "rule_names");
        // Emphasis, code, links, HTML, tables and headings from data stay text.
        assert_eq!(md("_x_"), "\\_x\\_");
        assert_eq!(md("*bold*"), "\\*bold\\*");
        assert_eq!(
            md("a|b `c` [l](u) <img>"),
            "a\\|b \\`c\\` \\[l\\](u) \\<img\\>"
        );
        assert_eq!(md("# title"), "\\# title");
        assert_eq!(md("issue #5"), "issue #5");
        assert_eq!(md("a\\b"), "a\\\\b");
        assert_eq!(md("__init__"), "\\_\\_init\\_\\_");
        // Terminal escapes are made visible first, then their backslash escaped.
        assert_eq!(md("\x1b[2J"), "\\\\x1b\\[2J");
    }
}
