//! Diagnostics published on open and change, for the right version, cleared on close.

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{CORRECT_SOURCE, Server, range_of};

const URI: &str = "file:///nonexistent/aviato-lsp-tests/app.py";

/// `CORRECT_SOURCE` with a statement that does not parse: `7 42` is two
/// expressions with nothing between them, reported at `42`.
fn broken_source() -> String {
    format!("{CORRECT_SOURCE}total = 7 42\n")
}

fn assert_syntax_error_at(diagnostic: &Value, range: Value) {
    assert_eq!(diagnostic["range"], range, "{diagnostic:#}");
    assert_eq!(diagnostic["code"], "AV001");
    assert_eq!(diagnostic["source"], "aviato-lsp");
    // 1 = error.
    assert_eq!(diagnostic["severity"], 1);
    let message = diagnostic["message"].as_str().unwrap();
    assert!(message.starts_with("SyntaxError: "), "{message}");
}

#[test]
fn correct_code_has_no_diagnostics() {
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, CORRECT_SOURCE);
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
}

#[test]
fn syntax_error_on_open_then_fixed_then_cleared_on_close() {
    let (mut server, _) = Server::start(&[], None);
    let text = broken_source();
    server.open(URI, 1, &text);
    let diagnostics = server.diagnostics(URI, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_syntax_error_at(&diagnostics[0], range_of(&text, "42", "utf-16"));

    // Delete ` 42`.
    let start = range_of(&text, " 42", "utf-16");
    server.change(URI, 2, json!([{"range": start, "text": ""}]));
    assert_eq!(server.diagnostics(URI, 2), Vec::<Value>::new());

    // Break it again with a full-text change, then close.
    server.change(URI, 3, json!([{"text": text}]));
    assert_eq!(server.diagnostics(URI, 3).len(), 1);
    server.close(URI);
    let cleared = server.next_diagnostics(URI);
    assert_eq!(cleared["diagnostics"], json!([]), "{cleared:#}");
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn every_syntax_error_is_reported() {
    let (mut server, _) = Server::start(&[], None);
    let text = format!("x = 1 222\n{CORRECT_SOURCE}y = 3 444\n");
    server.open(URI, 1, &text);
    let diagnostics = server.diagnostics(URI, 1);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert_syntax_error_at(&diagnostics[0], range_of(&text, "222", "utf-16"));
    assert_syntax_error_at(&diagnostics[1], range_of(&text, "444", "utf-16"));
}

#[test]
fn a_burst_of_edits_publishes_few_times_and_never_a_stale_version() {
    let (mut server, _) = Server::start(&[], None);
    let broken = broken_source();
    server.open(URI, 1, CORRECT_SOURCE);
    server.diagnostics(URI, 1);

    // Alternate broken and correct texts, ending broken at version 31.
    let last_version = 31;
    for version in 2..=last_version {
        let text = if version % 2 == 1 {
            &broken
        } else {
            CORRECT_SOURCE
        };
        server.change(URI, version, json!([{"text": text}]));
    }
    let mut published = Vec::new();
    loop {
        let params = server.next_diagnostics(URI);
        let version = params["version"].as_i64().unwrap();
        published.push(params);
        if version == last_version {
            break;
        }
    }
    // Nothing arrives after the last version's diagnostics.
    let late: Vec<Value> = server
        .messages_within(Duration::from_millis(300))
        .into_iter()
        .filter(|message| message["method"] == "textDocument/publishDiagnostics")
        .collect();
    assert_eq!(late, Vec::<Value>::new());

    let versions: Vec<i64> = published
        .iter()
        .map(|params| params["version"].as_i64().unwrap())
        .collect();
    assert!(versions.is_sorted(), "{versions:?}");
    assert!(versions.len() <= 15, "not debounced: {versions:?}");
    // Every publication matches the text of its own version.
    for params in &published {
        let broken_version = params["version"].as_i64().unwrap() % 2 == 1;
        let count = params["diagnostics"].as_array().unwrap().len();
        assert_eq!(count, usize::from(broken_version), "{params:#}");
    }
}

#[test]
fn documents_are_independent() {
    let (mut server, _) = Server::start(&[], None);
    let other = "file:///nonexistent/aviato-lsp-tests/other.py";
    server.open(URI, 1, &broken_source());
    server.open(other, 7, CORRECT_SOURCE);
    assert_eq!(server.diagnostics(URI, 1).len(), 1);
    assert_eq!(server.diagnostics(other, 7), Vec::<Value>::new());

    server.close(URI);
    assert_eq!(server.next_diagnostics(URI)["diagnostics"], json!([]));
    // The other document still takes edits.
    server.change(other, 8, json!([{"text": broken_source()}]));
    assert_eq!(server.diagnostics(other, 8).len(), 1);
}

/// A `cwsandbox` program: its own rules (a direct call of the `RemoteFunction`, a
/// set argument strict JSON refuses), in the current SDK's words, with quick fixes.
const CWSANDBOX_SOURCE: &str = r#"from cwsandbox import Session, SandboxDefaults


def main() -> None:
    with Session(SandboxDefaults()) as session:

        @session.function()
        def add(x: int, y: int) -> int:
            return x + y

        @session.function()
        def count(labels) -> int:
            return len(labels)

        print(add(2, 3))
        print(count.remote({"a", "b"}).result())


main()
"#;

#[test]
fn cwsandbox_files_get_the_current_sdks_rules() {
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, CWSANDBOX_SOURCE);
    let diagnostics = server.diagnostics(URI, 1);
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|diagnostic| diagnostic["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["AV107", "AV301"], "{diagnostics:#?}");
    assert_eq!(
        diagnostics[0]["range"],
        range_of(CWSANDBOX_SOURCE, "add(2, 3)", "utf-16")
    );
    let direct = diagnostics[0]["message"].as_str().unwrap();
    assert!(direct.contains("add.remote(...).result()"), "{direct}");
    let set = diagnostics[1]["message"].as_str().unwrap();
    assert!(
        set.contains("Function arguments are not JSON-serializable: Object of type set"),
        "{set}"
    );
    assert!(!set.contains("await"), "{set}");
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}
