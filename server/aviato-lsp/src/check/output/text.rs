//! `--output-format text`: Ruff-style diagnostics with a source excerpt, then a summary.
//!
//! ```text
//! app.py:3:7: AV001 SyntaxError: Expected ')', found ':'
//!   |
//! 3 | def f(:
//!   |       ^ AV001
//!   |
//! ```

use std::io::{self, Write};

use aviato_analysis::text::{OneIndexed, TextRange, TextSize};
use aviato_analysis::{Diagnostic, Severity};

use super::Colors;
use crate::check::{FileReport, Report};

/// Longer ranges show their first and last lines around a `...`.
const MAX_EXCERPT_LINES: usize = 6;
const TAB_WIDTH: usize = 4;
const CONTEXT_LINES: usize = 2;
const GUTTER_STYLE: &str = "1;34";

pub(crate) fn write(out: &mut dyn Write, report: &Report, colors: Colors) -> io::Result<()> {
    for file in &report.files {
        for diagnostic in &file.diagnostics {
            write_diagnostic(out, file, diagnostic, colors)?;
            writeln!(out)?;
        }
    }
    writeln!(out, "{}", summary(report))
}

fn write_diagnostic(
    out: &mut dyn Write,
    file: &FileReport,
    diagnostic: &Diagnostic,
    colors: Colors,
) -> io::Result<()> {
    let style = severity_style(diagnostic.severity);
    let code = diagnostic.rule.code();
    let start = file.position(diagnostic.range.start());
    let location = format!("{}:{}:{}:", file.path.display(), start.line, start.column);
    writeln!(
        out,
        "{} {} {}",
        colors.paint("1", &location),
        colors.paint(style, code),
        diagnostic.message
    )?;

    let lines = excerpt(file, diagnostic.range);
    let width = lines
        .iter()
        .filter_map(|line| line.as_ref().map(|line| line.number))
        .max()
        .unwrap_or(1)
        .to_string()
        .len();
    let blank_gutter = colors.paint(GUTTER_STYLE, &format!("{:width$} |", ""));
    writeln!(out, "{blank_gutter}")?;
    let last_underlined = lines
        .iter()
        .rposition(|line| line.as_ref().is_some_and(|line| line.underline.is_some()));
    for (i, line) in lines.iter().enumerate() {
        let Some(line) = line else {
            writeln!(out, "{}", colors.paint(GUTTER_STYLE, "..."))?;
            continue;
        };
        let number = colors.paint(GUTTER_STYLE, &format!("{:>width$} |", line.number));
        if line.text.is_empty() {
            writeln!(out, "{number}")?;
        } else {
            writeln!(out, "{number} {}", line.text)?;
        }
        let Some((start, len)) = line.underline else {
            continue;
        };
        let carets = "^".repeat(len);
        let label = if Some(i) == last_underlined {
            format!(" {code}")
        } else {
            String::new()
        };
        writeln!(
            out,
            "{blank_gutter} {:start$}{}",
            "",
            colors.paint(style, &format!("{carets}{label}")),
        )?;
    }
    writeln!(out, "{blank_gutter}")?;

    let note_gutter = colors.paint(GUTTER_STYLE, &format!("{:width$} =", ""));
    if let Some(fix) = &diagnostic.fix {
        writeln!(out, "{note_gutter} help: {}", fix.title)?;
    }
    for related in &diagnostic.related {
        let position = file.position(related.range.start());
        writeln!(
            out,
            "{note_gutter} note: {}:{}:{}: {}",
            file.path.display(),
            position.line,
            position.column,
            related.message
        )?;
    }
    Ok(())
}

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Information | Severity::Hint => "1;36",
    }
}

/// One source line, with the underlined part in display columns (tabs expanded).
struct ExcerptLine {
    number: usize,
    text: String,
    /// Start and length; `None` for context lines.
    underline: Option<(usize, usize)>,
}

