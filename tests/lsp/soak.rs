//! A short soak: 1,000 seeded random edits (valid lines, broken text, multi-byte
//! characters, deletions across lines, typing bursts, several changes in one
//! notification, undo) with hover, code lens, inlay hint and code action requests
//! in between (some cancelled) and runs in flight. The server must answer every request, never
//! publish diagnostics of an older version after a newer one, and say about the
//! final text, before and after a full-text sync, what a fresh server says about
//! it. `bench/soak.py` is the long version, with memory figures.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::{Server, TIMEOUT, position_of};

const URI: &str = "file:///tmp/aviato-lsp-tests/soak.py";
const EDITS: usize = 1_000;
const FUNCTIONS: usize = 24;

const BROKEN: &[&str] = &[
    "(",
    "[1, 2",
    "\"unterminated",
    "def (:",
    ")]}",
    " 42 43",
    "lambda",
    "@session.function(",
    ":",
    "\\",
];
const MULTIBYTE: &[&str] = &[
    "é",
    "中文",
    "😀",
    "'é😀中'",
    "  # commentaire: 😀 à côté\n",
    "ß = '€'\n",
    "\u{200d}",
    "𝔘",
];
const VALID_LINES: &[&str] = &[
    "x = 1",
    "print('héllo')",
    "values = [1, 2, 3]",
    "total += 1",
    "pass",
    "import os",
];

/// A file of sandbox functions, one in four with a mistake a rule reports.
fn source() -> String {
    let mut text = String::from(
        "import asyncio\nimport math\n\nfrom aviato import Sandbox\n\nTHRESHOLD = 10\n\n\n\
         async def main():\n    async with Sandbox.session() as session:\n",
    );
    for n in 0..FUNCTIONS {
        let result = if n % 4 == 0 {
            "math.sqrt(abs(total))"
        } else {
            "total"
        };
        text.push_str(&format!(
            "\n        @session.function()\n        def f{n}(values, offset=0):\n            \
             total = 0.0\n            for value in values:\n                total += value * offset\n            \
             label = \"héllo 😀\" if total > THRESHOLD else \"中文\"\n            \
             return {{\"total\": {result}, \"label\": label}}\n"
        ));
    }
    text.push('\n');
    for n in 0..FUNCTIONS {
        text.push_str(&format!("        print(await f{n}([1.0, 2.0], {n}))\n"));
    }
    text.push_str("\n\nasyncio.run(main())\n");
    text
}

/// xorshift64*: the same edits on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The client's copy of the text, and the edits that undo the ones made.
struct Mirror {
    text: String,
    /// (start, end of the inserted text, the text it replaced), last first out.
    undo: Vec<(usize, usize, String)>,
}

impl Mirror {
    /// Replaces the bytes `start..end` with `new`: the protocol change, in UTF-16.
    fn replace(&mut self, start: usize, end: usize, new: &str) -> Value {
        let range = json!({
            "start": position_of(&self.text, start, "utf-16"),
            "end": position_of(&self.text, end, "utf-16"),
        });
        let removed = self.text[start..end].to_string();
        self.text.replace_range(start..end, new);
        self.undo.push((start, start + new.len(), removed));
        json!({"range": range, "text": new})
    }

    /// A random character boundary.
    fn boundary(&self, rng: &mut Rng) -> usize {
        let mut at = rng.below(self.text.len() + 1);
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |newline| newline + 1)
    }
}

