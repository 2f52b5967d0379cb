//! Quick fixes: each diagnostic's own fix and "Ignore AVxxx on this line", for the
//! diagnostics the requested range touches; and `source.fixAll.aviato`, every safe
//! fix of the document at once, as `check --fix` applies them.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    WorkspaceEdit,
};

use aviato_analysis::text::{TextLen, TextRange};
use aviato_analysis::{Edit, fix_all};

use crate::fixes;
use crate::proto::{from_proto, to_proto};
use crate::session::Session;

/// The kind of the action that applies every safe fix, as `source.fixAll.ruff` is Ruff's.
pub(crate) const SOURCE_FIX_ALL: &str = "source.fixAll.aviato";

pub(crate) async fn code_action(
    session: &Session,
    params: CodeActionParams,
) -> Option<CodeActionResponse> {
    let requested = |kind: &str| {
        params
            .context
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|wanted| kind.starts_with(wanted.as_str())))
    };
    // Fixing the whole document analyses it several times: only when asked for by
    // kind (on save, or the source actions menu), not on every cursor move.
    if params.context.only.is_some() && requested(SOURCE_FIX_ALL) {
        return fix_all_action(session, params).await;
    }
    if !requested(CodeActionKind::QUICKFIX.as_str()) {
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

/// One action replacing the document with its text after every safe fix, or none
/// when nothing is fixable.
async fn fix_all_action(session: &Session, params: CodeActionParams) -> Option<CodeActionResponse> {
    let uri = params.text_document.uri;
    let (snapshot, analysis) = session.analysis(&uri).await?;
    if analysis
        .diagnostics
        .iter()
        .all(|diagnostic| diagnostic.fix.is_none())
    {
        return Some(Vec::new());
    }
    let document = snapshot.document.clone();
    let settings = analysis.settings.clone();
    let fixed = session
        .analyse_blocking(move || fix_all(document.text(), &settings))
        .await?;
    if fixed.fixed == 0 {
        return Some(Vec::new());
    }
    let text = snapshot.document.text();
    let whole = Edit {
        range: TextRange::up_to(text.text_len()),
        content: fixed.text,
    };
    let lines = snapshot.document.line_map(session.encoding());
    let edits = to_proto::text_edits(&[whole], lines);
    Some(vec![CodeActionOrCommand::CodeAction(CodeAction {
        title: "Fix all aviato-lsp problems".to_string(),
        kind: Some(CodeActionKind::new(SOURCE_FIX_ALL)),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri, edits)])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })])
}
