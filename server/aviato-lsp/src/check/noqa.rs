//! `# noqa: AV999`: a code that looks like one of ours but names no rule
//! suppresses nothing, silently. The check reports it, as Ruff's RUF100 reports
//! unused codes. Codes of other tools (`F821`) are theirs and left alone.
//!
//! Reported as warnings on stderr, beside the diagnostics: a rule of its own
//! (with a code, a severity, a fix removing the code, and the editor seeing it
//! too) would live in the analysis, which would need a rule for it and its
//! `noqa` parser to keep the codes it does not know.

use aviato_analysis::Rule;
use ruff_python_ast::PySourceType;
use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{ParseOptions, parse_unchecked};
use ruff_text_size::Ranged;

/// A code in a `# noqa:` comment that names no rule.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UnknownCode {
    /// 1-based line and column (in characters) of the code.
    pub line: usize,
    pub column: usize,
    pub code: String,
}

/// The unknown `AV` codes of every `# noqa:` comment of `source`.
pub(crate) fn unknown_codes(source: &str) -> Vec<UnknownCode> {
    let parsed = parse_unchecked(source, ParseOptions::from(PySourceType::Python));
    let mut found = Vec::new();
    for token in parsed.tokens().iter() {
        if token.kind() != TokenKind::Comment {
            continue;
        }
        let start = token.start().to_usize();
        let comment = &source[token.range()];
        for (offset, code) in codes(comment) {
            if Rule::from_code(code).is_some()
                || !code
                    .get(..2)
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case("AV"))
            {
                continue;
            }
            let at = start + offset;
            let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
            found.push(UnknownCode {
                line: source[..at].matches('\n').count() + 1,
                column: source[line_start..at].chars().count() + 1,
                code: code.to_string(),
            });
        }
    }
    found
}

/// The codes after `# noqa:`, with their byte offsets in `comment`, read the way
/// the analysis reads them: words up to the first that is not a code.
fn codes(comment: &str) -> Vec<(usize, &str)> {
    let body_start = comment.len() - comment.trim_start_matches('#').trim_start().len();
    let body = &comment[body_start..];
    if !body
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("noqa"))
    {
        return Vec::new();
    }
    let Some(list) = body[4..].strip_prefix(':') else {
        return Vec::new();
    };
    let list_start = body_start + 5;
    let mut out = Vec::new();
    let mut offset = 0;
    for word in list.split([',', ' ', '\t']) {
        let at = list_start + offset;
        offset += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        if !(word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.ends_with(|c: char| c.is_ascii_digit()))
        {
            break;
        }
        out.push((at, word));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_av_codes_only() {
        let source = "import math  # noqa: AV201, AV999,F821 because\nx = 1  # NOQA:AV21\ny = 2  # noqa\n# noqa: AV000 not a code after this: AV998\n";
        let found = unknown_codes(source);
        assert_eq!(
            found,
            [
                UnknownCode {
                    line: 1,
                    column: 29,
                    code: "AV999".into()
                },
                UnknownCode {
                    line: 2,
                    column: 15,
                    code: "AV21".into()
                },
                UnknownCode {
                    line: 4,
                    column: 9,
                    code: "AV000".into()
                },
            ]
        );
    }

    #[test]
    fn strings_are_not_comments() {
        assert!(unknown_codes("s = '# noqa: AV999'\n").is_empty());
    }
}
