use aviato_analysis::text::PositionEncoding;
use tower_lsp_server::ls_types::{
    ClientCapabilities, CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    CodeLensOptions, ExecuteCommandOptions, HoverProviderCapability, InitializeParams,
    InitializeResult, OneOf, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions,
};

use crate::proto::ext::COMMANDS;
use crate::proto::{from_proto, to_proto};
use crate::session::{Negotiated, Session};
use crate::settings::EditorSettings;

pub(crate) fn initialize(session: &Session, params: InitializeParams) -> InitializeResult {
    let negotiated = negotiate(&params.capabilities);
    session.set_negotiated(negotiated);
    if let Some(options) = &params.initialization_options {
        match EditorSettings::from_client(options) {
            Ok(settings) => session.set_editor_settings(settings),
            // The client only takes messages once it has the `initialize` response.
            Err(problem) => session.defer_problem(problem),
        }
    }
    tracing::info!("initialized with {:?} positions", negotiated.encoding);
    InitializeResult {
        capabilities: capabilities(negotiated.encoding),
        server_info: Some(ServerInfo {
            name: "aviato-lsp".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        offset_encoding: None,
    }
}

fn negotiate(capabilities: &ClientCapabilities) -> Negotiated {
    let workspace = capabilities.workspace.as_ref();
    Negotiated {
        encoding: from_proto::position_encoding(capabilities),
        pulls_configuration: workspace
            .and_then(|workspace| workspace.configuration)
            .unwrap_or(false),
        creates_progress: capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false),
        refreshes_code_lenses: workspace
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|code_lens| code_lens.refresh_support)
            .unwrap_or(false),
        refreshes_inlay_hints: workspace
            .and_then(|workspace| workspace.inlay_hint.as_ref())
            .and_then(|inlay_hint| inlay_hint.refresh_support)
            .unwrap_or(false),
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
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: COMMANDS.iter().map(|command| command.to_string()).collect(),
            ..ExecuteCommandOptions::default()
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new(super::code_action::SOURCE_FIX_ALL),
            ]),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        // The server's own requests, for clients that check before asking.
        experimental: Some(serde_json::json!({ "sandboxFunctions": true })),
        ..ServerCapabilities::default()
    }
}
