//! The language server: protocol glue over the analysis and the execution core.
//!
//! - [`edit`] owns the open documents, applies the client's edits to them and
//!   carries ranges of older revisions forward.
//! - [`proto`] converts between analysis types (byte offsets, diagnostics) and
//!   protocol types (positions in the negotiated encoding); nothing else does.
//!   [`proto::ext`] holds the server's own commands and notifications.
//! - [`handlers`] holds one module per request or notification.
//! - [`session`] is the state the handlers share; [`analysis`] is what the
//!   analysis says about one revision, computed once; [`diagnostics`] publishes
//!   it, off the protocol task.
//! - [`signature`] reads a sandbox function's parameters, for clients and the CLI.
//! - [`runs`] runs sandbox functions for `aviato.run` and keeps their results.
//! - [`transport`] frames JSON-RPC on stdio and survives malformed messages.

mod allocator;
mod analysis;
mod diagnostics;
mod edit;
mod fixes;
mod handlers;
mod logging;
mod proto;
mod runs;
mod server;
mod session;
mod settings;
pub mod signature;
mod transport;

/// Serves the Language Server Protocol on stdin/stdout until `exit` or EOF.
///
/// Returns an error when the client leaves without a `shutdown` request.
pub fn run_stdio() -> Result<(), String> {
    logging::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let outcome = runtime.block_on(server::serve_stdio());
    // What runs on the blocking threads is the server's to end; it does not wait
    // for them (nor for the thread reading stdin, which the client may keep open).
    runtime.shutdown_background();
    outcome
}
