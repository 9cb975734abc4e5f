//! Unit tests of the filter language on small datasets.
