//! The output formats of `check`, and the positions they share.

pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod text;

use std::io::IsTerminal;

use aviato_analysis::text::{PositionEncoding, TextRange, TextSize};

use super::FileReport;

/// A 1-based line and 1-based character (Unicode scalar value) column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

impl FileReport {
    pub fn position(&self, offset: TextSize) -> Position {
        let location = self
            .index
            .source_location(offset, &self.source, PositionEncoding::Utf32);
        Position {
            line: location.line.get(),
            column: location.character_offset.get(),
        }
    }

    /// Start and (exclusive) end.
    pub fn positions(&self, range: TextRange) -> (Position, Position) {
        (self.position(range.start()), self.position(range.end()))
    }
}

/// ANSI styles, on only when stdout is a terminal and `NO_COLOR` is unset.
#[derive(Clone, Copy)]
pub(crate) struct Colors {
    enabled: bool,
}

impl Colors {
    pub fn detect() -> Colors {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Colors {
            enabled: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// `style` is an SGR parameter list, e.g. `1;31` for bold red.
    pub fn paint(self, style: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// A one-file report with one diagnostic that has a function, a fix and related
/// information, as the analysis reports for AV201.
#[cfg(test)]
pub(crate) fn sample_report() -> super::Report {
    use aviato_analysis::text::LineIndex;
    use aviato_analysis::{Diagnostic, Edit, Fix, FunctionRef, Related, Rule, Severity};

    let source = "import math\n\n@s.function()\ndef área(r):\n    return math.pi\n";
    let range_of = |needle: &str, nth: usize| {
        let start = source.match_indices(needle).nth(nth).unwrap().0;
        TextRange::at(
            TextSize::try_from(start).unwrap(),
            TextSize::try_from(needle.len()).unwrap(),
        )
    };
    let body_start = range_of("return", 0).start();
    let diagnostic = Diagnostic {
        rule: Rule::ModuleNotInSandbox,
        severity: Severity::Error,
        message: "`math` is imported at module level".to_string(),
        range: range_of("math", 1),
        related: vec![Related {
            range: range_of("import math", 0),
            message: "imported here".to_string(),
        }],
        function: Some(FunctionRef {
            name: "área".to_string(),
            name_range: range_of("área", 0),
        }),
        fix: Some(Fix {
            title: "Import `math` in the function".to_string(),
            edits: vec![Edit {
                range: TextRange::empty(body_start),
                content: "import math\n    ".to_string(),
            }],
        }),
    };
    super::Report {
        files: vec![super::FileReport {
            path: "pkg/geo.py".into(),
            index: LineIndex::from_source_text(source),
            source: source.to_string(),
            diagnostics: vec![diagnostic],
        }],
        failures: 0,
    }
}
