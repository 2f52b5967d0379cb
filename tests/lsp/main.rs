//! End-to-end tests of the language server: the real `aviato-lsp` binary, spoken
//! to over stdio with JSON-RPC.

mod client;
mod code_actions;
mod diagnostics;
mod encodings;
mod hover;
mod lifecycle;
mod robustness;
mod run_settings;
mod runs;
mod sandbox_functions;
mod settings;
mod soak;
