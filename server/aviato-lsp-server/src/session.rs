//! The state the handlers share.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use aviato_analysis::text::{PositionEncoding, TextRange};
use aviato_analysis::{Analysis, Reparser};
use dashmap::DashMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{self as lsp, MessageType, TextDocumentContentChangeEvent, Uri};

use crate::analysis::{Analyst, DocumentAnalysis};
use crate::edit::{EditHistory, TextDocument, map_range};
use crate::proto::to_proto;
use crate::runs::{RunRecord, Runs};
use crate::settings::EditorSettings;
use crate::transport::ToClient;

pub(crate) struct Session {
    client: Client,
    /// For diagnostics, encoded once (see [`ToClient`]).
    to_client: ToClient,
    negotiated: OnceLock<Negotiated>,
    documents: DashMap<Uri, OpenDocument>,
    /// Counts every open and edit, so a result can tell whether its document has
    /// changed since, even when the client reuses version numbers.
    revisions: AtomicU64,
    editor_settings: RwLock<Arc<EditorSettings>>,
    runs: Runs,
    /// Problems already shown, so one bad `pyproject.toml` is not shown per keystroke.
    shown_problems: Mutex<HashSet<String>>,
    /// Held while deciding to publish and publishing, so diagnostics computed for an
    /// old revision never arrive after newer ones.
    publish_lock: tokio::sync::Mutex<()>,
    /// One analysis of a whole file at a time, whoever asks for it (diagnostics,
    /// a request, a code action checking its edit). Its permit is moved into the
    /// blocking task, so it is held until the work ends even when the caller has
    /// given up (an edit replaced the diagnostics run, the client cancelled):
    /// abandoned work is never joined by more of it.
    analysis_turn: Arc<Semaphore>,
    analyst: Analyst,
    /// A problem with `initializationOptions`, shown once the client is initialized.
    startup_problem: Mutex<Option<String>>,
    shutdown_requested: AtomicBool,
}

/// What `initialize` settled about the client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Negotiated {
    pub(crate) encoding: PositionEncoding,
    /// The client answers `workspace/configuration`.
    pub(crate) pulls_configuration: bool,
    /// The client shows progress the server starts (`window/workDoneProgress/create`).
    pub(crate) creates_progress: bool,
    /// The client asks for code lenses again on `workspace/codeLens/refresh`.
    pub(crate) refreshes_code_lenses: bool,
    /// The client asks for inlay hints again on `workspace/inlayHint/refresh`.
    pub(crate) refreshes_inlay_hints: bool,
}

impl Default for Negotiated {
    fn default() -> Negotiated {
        Negotiated {
            encoding: PositionEncoding::Utf16,
            pulls_configuration: false,
            creates_progress: false,
            refreshes_code_lenses: false,
            refreshes_inlay_hints: false,
        }
    }
}

/// The analysis of one revision, computed by whichever asks first.
type AnalysisCell = Arc<OnceLock<Arc<DocumentAnalysis>>>;

/// The document's last parse, which the analysis of its next revision reuses.
type SharedReparser = Arc<Mutex<Reparser>>;

/// What is done with an analysis's diagnostics once they are known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    /// They are published: the functions' facts (for lenses, hover and runs) are
    /// collected once the publication is written, or after
    /// [`PUBLICATION_WAIT`]. On a small machine they would otherwise take the CPU
    /// from the publication and the editor reading it (a tenth of an edit's
    /// latency on two cores).
    Publish,
    /// A request waits for the facts: they follow at once.
    Answer,
}

/// The longest the facts wait for the publication.
const PUBLICATION_WAIT: std::time::Duration = std::time::Duration::from_millis(10);

/// The reparser; a parse interrupted by a panic may be half moved, so after one it
/// starts over.
fn lock_reparser(reparser: &Mutex<Reparser>) -> std::sync::MutexGuard<'_, Reparser> {
    reparser.lock().unwrap_or_else(|poisoned| {
        let mut reparser = poisoned.into_inner();
        *reparser = Reparser::default();
        reparser
    })
}

struct OpenDocument {
    document: TextDocument,
    /// Shared with the snapshots, for the analyses of older ones to see they are
    /// outdated.
    revision: Arc<AtomicU64>,
    analysis: AnalysisCell,
    reparser: SharedReparser,
    history: EditHistory,
    /// The last run of each function, in the current revision's offsets.
    runs: Arc<Vec<RunRecord>>,
    /// The diagnostics run waiting for this revision; an edit cancels it.
    diagnostics_task: Option<AbortHandle>,
}

impl OpenDocument {
    fn revision(&self) -> u64 {
        self.revision.load(Ordering::Relaxed)
    }
}

impl Drop for OpenDocument {
    fn drop(&mut self) {
        if let Some(task) = &self.diagnostics_task {
            task.abort();
        }
    }
}

