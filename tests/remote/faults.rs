//! Faults between the aviato backend and its server: each is reported clearly, and no
//! sandbox is left behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aviato_exec::{
    ApiKey, AviatoBackend, AviatoConfig, Backend, CancellationToken, Limits, OutcomeKind, Payload,
};
use serde_json::{Value, json};

use crate::{Server, processes_naming};

fn limits(seconds: u64) -> Limits {
    Limits {
        timeout: Duration::from_secs(seconds),
        ..Limits::default()
    }
}

/// A call of `source`'s function, in a file whose name marks its processes.
fn call(marker: &str, function: &str, source: &str, args: &str) -> Payload {
    let mut payload = Payload::new(format!("/srv/{marker}/app.py"), function, source);
    payload.args_source = args.to_owned();
    payload
}

fn sleeper(marker: &str) -> Payload {
    call(
        marker,
        "nap",
        "def nap():\n    import time\n    time.sleep(60)\n    return 'woke'\n",
        "",
    )
}

fn unique(test: &str) -> String {
    format!("aviato-fault-{test}-{}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_run_is_reported_and_its_sandbox_dies() {
    let server = Server::start(&[]);
    let marker = unique("killed");
    let backend = server.backend();
    let payload = sleeper(&marker);
    let run = tokio::spawn(async move {
        backend
            .run(&payload, &limits(30), CancellationToken::new())
            .await
    });
    wait_for_processes(&marker).await;
    server.signal(libc::SIGKILL);
    let began = Instant::now();
    let outcome = run.await.unwrap();
    assert!(began.elapsed() < Duration::from_secs(15));
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    let message = outcome.message.unwrap();
    assert!(
        message.contains("Exec failed (unavailable)") && message.contains(&server.url),
        "{message}"
    );
    // The server could not be asked to stop the sandbox; the outcome says so.
    assert!(
        outcome
            .note
            .as_deref()
            .is_some_and(|note| note.contains("may still be running")),
        "{:?}",
        outcome.note
    );
    wait_until_gone(&marker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cancelled_mid_exec_is_killed_and_stopped() {
    let server = Server::start(&[]);
    let marker = unique("cancelled");
    let backend = server.backend();
    let payload = sleeper(&marker);
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let run = tokio::spawn(async move { backend.run(&payload, &limits(30), token).await });
    wait_for_processes(&marker).await;
    let began = Instant::now();
    cancel.cancel();
    let outcome = run.await.unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(outcome.outcome, OutcomeKind::Killed);
    assert_eq!(outcome.message.as_deref(), Some("cancelled"));
    assert_eq!(outcome.note, None);
    wait_until_gone(&marker).await;
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_run_still_stops_its_sandbox() {
    let server = Server::start(&[]);
    let marker = unique("dropped");
    let backend = server.backend();
    let payload = sleeper(&marker);
    let run = tokio::spawn(async move {
        backend
            .run(&payload, &limits(30), CancellationToken::new())
            .await
    });
    wait_for_processes(&marker).await;
    run.abort();
    wait_until_gone(&marker).await;
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_its_limit_times_out_and_is_stopped() {
    let server = Server::start(&[]);
    let marker = unique("timeout");
    let outcome = server
        .backend()
        .run(&sleeper(&marker), &limits(1), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("wall-clock limit of 1 s reached")
    );
    assert!(processes_naming(&marker).is_empty());
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_runs_each_get_their_own_value() {
    let server = Server::start(&["--max-sandboxes", "10"]);
    let backend = Arc::new(server.backend());
    let source = "def square(n):\n    import os\n    open('/tmp/mine', 'a').write(str(n))\n    \
                  return [n * n, open('/tmp/mine').read()]\n";
    let runs: Vec<_> = (0..10)
        .map(|n| {
            let backend = backend.clone();
            let payload = call(&unique("concurrent"), "square", source, &n.to_string());
            tokio::spawn(async move {
                backend
                    .run(&payload, &limits(60), CancellationToken::new())
                    .await
            })
        })
        .collect();
    for (n, run) in runs.into_iter().enumerate() {
        let outcome = run.await.unwrap();
        // Each sandbox's /tmp is its own: the file holds this run's number only.
        assert_eq!(
            outcome.value_repr.as_deref(),
            Some(format!("[{}, '{n}']", n * n).as_str()),
            "{outcome:?}"
        );
    }
    server.assert_nothing_left();
}

#[tokio::test]
async fn a_wrong_or_missing_key_says_to_check_it() {
    let server = Server::start(&["--token", "right"]);
    let payload = Payload::new("/srv/app.py", "f", "def f():\n    return 1\n");
    let run = |key: Option<&str>| {
        let config = AviatoConfig {
            api_key: key.and_then(ApiKey::new),
            ..server.config()
        };
        let payload = payload.clone();
        async move {
            AviatoBackend::new(config)
                .unwrap()
                .run(&payload, &limits(10), CancellationToken::new())
                .await
        }
    };
    let wrong = run(Some("wrong")).await;
    assert_eq!(wrong.outcome, OutcomeKind::Error);
    let message = wrong.message.unwrap();
    assert!(
        message.contains("refused the API key") && message.contains("check AVIATO_API_KEY"),
        "{message}"
    );
    assert!(
        !message.contains("wrong"),
        "the key is never shown: {message}"
    );
    let missing = run(None).await;
    assert!(missing.message.unwrap().contains("set AVIATO_API_KEY"));
    let right = run(Some("right")).await;
    assert_eq!(right.value_repr.as_deref(), Some("1"), "{right:?}");
    server.assert_nothing_left();
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = AviatoConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        ..AviatoConfig::default()
    };
    let outcome = AviatoBackend::new(config)
        .unwrap()
        .run(&sleeper("none"), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Error);
    let message = outcome.message.unwrap();
    assert!(
        message.contains("is unavailable") && message.contains("cannot connect"),
        "{message}"
    );
}

/// One request as the fake service received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    headers: Vec<(String, String)>,
    body: Value,
}

/// What the fake service answers to a request, given those before it: a 200 body, or
/// `None` to never answer (the connection stays open).
type Script = fn(&Received, &[Received]) -> Option<String>;

/// A hand-written service on a raw socket, recording every request.
fn fake_service(script: Script) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || serve(stream, &log, script));
        }
    });
    (url, received)
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Received>>, script: Script) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let method = request_line
            .split_whitespace()
            .nth(1)
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default()
            .to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map(|(_, value)| value.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        let request = Received {
            method,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        };
        let reply = {
            let mut log = log.lock().unwrap();
            let reply = script(&request, &log);
            log.push(request);
            reply
        };
        let Some(reply) = reply else {
            std::thread::sleep(Duration::from_secs(3600));
            return;
        };
        write!(
            writer,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
            reply.len()
        )
        .unwrap();
    }
}

fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Answers as a service of another schema generation might: snake_case keys, enums by
/// number, integers as strings, base64 stderr, fields this client does not know.
fn tolerant_script(request: &Received, before: &[Received]) -> Option<String> {
    use base64::Engine;
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let reply = match request.method.as_str() {
        "Start" => json!({"sandbox_id": "sb-fake", "startedAtTime": "2025-12-11T00:00:00Z"}),
        "Get" => json!({"sandbox_status": 2, "tower_id": "t1"}),
        "AddFile" => json!({"success": true}),
        "Exec" => json!({"result": {"stdout": encode(b"hi\n"), "stderr": encode(b"warn\n"),
                                    "exit_code": "0"}}),
        "RetrieveFile" => {
            let added = before.iter().find(|r| r.method == "AddFile").unwrap();
            let payload = added.body["fileContents"].as_str().unwrap();
            let payload = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .unwrap();
            let input: Value = serde_json::from_slice(&payload).unwrap();
            let nonce = input["nonce"].as_str().unwrap();
            let report = format!(
                "\n{nonce}\n{}\n",
                json!({"outcome": "ok", "value_repr": "42", "value_json": 42,
                       "value_type": "int", "python_version": "3.11.9"})
            );
            json!({"file_contents": encode(report.as_bytes()), "success": true})
        }
        "Stop" => json!({"success": true, "error_message": ""}),
        _ => return None,
    };
    Some(reply.to_string())
}

