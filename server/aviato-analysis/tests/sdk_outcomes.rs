//! The rules judged against what the real SDK did with each fixture function
//! (`tests/fixtures/sdk/oracle.jsonl`, recorded by `tests/oracle/record.py`):
//! a function the SDK fails on carries an error; one it runs carries none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aviato_analysis::text::LineIndex;
use aviato_analysis::{Diagnostic, Settings, Severity, check};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Record {
    file: String,
    function: String,
    def_line: usize,
    outcome: String,
    detail: String,
}

fn records() -> Vec<Record> {
    let text =
        std::fs::read_to_string(repo_root().join("tests/fixtures/sdk/oracle.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let outcome = &value["outcome"];
            Record {
                file: value["file"].as_str().unwrap().to_string(),
                function: value["function"].as_str().unwrap().to_string(),
                def_line: value["def_line"].as_u64().unwrap() as usize,
                outcome: outcome["kind"].as_str().unwrap().to_string(),
                detail: outcome.to_string(),
            }
        })
        .collect()
}

/// Each function's diagnostics, keyed by (name, line of the `def`).
fn diagnostics_by_function(source: &str) -> BTreeMap<(String, usize), Vec<Diagnostic>> {
    let index = LineIndex::from_source_text(source);
    let mut by_function: BTreeMap<(String, usize), Vec<Diagnostic>> = BTreeMap::new();
    for diagnostic in check(source, &Settings::default()) {
        if let Some(function) = &diagnostic.function {
            let line = index.line_index(function.name_range.start()).get();
            by_function
                .entry((function.name.clone(), line))
                .or_default()
                .push(diagnostic);
        }
    }
    by_function
}

const DELIBERATE_RAISES: &str = "row22_exceptions.py";

#[test]
fn exits_in_the_sandbox_are_flagged() {
    let source = std::fs::read_to_string(
        repo_root()
            .join("tests/fixtures/sdk")
            .join(DELIBERATE_RAISES),
    )
    .unwrap();
    let by_function = diagnostics_by_function(&source);
    for function in ["calls_sys_exit_with_code", "raises_system_exit_zero"] {
        let flagged = by_function.iter().any(|((name, _), diagnostics)| {
            name == function
                && diagnostics
                    .iter()
                    .any(|d| d.rule == aviato_analysis::Rule::ExitInSandbox)
        });
        assert!(flagged, "{function}: no AV404");
    }
}

