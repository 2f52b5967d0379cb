//! AV002: a code in a `# noqa:` comment that looks like ours but names no rule.

use ruff_text_size::TextRange;

use crate::diagnostic::Diagnostic;
use crate::noqa::code_diagnostic;
use crate::rules::Rule;

/// The unknown codes among `codes`, those of the `# noqa:` comment at `comment`,
/// each with a fix that removes it.
pub(crate) fn check(source: &str, comment: TextRange, codes: &[TextRange]) -> Vec<Diagnostic> {
    codes
        .iter()
        .enumerate()
        .filter(|&(_, &code)| is_unknown_code(&source[code]))
        .map(|(index, &code)| {
            let message = format!(
                "`# noqa: {}` names no aviato-lsp rule and suppresses nothing",
                &source[code]
            );
            code_diagnostic(
                Rule::UnknownNoqaCode,
                message,
                source,
                comment,
                codes,
                index,
            )
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
