//! Hostile code in the local sandbox.