#[test]
fn errors_exactly_where_the_sdk_fails() {
    let mut by_file: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    // Functions that raise on purpose: what they raise is for "Run in sandbox" to
    // report, not for a rule to predict.
    for record in records()
        .into_iter()
        .filter(|record| !record.file.ends_with(DELIBERATE_RAISES))
    {
        by_file.entry(record.file.clone()).or_default().push(record);
    }
    let mut mismatches = Vec::new();
    for (file, records) in &by_file {
        let source = std::fs::read_to_string(repo_root().join(file)).unwrap();
        let diagnostics = diagnostics_by_function(&source);
        for record in records {
            let errors: Vec<String> = diagnostics
                .get(&(record.function.clone(), record.def_line))
                .into_iter()
                .flatten()
                .filter(|diagnostic| diagnostic.severity == Severity::Error)
                .map(|diagnostic| format!("{} {}", diagnostic.rule.code(), diagnostic.message))
                .collect();
            let sdk_failed = record.outcome != "ok";
            if sdk_failed && errors.is_empty() {
                mismatches.push(format!(
                    "{file}:{} {}: SDK {} but no error",
                    record.def_line, record.function, record.detail
                ));
            } else if !sdk_failed && !errors.is_empty() {
                mismatches.push(format!(
                    "{file}:{} {}: SDK ok but {errors:?}",
                    record.def_line, record.function
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// `await f.remote(x).result()`: the SDK's call returns its value (the oracle records
/// it as run); only the caller's `await` of that value fails. A warning, not an error
/// on the function.
#[test]
fn awaiting_a_retrieved_value_is_a_warning() {
    let source = "\
import asyncio

from cwsandbox import Session


async def main():
    async with Session() as session:

        @session.function()
        def negate(x: int) -> int:
            return -x

        value = await negate.remote(5).result()


asyncio.run(main())
";
    let diagnostics = check(source, &Settings::default());
    let av405: Vec<_> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule.code() == "AV405")
        .collect();
    assert_eq!(av405.len(), 1, "{diagnostics:?}");
    assert_eq!(av405[0].severity, Severity::Warning);
    assert!(
        diagnostics
            .iter()
            .all(|diagnostic| diagnostic.severity != Severity::Error),
        "{diagnostics:?}"
    );
}

/// cwsandbox: the runner's `json.dump` turns a returned `Counter` into a dict and the
/// tuples of a returned list into lists (cwsandbox-semantics rows 29 and 31).
#[test]
fn returned_values_strict_json_converts_are_warned() {
    let source = "\
from cwsandbox import Session

with Session() as session:

    @session.function()
    def pairs(n: int) -> list:
        return [(i, i * i) for i in range(n)]

    @session.function()
    def counts(words: list) -> dict:
        from collections import Counter

        return Counter(words)

    @session.function()
    def plain(n: int) -> list:
        return [[i, i * i] for i in range(n)]

    @session.function()
    def top(scores: dict) -> list:
        return sorted(scores.items(), key=lambda kv: -kv[1])[:2]

    @session.function()
    def histogram(values: list) -> dict:
        bins: dict[int, int] = {}
        for v in values:
            bins[v // 10] = bins.get(v // 10, 0) + 1
        return dict(sorted(bins.items()))

    print(pairs.remote(2).result(), counts.remote(['a']).result(), plain.remote(2).result())
    print(top.remote({'a': 1}).result(), histogram.remote([1]).result())
";
    let index = LineIndex::from_source_text(source);
    let lines: Vec<usize> = check(source, &Settings::default())
        .iter()
        .filter(|diagnostic| diagnostic.rule.code() == "AV302")
        .inspect(|diagnostic| assert_eq!(diagnostic.severity, Severity::Warning))
        .map(|diagnostic| index.line_index(diagnostic.range.start()).get())
        .collect();
    assert_eq!(lines, [7, 13, 21, 28]);
}

/// `Path("data") / "train.csv"` is a `PosixPath`, which strict JSON refuses
/// (cwsandbox-semantics row 22); `str(...)` of it is a string.
#[test]
fn a_path_joined_with_slash_is_still_a_path() {
    let source = "\
from pathlib import Path

from cwsandbox import Session

ROOT = Path(\"/data\")

with Session() as session:

    @session.function()
    def suffix(path: str) -> str:
        return path.rsplit(\".\", 1)[-1]

    local = Path(\"data\") / \"train.csv\"
    print(suffix.remote(local).result())
    print(suffix.remote(ROOT / local).result())
    print(suffix.remote(str(local)).result())
";
    let index = LineIndex::from_source_text(source);
    let lines: Vec<usize> = check(source, &Settings::default())
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .inspect(|diagnostic| assert_eq!(diagnostic.rule.code(), "AV301"))
        .map(|diagnostic| index.line_index(diagnostic.range.start()).get())
        .collect();
    assert_eq!(lines, [14, 15]);
}

/// `labels = []` then `for ref in f.map(names)`: the refs go to the loop's variable
/// and are retrieved there (no AV405); `names = sorted(SHARDS)` iterates the dict's
/// str keys, which `.map` splats into characters (AV406, the SDK's arity TypeError).
#[test]
fn map_refs_iterated_by_a_loop_and_items_from_sorted_dict_keys() {
    let source = "\
from cwsandbox import Session

SHARDS = {\"a-0\": [1], \"a-1\": [2]}

with Session() as session:

    @session.function()
    def label(name: str) -> str:
        return name.upper()

    names = sorted(SHARDS)
    labels = []
    for ref in label.map(names):
        labels.append(ref.result())
";
    let codes: Vec<&str> = check(source, &Settings::default())
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .map(|diagnostic| diagnostic.rule.code())
        .collect();
    assert_eq!(codes, ["AV406", "AV406"]);
}
