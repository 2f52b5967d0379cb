//! Hover on a sandbox function: what will be sent, what the sandbox will lack, and
//! the last run.

use serde_json::{Value, json};

use crate::client::Server;
use crate::runs::line_of;

const URI: &str = "file:///tmp/aviato-lsp-tests/hover.py";

const SOURCE: &str = r#"import asyncio
import math

from aviato import Sandbox, SandboxDefaults

LIMIT = 2 ** 4


async def main():
    offset = 3
    defaults = SandboxDefaults(container_image="python:3.12")
    async with Sandbox.session(defaults) as session:

        @session.function(temp_dir="/scratch")
        @staticmethod
        def scaled(x):
            return math.sqrt(x) * LIMIT + offset

        print(await scaled(4))


asyncio.run(main())
"#;

fn hover(server: &mut Server, line: u64, character: u64) -> Value {
    server
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}),
        )
        .expect("hover")
}

#[test]
fn hover_tells_what_is_sent_and_what_is_missing() {
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, SOURCE);
    let def = line_of(SOURCE, "def scaled");
    let name_start = SOURCE
        .lines()
        .nth(def as usize)
        .unwrap()
        .find("scaled")
        .unwrap() as u64;

    let on_name = hover(&mut server, def, name_start + 2);
    assert_eq!(
        on_name["range"],
        json!({"start": {"line": def, "character": name_start}, "end": {"line": def, "character": name_start + 6}})
    );
    assert_eq!(on_name["contents"]["kind"], "markdown");
    let text = on_name["contents"]["value"].as_str().unwrap().to_string();
    let call = format!(
        "Runs with `scaled(4)` (line {})",
        line_of(SOURCE, "await scaled(4)") + 1
    );
    for expected in [
        "**`scaled`** runs in a sandbox · JSON · image `python:3.12` · temp_dir `/scratch`",
        &call,
        "- `LIMIT` (global) = `((2) ** (4))`",
        "- `offset` (closure) = `(3)`",
        "- `math`: a module: the SDK does not send it",
        "- `@staticmethod`: kept on the function, so the sandbox evaluates it",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(!text.contains("Last run"), "{text}");

    // The decorator shows the same; other code shows nothing.
    let decorator = line_of(SOURCE, "@session.function");
    let on_decorator = hover(&mut server, decorator, 10);
    assert_eq!(on_decorator["contents"]["value"], text.as_str());
    assert_eq!(hover(&mut server, def + 1, 20), Value::Null);

    // After a run, the outcome: `math` was not sent.
    let outcome = server.command(
        "aviato.run",
        json!({"uri": URI, "function": "scaled", "line": def + 1}),
    );
    assert_eq!(outcome["exception_type"], "NameError");
    let after = hover(&mut server, def, name_start);
    let text = after["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("Last run: ✗ NameError: name 'math' is not defined"),
        "{text}"
    );
}
