//! The shared execution core.
