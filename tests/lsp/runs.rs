//! "Run in sandbox" over LSP: lenses, `aviato.run` and its results in inlay hints,
//! diagnostics and lenses, cancellation, and runs on documents edited meanwhile.
//! The runs are real: the local bubblewrap backend.

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::client::{Server, TIMEOUT, capabilities};

const URI: &str = "file:///tmp/aviato-lsp-tests/runs.py";

pub const SOURCE: &str = r#"import asyncio

from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def add(x, y):
            print("adding", x, y)
            return x + y

        @session.function()
        def check(x):
            if x < 0:
                raise ValueError("x must be non-negative")
            return x

        print(await add(2, 3))
        print(await check(-1))


asyncio.run(main())
"#;

/// A function that runs until stopped, in a process whose command line holds
/// its argument, so the test can see it in `/proc`.
const SPIN: &str = r#"import asyncio

from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def spin(marker):
            import subprocess
            import sys

            subprocess.run([sys.executable, "-c", "import time; time.sleep(60)", marker])

        @session.function()
        def slow_fail(seconds):
            import time

            time.sleep(seconds)
            raise RuntimeError("late")

        print(await spin("x"), await slow_fail(1))


asyncio.run(main())
"#;

/// The 0-based line of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in text")) as u64
}

fn open(source: &str) -> Server {
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, source);
    server.diagnostics(URI, 1);
    server
}

fn run_arguments(function: &str, def_line: u64) -> Value {
    json!({"uri": URI, "function": function, "line": def_line + 1})
}

/// A marker no other process has in its command line.
fn marker() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("aviato-spin-{}-{nanos}", std::process::id())
}

/// The processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(marker)
        {
            found.push(pid);
        }
    }
    found
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `spin` with a fresh marker and waits until its process runs.
fn start_spin(server: &mut Server) -> (Value, String) {
    let marker = marker();
    let mut arguments = run_arguments("spin", line_of(SPIN, "def spin"));
    arguments["args"] = json!(format!("{marker:?}"));
    let id = server.send_command("aviato.run", arguments);
    wait_until("the sandbox runs", || !processes_with(&marker).is_empty());
    (id, marker)
}

fn assert_gone(marker: &str) {
    wait_until("no sandbox process is left", || {
        processes_with(marker).is_empty()
    });
}

fn lens_title(lenses: &[Value], line: u64) -> String {
    lenses
        .iter()
        .find(|lens| lens["range"]["start"]["line"] == line)
        .unwrap_or_else(|| panic!("no lens on line {line}: {lenses:#?}"))["command"]["title"]
        .as_str()
        .unwrap()
        .to_string()
}

fn run_diagnostics(diagnostics: &[Value]) -> Vec<Value> {
    diagnostics
        .iter()
        .filter(|diagnostic| diagnostic["source"] == "aviato-run")
        .cloned()
        .collect()
}

