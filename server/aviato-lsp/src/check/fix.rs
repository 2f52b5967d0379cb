//! `check --fix`, `--diff` and `--add-noqa`: the new text of a file, from the
//! analysis' own edits (the same the editor's code actions offer), and what to do
//! with it.

use std::path::Path;

use aviato_analysis::{Diagnostic, Rule, Settings, apply_edits, check, fix_all, noqa_edits};

/// What `check` does besides reporting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Report,
    /// Write the safe fixes to the files.
    Fix,
    /// Print the safe fixes as a unified diff; write nothing.
    Diff,
    /// Add `# noqa: CODE` to the lines with diagnostics.
    AddNoqa,
}

/// A file's text after fixing or adding `# noqa` comments.
pub(crate) struct Rewrite {
    pub text: String,
    /// Fixes applied, or `# noqa` comments added or extended.
    pub changes: usize,
}

/// The file's new text and its diagnostics after the change, or its diagnostics
/// alone for [`Mode::Report`] and when nothing changes.
pub(crate) fn rewrite(
    source: &str,
    settings: &Settings,
    mode: Mode,
) -> (Vec<Diagnostic>, Option<Rewrite>) {
    match mode {
        Mode::Report => (check(source, settings), None),
        Mode::Fix | Mode::Diff => {
            let fixed = fix_all(source, settings);
            let rewrite = (fixed.fixed > 0).then_some(Rewrite {
                text: fixed.text,
                changes: fixed.fixed,
            });
            (fixed.remaining, rewrite)
        }
        Mode::AddNoqa => add_noqa(source, settings),
    }
}

/// Adds `# noqa` comments for every diagnostic but syntax errors (which a comment
/// does not make go away) and unknown or unused `# noqa` codes (which want
/// correcting or removing, not another code beside them), then checks that the comments did their work without
/// breaking the file; when they did not (a line the comment cannot end), the file
/// is left as it is.
fn add_noqa(source: &str, settings: &Settings) -> (Vec<Diagnostic>, Option<Rewrite>) {
    let diagnostics = check(source, settings);
    let silenced: Vec<Diagnostic> = diagnostics
        .iter()
        .filter(|diagnostic| {
            !matches!(
                diagnostic.rule,
                Rule::SyntaxError | Rule::UnknownNoqaCode | Rule::UnusedNoqaCode
            )
        })
        .cloned()
        .collect();
    let edits = noqa_edits(source, &silenced);
    let added = apply_edits(source, edits.iter().map(std::slice::from_ref));
    if added.applied == 0 {
        return (diagnostics, None);
    }
    let after = check(&added.text, settings);
    let syntax_errors = |diagnostics: &[Diagnostic]| {
        diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.rule == Rule::SyntaxError)
            .count()
    };
    if syntax_errors(&after) > syntax_errors(&diagnostics) || after.len() >= diagnostics.len() {
        return (diagnostics, None);
    }
    let rewrite = Rewrite {
        text: added.text,
        changes: added.applied,
    };
    (after, Some(rewrite))
}

/// A unified diff of `path` from `old` to `new`, as `diff -u` and Ruff's `--diff`
/// print it.
pub(crate) fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
