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