#[test]
fn lenses_run_functions_and_literal_call_sites() {
    let mut server = open(SOURCE);
    let lenses = server.code_lenses(URI);
    let add = line_of(SOURCE, "def add");
    let check = line_of(SOURCE, "def check");
    let call_add = line_of(SOURCE, "await add(2, 3)");
    let call_check = line_of(SOURCE, "await check(-1)");
    let summary: Vec<(u64, &str, &str, Value)> = lenses
        .iter()
        .map(|lens| {
            (
                lens["range"]["start"]["line"].as_u64().unwrap(),
                lens["command"]["title"].as_str().unwrap(),
                lens["command"]["command"].as_str().unwrap(),
                lens["command"]["arguments"][0].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // Above the decorator, naming the `def` line.
            (
                add - 1,
                "▶ Run in sandbox",
                "aviato.run",
                run_arguments("add", add)
            ),
            (
                call_add,
                "▶ Run add(2, 3)",
                "aviato.run",
                json!({"uri": URI, "function": "add", "line": add + 1, "callSite": call_add + 1}),
            ),
            (
                check - 1,
                "▶ Run in sandbox",
                "aviato.run",
                run_arguments("check", check)
            ),
            (
                call_check,
                "▶ Run check(-1)",
                "aviato.run",
                json!({"uri": URI, "function": "check", "line": check + 1, "callSite": call_check + 1}),
            ),
        ]
    );
}

/// Prints, sleeps, prints: its first line is output long before it returns.
const SLOW_PRINTER: &str = r#"import asyncio

from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def slow():
            import sys
            import time

            print("first")
            print("warning", file=sys.stderr)
            time.sleep(1.5)
            print("second")
            return 1

        print(await slow())


asyncio.run(main())
"#;

#[test]
fn output_reaches_the_client_while_the_function_runs() {
    let mut server = open(SLOW_PRINTER);
    let id = server.send_command(
        "aviato.run",
        run_arguments("slow", line_of(SLOW_PRINTER, "def slow")),
    );
    let first = server.notification("aviato/runOutput", |params| params["stream"] == "stdout");
    assert_eq!(first["text"], "first\n");
    let waiting = server.messages_within(Duration::ZERO);
    assert!(
        !waiting.iter().any(|message| message.get("id") == Some(&id)),
        "the run ended before its first output arrived: {waiting:#?}"
    );
    let stderr = waiting
        .iter()
        .find(|message| message["method"] == "aviato/runOutput")
        .map(|message| message["params"].clone())
        .unwrap_or_else(|| server.notification("aviato/runOutput", |_| true));
    assert_eq!(stderr["stream"], "stderr");
    assert_eq!(stderr["text"], "warning\n");
    let outcome = server.response(&id).unwrap();
    assert_eq!(outcome["outcome"], "ok", "{outcome:#}");
    assert_eq!(outcome["stdout"], "first\nsecond\n");
    // Sent before the answer.
    let second = server.notification("aviato/runOutput", |params| params["stream"] == "stdout");
    assert_eq!(second["text"], "second\n");
}

#[test]
fn a_run_answers_with_the_outcome_and_shows_the_value() {
    let mut server = open(SOURCE);
    let call_add = line_of(SOURCE, "await add(2, 3)");
    let lenses = server.code_lenses(URI);
    let call_lens = lenses
        .iter()
        .find(|lens| lens["range"]["start"]["line"] == call_add)
        .unwrap();
    let outcome = server.command("aviato.run", call_lens["command"]["arguments"][0].clone());
    assert_eq!(outcome["outcome"], "ok", "{outcome:#}");
    assert_eq!(outcome["value_repr"], "5");
    assert_eq!(outcome["value_json"], 5);
    assert_eq!(outcome["call_site"], call_add + 1);
    assert_eq!(outcome["stdout"], "adding 2 3\n");

    let output = server.notification("aviato/runOutput", |params| params["function"] == "add");
    assert_eq!(
        output,
        json!({"uri": URI, "function": "add", "line": line_of(SOURCE, "def add") + 1, "stream": "stdout", "text": "adding 2 3\n"})
    );
    server.notification("window/logMessage", |params| {
        params["message"].as_str().unwrap().contains("adding 2 3")
    });

    // "→ 5" after the `def` line and after the call.
    let def_line = line_of(SOURCE, "def add");
    let def_end = SOURCE.lines().nth(def_line as usize).unwrap().len();
    let call_line_text = SOURCE.lines().nth(call_add as usize).unwrap();
    let call_end = call_line_text.find("add(2, 3)").unwrap() + "add(2, 3)".len();
    let mut hints: Vec<(Value, Value)> = server
        .inlay_hints(URI, 100)
        .iter()
        .map(|hint| (hint["position"].clone(), hint["label"].clone()))
        .collect();
    hints.sort_by_key(|(position, _)| position["line"].as_u64());
    assert_eq!(
        hints,
        [
            (
                json!({"line": def_line, "character": def_end}),
                json!("→ 5")
            ),
            (
                json!({"line": call_add, "character": call_end}),
                json!("→ 5")
            ),
        ]
    );
    let title = lens_title(&server.code_lenses(URI), def_line - 1);
    assert!(
        title.starts_with("✓ 5 · ") && title.ends_with(" ms"),
        "{title}"
    );
}

#[test]
fn the_outcome_is_the_json_of_the_command_line_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.py");
    std::fs::write(&path, SOURCE).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .arg("run")
        .arg(&path)
        .args(["--function", "check", "--output-format", "json"])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();

    let uri = format!("file://{}", path.display());
    let (mut server, _) = Server::start(&[], None);
    server.open(&uri, 1, SOURCE);
    let lsp = server.command(
        "aviato.run",
        json!({"uri": uri, "function": "check", "line": line_of(SOURCE, "def check") + 1}),
    );
    let fields = |value: &Value| {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(fields(&lsp), fields(&cli));
    for field in [
        "outcome",
        "exception_type",
        "exception_message",
        "traceback",
        "call_site",
        "backend",
        "image",
    ] {
        assert_eq!(lsp[field], cli[field], "{field}");
    }
    assert_eq!(lsp["outcome"], "raised");
}

const CHAIN: &str = r#"from cwsandbox import SandboxDefaults, Session

ROWS = [" a", "b ", " a"]

with Session(SandboxDefaults()) as session:

    @session.function()
    def clean(rows: list) -> list:
        return sorted({row.strip() for row in rows})

    @session.function()
    def count(rows: list) -> dict:
        return {row: len(row) for row in rows}

    cleaned = clean.remote(ROWS).result()
    print(count.remote(cleaned).result())
"#;

/// An argument that an earlier sandbox call returned: the editor's run runs that
/// call first and uses its value, as the command line's does, and says so.
#[test]
fn a_run_in_the_editor_uses_the_value_of_an_earlier_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.py");
    std::fs::write(&path, CHAIN).unwrap();
    let call_site = line_of(CHAIN, "count.remote(cleaned)") + 1;
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .arg("run")
        .arg(&path)
        .args(["--function", "count", "--output-format", "json"])
        .args(["--call-site", &call_site.to_string()])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();

    let uri = format!("file://{}", path.display());
    let (mut server, _) = Server::start(&[], None);
    server.open(&uri, 1, CHAIN);
    let lsp = server.command(
        "aviato.run",
        json!({"uri": uri, "function": "count", "line": line_of(CHAIN, "def count") + 1,
               "callSite": call_site}),
    );
    assert_eq!(lsp["outcome"], "ok", "{lsp:#}");
    assert_eq!(lsp["value_json"], json!({"a": 1, "b": 1}));
    let earlier = line_of(CHAIN, "clean.remote(ROWS)") + 1;
    let note = lsp["note"].as_str().unwrap_or_default();
    assert!(
        note.contains(&format!("`clean.remote` at line {earlier}")),
        "{note}"
    );
    for field in ["outcome", "value_json", "call_site", "note"] {
        assert_eq!(lsp[field], cli[field], "{field}");
    }
}