/// The lines `range` spans, underlined, between up to `CONTEXT_LINES` lines of
/// context each side; `None` marks lines left out of a long range.
fn excerpt(file: &FileReport, range: TextRange) -> Vec<Option<ExcerptLine>> {
    let first = file.index.line_index(range.start()).get();
    let mut last = file.index.line_index(range.end()).get();
    // A range that ends with a newline does not reach into the next line.
    if last > first && file.index.line_start(one_indexed(last), &file.source) == range.end() {
        last -= 1;
    }
    let mut lines: Vec<Option<ExcerptLine>> = Vec::new();
    let is_blank = |number: usize| line_text(file, number).trim().is_empty();
    let before = (first.saturating_sub(CONTEXT_LINES).max(1)..first).skip_while(|&n| is_blank(n));
    lines.extend(before.map(|number| Some(context_line(file, number))));
    if last - first < MAX_EXCERPT_LINES {
        lines.extend((first..=last).map(|number| Some(underlined_line(file, range, number))));
    } else {
        lines.extend((first..first + 3).map(|number| Some(underlined_line(file, range, number))));
        lines.push(None);
        lines.extend((last - 1..=last).map(|number| Some(underlined_line(file, range, number))));
    }
    let after_end = (last + CONTEXT_LINES).min(file.index.line_count());
    let after: Vec<usize> = (last + 1..=after_end).collect();
    let keep = after
        .iter()
        .rposition(|&n| !is_blank(n))
        .map_or(0, |i| i + 1);
    lines.extend(
        after[..keep]
            .iter()
            .map(|&number| Some(context_line(file, number))),
    );
    lines
}

/// Line `number` without its line ending.
fn line_text(file: &FileReport, number: usize) -> &str {
    let line_range = file.index.line_range(one_indexed(number), &file.source);
    file.source[line_range].trim_end_matches(['\n', '\r'])
}

fn context_line(file: &FileReport, number: usize) -> ExcerptLine {
    ExcerptLine {
        number,
        text: expand_tabs(line_text(file, number)),
        underline: None,
    }
}

fn underlined_line(file: &FileReport, range: TextRange, number: usize) -> ExcerptLine {
    let line_range = file.index.line_range(one_indexed(number), &file.source);
    let text = line_text(file, number);
    let line_start = line_range.start();
    let local = |offset: TextSize| (offset - line_start).to_usize().min(text.len());
    let start = if range.start() >= line_start {
        local(range.start())
    } else {
        // A continuation line is underlined from its first non-blank character.
        text.len() - text.trim_start().len()
    };
    let end = if range.end() < line_range.end() {
        local(range.end())
    } else {
        text.len()
    };
    let underline_start = display_width(&text[..start]);
    let underline_len = display_width(&text[start..end.max(start)]).max(1);
    ExcerptLine {
        number,
        text: expand_tabs(text),
        underline: Some((underline_start, underline_len)),
    }
}

fn expand_tabs(text: &str) -> String {
    text.replace('\t', &" ".repeat(TAB_WIDTH))
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if c == '\t' { TAB_WIDTH } else { 1 })
        .sum()
}

fn one_indexed(line: usize) -> OneIndexed {
    OneIndexed::from_zero_indexed(line - 1)
}

/// `Found 2 errors, 1 warning.`, or `All checks passed!`.
fn summary(report: &Report) -> String {
    let counts = [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Information, "information", "information"),
        (Severity::Hint, "hint", "hints"),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter_map(|&(severity, one, many)| {
            let count = report.count(severity);
            (count > 0).then(|| format!("{count} {}", if count == 1 { one } else { many }))
        })
        .collect();
    let unchecked = match report.failures {
        0 => String::new(),
        1 => " 1 path could not be checked.".to_string(),
        n => format!(" {n} paths could not be checked."),
    };
    match (parts.is_empty(), report.failures) {
        (true, 0) => "All checks passed!".to_string(),
        (true, _) => format!("No diagnostics.{unchecked}"),
        (false, _) => format!("Found {}.{unchecked}", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_notes_follow_the_excerpt() {
        let mut out = Vec::new();
        let colors = Colors { enabled: false };
        write(&mut out, &super::super::sample_report(), colors).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = "\
pkg/geo.py:5:12: AV201 `math` is imported at module level
  |
3 | @s.function()
4 | def área(r):
5 |     return math.pi
  |            ^^^^ AV201
  |
  = help: Import `math` in the function
  = note: pkg/geo.py:1:1: imported here

Found 1 error.
";
        assert_eq!(text, expected);
    }
}
