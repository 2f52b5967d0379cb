//! The sandbox-side runner (`runner.py`) and the messages exchanged with it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Frame, Outcome, OutcomeKind, Payload, Serialization};

/// The runner, run as `python -c RUNNER_SOURCE FILE_NAME` inside the sandbox.
pub(crate) const RUNNER_SOURCE: &str = include_str!("runner.py");

/// The file descriptor the runner reports on.
pub(crate) const RESULT_FD: i32 = 3;

/// What the runner reads on stdin.
#[derive(Debug, Serialize)]
pub(crate) struct RunnerInput<'a> {
    /// Marks the runner's report on the result channel, so that bytes the user's code
    /// writes there are not taken for it.
    pub nonce: &'a str,
    pub file_name: &'a str,
    pub function_name: &'a str,
    pub source: &'a str,
    pub captures: &'a [(String, String)],
    pub args_source: &'a str,
    pub serialization: Serialization,
    pub temp_dir: &'a str,
}

impl<'a> RunnerInput<'a> {
    pub(crate) fn new(payload: &'a Payload, nonce: &'a str) -> Self {
        Self {
            nonce,
            file_name: &payload.file_name,
            function_name: &payload.function_name,
            source: &payload.source,
            captures: &payload.captures,
            args_source: &payload.args_source,
            serialization: payload.serialization,
            temp_dir: &payload.temp_dir,
        }
    }
}

/// A fresh random marker for one run.
pub(crate) fn new_nonce() -> String {
    let random = |salt: u64| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.finish()
    };
    format!("aviato-result-{:016x}{:016x}", random(1), random(2))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReportKind {
    Ok,
    Raised,
    Refused,
    Error,
}

/// What the runner reports.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct RunnerReport {
    pub outcome: ReportKind,
    #[serde(default)]
    pub value_repr: Option<String>,
    #[serde(default)]
    pub value_json: Option<Value>,
    #[serde(default)]
    pub value_type: Option<String>,
    #[serde(default)]
    pub exception_type: Option<String>,
    #[serde(default)]
    pub exception_message: Option<String>,
    #[serde(default)]
    pub traceback: Vec<Frame>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub python_version: Option<String>,
}

impl RunnerReport {
    /// The last report marked with `nonce` on the result channel.
    pub(crate) fn decode(channel: &[u8], nonce: &str) -> Option<Self> {
        let marker = format!("\n{nonce}\n");
        let start = channel
            .windows(marker.len())
            .rposition(|window| window == marker.as_bytes())?
            + marker.len();
        let rest = &channel[start..];
        let end = rest.iter().position(|&byte| byte == b'\n')?;
        serde_json::from_slice(&rest[..end]).ok()
    }

    pub(crate) fn into_outcome(self) -> Outcome {
        let kind = match self.outcome {
            ReportKind::Ok => OutcomeKind::Ok,
            ReportKind::Raised => OutcomeKind::Raised,
            ReportKind::Refused => OutcomeKind::Refused,
            ReportKind::Error => OutcomeKind::Error,
        };
        Outcome {
            value_repr: self.value_repr,
            value_json: self.value_json,
            value_type: self.value_type,
            exception_type: self.exception_type,
            exception_message: self.exception_message,
            traceback: self.traceback,
            code: self.code,
            message: self.message,
            note: self.note,
            python_version: self.python_version,
            ..Outcome::new(kind)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_takes_the_last_marked_report() {
        let nonce = new_nonce();
        let mut channel = b"noise\n".to_vec();
        channel.extend_from_slice(format!("\n{nonce}\n{{\"outcome\": \"error\"}}\n").as_bytes());
        channel.extend_from_slice(b"\nforged\n{\"outcome\": \"ok\"}\n");
        channel.extend_from_slice(
            format!("\n{nonce}\n{{\"outcome\": \"ok\", \"value_repr\": \"5\"}}\n").as_bytes(),
        );
        let report = RunnerReport::decode(&channel, &nonce).unwrap();
        assert_eq!(report.outcome, ReportKind::Ok);
        assert_eq!(report.value_repr.as_deref(), Some("5"));
    }

    #[test]
    fn decode_ignores_unmarked_and_incomplete_reports() {
        let nonce = new_nonce();
        let forged = b"\nforged\n{\"outcome\": \"ok\"}\n";
        assert_eq!(RunnerReport::decode(forged, &nonce), None);
        let cut = format!("\n{nonce}\n{{\"outcome\": \"ok\"");
        assert_eq!(RunnerReport::decode(cut.as_bytes(), &nonce), None);
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(new_nonce(), new_nonce());
    }
}