#[test]
fn a_raise_is_a_diagnostic_at_the_raising_line_until_the_function_changes() {
    let mut server = open(SOURCE);
    let check = line_of(SOURCE, "def check");
    let raise = line_of(SOURCE, "raise ValueError");
    let outcome = server.command("aviato.run", run_arguments("check", check));
    assert_eq!(outcome["outcome"], "raised", "{outcome:#}");
    assert_eq!(outcome["exception_type"], "ValueError");

    let diagnostics = server.diagnostics(URI, 1);
    let run = run_diagnostics(&diagnostics);
    assert_eq!(run.len(), 1, "{diagnostics:#?}");
    let raise_text = SOURCE.lines().nth(raise as usize).unwrap();
    let indent = raise_text.len() - raise_text.trim_start().len();
    assert_eq!(
        run[0]["range"],
        json!({"start": {"line": raise, "character": indent}, "end": {"line": raise, "character": raise_text.len()}})
    );
    assert_eq!(run[0]["message"], "ValueError: x must be non-negative");
    assert_eq!(run[0]["severity"], 1);
    let related = run[0]["relatedInformation"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["location"]["range"]["start"]["line"], raise);
    assert_eq!(related[0]["message"], "raised here, in `check`");
    assert_eq!(
        lens_title(&server.code_lenses(URI), check - 1),
        "✗ ValueError: x must be non-negative"
    );

    // A line added above moves the diagnostic with the code.
    server.change(
        URI,
        2,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# note\n"}]),
    );
    let run = run_diagnostics(&server.diagnostics(URI, 2));
    assert_eq!(run.len(), 1);
    assert_eq!(run[0]["range"]["start"]["line"], raise + 1);
    assert_eq!(
        lens_title(&server.code_lenses(URI), check),
        "✗ ValueError: x must be non-negative"
    );

    // An edit in the function takes its result down.
    let condition = line_of(SOURCE, "if x < 0") + 1;
    server.change(
        URI,
        3,
        json!([{"range": {"start": {"line": condition, "character": 19}, "end": {"line": condition, "character": 20}}, "text": "-1"}]),
    );
    let diagnostics = server.diagnostics(URI, 3);
    assert_eq!(run_diagnostics(&diagnostics), Vec::<Value>::new());
    assert_eq!(
        lens_title(&server.code_lenses(URI), check),
        "▶ Run in sandbox"
    );
}

