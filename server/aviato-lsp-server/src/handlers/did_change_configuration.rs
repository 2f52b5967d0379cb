use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::ls_types::{ConfigurationItem, DidChangeConfigurationParams};

use crate::diagnostics;
use crate::session::Session;
use crate::settings::{EditorSettings, SECTION};

/// New settings re-analyse every open document and refresh lenses and inlay hints;
/// bad ones are shown and ignored, leaving the previous settings in force.
pub(crate) async fn did_change_configuration(
    session: &Arc<Session>,
    params: DidChangeConfigurationParams,
) {
    if params.settings.is_null() && session.negotiated().pulls_configuration {
        // The pull model: `null` says "changed, ask me". Asked from another task,
        // since the answer arrives through the loop that is running this handler.
        tokio::spawn(pull_configuration(session.clone()));
    } else {
        apply(session, &params.settings).await;
    }
}

async fn pull_configuration(session: Arc<Session>) {
    let item = ConfigurationItem {
        scope_uri: None,
        section: Some(SECTION.to_string()),
    };
    match session.client().configuration(vec![item]).await {
        Ok(mut sections) => apply(&session, &sections.pop().unwrap_or_default()).await,
        Err(err) => tracing::warn!("workspace/configuration failed: {err}"),
    }
}

async fn apply(session: &Arc<Session>, settings: &Value) {
    match EditorSettings::from_client(settings) {
        Ok(settings) => {
            session.set_editor_settings(settings);
            diagnostics::schedule_all(session);
            // Lens titles and inlay hints depend on the `codeLens` and `inlayHints` settings.
            session.refresh_results();
        }
        Err(problem) => session.show_problem(problem).await,
    }
}
