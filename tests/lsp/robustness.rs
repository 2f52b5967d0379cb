//! Bad input of every kind: the server answers or reports an error, and keeps
//! serving.

use serde_json::{Value, json};

use crate::client::{CORRECT_SOURCE, Server, position_of, range_of};

const URI: &str = "file:///nonexistent/aviato-lsp-tests/robust.py";

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// The server still analyses and answers requests.
fn assert_still_serving(server: &mut Server, version: i64) {
    let text = format!("{CORRECT_SOURCE}total = 7 42\n");
    server.open(URI, version, &text);
    let diagnostics = server.diagnostics(URI, version);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["range"], range_of(&text, "42", "utf-16"));
    let error = server
        .request("aviato/noSuchMethod", json!({}))
        .unwrap_err();
    // -32601: method not found.
    assert_eq!(error["code"], -32601);
}

#[test]
fn malformed_messages_get_errors_and_the_server_keeps_serving() {
    let (mut server, _) = Server::start(&[], None);

    // Not JSON: a parse error, answered with a null id.
    server.send_raw(&frame(r#"{"jsonrpc": "2.0", "method": "#));
    let error = server.response(&Value::Null).unwrap_err();
    // -32700: parse error.
    assert_eq!(error["code"], -32700);
    assert_still_serving(&mut server, 1);

    // JSON, but not JSON-RPC messages: invalid requests, answered with their id
    // when they have one.
    for (body, id) in [
        (r#"[1, 2, 3]"#, Value::Null),
        (r#"{"jsonrpc": "2.0"}"#, Value::Null),
        (r#""hello""#, Value::Null),
        (r#"{"jsonrpc": "2.0", "id": 5, "method": 12}"#, json!(5)),
        (r#"{"id": "six"}"#, json!("six")),
    ] {
        server.send_raw(&frame(body));
        let error = server.response(&id).unwrap_err();
        // -32600: invalid request.
        assert_eq!(error["code"], -32600, "{body}");
    }
    // Not UTF-8.
    server.send_raw(b"Content-Length: 4\r\n\r\n\xff\xfe{}");
    assert_eq!(server.response(&Value::Null).unwrap_err()["code"], -32700);
    assert_still_serving(&mut server, 2);

    // Bad headers, followed by a good message.
    server.send_raw(b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
    server.send_raw(b"X-Garbage: 1\r\n\r\n");
    server.send_raw(b"Content-Length: nope\r\n\r\n");
    assert_still_serving(&mut server, 3);

    // Params of the wrong shape: an error for a request, ignored for a notification.
    let error = server
        .request("textDocument/hover", json!({"position": "here"}))
        .unwrap_err();
    // -32602: invalid params.
    assert_eq!(error["code"], -32602);
    server.notify("textDocument/didOpen", json!({"textDocument": 42}));
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI}}),
    );
    server.notify("workspace/didChangeConfiguration", json!("not settings"));
    server.close("untitled:never-opened");
    server.change("untitled:never-opened", 3, json!([{"text": "x = 1"}]));
    // Settings of the wrong shape are shown to the user.
    server.configure(json!("not settings"));
    let message = server.notification("window/showMessage", |_| true);
    assert_eq!(message["type"], 1);
    assert_still_serving(&mut server, 4);
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

fn out_of_range_positions_are_clamped(encoding: &'static str) {
    let offered: &[&str] = if encoding == "utf-8" { &["utf-8"] } else { &[] };
    let (mut server, _) = Server::start(offered, None);
    let mut text = format!("{CORRECT_SOURCE}label = \"é😀\"; total = 7\n");
    server.open(URI, 1, &text);
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
    let last_line = text.lines().count() - 1;

    // A column past the end of a line: the end of that line, before its newline.
    let past_the_end = json!({"line": last_line, "character": 1_000_000});
    let change = json!({"range": {"start": past_the_end, "end": past_the_end}, "text": " 42"});
    server.change(URI, 2, json!([change]));
    text = text.replace("total = 7\n", "total = 7 42\n");
    let diagnostics = server.diagnostics(URI, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["range"], range_of(&text, "42", encoding));

    // A column inside the emoji (between its UTF-16 surrogates, or among its UTF-8
    // bytes): the start of the emoji.
    let mut inside = position_of(&text, text.find('😀').unwrap(), encoding);
    inside["character"] = json!(inside["character"].as_u64().unwrap() + 1);
    let change = json!({"range": {"start": inside, "end": inside}, "text": "#"});
    server.change(URI, 3, json!([change]));
    text = text.replace('😀', "#😀");
    let diagnostics = server.diagnostics(URI, 3);
    assert_eq!(diagnostics[0]["range"], range_of(&text, "42", encoding));

    // Past the end of the file, with the end before the start: the range between.
    let far = json!({"line": u32::MAX, "character": u32::MAX});
    let origin = json!({"line": 0, "character": 0});
    let change = json!({"range": {"start": far, "end": origin}, "text": "x = '😀'; y = 1 2\n"});
    server.change(URI, 4, json!([change]));
    text = "x = '😀'; y = 1 2\n".to_string();
    let diagnostics = server.diagnostics(URI, 4);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["range"], range_of(&text, "2", encoding));

    // Negative positions are not positions: the change is dropped, the text stays.
    let negative = json!({"line": -1, "character": 0});
    let change = json!({"range": {"start": negative, "end": far}, "text": ""});
    server.change(URI, 5, json!([change]));
    server.change(URI, 6, json!([]));
    let diagnostics = server.diagnostics(URI, 6);
    assert_eq!(diagnostics[0]["range"], range_of(&text, "2", encoding));
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn out_of_range_positions_are_clamped_in_utf16() {
    out_of_range_positions_are_clamped("utf-16");
}

#[test]
fn out_of_range_positions_are_clamped_in_utf8() {
    out_of_range_positions_are_clamped("utf-8");
}

#[test]
fn any_text_is_analysed() {
    let (mut server, _) = Server::start(&[], None);
    let texts = [
        "",
        "\n\n\n",
        "\u{0}\u{1}\u{7f}",
        "\u{feff}x = 1\n",
        "\r\r\n\n\r",
        "def f(:\n\t\t  return 😀\u{2028}\u{85}",
        "'''unterminated",
        "((((((((((((((((((((((((((((((((((((((((((((((((((",
    ];
    for (version, text) in (1..).zip(texts) {
        server.open(URI, version, text);
        let diagnostics = server.diagnostics(URI, version);
        for diagnostic in &diagnostics {
            assert_eq!(diagnostic["code"], "AV001", "{text:?}: {diagnostic:#}");
        }
    }
    assert_still_serving(&mut server, 100);
}

#[test]
fn a_document_too_large_to_analyse_is_said_so_and_the_server_keeps_serving() {
    let (mut server, _) = Server::start(&[], None);
    // 11 MB of a mistake the analysis would report in every function.
    let header = "import math\n\nimport cwsandbox\n\n";
    let function = "@session.function()\ndef f(x):\n    return math.sqrt(x)\n\n";
    let text = header.to_string() + &function.repeat(11_000_000 / function.len());
    server.open(URI, 1, &text);
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
    let message = server.notification("window/showMessage", |message| {
        message["message"]
            .as_str()
            .is_some_and(|text| text.contains("not analysed"))
    });
    assert!(
        message["message"].as_str().unwrap().contains("11.0 MB"),
        "{message:#}"
    );
    // Back under the limit, it is analysed again.
    server.change(URI, 2, json!([{"text": header.to_string() + function}]));
    assert!(!server.diagnostics(URI, 2).is_empty());
    assert_still_serving(&mut server, 3);
}
