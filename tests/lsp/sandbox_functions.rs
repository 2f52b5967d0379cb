//! `aviato/sandboxFunctions`: the sandbox functions of a document as the
//! server's analysis sees them, which clients use instead of scanning Python;
//! and `aviato.run` on functions that need arguments or only have defaults.

use serde_json::{Value, json};

use crate::client::Server;
use crate::runs::line_of;

const URI: &str = "file:///tmp/aviato-lsp-tests/sandbox_functions.py";

const SOURCE: &str = r#"import asyncio

from aviato import Sandbox


async def main(path):
    async with Sandbox.session() as session:

        @session.function()
        def add(x, y):
            return x + y

        @session.function()
        def scale(
            values: list[float],  # the data
            factor: float,
        ) -> list[float]:
            return [value * factor for value in values]

        @session.function()
        def greet(name: str = "world", *, punctuation="!"):
            return f"hello {name}{punctuation}"

        @session.function()
        def head(text: str, *, lines: int):
            return text.splitlines()[:lines]

        @session.function()
        async def fetch(url):
            return url

        print(await add(2, 3))
        print(await head(open(path).read(), lines=2))
        print(await fetch("x"))


asyncio.run(main("data.txt"))
"#;

fn open(options: Option<Value>) -> Server {
    let (mut server, _) = Server::start(&[], options);
    server.open(URI, 1, SOURCE);
    server.diagnostics(URI, 1);
    server
}

fn functions(server: &mut Server, position: Option<Value>) -> Vec<Value> {
    let mut params = json!({"textDocument": {"uri": URI}});
    if let Some(position) = position {
        params["position"] = position;
    }
    server
        .request("aviato/sandboxFunctions", params)
        .expect("aviato/sandboxFunctions")
        .as_array()
        .cloned()
        .expect("an array")
}

fn named<'a>(functions: &'a [Value], name: &str) -> &'a Value {
    functions
        .iter()
        .find(|function| function["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {functions:#?}"))
}

#[test]
fn advertised_in_the_capabilities() {
    let (server, result) = Server::start(&[], None);
    assert_eq!(
        result["capabilities"]["experimental"]["sandboxFunctions"],
        true
    );
    server.shutdown_and_exit();
}

#[test]
fn every_function_with_its_parameters_call_sites_and_runnability() {
    let mut server = open(None);
    let all = functions(&mut server, None);
    let names: Vec<_> = all
        .iter()
        .map(|function| function["name"].clone())
        .collect();
    assert_eq!(names, ["add", "scale", "greet", "head", "fetch"]);

    let add = named(&all, "add");
    let def = line_of(SOURCE, "def add(");
    let call = line_of(SOURCE, "await add(2, 3)");
    assert_eq!(add["line"], def + 1);
    assert_eq!(
        add["run"],
        json!({"uri": URI, "function": "add", "line": def + 1})
    );
    assert_eq!(add["range"]["start"]["line"], def - 1, "from the decorator");
    assert_eq!(add["range"]["end"]["line"], def + 1, "to the body's end");
    assert_eq!(
        add["nameRange"]["start"],
        json!({"line": def, "character": 12})
    );
    assert_eq!(add["signature"], "add(x, y)");
    assert_eq!(add["needsArguments"], true);
    assert_eq!(add["exampleArguments"], "1, 1");
    assert_eq!(add["defaultCallSite"], call + 1);
    assert_eq!(add["runsWithoutArguments"], true);
    assert_eq!(add["cannotRun"], Value::Null);
    assert_eq!(
        add["callSites"],
        json!([{
            "range": {"start": {"line": call, "character": 20}, "end": {"line": call, "character": 29}},
            "line": call + 1,
            "text": "add(2, 3)",
            "kind": "direct",
            "usable": true,
            "arguments": "(2), (3)",
            "notStatic": null,
        }])
    );
    assert_eq!(
        add["parameters"][0],
        json!({"name": "x", "kind": "positionalOrKeyword", "annotation": null, "default": null})
    );

    let scale = named(&all, "scale");
    assert_eq!(
        scale["signature"],
        "scale(values: list[float], factor: float)"
    );
    assert_eq!(scale["exampleArguments"], "[1.0], 1.0");
    assert_eq!(scale["needsArguments"], true);
    assert_eq!(scale["callSites"], json!([]));
    assert_eq!(scale["defaultCallSite"], Value::Null);
    assert_eq!(scale["runsWithoutArguments"], false);

    let greet = named(&all, "greet");
    assert_eq!(
        greet["signature"],
        "greet(name: str = \"world\", *, punctuation=\"!\")"
    );
    assert_eq!(greet["needsArguments"], false);
    assert_eq!(greet["runsWithoutArguments"], true);
    assert_eq!(greet["parameters"][1]["kind"], "keywordOnly");
    assert_eq!(greet["parameters"][1]["default"], "\"!\"");

    let head = named(&all, "head");
    assert_eq!(head["exampleArguments"], "\"text\", lines=1");
    let site = &head["callSites"][0];
    assert_eq!(site["arguments"], Value::Null);
    assert!(
        site["notStatic"].as_str().unwrap().contains("path"),
        "{site}"
    );
    assert_eq!(head["runsWithoutArguments"], false);

    let fetch = named(&all, "fetch");
    assert_eq!(fetch["cannotRun"]["code"], "AV101");
    assert!(
        fetch["cannotRun"]["message"]
            .as_str()
            .unwrap()
            .contains("async"),
        "{fetch}"
    );
    server.shutdown_and_exit();
}

