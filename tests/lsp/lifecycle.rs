//! Initialization, position-encoding negotiation and the ways a session ends.

use serde_json::{Value, json};

use crate::client::{CORRECT_SOURCE, Server, capabilities};

#[test]
fn utf8_is_negotiated_when_the_client_offers_it() {
    let (server, result) = Server::start(&["utf-16", "utf-8"], None);
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-8");
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    // 2 = incremental.
    assert_eq!(capabilities["textDocumentSync"]["change"], 2);
    assert_eq!(result["serverInfo"]["name"], "aviato-lsp");
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn utf16_is_negotiated_otherwise() {
    for offered in [&[][..], &["utf-16"], &["utf-32", "utf-16"]] {
        let (server, result) = Server::start(offered, None);
        assert_eq!(
            result["capabilities"]["positionEncoding"], "utf-16",
            "client offered {offered:?}"
        );
        assert_eq!(server.shutdown_and_exit().code(), Some(0));
    }
}

#[test]
fn requests_before_initialize_are_refused() {
    let mut server = Server::spawn();
    let error = server.request("shutdown", Value::Null).unwrap_err();
    // -32002: server not initialized.
    assert_eq!(error["code"], -32002);
    server.initialize(capabilities(&[]), None);
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn shutdown_then_exit_ends_the_process_with_status_zero_while_stdin_stays_open() {
    let (mut server, _) = Server::start(&[], None);
    server.open("untitled:one.py", 1, CORRECT_SOURCE);
    server.diagnostics("untitled:one.py", 1);
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn exit_without_shutdown_ends_the_process_with_an_error_status() {
    let (mut server, _) = Server::start(&[], None);
    server.notify("exit", Value::Null);
    let status = server.wait_for_exit();
    assert!(!status.success(), "{status:?}");
}

#[test]
fn closing_stdin_ends_the_process() {
    let (mut server, _) = Server::start(&[], None);
    server.open("untitled:one.py", 1, "def broken(:\n");
    server.close_stdin();
    server.wait_for_exit();

    let mut uninitialized = Server::spawn();
    uninitialized.close_stdin();
    uninitialized.wait_for_exit();
}

#[test]
fn logs_go_to_stderr_and_stdout_carries_only_protocol() {
    let (mut server, _) = Server::start(&["utf-8"], None);
    server.open("untitled:one.py", 1, CORRECT_SOURCE);
    server.diagnostics("untitled:one.py", 1);
    // The client's reader stops at the first frame that is not JSON-RPC; it still
    // reads the answer to this request.
    let error = server.request("aviato/unknown", json!({})).unwrap_err();
    assert_eq!(error["code"], -32601);
    server.wait_for_stderr("diagnostics for untitled:one.py (version 1)");
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn shutdown_and_exit_written_back_to_back_never_lose_the_reply() {
    for attempt in 0..20 {
        let (mut server, _) = Server::start(&[], None);
        let mut frames = Vec::new();
        for message in [
            json!({"jsonrpc": "2.0", "id": 1000, "method": "shutdown"}),
            json!({"jsonrpc": "2.0", "method": "exit"}),
        ] {
            let body = serde_json::to_vec(&message).unwrap();
            frames.extend(format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes());
            frames.extend(body);
        }
        // One write: the server reads `exit` right behind `shutdown`.
        server.send_raw(&frames);
        assert_eq!(
            server.response(&json!(1000)),
            Ok(Value::Null),
            "attempt {attempt}"
        );
        assert_eq!(server.wait_for_exit().code(), Some(0), "attempt {attempt}");
    }
}
