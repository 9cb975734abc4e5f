//! Placeholder; the sanitiser for attacker-controlled text.
