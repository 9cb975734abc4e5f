//! Inert display of attacker-controlled text: the one sanitiser every path that shows data goes through.
//!
//! Log fields are written by attackers. Before any of them reaches a screen (TUI cells, popups, titles,
//! status lines, error messages, headless text output), it passes through [`inert`] (or [`inert_bytes`]
//! for raw bytes), which replaces every character that could drive a terminal or hide or reorder text
//! with a visible escape: `\x1b`, `\t`, `<U+202E>`. Widths ([`display_width`]) and truncation
//! ([`truncate_to_width`]) are computed on that escaped text, so columns line up with what is drawn.
//! This module owns the policy of which characters are dangerous and how they are shown. It must not
//! know about terminals (no ratatui, no crossterm), must not allocate when the text is already safe
//! (it runs for every visible cell), and is not an encoding: the escapes are for people, lossy and
//! ambiguous on purpose; machine-readable output (JSON) uses its own escaping instead.
//!
//! # What is escaped
//!
//! | class | characters | shown as |
//! | --- | --- | --- |
//! | C0 controls | U+0000–U+001F (TAB, LF, CR, ESC, BEL, …) | `\t`, `\n`, `\r`, else `\xNN` (`\x1b`) |
//! | DEL and C1 controls | U+007F–U+009F (including 8-bit CSI U+009B, OSC U+009D, ST U+009C) | `\xNN` (`\x9b`) |
//! | line and paragraph separators | U+2028, U+2029 | `<U+2028>` |
//! | bidi controls | LRM/RLM U+200E–U+200F, ALM U+061C, embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069 | `<U+202E>` |
//! | zero-width and other format characters | every character of general category Cf, e.g. ZWSP/ZWNJ/ZWJ U+200B–U+200D, word joiner U+2060, invisible operators U+2061–U+2064, BOM/ZWNBSP U+FEFF, soft hyphen U+00AD, Arabic number signs U+0600–U+0605, interlinear annotations U+FFF9–U+FFFB, tags U+E0001, U+E0020–U+E007F | `<U+200D>` |
//! | other default-ignorable code points | combining grapheme joiner U+034F, Hangul fillers U+115F, U+1160, U+3164, U+FFA0, Khmer U+17B4–U+17B5, U+2065, U+FFF0–U+FFF8, the whole of U+E0000–U+E0FFF (including variation selectors U+E0100–U+E01EF, used to smuggle hidden bytes) | `<U+3164>` |
//! | noncharacters | U+FDD0–U+FDEF and U+xFFFE, U+xFFFF in every plane | `<U+FFFE>` |
//! | invalid UTF-8 ([`inert_bytes`] only) | each byte that is not part of a valid sequence | `\xNN` |
//!
//! Everything else passes unchanged, including wide CJK, emoji, combining marks, right-to-left letters
//! (their order is the terminal's business; only the *override* characters that let an attacker
//! reorder text are escaped), and Unicode spaces such as NBSP, which render as blanks of a known width.
//!
//! # Decisions
//!
//! * **Escape sequences need no parser.** A terminal only leaves its ground state on an introducer:
//!   ESC (U+001B) or an 8-bit C1 introducer (CSI U+009B, OSC U+009D, DCS U+0090, SOS U+0098, PM U+009E,
//!   APC U+009F). All of them are escaped, and so are the terminators BEL and ST (U+009C). What follows an
//!   escaped introducer (`]2;pwned`, `[2J`, `]52;c;ZXZpbA==`) is printable text and is shown as such,
//!   which is what an analyst wants to see: the attack, disarmed. The OSC 2 title change
//!   ESC `]2;pwned` BEL is displayed as the printable text `\x1b]2;pwned\x07`. Escapes themselves are
//!   plain printable ASCII, so escaping is idempotent: `inert(&inert(s)) == inert(s)`.
//! * **Backslash is not escaped.** A literal `\x1b` typed by an attacker looks like an escaped ESC. That
//!   ambiguity cannot make anything happen on a terminal; escaping every backslash would double every
//!   Windows path and regex in the logs. `\xNN` from an invalid byte (via [`inert_bytes`]) and from a
//!   C1 character look the same for the same reason.
//! * **Everything is single-line.** LF, CR, VT, FF, NEL (U+0085), U+2028 and U+2029 are escaped, so the
//!   output of [`inert`] never breaks a line; there is no separate single-line variant.
//! * **ZWJ emoji sequences and tag flags come apart.** The family emoji (man, ZWJ, woman, ZWJ, girl)
//!   is shown as `👨<U+200D>👩<U+200D>👧`, and subdivision flags show their tag characters. Hidden joiners are a spoofing tool and these
//!   sequences are rare in web logs. The ordinary variation selectors U+FE00–U+FE0F are kept, because
//!   ❤️ and other emoji need them.
//! * **Output may be up to 4× as long as the input** in bytes (a 1-byte control becomes the 4-byte
//!   `\x1b`, the 2-byte soft hyphen becomes `<U+00AD>`); cap fields before display where that matters.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What a single byte of UTF-8 text tells the scanner.
const SAFE: u8 = 0;
/// An ASCII control byte (C0 or DEL): always escaped.
const CONTROL: u8 = 1;
/// The lead byte of a multi-byte character that might need escaping: decode it and ask [`needs_escape`].
const CHECK: u8 = 2;

