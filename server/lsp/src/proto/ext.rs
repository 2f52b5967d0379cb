//! The server's own commands and notifications (documented in `docs/lsp.md`).

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::Uri;
use tower_lsp_server::ls_types::notification::Notification;

/// Runs a sandbox function; answers with the outcome.
pub(crate) const RUN_COMMAND: &str = "aviato.run";
/// Cancels the run of a function; answers whether there was one.
pub(crate) const CANCEL_RUN_COMMAND: &str = "aviato.cancelRun";
/// Says why a function cannot run; answers with the refusal outcome.
pub(crate) const EXPLAIN_COMMAND: &str = "aviato.explain";

pub(crate) const COMMANDS: [&str; 3] = [RUN_COMMAND, CANCEL_RUN_COMMAND, EXPLAIN_COMMAND];

/// The argument of `aviato.run`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunArguments {
    pub(crate) uri: Uri,
    pub(crate) function: String,
    /// The 1-based line of the `def` (any line from its first decorator to its
    /// name).
    pub(crate) line: u32,
    /// A Python argument list: `2, 3` or `"b", x=[1, 2]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) args: Option<String>,
    /// The 1-based line of the call site whose arguments to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) call_site: Option<u32>,
}

/// The argument of `aviato.cancelRun` and `aviato.explain`: a function.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct FunctionArguments {
    pub(crate) uri: Uri,
    pub(crate) function: String,
    pub(crate) line: u32,
}

/// A run's stdout or stderr, for editors that show it in a panel.
pub(crate) enum RunOutput {}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct RunOutputParams {
    pub(crate) uri: Uri,
    pub(crate) function: String,
    pub(crate) line: u32,
    /// `stdout` or `stderr`.
    pub(crate) stream: String,
    pub(crate) text: String,
}

impl Notification for RunOutput {
    type Params = RunOutputParams;
    const METHOD: &'static str = "aviato/runOutput";
}
