//! The report as a document: headings, paragraphs, lists, tables and figures, written once.
//!
//! [`super::prose`] writes every sentence of the findings report into a [`Doc`]; the Markdown and
//! HTML renderers only decide how each block looks, so the two formats cannot drift apart. Text in
//! a `Doc` is raw — prose and attacker-controlled data alike — and every renderer escapes all of
//! it for its format. Pure values; no I/O.

/// A piece of running text.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    Text(String),
    /// Emphasised (Markdown bold, HTML `<b>`).
    Strong(String),
    /// The figure a reader must not miss (the flagged count): bold, in red in HTML.
    Alert(String),
}

/// One line of running text.
pub type Line = Vec<Span>;

/// A table column: its header and whether it holds numbers (right-aligned).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: &'static str,
    pub numeric: bool,
}

/// A chart the HTML report draws inline; Markdown leaves it out with its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Timeline,
    Countries,
}

/// One block of the document, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Title(String),
    Heading(String),
    Subheading(String),
    Paragraph(Line),
    Bullets(Vec<Line>),
    Numbered(Vec<Line>),
    Table {
        columns: Vec<Column>,
        rows: Vec<Vec<String>>,
    },
    /// A chart under its own heading, with a caption (HTML only).
    Figure {
        heading: String,
        caption: String,
        chart: Chart,
    },
}

/// A whole report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

impl Doc {
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }

    pub fn heading(&mut self, h: impl Into<String>) {
        self.push(Block::Heading(h.into()));
    }

    pub fn paragraph(&mut self, line: Line) {
        self.push(Block::Paragraph(line));
    }

    /// A paragraph of plain text.
    pub fn text(&mut self, t: impl Into<String>) {
        self.paragraph(vec![Span::Text(t.into())]);
    }

    pub fn extend(&mut self, other: Doc) {
        self.blocks.extend(other.blocks);
    }
}

/// Plain text.
pub fn t(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// Bold text.
pub fn b(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

/// A text column.
pub const fn col(name: &'static str) -> Column {
    Column {
        name,
        numeric: false,
    }
}

/// A number column.
pub const fn num(name: &'static str) -> Column {
    Column {
        name,
        numeric: true,
    }
}

/// The text of a missing value in a table or sentence.
pub const MISSING: &str = "—";

/// An optional value, or [`MISSING`].
pub fn or_missing(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| MISSING.into())
}
