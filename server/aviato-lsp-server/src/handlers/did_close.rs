use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

use crate::session::Session;

pub(crate) async fn did_close(session: &Session, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    if session.close(&uri) {
        session.clear_diagnostics(uri).await;
    } else {
        tracing::warn!("ignoring a close of {}: not open", uri.as_str());
    }
}
