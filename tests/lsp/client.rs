//! A small JSON-RPC client over the stdio of a spawned `aviato-lsp server`. Every
//! wait has a deadline, so a hung server fails the test instead of hanging it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single wait may take (debug build, busy machine).
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for something else, oldest first.
    unread: VecDeque<Value>,
    stderr: Arc<Mutex<String>>,
    next_id: i64,
}

impl Server {
    /// Spawns the server without initializing it.
    pub fn spawn() -> Server {
        Server::spawn_in(None)
    }

    /// Spawns the server with `dir` as its working directory.
    pub fn spawn_in(dir: Option<&std::path::Path>) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"));
        command
            .arg("server")
            .env("AVIATO_LSP_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().expect("spawn aviato-lsp");
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();

        let (sender, incoming) = channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut buffer) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });

        Server {
            stdin: child.stdin.take(),
            child,
            incoming,
            unread: VecDeque::new(),
            stderr,
            next_id: 1,
        }
    }

    /// Spawns and initializes a server for a client with `capabilities(encodings)`.
    /// Returns the server and the `initialize` result.
    pub fn start(encodings: &[&str], initialization_options: Option<Value>) -> (Server, Value) {
        let mut server = Server::spawn();
        let result = server.initialize(capabilities(encodings), initialization_options);
        (server, result)
    }

    pub fn initialize(&mut self, capabilities: Value, options: Option<Value>) -> Value {
        let mut params = json!({"processId": null, "rootUri": null, "capabilities": capabilities});
        if let Some(options) = options {
            params["initializationOptions"] = options;
        }
        let result = self
            .request("initialize", params)
            .unwrap_or_else(|error| panic!("initialize failed: {error}"));
        self.notify("initialized", json!({}));
        result
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{what}\n--- unread messages ---\n{:#?}\n--- server stderr ---\n{}",
            self.unread,
            self.stderr.lock().unwrap()
        )
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend(body);
        self.send_raw(&frame);
    }

    /// Writes bytes as they are, framing included.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin.write_all(bytes).expect("write to server");
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response: `Ok(result)` or `Err(error)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.response(&id)
    }

    /// Sends a request without waiting for its response; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        json!(id)
    }

    /// Sends `workspace/executeCommand` with one argument, without waiting.
    pub fn send_command(&mut self, command: &str, argument: Value) -> Value {
        self.send_request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": [argument]}),
        )
    }

    /// `workspace/executeCommand` with one argument, and its result.
    pub fn command(&mut self, command: &str, argument: Value) -> Value {
        let id = self.send_command(command, argument);
        self.response(&id)
            .unwrap_or_else(|error| panic!("{command} failed: {error}"))
    }

    /// The code lenses of `uri`.
    pub fn code_lenses(&mut self, uri: &str) -> Vec<Value> {
        let lenses = self
            .request(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri}}),
            )
            .expect("codeLens");
        lenses.as_array().cloned().unwrap_or_default()
    }

    /// The inlay hints of the first `lines` lines of `uri`.
    pub fn inlay_hints(&mut self, uri: &str, lines: u32) -> Vec<Value> {
        let hints = self
            .request(
                "textDocument/inlayHint",
                json!({
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}},
                }),
            )
            .expect("inlayHint");
        hints.as_array().cloned().unwrap_or_default()
    }

    /// Waits for the response with `id` (which may be `null`).
    pub fn response(&mut self, id: &Value) -> Result<Value, Value> {
        let is_response =
            |message: &Value| message.get("method").is_none() && message.get("id") == Some(id);
        let response = self.wait_for(&format!("the response to request {id}"), is_response);
        match response.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(response["result"].clone()),
        }
    }

    /// Waits for the first message (read or unread) that `matches`, and removes it.
    pub fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.unread.iter().position(&matches) {
            return self.unread.remove(index).unwrap();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) if matches(&message) => return message,
                Ok(message) => self.unread.push_back(message),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}", self.failure(&format!("timed out waiting for {what}")))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "{}",
                        self.failure(&format!("server closed stdout; wanted {what}"))
                    )
                }
            }
        }
    }

    /// The next request the server sends to the client with `method`.
    pub fn server_request(&mut self, method: &str) -> Value {
        self.wait_for(&format!("a {method} request"), |message| {
            message["method"] == method && message.get("id").is_some()
        })
    }

    pub fn reply(&mut self, request: &Value, result: Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": result}));
    }

    /// Every message that arrives within `period`, after the unread ones.
    pub fn messages_within(&mut self, period: Duration) -> Vec<Value> {
        let deadline = Instant::now() + period;
        let mut messages: Vec<Value> = self.unread.drain(..).collect();
        while let Ok(message) = self
            .incoming
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            messages.push(message);
        }
        messages
    }

    /// The params of the next `method` notification that `matches`.
    pub fn notification(&mut self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let message = self.wait_for(&format!("a {method} notification"), |message| {
            message.get("id").is_none()
                && message["method"] == method
                && matches(&message["params"])
        });
        message["params"].clone()
    }

    /// The diagnostics published for `uri` at `version`, skipping those published
    /// for earlier versions.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let params = self.notification("textDocument/publishDiagnostics", |params| {
            params["uri"] == uri && params["version"] == version
        });
        params["diagnostics"].as_array().unwrap().clone()
    }

    /// The next diagnostics published for `uri`, whatever their version.
    pub fn next_diagnostics(&mut self, uri: &str) -> Value {
        self.notification("textDocument/publishDiagnostics", |params| {
            params["uri"] == uri
        })
    }

    pub fn open(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}}),
        );
    }

    /// Sends one `didChange` with `changes` (each a `contentChanges` entry).
    pub fn change(&mut self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    pub fn close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }

    pub fn configure(&mut self, settings: Value) {
        self.notify(
            "workspace/didChangeConfiguration",
            json!({"settings": settings}),
        );
    }

    /// Closes the server's stdin.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// `shutdown` then `exit`, and the process's exit status.
    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Ok(Value::Null), "shutdown");
        self.notify("exit", Value::Null);
        self.wait_for_exit()
    }

    /// Waits for the process to end, without closing its stdin.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                panic!("{}", self.failure("the server did not exit"));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the server's stderr contains `needle`.
    pub fn wait_for_stderr(&self, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.stderr.lock().unwrap().contains(needle) {
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.failure(&format!("{needle:?} never appeared on stderr"))
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The capabilities of a client that offers the position `encodings`
/// (`general.positionEncodings`, left out when empty).
pub fn capabilities(encodings: &[&str]) -> Value {
    let mut capabilities = json!({
        "textDocument": {"publishDiagnostics": {"relatedInformation": true, "versionSupport": true}},
        "window": {"showMessage": {}},
    });
    if !encodings.is_empty() {
        capabilities["general"] = json!({"positionEncodings": encodings});
    }
    capabilities
}

/// Reads one framed message; `None` at EOF or on a malformed frame.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = Some(value.trim().parse::<usize>().ok()?);
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Python source with a correct sandbox function, so that only the deliberate
/// syntax errors the tests add are reported, whatever rules the analysis has.
pub const CORRECT_SOURCE: &str = r#"import asyncio

from aviato import Sandbox, SandboxDefaults


async def main():
    defaults = SandboxDefaults(container_image="python:3.11")
    async with Sandbox.session(defaults) as session:

        @session.function()
        def greet(name: str) -> str:
            return "héllo, " + name

        print(await greet("wörld"))


asyncio.run(main())
"#;

/// The zero-based line and character of byte `offset` in `text`, counting
/// characters in `encoding` ("utf-8", "utf-16" or "utf-32"), computed here
/// independently of the server.
pub fn position_of(text: &str, offset: usize, encoding: &str) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let prefix = &text[line_start..offset];
    let character = match encoding {
        "utf-8" => prefix.len(),
        "utf-16" => prefix.encode_utf16().count(),
        "utf-32" => prefix.chars().count(),
        other => panic!("unknown encoding {other}"),
    };
    json!({"line": line, "character": character})
}

/// The byte offset of the protocol `position` in `text`, counting characters in
/// `encoding`: the inverse of [`position_of`].
pub fn offset_of(text: &str, position: &Value, encoding: &str) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let line_start = text
        .split_inclusive('\n')
        .take(line)
        .map(str::len)
        .sum::<usize>();
    let mut units = 0;
    for (at, c) in text[line_start..].char_indices() {
        if units >= character || c == '\n' {
            return line_start + at;
        }
        units += match encoding {
            "utf-8" => c.len_utf8(),
            "utf-16" => c.len_utf16(),
            _ => 1,
        };
    }
    text.len()
}

/// `text` with the protocol `edits` (`TextEdit`s, none overlapping) applied.
pub fn apply_edits(text: &str, edits: &[Value], encoding: &str) -> String {
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset_of(text, &edit["range"]["start"], encoding),
                offset_of(text, &edit["range"]["end"], encoding),
                edit["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort();
    let mut edited = text.to_string();
    for (start, end, new_text) in edits.into_iter().rev() {
        edited.replace_range(start..end, new_text);
    }
    edited
}

/// The protocol range of the first occurrence of `needle` in `text`.
pub fn range_of(text: &str, needle: &str, encoding: &str) -> Value {
    let start = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    json!({
        "start": position_of(text, start, encoding),
        "end": position_of(text, start + needle.len(), encoding),
    })
}
