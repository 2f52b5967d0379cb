//! `run.*`, `codeLens.*` and `inlayHints.*` settings, from `initializationOptions`
//! and `workspace/didChangeConfiguration`.

use serde_json::{Value, json};

use crate::client::Server;
use crate::runs::{SOURCE, line_of};

const URI: &str = "file:///tmp/aviato-lsp-tests/run-settings.py";

fn open(options: Option<Value>, source: &str) -> Server {
    let (mut server, _) = Server::start(&[], options);
    server.open(URI, 1, source);
    server.diagnostics(URI, 1);
    server
}

fn run_add(server: &mut Server) -> Value {
    server.command(
        "aviato.run",
        json!({"uri": URI, "function": "add", "line": line_of(SOURCE, "def add") + 1}),
    )
}

fn titles(server: &mut Server) -> Vec<String> {
    server
        .code_lenses(URI)
        .iter()
        .map(|lens| lens["command"]["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn lenses_and_inlay_hints_can_be_turned_off_and_on() {
    let options = json!({"codeLens": {"enable": false}, "inlayHints": {"showResults": false}});
    let mut server = open(Some(options), SOURCE);
    assert_eq!(
        server
            .request(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": URI}})
            )
            .unwrap(),
        Value::Null
    );
    assert_eq!(run_add(&mut server)["value_repr"], "5");
    assert_eq!(
        server
            .request(
                "textDocument/inlayHint",
                json!({"textDocument": {"uri": URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}}),
            )
            .unwrap(),
        Value::Null
    );

    // Lenses on, without results: the run's outcome stays out of the title.
    server.configure(json!({"aviato": {"codeLens": {"showResults": false}}}));
    assert_eq!(titles(&mut server)[0], "▶ Run in sandbox");
    assert_eq!(server.inlay_hints(URI, 99).len(), 2);

    server.configure(json!({"aviato": {}}));
    assert!(titles(&mut server)[0].starts_with("✓ 5 · "));
}

#[test]
fn the_timeout_and_limits_apply_to_runs() {
    let source = SOURCE
        .replace(
            "print(\"adding\", x, y)",
            "import time\n\n            print(\"x\" * 5000)\n            time.sleep(x)",
        )
        .replace("add(2, 3)", "add(0.2, 3)");
    let mut server = open(Some(json!({"run": {"limits": {"outputKb": 1}}})), &source);
    let def = line_of(&source, "def add");
    let outcome = server.command(
        "aviato.run",
        json!({"uri": URI, "function": "add", "line": def + 1}),
    );
    assert_eq!(outcome["outcome"], "ok", "{outcome:#}");
    assert_eq!(outcome["stdout_truncated"], true);
    assert_eq!(outcome["stdout"].as_str().unwrap().len(), 1024);

    server.configure(json!({"run": {"timeout": 1, "limits": {"outputKb": 1}}}));
    let outcome = server.command(
        "aviato.run",
        json!({"uri": URI, "function": "add", "line": def + 1, "args": "5, 1"}),
    );
    assert_eq!(outcome["outcome"], "timeout", "{outcome:#}");
    assert_eq!(titles(&mut server)[0], "⏱ timed out after 1 s");

    // A bad value is shown, and the settings before it stay.
    server.configure(json!({"run": {"limits": {"memoryMb": 0}}}));
    let shown = server.notification("window/showMessage", |_| true);
    assert!(
        shown["message"]
            .as_str()
            .unwrap()
            .contains("run.limits.memoryMb"),
        "{shown}"
    );
    let outcome = server.command(
        "aviato.run",
        json!({"uri": URI, "function": "add", "line": def + 1, "args": "5, 1"}),
    );
    assert_eq!(outcome["outcome"], "timeout");
}

/// A running `aviato-lsp sandbox-server` on a free port, and its URL.
struct SandboxServer {
    child: std::process::Child,
    url: String,
    _state: tempfile::TempDir,
}

impl SandboxServer {
    fn start() -> SandboxServer {
        let state = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
            .args(["sandbox-server", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        SandboxServer {
            child,
            url,
            _state: state,
        }
    }
}

impl Drop for SandboxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_aviato_backend_runs_on_a_sandbox_server() {
    let sandbox_server = SandboxServer::start();
    let options = json!({"run": {"backend": "aviato", "baseUrl": sandbox_server.url}});
    let mut server = open(Some(options), SOURCE);
    let outcome = run_add(&mut server);
    assert_eq!(outcome["outcome"], "ok", "{outcome:#}");
    assert_eq!(outcome["value_repr"], "5");
    assert_eq!(outcome["backend"], "aviato");

    // Nothing listens on port 1.
    server.configure(json!({"run": {"backend": "aviato", "baseUrl": "http://127.0.0.1:1"}}));
    let outcome = run_add(&mut server);
    assert_eq!(outcome["outcome"], "error", "{outcome:#}");
    server.configure(json!({"run": {"backend": "aviato", "baseUrl": "ftp://runner"}}));
    let outcome = run_add(&mut server);
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .starts_with("run.backend `aviato`: "),
        "{outcome:#}"
    );
}

#[test]
fn interpreter_and_images() {
    let mut server = open(None, SOURCE);
    // The file's image is the SDK's default, python:3.11.
    server.configure(json!({"run": {"images": {"python:3.11": "/nonexistent/python"}}}));
    let outcome = run_add(&mut server);
    assert_eq!(outcome["outcome"], "error");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("mapped to `/nonexistent/python`"),
        "{outcome:#}"
    );

    server.configure(
        json!({"run": {"images": {"python:3.11": "python3"}, "interpreter": "python3"}}),
    );
    let outcome = run_add(&mut server);
    assert_eq!(outcome["value_repr"], "5", "{outcome:#}");
    assert_eq!(outcome["note"], Value::Null);
}

#[test]
fn a_settings_change_asks_the_client_to_refresh_lenses_and_hints() {
    let mut capabilities = crate::client::capabilities(&[]);
    capabilities["workspace"] =
        json!({"codeLens": {"refreshSupport": true}, "inlayHint": {"refreshSupport": true}});
    let mut server = Server::spawn();
    server.initialize(capabilities, None);
    server.open(URI, 1, SOURCE);
    server.diagnostics(URI, 1);

    server.configure(json!({"aviato": {"codeLens": {"showResults": false}}}));
    let lenses = server.server_request("workspace/codeLens/refresh");
    server.reply(&lenses, Value::Null);
    let hints = server.server_request("workspace/inlayHint/refresh");
    server.reply(&hints, Value::Null);
}
