//! The same fixtures through the local backend and through the aviato and cwsandbox
//! backends on a sandbox server end the same way: the SDK's outcome does not depend on
//! where the sandbox is, nor on the protocol that reaches it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aviato_exec::{
    Backend, CancellationToken, Limits, LocalBackend, Outcome, Payload, RunRequest, prepare,
};
use serde_json::Value;

use crate::Server;

/// How many recorded functions run through both backends.
const SAMPLE: usize = 30;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The recorded functions whose payload prepares, spread evenly over the fixtures,
/// with every `temp_dir` case: where the payload goes differs most between backends.
fn payloads() -> Vec<(String, Payload)> {
    let text =
        std::fs::read_to_string(repo_root().join("tests/fixtures/sdk/oracle.jsonl")).unwrap();
    let mut prepared = Vec::new();
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let file = record["file"].as_str().unwrap();
        let request = RunRequest {
            file_name: file.to_owned(),
            source: std::fs::read_to_string(repo_root().join(file)).unwrap(),
            function: record["function"].as_str().unwrap().to_owned(),
            line: record["def_line"].as_u64().map(|line| line as u32),
            args: None,
            call_site: record["call"]["line"].as_u64().map(|line| line as u32),
            analysis: None,
            name_at: None,
        };
        if let Ok(ready) = prepare(&request) {
            prepared.push((format!("{file} {}", request.function), ready.payload));
        }
    }
    assert!(prepared.len() > SAMPLE, "only {} prepare", prepared.len());
    let step = prepared.len() / SAMPLE;
    let mut sample: Vec<(String, Payload)> = prepared
        .iter()
        .step_by(step)
        .take(SAMPLE)
        .cloned()
        .collect();
    for (name, payload) in &prepared {
        let named = sample.iter().any(|(other, _)| other == name);
        if payload.temp_dir != "/tmp" && !named {
            sample.push((name.clone(), payload.clone()));
        }
    }
    sample
}

/// What the SDK's caller sees; durations, notes and the interpreter's path differ by
/// backend.
fn observable(outcome: &Outcome) -> Value {
    serde_json::json!({
        "outcome": outcome.outcome,
        "value_repr": outcome.value_repr,
        "value_json": outcome.value_json,
        "value_type": outcome.value_type,
        "exception_type": outcome.exception_type,
        "exception_message": outcome.exception_message,
        "traceback": outcome.traceback,
        "stdout": outcome.stdout,
        "stderr": outcome.stderr,
        "code": outcome.code,
        "message": outcome.message,
        "python_version": outcome.python_version,
        "image": outcome.image,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_outcomes_match_local_ones() {
    let server = Server::start(&[]);
    let remote = Arc::new(server.backend());
    let grpc = Arc::new(server.cwsandbox_backend());
    let local = Arc::new(LocalBackend::default());
    let limits = Limits {
        timeout: Duration::from_secs(20),
        ..Limits::default()
    };
    let sample = payloads();
    let mut kinds = std::collections::BTreeSet::new();
    let mut differences = Vec::new();
    // Four at a time: the machine may have two cores, and both backends share them.
    for chunk in sample.chunks(4) {
        let mut runs = Vec::new();
        for (name, payload) in chunk.iter().cloned() {
            let (remote, grpc, local, limits) =
                (remote.clone(), grpc.clone(), local.clone(), limits.clone());
            runs.push(tokio::spawn(async move {
                let here = local.run(&payload, &limits, CancellationToken::new()).await;
                let there = remote
                    .run(&payload, &limits, CancellationToken::new())
                    .await;
                let over_grpc = grpc.run(&payload, &limits, CancellationToken::new()).await;
                (name, here, there, over_grpc)
            }));
        }
        for run in runs {
            let (name, here, there, over_grpc) = run.await.unwrap();
            assert_eq!(there.backend.as_deref(), Some("aviato"));
            assert_eq!(over_grpc.backend.as_deref(), Some("cwsandbox"));
            kinds.insert(here.outcome.as_str());
            let (here, there, over_grpc) = (
                observable(&here),
                observable(&there),
                observable(&over_grpc),
            );
            if here != there {
                differences.push(format!("{name}:\n  local  {here}\n  aviato {there}"));
            }
            if here != over_grpc {
                differences.push(format!(
                    "{name}:\n  local     {here}\n  cwsandbox {over_grpc}"
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}\n{}",
        differences.len(),
        sample.len(),
        differences.join("\n"),
        server.log()
    );
    assert!(
        kinds.contains("ok") && kinds.contains("raised"),
        "the sample covers only {kinds:?}"
    );
    server.assert_nothing_left();
}