/// Precomputed per-byte classification. Printable ASCII, continuation bytes and the lead bytes of
/// ranges that hold no dangerous character are [`SAFE`]. A test checks every `char` against this table.
const BYTE_CLASS: [u8; 256] = {
    let mut t = [SAFE; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = CONTROL;
        b += 1;
    }
    t[0x7F] = CONTROL;
    // Lead bytes whose 64- or 4096-code-point block contains something `needs_escape` accepts:
    // C2: U+0080–U+00BF (C1, soft hyphen); CD: U+0340–U+037F (CGJ); D8: U+0600–U+063F;
    // DB: U+06C0–U+06FF; DC: U+0700–U+073F; E0: U+0800–U+0FFF; E1: U+1000–U+1FFF;
    // E2: U+2000–U+2FFF; E3: U+3000–U+3FFF; EF: U+F000–U+FFFF; F0–F4: the supplementary planes.
    let leads = [
        0xC2, 0xCD, 0xD8, 0xDB, 0xDC, 0xE0, 0xE1, 0xE2, 0xE3, 0xEF, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4,
    ];
    let mut i = 0;
    while i < leads.len() {
        t[leads[i]] = CHECK;
        i += 1;
    }
    t
};

/// True for every character that [`inert`] replaces by a visible escape (see the module docs).
pub const fn needs_escape(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        return cp < 0x20 || cp == 0x7F;
    }
    matches!(
        cp,
        0x80..=0x9F                // C1 controls
        | 0xAD                     // soft hyphen
        | 0x34F                    // combining grapheme joiner
        | 0x600..=0x605            // Arabic number signs (Cf)
        | 0x61C                    // Arabic letter mark
        | 0x6DD                    // Arabic end of ayah (Cf)
        | 0x70F                    // Syriac abbreviation mark (Cf)
        | 0x890..=0x891            // Arabic pound/piastre mark above (Cf)
        | 0x8E2                    // Arabic disputed end of ayah (Cf)
        | 0x115F..=0x1160          // Hangul fillers
        | 0x17B4..=0x17B5          // Khmer inherent vowels (invisible)
        | 0x180E                   // Mongolian vowel separator (Cf)
        | 0x200B..=0x200F          // ZWSP, ZWNJ, ZWJ, LRM, RLM
        | 0x2028..=0x202E          // line/paragraph separators, bidi embeddings and overrides
        | 0x2060..=0x206F          // word joiner, invisible operators, bidi isolates, deprecated format chars
        | 0x3164                   // Hangul filler
        | 0xFDD0..=0xFDEF          // noncharacters
        | 0xFEFF                   // BOM / zero-width no-break space
        | 0xFFA0                   // halfwidth Hangul filler
        | 0xFFF0..=0xFFFB          // unassigned ignorables, interlinear annotation
        | 0x110BD | 0x110CD        // Kaithi number signs (Cf)
        | 0x13430..=0x1343F        // Egyptian hieroglyph format controls
        | 0x1BCA0..=0x1BCA3        // shorthand format controls
        | 0x1D173..=0x1D17A        // musical symbol format controls
        | 0xE0000..=0xE0FFF // tags, variation selectors supplement, reserved ignorables
    ) || cp & 0xFFFE == 0xFFFE // noncharacters U+xFFFE, U+xFFFF
}

