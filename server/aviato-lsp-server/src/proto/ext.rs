//! The server's own commands and notifications (documented in `docs/lsp.md`).

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentIdentifier, Uri};

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

/// `aviato/sandboxFunctions`: the sandbox functions of a document, from the
/// server's analysis, so that clients find and run them without parsing Python.
pub(crate) const SANDBOX_FUNCTIONS_METHOD: &str = "aviato/sandboxFunctions";

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SandboxFunctionsParams {
    pub(crate) text_document: TextDocumentIdentifier,
    /// Only the innermost function whose lines (decorators to body) hold this
    /// position.
    #[serde(default)]
    pub(crate) position: Option<Position>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SandboxFunctionInfo {
    pub(crate) name: String,
    /// The 1-based line of its name: the `line` of `aviato.run`.
    pub(crate) line: u32,
    /// The whole statement, decorators and body included.
    pub(crate) range: Range,
    pub(crate) name_range: Range,
    /// `scale(values: list[float], factor: float)`, on one line.
    pub(crate) signature: String,
    pub(crate) parameters: Vec<crate::signature::Parameter>,
    /// Whether a call must pass at least one argument.
    pub(crate) needs_arguments: bool,
    /// An argument list fitting the parameters' annotations (`[1.0], 1.0`), for a
    /// prompt's placeholder; empty when nothing is needed.
    pub(crate) example_arguments: String,
    pub(crate) call_sites: Vec<CallSiteInfo>,
    /// The 1-based line of the call whose arguments `aviato.run` uses when given
    /// neither `args` nor `callSite`: the first call with static arguments.
    pub(crate) default_call_site: Option<u32>,
    /// Whether `aviato.run` without `args` runs it: it needs no arguments, or a
    /// call passes static ones.
    pub(crate) runs_without_arguments: bool,
    /// Why the SDK would fail on the client: `aviato.run` refuses it.
    pub(crate) cannot_run: Option<CannotRun>,
    /// The argument object of `aviato.run` for this function.
    pub(crate) run: FunctionArguments,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallSiteInfo {
    /// The call expression.
    pub(crate) range: Range,
    /// Its 1-based line: the `callSite` of `aviato.run`.
    pub(crate) line: u32,
    /// The call as written, e.g. `add(2, 3)`.
    pub(crate) text: String,
    /// `direct` (`f(...)`), `remote` (cwsandbox's `f.remote(...)`) or `map`
    /// (cwsandbox's `f.map(items)`, whose `arguments` are the items).
    pub(crate) kind: &'static str,
    /// Whether a run can take its arguments from this call: they are static and
    /// the call gives the client a value.
    pub(crate) usable: bool,
    /// The arguments that would be sent, as a Python argument list of
    /// self-contained values (`(2), (3)`), when all are static.
    pub(crate) arguments: Option<String>,
    /// Why they are not, otherwise.
    pub(crate) not_static: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct CannotRun {
    pub(crate) code: String,
    pub(crate) message: String,
}
