//! Fidelity: every fixture function, prepared and run in the local sandbox, ends
//! the way the real SDK ended it (`tests/fixtures/sdk/oracle.jsonl`): the same
//! value, the same exception type and message, or a refusal where the SDK fails on
//! the client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aviato_exec::{
    Backend, CancellationToken, Limits, LocalBackend, Outcome, OutcomeKind, RunRequest, prepare,
};
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Case {
    file: String,
    function: String,
    def_line: u32,
    call_line: Option<u32>,
    expected: Value,
}

fn cases() -> Vec<Case> {
    let text =
        std::fs::read_to_string(repo_root().join("tests/fixtures/sdk/oracle.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            Case {
                file: record["file"].as_str().unwrap().to_owned(),
                function: record["function"].as_str().unwrap().to_owned(),
                def_line: record["def_line"].as_u64().unwrap() as u32,
                call_line: record["call"]["line"].as_u64().map(|line| line as u32),
                expected: record["outcome"].clone(),
            }
        })
        .collect()
}

/// The SDK reports an exception's type by parsing stderr, and only for names ending
/// in `Error` or `Exception`; the sandbox runner reports the real class. This is
/// the name the SDK's heuristic would extract from the real one.
fn sdk_visible_type(real: &str) -> Option<String> {
    let last = real.rsplit('.').next().unwrap_or(real);
    (last.ends_with("Error") || last.ends_with("Exception")).then(|| real.to_owned())
}

/// Where the outcome differs from the SDK's, or `None` when it matches.
fn mismatch(expected: &Value, outcome: &Outcome) -> Option<String> {
    let kind = expected["kind"].as_str().unwrap();
    let got = format!(
        "{} value={:?} exception={:?}: {:?} code={:?} message={:?}",
        outcome.outcome.as_str(),
        outcome.value_repr,
        outcome.exception_type,
        outcome.exception_message,
        outcome.code,
        outcome.message
    );
    let matches = match kind {
        "ok" => {
            outcome.outcome == OutcomeKind::Ok
                && outcome.value_repr.as_deref() == expected["value"].as_str()
        }
        "sandbox_error" => {
            let expected_type = expected["exception_type"].as_str();
            let type_matches = match expected_type {
                // The SDK names a class defined in the body by its qualified name.
                Some(expected_type) => outcome.exception_type.as_deref().is_some_and(|real| {
                    expected_type == real || expected_type.ends_with(&format!(".{real}"))
                }),
                None => outcome
                    .exception_type
                    .as_deref()
                    .and_then(sdk_visible_type)
                    .is_none(),
            };
            let message_matches = match expected["exception_message"].as_str() {
                Some(message) => outcome.exception_message.as_deref() == Some(message),
                None => true,
            };
            outcome.outcome == OutcomeKind::Raised && type_matches && message_matches
        }
        "client_error" | "decorate_error" => outcome.outcome == OutcomeKind::Refused,
        _ => false,
    };
    (!matches).then(|| format!("expected {expected}\n      got {got}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_match_the_sdk() {
    let backend = Arc::new(LocalBackend::default());
    let limits = Limits {
        timeout: std::time::Duration::from_secs(20),
        ..Limits::default()
    };
    let mut sources = BTreeMap::new();
    let mut runs = Vec::new();
    for case in cases() {
        let source = sources
            .entry(case.file.clone())
            .or_insert_with(|| std::fs::read_to_string(repo_root().join(&case.file)).unwrap())
            .clone();
        let request = RunRequest {
            file_name: case.file.clone(),
            source,
            function: case.function.clone(),
            line: Some(case.def_line),
            args: None,
            call_site: case.call_line,
        };
        let (backend, limits) = (backend.clone(), limits.clone());
        runs.push(tokio::spawn(async move {
            let outcome = match prepare(&request) {
                Ok(prepared) => {
                    backend
                        .run(&prepared.payload, &limits, CancellationToken::new())
                        .await
                }
                Err(outcome) => outcome,
            };
            mismatch(&case.expected, &outcome)
                .map(|why| format!("{}:{} {}: {why}", case.file, case.def_line, case.function))
        }));
    }
    let mut mismatches = Vec::new();
    let total = runs.len();
    for run in runs {
        mismatches.extend(run.await.unwrap());
    }
    assert!(total > 200, "the oracle recorded {total} functions");
    assert!(
        mismatches.is_empty(),
        "{} of {total} differ from the SDK:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
