//! The edits code actions offer for a diagnostic: its quick fix, and a `# noqa`
//! comment for its rule on its line. Each is applied to the text and checked
//! again before it is offered: an edit that leaves the diagnostic (or breaks the
//! syntax) is not offered.

use aviato_analysis::text::{TextLen, TextRange, TextSize};
use aviato_analysis::{Diagnostic, Edit, Rule, check};

use crate::analysis::{DocumentAnalysis, EditKind};

pub(crate) struct Action {
    pub(crate) title: String,
    pub(crate) edits: Vec<Edit>,
    pub(crate) preferred: bool,
}

/// The checked actions for the analysis' diagnostic number `index`.
pub(crate) fn actions(text: &str, analysis: &DocumentAnalysis, index: usize) -> Vec<Action> {
    let diagnostic = &analysis.diagnostics[index];
    let mut actions = Vec::new();
    if let Some(fix) = &diagnostic.fix
        && analysis.verified(index, EditKind::Fix, || {
            removes(text, analysis, diagnostic, &fix.edits)
        })
    {
        actions.push(Action {
            title: fix.title.clone(),
            edits: fix.edits.clone(),
            preferred: true,
        });
    }
    if let Some(edit) = suppression(text, diagnostic)
        && analysis.verified(index, EditKind::Suppress, || {
            removes(text, analysis, diagnostic, std::slice::from_ref(&edit))
        })
    {
        actions.push(Action {
            title: format!("Ignore {} on this line", diagnostic.rule.code()),
            edits: vec![edit],
            preferred: false,
        });
    }
    actions
}

/// Whether applying `edits` leaves fewer diagnostics like `diagnostic` (same rule,
/// same function) and no more syntax errors.
fn removes(
    text: &str,
    analysis: &DocumentAnalysis,
    diagnostic: &Diagnostic,
    edits: &[Edit],
) -> bool {
    let Some(edited) = apply(text, edits) else {
        return false;
    };
    let after = check(&edited, &analysis.settings);
    let like = |candidate: &&Diagnostic| {
        candidate.rule == diagnostic.rule
            && candidate.function.as_ref().map(|function| &function.name)
                == diagnostic.function.as_ref().map(|function| &function.name)
    };
    let syntax_errors = |diagnostics: &[Diagnostic]| {
        diagnostics
            .iter()
            .filter(|candidate| candidate.rule == Rule::SyntaxError)
            .count()
    };
    after.iter().filter(like).count() < analysis.diagnostics.iter().filter(like).count()
        && syntax_errors(&after) <= syntax_errors(&analysis.diagnostics)
}

/// `text` with `edits` applied; `None` when they overlap or fall outside it.
pub(crate) fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start(), edit.range.end()));
    let mut edited = String::with_capacity(text.len());
    let mut at = TextSize::new(0);
    for edit in sorted {
        if edit.range.start() < at || edit.range.end() > text.text_len() {
            return None;
        }
        edited.push_str(text.get(at.to_usize()..edit.range.start().to_usize())?);
        edited.push_str(&edit.content);
        at = edit.range.end();
    }
    edited.push_str(text.get(at.to_usize()..)?);
    Some(edited)
}

/// The edit that adds the diagnostic's rule to the `# noqa` comment of the line it
/// starts on, or adds such a comment.
fn suppression(text: &str, diagnostic: &Diagnostic) -> Option<Edit> {
    let start = diagnostic.range.start().to_usize().min(text.len());
    let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |at| at + 1);
    let line_end = text[start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |at| start + at);
    let line = &text[line_start..line_end];
    let code = diagnostic.rule.code();
    let (at, content) = match comment_start(line) {
        Some(comment) => match noqa(&line[comment..]) {
            Noqa::Codes { end } => (comment + end, format!(", {code}")),
            Noqa::All => return None,
            Noqa::None => (comment, format!("# noqa: {code} ")),
        },
        None => (line.trim_end().len(), format!("  # noqa: {code}")),
    };
    let offset = TextSize::try_from(line_start + at).ok()?;
    Some(Edit {
        range: TextRange::empty(offset),
        content,
    })
}

/// Where the comment of a line starts, outside string literals that open and
/// close on it. A line inside a multi-line string is misread; the check after the
/// edit catches that.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<&str> = None;
    let mut chars = line.char_indices();
    while let Some((at, character)) = chars.next() {
        let rest = &line[at..];
        match quote {
            Some(_) if character == '\\' => {
                chars.next();
            }
            Some(open) if rest.starts_with(open) => {
                for _ in 1..open.len() {
                    chars.next();
                }
                quote = None;
            }
            Some(_) => {}
            None if character == '#' => return Some(at),
            None if character == '"' || character == '\'' => {
                let open = if rest.starts_with("\"\"\"") {
                    "\"\"\""
                } else if rest.starts_with("'''") {
                    "'''"
                } else if character == '"' {
                    "\""
                } else {
                    "'"
                };
                for _ in 1..open.len() {
                    chars.next();
                }
                quote = Some(open);
            }
            None => {}
        }
    }
    None
}

enum Noqa {
    /// `# noqa: AV201, AV202`: the codes end at `end`.
    Codes { end: usize },
    /// `# noqa` or `# noqa:` without codes: every rule is already suppressed.
    All,
    /// Another comment.
    None,
}

