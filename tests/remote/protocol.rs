//! The server's side of the protocol, call by call, with raw HTTP: the exact keys of
//! each response (a strict client refuses any other), in-band and Connect errors.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Server;

pub(crate) struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .body
            .as_object()
            .map(|object| object.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }

    /// A Connect error: the status, `application/json`, and only `code` and `message`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/json");
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.keys(), ["code", "message"], "{}", self.body);
        assert!(!self.body["message"].as_str().unwrap().is_empty());
    }
}

pub(crate) async fn post(url: &str, method: &str, body: Value) -> Reply {
    send(url, method, body.to_string(), &[]).await
}

pub(crate) async fn send(url: &str, method: &str, body: String, headers: &[(&str, &str)]) -> Reply {
    let mut all = reqwest::header::HeaderMap::new();
    all.insert("content-type", "application/json".parse().unwrap());
    all.insert("connect-protocol-version", "1".parse().unwrap());
    for (name, value) in headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
        all.insert(name, value.parse().unwrap());
    }
    let request = reqwest::Client::new()
        .post(format!(
            "{url}/coreweave.aviato.v1beta1.ATCService/{method}"
        ))
        .headers(all)
        .body(body);
    reply(request.send().await.unwrap()).await
}

pub(crate) async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    Reply {
        status,
        content_type,
        body,
    }
}

/// Starts a sandbox and waits until it runs.
pub(crate) async fn running_sandbox(url: &str) -> String {
    let started = post(
        url,
        "Start",
        json!({"containerImage": "python:3.11", "tags": ["t"]}),
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(started.keys(), ["sandboxId"]);
    let id = started.body["sandboxId"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = post(url, "Get", json!({"sandboxId": id})).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.keys(), ["sandboxStatus"], "{}", got.body);
        match got.body["sandboxStatus"].as_str().unwrap() {
            "SANDBOX_STATUS_RUNNING" => return id,
            "SANDBOX_STATUS_CREATING" => {}
            other => panic!("unexpected status {other}"),
        }
        assert!(Instant::now() < deadline, "never running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn each_method_answers_with_exactly_the_schema_fields() {
    let server = Server::start(&[]);
    let url = &server.url;
    let id = running_sandbox(url).await;

    let added = post(
        url,
        "AddFile",
        json!({"sandboxId": id, "filepath": "/tmp/in/data.txt", "fileContents": base64("payload"),
               "maxTimeoutSeconds": 30}),
    )
    .await;
    assert_eq!((added.status, added.keys()), (200, vec!["success"]));
    assert_eq!(added.body["success"], true);

    // Exec sees the file, writes one, and prints: stdout is base64, stderr text, and
    // an exit code of 0 is left out.
    let script = "import sys; data = open('/tmp/in/data.txt').read(); \
                  open('/tmp/out.txt', 'w').write(data.upper()); print(data); \
                  sys.stderr.write('note\\n')";
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", script], "maxTimeoutSeconds": 30}),
    )
    .await;
    assert_eq!(executed.status, 200, "{}", executed.body);
    assert_eq!(executed.keys(), ["result"]);
    assert_eq!(
        executed.body["result"],
        json!({"stdout": base64("payload\n"), "stderr": "note\n"})
    );

    let failed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", "raise SystemExit(3)"]}),
    )
    .await;
    assert_eq!(failed.body, json!({"result": {"exitCode": 3}}));

    let missing_program = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["no-such-program"]}),
    )
    .await;
    assert_eq!(missing_program.body["result"]["exitCode"], 127);

    let retrieved = post(
        url,
        "RetrieveFile",
        json!({"sandboxId": id, "filepath": "/tmp/out.txt", "maxTimeoutSeconds": 30}),
    )
    .await;
    assert_eq!(retrieved.keys(), ["fileContents", "success"]);
    assert_eq!(retrieved.body["fileContents"], base64("PAYLOAD"));

    // Soft failures are in-band: HTTP 200, `success` left out, `errorMessage` set.
    let absent = post(
        url,
        "RetrieveFile",
        json!({"sandboxId": id, "filepath": "/tmp/absent"}),
    )
    .await;
    assert_eq!((absent.status, absent.keys()), (200, vec!["errorMessage"]));
    let add = |path: &str| json!({"sandboxId": id, "filepath": path, "fileContents": base64("x")});
    post(url, "AddFile", add("/tmp/plain")).await;
    let in_the_way = post(url, "AddFile", add("/tmp/plain/below")).await;
    assert_eq!(
        (in_the_way.status, in_the_way.keys()),
        (200, vec!["errorMessage"])
    );
    // A path no sandbox may write is a Connect error.
    post(url, "AddFile", add("/etc/passwd"))
        .await
        .assert_error(400, "invalid_argument");

    // snake_case keys are read too.
    let got = post(url, "Get", json!({"sandbox_id": id})).await;
    assert_eq!(got.body, json!({"sandboxStatus": "SANDBOX_STATUS_RUNNING"}));

    assert_eq!(server.sandbox_dirs().len(), 1);
    let stopped = post(
        url,
        "Stop",
        json!({"sandboxId": id, "gracefulShutdownSeconds": 10}),
    )
    .await;
    assert_eq!(stopped.body, json!({"success": true}));
    post(url, "Get", json!({"sandboxId": id}))
        .await
        .assert_error(404, "not_found");
    post(url, "Stop", json!({"sandboxId": id}))
        .await
        .assert_error(404, "not_found");
    server.assert_nothing_left();
}