#[test]
fn running_again_replaces_the_last_result() {
    let mut server = open(SOURCE);
    let check = line_of(SOURCE, "def check");
    let raised = server.command("aviato.run", run_arguments("check", check));
    assert_eq!(raised["outcome"], "raised");
    assert_eq!(run_diagnostics(&server.diagnostics(URI, 1)).len(), 1);

    let mut with_args = run_arguments("check", check);
    with_args["args"] = json!("7");
    let ok = server.command("aviato.run", with_args);
    assert_eq!(ok["value_repr"], "7");
    assert_eq!(ok["call_site"], Value::Null);
    // Published again for the same version: the last publication has no run error.
    server.change(URI, 2, json!([]));
    assert_eq!(
        run_diagnostics(&server.diagnostics(URI, 2)),
        Vec::<Value>::new()
    );
    let hints = server.inlay_hints(URI, 100);
    assert_eq!(hints.len(), 1, "only after the def: no call site was used");
    assert_eq!(hints[0]["label"], "→ 7");
    assert_eq!(hints[0]["position"]["line"], check);
}

#[test]
fn cancel_run_stops_the_sandbox_while_the_server_keeps_serving() {
    let mut server = open(SPIN);
    let (id, marker) = start_spin(&mut server);

    // Lenses, hover and diagnostics keep coming while the run is in flight.
    let spin = line_of(SPIN, "def spin");
    assert_eq!(
        lens_title(&server.code_lenses(URI), spin - 1),
        "⏳ running… (click to cancel)"
    );
    let end = SPIN.lines().count();
    server.change(
        URI,
        2,
        json!([{"range": {"start": {"line": end, "character": 0}, "end": {"line": end, "character": 0}}, "text": "asyncio.run(\n"}]),
    );
    let diagnostics = server.diagnostics(URI, 2);
    assert!(
        diagnostics
            .iter()
            .any(|diagnostic| diagnostic["code"] == "AV001")
    );
    assert_eq!(
        lens_title(&server.code_lenses(URI), spin - 1),
        "⏳ running… (click to cancel)"
    );
    let hover = server
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": spin, "character": 13}}),
        )
        .unwrap();
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("`spin`")
    );
    assert_eq!(processes_with(&marker).len(), 1, "still running");

    // Named by the line the run was asked for, as clients do.
    let cancelled = server.command("aviato.cancelRun", run_arguments("spin", spin));
    assert_eq!(cancelled, true);
    assert!(
        processes_with(&marker).is_empty(),
        "cancelRun answers once the sandbox is gone"
    );
    let outcome = server.response(&id).unwrap();
    assert_eq!(outcome["outcome"], "killed");
    assert_eq!(outcome["message"], "cancelled");
    assert_eq!(outcome["cancelled"], true);
    assert_eq!(outcome["limit"], Value::Null);
    assert_eq!(outcome["summary"], "✗ cancelled");
    assert_eq!(
        lens_title(&server.code_lenses(URI), spin - 1),
        "✗ cancelled"
    );
    assert_eq!(
        server.command("aviato.cancelRun", run_arguments("spin", spin)),
        false
    );
}

