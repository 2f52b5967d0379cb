//! The structured result of one run, as `aviato-lsp run --output-format json` prints it.
//! The schema is documented in `docs/run-output.md`; keep the two in step.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    /// The function returned; the value is what the SDK's client would receive.
    Ok,
    /// An exception was raised in the sandbox (or by the client reading the result).
    Raised,
    /// The SDK would fail on the client before any sandbox runs, or the call cannot
    /// be prepared without guessing a value.
    Refused,
    /// The wall-clock limit was reached.
    Timeout,
    /// A resource limit (memory, CPU, file size) or a signal ended the run, or it was
    /// cancelled.
    Killed,
    /// The run could not be carried out (no sandbox, a broken request).
    Error,
}

impl OutcomeKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Ok => "ok",
            OutcomeKind::Raised => "raised",
            OutcomeKind::Refused => "refused",
            OutcomeKind::Timeout => "timeout",
            OutcomeKind::Killed => "killed",
            OutcomeKind::Error => "error",
        }
    }

    /// The CLI's exit status: 0 ok, 1 the function did not produce a value, 2 error.
    pub const fn exit_code(self) -> i32 {
        match self {
            OutcomeKind::Ok => 0,
            OutcomeKind::Raised
            | OutcomeKind::Refused
            | OutcomeKind::Timeout
            | OutcomeKind::Killed => 1,
            OutcomeKind::Error => 2,
        }
    }
}

/// The limit that ended a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Wall-clock time.
    Time,
    /// Memory: the sandbox's cgroup, or each process's address space.
    Memory,
    /// CPU time.
    Cpu,
    /// The size of a file written.
    FileSize,
    /// The number of processes (a `fork` refused).
    Processes,
}

/// A traceback frame in the user's file, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub file: String,
    /// 1-based line in the user's file.
    pub line: u32,
    pub function: String,
}

/// The result of one run. Every field is always present in JSON (`null` when empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub outcome: OutcomeKind,
    /// `repr()` of the value the client would receive.
    pub value_repr: Option<String>,
    /// The value as JSON, when it is made of JSON types only (`null` otherwise, and
    /// for `None`: read `value_repr` to tell them apart).
    pub value_json: Option<Value>,
    /// The value's type, as `type(value)` names it (`list`, `datetime.datetime`).
    pub value_type: Option<String>,
    /// The exception's class as the SDK reports it (`SandboxExecutionError.exception_type`,
    /// parsed from the sandbox's stderr: `None` for a class whose name does not end in
    /// `Error` or `Exception`); for refusals, the exception the SDK's client raises.
    pub exception_type: Option<String>,
    /// The exception's message as the SDK reports it (the first line of `str()`).
    pub exception_message: Option<String>,
    /// The exception raised in the sandbox, as a traceback prints its class
    /// (`ValueError`, `Boom`, `json.decoder.JSONDecodeError`).
    pub real_exception_type: Option<String>,
    /// `str()` of the exception raised in the sandbox, in full.
    pub real_exception_message: Option<String>,
    /// Frames in the user's file, outermost first.
    pub traceback: Vec<Frame>,
    pub stdout: String,
    pub stderr: String,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub duration_ms: u64,
    /// The backend that ran the function (`local`).
    pub backend: Option<String>,
    /// The interpreter that ran the function.
    pub interpreter: Option<String>,
    /// Its version, as the runner saw it.
    pub python_version: Option<String>,
    /// The image the SDK would have used.
    pub image: Option<String>,
    /// Where the run differs from what the SDK would report, or what it stands for.
    pub note: Option<String>,
    /// The line of the call site the arguments came from, if any.
    pub call_site: Option<u32>,
    /// For `f.map(items)`: the 1-based item this outcome is about.
    pub map_item: Option<u32>,
    /// For `f.map(items)`: how many items there are.
    pub map_items: Option<u32>,
    /// The rule code that explains a refusal (`AV301`).
    pub code: Option<String>,
    /// Why the run was refused, killed, or failed.
    pub message: Option<String>,
    /// The limit that ended the run, if one did.
    pub limit: Option<Limit>,
    /// The run was stopped on request (`killed`).
    pub cancelled: bool,
    /// How the run ended, on one line, as a lens shows it (`✓ 5 · 84 ms`).
    pub summary: String,
    /// What an output panel shows of the run once it is over, one line of text per
    /// line (the streams themselves are in `stdout` and `stderr`).
    pub report: String,
}

impl Outcome {
    pub fn new(outcome: OutcomeKind) -> Self {
        Self {
            outcome,
            value_repr: None,
            value_json: None,
            value_type: None,
            exception_type: None,
            exception_message: None,
            real_exception_type: None,
            real_exception_message: None,
            traceback: Vec::new(),
            stdout: String::new(),
            stderr: String::new(),
            stdout_truncated: false,
            stderr_truncated: false,
            duration_ms: 0,
            backend: None,
            interpreter: None,
            python_version: None,
            image: None,
            note: None,
            call_site: None,
            map_item: None,
            map_items: None,
            code: None,
            message: None,
            limit: None,
            cancelled: false,
            summary: String::new(),
            report: String::new(),
        }
    }

    /// A run stopped on request.
    pub fn cancelled() -> Self {
        Self {
            message: Some("cancelled".to_owned()),
            cancelled: true,
            ..Self::new(OutcomeKind::Killed)
        }
    }

    /// A run `limit` ended, `message` naming it.
    pub fn over_limit(kind: OutcomeKind, limit: Limit, message: impl Into<String>) -> Self {
        Self {
            message: Some(message.into()),
            limit: Some(limit),
            ..Self::new(kind)
        }
    }

    /// A call that is not run: `code` is the rule that explains it, when one does.
    pub fn refused(code: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            code: code.map(str::to_owned),
            message: Some(message.into()),
            ..Self::new(OutcomeKind::Refused)
        }
    }

    /// A run that could not be carried out.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            message: Some(message.into()),
            ..Self::new(OutcomeKind::Error)
        }
    }

    /// Adds a note on its own line.
    pub fn add_note(&mut self, note: impl AsRef<str>) {
        let note = note.as_ref();
        match &mut self.note {
            Some(notes) => {
                notes.push('\n');
                notes.push_str(note);
            }
            None => self.note = Some(note.to_owned()),
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.outcome.exit_code()
    }
}
