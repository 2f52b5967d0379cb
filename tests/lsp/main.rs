//! End-to-end tests of `aviato-lsp` (lsp).
