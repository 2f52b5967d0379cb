//! Incremental edits with multi-byte characters, in each negotiated encoding: the
//! server must apply them where the client meant and report ranges the client's way.

use std::ops::Range;

use serde_json::{Value, json};

use crate::client::{CORRECT_SOURCE, Server, position_of, range_of};

const URI: &str = "file:///nonexistent/aviato-lsp-tests/encodings.py";

/// Starts a server negotiating `encoding`.
fn start(encoding: &str) -> Server {
    let offered: &[&str] = match encoding {
        "utf-8" => &["utf-8", "utf-16"],
        _ => &[],
    };
    let (server, result) = Server::start(offered, None);
    assert_eq!(result["capabilities"]["positionEncoding"], encoding);
    server
}

/// The test's own copy of the document, in step with the server's.
struct Document {
    text: String,
    encoding: &'static str,
}

impl Document {
    /// A content change replacing the bytes `range` with `new`, applied to the copy.
    fn edit(&mut self, range: Range<usize>, new: &str) -> Value {
        let change = json!({
            "range": {
                "start": position_of(&self.text, range.start, self.encoding),
                "end": position_of(&self.text, range.end, self.encoding),
            },
            "text": new,
        });
        self.text.replace_range(range, new);
        change
    }

    /// The bytes of the last occurrence of `needle`: the line the test edits is last.
    fn find(&self, needle: &str) -> Range<usize> {
        let start = self.text.rfind(needle).unwrap();
        start..start + needle.len()
    }

    fn range_of(&self, needle: &str) -> Value {
        let bytes = self.find(needle);
        json!({
            "start": position_of(&self.text, bytes.start, self.encoding),
            "end": position_of(&self.text, bytes.end, self.encoding),
        })
    }
}

fn incremental_edits_with_multibyte_characters(encoding: &'static str) {
    let mut server = start(encoding);
    let mut document = Document {
        text: format!("{CORRECT_SOURCE}label = \"é😀中\"; total = 7\n"),
        encoding,
    };
    server.open(URI, 1, &document.text);
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());

    // Insert after the CJK character, then break the statement after the string.
    let after_cjk = document.find("中").end;
    let first = document.edit(after_cjk..after_cjk, "ñ🎉");
    let end_of_total = document.find("total = 7").end;
    let second = document.edit(end_of_total..end_of_total, " 42");
    server.change(URI, 2, json!([first, second]));
    assert_eq!(
        document.text.lines().last(),
        Some("label = \"é😀中ñ🎉\"; total = 7 42")
    );
    let diagnostics = server.diagnostics(URI, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["range"], document.range_of("42"));

    // Replace the emoji (a surrogate pair in UTF-16, 4 bytes in UTF-8) with two CJK
    // characters, and delete `é`: the diagnostic moves.
    let emoji = document.find("😀");
    let replace = document.edit(emoji, "漢字");
    let e_acute = document.find("é");
    let delete = document.edit(e_acute, "");
    server.change(URI, 3, json!([replace, delete]));
    assert_eq!(
        document.text.lines().last(),
        Some("label = \"漢字中ñ🎉\"; total = 7 42")
    );
    let diagnostics = server.diagnostics(URI, 3);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["range"], document.range_of("42"));

    // A range spanning a line break and multi-byte characters, then a fix.
    let span = document.find("main())\nlabel").start + "main())".len()..document.find("🎉").end;
    let rewrite = document.edit(span, "\nlabel = \"漢字中");
    let number = document.find(" 42");
    let fix = document.edit(number, "");
    server.change(URI, 4, json!([rewrite, fix]));
    assert_eq!(
        document.text.lines().last(),
        Some("label = \"漢字中\"; total = 7")
    );
    assert_eq!(server.diagnostics(URI, 4), Vec::<Value>::new());
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn incremental_edits_in_utf16() {
    incremental_edits_with_multibyte_characters("utf-16");
}

#[test]
fn incremental_edits_in_utf8() {
    incremental_edits_with_multibyte_characters("utf-8");
}

#[test]
fn diagnostic_after_a_non_ascii_line_in_utf16() {
    let mut server = start("utf-16");
    let text = "s = '😀😀'\nx = '😀' 42\n";
    server.open(URI, 1, text);
    let diagnostics = server.diagnostics(URI, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    // `😀` is two UTF-16 code units: `42` starts at character 9 of line 1 (it is at
    // byte 11, and character 8 counting code points).
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": {"line": 1, "character": 9}, "end": {"line": 1, "character": 11}})
    );
}

#[test]
fn same_text_same_error_in_each_encoding() {
    let text = format!("{CORRECT_SOURCE}# 注释 😀\r\nname = 'ünïcödé 😀' 42\r\n");
    for encoding in ["utf-8", "utf-16"] {
        let mut server = start(encoding);
        server.open(URI, 1, &text);
        let diagnostics = server.diagnostics(URI, 1);
        assert_eq!(diagnostics.len(), 1, "{encoding}: {diagnostics:#?}");
        assert_eq!(
            diagnostics[0]["range"],
            range_of(&text, "42", encoding),
            "{encoding}"
        );
    }
}
