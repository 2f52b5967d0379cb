//! Analysis values to protocol values.

use aviato_analysis::text::{PositionEncoding, TextRange, TextSize};
use aviato_analysis::{Diagnostic, Edit, Fix, Severity};
use aviato_exec::OutcomeKind;
use serde_json::json;
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, PositionEncodingKind, TextEdit, Uri,
};

use super::LineMap;
use crate::runs::RunRecord;

/// The `source` of every diagnostic the analysis reports.
const DIAGNOSTIC_SOURCE: &str = "aviato-lsp";
/// The `source` of the diagnostic of a run that raised.
pub(crate) const RUN_DIAGNOSTIC_SOURCE: &str = "aviato-run";

pub(crate) fn position_encoding(encoding: PositionEncoding) -> PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => PositionEncodingKind::UTF32,
    }
}

/// The position of byte `offset`; an offset past the end or inside a character is
/// moved back to the nearest character start.
pub(crate) fn position(offset: TextSize, lines: LineMap<'_>) -> Position {
    let LineMap {
        text,
        index,
        encoding,
    } = lines;
    let offset = text.floor_char_boundary(offset.to_usize());
    let location = index.source_location(
        TextSize::try_from(offset).unwrap_or_default(),
        text,
        encoding,
    );
    Position::new(
        saturating_u32(location.line.to_zero_indexed()),
        saturating_u32(location.character_offset.to_zero_indexed()),
    )
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

pub(crate) fn range(range: TextRange, lines: LineMap<'_>) -> lsp::Range {
    lsp::Range::new(position(range.start(), lines), position(range.end(), lines))
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// A diagnostic of the document at `uri`. Its `data` carries the fix, if any, as
/// `{"fix": {"title", "edits": [TextEdit]}}`, so a code action needs no new analysis.
pub(crate) fn diagnostic(
    diagnostic: &Diagnostic,
    uri: &Uri,
    lines: LineMap<'_>,
) -> lsp::Diagnostic {
    let related_information = (!diagnostic.related.is_empty()).then(|| {
        diagnostic
            .related
            .iter()
            .map(|related| DiagnosticRelatedInformation {
                location: Location::new(uri.clone(), range(related.range, lines)),
                message: related.message.clone(),
            })
            .collect()
    });
    lsp::Diagnostic {
        range: range(diagnostic.range, lines),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.rule.code().to_string())),
        code_description: None,
        source: Some(DIAGNOSTIC_SOURCE.to_string()),
        message: diagnostic.message.clone(),
        related_information,
        tags: None,
        data: diagnostic
            .fix
            .as_ref()
            .map(|fix| json!({ "fix": fix_data(fix, lines) })),
    }
}

/// The diagnostic of a run that raised: at the line that raised (the function's
/// name when no line of the file did), the exception as its message, the
/// traceback's frames as related information.
pub(crate) fn run_diagnostic(
    run: &RunRecord,
    uri: &Uri,
    lines: LineMap<'_>,
) -> Option<lsp::Diagnostic> {
    if run.outcome.outcome != OutcomeKind::Raised {
        return None;
    }
    let last = run.frames.len().saturating_sub(1);
    let related_information = (!run.frames.is_empty()).then(|| {
        run.frames
            .iter()
            .enumerate()
            .map(|(index, frame)| DiagnosticRelatedInformation {
                location: Location::new(uri.clone(), range(frame.range, lines)),
                message: if index == last {
                    format!("raised here, in `{}`", frame.function)
                } else {
                    format!("in `{}`", frame.function)
                },
            })
            .collect()
    });
    Some(lsp::Diagnostic {
        range: range(run.raised_at.unwrap_or(run.name_range), lines),
        severity: Some(DiagnosticSeverity::ERROR),
        code: None,
        code_description: None,
        source: Some(RUN_DIAGNOSTIC_SOURCE.to_string()),
        message: run.outcome.exception_line(),
        related_information,
        tags: None,
        data: Some(json!({ "function": run.function })),
    })
}

fn fix_data(fix: &Fix, lines: LineMap<'_>) -> serde_json::Value {
    json!({ "title": fix.title, "edits": text_edits(&fix.edits, lines) })
}

