//! `--output-format json`: the stable format of docs/json-output.md.

use std::io::{self, Write};

use aviato_analysis::text::TextRange;
use serde::Serialize;

use super::Position;
use crate::check::{FileReport, Report};

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: String,
    range: JsonRange,
    function: Option<JsonFunction<'a>>,
    fix: Option<JsonFix<'a>>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRange {
    start: Position,
    end: Position,
}

#[derive(Serialize)]
struct JsonFunction<'a> {
    name: &'a str,
    def_line: usize,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    range: JsonRange,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    range: JsonRange,
}

pub(crate) fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let diagnostics: Vec<JsonDiagnostic> = report
        .files
        .iter()
        .flat_map(|file| {
            file.diagnostics
                .iter()
                .map(move |diagnostic| (file, diagnostic))
        })
        .map(|(file, diagnostic)| JsonDiagnostic {
            code: diagnostic.rule.code(),
            severity: diagnostic.severity.as_str(),
            message: &diagnostic.message,
            file: file.path.to_string_lossy().into_owned(),
            range: range(file, diagnostic.range),
            function: diagnostic.function.as_ref().map(|function| JsonFunction {
                name: &function.name,
                def_line: file.position(function.name_range.start()).line,
            }),
            fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
                title: &fix.title,
                edits: fix
                    .edits
                    .iter()
                    .map(|edit| JsonEdit {
                        range: range(file, edit.range),
                        content: &edit.content,
                    })
                    .collect(),
            }),
            related: diagnostic
                .related
                .iter()
                .map(|related| JsonRelated {
                    message: &related.message,
                    range: range(file, related.range),
                })
                .collect(),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &diagnostics)?;
    writeln!(out)
}

fn range(file: &FileReport, range: TextRange) -> JsonRange {
    let (start, end) = file.positions(range);
    JsonRange { start, end }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn function_fix_and_related_in_lines_and_character_columns() {
        let mut out = Vec::new();
        super::write(&mut out, &super::super::sample_report()).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let range = |line: usize, start: usize, end: usize| json!({"start": {"line": line, "column": start}, "end": {"line": line, "column": end}});
        assert_eq!(
            value,
            json!([{
                "code": "AV201",
                "severity": "error",
                "message": "`math` is imported at module level",
                "file": "pkg/geo.py",
                "range": range(5, 12, 16),
                "function": {"name": "área", "def_line": 4},
                "fix": {
                    "title": "Import `math` in the function",
                    "edits": [{"range": range(5, 5, 5), "content": "import math\n    "}],
                },
                "related": [{"message": "imported here", "range": range(1, 1, 12)}],
            }])
        );
    }
}
