use std::sync::Arc;

use tower_lsp_server::ls_types::DidOpenTextDocumentParams;

use crate::diagnostics;
use crate::edit::TextDocument;
use crate::session::Session;

pub(crate) fn did_open(session: &Arc<Session>, params: DidOpenTextDocumentParams) {
    let item = params.text_document;
    session.open(item.uri.clone(), TextDocument::new(item.text, item.version));
    diagnostics::schedule(session, item.uri);
}