/// One random edit: the `contentChanges` of each `didChange` it takes.
fn random_edit(mirror: &mut Mirror, rng: &mut Rng, original: usize) -> Vec<Vec<Value>> {
    let depth = mirror.undo.len().min(60) as u64;
    if !mirror.undo.is_empty() && rng.chance(35 + depth / 2) {
        let (start, end, removed) = mirror.undo.pop().unwrap();
        let change = mirror.replace(start, end, &removed);
        // Undoing is not itself undone.
        mirror.undo.pop();
        return vec![vec![change]];
    }
    let mut kind = rng.below(8);
    if mirror.text.len() > original + original / 20 {
        kind = 4;
    }
    match kind {
        // Valid lines, indented as the line they go before.
        0 | 1 => {
            let at = mirror.boundary(rng);
            let start = mirror.line_start(at);
            let indent: String = mirror.text[start..]
                .chars()
                .take_while(|c| *c == ' ')
                .collect();
            let line = format!("{indent}{}\n", rng.pick(VALID_LINES));
            vec![vec![mirror.replace(start, start, &line)]]
        }
        2 => {
            let at = mirror.boundary(rng);
            vec![vec![mirror.replace(at, at, rng.pick(BROKEN))]]
        }
        3 => {
            let at = mirror.boundary(rng);
            vec![vec![mirror.replace(at, at, rng.pick(MULTIBYTE))]]
        }
        // Deletions, across lines too.
        4 | 5 => {
            let start = mirror.boundary(rng);
            let mut end = (start + 1 + rng.below(40)).min(mirror.text.len());
            while !mirror.text.is_char_boundary(end) {
                end += 1;
            }
            vec![vec![mirror.replace(start, end, "")]]
        }
        // Typing: one character per notification.
        6 => {
            let mut at = mirror.boundary(rng);
            let word = rng.pick(&["abc", "é😀", "x_1", "中文字"]);
            word.chars()
                .map(|c| {
                    let change = mirror.replace(at, at, c.encode_utf8(&mut [0; 4]));
                    at += c.len_utf8();
                    vec![change]
                })
                .collect()
        }
        // Several changes in one notification, each in the text the ones before
        // it left.
        _ => {
            let count = 2 + rng.below(2);
            let changes = (0..count)
                .map(|_| {
                    let at = mirror.boundary(rng);
                    let new = if rng.chance(50) {
                        rng.pick(BROKEN)
                    } else {
                        rng.pick(MULTIBYTE)
                    };
                    mirror.replace(at, at, new)
                })
                .collect();
            vec![changes]
        }
    }
}

/// The analysis' diagnostics (run results aside), in a comparable form.
fn analysis_diagnostics(params: &Value) -> Vec<Value> {
    let mut diagnostics: Vec<Value> = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|diagnostic| diagnostic["source"] != "aviato-run")
        .map(|diagnostic| {
            json!([
                diagnostic["range"],
                diagnostic["code"],
                diagnostic["message"],
                diagnostic["severity"]
            ])
        })
        .collect();
    diagnostics.sort_by_key(Value::to_string);
    diagnostics
}

/// Reads messages until the diagnostics of `version` arrive, recording the version
/// of every publication on the way.
fn diagnostics_of(server: &mut Server, version: i64, published: &mut Vec<i64>) -> Value {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(
            Instant::now() < deadline,
            "no diagnostics for version {version}"
        );
        let mut found = None;
        for message in server.messages_within(Duration::from_millis(50)) {
            if message["method"] == "textDocument/publishDiagnostics" {
                let params = &message["params"];
                published.push(params["version"].as_i64().unwrap());
                if params["version"] == version {
                    found = Some(params.clone());
                }
            }
        }
        if let Some(params) = found {
            return params;
        }
    }
}

/// Waits for the response to request `id`: a result, or the error of a
/// cancelled request when it was cancelled.
fn answered(server: &mut Server, id: &Value, method: &str, cancelled: &[Value]) {
    if let Err(error) = server.response(id) {
        // -32800: the request was cancelled.
        let as_asked = cancelled.contains(id) && error["code"] == -32800;
        assert!(as_asked, "{method} failed: {error}");
    }
}

fn fresh_diagnostics(text: &str) -> Vec<Value> {
    let (mut fresh, _) = Server::start(&[], None);
    fresh.open(URI, 1, text);
    let diagnostics = analysis_diagnostics(&json!({"diagnostics": fresh.diagnostics(URI, 1)}));
    assert_eq!(fresh.shutdown_and_exit().code(), Some(0));
    diagnostics
}

