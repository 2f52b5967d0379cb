//! The state the handlers share.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use aviato_analysis::text::PositionEncoding;
use dashmap::DashMap;
use tokio::task::AbortHandle;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{MessageType, TextDocumentContentChangeEvent, Uri};

use crate::edit::TextDocument;
use crate::settings::EditorSettings;

pub(crate) struct Session {
    client: Client,
    negotiated: OnceLock<Negotiated>,
    documents: DashMap<Uri, OpenDocument>,
    /// Counts every open and edit, so a result can tell whether its document has
    /// changed since, even when the client reuses version numbers.
    revisions: AtomicU64,
    editor_settings: RwLock<Arc<EditorSettings>>,
    /// Problems already shown, so one bad `pyproject.toml` is not shown per keystroke.
    shown_problems: Mutex<HashSet<String>>,
    /// Held while deciding to publish and publishing, so diagnostics computed for an
    /// old revision never arrive after newer ones.
    publish_lock: tokio::sync::Mutex<()>,
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
}

impl Default for Negotiated {
    fn default() -> Negotiated {
        Negotiated {
            encoding: PositionEncoding::Utf16,
            pulls_configuration: false,
        }
    }
}

struct OpenDocument {
    document: TextDocument,
    revision: u64,
    /// The diagnostics run waiting for this revision; an edit cancels it.
    diagnostics_task: Option<AbortHandle>,
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
}

impl Session {
    pub(crate) fn new(client: Client) -> Session {
        Session {
            client,
            negotiated: OnceLock::new(),
            documents: DashMap::new(),
            revisions: AtomicU64::new(0),
            editor_settings: RwLock::default(),
            shown_problems: Mutex::default(),
            publish_lock: tokio::sync::Mutex::new(()),
            startup_problem: Mutex::default(),
            shutdown_requested: AtomicBool::new(false),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
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

    pub(crate) fn open(&self, uri: Uri, document: TextDocument) {
        let revision = self.next_revision();
        self.documents.insert(
            uri,
            OpenDocument {
                document,
                revision,
                diagnostics_task: None,
            },
        );
    }

    /// Applies an edit; `false` when the document is not open.
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
        open.document.apply_changes(changes, version, encoding);
        open.revision = revision;
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
            revision: open.revision,
        })
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

    /// Publishes diagnostics computed for `revision`, unless the document has
    /// changed or closed since.
    pub(crate) async fn publish_if_current(
        &self,
        uri: Uri,
        revision: u64,
        version: i32,
        diagnostics: Vec<tower_lsp_server::ls_types::Diagnostic>,
    ) {
        let _publishing = self.publish_lock.lock().await;
        let current = self
            .documents
            .get(&uri)
            .is_some_and(|open| open.revision == revision);
        if current {
            self.client
                .publish_diagnostics(uri, diagnostics, Some(version))
                .await;
        }
    }

    /// Clears the diagnostics of a closed document.
    pub(crate) async fn clear_diagnostics(&self, uri: Uri) {
        let _publishing = self.publish_lock.lock().await;
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
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
