//! Fuzz target for the sanitiser: arbitrary field bytes must come out as inert, control-free text,
//! and truncation must respect its width.

#![no_main]

use libfuzzer_sys::fuzz_target;
use threatlens::sanitize::{display_width, inert, inert_bytes, is_inert, truncate_to_width};

fuzz_target!(|data: &[u8]| {
    let out = inert_bytes(data);
    assert!(
        !out.chars().any(char::is_control),
        "control character in {out:?}"
    );
    assert!(is_inert(&out), "not inert: {out:?}");
    assert_eq!(inert(&out), out, "escaping is not idempotent");
    if let Ok(s) = std::str::from_utf8(data) {
        assert_eq!(inert(s), out);
    }

    let max = usize::from(data.first().copied().unwrap_or(0) % 64);
    let cut = truncate_to_width(&out, max);
    assert!(display_width(&cut) <= max, "{cut:?} wider than {max}");
    assert!(!cut.chars().any(char::is_control));
});
