//! Run agreement on the recorded corpora: the cwsandbox examples, the realistic
//! programs of both generations and the held-out programs. Each recorded function is prepared from its file
//! and run in the local sandbox as `aviato-lsp run --call-site` would, and judged as
//! `tests/score/score.py --run` judges it: the same value; for an error in the
//! sandbox, the same `exception_type` and `exception_message` as the SDK reported;
//! a refusal for a failure on the client or at decoration. The share of agreeing
//! functions must not fall below each corpus's floor.

use std::collections::BTreeMap;

use aviato_exec::{
    Backend, CancellationToken, Limits, LocalBackend, Outcome, OutcomeKind, Payload, RunRequest,
    RunSetup, run_request,
};
use serde_json::Value;

use crate::{repo_root, sandbox_turn};

/// One recorded function: where it is, the call the scorer runs, and what the SDK
/// did (the first failing outcome, else the first).
struct Recorded {
    file: String,
    function: String,
    def_line: u32,
    call_line: Option<u32>,
    call_source: Option<String>,
    expected: Value,
}

/// The rows of a corpus's `oracle.jsonl`, as the scorer groups them.
fn recorded(corpus: &str) -> Vec<Recorded> {
    let text = std::fs::read_to_string(repo_root().join(corpus).join("oracle.jsonl")).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let events = rows.iter().any(|row| row["call"].is_string());
    if !events {
        return rows
            .iter()
            .filter(|row| row["outcome"]["kind"] != "not_called")
            .map(|row| Recorded {
                file: row["file"].as_str().unwrap().to_owned(),
                function: row["function"].as_str().unwrap().to_owned(),
                def_line: row["def_line"].as_u64().unwrap() as u32,
                call_line: row["call"]["line"].as_u64().map(|line| line as u32),
                call_source: row["call"]["source"].as_str().map(str::to_owned),
                expected: row["outcome"].clone(),
            })
            .collect();
    }
    let mut grouped: BTreeMap<(String, u32, String), Vec<&Value>> = BTreeMap::new();
    for row in &rows {
        let Some(function) = row["function"].as_str() else {
            continue;
        };
        if !matches!(
            row["call"].as_str(),
            Some("decorate" | "remote" | "map" | "direct")
        ) {
            continue;
        }
        let key = (
            row["file"].as_str().unwrap().to_owned(),
            row["def_line"].as_u64().unwrap() as u32,
            function.to_owned(),
        );
        grouped.entry(key).or_default().push(row);
    }
    grouped
        .into_iter()
        .map(|((file, def_line, function), events)| {
            let decisive = events
                .iter()
                .find(|event| event["outcome"]["kind"] != "ok")
                .unwrap_or(&events[0]);
            // The call whose outcome decides (the failing one, when there is one).
            let call_line = std::iter::once(decisive)
                .chain(events.iter())
                .find(|event| {
                    matches!(event["call"].as_str(), Some("remote" | "map" | "direct"))
                        && event["call_line"].is_u64()
                })
                .and_then(|event| event["call_line"].as_u64())
                .map(|line| line as u32);
            Recorded {
                file,
                function,
                def_line,
                call_line,
                call_source: None,
                expected: decisive["outcome"].clone(),
            }
        })
        .collect()
}

/// `Jobs.head(ROWS, 2)` -> `ROWS, 2`: the recorded call's arguments, for a call
/// through a class attribute, which binds no instance.
fn recorded_arguments(source: &str) -> Option<String> {
    let (callee, rest) = source.split_once('(')?;
    let owner = callee.rsplit_once('.')?.0;
    let owner = owner.rsplit('.').next().unwrap_or(owner);
    owner
        .starts_with(|c: char| c.is_ascii_uppercase())
        .then(|| rest.strip_suffix(')').map(str::to_owned))
        .flatten()
}

