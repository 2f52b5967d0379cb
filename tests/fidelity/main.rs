//! Fidelity: every fixture function, prepared and run in the local sandbox, ends
//! the way the real SDK ended it (`tests/fixtures/sdk/oracle.jsonl`): the same
//! value, the same exception type and message, or a refusal where the SDK fails on
//! the client.

mod corpora;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aviato_exec::{
    Backend, CancellationToken, Limits, LocalBackend, NotRun, Outcome, OutcomeKind, RunRequest,
    prepare,
};
use serde_json::Value;

/// How many sandboxes the tests of this file run at once, together: each test has its
/// runtime, and hundreds of sandboxes at once on a small machine would time out.
fn sandbox_turn() -> Arc<tokio::sync::Semaphore> {
    static TURNS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    TURNS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, usize::from);
            Arc::new(tokio::sync::Semaphore::new(cores * 2))
        })
        .clone()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Case {
    file: String,
    function: String,
    def_line: u32,
    call_line: Option<u32>,
    /// The awaited call as written, e.g. `Calculator.double(2)`.
    call_source: String,
    expected: Value,
}

/// Calls through an attribute (`Calculator.double(2)`) are not call sites the
/// analysis resolves; for those, the recorded call's own arguments are passed.
fn retry_with_recorded_arguments(
    request: &RunRequest,
    case: &Case,
    refusal: NotRun,
) -> Result<aviato_exec::Prepared, NotRun> {
    let callee = case.call_source.split('(').next().unwrap_or_default();
    let arguments = case
        .call_source
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'));
    match arguments {
        Some(arguments) if callee.contains('.') => prepare(&RunRequest {
            args: Some(arguments.to_owned()),
            call_site: None,
            ..request.clone()
        }),
        _ => Err(refusal),
    }
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
                call_source: record["call"]["source"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                expected: record["outcome"].clone(),
            }
        })
        .collect()
}

/// Captured values the file only knows by running (an open file): the run refuses
/// them and names the variable, where the SDK sends what they hold.
const NOT_STATIC: &[(&str, &str)] = &[("open_file_captured", "FILE")];

fn refused_naming(variable: &str, outcome: &Outcome) -> Option<String> {
    let names_it = outcome
        .message
        .as_deref()
        .is_some_and(|message| message.contains(&format!("`{variable}`")));
    (outcome.outcome != OutcomeKind::Refused || !names_it).then(|| {
        format!(
            "expected a refusal naming `{variable}`, got {:?}: {:?}",
            outcome.outcome, outcome.message
        )
    })
}

/// Under PICKLE, classes and functions of the user's script exist only in the
/// client's `__main__`: the SDK fails in the sandbox with `AttributeError`. A run
/// here cannot recreate them and refuses, naming the rule.
fn refused_for_a_script_class(expected: &Value, outcome: &Outcome) -> bool {
    let message = expected["exception_message"].as_str().unwrap_or_default();
    let about_script =
        message.contains("'__main__'") || message.starts_with("Can't pickle local object");
    expected["exception_type"] == "AttributeError"
        && about_script
        && outcome.outcome == OutcomeKind::Refused
        && matches!(outcome.code.as_deref(), Some("AV301" | "AV304" | "AV105"))
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
            // `exception_type`/`exception_message` are the SDK's own report, parsed
            // from the sandbox's stderr: they must be exactly the recorded ones.
            let raised = outcome.outcome == OutcomeKind::Raised
                && outcome.exception_type.as_deref() == expected["exception_type"].as_str()
                && outcome.exception_message.as_deref() == expected["exception_message"].as_str();
            raised || refused_for_a_script_class(expected, outcome)
        }
        // The SDK loses `SystemExit(0)` as a missing result file; the runner reports it.
        "client_error" if expected["type"] == "SandboxFileError" => {
            outcome.outcome == OutcomeKind::Raised
                && outcome.exception_type.as_deref() == Some("SystemExit")
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
            analysis: None,
            name_at: None,
        };
        let (backend, limits) = (backend.clone(), limits.clone());
        runs.push(tokio::spawn(async move {
            let _turn = sandbox_turn().acquire_owned().await.unwrap();
            let outcome = match prepare(&request)
                .or_else(|refusal| retry_with_recorded_arguments(&request, &case, refusal))
            {
                Ok(prepared) => {
                    backend
                        .run(&prepared.payload, &limits, CancellationToken::new())
                        .await
                }
                Err(not_run) => not_run.into(),
            };
            let expected_refusal = NOT_STATIC
                .iter()
                .find(|(function, _)| *function == case.function);
            let why = match expected_refusal {
                Some((_, variable)) => refused_naming(variable, &outcome),
                None => mismatch(&case.expected, &outcome),
            };
            why.map(|why| format!("{}:{} {}: {why}", case.file, case.def_line, case.function))
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
