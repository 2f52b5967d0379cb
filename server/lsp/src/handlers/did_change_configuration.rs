use std::sync::Arc;

use tower_lsp_server::ls_types::DidChangeConfigurationParams;

use crate::diagnostics;
use crate::session::Session;
use crate::settings::EditorSettings;

/// New settings re-analyse every open document; bad ones are shown and ignored,
/// leaving the previous settings in force.
pub(crate) async fn did_change_configuration(
    session: &Arc<Session>,
    params: DidChangeConfigurationParams,
) {
    match EditorSettings::from_client(&params.settings) {
        Ok(settings) => {
            session.set_editor_settings(settings);
            diagnostics::schedule_all(session);
        }
        Err(problem) => session.show_problem(problem).await,
    }
}