#[tokio::test]
async fn responses_are_read_tolerantly_and_requests_written_strictly() {
    let (url, received) = fake_service(tolerant_script);
    let config = AviatoConfig {
        base_url: url,
        ..AviatoConfig::default()
    };
    let payload = Payload::new("/srv/app.py", "f", "def f():\n    return 42\n");
    let outcome = AviatoBackend::new(config)
        .unwrap()
        .run(&payload, &limits(7), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    assert_eq!(outcome.value_repr.as_deref(), Some("42"));
    assert_eq!(
        (outcome.stdout.as_str(), outcome.stderr.as_str()),
        ("hi\n", "warn\n")
    );
    assert_eq!(outcome.backend.as_deref(), Some("aviato"));

    let received = received.lock().unwrap().clone();
    let methods: Vec<&str> = received.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        ["Start", "Get", "AddFile", "Exec", "RetrieveFile", "Stop"]
    );
    for request in &received {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(header("connect-protocol-version"), Some("1"));
        assert_eq!(header("authorization"), None, "no key, no header");
    }
    let bodies: Vec<&Value> = received.iter().map(|r| &r.body).collect();
    assert_eq!(
        *bodies[0],
        json!({"command": "tail", "args": ["-f", "/dev/null"], "tags": ["aviato-lsp"],
               "containerImage": "python:3.11", "maxLifetimeSeconds": 187})
    );
    assert_eq!(*bodies[1], json!({"sandboxId": "sb-fake"}));
    assert_eq!(
        keys(bodies[2]),
        ["fileContents", "filepath", "maxTimeoutSeconds", "sandboxId"]
    );
    assert!(
        bodies[2]["filepath"]
            .as_str()
            .unwrap()
            .starts_with("/tmp/aviato_request_")
    );
    assert_eq!(
        keys(bodies[3]),
        ["command", "maxTimeoutSeconds", "sandboxId"]
    );
    assert_eq!(bodies[3]["maxTimeoutSeconds"], 7);
    let command = bodies[3]["command"].as_array().unwrap();
    assert_eq!((&command[0], &command[1]), (&json!("python"), &json!("-c")));
    assert_eq!(command.last().unwrap(), "/srv/app.py");
    assert_eq!(
        keys(bodies[4]),
        ["filepath", "maxTimeoutSeconds", "sandboxId"]
    );
    assert!(
        bodies[4]["filepath"]
            .as_str()
            .unwrap()
            .starts_with("/tmp/aviato_result_")
    );
    assert_eq!(*bodies[5], json!({"sandboxId": "sb-fake"}));
}

/// Answers Start at once, and then nothing.
fn slow_script(request: &Received, _: &[Received]) -> Option<String> {
    (request.method == "Start").then(|| r#"{"sandboxId":"sb-slow"}"#.to_owned())
}

#[tokio::test]
async fn a_slow_service_times_out_and_the_requests_were_strict() {
    let (url, received) = fake_service(slow_script);
    let config = AviatoConfig {
        base_url: format!("{url}/"),
        api_key: ApiKey::new("k-123"),
        request_timeout: Duration::from_secs(1),
        ..AviatoConfig::default()
    };
    let began = Instant::now();
    let outcome = AviatoBackend::new(config)
        .unwrap()
        .run(&sleeper("slow"), &limits(5), CancellationToken::new())
        .await;
    let took = began.elapsed();
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    let message = outcome.message.as_deref().unwrap();
    assert!(
        message.contains("Get failed (deadline_exceeded)"),
        "{message}"
    );
    assert!(message.contains("within 1 s"), "{message}");
    let note = outcome.note.as_deref().unwrap();
    assert!(note.contains("sb-slow may still be running"), "{note}");
    // Get and Stop are tried three times each, one second apiece, with short pauses.
    assert!(took < Duration::from_secs(10), "{took:?}");

    let received = received.lock().unwrap().clone();
    let methods: Vec<&str> = received.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        ["Start", "Get", "Get", "Get", "Stop", "Stop", "Stop"]
    );
    let start = &received[0];
    assert_eq!(
        start.body,
        json!({"command": "tail", "args": ["-f", "/dev/null"], "tags": ["aviato-lsp"],
               "containerImage": "python:3.11", "maxLifetimeSeconds": 185})
    );
    let header = |name: &str| {
        start
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(header("connect-protocol-version"), Some("1"));
    assert_eq!(header("authorization"), Some("Bearer k-123"));
    assert_eq!(received[1].body, json!({"sandboxId": "sb-slow"}));
    assert_eq!(received[4].body, json!({"sandboxId": "sb-slow"}));
}

async fn wait_for_processes(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while processes_naming(marker).is_empty() {
        assert!(Instant::now() < deadline, "the sandbox never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_until_gone(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_naming(marker);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "left running: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
