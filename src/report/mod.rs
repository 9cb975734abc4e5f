//! Reports: the text forms of summaries and findings, built as plain strings.
//!
//! Pure functions from analysis values to text; every data value passes
//! through the sanitiser. No terminal, no files (the CLI decides where text goes).

pub mod summary;
pub mod table;