#[test]
fn a_thousand_random_edits_end_where_a_fresh_open_does() {
    let original = source();
    let (mut server, _) = Server::start(&[], None);
    server.open(URI, 1, &original);
    let first = server.diagnostics(URI, 1);
    assert!(!first.is_empty(), "the mistakes are reported");

    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut mirror = Mirror {
        text: original.clone(),
        undo: Vec::new(),
    };
    let mut version = 1;
    let mut pending: Vec<(Value, &str)> = Vec::new();
    let mut cancelled: Vec<Value> = Vec::new();
    let mut runs = 0;
    let document = json!({"uri": URI});
    for edit in 1..=EDITS {
        for changes in random_edit(&mut mirror, &mut rng, original.len()) {
            version += 1;
            server.change(URI, version, Value::Array(changes));
        }
        // As an editor does when the cursor moves on: the requests it still waits
        // for (but runs) are cancelled.
        if rng.chance(5) {
            for (id, method) in &pending {
                if *method != "aviato.run" {
                    server.notify("$/cancelRequest", json!({"id": id}));
                    cancelled.push(id.clone());
                }
            }
        }
        let at = mirror.boundary(&mut rng);
        let here = position_of(&mirror.text, at, "utf-16");
        if rng.chance(10) {
            let params = json!({"textDocument": document, "position": here});
            pending.push((server.send_request("textDocument/hover", params), "hover"));
        }
        if rng.chance(5) {
            let params = json!({"textDocument": document});
            pending.push((
                server.send_request("textDocument/codeLens", params),
                "codeLens",
            ));
        }
        if rng.chance(5) {
            let end = json!({"line": here["line"].as_u64().unwrap() + 60, "character": 0});
            let params = json!({"textDocument": document, "range": {"start": here, "end": end}});
            pending.push((
                server.send_request("textDocument/inlayHint", params),
                "inlayHint",
            ));
        }
        if rng.chance(5) {
            let params = json!({
                "textDocument": document,
                "range": {"start": here, "end": here},
                "context": {"diagnostics": []},
            });
            pending.push((
                server.send_request("textDocument/codeAction", params),
                "codeAction",
            ));
        }
        // A run every 200 edits, left in flight while the edits go on.
        if edit % 200 == 0 {
            let name = format!("f{}", rng.below(FUNCTIONS));
            if let Some(at) = mirror.text.find(&format!("def {name}(")) {
                let line = position_of(&mirror.text, at, "utf-16")["line"]
                    .as_u64()
                    .unwrap()
                    + 1;
                let argument = json!({"uri": URI, "function": name, "line": line});
                pending.push((server.send_command("aviato.run", argument), "aviato.run"));
                runs += 1;
            }
        }
        if edit % 20 == 0 {
            for (id, method) in pending.drain(..) {
                answered(&mut server, &id, method, &cancelled);
            }
        }
    }
    for (id, method) in pending.drain(..) {
        answered(&mut server, &id, method, &cancelled);
    }
    assert!(runs > 0, "no function to run was left");

    let mut published = Vec::new();
    let last = diagnostics_of(&mut server, version, &mut published);
    let fresh = fresh_diagnostics(&mirror.text);
    assert_eq!(
        analysis_diagnostics(&last),
        fresh,
        "after {version} versions, the server and a fresh open disagree about:\n{}",
        mirror.text
    );

    version += 1;
    server.change(URI, version, json!([{"text": mirror.text}]));
    let synced = diagnostics_of(&mut server, version, &mut published);
    assert_eq!(analysis_diagnostics(&synced), fresh);
    assert!(
        synced["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|diagnostic| diagnostic["source"] != "aviato-run"),
        "a full-text sync replaces every function: no run result is left"
    );
    assert!(
        published.windows(2).all(|pair| pair[0] <= pair[1]),
        "diagnostics of an older version after a newer one: {published:?}"
    );
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}