#[test]
fn cancelling_the_request_stops_the_sandbox() {
    let mut server = open(SPIN);
    let (id, marker) = start_spin(&mut server);
    server.notify("$/cancelRequest", json!({"id": id}));
    let error = server.response(&id).unwrap_err();
    assert_eq!(error["code"], -32800, "RequestCancelled");
    assert_gone(&marker);
    // The server goes on: two functions, two literal calls.
    assert_eq!(server.code_lenses(URI).len(), 4);
}

#[test]
fn cancelling_the_progress_stops_the_sandbox() {
    let mut server = open(SPIN);
    let marker = marker();
    let mut arguments = run_arguments("spin", line_of(SPIN, "def spin"));
    arguments["args"] = json!(format!("{marker:?}"));
    let id = server.send_request(
        "workspace/executeCommand",
        json!({"command": "aviato.run", "arguments": [arguments], "workDoneToken": "run-1"}),
    );
    let begin = server.notification("$/progress", |params| params["token"] == "run-1");
    assert_eq!(begin["value"]["kind"], "begin");
    assert_eq!(begin["value"]["cancellable"], true);
    assert_eq!(begin["value"]["title"], "Running spin in sandbox");
    wait_until("the sandbox runs", || !processes_with(&marker).is_empty());

    server.notify("window/workDoneProgress/cancel", json!({"token": "run-1"}));
    let outcome = server.response(&id).unwrap();
    assert_eq!(outcome["outcome"], "killed");
    assert_gone(&marker);
    let end = server.notification("$/progress", |params| {
        params["token"] == "run-1" && params["value"]["kind"] == "end"
    });
    assert!(
        end["value"]["message"]
            .as_str()
            .unwrap()
            .contains("cancelled")
    );
}

#[test]
fn the_server_creates_progress_when_the_client_can_show_it() {
    let mut server = Server::spawn();
    let mut capabilities = capabilities(&[]);
    capabilities["window"]["workDoneProgress"] = json!(true);
    server.initialize(capabilities, None);
    server.open(URI, 1, SOURCE);
    let id = server.send_command(
        "aviato.run",
        run_arguments("add", line_of(SOURCE, "def add")),
    );
    let create = server.server_request("window/workDoneProgress/create");
    let token = create["params"]["token"].clone();
    server.reply(&create, Value::Null);
    let outcome = server.response(&id).unwrap();
    assert_eq!(outcome["value_repr"], "5");
    let begin = server.notification("$/progress", |params| {
        params["token"] == token && params["value"]["kind"] == "begin"
    });
    assert_eq!(
        begin["value"]["message"],
        "arguments of the first literal call"
    );
    let end = server.notification("$/progress", |params| {
        params["token"] == token && params["value"]["kind"] == "end"
    });
    assert_eq!(
        end["value"]["message"],
        "add returned 5 in ".to_string() + &outcome["duration_ms"].to_string() + " ms"
    );
}

#[test]
fn a_new_run_of_a_function_replaces_the_one_in_flight() {
    let mut server = open(SPIN);
    let (first, first_marker) = start_spin(&mut server);
    let (second, second_marker) = start_spin(&mut server);
    let replaced = server.response(&first).unwrap();
    assert_eq!(replaced["outcome"], "killed");
    assert_eq!(replaced["message"], "cancelled: replaced by a newer run");
    assert_eq!(replaced["cancelled"], true);
    assert!(
        replaced["report"].as_str().unwrap().starts_with("spin(\""),
        "{replaced:#}"
    );
    assert_gone(&first_marker);
    assert_eq!(processes_with(&second_marker).len(), 1);
    let spin = line_of(SPIN, "def spin");
    assert_eq!(
        server.command("aviato.cancelRun", run_arguments("spin", spin)),
        true
    );
    assert_eq!(server.response(&second).unwrap()["outcome"], "killed");
    assert_gone(&second_marker);
}

