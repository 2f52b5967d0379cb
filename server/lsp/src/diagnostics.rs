//! Diagnostics: analysed off the protocol task, a short while after the last edit,
//! and published only if the document is still at the analysed revision.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aviato_analysis::text::PositionEncoding;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::edit::TextDocument;
use crate::proto::to_proto;
use crate::session::{Session, Snapshot};
use crate::settings::{self, EditorSettings};

/// How long to wait after an edit before analysing: typing bursts cost one run.
const DEBOUNCE: Duration = Duration::from_millis(40);

/// (Re)starts the diagnostics run for `uri`, cancelling a pending one.
pub(crate) fn schedule(session: &Arc<Session>, uri: Uri) {
    let task = tokio::spawn(publish_after_debounce(session.clone(), uri.clone()));
    session.replace_diagnostics_task(&uri, task.abort_handle());
}

/// Re-analyses every open document, e.g. after a settings change.
pub(crate) fn schedule_all(session: &Arc<Session>) {
    for uri in session.open_documents() {
        schedule(session, uri);
    }
}

async fn publish_after_debounce(session: Arc<Session>, uri: Uri) {
    tokio::time::sleep(DEBOUNCE).await;
    let Some(Snapshot { document, revision }) = session.snapshot(&uri) else {
        return;
    };
    let version = document.version();
    let editor = session.editor_settings();
    let encoding = session.encoding();
    let job_uri = uri.clone();
    let job = tokio::task::spawn_blocking(move || analyze(&job_uri, &document, &editor, encoding));
    let analysis = match job.await {
        Ok(analysis) => analysis,
        Err(err) => {
            tracing::error!("analysis of {} failed: {err}", uri.as_str());
            return;
        }
    };
    if let Some(problem) = analysis.settings_problem {
        session.show_problem(problem).await;
    }
    session
        .publish_if_current(uri, revision, version, analysis.diagnostics)
        .await;
}

struct Analysis {
    diagnostics: Vec<lsp::Diagnostic>,
    settings_problem: Option<String>,
}

fn analyze(
    uri: &Uri,
    document: &TextDocument,
    editor: &EditorSettings,
    encoding: PositionEncoding,
) -> Analysis {
    let start = Instant::now();
    let (settings, settings_problem) = settings::resolve(uri, editor);
    let lines = document.line_map(encoding);
    let diagnostics: Vec<_> = aviato_analysis::check(document.text(), &settings)
        .iter()
        .map(|diagnostic| to_proto::diagnostic(diagnostic, uri, lines))
        .collect();
    tracing::debug!(
        "{} diagnostics for {} (version {}) in {:?}",
        diagnostics.len(),
        uri.as_str(),
        document.version(),
        start.elapsed()
    );
    Analysis {
        diagnostics,
        settings_problem,
    }
}
