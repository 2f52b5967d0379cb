//! Quick fixes: each diagnostic's own fix and "Ignore AVxxx on this line", for the
//! diagnostics the requested range touches.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    WorkspaceEdit,
};

use crate::fixes;
use crate::proto::{from_proto, to_proto};
use crate::session::Session;

pub(crate) async fn code_action(
    session: &Session,
    params: CodeActionParams,
) -> Option<CodeActionResponse> {
    if let Some(only) = &params.context.only
        && !only
            .iter()
            .any(|kind| CodeActionKind::QUICKFIX.as_str().starts_with(kind.as_str()))
    {
        return None;
    }
    let uri = params.text_document.uri;
    let (snapshot, analysis) = session.analysis(&uri).await?;
    let encoding = session.encoding();
    let wanted = from_proto::text_range(params.range, snapshot.document.line_map(encoding));
    let touched: Vec<usize> = analysis
        .diagnostics
        .iter()
        .enumerate()
        .filter(|(_, diagnostic)| diagnostic.range.intersect(wanted).is_some())
        .map(|(index, _)| index)
        .collect();
    if touched.is_empty() {
        return Some(Vec::new());
    }
    // Checking an edit analyses the whole file again: off the protocol task, in
    // the turn of analyses.
    let document = snapshot.document.clone();
    let checked = analysis.clone();
    let actions = session
        .analyse_blocking(move || {
            touched
                .into_iter()
                .flat_map(|index| {
                    fixes::actions(document.text(), &checked, index)
                        .into_iter()
                        .map(move |action| (index, action))
                })
                .collect::<Vec<_>>()
        })
        .await?;

    let lines = snapshot.document.line_map(encoding);
    let mut response: Vec<CodeActionOrCommand> = Vec::new();
    let mut offered = Vec::new();
    for (index, action) in actions {
        let edits = to_proto::text_edits(&action.edits, lines);
        // Two diagnostics of one rule on one line share their "ignore" action.
        if offered.contains(&(action.title.clone(), edits.clone())) {
            continue;
        }
        offered.push((action.title.clone(), edits.clone()));
        response.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: action.title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![to_proto::diagnostic(
                &analysis.diagnostics[index],
                &uri,
                lines,
            )]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), edits)])),
                ..WorkspaceEdit::default()
            }),
            is_preferred: action.preferred.then_some(true),
            ..CodeAction::default()
        }));
    }
    // Fixes before suppressions.
    response.sort_by_key(|action| match action {
        CodeActionOrCommand::CodeAction(action) => action.is_preferred != Some(true),
        CodeActionOrCommand::Command(_) => true,
    });
    Some(response)
}
