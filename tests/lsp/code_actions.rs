//! Quick fixes and "Ignore AVxxx on this line": each action applied as the client
//! would, in each position encoding, and the diagnostic gone from what the server
//! publishes next; and `source.fixAll.aviato`, every safe fix at once.

use serde_json::{Value, json};

use crate::client::{Server, apply_edits};

const URI: &str = "file:///tmp/aviato-lsp-tests/fixes.py";

/// A file with one diagnostic whose rule offers a fix. Every file has non-ASCII
/// text before the edit on the edited line or the reported one, so that columns
/// differ between encodings.
struct Case {
    code: &'static str,
    fix: &'static str,
    /// Module-level statements.
    module: &'static str,
    /// The body of the session's `async with`.
    source: &'static str,
}

impl Case {
    fn text(&self) -> String {
        format!(
            "import asyncio\n\nfrom aviato import Sandbox\n{}\n\nasync def main():\n    async with Sandbox.session() as session:\n{}\n\n\nasyncio.run(main())\n",
            self.module, self.source
        )
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            code: "AV101",
            fix: "Remove `async` and run the body with `asyncio.run`",
            module: "",
            source: r#"
        @session.function()
        async def fetch(x):
            import asyncio

            await asyncio.sleep(0)
            return "é😀" + x

        print(await fetch("a"))"#,
        },
        Case {
            code: "AV102",
            fix: "Add `()`",
            module: "",
            source: r#"
        @session.function
        def double(x):
            return x * 2

        print("é😀", await double(2))"#,
        },
        Case {
            code: "AV103",
            fix: "Use `Serialization.PICKLE`",
            module: "",
            source: r#"
        @session.function(container_image="é😀", serialization="pickle")
        def double(x):
            return x * 2

        print(await double(2))"#,
        },
        Case {
            code: "AV106",
            fix: "Use `session.function()` directly",
            module: "",
            source: r#"
        remote = session.function

        @remote()
        def double(x):
            return x * 2

        print("é😀", await double(2))"#,
        },
        Case {
            code: "AV201",
            fix: "Import `math` inside `root`",
            module: "",
            source: r#"
        import math

        @session.function()
        def root(x):
            return "é😀" + str(math.sqrt(x))

        print(await root(4))"#,
        },
        Case {
            code: "AV202",
            fix: "Define `log` inside `shout`",
            module: "\nlog = print\n",
            source: r#"
        @session.function()
        def shout(x):
            log("é😀", x)
            return x

        print(await shout(4))"#,
        },
        Case {
            code: "AV204",
            fix: "Quote the annotation",
            module: "",
            source: r#"
        from fractions import Fraction

        @session.function()
        def size(label="é😀", p: Fraction = None) -> int:
            return 1

        print(await size())"#,
        },
        Case {
            code: "AV401",
            fix: "Add `await`",
            module: "",
            source: r#"
        @session.function()
        def add(x, y):
            return x + y

        print("é😀", add(1, 2))"#,
        },
        Case {
            code: "AV501",
            fix: "Use `/scratch`",
            module: "",
            source: r#"
        @session.function(container_image="é😀:1", temp_dir="scratch")
        def add(x, y):
            return x + y

        print(await add(1, 2))"#,
        },
    ]
}

fn with_code<'a>(diagnostics: &'a [Value], code: &str) -> Vec<&'a Value> {
    diagnostics
        .iter()
        .filter(|diagnostic| diagnostic["code"] == code)
        .collect()
}

fn code_actions(server: &mut Server, diagnostic: &Value) -> Vec<Value> {
    let actions = server
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": URI},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic], "only": ["quickfix"]},
            }),
        )
        .expect("codeAction");
    actions.as_array().cloned().unwrap_or_default()
}

/// Applies the action titled `title` for the only `code` diagnostic of `text`,
/// and returns the new text and what the server publishes for it.
fn apply_action(
    server: &mut Server,
    encoding: &str,
    text: &str,
    version: i64,
    code: &str,
    title: &str,
) -> (String, Vec<Value>) {
    let diagnostics = server.diagnostics(URI, version);
    let reported = with_code(&diagnostics, code);
    assert_eq!(reported.len(), 1, "{code} in\n{text}\n{diagnostics:#?}");
    let actions = code_actions(server, reported[0]);
    let action = actions
        .iter()
        .find(|action| action["title"] == title)
        .unwrap_or_else(|| panic!("no {title:?} for {code} ({encoding}): {actions:#?}"));
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["diagnostics"][0]["code"], code);
    let edits = action["edit"]["changes"][URI].as_array().unwrap();
    let edited = apply_edits(text, edits, encoding);
    server.change(URI, version + 1, json!([{"text": edited}]));
    let after = server.diagnostics(URI, version + 1);
    (edited, after)
}