#[test]
fn a_run_on_a_document_edited_meanwhile_shows_where_the_code_is_now() {
    let mut server = open(SPIN);
    let slow_fail = line_of(SPIN, "def slow_fail");
    let raise = line_of(SPIN, "raise RuntimeError");
    let mut arguments = run_arguments("slow_fail", slow_fail);
    arguments["args"] = json!("1.5");

    // Two lines added above while it runs: the error shows two lines down.
    let id = server.send_command("aviato.run", arguments.clone());
    server.change(
        URI,
        2,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# one\n# two\n"}]),
    );
    let outcome = server.response(&id).unwrap();
    assert_eq!(outcome["outcome"], "raised", "{outcome:#}");
    server.change(URI, 3, json!([]));
    let run = run_diagnostics(&server.diagnostics(URI, 3));
    assert_eq!(run.len(), 1);
    assert_eq!(run[0]["range"]["start"]["line"], raise + 2);
    assert_eq!(run[0]["message"], "RuntimeError: late");

    // The function itself edited while it runs: nothing is shown for it.
    arguments["line"] = json!(slow_fail + 3);
    let id = server.send_command("aviato.run", arguments);
    let message_line = raise + 2;
    server.change(
        URI,
        4,
        json!([{"range": {"start": {"line": message_line, "character": 32}, "end": {"line": message_line, "character": 36}}, "text": "later"}]),
    );
    let outcome = server.response(&id).unwrap();
    assert_eq!(
        outcome["exception_message"], "late",
        "the code as it was sent"
    );
    server.change(URI, 5, json!([]));
    assert_eq!(
        run_diagnostics(&server.diagnostics(URI, 5)),
        Vec::<Value>::new()
    );
    assert_eq!(
        lens_title(&server.code_lenses(URI), slow_fail + 1),
        "▶ Run in sandbox"
    );
}

#[test]
fn a_function_that_cannot_run_says_why() {
    let source = SOURCE.replace("def check(x):", "async def check(x):");
    let mut server = open(&source);
    let check = line_of(&source, "async def check");
    let lenses = server.code_lenses(URI);
    let lens = lenses
        .iter()
        .find(|lens| lens["range"]["start"]["line"] == check - 1)
        .unwrap();
    let title = lens["command"]["title"].as_str().unwrap();
    assert!(
        title.starts_with("⊘ cannot run (AV101): `check` is an `async def`"),
        "{title}"
    );
    assert_eq!(lens["command"]["command"], "aviato.explain");
    assert!(
        !lenses
            .iter()
            .any(|lens| lens["command"]["title"] == "▶ Run check(-1)"),
        "no call-site lens for a function that cannot run"
    );

    let explained = server.command("aviato.explain", lens["command"]["arguments"][0].clone());
    assert_eq!(explained["outcome"], "refused");
    assert_eq!(explained["code"], "AV101");
    let shown = server.notification("window/showMessage", |_| true);
    assert!(
        shown["message"].as_str().unwrap().contains("AV101"),
        "{shown}"
    );
    // Running it anyway is refused the same way.
    let refused = server.command("aviato.run", run_arguments("check", check));
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(refused["code"], "AV101");
    assert_eq!(refused["message"], explained["message"]);
}

#[test]
fn bad_commands_are_errors_and_bad_targets_are_outcomes() {
    let mut server = open(SOURCE);
    let missing_argument = server.request(
        "workspace/executeCommand",
        json!({"command": "aviato.run", "arguments": []}),
    );
    assert_eq!(missing_argument.unwrap_err()["code"], -32602);
    let unknown = server.request(
        "workspace/executeCommand",
        json!({"command": "aviato.nothing", "arguments": [{}]}),
    );
    assert_eq!(unknown.unwrap_err()["code"], -32602);

    let no_such_function = server.command("aviato.run", run_arguments("subtract", 9));
    assert_eq!(no_such_function["outcome"], "error");
    assert!(
        no_such_function["message"]
            .as_str()
            .unwrap()
            .contains("no sandbox function `subtract` at line 10")
    );
    let mut bad_args = run_arguments("add", line_of(SOURCE, "def add"));
    bad_args["args"] = json!("2, (");
    assert_eq!(server.command("aviato.run", bad_args)["outcome"], "error");
    let closed = server.command(
        "aviato.run",
        json!({"uri": "file:///nonexistent/app.py", "function": "add", "line": 1}),
    );
    assert_eq!(closed["outcome"], "error");
    assert!(
        closed["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/app.py")
    );
}