/// Byte offset of the first character of `s` that needs escaping, if any.
fn first_unsafe(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match BYTE_CLASS[usize::from(b)] {
            SAFE => {}
            CONTROL => return Some(i),
            // A CHECK byte is a lead byte, so `i` is a character boundary.
            _ => {
                if s.get(i..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(needs_escape)
                {
                    return Some(i);
                }
            }
        }
    }
    None
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `\xNN` (lowercase hex) for one byte or one character below U+0100.
fn push_byte_escape(out: &mut String, b: u8) {
    out.push('\\');
    out.push('x');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xF)]));
}

/// Appends the visible escape for a character that [`needs_escape`].
fn push_escape(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        _ => match u8::try_from(u32::from(c)) {
            Ok(b) if c.is_control() => push_byte_escape(out, b),
            _ => {
                let cp = u32::from(c);
                out.push_str("<U+");
                let digits = if cp > 0xFFFF {
                    5 + usize::from(cp > 0xF_FFFF)
                } else {
                    4
                };
                for shift in (0..digits).rev() {
                    let nibble = (cp >> (4 * shift)) & 0xF;
                    out.push(char::from(HEX_UPPER[nibble as usize]));
                }
                out.push('>');
            }
        },
    }
}

/// Appends `s` to `out` with every dangerous character escaped.
fn push_inert(out: &mut String, s: &str) {
    for c in s.chars() {
        if needs_escape(c) {
            push_escape(out, c);
        } else {
            out.push(c);
        }
    }
}

/// Makes attacker-controlled text safe to show: every control, bidi, zero-width or other invisible
/// format character becomes a visible escape (`\x1b`, `\n`, `<U+202E>`; see the module docs).
///
/// Returns `s` itself, borrowed and without allocating, when it contains nothing to escape.
/// The result never contains a control character and never breaks a line.
///
/// ```
/// use threatlens::sanitize::inert;
/// assert_eq!(inert("\x1b]2;pwned\x07"), r"\x1b]2;pwned\x07");
/// assert_eq!(inert("invoice\u{202e}fdp.exe"), "invoice<U+202E>fdp.exe");
/// assert!(matches!(inert("東京 🦀"), std::borrow::Cow::Borrowed(_)));
/// ```
#[must_use]
pub fn inert(s: &str) -> Cow<'_, str> {
    let Some(i) = first_unsafe(s) else {
        return Cow::Borrowed(s);
    };
    let (clean, rest) = s.split_at_checked(i).unwrap_or(("", s));
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(clean);
    push_inert(&mut out, rest);
    Cow::Owned(out)
}

/// True when [`inert`] would return `s` unchanged: nothing in it needs escaping.
///
/// Useful to assert, in tests of a screen or an output path, that only inert text got through.
#[must_use]
pub fn is_inert(s: &str) -> bool {
    first_unsafe(s).is_none()
}

/// Like [`inert`], for raw field bytes that may not be UTF-8: valid sequences are treated as by
/// [`inert`], each byte of an invalid sequence becomes `\xNN` (Latin-1 `caf\xe9` shows as `caf\xe9`).
///
/// Borrows when `b` is valid UTF-8 with nothing to escape.
#[must_use]
pub fn inert_bytes(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        return inert(s);
    }
    let mut out = String::with_capacity(b.len() + 16);
    for chunk in b.utf8_chunks() {
        push_inert(&mut out, chunk.valid());
        for &byte in chunk.invalid() {
            push_byte_escape(&mut out, byte);
        }
    }
    Cow::Owned(out)
}

