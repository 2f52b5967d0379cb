//! Logs go to stderr: stdout carries the protocol.

use tracing_subscriber::EnvFilter;

/// The environment variable with the log filter, e.g. `AVIATO_LSP_LOG=debug`;
/// warnings and errors only without it, so routine lines do not reach the editor.
const FILTER_VARIABLE: &str = "AVIATO_LSP_LOG";

pub(crate) fn init() {
    let filter =
        EnvFilter::try_from_env(FILTER_VARIABLE).unwrap_or_else(|_| EnvFilter::new("warn"));
    // A subscriber installed by the embedding program takes precedence.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
