//! Temporary stand-in for the sanitiser (the full one is being written on its own branch).
use std::borrow::Cow;

pub fn inert(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| c.is_control()) {
        Cow::Owned(s.chars().map(|c| if c.is_control() { format!("\\x{:02x}", c as u32) } else { c.to_string() }).collect())
    } else {
        Cow::Borrowed(s)
    }
}
pub fn inert_bytes(b: &[u8]) -> Cow<'_, str> {
    Cow::Owned(inert(&String::from_utf8_lossy(b)).into_owned())
}
pub fn truncate_to_width(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max { Cow::Borrowed(s) } else { Cow::Owned(s.chars().take(max.saturating_sub(1)).chain(['…']).collect()) }
}
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}
