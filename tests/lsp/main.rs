//! End-to-end tests of the language server: the real `aviato-lsp` binary, spoken
//! to over stdio with JSON-RPC.

mod client;
mod diagnostics;
mod encodings;
mod lifecycle;
mod robustness;
mod runs;
mod settings;
