//! The protocol surface: each method hands its params to its handler.

use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, InitializeParams, InitializeResult, InitializedParams,
};
use tower_lsp_server::{LanguageServer, LspService};

use crate::handlers;
use crate::session::Session;
use crate::transport;

struct Server {
    session: Arc<Session>,
}

/// Serves on stdin/stdout until `exit` or until the client closes stdin.
pub(crate) async fn serve_stdio() -> std::result::Result<(), String> {
    let (service, socket) = LspService::new(|client| Server {
        session: Arc::new(Session::new(client)),
    });
    let session = service.inner().session.clone();
    transport::serve(tokio::io::stdin(), tokio::io::stdout(), service, socket).await;
    if session.shutdown_requested() {
        Ok(())
    } else {
        Err("the client left without a shutdown request".to_string())
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        Ok(handlers::initialize::initialize(&self.session, params))
    }

    async fn initialized(&self, _: InitializedParams) {
        handlers::initialized::initialized(&self.session).await;
    }

    async fn shutdown(&self) -> Result<()> {
        handlers::shutdown::shutdown(&self.session);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        handlers::did_open::did_open(&self.session, params);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        handlers::did_change::did_change(&self.session, params);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        handlers::did_close::did_close(&self.session, params).await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        handlers::did_change_configuration::did_change_configuration(&self.session, params).await;
    }
}
