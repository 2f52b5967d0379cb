//! Latency of the editor's requests on the generated 10,000-line file (code lenses,
//! inlay hints, hover), and click-to-result of "Run in sandbox" beside
//! `aviato-lsp run` on the same function. The real `aviato-lsp` binary over stdio,
//! timed from the request written to the response read.
//!
//! ```sh
//! cargo build --release -p aviato-lsp
//! cargo bench -p aviato-lsp-server --bench requests
//! ```
//!
//! `AVIATO_LSP=path` picks another binary.

#[path = "../../aviato-analysis/benches/generated.rs"]
mod generated;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SAMPLES: usize = 200;
const RUNS: usize = 30;

/// A trivial function, for click-to-result.
const TRIVIAL: &str = "import asyncio\n\nfrom aviato import Sandbox\n\n\nasync def main():\n    async with Sandbox.session() as session:\n\n        @session.function()\n        def add(x, y):\n            return x + y\n\n        print(await add(2, 3))\n\n\nasyncio.run(main())\n";

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(binary: &PathBuf) -> Client {
        let mut child = Command::new(binary)
            .arg("server")
            .env("AVIATO_LSP_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length:") {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                stdout.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let mut client = Client {
            child,
            stdin,
            incoming,
            next_id: 1,
        };
        client.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The result, and the time from writing the request to reading its response.
    fn request(&mut self, method: &str, params: Value) -> (Value, Duration) {
        let id = self.next_id;
        self.next_id += 1;
        let start = Instant::now();
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self
                .incoming
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answers");
            if message["id"] == id && message.get("method").is_none() {
                let elapsed = start.elapsed();
                assert!(message.get("error").is_none(), "{method}: {message}");
                return (message["result"].clone(), elapsed);
            }
        }
    }

    fn wait_for_diagnostics(&mut self, uri: &str) {
        loop {
            let message = self
                .incoming
                .recv_timeout(Duration::from_secs(60))
                .expect("diagnostics");
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return;
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
        );
        self.wait_for_diagnostics(uri);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let binary = std::env::var_os("AVIATO_LSP").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/aviato-lsp"),
        PathBuf::from,
    );
    assert!(
        binary.exists(),
        "{} is missing: `cargo build --release -p aviato-lsp` first, or set AVIATO_LSP",
        binary.display()
    );
    binary
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    (
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 95 / 100]),
    )
}

fn row(what: &str, samples: Vec<Duration>) -> f64 {
    let (p50, p95) = percentiles(samples);
    println!("| {what} | {p50:.2} | {p95:.2} |");
    p50
}