#[test]
fn the_function_at_a_position_is_the_innermost_holding_it() {
    let mut server = open(None);
    let inside_scale = line_of(SOURCE, "return [value * factor");
    let found = functions(
        &mut server,
        Some(json!({"line": inside_scale, "character": 4})),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["name"], "scale");

    let on_decorator = line_of(SOURCE, "def greet(") - 1;
    let found = functions(
        &mut server,
        Some(json!({"line": on_decorator, "character": 9})),
    );
    assert_eq!(found[0]["name"], "greet");

    let outside = line_of(SOURCE, "asyncio.run(main(");
    assert_eq!(
        functions(&mut server, Some(json!({"line": outside, "character": 0}))),
        Vec::<Value>::new()
    );
    server.shutdown_and_exit();
}

#[test]
fn answered_with_code_lenses_turned_off() {
    let mut server = open(Some(json!({"codeLens": {"enable": false}})));
    assert!(server.code_lenses(URI).is_empty());
    assert_eq!(functions(&mut server, None).len(), 5);
    server.shutdown_and_exit();
}

#[test]
fn unknown_documents_have_none() {
    let mut server = open(None);
    let found = server
        .request(
            "aviato/sandboxFunctions",
            json!({"textDocument": {"uri": "file:///tmp/aviato-lsp-tests/not-open.py"}}),
        )
        .unwrap();
    assert_eq!(found, json!([]));
    server.shutdown_and_exit();
}

#[test]
fn runs_need_arguments_only_when_a_parameter_has_no_default() {
    let mut server = open(None);
    let greet = json!({"uri": URI, "function": "greet", "line": line_of(SOURCE, "def greet(") + 1});
    let outcome = server.command("aviato.run", greet);
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(outcome["value_repr"], "'hello world!'");

    let scale = json!({"uri": URI, "function": "scale", "line": line_of(SOURCE, "def scale(") + 1});
    let outcome = server.command("aviato.run", scale.clone());
    assert_eq!(outcome["outcome"], "refused", "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(
        message.contains("scale(values: list[float], factor: float)")
            && message.contains("`[1.0], 1.0`")
            && message.contains("never calls it"),
        "{message}"
    );
    assert!(
        !message.contains("--"),
        "names a command-line flag: {message}"
    );

    let mut typed = scale;
    typed["args"] = json!("[1.5, 2], nope");
    let outcome = server.command("aviato.run", typed);
    assert_eq!(outcome["outcome"], "error", "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(message.contains("`nope` is not defined"), "{message}");
    assert!(
        !message.contains("--"),
        "names a command-line flag: {message}"
    );
    server.shutdown_and_exit();
}

#[test]
fn cwsandbox_call_sites_by_kind() {
    const CWSANDBOX: &str = r#"from cwsandbox import SandboxDefaults, Session

with Session(SandboxDefaults()) as session:

    @session.function()
    def add(x, y):
        return x + y

    print(add(1, 2))
    print(add.remote(2, 3).result())
    print(list(add.map([(1, 2), (3, 4)])))
"#;
    const CW_URI: &str = "file:///tmp/aviato-lsp-tests/cwsandbox_functions.py";
    let (mut server, _) = Server::start(&[], None);
    server.open(CW_URI, 1, CWSANDBOX);
    server.diagnostics(CW_URI, 1);
    let found = server
        .request(
            "aviato/sandboxFunctions",
            json!({"textDocument": {"uri": CW_URI}}),
        )
        .unwrap();
    let sites = &found[0]["callSites"];
    let kinds: Vec<_> = sites
        .as_array()
        .unwrap()
        .iter()
        .map(|site| (site["kind"].clone(), site["usable"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("direct"), json!(false)),
            (json!("remote"), json!(true)),
            (json!("map"), json!(true)),
        ],
        "{found:#}"
    );
    assert_eq!(
        found[0]["defaultCallSite"],
        line_of(CWSANDBOX, "add.remote(2, 3)") + 1
    );
    server.shutdown_and_exit();
}
