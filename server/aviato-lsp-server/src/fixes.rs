//! The edits code actions offer for a diagnostic: its quick fix, and a `# noqa`
//! comment for its rule on its line. Each is applied to the text and checked
//! again before it is offered: an edit that leaves the diagnostic (or breaks the
//! syntax) is not offered. `check --fix` and `--add-noqa` use the same edits.

use aviato_analysis::{Edit, noqa_edits, removes_diagnostic};

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
    let removes = |edits: &[Edit]| {
        removes_diagnostic(
            text,
            &analysis.diagnostics,
            diagnostic,
            edits,
            &analysis.settings,
        )
    };
    if let Some(fix) = &diagnostic.fix
        && analysis.verified(index, EditKind::Fix, || removes(&fix.edits))
    {
        actions.push(Action {
            title: fix.title.clone(),
            edits: fix.edits.clone(),
            preferred: true,
        });
    }
    let suppression = noqa_edits(text, std::slice::from_ref(diagnostic));
    if !suppression.is_empty()
        && analysis.verified(index, EditKind::Suppress, || removes(&suppression))
    {
        actions.push(Action {
            title: format!("Ignore {} on this line", diagnostic.rule.code()),
            edits: suppression,
            preferred: false,
        });
    }
    actions
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::Uri;

    use aviato_analysis::text::{TextRange, TextSize};
    use aviato_analysis::{Reparser, Rule};

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
        let analysis = DocumentAnalysis::compute(
            &uri,
            &document,
            &EditorSettings::default(),
            &mut Reparser::default(),
            |_| {},
            || true,
        );
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

        let removes = |edit: Edit| {
            removes_diagnostic(
                NOT_CALLED,
                &analysis.diagnostics,
                diagnostic,
                &[edit],
                &analysis.settings,
            )
        };
        assert!(removes(edit(NOT_CALLED, "function\n", 8, "function()")));
        // Elsewhere: the diagnostic stays.
        assert!(!removes(edit(NOT_CALLED, "import", 0, "# hi\n")));
        // Gone, but by breaking the syntax.
        assert!(!removes(edit(NOT_CALLED, "@session", 17, "(")));
    }
}