#[tokio::test]
async fn files_outside_tmp_make_their_directory_writable() {
    let server = Server::start(&[]);
    let url = &server.url;
    let id = running_sandbox(url).await;
    let added = post(
        url,
        "AddFile",
        json!({"sandboxId": id, "filepath": "/var/sandbox/temp/p.txt", "fileContents": base64("p")}),
    )
    .await;
    assert_eq!(added.body, json!({"success": true}));
    let script = "print(open('/var/sandbox/temp/p.txt').read()); \
                  open('/var/sandbox/temp/r.txt', 'w').write('r')";
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python3", "-c", script]}),
    )
    .await;
    assert_eq!(executed.body, json!({"result": {"stdout": base64("p\n")}}));
    let retrieved = post(
        url,
        "RetrieveFile",
        json!({"sandboxId": id, "filepath": "/var/sandbox/temp/r.txt"}),
    )
    .await;
    assert_eq!(retrieved.body["fileContents"], base64("r"));
    post(url, "Stop", json!({"sandboxId": id})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn a_command_past_its_limit_is_deadline_exceeded_and_killed() {
    let server = Server::start(&[]);
    let id = running_sandbox(&server.url).await;
    let began = Instant::now();
    let executed = post(
        &server.url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", "import time; time.sleep(60)"],
               "maxTimeoutSeconds": 1}),
    )
    .await;
    executed.assert_error(504, "deadline_exceeded");
    assert!(began.elapsed() < Duration::from_secs(10));
    assert!(server.sandbox_processes().is_empty());
    post(&server.url, "Stop", json!({"sandboxId": id})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn malformed_and_unknown_calls_are_connect_errors() {
    let server = Server::start(&[]);
    let url = &server.url;
    post(url, "List", json!({}))
        .await
        .assert_error(404, "unimplemented");
    post(url, "Delete", json!({"sandboxId": "sb-x"}))
        .await
        .assert_error(404, "unimplemented");
    let elsewhere = reqwest::Client::new()
        .post(format!("{url}/other.Service/Start"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    reply(elsewhere).await.assert_error(404, "unimplemented");

    let get = reqwest::get(format!("{url}/coreweave.aviato.v1beta1.ATCService/Get"))
        .await
        .unwrap();
    assert_eq!(get.headers()["allow"], "POST");
    reply(get).await.assert_error(405, "unimplemented");

    let proto = reqwest::Client::new()
        .post(format!("{url}/coreweave.aviato.v1beta1.ATCService/Start"))
        .header("content-type", "application/proto")
        .body("")
        .send()
        .await
        .unwrap();
    reply(proto).await.assert_error(415, "invalid_argument");

    send(url, "Start", "{not json".to_owned(), &[])
        .await
        .assert_error(400, "invalid_argument");
    send(
        url,
        "Start",
        "{}".to_owned(),
        &[("connect-protocol-version", "2")],
    )
    .await
    .assert_error(400, "invalid_argument");
    send(
        url,
        "Start",
        "{}".to_owned(),
        &[("content-encoding", "gzip")],
    )
    .await
    .assert_error(404, "unimplemented");
    post(url, "Get", json!({"sandboxId": 7}))
        .await
        .assert_error(400, "invalid_argument");

    for method in ["Get", "AddFile", "Exec", "RetrieveFile", "Stop"] {
        post(
            url,
            method,
            json!({"sandboxId": "sb-none", "command": ["true"]}),
        )
        .await
        .assert_error(404, "not_found");
    }
    let id = running_sandbox(url).await;
    post(url, "Exec", json!({"sandboxId": id}))
        .await
        .assert_error(400, "invalid_argument");
    post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", "print(1)\0"]}),
    )
    .await
    .assert_error(400, "invalid_argument");
    post(url, "Stop", json!({"sandboxId": id})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn the_sandbox_limit_is_resource_exhausted() {
    let server = Server::start(&["--max-sandboxes", "1"]);
    let id = running_sandbox(&server.url).await;
    post(&server.url, "Start", json!({}))
        .await
        .assert_error(429, "resource_exhausted");
    post(&server.url, "Stop", json!({"sandboxId": id})).await;
    let again = post(&server.url, "Start", json!({})).await;
    assert_eq!(again.status, 200);
    let id = again.body["sandboxId"].as_str().unwrap();
    post(&server.url, "Stop", json!({"sandboxId": id})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn a_token_is_required_when_set() {
    let server = Server::start(&["--token", "s3cret"]);
    let url = &server.url;
    post(url, "Start", json!({}))
        .await
        .assert_error(401, "unauthenticated");
    post(url, "List", json!({}))
        .await
        .assert_error(401, "unauthenticated");
    send(
        url,
        "Start",
        "{}".to_owned(),
        &[("authorization", "Bearer wrong")],
    )
    .await
    .assert_error(401, "unauthenticated");
    let started = send(
        url,
        "Start",
        "{}".to_owned(),
        &[("authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(started.status, 200);
    let id = started.body["sandboxId"].as_str().unwrap();
    let stop = json!({"sandboxId": id}).to_string();
    let stopped = send(url, "Stop", stop, &[("authorization", "Bearer s3cret")]).await;
    assert_eq!(stopped.body, json!({"success": true}));
    // The scheme's name is case-insensitive (RFC 7235); the token is not.
    for scheme in ["bearer", "BEARER"] {
        let authorization = format!("{scheme} s3cret");
        let got = send(
            url,
            "Get",
            json!({"sandboxId": "sb-none"}).to_string(),
            &[("authorization", &authorization)],
        )
        .await;
        got.assert_error(404, "not_found");
    }
    send(
        url,
        "Get",
        "{}".to_owned(),
        &[("authorization", "Bearer S3CRET")],
    )
    .await
    .assert_error(401, "unauthenticated");
    assert!(!server.log().contains("s3cret"), "{}", server.log());
    server.assert_nothing_left();
}

#[tokio::test]
async fn the_token_can_come_from_a_file_and_stays_out_of_ps() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "from-a-file-7c1e\n").unwrap();
    let server = Server::start(&["--token-file", file.to_str().unwrap()]);
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.pid())).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains("from-a-file-7c1e"));
    post(&server.url, "Start", json!({}))
        .await
        .assert_error(401, "unauthenticated");
    let started = send(
        &server.url,
        "Start",
        "{}".to_owned(),
        &[("authorization", "Bearer from-a-file-7c1e")],
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let stop = json!({"sandboxId": started.body["sandboxId"]}).to_string();
    let auth = [("authorization", "Bearer from-a-file-7c1e")];
    assert_eq!(
        send(&server.url, "Stop", stop, &auth).await.body,
        json!({"success": true})
    );
    server.assert_nothing_left();

    let both = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .args(["sandbox-server", "--listen", "127.0.0.1:0", "--token", "t"])
        .arg("--token-file")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .args(["sandbox-server", "--listen", "127.0.0.1:0", "--token-file"])
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the token file"));
}

#[tokio::test]
async fn idle_sandboxes_are_reaped() {
    let server = Server::start(&["--idle-ttl", "1"]);
    let id = running_sandbox(&server.url).await;
    assert_eq!(server.sandbox_dirs().len(), 1);
    let began = Instant::now();
    loop {
        let got = post(&server.url, "Get", json!({"sandboxId": id})).await;
        if got.status == 404 {
            got.assert_error(404, "not_found");
            break;
        }
        // Get touches the sandbox: ask less often than the TTL.
        assert!(began.elapsed() < Duration::from_secs(20), "never reaped");
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    assert!(began.elapsed() >= Duration::from_secs(1));
    server.assert_nothing_left();
    assert!(
        server.log().contains("idle past its TTL"),
        "{}",
        server.log()
    );
}

#[test]
fn only_loopback_unless_allowed() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .args(["sandbox-server", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
}

#[test]
fn a_stopped_server_removes_its_sandboxes() {
    let mut server = Server::start(&[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(running_sandbox(&server.url));
    assert_eq!(server.sandbox_dirs().len(), 1);
    server.signal(libc::SIGTERM);
    assert!(server.wait().success());
    assert!(server.sandbox_dirs().is_empty());
}
