//! Placeholder; the columnar dataset lands with the foundation.
