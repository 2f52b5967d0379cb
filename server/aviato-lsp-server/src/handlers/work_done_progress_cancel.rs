use tower_lsp_server::ls_types::WorkDoneProgressCancelParams;

use crate::session::Session;

/// The user cancelled a run from its progress.
pub(crate) fn work_done_progress_cancel(session: &Session, params: WorkDoneProgressCancelParams) {
    session.runs().cancel_progress(&params.token);
}
