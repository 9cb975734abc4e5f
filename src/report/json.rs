//! JSON output that is safe to print to a terminal.
//!
//! serde_json escapes only C0 controls, quotes and backslashes; a C1 control,
//! bidi override or zero-width character from the data would reach the terminal
//! raw. This formatter writes every character the sanitiser would escape as a
//! `\uXXXX` escape instead: still valid JSON that decodes to the exact value.

use serde_json::ser::{Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Pretty JSON with dangerous characters `\u`-escaped.
pub struct InertFormatter<'a>(PrettyFormatter<'a>);

impl Default for InertFormatter<'_> {
    fn default() -> Self {
        InertFormatter(PrettyFormatter::new())
    }
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

impl Formatter for InertFormatter<'_> {
    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if crate::sanitize::needs_escape(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{:04x}", u)?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serialises a value as pretty, terminal-safe JSON with a trailing newline.
pub fn to_string<T: serde::Serialize>(v: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, InertFormatter::default());
    v.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Serialises a value as one line of terminal-safe JSON (for JSON-lines output), with its
/// newline: compact JSON is ASCII outside strings, so escaping every dangerous character of the
/// text escapes exactly those inside strings.
pub fn to_line<T: serde::Serialize>(v: &T) -> serde_json::Result<String> {
    let compact = serde_json::to_string(v)?;
    let mut out = String::with_capacity(compact.len() + 1);
    for c in compact.chars() {
        if crate::sanitize::needs_escape(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dangerous_characters_are_escaped_and_round_trip() {
        let v = serde_json::json!({ "k": "a\u{9b}b\u{202e}c\u{200b}d\u{1b}e 😀" });
        let s = super::to_string(&v).unwrap_or_default();
        assert!(
            !s.chars()
                .any(|c| crate::sanitize::needs_escape(c) && c != '\n'),
            "{s}"
        );
        assert!(s.contains("\\u009b") && s.contains("\\u202e") && s.contains("😀"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, v);
    }
}