pub(crate) fn text_edits(edits: &[Edit], lines: LineMap<'_>) -> Vec<TextEdit> {
    edits
        .iter()
        .map(|edit| TextEdit::new(range(edit.range, lines), edit.content.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use aviato_analysis::text::LineIndex;
    use aviato_analysis::{Related, Rule};

    use super::*;

    #[test]
    fn positions_in_each_encoding() {
        let text = "a = 1\ns = 'é😀中'\n";
        let index = LineIndex::from_source_text(text);
        let quote = TextSize::try_from(text.rfind('\'').unwrap()).unwrap();
        for (encoding, column) in [
            (PositionEncoding::Utf8, 14),
            (PositionEncoding::Utf16, 9),
            (PositionEncoding::Utf32, 8),
        ] {
            assert_eq!(
                position(quote, LineMap::new(text, &index, encoding)),
                Position::new(1, column),
                "{encoding:?}"
            );
        }
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_moved_back() {
        let text = "x = '😀'";
        let index = LineIndex::from_source_text(text);
        let lines = LineMap::new(text, &index, PositionEncoding::Utf16);
        assert_eq!(position(TextSize::new(7), lines), Position::new(0, 5));
        assert_eq!(position(TextSize::new(99), lines), Position::new(0, 8));
    }

    #[test]
    fn diagnostic_fields() {
        let text = "import math\nx = '😀'; y = math.pi\n";
        let index = LineIndex::from_source_text(text);
        let lines = LineMap::new(text, &index, PositionEncoding::Utf16);
        let uri: Uri = "file:///project/example.py".parse().unwrap();
        let math_use = TextRange::at(
            TextSize::try_from(text.rfind("math").unwrap()).unwrap(),
            TextSize::new(4),
        );
        let import = TextRange::at(TextSize::new(0), TextSize::new(11));
        let analysis = Diagnostic {
            rule: Rule::ModuleNotInSandbox,
            severity: Severity::Warning,
            message: "`math` is imported at module level".to_string(),
            range: math_use,
            related: vec![Related {
                range: import,
                message: "imported here".to_string(),
            }],
            function: None,
            fix: Some(Fix {
                title: "Move the import into the function".to_string(),
                edits: vec![Edit {
                    range: import,
                    content: String::new(),
                }],
            }),
        };

        let converted = diagnostic(&analysis, &uri, lines);

        // `😀` is two UTF-16 code units: `math` starts at character 14, not 13.
        assert_eq!(
            converted.range,
            lsp::Range::new(Position::new(1, 14), Position::new(1, 18))
        );
        assert_eq!(converted.severity, Some(DiagnosticSeverity::WARNING));
        assert_eq!(
            converted.code,
            Some(NumberOrString::String("AV201".to_string()))
        );
        assert_eq!(converted.source.as_deref(), Some("aviato-lsp"));
        assert_eq!(converted.message, analysis.message);
        let related = converted.related_information.unwrap();
        assert_eq!(related.len(), 1);
        assert_eq!(related[0].location.uri, uri);
        assert_eq!(
            related[0].location.range,
            lsp::Range::new(Position::new(0, 0), Position::new(0, 11))
        );
        assert_eq!(related[0].message, "imported here");
        assert_eq!(
            converted.data,
            Some(json!({"fix": {
                "title": "Move the import into the function",
                "edits": [{
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 11}},
                    "newText": "",
                }],
            }}))
        );
    }

    #[test]
    fn diagnostic_without_related_or_fix() {
        let text = "def f(:\n";
        let index = LineIndex::from_source_text(text);
        let lines = LineMap::new(text, &index, PositionEncoding::Utf8);
        let uri: Uri = "untitled:Untitled-1".parse().unwrap();
        let analysis = Diagnostic {
            rule: Rule::SyntaxError,
            severity: Severity::Error,
            message: "SyntaxError: bad".to_string(),
            range: TextRange::at(TextSize::new(6), TextSize::new(1)),
            related: Vec::new(),
            function: None,
            fix: None,
        };
        let converted = diagnostic(&analysis, &uri, lines);
        assert_eq!(converted.related_information, None);
        assert_eq!(converted.data, None);
        assert_eq!(converted.severity, Some(DiagnosticSeverity::ERROR));
    }
}
