//! The protocol surface: each method hands its params to its handler.

use std::fs::File;
use std::os::fd::AsFd;
use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionParams, CodeActionResponse, CodeLens, CodeLensParams, DidChangeConfigurationParams,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    ExecuteCommandParams, Hover, HoverParams, InitializeParams, InitializeResult,
    InitializedParams, InlayHint, InlayHintParams, WorkDoneProgressCancelParams,
};
use tower_lsp_server::{LanguageServer, LspService};

use crate::handlers;
use crate::proto::ext::{SANDBOX_FUNCTIONS_METHOD, SandboxFunctionInfo, SandboxFunctionsParams};
use crate::session::Session;
use crate::transport::{self, ToClient};

struct Server {
    session: Arc<Session>,
}

/// Serves on stdin/stdout until `exit` or until the client closes stdin.
pub(crate) async fn serve_stdio() -> std::result::Result<(), String> {
    let (to_client, queue) = ToClient::new();
    let notifications = to_client.clone();
    let (service, socket) = LspService::build(|client| Server {
        session: Arc::new(Session::new(client, notifications)),
    })
    .custom_method(
        "window/workDoneProgress/cancel",
        Server::work_done_progress_cancel,
    )
    .custom_method(SANDBOX_FUNCTIONS_METHOD, Server::sandbox_functions)
    .finish();
    let session = service.inner().session.clone();
    // Unbuffered: each message goes out in one write.
    let stdout = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|err| format!("cannot write to stdout: {err}"))?;
    let to_client = (to_client, queue);
    transport::serve(
        std::io::stdin(),
        File::from(stdout),
        service,
        socket,
        to_client,
    )
    .await;
    // No sandbox outlives the server, however the client left.
    session.runs().cancel_all().await;
    if session.shutdown_requested() {
        Ok(())
    } else {
        Err("the client left without a shutdown request".to_string())
    }
}

impl Server {
    async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        handlers::work_done_progress_cancel::work_done_progress_cancel(&self.session, params);
    }

    async fn sandbox_functions(
        &self,
        params: SandboxFunctionsParams,
    ) -> Result<Vec<SandboxFunctionInfo>> {
        Ok(handlers::sandbox_functions::sandbox_functions(&self.session, params).await)
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
        handlers::shutdown::shutdown(&self.session).await;
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

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        Ok(handlers::code_lens::code_lens(&self.session, params).await)
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        Ok(handlers::inlay_hint::inlay_hint(&self.session, params))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        Ok(handlers::hover::hover(&self.session, params).await)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(handlers::code_action::code_action(&self.session, params).await)
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        handlers::execute_command::execute_command(&self.session, params).await
    }
}