/// What the scorer accepts as the SDK's outcome.
fn agrees(expected: &Value, outcome: &Outcome) -> bool {
    let kind = expected["kind"].as_str().unwrap_or_default();
    match kind {
        "ok" => {
            let want = expected["value"].as_str().unwrap_or_default();
            let have = outcome.value_repr.as_deref().unwrap_or_default();
            outcome.outcome == OutcomeKind::Ok
                && (want == have
                    || (want.len() >= 400
                        && want.ends_with("...")
                        && have.starts_with(&want[..want.len() - 3])))
        }
        "sandbox_error" => {
            let message = expected["exception_message"].as_str();
            if outcome.outcome == OutcomeKind::Refused {
                let about_script = message.is_some_and(|message| {
                    message.contains("'__main__'")
                        || message.starts_with("Can't pickle local object")
                });
                return expected["exception_type"] == "AttributeError"
                    && about_script
                    && matches!(outcome.code.as_deref(), Some("AV301" | "AV304" | "AV105"));
            }
            if outcome.outcome != OutcomeKind::Raised {
                return false;
            }
            let real = outcome.exception_type.as_deref().unwrap_or_default();
            if let Some(wanted) = expected["exception_type"].as_str()
                && !(real == wanted || wanted.ends_with(&format!(".{real}")))
            {
                return false;
            }
            let Some(message) = message else {
                return true;
            };
            let Some(ours) = outcome.exception_message.as_deref() else {
                return false;
            };
            let first = ours.lines().next().unwrap_or_default();
            [ours, first].into_iter().any(|candidate| {
                message == candidate
                    || (!candidate.is_empty()
                        && message.starts_with(&format!("{candidate}. Did you mean")))
            })
        }
        "client_error" if expected["type"] == "SandboxFileError" => {
            outcome.outcome == OutcomeKind::Raised
                && outcome.exception_type.as_deref() == Some("SystemExit")
        }
        "client_error" | "decorate_error" | "unresolved" => outcome.outcome == OutcomeKind::Refused,
        _ => false,
    }
}

async fn run(request: RunRequest, limits: &Limits) -> Outcome {
    let backend = |_: &Payload| Ok(Box::new(LocalBackend::default()) as Box<dyn Backend>);
    let setup = RunSetup {
        backend: &backend,
        limits,
        cancel: &CancellationToken::new(),
    };
    run_request(request, &setup, None).await
}

/// The functions of `corpus` whose run agrees with the SDK, and the others, described.
async fn agreement(corpus: &str) -> (usize, Vec<String>) {
    let limits = Limits {
        timeout: std::time::Duration::from_secs(20),
        ..Limits::default()
    };
    let mut sources = BTreeMap::new();
    let mut runs = Vec::new();
    for case in recorded(corpus) {
        // A call the run could make, or a decoration error (refused whatever the call).
        if case.call_line.is_none() && case.expected["kind"] != "decorate_error" {
            continue;
        }
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
        let limits = limits.clone();
        runs.push(tokio::spawn(async move {
            let _turn = sandbox_turn().acquire_owned().await.unwrap();
            let mut outcome = run(request.clone(), &limits).await;
            if matches!(outcome.outcome, OutcomeKind::Refused | OutcomeKind::Error)
                && let Some(arguments) = case.call_source.as_deref().and_then(recorded_arguments)
            {
                let retry = RunRequest {
                    args: Some(arguments),
                    call_site: None,
                    ..request
                };
                let retried = run(retry, &limits).await;
                if retried.outcome != OutcomeKind::Error {
                    outcome = retried;
                }
            }
            let agrees = agrees(&case.expected, &outcome);
            let described = format!(
                "{}:{} {}: expected {}, got {} {:?} {:?}: {:?} {:?}",
                case.file,
                case.def_line,
                case.function,
                case.expected,
                outcome.outcome.as_str(),
                outcome.value_repr,
                outcome.exception_type,
                outcome.exception_message,
                outcome.message
            );
            (agrees, described)
        }));
    }
    let mut agreeing = 0;
    let mut differing = Vec::new();
    for run in runs {
        let (agrees, described) = run.await.unwrap();
        if agrees {
            agreeing += 1;
        } else {
            differing.push(described);
        }
    }
    (agreeing, differing)
}

async fn at_least(corpus: &str, floor: f64) {
    let (agreeing, differing) = agreement(corpus).await;
    let total = agreeing + differing.len();
    let share = agreeing as f64 / total as f64;
    println!(
        "{corpus}: run agreement {agreeing}/{total} = {:.1}%",
        share * 100.0
    );
    assert!(total > 50, "{corpus}: only {total} recorded functions");
    assert!(
        share >= floor,
        "{corpus}: run agreement {agreeing}/{total} = {:.3} is below {floor}; the functions that differ:\n{}",
        share,
        differing.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cwsandbox_examples_run_as_the_sdk_ran_them() {
    at_least("tests/fixtures/cwsandbox", 0.90).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realistic_aviato_programs_run_as_the_sdk_ran_them() {
    at_least("tests/fixtures/realistic/aviato", 0.90).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heldout_aviato_programs_run_as_the_sdk_ran_them() {
    at_least("tests/fixtures/heldout2/aviato", 0.80).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realistic_cwsandbox_programs_run_as_the_sdk_ran_them() {
    at_least("tests/fixtures/realistic/cwsandbox", 0.90).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heldout_cwsandbox_programs_run_as_the_sdk_ran_them() {
    at_least("tests/fixtures/heldout/cwsandbox", 0.88).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heldout2_cwsandbox_programs_run_as_the_sdk_ran_them() {
    at_least("tests/fixtures/heldout2/cwsandbox", 0.91).await;
}