#[test]
fn a_file_that_is_not_open_runs_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("on_disk.py");
    std::fs::write(&path, SOURCE).unwrap();
    let (mut server, _) = Server::start(&[], None);
    let outcome = server.command(
        "aviato.run",
        json!({"uri": format!("file://{}", path.display()), "function": "add", "line": line_of(SOURCE, "def add") + 1}),
    );
    assert_eq!(outcome["value_repr"], "5", "{outcome:#}");
}

#[test]
fn at_most_four_runs_at_once() {
    // Five functions that spin; the fifth waits for a turn.
    let spins: String = (0..5)
        .map(|n| {
            format!(
                "\n        @session.function()\n        def spin{n}(marker):\n            import subprocess\n            import sys\n\n            subprocess.run([sys.executable, \"-c\", \"import time; time.sleep(60)\", marker])\n"
            )
        })
        .collect();
    let source = SPIN.replace(
        "\n        @session.function()\n        def spin(marker):",
        &format!("{spins}\n        @session.function()\n        def spin(marker):"),
    );
    let mut server = open(&source);
    let markers: Vec<String> = (0..5).map(|n| format!("{}-{n}", marker())).collect();
    let mut ids = Vec::new();
    for (n, marker) in markers.iter().enumerate() {
        let mut arguments = run_arguments(
            &format!("spin{n}"),
            line_of(&source, &format!("def spin{n}")),
        );
        arguments["args"] = json!(format!("{marker:?}"));
        ids.push(server.send_command("aviato.run", arguments));
        if n < 4 {
            wait_until("the sandbox runs", || !processes_with(marker).is_empty());
        }
    }
    thread::sleep(Duration::from_millis(500));
    assert!(
        processes_with(&markers[4]).is_empty(),
        "a fifth run started"
    );

    let first = run_arguments("spin0", line_of(&source, "def spin0"));
    assert_eq!(server.command("aviato.cancelRun", first), true);
    assert_eq!(server.response(&ids[0]).unwrap()["outcome"], "killed");
    wait_until("the fifth run starts", || {
        !processes_with(&markers[4]).is_empty()
    });

    for (n, id) in ids.iter().enumerate().skip(1) {
        let arguments = run_arguments(
            &format!("spin{n}"),
            line_of(&source, &format!("def spin{n}")),
        );
        assert_eq!(server.command("aviato.cancelRun", arguments), true);
        assert_eq!(server.response(id).unwrap()["outcome"], "killed");
    }
    for marker in &markers {
        assert_gone(marker);
    }
}

#[test]
fn shutdown_and_the_end_of_input_stop_runs_in_flight() {
    let mut server = open(SPIN);
    let (id, marker) = start_spin(&mut server);
    assert_eq!(server.request("shutdown", Value::Null), Ok(Value::Null));
    assert!(
        processes_with(&marker).is_empty(),
        "shutdown answers once runs are stopped"
    );
    assert_eq!(server.response(&id).unwrap()["outcome"], "killed");
    server.notify("exit", Value::Null);
    assert_eq!(server.wait_for_exit().code(), Some(0));

    let mut server = open(SPIN);
    let (_, marker) = start_spin(&mut server);
    server.close_stdin();
    assert!(!server.wait_for_exit().success(), "no shutdown request");
    assert!(processes_with(&marker).is_empty());
}

#[test]
fn the_value_follows_a_signature_spread_over_lines() {
    let source = r#"import asyncio

from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def scale(
            value: int,
            factor: int = 2,
        ) -> int:
            return value * factor

        print(await scale(4))


asyncio.run(main())
"#;
    let mut server = open(source);
    let outcome = server.command(
        "aviato.run",
        run_arguments("scale", line_of(source, "def scale")),
    );
    assert_eq!(outcome["value_repr"], "8");
    let header_line = line_of(source, ") -> int:");
    let header_end = source.lines().nth(header_line as usize).unwrap().len();
    let positions: Vec<Value> = server
        .inlay_hints(URI, 100)
        .iter()
        .map(|hint| hint["position"].clone())
        .collect();
    assert!(
        positions.contains(&json!({"line": header_line, "character": header_end})),
        "{positions:?}"
    );
}