#[test]
fn each_fix_removes_its_diagnostic_in_each_encoding() {
    for encoding in ["utf-8", "utf-16"] {
        let (mut server, result) = Server::start(&[encoding], None);
        assert_eq!(result["capabilities"]["positionEncoding"], encoding);
        for (index, case) in cases().into_iter().enumerate() {
            let version = 10 * index as i64;
            let source = case.text();
            server.open(URI, version, &source);
            let (fixed, after) =
                apply_action(&mut server, encoding, &source, version, case.code, case.fix);
            assert_eq!(
                with_code(&after, case.code),
                Vec::<&Value>::new(),
                "{} fix ({encoding}) left the diagnostic:\n{fixed}",
                case.code
            );
            assert!(
                with_code(&after, "AV001").is_empty(),
                "{} fix ({encoding}) broke the syntax:\n{fixed}",
                case.code
            );
            server.close(URI);
            server.next_diagnostics(URI);
        }
    }
}

#[test]
fn each_rule_can_be_ignored_on_its_line_in_each_encoding() {
    for encoding in ["utf-8", "utf-16"] {
        let (mut server, _) = Server::start(&[encoding], None);
        let mut cases = cases();
        // A rule without a fix, on a line that already has a comment.
        cases.push(Case {
            code: "AV302",
            fix: "",
            module: "",
            source: r#"
        @session.function()
        def pair(x):
            return ("é😀", x)  # a tuple

        print(await pair(1))"#,
        });
        for (index, case) in cases.into_iter().enumerate() {
            let version = 10 * index as i64;
            let source = case.text();
            server.open(URI, version, &source);
            let title = format!("Ignore {} on this line", case.code);
            let (ignored, after) =
                apply_action(&mut server, encoding, &source, version, case.code, &title);
            assert!(
                with_code(&after, case.code).is_empty(),
                "ignoring {} ({encoding}) left it:\n{ignored}",
                case.code
            );
            assert!(
                ignored.contains(&format!("# noqa: {}", case.code)),
                "{ignored}"
            );
            assert_eq!(
                ignored.lines().count(),
                source.lines().count(),
                "only a comment is added"
            );
            server.close(URI);
            server.next_diagnostics(URI);
        }
    }
}

#[test]
fn an_existing_noqa_comment_is_extended() {
    let (mut server, _) = Server::start(&[], None);
    let source = Case {
        code: "AV201",
        fix: "",
        module: "",
        source: r#"
        import math

        @session.function()
        def root(x):
            return ("é😀", math.sqrt(x))  # noqa: AV302

        print(await root(4))"#,
    }
    .text();
    server.open(URI, 1, &source);
    let (ignored, after) = apply_action(
        &mut server,
        "utf-16",
        &source,
        1,
        "AV201",
        "Ignore AV201 on this line",
    );
    assert!(
        ignored.contains("math.sqrt(x))  # noqa: AV302, AV201\n"),
        "{ignored}"
    );
    assert!(with_code(&after, "AV201").is_empty());
    assert!(with_code(&after, "AV302").is_empty());
}

#[test]
fn no_actions_away_from_diagnostics_or_for_other_kinds() {
    let (mut server, _) = Server::start(&[], None);
    let source = cases()[1].text();
    server.open(URI, 1, &source);
    let diagnostics = server.diagnostics(URI, 1);
    let nowhere = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}});
    let actions = server
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": nowhere, "context": {"diagnostics": []}}),
        )
        .unwrap();
    assert_eq!(actions, json!([]));
    let refactors = server
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": URI},
                "range": diagnostics[0]["range"],
                "context": {"diagnostics": [diagnostics[0]], "only": ["refactor"]},
            }),
        )
        .unwrap();
    assert_eq!(refactors, Value::Null);
}

#[test]
fn fix_all_applies_every_safe_fix_in_one_edit() {
    let (mut server, result) = Server::start(&[], None);
    let kinds = &result["capabilities"]["codeActionProvider"]["codeActionKinds"];
    assert!(
        kinds
            .as_array()
            .unwrap()
            .contains(&json!("source.fixAll.aviato")),
        "{kinds}"
    );
    let source = cases()[1].text().replace(
        "print(\"é😀\", await double(2))",
        "@session.function\n        def triple(x):  # noqa: AV999\n            return x * 3\n\n        print(\"é😀\", await double(2), await triple(2))",
    );
    server.open(URI, 1, &source);
    assert!(!server.diagnostics(URI, 1).is_empty());
    let fix_all = |server: &mut Server, only: &str| {
        let everywhere =
            json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}});
        server
            .request(
                "textDocument/codeAction",
                json!({
                    "textDocument": {"uri": URI},
                    "range": everywhere,
                    "context": {"diagnostics": [], "only": [only]},
                }),
            )
            .unwrap()
    };
    let actions = fix_all(&mut server, "source.fixAll");
    assert_eq!(actions[0]["kind"], "source.fixAll.aviato", "{actions:#}");
    let edits = actions[0]["edit"]["changes"][URI].as_array().unwrap();
    let fixed = apply_edits(&source, edits, "utf-16");
    assert_eq!(fixed.matches("@session.function()\n").count(), 2, "{fixed}");
    assert!(fixed.contains("def triple(x):\n"), "{fixed}");
    server.change(URI, 2, json!([{"text": fixed}]));
    assert_eq!(server.diagnostics(URI, 2), Vec::<Value>::new());
    assert_eq!(fix_all(&mut server, "source"), json!([]));
}
