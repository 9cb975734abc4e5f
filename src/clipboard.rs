//! Copying text to the user's clipboard through the terminal: an OSC 52 sequence, which
//! terminals (and tmux with `set-clipboard on`) pass to the local clipboard, so it works over
//! SSH on a bastion host with no display.
//!
//! Owns the one function that builds the sequence. The text is made inert first
//! ([`crate::sanitize::inert`]) and then base64-encoded, so nothing from a log field can reach
//! the terminal as a control sequence: the only control bytes in the result are the sequence's
//! own ESC and BEL. It writes nothing itself; the explorer's loop writes the sequence out.

/// The OSC 52 sequence that puts `text` (sanitised) on the clipboard.
pub fn osc52(text: &str) -> String {
    let safe = crate::sanitize::inert(text);
    format!("\x1b]52;c;{}\x07", base64(safe.as_bytes()))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
    }

    #[test]
    fn no_control_byte_of_the_text_reaches_the_terminal() {
        let s = osc52("185.220.101.47");
        assert_eq!(s, "\x1b]52;c;MTg1LjIyMC4xMDEuNDc=\x07");
        let hostile = osc52("x\x1b]52;c;AAAA\x07\x1b[2J\r\n\u{9b}y");
        let body = &hostile["\x1b]52;c;".len()..hostile.len() - 1];
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        assert_eq!(hostile.bytes().filter(u8::is_ascii_control).count(), 2);
    }
}