/// A document as it was at one revision.
pub(crate) struct Snapshot {
    pub(crate) document: TextDocument,
    pub(crate) revision: u64,
    newest_revision: Arc<AtomicU64>,
    /// The runs recorded for this revision.
    pub(crate) runs: Arc<Vec<RunRecord>>,
    analysis: AnalysisCell,
    reparser: SharedReparser,
}

impl Session {
    pub(crate) fn new(client: Client, to_client: ToClient) -> Session {
        Session {
            client,
            to_client,
            negotiated: OnceLock::new(),
            documents: DashMap::new(),
            revisions: AtomicU64::new(0),
            editor_settings: RwLock::default(),
            runs: Runs::default(),
            shown_problems: Mutex::default(),
            publish_lock: tokio::sync::Mutex::new(()),
            analysis_turn: Arc::new(Semaphore::new(1)),
            analyst: Analyst::default(),
            startup_problem: Mutex::default(),
            shutdown_requested: AtomicBool::new(false),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Asks the client to fetch lenses and inlay hints again, without waiting for
    /// its answer (which arrives through the loop that may be running the caller).
    pub(crate) fn refresh_results(&self) {
        let negotiated = self.negotiated();
        let client = self.client().clone();
        tokio::spawn(async move {
            if negotiated.refreshes_code_lenses {
                let _ = client.code_lens_refresh().await;
            }
            if negotiated.refreshes_inlay_hints {
                let _ = client.inlay_hint_refresh().await;
            }
        });
    }

    /// What `initialize` settled; the protocol's defaults until then.
    pub(crate) fn negotiated(&self) -> Negotiated {
        self.negotiated.get().copied().unwrap_or_default()
    }

    pub(crate) fn set_negotiated(&self, negotiated: Negotiated) {
        let _ = self.negotiated.set(negotiated);
    }

    pub(crate) fn encoding(&self) -> PositionEncoding {
        self.negotiated().encoding
    }

    fn next_revision(&self) -> u64 {
        self.revisions.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn runs(&self) -> &Runs {
        &self.runs
    }

    pub(crate) fn open(&self, uri: Uri, document: TextDocument) {
        let revision = self.next_revision();
        self.documents.insert(
            uri,
            OpenDocument {
                document,
                revision: Arc::new(AtomicU64::new(revision)),
                analysis: AnalysisCell::default(),
                reparser: SharedReparser::default(),
                history: EditHistory::default(),
                runs: Arc::default(),
                diagnostics_task: None,
            },
        );
    }

    /// Applies an edit, carrying run results along (or dropping those of functions
    /// it touched); `false` when the document is not open.
    pub(crate) fn change(
        &self,
        uri: &Uri,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
    ) -> bool {
        let encoding = self.encoding();
        let revision = self.next_revision();
        let Some(mut open) = self.documents.get_mut(uri) else {
            return false;
        };
        let open = &mut *open;
        let changes = open.document.apply_changes(changes, version, encoding);
        if !open.runs.is_empty() {
            open.runs = Arc::new(
                open.runs
                    .iter()
                    .filter_map(|run| run.map(&changes))
                    .collect(),
            );
        }
        open.history.record(open.revision(), revision, changes);
        open.revision.store(revision, Ordering::Relaxed);
        self.analyst.retire(std::mem::take(&mut open.analysis));
        true
    }

    /// Forgets the document (cancelling its pending diagnostics); `false` when it
    /// was not open.
    pub(crate) fn close(&self, uri: &Uri) -> bool {
        self.documents.remove(uri).is_some()
    }

    pub(crate) fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        self.documents.get(uri).map(|open| Snapshot {
            document: open.document.clone(),
            revision: open.revision(),
            newest_revision: open.revision.clone(),
            runs: open.runs.clone(),
            analysis: open.analysis.clone(),
            reparser: open.reparser.clone(),
        })
    }

    /// The document's current revision and its analysis, computed now unless a
    /// request or the diagnostics run already did (after the analysis under way,
    /// if any: one at a time).
    pub(crate) async fn analysis(&self, uri: &Uri) -> Option<(Snapshot, Arc<DocumentAnalysis>)> {
        let snapshot = self.snapshot(uri)?;
        let analysis = match snapshot.analysis.get() {
            Some(analysis) => analysis.clone(),
            None => {
                let turn = self.analysis_turn.clone().acquire_owned().await.ok()?;
                self.analyse(uri, &snapshot, turn, Then::Answer).await?
            }
        };
        Some((snapshot, analysis))
    }

    /// The analysis of the revision current once no other analysis is under way:
    /// edits that arrived meanwhile are analysed together, once.
    pub(crate) async fn newest_analysis(
        &self,
        uri: &Uri,
    ) -> Option<(Snapshot, Arc<DocumentAnalysis>)> {
        let turn = self.analysis_turn.clone().acquire_owned().await.ok()?;
        let snapshot = self.snapshot(uri)?;
        let analysis = self.analyse(uri, &snapshot, turn, Then::Publish).await?;
        Some((snapshot, analysis))
    }

    /// The snapshot's analysis, computed in the analysis `turn` unless known.
    async fn analyse(
        &self,
        uri: &Uri,
        snapshot: &Snapshot,
        turn: OwnedSemaphorePermit,
        then: Then,
    ) -> Option<Arc<DocumentAnalysis>> {
        if let Some(analysis) = snapshot.analysis.get() {
            return Some(analysis.clone());
        }
        let cell = snapshot.analysis.clone();
        let reparser = snapshot.reparser.clone();
        let document = snapshot.document.clone();
        let editor = self.editor_settings();
        let target = uri.clone();
        let revision = snapshot.revision;
        let newest_revision = snapshot.newest_revision.clone();
        let to_client = self.to_client.clone();
        let (diagnosed, diagnostics) = tokio::sync::oneshot::channel();
        // The analysis is kept in its revision's cell by the analysis thread
        // itself, so it is not lost when the caller stops waiting. The caller has
        // it once its diagnostics are known; its functions follow in the same turn
        // until the document moves on (then they would only delay the next).
        self.analyst.submit(move || {
            let _turn = turn;
            if let Some(known) = cell.get() {
                let _ = diagnosed.send(known.clone());
                return;
            }
            let mut reparser = lock_reparser(&reparser);
            DocumentAnalysis::compute(
                &target,
                &document,
                &editor,
                &mut reparser,
                |analysis| {
                    let writes = to_client.writes();
                    let written = writes.so_far();
                    let _ = diagnosed.send(cell.get_or_init(|| analysis).clone());
                    if then == Then::Publish {
                        writes.wait_past(written, PUBLICATION_WAIT);
                    }
                },
                || newest_revision.load(Ordering::Relaxed) == revision,
            );
        });
        let computed = diagnostics.await.ok();
        if computed.is_none() {
            tracing::error!("the analysis of {} failed", uri.as_str());
        }
        computed
    }

    /// The document's current revision and its analysis with its functions (which
    /// the analysis collects after the diagnostics, in the same turn).
    pub(crate) async fn analysis_with_functions(
        &self,
        uri: &Uri,
    ) -> Option<(Snapshot, Arc<DocumentAnalysis>)> {
        let (snapshot, analysis) = self.analysis(uri).await?;
        if analysis.has_functions() {
            return Some((snapshot, analysis));
        }
        // The analysis under way holds the turn until its functions are in.
        let turn = self.analysis_turn.clone().acquire_owned().await.ok()?;
        if analysis.has_functions() {
            return Some((snapshot, analysis));
        }
        // Left out because the document moved on (or stopped by a panic): this
        // revision is the one asked about, a run's code above all, so collect them.
        let reparser = snapshot.reparser.clone();
        let document = snapshot.document.clone();
        let known = analysis.clone();
        self.analyst
            .run(move || {
                let _turn = turn;
                let mut reparser = lock_reparser(&reparser);
                let sdk = known.settings.sdk();
                let full =
                    Analysis::of_revision(document.text(), sdk, &mut reparser, |_| {}, || true);
                known.fill_functions(full);
            })
            .await;
        Some((snapshot, analysis))
    }

    /// Runs `work`, which analyses a whole file, on the analysis thread when no
    /// other analysis is under way; `None` when it panicked.
    pub(crate) async fn analyse_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let turn = self.analysis_turn.clone().acquire_owned().await.ok()?;
        self.analyst
            .run(move || {
                let _turn = turn;
                work()
            })
            .await
    }

    /// The analysis of the snapshot's revision, if it is already known.
    pub(crate) fn known_analysis(snapshot: &Snapshot) -> Option<Arc<DocumentAnalysis>> {
        snapshot.analysis.get().cloned()
    }

    /// Where `range`, a range of revision `revision`, is in the current revision;
    /// `None` when an edit touched it or the document is closed.
    pub(crate) fn current_range(
        &self,
        uri: &Uri,
        revision: u64,
        range: TextRange,
    ) -> Option<TextRange> {
        let open = self.documents.get(uri)?;
        map_range(range, &open.history.between(revision, open.revision())?)
    }

    /// Keeps `record`, computed on revision `revision`, as the last run of its
    /// function, unless an edit since touched the function. Returns whether it
    /// was kept.
    pub(crate) fn record_run(&self, uri: &Uri, revision: u64, record: &RunRecord) -> bool {
        let Some(mut open) = self.documents.get_mut(uri) else {
            return false;
        };
        let Some(record) = open
            .history
            .between(revision, open.revision())
            .and_then(|changes| record.map(&changes))
        else {
            return false;
        };
        let mut runs: Vec<RunRecord> = open
            .runs
            .iter()
            .filter(|run| !run.is_of(&record.function, record.function_range))
            .cloned()
            .collect();
        runs.push(record);
        open.runs = Arc::new(runs);
        true
    }

    /// Forgets the last run of the function `name` at `range` of revision
    /// `revision`. Returns whether there was one.
    pub(crate) fn forget_run(
        &self,
        uri: &Uri,
        revision: u64,
        name: &str,
        range: TextRange,
    ) -> bool {
        let Some(mut open) = self.documents.get_mut(uri) else {
            return false;
        };
        let Some(range) = open
            .history
            .between(revision, open.revision())
            .and_then(|changes| map_range(range, &changes))
        else {
            return false;
        };
        if !open.runs.iter().any(|run| run.is_of(name, range)) {
            return false;
        }
        open.runs = Arc::new(
            open.runs
                .iter()
                .filter(|run| !run.is_of(name, range))
                .cloned()
                .collect(),
        );
        true
    }

    /// Forgets every document's analysis, e.g. when the settings change.
    pub(crate) fn forget_analyses(&self) {
        for mut open in self.documents.iter_mut() {
            open.analysis = AnalysisCell::default();
        }
    }

    pub(crate) fn open_documents(&self) -> Vec<Uri> {
        self.documents
            .iter()
            .map(|open| open.key().clone())
            .collect()
    }

    /// Makes `task` the document's pending diagnostics run, cancelling the previous
    /// one (or `task` itself when the document is no longer open).
    pub(crate) fn replace_diagnostics_task(&self, uri: &Uri, task: AbortHandle) {
        match self.documents.get_mut(uri) {
            Some(mut open) => {
                if let Some(previous) = open.diagnostics_task.replace(task) {
                    previous.abort();
                }
            }
            None => task.abort(),
        }
    }

    /// Publishes the analysis' diagnostics and the runs' for the snapshot's
    /// revision, unless the document has changed or closed since.
    pub(crate) async fn publish_if_current(
        &self,
        uri: Uri,
        snapshot: &Snapshot,
        analysis: &DocumentAnalysis,
    ) {
        let _publishing = self.publish_lock.lock().await;
        // The runs as they are now: one may have finished since the snapshot.
        let runs = match self.documents.get(&uri) {
            Some(open) if open.revision() == snapshot.revision => open.runs.clone(),
            _ => return,
        };
        let lines = snapshot.document.line_map(self.encoding());
        let diagnostics: Vec<lsp::Diagnostic> = analysis
            .diagnostics
            .iter()
            .map(|diagnostic| to_proto::diagnostic(diagnostic, &uri, lines))
            .chain(
                runs.iter()
                    .filter_map(|run| to_proto::run_diagnostic(run, &uri, lines)),
            )
            .collect();
        tracing::debug!(
            "publishing {} diagnostics for {} (version {})",
            diagnostics.len(),
            uri.as_str(),
            snapshot.document.version()
        );
        self.publish(uri, diagnostics, Some(snapshot.document.version()));
        // Their encoding took a few megabytes on a large file, now free.
        self.analyst.freed_memory();
    }

    /// Clears the diagnostics of a closed document.
    pub(crate) async fn clear_diagnostics(&self, uri: Uri) {
        let _publishing = self.publish_lock.lock().await;
        self.publish(uri, Vec::new(), None);
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp::Diagnostic>, version: Option<i32>) {
        let params = lsp::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        use lsp::notification::{Notification, PublishDiagnostics};
        self.to_client.notify(PublishDiagnostics::METHOD, params);
    }

    pub(crate) fn editor_settings(&self) -> Arc<EditorSettings> {
        self.editor_settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_editor_settings(&self, settings: EditorSettings) {
        *self
            .editor_settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
        self.forget_analyses();
        // New settings may fix or change what was wrong: show problems afresh.
        self.shown_problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Shows a configuration problem to the user, once until the settings change.
    pub(crate) async fn show_problem(&self, problem: String) {
        let first_time = self
            .shown_problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(problem.clone());
        if first_time {
            tracing::warn!("{problem}");
            self.client
                .show_message(MessageType::ERROR, format!("aviato-lsp: {problem}"))
                .await;
        }
    }

    pub(crate) fn defer_problem(&self, problem: String) {
        *self
            .startup_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(problem);
    }

    pub(crate) fn take_deferred_problem(&self) -> Option<String> {
        self.startup_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    pub(crate) fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::Relaxed);
    }

    pub(crate) fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::Relaxed)
    }
}