/// Terminal columns that `s` occupies once made inert: the `unicode-width` width of [`inert`]`(s)`.
///
/// Escapes count with their visible length (`\x1b` is 4 columns, `<U+202E>` is 8). Because escaping is
/// idempotent, passing text that is already escaped gives the same answer. East Asian ambiguous
/// characters count as narrow, as ratatui counts them.
#[must_use]
pub fn display_width(s: &str) -> usize {
    inert(s).width()
}

/// Makes `s` inert and cuts it to at most `max` columns, ending in `…` when something was cut.
///
/// The cut falls on a character boundary of the escaped text (an escape may be cut short, as in
/// `\x…`); a wide character that would straddle the limit is left out, so the result can be one
/// column narrower than `max`. Returns `s` borrowed when it is inert and fits. `max == 0` gives `""`.
///
/// ```
/// use threatlens::sanitize::{display_width, truncate_to_width};
/// assert_eq!(truncate_to_width("東京タワー", 6), "東京…");
/// assert_eq!(display_width(&truncate_to_width("東京タワー", 6)), 5);
/// assert_eq!(truncate_to_width("\x1b[2J", 3), r"\x…");
/// ```
#[must_use]
pub fn truncate_to_width(s: &str, max: usize) -> Cow<'_, str> {
    let text = inert(s);
    if text.width() <= max {
        return text;
    }
    let Some(budget) = max.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    // Sum per-character widths to find the cut, then back off while the string width (which knows
    // sequences such as emoji with U+FE0F) still exceeds the budget.
    let mut end = 0;
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    let mut kept = text.get(..end).unwrap_or("");
    while kept.width() > budget {
        match kept.char_indices().next_back() {
            Some((i, _)) => kept = kept.get(..i).unwrap_or(""),
            None => break,
        }
    }
    let mut out = String::with_capacity(kept.len() + '…'.len_utf8());
    out.push_str(kept);
    out.push('…');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The characters the issue names, listed independently of `needs_escape`.
    const LISTED: &[char] = &[
        '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2028}',
        '\u{2029}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2060}',
        '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{FEFF}', '\u{00AD}',
    ];

    #[expect(clippy::ptr_arg, reason = "the Cow variant is what is being tested")]
    fn borrowed(c: &Cow<'_, str>) -> bool {
        matches!(c, Cow::Borrowed(_))
    }

    fn clean(s: &str) -> bool {
        !s.chars().any(|c| c.is_control() || LISTED.contains(&c))
    }

    #[test]
    fn osc_2_title_change_is_shown_not_run() {
        let out = inert("\x1b]2;pwned\x07");
        assert_eq!(out, r"\x1b]2;pwned\x07");
        assert!(clean(&out));
        // The ST-terminated form too.
        assert_eq!(inert("\x1b]2;pwned\x1b\\"), r"\x1b]2;pwned\x1b\");
    }

    #[test]
    fn osc_52_clipboard_write_is_shown_not_run() {
        assert_eq!(
            inert("user=\x1b]52;c;ZXZpbA==\x07"),
            r"user=\x1b]52;c;ZXZpbA==\x07"
        );
    }

    #[test]
    fn csi_clear_screen_is_shown_not_run() {
        assert_eq!(inert("\x1b[2J\x1b[H"), r"\x1b[2J\x1b[H");
    }

    #[test]
    fn eight_bit_c1_introducers_are_escaped() {
        assert_eq!(inert("\u{9b}2J"), r"\x9b2J");
        assert_eq!(inert("\u{9d}0;x\u{9c}"), r"\x9d0;x\x9c");
        assert_eq!(inert("\u{90}q\u{9c}"), r"\x90q\x9c");
        assert_eq!(inert("\u{85}"), r"\x85");
    }

    #[test]
    fn c0_and_del_are_escaped() {
        assert_eq!(inert("a\tb\r\nc"), r"a\tb\r\nc");
        assert_eq!(
            inert("\0\x01\x07\x08\x0b\x0c\x1f\x7f"),
            r"\x00\x01\x07\x08\x0b\x0c\x1f\x7f"
        );
    }

    #[test]
    fn bidi_and_zero_width_are_escaped() {
        assert_eq!(inert("invoice\u{202e}fdp.exe"), "invoice<U+202E>fdp.exe");
        assert_eq!(inert("ad\u{200d}min"), "ad<U+200D>min");
        assert_eq!(inert("\u{2066}x\u{2069}"), "<U+2066>x<U+2069>");
        assert_eq!(inert("\u{feff}GET"), "<U+FEFF>GET");
        assert_eq!(inert("a\u{2028}b"), "a<U+2028>b");
        assert_eq!(inert("pass\u{ad}word"), "pass<U+00AD>word");
        for &c in LISTED {
            let out = inert(c.encode_utf8(&mut [0; 4])).into_owned();
            assert_eq!(out, format!("<U+{:04X}>", u32::from(c)));
        }
    }

    #[test]
    fn tags_and_supplementary_ignorables_use_five_or_six_digits() {
        assert_eq!(inert("\u{e0041}\u{e0100}"), "<U+E0041><U+E0100>");
        assert_eq!(inert("\u{10ffff}"), "<U+10FFFF>");
        assert_eq!(inert("\u{1fffe}"), "<U+1FFFE>");
    }

    #[test]
    fn printable_text_round_trips_borrowed() {
        for s in [
            "",
            "GET /index.php?id=1' OR '1'='1 -- \\x1b",
            "C:\\Windows\\System32",
            "東京タワー",
            "🦀 crab, ❤\u{fe0f} heart, 👍🏽",
            "café naïve Ωμέγα Привет",
            "مرحبا שלום",
            "e\u{301} combining",
            "\u{a0}nbsp\u{3000}ideographic space",
        ] {
            let out = inert(s);
            assert!(borrowed(&out), "{s:?} was copied");
            assert_eq!(out, s);
            assert!(is_inert(s));
        }
    }

    #[test]
    fn inert_bytes_escapes_invalid_utf8() {
        assert_eq!(inert_bytes(b"caf\xe9"), r"caf\xe9");
        assert_eq!(inert_bytes(b"\xff\xfe\x00ok"), r"\xff\xfe\x00ok");
        assert_eq!(inert_bytes(b"\x9b2J"), r"\x9b2J");
        assert_eq!(inert_bytes(b"\xe6\x9d\xb1\xe4"), r"東\xe4");
        assert_eq!(inert_bytes("\u{202e}\u{9b}".as_bytes()), r"<U+202E>\x9b");
        let fine = inert_bytes("東京".as_bytes());
        assert!(borrowed(&fine));
        assert_eq!(fine, "東京");
    }

    #[test]
    fn widths_are_those_of_the_escaped_text() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("東京"), 4);
        assert_eq!(display_width("🦀"), 2);
        assert_eq!(display_width("\x1b"), 4);
        assert_eq!(display_width("a\tb"), 4);
        assert_eq!(display_width("\u{202e}"), 8);
        assert_eq!(display_width("\u{200d}"), 8);
        assert_eq!(display_width(r"\x1b"), display_width("\x1b"));
    }

    #[test]
    fn truncation_respects_wide_characters() {
        assert_eq!(truncate_to_width("東京タワー", 10), "東京タワー");
        assert!(borrowed(&truncate_to_width("東京タワー", 10)));
        assert_eq!(truncate_to_width("東京タワー", 9), "東京タワ…");
        assert_eq!(truncate_to_width("東京タワー", 8), "東京タ…");
        assert_eq!(truncate_to_width("東京タワー", 6), "東京…");
        // 東 + 京 would need 4 columns before the ellipsis: never cross the limit.
        assert_eq!(truncate_to_width("東京タワー", 4), "東…");
        assert_eq!(display_width(&truncate_to_width("東京タワー", 4)), 3);
        assert_eq!(truncate_to_width("東京タワー", 2), "…");
        assert_eq!(truncate_to_width("東京タワー", 1), "…");
        assert_eq!(truncate_to_width("東京タワー", 0), "");
        assert_eq!(truncate_to_width("abcdef", 4), "abc…");
        assert_eq!(truncate_to_width("", 0), "");
    }

    #[test]
    fn truncation_works_on_escaped_text() {
        assert_eq!(truncate_to_width("\x1b[2J", 3), r"\x…");
        assert_eq!(truncate_to_width("\x1b[2J", 7), r"\x1b[2J");
        assert_eq!(truncate_to_width("\x1b[2J", 6), r"\x1b[…");
        assert_eq!(truncate_to_width("a\u{202e}b", 5), "a<U+…");
    }

    #[test]
    fn truncation_counts_emoji_presentation_sequences() {
        // U+2764 alone is 1 column; with U+FE0F it is 2. Budget 1 must not keep the pair.
        let out = truncate_to_width("\u{2764}\u{fe0f}\u{2764}\u{fe0f}", 2);
        assert!(display_width(&out) <= 2, "{out:?}");
    }

    /// Every character the predicate accepts must be caught by the byte table, every control must be
    /// accepted, and escaping any single character gives inert text.
    #[test]
    fn byte_table_and_predicate_agree_for_every_char() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let s: &str = c.encode_utf8(&mut buf);
            let lead = s.as_bytes().first().copied().unwrap_or(0);
            if needs_escape(c) {
                assert_ne!(BYTE_CLASS[usize::from(lead)], SAFE, "table misses {c:?}");
                let out = inert(s);
                assert!(clean(&out) && is_inert(&out), "{c:?} -> {out:?}");
                assert!(out.is_ascii());
            }
            if c.is_control() || LISTED.contains(&c) {
                assert!(needs_escape(c), "{c:?} not escaped");
            }
            assert_eq!(is_inert(s), !needs_escape(c));
        }
    }

    fn hostile_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            prop::sample::select(LISTED),
            (0u32..0xA0).prop_filter_map("control", char::from_u32),
            Just('\x1b'),
        ]
    }

    fn hostile_string() -> impl Strategy<Value = String> {
        prop::collection::vec(hostile_char(), 0..64).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn output_is_control_free(s in hostile_string()) {
            let out = inert(&s);
            prop_assert!(clean(&out), "{:?} -> {:?}", s, out);
            prop_assert!(is_inert(&out));
            prop_assert_eq!(borrowed(&out), is_inert(&s));
        }

        #[test]
        fn any_string_is_control_free(s in any::<String>()) {
            prop_assert!(clean(&inert(&s)));
        }

        #[test]
        fn escaping_is_idempotent(s in hostile_string()) {
            let once = inert(&s).into_owned();
            prop_assert_eq!(inert(&once), once.as_str());
            prop_assert_eq!(display_width(&s), display_width(&once));
        }

        #[test]
        fn safe_printable_text_round_trips(
            s in "[ -~\u{a0}-\u{ac}\u{ae}-\u{2ff}\u{391}-\u{3c9}\u{410}-\u{44f}\u{5d0}-\u{5ea}\u{621}-\u{64a}\u{3041}-\u{3096}\u{4e00}-\u{9fff}\u{ac00}-\u{d7a3}\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}]*"
        ) {
            let out = inert(&s);
            prop_assert!(borrowed(&out));
            prop_assert_eq!(out, s.as_str());
        }

        #[test]
        fn inert_bytes_is_control_free(b in prop::collection::vec(any::<u8>(), 0..128)) {
            let out = inert_bytes(&b);
            prop_assert!(clean(&out), "{:?} -> {:?}", b, out);
            if let Ok(s) = std::str::from_utf8(&b) {
                prop_assert_eq!(out, inert(s));
            }
        }

        #[test]
        fn truncation_fits_and_is_a_prefix(s in hostile_string(), max in 0usize..40) {
            let full = inert(&s);
            let cut = truncate_to_width(&s, max);
            prop_assert!(display_width(&cut) <= max, "{:?} at {} -> {:?}", s, max, cut);
            prop_assert!(clean(&cut));
            if full.width() <= max {
                prop_assert_eq!(&cut, &full);
            } else if max > 0 {
                let kept = cut.strip_suffix('…');
                prop_assert!(kept.is_some_and(|k| full.starts_with(k)), "{:?} -> {:?}", full, cut);
            }
        }
    }
}
