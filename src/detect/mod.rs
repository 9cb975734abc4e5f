//! Placeholder; the isolation forest lands with the detection engine.
