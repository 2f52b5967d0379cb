//! Diagnostics: analysed off the protocol task as soon as an edit arrives, and
//! published only if the document is still at the analysed revision, together with
//! the diagnostics of the runs recorded for it. One analysis runs at a time
//! ([`Session::newest_analysis`]): edits that arrive meanwhile replace each
//! other's waiting task, and the analysis under way finishes before the next
//! starts (even when an edit cancelled the task that asked for it), so a burst of
//! typing costs one more analysis, of the newest text.

use std::sync::Arc;

use tower_lsp_server::ls_types::Uri;

use crate::session::Session;

/// (Re)starts the diagnostics run for `uri`, cancelling a waiting one.
pub(crate) fn schedule(session: &Arc<Session>, uri: Uri) {
    let revision = session.snapshot(&uri).map(|snapshot| snapshot.revision);
    let task = tokio::spawn(publish(session.clone(), uri.clone(), revision));
    session.replace_diagnostics_task(&uri, task.abort_handle());
}

/// Re-analyses every open document, e.g. after a settings change.
pub(crate) fn schedule_all(session: &Arc<Session>) {
    for uri in session.open_documents() {
        schedule(session, uri);
    }
}

async fn publish(session: Arc<Session>, uri: Uri, revision: Option<u64>) {
    let Some((snapshot, analysis)) = session.newest_analysis(&uri).await else {
        return;
    };
    // A newer edit has its own task, which publishes the newer revision (whose
    // analysis this one may have just computed, in the turn it had).
    if Some(snapshot.revision) != revision {
        return;
    }
    if let Some(problem) = analysis.problem.clone() {
        session.show_problem(problem).await;
    }
    session.publish_if_current(uri, &snapshot, &analysis).await;
}

/// Publishes again after the runs of `uri` changed. When the current revision is
/// not analysed yet, its pending diagnostics run will include them.
pub(crate) async fn republish(session: &Session, uri: &Uri) {
    let Some(snapshot) = session.snapshot(uri) else {
        return;
    };
    if let Some(analysis) = Session::known_analysis(&snapshot) {
        session
            .publish_if_current(uri.clone(), &snapshot, &analysis)
            .await;
    }
}
