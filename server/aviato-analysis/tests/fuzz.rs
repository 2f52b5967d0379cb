//! Never a panic: random text, and random edits of real fixtures (what a user's
//! half-typed file looks like), through parsing, every rule and the run facts.

use std::path::Path;

use aviato_analysis::{Settings, check, evaluate_arguments, sandbox_functions};
use proptest::prelude::*;

fn fixtures() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut sources = Vec::new();
    for dir in ["sdk", "rules"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "py") {
                sources.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    sources.sort();
    sources
}

/// Pieces of Python that make edits interesting: keywords, brackets, decorators.
const SNIPPETS: &[&str] = &[
    "@session.function()\n",
    "async ",
    "def ",
    "lambda: ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "\n",
    "    ",
    "\t",
    "import math\n",
    "global x\n",
    "yield 1\n",
    "await ",
    "return (1, 2)\n",
    "=",
    "\"",
    "'''",
    "#",
    "é",
    "😀",
    "\r\n",
    "\\",
    "*",
    "**",
    ",",
    "nonlocal y\n",
    "class C:\n",
    "x := 1",
    "match x:\n",
    "f\"{",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, snippet: usize },
    Truncate { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..40usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(at, snippet)| Edit::Insert { at, snippet }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, edit: &Edit) {
    match *edit {
        Edit::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len).max(start);
            text.replace_range(start..end, "");
        }
        Edit::Insert { at, snippet } => {
            let at = boundary(text, at);
            text.insert_str(at, SNIPPETS[snippet]);
        }
        Edit::Truncate { at } => {
            let at = boundary(text, at);
            text.truncate(at);
        }
    }
}

fn analyze_everything(source: &str) {
    let _ = check(source, &Settings::default());
    let _ = sandbox_functions(source, aviato_analysis::SdkChoice::Auto);
}

// Cases: 256 by default, `PROPTEST_CASES=N` for a longer search.
proptest! {
    #[test]
    fn random_edits_of_fixtures(fixture in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..8)) {
        let sources = fixtures();
        let mut source = sources[fixture.index(sources.len())].clone();
        for edit in &edits {
            apply(&mut source, edit);
            analyze_everything(&source);
        }
    }

    #[test]
    fn random_text(source in "\\PC{0,400}") {
        analyze_everything(&source);
    }

    #[test]
    fn random_arguments(arguments in "\\PC{0,60}") {
        let _ = evaluate_arguments("N = 1\n", &arguments);
    }
}
