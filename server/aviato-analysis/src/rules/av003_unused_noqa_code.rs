//! AV003: a code in a `# noqa:` comment whose rule reports nothing on its line.

use ruff_text_size::TextRange;

use crate::diagnostic::Diagnostic;
use crate::noqa::code_diagnostic;
use crate::rules::Rule;

/// The codes among `codes`, those of the `# noqa:` comment at `comment`, that name
/// a rule and are not in `used`, each with a fix that removes it. A comment that
/// names AV003 itself opts out.
pub(crate) fn check(
    source: &str,
    comment: TextRange,
    codes: &[TextRange],
    used: &[TextRange],
) -> Vec<Diagnostic> {
    let rules: Vec<Option<Rule>> = codes
        .iter()
        .map(|&code| Rule::from_code(&source[code]))
        .collect();
    if rules.contains(&Some(Rule::UnusedNoqaCode)) {
        return Vec::new();
    }
    codes
        .iter()
        .zip(&rules)
        .enumerate()
        .filter(|&(_, (code, rule))| rule.is_some() && !used.contains(code))
        .map(|(index, (&code, _))| {
            let message = format!(
                "`# noqa: {}` suppresses nothing: its rule reports nothing on this line",
                &source[code]
            );
            code_diagnostic(Rule::UnusedNoqaCode, message, source, comment, codes, index)
        })
        .collect()
}
