use std::sync::Arc;

use tower_lsp_server::ls_types::DidChangeTextDocumentParams;

use crate::diagnostics;
use crate::session::Session;

pub(crate) fn did_change(session: &Arc<Session>, params: DidChangeTextDocumentParams) {
    let document = params.text_document;
    if session.change(&document.uri, params.content_changes, document.version) {
        diagnostics::schedule(session, document.uri);
    } else {
        tracing::warn!("ignoring a change to {}: not open", document.uri.as_str());
    }
}