fn main() {
    let binary = binary();
    let source = generated::source();
    let lines: Vec<&str> = source.lines().collect();
    let uri = "file:///tmp/aviato-lsp-bench/generated.py";
    let mut client = Client::start(&binary);
    client.open(uri, &source);

    // Results to show: runs of the functions that can run (f3, f4, f8, f9, ...).
    let runnable: Vec<usize> = (0..generated::FUNCTIONS)
        .filter(|n| n % 5 >= 3)
        .take(20)
        .collect();
    for n in &runnable {
        let line = lines
            .iter()
            .position(|line| line.contains(&format!("def f{n}(")))
            .unwrap();
        let (outcome, _) = client.request(
            "workspace/executeCommand",
            json!({"command": "aviato.run", "arguments": [{"uri": uri, "function": format!("f{n}"), "line": line + 1}]}),
        );
        assert_eq!(outcome["outcome"], "ok", "f{n}: {outcome}");
    }
    let name_positions: Vec<(usize, usize)> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            let column = line.find("def f")?;
            let sandbox_function = line[column + 5..].starts_with(|c: char| c.is_ascii_digit());
            sandbox_function.then_some((index, column + 5))
        })
        .collect();

    println!(
        "file: {} lines, {} sandbox functions, {} with a run's result\n",
        lines.len(),
        generated::FUNCTIONS,
        runnable.len()
    );
    println!("| request | p50 (ms) | p95 (ms) |");
    println!("|---|---|---|");
    let document = json!({"uri": uri});
    let mut lens_count = 0;
    let lenses = row(
        "`textDocument/codeLens`, whole file",
        (0..SAMPLES)
            .map(|_| {
                let (lenses, elapsed) =
                    client.request("textDocument/codeLens", json!({"textDocument": document}));
                lens_count = lenses.as_array().unwrap().len();
                elapsed
            })
            .collect(),
    );
    let whole =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": lines.len(), "character": 0}});
    let hints = row(
        "`textDocument/inlayHint`, whole file",
        (0..SAMPLES)
            .map(|_| {
                client
                    .request(
                        "textDocument/inlayHint",
                        json!({"textDocument": document, "range": whole}),
                    )
                    .1
            })
            .collect(),
    );
    row(
        "`textDocument/inlayHint`, 60 visible lines",
        (0..SAMPLES)
            .map(|sample| {
                let start = (sample * 37) % (lines.len() - 60);
                let range = json!({"start": {"line": start, "character": 0}, "end": {"line": start + 60, "character": 0}});
                client
                    .request(
                        "textDocument/inlayHint",
                        json!({"textDocument": document, "range": range}),
                    )
                    .1
            })
            .collect(),
    );
    let hover = row(
        "`textDocument/hover` on a function name",
        (0..SAMPLES)
            .map(|sample| {
                let (line, column) = name_positions[sample % name_positions.len()];
                let (result, elapsed) = client.request(
                    "textDocument/hover",
                    json!({"textDocument": document, "position": {"line": line, "character": column}}),
                );
                assert!(result.is_object(), "no hover at {line}:{column}");
                elapsed
            })
            .collect(),
    );
    // The first lenses of a new revision wait for its analysis.
    let after_edit = row(
        "`textDocument/codeLens` right after an edit",
        (0..30)
            .map(|sample| {
                let version = sample + 2;
                client.notify(
                    "textDocument/didChange",
                    json!({
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"range": {"start": {"line": 7, "character": 0}, "end": {"line": 7, "character": 0}}, "text": "\n"}],
                    }),
                );
                client
                    .request("textDocument/codeLens", json!({"textDocument": document}))
                    .1
            })
            .collect(),
    );
    println!(
        "\n{lens_count} lenses; p50 targets (5 ms): codeLens {lenses:.2}, inlayHint {hints:.2}, hover {hover:.2}; after an edit {after_edit:.2}\n"
    );

    click_to_result(&binary);
}

/// "Run in sandbox" on a trivial function (from the request to the outcome, the
/// server running and the file open) beside `aviato-lsp run` on the same file,
/// interleaved.
fn click_to_result(binary: &PathBuf) {
    let dir = std::env::temp_dir().join(format!("aviato-lsp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("add.py");
    std::fs::write(&path, TRIVIAL).unwrap();
    let uri = format!("file://{}", path.display());
    let mut client = Client::start(binary);
    client.open(&uri, TRIVIAL);
    let arguments = json!({"command": "aviato.run", "arguments": [{"uri": uri, "function": "add", "line": 10}]});
    let mut lsp = Vec::new();
    let mut cli = Vec::new();
    for _ in 0..RUNS {
        let (outcome, elapsed) = client.request("workspace/executeCommand", arguments.clone());
        assert_eq!(outcome["value_repr"], "5");
        lsp.push(elapsed);
        let start = Instant::now();
        let output = Command::new(binary)
            .arg("run")
            .arg(&path)
            .args(["--function", "add", "--output-format", "json"])
            .output()
            .unwrap();
        cli.push(start.elapsed());
        assert!(output.status.success());
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "| click to result, trivial function ({RUNS} runs, interleaved) | p50 (ms) | p95 (ms) |"
    );
    println!("|---|---|---|");
    let lsp = row("`aviato.run` over LSP", lsp);
    let cli = row("`aviato-lsp run add.py --function add`", cli);
    println!(
        "\nLSP p50 / CLI p50: {:.2}x (target: within 1.5x)",
        lsp / cli
    );
}
