//! Every diagnostic of every fixture, rendered and compared with a reviewed snapshot.
//! Fixtures: `tests/fixtures/sdk/` (outcomes recorded from the real SDK) and
//! `tests/fixtures/rules/` (positive and negative cases per rule).

use std::fmt::Write;
use std::path::Path;

use aviato_analysis::text::{LineIndex, PositionEncoding};
use aviato_analysis::{Settings, TextSize, check};

fn render(source: &str) -> String {
    let index = LineIndex::from_source_text(source);
    let position = |offset: TextSize| {
        let location = index.source_location(offset, source, PositionEncoding::Utf32);
        format!(
            "{}:{}",
            location.line.get(),
            location.character_offset.get()
        )
    };
    let mut out = String::new();
    for diagnostic in check(source, &Settings::default()) {
        let function = diagnostic
            .function
            .as_ref()
            .map_or(String::new(), |f| format!(" [{}]", f.name));
        writeln!(
            out,
            "{} {} {}{function}: {}",
            position(diagnostic.range.start()),
            diagnostic.rule.code(),
            diagnostic.severity.as_str(),
            diagnostic.message
        )
        .unwrap();
        writeln!(out, "    code: {}", &source[diagnostic.range]).unwrap();
        for related in &diagnostic.related {
            writeln!(
                out,
                "    related {}: {}",
                position(related.range.start()),
                related.message
            )
            .unwrap();
        }
        if let Some(fix) = &diagnostic.fix {
            writeln!(out, "    fix: {}", fix.title).unwrap();
            for edit in &fix.edits {
                writeln!(
                    out,
                    "      {}-{} {:?}",
                    position(edit.range.start()),
                    position(edit.range.end()),
                    edit.content
                )
                .unwrap();
            }
        }
    }
    out
}

fn snapshot_dir(dir: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    for path in paths
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
    {
        let source = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(dir.rsplit('/').next().unwrap(), render(&source));
        });
    }
}

#[test]
fn sdk_fixtures() {
    snapshot_dir("tests/fixtures/sdk");
}

#[test]
fn rule_fixtures() {
    snapshot_dir("tests/fixtures/rules");
}
