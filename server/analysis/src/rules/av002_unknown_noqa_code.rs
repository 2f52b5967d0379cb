//! AV002: a code in a `# noqa:` comment that looks like ours but names no rule.

use ruff_text_size::TextRange;

use crate::diagnostic::{Diagnostic, Edit};
use crate::noqa::text_size;
use crate::rules::Rule;

/// The unknown codes among `codes`, those of the `# noqa:` comment at `comment`,
/// each with a fix that removes it.
pub(crate) fn check(source: &str, comment: TextRange, codes: &[TextRange]) -> Vec<Diagnostic> {
    codes
        .iter()
        .enumerate()
        .filter(|&(_, &code)| is_unknown_code(&source[code]))
        .map(|(index, &code)| {
            let text = &source[code];
            let mut diagnostic = Diagnostic {
                rule: Rule::UnknownNoqaCode,
                severity: Rule::UnknownNoqaCode.default_severity(),
                message: format!(
                    "`# noqa: {text}` names no aviato-lsp rule and suppresses nothing"
                ),
                range: code,
                related: Vec::new(),
                function: None,
                fix: None,
            };
            diagnostic.with_fix(
                format!("Remove `{text}` from the `# noqa` comment"),
                vec![removal(source, comment, codes, index)],
            );
            diagnostic
        })
        .collect()
}

/// A code that looks like ours (`AV21`, `AV999`) but names no rule. Codes of other
/// tools (`F821`) are theirs.
fn is_unknown_code(code: &str) -> bool {
    code.get(..2)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("AV"))
        && Rule::from_code(code).is_none()
}

/// The edit that removes code number `index` of a directive, with its separator; a
/// directive's only code goes with the directive, since `# noqa:` alone would
/// suppress every rule.
fn removal(source: &str, comment: TextRange, codes: &[TextRange], index: usize) -> Edit {
    let range = match (index, codes.len()) {
        (_, 1) => {
            let after = &source[TextRange::new(codes[0].end(), comment.end())];
            if after.trim().is_empty() {
                // The whole comment, and the spaces that separated it from the code.
                let before = &source[..comment.start().to_usize()];
                let spaces = before.len() - before.trim_end_matches([' ', '\t']).len();
                TextRange::new(comment.start() - text_size(spaces), comment.end())
            } else {
                // `# noqa: AV999 because`: keep `# because`.
                let directive_start = comment.start()
                    + text_size(
                        source[comment].len()
                            - source[comment].trim_start_matches('#').trim_start().len(),
                    );
                let spaces = after.len() - after.trim_start().len();
                TextRange::new(directive_start, codes[0].end() + text_size(spaces))
            }
        }
        (0, _) => TextRange::new(codes[0].start(), codes[1].start()),
        (index, _) => TextRange::new(codes[index - 1].end(), codes[index].end()),
    };
    Edit {
        range,
        content: String::new(),
    }
}