/// A call that is never awaited hands its caller a coroutine: the value of a
/// run with its arguments shows after the `def`, not after that call.
#[test]
fn no_value_after_a_call_that_is_never_awaited() {
    const NOT_AWAITED: &str = r#"import asyncio

from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def add(x, y):
            return x + y

        print(add(2, 3))


asyncio.run(main())
"#;
    let mut server = open(NOT_AWAITED);
    let def = line_of(NOT_AWAITED, "def add(");
    let call = line_of(NOT_AWAITED, "print(add(2, 3))");
    let outcome = server.command("aviato.run", run_arguments("add", def));
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(outcome["call_site"], call + 1, "{outcome}");
    let hints = server.inlay_hints(URI, 20);
    let lines: Vec<_> = hints
        .iter()
        .map(|hint| hint["position"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [def], "{hints:#?}");
    server.shutdown_and_exit();
}

const CWSANDBOX: &str = r#"from cwsandbox import Session

with Session() as session:

    @session.function()
    def add(x, y):
        return x + y

    total = add.remote(2, 3).result()
    add(1, 2)
"#;

#[test]
fn a_cwsandbox_file_runs_from_its_remote_call_and_shows_the_value_at_result() {
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, CWSANDBOX);
    let diagnostics = server.diagnostics(URI, 1);
    let direct = line_of(CWSANDBOX, "add(1, 2)");
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "AV107" && d["range"]["start"]["line"] == direct),
        "{diagnostics:#?}"
    );
    let call = line_of(CWSANDBOX, "add.remote(2, 3)");
    let lenses = server.code_lenses(URI);
    let lens = lenses
        .iter()
        .find(|lens| lens["range"]["start"]["line"] == call)
        .unwrap_or_else(|| panic!("no lens on the .remote call: {lenses:#?}"));
    assert_eq!(lens["command"]["title"], "▶ Run add.remote(2, 3)");
    let outcome = server.command("aviato.run", lens["command"]["arguments"][0].clone());
    assert_eq!(outcome["value_repr"], "5", "{outcome:#}");
    let text = CWSANDBOX.lines().nth(call as usize).unwrap();
    let after_result = text.find(".result()").unwrap() + ".result()".len();
    let hints = server.inlay_hints(URI, 20);
    assert!(
        hints.iter().any(|hint| hint["position"]
            == json!({"line": call, "character": after_result})
            && hint["label"] == "→ 5"),
        "{hints:#?}"
    );
}

const CWSANDBOX_FALLBACK: &str = r#"from cwsandbox import Session

ORDERS = [{"variant": "A", "n": 3}, {"variant": "B", "n": 5}]

with Session() as session:

    @session.function()
    def totals(rows):
        return {r["variant"]: r["n"] for r in rows}

    @session.function()
    def share(counts):
        total = sum(counts.values())
        return {k: round(v / total, 3) for k, v in counts.items()}

    counts = {}
    try:
        counts = totals.remote(ORDERS).result()
    except Exception:
        counts = {"A": 1}
    print(share.remote(counts).result())
"#;

/// A call whose argument only running the file gives has a lens that says it runs
/// the file up to the call; the run gives the value the SDK gives (the cwsandbox
/// oracle records the same `share` for these values in tests/cli/run.rs).
#[test]
fn a_call_only_running_the_file_explains_has_a_lens_that_runs_the_file() {
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, CWSANDBOX_FALLBACK);
    server.diagnostics(URI, 1);
    let call = line_of(CWSANDBOX_FALLBACK, "share.remote(counts)");
    let lenses = server.code_lenses(URI);
    let lens = lenses
        .iter()
        .find(|lens| lens["range"]["start"]["line"] == call)
        .unwrap_or_else(|| panic!("no lens on the share call: {lenses:#?}"));
    assert_eq!(
        lens["command"]["title"],
        "▶ Run share.remote(counts) (runs the file up to here)"
    );
    let outcome = server.command("aviato.run", lens["command"]["arguments"][0].clone());
    assert_eq!(
        outcome["value_json"],
        json!({"A": 0.375, "B": 0.625}),
        "{outcome:#}"
    );
}