/// Reads a comment as the analysis reads `# noqa` directives.
fn noqa(comment: &str) -> Noqa {
    let body_start = comment.len() - comment.trim_start_matches('#').trim_start().len();
    let body = &comment[body_start..];
    if !body
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("noqa"))
    {
        return Noqa::None;
    }
    let Some(codes) = body[4..].strip_prefix(':') else {
        let bare = body[4..].chars().next().is_none_or(char::is_whitespace);
        return if bare { Noqa::All } else { Noqa::None };
    };
    let codes_start = body_start + 5;
    let mut end = None;
    let mut offset = 0;
    for word in codes.split_inclusive([',', ' ', '\t']) {
        let trimmed = word.trim_end_matches([',', ' ', '\t']);
        if !trimmed.is_empty() {
            let is_code = trimmed.starts_with(|c: char| c.is_ascii_uppercase())
                && trimmed.ends_with(|c: char| c.is_ascii_digit());
            if !is_code {
                break;
            }
            end = Some(codes_start + offset + trimmed.len());
        }
        offset += word.len();
    }
    end.map_or(Noqa::All, |end| Noqa::Codes { end })
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::Uri;

    use super::*;
    use crate::edit::TextDocument;
    use crate::settings::EditorSettings;

    const NOT_CALLED: &str = "import asyncio\n\nfrom aviato import Sandbox\n\n\nasync def main():\n    async with Sandbox.session() as session:\n\n        @session.function\n        def double(x):\n            return x * 2\n\n        print(await double(2))\n";

    fn edit(text: &str, at: &str, length: usize, content: &str) -> Edit {
        let start = TextSize::try_from(text.find(at).unwrap()).unwrap();
        Edit {
            range: TextRange::at(start, TextSize::try_from(length).unwrap()),
            content: content.to_string(),
        }
    }

    #[test]
    fn edits_are_checked_before_they_are_offered() {
        let uri: Uri = "untitled:fixes".parse().unwrap();
        let document = TextDocument::new(NOT_CALLED.to_string(), 1);
        let analysis = DocumentAnalysis::compute(&uri, &document, &EditorSettings::default());
        let index = analysis
            .diagnostics
            .iter()
            .position(|diagnostic| diagnostic.rule == Rule::DecoratorNotCalled)
            .unwrap();
        let diagnostic = &analysis.diagnostics[index];
        let titles: Vec<String> = actions(NOT_CALLED, &analysis, index)
            .into_iter()
            .map(|action| action.title)
            .collect();
        assert_eq!(titles, ["Add `()`", "Ignore AV102 on this line"]);

        let removes = |edit: Edit| removes(NOT_CALLED, &analysis, diagnostic, &[edit]);
        assert!(removes(edit(NOT_CALLED, "function\n", 8, "function()")));
        // Elsewhere: the diagnostic stays.
        assert!(!removes(edit(NOT_CALLED, "import", 0, "# hi\n")));
        // Gone, but by breaking the syntax.
        assert!(!removes(edit(NOT_CALLED, "@session", 17, "(")));
    }

    fn suppressed(line: &str, code_at: &str) -> Option<String> {
        let offset = TextSize::try_from(line.find(code_at).unwrap()).unwrap();
        let diagnostic = Diagnostic {
            rule: Rule::ModuleNotInSandbox,
            severity: aviato_analysis::Severity::Error,
            message: String::new(),
            range: TextRange::empty(offset),
            related: Vec::new(),
            function: None,
            fix: None,
        };
        let edit = suppression(line, &diagnostic)?;
        apply(line, &[edit])
    }

    #[test]
    fn noqa_comments_are_added_or_extended() {
        let cases = [
            ("x = math.pi\n", "x = math.pi  # noqa: AV201\n"),
            ("x = math.pi   \r\ny", "x = math.pi  # noqa: AV201   \r\ny"),
            (
                "x = math.pi  # noqa: AV202\n",
                "x = math.pi  # noqa: AV202, AV201\n",
            ),
            (
                "x = math.pi  # noqa:AV202,F401 because\n",
                "x = math.pi  # noqa:AV202,F401, AV201 because\n",
            ),
            ("x = math.pi  # why\n", "x = math.pi  # noqa: AV201 # why\n"),
            ("x = '#' + math.pi\n", "x = '#' + math.pi  # noqa: AV201\n"),
            (
                "x = \"\"\"a#\"\"\" + math.pi # c\n",
                "x = \"\"\"a#\"\"\" + math.pi # noqa: AV201 # c\n",
            ),
            (
                "x = 'it\\'s #' + math.pi\n",
                "x = 'it\\'s #' + math.pi  # noqa: AV201\n",
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(
                suppressed(line, "math").as_deref(),
                Some(expected),
                "{line:?}"
            );
        }
        assert_eq!(suppressed("x = math.pi  # noqa\n", "math"), None);
        assert_eq!(suppressed("x = math.pi  # NOQA:\n", "math"), None);
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let edit = |start: u32, end: u32| Edit {
            range: TextRange::new(TextSize::new(start), TextSize::new(end)),
            content: "-".to_string(),
        };
        assert_eq!(
            apply("abcdef", &[edit(4, 5), edit(0, 1)]).as_deref(),
            Some("-bcd-f")
        );
        assert_eq!(apply("abcdef", &[edit(0, 3), edit(2, 4)]), None);
        assert_eq!(apply("abc", &[edit(2, 9)]), None);
    }
}
