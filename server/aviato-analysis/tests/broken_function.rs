//! A syntax error invents nothing: breaking one sandbox function (its first body
//! line over-indented, as happens while typing) gives that function AV001 and leaves
//! every other diagnostic of the file as it was, none duplicated.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aviato_analysis::text::LineIndex;
use aviato_analysis::{Rule, SdkChoice, Settings, check, sandbox_functions};

const CORPORA: &[&str] = &[
    "tests/fixtures/sdk",
    "tests/fixtures/cwsandbox",
    "tests/fixtures/realistic/aviato",
    "tests/fixtures/realistic/cwsandbox",
    "tests/fixtures/heldout/aviato",
    "tests/fixtures/heldout/cwsandbox",
    "tests/fixtures/heldout2/aviato",
    "tests/fixtures/heldout3/aviato",
    "tests/fixtures/heldout2/cwsandbox",
    "tests/fixtures/heldout3/cwsandbox",
    "tests/fixtures/heldout4/aviato",
    "tests/fixtures/heldout4/cwsandbox",
    "tests/fixtures/heldout5/aviato",
    "tests/fixtures/heldout5/cwsandbox",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each diagnostic as (line, column, code, message), but those of the broken
/// function: inside its lines `skip`, or about it (its call sites).
fn diagnostics(
    source: &str,
    skip: std::ops::RangeInclusive<usize>,
) -> Vec<(usize, usize, String, String)> {
    let index = LineIndex::from_source_text(source);
    check(source, &Settings::default())
        .into_iter()
        .filter(|diagnostic| diagnostic.rule != Rule::SyntaxError)
        .filter(|diagnostic| {
            diagnostic.function.as_ref().is_none_or(|function| {
                !skip.contains(&index.line_index(function.name_range.start()).get())
            })
        })
        .map(|diagnostic| {
            let start = diagnostic.range.start();
            let line = index.line_index(start);
            let column = (start - index.line_start(line, source)).to_usize();
            (
                line.get(),
                column,
                diagnostic.rule.code().to_string(),
                diagnostic.message,
            )
        })
        .filter(|(line, ..)| !skip.contains(line))
        .collect()
}

#[test]
fn breaking_one_function_changes_nothing_else() {
    let mut problems = Vec::new();
    let mut broken_functions = 0;
    for corpus in CORPORA {
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join(corpus))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
            .collect();
        files.sort();
        for path in files {
            let source = std::fs::read_to_string(&path).unwrap();
            let index = LineIndex::from_source_text(&source);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for function in sandbox_functions(&source, SdkChoice::Auto) {
                let first = index.line_index(function.statement_range.start()).get();
                let last = index.line_index(function.statement_range.end()).get();
                // The first body line: the one after the header's last line.
                let header_end = index.line_index(function.signature_range.end()).get();
                let body_line = header_end + 1;
                if body_line > last {
                    continue;
                }
                let start = index.line_start(
                    aviato_analysis::text::OneIndexed::new(body_line).unwrap(),
                    &source,
                );
                let mut broken = source.clone();
                broken.insert_str(start.to_usize(), "    ");
                broken_functions += 1;
                let intact = diagnostics(&source, first..=last);
                let after = diagnostics(&broken, first..=last);
                let unique: BTreeSet<_> = after.iter().collect();
                if unique.len() != after.len() {
                    problems.push(format!(
                        "{name}:{body_line} ({}): duplicated diagnostics",
                        function.name
                    ));
                }
                let intact_set: BTreeSet<_> = intact.iter().collect();
                let after_set: BTreeSet<_> = after.iter().collect();
                for added in after_set.difference(&intact_set) {
                    problems.push(format!(
                        "{name}:{body_line} ({}) broken: new {} at line {}: {}",
                        function.name, added.2, added.0, added.3
                    ));
                }
                for lost in intact_set.difference(&after_set) {
                    problems.push(format!(
                        "{name}:{body_line} ({}) broken: lost {} at line {}: {}",
                        function.name, lost.2, lost.0, lost.3
                    ));
                }
            }
        }
    }
    assert!(
        broken_functions > 300,
        "only {broken_functions} functions broken"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
