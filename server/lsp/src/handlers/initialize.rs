use aviato_analysis::text::PositionEncoding;
use tower_lsp_server::ls_types::{
    InitializeParams, InitializeResult, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions,
};

use crate::proto::{from_proto, to_proto};
use crate::session::{Negotiated, Session};
use crate::settings::EditorSettings;

pub(crate) fn initialize(session: &Session, params: InitializeParams) -> InitializeResult {
    let encoding = from_proto::position_encoding(&params.capabilities);
    let pulls_configuration = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.configuration)
        .unwrap_or(false);
    session.set_negotiated(Negotiated {
        encoding,
        pulls_configuration,
    });
    if let Some(options) = &params.initialization_options {
        match EditorSettings::from_client(options) {
            Ok(settings) => session.set_editor_settings(settings),
            // The client only takes messages once it has the `initialize` response.
            Err(problem) => session.defer_problem(problem),
        }
    }
    tracing::info!("initialized with {encoding:?} positions");
    InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "aviato-lsp".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        offset_encoding: None,
    }
}

fn capabilities(encoding: PositionEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(to_proto::position_encoding(encoding)),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        ..ServerCapabilities::default()
    }
}
