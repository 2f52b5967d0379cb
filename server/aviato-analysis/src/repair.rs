//! A broken function should not break the file. While the user types, one function
//! is often half-written; the parser's recovery then lets that function swallow
//! the statements after it, and every rule sees a different program. So before
//! analysis, the body of each function that holds a syntax error is blanked out
//! (same length, same lines, so every offset stays valid) and the text parsed
//! again: the rest of the file is analysed as it really is.

use ruff_text_size::TextSize;

use crate::syntax::Syntax;

/// How many broken functions are blanked out at most.
const MAX_REPAIRS: usize = 16;

/// The text to analyse and its parse when `source`, parsed as `parsed`, has syntax
/// errors: the bodies of the functions holding them blanked out. `None` when it
/// has none, or none that blanking out a body removes: `source` itself is
/// analysed.
pub(crate) fn repaired(source: &str, parsed: &Syntax) -> Option<(String, Syntax)> {
    let mut text = source.to_string();
    let mut repaired: Option<Syntax> = None;
    for _ in 0..MAX_REPAIRS {
        let current = repaired.as_ref().unwrap_or(parsed);
        let Some(error) = current.errors().first() else {
            break;
        };
        let Some(body) = enclosing_body(&text, error.location.start()) else {
            break;
        };
        blank_out(&mut text, body);
        repaired = Some(crate::parse(&text));
    }
    repaired.map(|repaired| (text, repaired))
}

/// The byte range of the body (the lines after the header) of the innermost `def`
/// whose block holds `offset`, judged by indentation.
fn enclosing_body(text: &str, offset: TextSize) -> Option<std::ops::Range<usize>> {
    let offset = offset.to_usize().min(text.len());
    let lines: Vec<(usize, &str)> = line_starts(text);
    let error_line = lines
        .iter()
        .rposition(|(start, _)| *start <= offset)
        .unwrap_or(0);
    // The error's line may be blank or a dedent: judge from the nearest code line.
    let error_indent = (0..=error_line)
        .rev()
        .find_map(|index| indentation(lines[index].1))?;
    let (def_index, def_indent) = (0..error_line).rev().find_map(|index| {
        let line = lines[index].1;
        let indent = indentation(line)?;
        let code = line.trim_start();
        let is_def = code.starts_with("def ") || code.starts_with("async def ");
        (is_def && indent < error_indent).then_some((index, indent))
    })?;
    // The header may span lines: the body starts after the line ending in `:`.
    let header_end = (def_index..lines.len()).find(|&index| {
        let code = strip_comment(lines[index].1).trim_end();
        code.ends_with(':')
    })?;
    let body_start = header_end + 1;
    let body_end = (body_start..lines.len())
        .find(|&index| indentation(lines[index].1).is_some_and(|indent| indent <= def_indent))
        .unwrap_or(lines.len());
    if body_start >= body_end || error_line < def_index {
        return None;
    }
    let start = lines[body_start].0;
    let end = lines.get(body_end).map_or(text.len(), |(start, _)| *start);
    Some(start..end)
}

/// Replaces the body with `...` at its first line's indentation and blanks the rest,
/// keeping every newline and the byte length (widths are counted in bytes).
fn blank_out(text: &mut String, body: std::ops::Range<usize>) {
    let original = &text[body.clone()];
    let mut replacement = String::with_capacity(original.len());
    let mut placeholder_written = false;
    for line in original.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let ending = &line[content.len()..];
        let width = content.len();
        if !placeholder_written && !content.trim().is_empty() && width >= 3 {
            let indent = (content.len() - content.trim_start().len()).min(width - 3);
            replacement.push_str(&" ".repeat(indent));
            replacement.push_str("...");
            replacement.push_str(&" ".repeat(width - indent - 3));
            placeholder_written = true;
        } else {
            replacement.push_str(&" ".repeat(width));
        }
        replacement.push_str(ending);
    }
    text.replace_range(body, &replacement);
}

/// Each line's byte offset and text.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|line| {
            let start = offset;
            offset += line.len();
            (start, line)
        })
        .collect()
}

/// The indentation of a line of code; `None` for a blank or comment-only line.
fn indentation(line: &str) -> Option<usize> {
    let code = line.trim_start_matches([' ', '\t']);
    let code_part = code.trim_end_matches(['\n', '\r']);
    if code_part.is_empty() || code_part.starts_with('#') {
        return None;
    }
    Some(line.len() - code.len())
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_body_is_blanked_and_the_rest_kept() {
        let source = "def f():\n        x = 1\n    return x\n\ny = 2\n";
        let (text, parsed) = repaired(source, &crate::parse(source)).unwrap();
        assert!(parsed.errors().is_empty(), "{text:?}");
        assert_eq!(text.len(), source.len());
        assert!(text.ends_with("\ny = 2\n"));
        assert_eq!(text.lines().count(), source.lines().count());
    }

    #[test]
    fn a_file_that_parses_is_untouched() {
        let source = "def f():\n    return 1\n";
        assert!(repaired(source, &crate::parse(source)).is_none());
    }
}
