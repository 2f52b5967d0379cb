//! `# noqa` and `# noqa: AV201, AV202` comments.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::{Ranged, TextSize};

use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

/// What one `# noqa` comment suppresses.
enum Directive {
    All,
    Codes(Vec<Rule>),
}

/// The `# noqa` comments of a file, keyed by the offset of the line they end.
pub(crate) struct Suppressions {
    /// (end of the comment's line, directive), in source order.
    lines: Vec<(TextSize, Directive)>,
}

impl Suppressions {
    pub(crate) fn from_tokens(tokens: &Tokens, source: &str) -> Suppressions {
        let lines = tokens
            .iter()
            .filter(|token| token.kind() == TokenKind::Comment)
            .filter_map(|token| {
                let directive = parse_directive(&source[token.range()])?;
                Some((line_end(source, token.start()), directive))
            })
            .collect();
        Suppressions { lines }
    }

    pub(crate) fn is_suppressed(&self, diagnostic: &Diagnostic, source: &str) -> bool {
        if self.lines.is_empty() {
            return false;
        }
        let end = line_end(source, diagnostic.range.start());
        self.lines.iter().any(|(line, directive)| {
            *line == end
                && match directive {
                    Directive::All => true,
                    Directive::Codes(codes) => codes.contains(&diagnostic.rule),
                }
        })
    }
}

fn line_end(source: &str, offset: TextSize) -> TextSize {
    let start = offset.to_usize().min(source.len());
    let end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    TextSize::try_from(end).unwrap_or_default()
}

/// Parses `# noqa`, `# noqa: AV201`, `# noqa:AV201,AV202` (case-insensitive `noqa`).
fn parse_directive(comment: &str) -> Option<Directive> {
    let body = comment.trim_start_matches('#').trim_start();
    let head = body.get(..4)?;
    if !head.eq_ignore_ascii_case("noqa") {
        return None;
    }
    let rest = &body[4..];
    let Some(codes) = rest.strip_prefix(':') else {
        return rest
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
            .then_some(Directive::All);
    };
    let words: Vec<&str> = codes
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .take_while(|word| {
            word.starts_with(|c: char| c.is_ascii_uppercase())
                && word.ends_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    if words.is_empty() {
        return Some(Directive::All);
    }
    // Codes of other tools (`# noqa: F821`) suppress nothing here.
    Some(Directive::Codes(
        words.into_iter().filter_map(Rule::from_code).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(comment: &str) -> Option<Vec<Rule>> {
        match parse_directive(comment)? {
            Directive::All => Some(Vec::new()),
            Directive::Codes(codes) => Some(codes),
        }
    }

    #[test]
    fn directives() {
        assert_eq!(codes("# noqa"), Some(vec![]));
        assert_eq!(codes("# NOQA: AV201"), Some(vec![Rule::ModuleNotInSandbox]));
        assert_eq!(
            codes("# noqa:AV201,AV202 because"),
            Some(vec![Rule::ModuleNotInSandbox, Rule::NameNotSent])
        );
        assert_eq!(codes("# noqa: F821"), Some(vec![]));
        assert!(
            matches!(parse_directive("# noqa: F821"), Some(Directive::Codes(codes)) if codes.is_empty())
        );
        assert!(matches!(parse_directive("# noqa:"), Some(Directive::All)));
        assert!(
            matches!(parse_directive("# noqa: F821"), Some(Directive::Codes(codes)) if codes.is_empty())
        );
        assert!(matches!(parse_directive("# noqa:"), Some(Directive::All)));
        assert_eq!(codes("# noqanything"), None);
        assert_eq!(codes("# a comment"), None);
    }
}
