//! The shared execution core: run a sandbox function the way the aviato SDK would.
//!
//! A [`Payload`] is what the SDK would send for one call: the function's source,
//! its captured variables and its arguments as Python literal source. A [`Backend`]
//! runs it and returns an [`Outcome`]: the value the SDK's client would receive, or
//! the exception raised in the sandbox, or why there is neither.
//!
//! ```no_run
//! # async fn example() {
//! use aviato_exec::{Backend, CancellationToken, Limits, LocalBackend, Payload};
//!
//! let mut payload = Payload::new("app.py", "add", "def add(x, y):\n    return x + y\n");
//! payload.args_source = "2, 3".to_owned();
//! let outcome = LocalBackend::default()
//!     .run(&payload, &Limits::default(), CancellationToken::new())
//!     .await;
//! assert_eq!(outcome.value_repr.as_deref(), Some("5"));
//! # }
//! ```

pub mod aviato;
mod backend;
pub mod cwsandbox;
mod file_run;
mod local;
mod outcome;
mod payload;
mod prepare;
mod report;
mod runner;
mod settings;
mod upstream;

pub use aviato::{ApiKey, AviatoBackend, AviatoConfig};
pub use aviato_sandbox::{
    COALESCE, CancellationToken, INSTALL_HINT, Isolation, Limits, LocalConfig, OutputChunk,
    OutputSink, OutputStream, cgroup_support, cgroups_left_by, forward_output, output_channel,
};
pub use backend::{Backend, RunFuture};
pub use cwsandbox::{CwsandboxBackend, CwsandboxConfig};
pub use local::LocalBackend;
pub use outcome::{Frame, Limit, Outcome, OutcomeKind};
pub use payload::{
    DEFAULT_IMAGE, DEFAULT_TEMP_DIR, FileRun, FileRunFunction, Payload, Serialization,
};
pub use prepare::{
    NotRun, Prepared, RunRequest, blocking_diagnostic, function_source, prepare, run_prepared,
};
pub use report::{RunDescription, clip};
pub use settings::{BackendKind, BackendSettings};
pub use upstream::{BackendFor, RunSetup, run_request};
