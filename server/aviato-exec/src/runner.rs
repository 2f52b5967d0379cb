//! The sandbox-side runner (`runner.py`) and the messages exchanged with it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{FileRun, Frame, Outcome, OutcomeKind, Payload, Serialization};

/// The runner, run as `python -c RUNNER_SOURCE FILE_NAME` inside the sandbox.
pub(crate) const RUNNER_SOURCE: &str = include_str!("runner.py");

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
    pub map_item: Option<u32>,
    pub serialization: Serialization,
    pub temp_dir: &'a str,
    pub environment: &'a [(String, String)],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_run: Option<&'a FileRun>,
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
            map_item: payload.map_item,
            serialization: payload.serialization,
            temp_dir: &payload.temp_dir,
            environment: &payload.environment,
            file_run: payload.file_run.as_ref(),
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
    /// The exit status of the SDK's sandbox script, had it run this call.
    #[serde(default)]
    pub sdk_returncode: Option<i32>,
    /// What the SDK's sandbox script would print to stderr after the user's code.
    #[serde(default)]
    pub sdk_stderr: Option<String>,
    /// How many items `f.map(items)` has, for a map item.
    #[serde(default)]
    pub map_items: Option<u32>,
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

    /// The outcome, with `exception_type`/`exception_message` as the SDK's client
    /// reports them: parsed from the sandbox's stderr (`stderr`, the user's code's,
    /// followed by what the SDK's script prints) when its script exits non-zero.
    pub(crate) fn into_outcome(self, stderr: &[u8], serialization: Serialization) -> Outcome {
        let kind = match self.outcome {
            ReportKind::Ok => OutcomeKind::Ok,
            ReportKind::Raised => OutcomeKind::Raised,
            ReportKind::Refused => OutcomeKind::Refused,
            ReportKind::Error => OutcomeKind::Error,
        };
        let mut outcome = Outcome {
            map_items: self.map_items,
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
        };
        if kind != OutcomeKind::Raised {
            return outcome;
        }
        outcome.real_exception_type = outcome.exception_type.clone();
        outcome.real_exception_message = outcome.exception_message.clone();
        match self.sdk_returncode {
            Some(0) | None => {}
            Some(status) => {
                let mut text = String::from_utf8_lossy(stderr).into_owned();
                text.push_str(self.sdk_stderr.as_deref().unwrap_or_default());
                let strict = serialization == Serialization::StrictJson;
                let (kind, message) = sdk_exception(&text, strict);
                outcome.exception_type = kind;
                outcome.exception_message = message;
                if let Some(note) = sdk_note(&outcome, status) {
                    outcome.add_note(note);
                }
            }
        }
        outcome
    }
}

/// `_parse_exception_from_stderr` of the SDK's client: line by line, later lines
/// winning. cwsandbox (`strict`) also reads its `RESULT_SERIALIZATION_ERROR:` marker.
pub(crate) fn sdk_exception(stderr: &str, strict: bool) -> (Option<String>, Option<String>) {
    let mut kind = None;
    let mut message = None;
    for line in stderr.split('\n') {
        if strict && let Some(payload) = line.strip_prefix("RESULT_SERIALIZATION_ERROR:") {
            let payload = python_strip(payload);
            let (type_part, msg_part) = payload.split_once(':').unwrap_or((payload, ""));
            let type_part = python_strip(type_part);
            kind = (!type_part.is_empty()).then(|| type_part.to_owned());
            let body = python_strip(msg_part);
            message = Some(if body.is_empty() {
                "return value is not JSON-serializable".to_owned()
            } else {
                format!("return value is not JSON-serializable: {body}")
            });
        } else if let Some(rest) = line.strip_prefix("EXCEPTION:") {
            message = Some(python_strip(rest).to_owned());
        } else if !line.starts_with(' ')
            && let Some((name, rest)) = line.split_once(": ")
            && (name.ends_with("Error") || name.ends_with("Exception"))
        {
            kind = Some(name.to_owned());
            message = Some(rest.to_owned());
        }
    }
    (kind, message)
}

/// `str.strip()`: Python's whitespace, which includes the separators `\x1c`-`\x1f`.
fn python_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// What to tell the user when the SDK's report differs from the exception raised.
fn sdk_note(outcome: &Outcome, status: i32) -> Option<String> {
    let same_type = outcome.exception_type == outcome.real_exception_type;
    let same_message = outcome.exception_message == outcome.real_exception_message;
    if same_type && same_message {
        return None;
    }
    let shown = |text: &Option<String>| match text {
        Some(text) => format!("{text:?}"),
        None => "None".to_owned(),
    };
    let mut note = format!(
        "the SDK reports exception_type {} and exception_message {} (parsed from the sandbox's stderr, exit status {status})",
        shown(&outcome.exception_type),
        shown(&outcome.exception_message),
    );
    if outcome.exception_type.is_none() {
        note.push_str(
            ": it only recognises a line `Name: message` whose name ends in Error or Exception",
        );
    } else if !same_type {
        note.push_str(": a line of stderr that looks like an exception won over the real one");
    } else if outcome
        .real_exception_message
        .as_deref()
        .is_some_and(|message| message.contains('\n'))
    {
        note.push_str(": it keeps the first line of a message only");
    }
    Some(note)
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
    fn the_sdk_parses_stderr_line_by_line_later_lines_winning() {
        let parse = |text: &str| sdk_exception(text, true);
        let owned = |kind: Option<&str>, message: Option<&str>| {
            (kind.map(str::to_owned), message.map(str::to_owned))
        };
        // The usual: `EXCEPTION:` then the traceback's last line.
        let text = "EXCEPTION:bad\nTraceback (most recent call last):\n  File \"<string>\", line 3, in f\nValueError: bad\n";
        assert_eq!(parse(text), owned(Some("ValueError"), Some("bad")));
        // A name not ending in Error or Exception: the message only.
        let text = "EXCEPTION:used 150 of 100\nTraceback (most recent call last):\nQuotaExceeded: used 150 of 100\n";
        assert_eq!(parse(text), owned(None, Some("used 150 of 100")));
        // A multi-line message: the first line, from the traceback.
        let text = "EXCEPTION:line one\nline two\nTraceback (most recent call last):\nValueError: line one\nline two\n";
        assert_eq!(parse(text), owned(Some("ValueError"), Some("line one")));
        // A user's log line that looks like an error, printed earlier, wins over
        // an exception the parser does not recognise.
        let text = "ZeroDivisionError: division by zero\nEXCEPTION:halt\nHalt: halt\n";
        assert_eq!(parse(text), owned(Some("ZeroDivisionError"), Some("halt")));
        // cwsandbox's marker for a return value json.dump refuses.
        let text =
            "RESULT_SERIALIZATION_ERROR:TypeError:Object of type set is not JSON serializable\n";
        assert_eq!(
            parse(text),
            owned(
                Some("TypeError"),
                Some(
                    "return value is not JSON-serializable: Object of type set is not JSON serializable"
                )
            )
        );
        // aviato has no such marker.
        assert_eq!(
            sdk_exception("RESULT_SERIALIZATION_ERROR:TypeError:x\n", false),
            (None, None)
        );
        assert_eq!(parse(""), (None, None));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(new_nonce(), new_nonce());
    }
}
