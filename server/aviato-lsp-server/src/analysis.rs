//! What the analysis says about one revision of a document, computed once and
//! shared by diagnostics, code lenses, inlay hints, hover and code actions; and
//! the thread that computes it.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use aviato_analysis::text::TextSize;
use aviato_analysis::{Analysis, Diagnostic, Reparser, SandboxFunctionFacts, Settings};
use tower_lsp_server::ls_types::Uri;

use crate::edit::TextDocument;
use crate::settings::{self, EditorSettings};

/// Larger documents are not analysed: no one writes sandbox code that long, and
/// the syntax tree of tens of megabytes of Python takes gigabytes and seconds.
const MAX_ANALYSED_BYTES: usize = 10_000_000;

pub(crate) struct DocumentAnalysis {
    /// `check` with the document's settings: what the user sees.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The settings `diagnostics` were checked with.
    pub(crate) settings: Settings,
    /// What the user should know about this analysis: why a `pyproject.toml`
    /// could not be used, or why the document was not analysed.
    pub(crate) problem: Option<String>,
    /// Collected after the diagnostics are published, by the same analysis (see
    /// [`crate::session::Session::analysis_with_functions`]).
    functions: OnceLock<Functions>,
    /// Whether applying an edit to this revision removes a diagnostic, by
    /// (diagnostic index, edit kind): code actions ask again as the cursor moves.
    verified_edits: Mutex<HashMap<(usize, EditKind), bool>>,
}

struct Functions {
    list: Vec<SandboxFunction>,
    /// The whole analysis, which a run prepares its call from.
    analysis: Option<Arc<Analysis>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum EditKind {
    Fix,
    Suppress,
}

pub(crate) struct SandboxFunction {
    pub(crate) facts: SandboxFunctionFacts,
    /// The error that makes the SDK fail on the client: the function cannot run.
    pub(crate) blocked_by: Option<Diagnostic>,
}

impl DocumentAnalysis {
    /// Analyses the document's revision: `diagnosed` gets the analysis as soon as
    /// its diagnostics are known, and its functions are filled in afterwards while
    /// `still_wanted` says so.
    pub(crate) fn compute(
        uri: &Uri,
        document: &TextDocument,
        editor: &EditorSettings,
        reparser: &mut Reparser,
        diagnosed: impl FnOnce(Arc<DocumentAnalysis>),
        still_wanted: impl Fn() -> bool,
    ) -> Arc<DocumentAnalysis> {
        let (settings, settings_problem) = settings::resolve(uri, editor);
        let size = document.text().len();
        if size > MAX_ANALYSED_BYTES {
            let skipped = Arc::new(DocumentAnalysis {
                diagnostics: Vec::new(),
                settings,
                problem: Some(format!(
                    "{} is not analysed: at {:.1} MB it is larger than the {} MB the analysis takes",
                    uri.as_str(),
                    size as f64 / 1e6,
                    MAX_ANALYSED_BYTES / 1_000_000
                )),
                functions: OnceLock::from(Functions {
                    list: Vec::new(),
                    analysis: None,
                }),
                verified_edits: Mutex::default(),
            });
            diagnosed(skipped.clone());
            return skipped;
        }
        let mut diagnosed_analysis = None;
        let analysis = Analysis::of_revision(
            document.text(),
            settings.sdk(),
            reparser,
            |analysis| {
                let shared = Arc::new(DocumentAnalysis {
                    diagnostics: analysis.diagnostics(&settings),
                    settings: settings.clone(),
                    problem: settings_problem,
                    functions: OnceLock::new(),
                    verified_edits: Mutex::default(),
                });
                diagnosed(shared.clone());
                diagnosed_analysis = Some(shared);
            },
            still_wanted,
        );
        let shared = diagnosed_analysis.expect("the analysis reports its diagnostics");
        if analysis.has_functions() {
            shared.fill_functions(analysis);
        }
        shared
    }

    /// Fills in the functions from `analysis`, a full analysis of this revision.
    pub(crate) fn fill_functions(&self, analysis: Analysis) {
        // Whether a function can run does not depend on the user's settings: a
        // rule turned off still fails on the client.
        let with_defaults = analysis.diagnostics(&Settings::default());
        let functions = analysis
            .functions()
            .iter()
            .map(|facts| SandboxFunction {
                blocked_by: aviato_exec::blocking_diagnostic(&with_defaults, facts).cloned(),
                facts: facts.clone(),
            })
            .collect();
        let _ = self.functions.set(Functions {
            list: functions,
            analysis: Some(Arc::new(analysis)),
        });
    }

    /// The analysis a run of this revision prepares its call from, once the
    /// functions are in.
    pub(crate) fn for_runs(&self) -> Option<Arc<Analysis>> {
        self.functions.get()?.analysis.clone()
    }

    /// Whether the functions are filled in.
    pub(crate) fn has_functions(&self) -> bool {
        self.functions.get().is_some()
    }

    /// The sandbox functions; none until they are filled in.
    pub(crate) fn functions(&self) -> &[SandboxFunction] {
        self.functions
            .get()
            .map_or(&[], |functions| functions.list.as_slice())
    }

    /// The function named `name` whose lines, from its first decorator to its
    /// name, include the 1-based `line`: how run requests name a function.
    pub(crate) fn function(
        &self,
        document: &TextDocument,
        name: &str,
        line: u32,
    ) -> Option<&SandboxFunction> {
        self.functions().iter().find(|function| {
            let facts = &function.facts;
            facts.name == name
                && (document.line_number(facts.statement_range.start())
                    ..=document.line_number(facts.name_range.start()))
                    .contains(&line)
        })
    }

    /// The function whose name or one of whose decorators is at `offset`.
    pub(crate) fn function_named_at(&self, offset: TextSize) -> Option<&SandboxFunction> {
        self.functions().iter().find(|function| {
            let facts = &function.facts;
            std::iter::once(&facts.name_range)
                .chain(&facts.stripped_decorators)
                .chain(&facts.kept_decorators)
                .any(|range| range.contains_inclusive(offset))
        })
    }

    /// Whether an edit of `kind` removes diagnostic number `index`, asked of
    /// `verify` once per revision.
    pub(crate) fn verified(
        &self,
        index: usize,
        kind: EditKind,
        verify: impl FnOnce() -> bool,
    ) -> bool {
        let known = self
            .verified_edits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(index, kind))
            .copied();
        known.unwrap_or_else(|| {
            let verdict = verify();
            self.verified_edits
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert((index, kind), verdict);
            verdict
        })
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// What the analysis thread drops once the work at hand is done.
type Retired = Arc<Mutex<Vec<Box<dyn Send>>>>;

/// How long the analysis thread waits for more work before it gives the memory
/// the allocator keeps free back to the system.
const IDLE: Duration = Duration::from_millis(300);

/// The one thread that analyses whole files, in the order asked. Analysing a
/// large file allocates a syntax tree of many megabytes and frees it; on one
/// long-lived thread that memory is reused by the next analysis, where threads
/// of a pool would each keep an allocator arena of their own, grown to the size
/// of the largest analysis they ran. Once no work has come for a moment, the
/// thread hands the free memory back (see [`crate::allocator::release_free_memory`]), so a burst
/// of typing does not leave the server at its peak size.
pub(crate) struct Analyst {
    /// `None` when the thread could not be started: the work then runs on the
    /// runtime's blocking threads.
    jobs: Option<Mutex<mpsc::Sender<Job>>>,
    retired: Retired,
}

impl Default for Analyst {
    fn default() -> Analyst {
        let (jobs, queue) = mpsc::channel::<Job>();
        let retired = Retired::default();
        let dropped = retired.clone();
        let started = std::thread::Builder::new()
            .name("aviato-analysis".to_string())
            .spawn(move || serve(&queue, &dropped));
        if let Err(err) = &started {
            tracing::error!("cannot start the analysis thread: {err}");
        }
        Analyst {
            jobs: started.ok().map(|_| Mutex::new(jobs)),
            retired,
        }
    }
}

impl Analyst {
    /// Runs `work` on the analysis thread once the work asked before is done;
    /// `None` when it panicked. The work runs to its end even when the caller
    /// stops waiting.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.submit(move || {
            let _ = done.send(work());
        });
        result.await.ok()
    }

    /// Queues `work` for the analysis thread, after the work asked before. A
    /// panic in it is caught: whoever waits for its results sees them dropped.
    pub(crate) fn submit(&self, work: impl FnOnce() + Send + 'static) {
        let job: Job = Box::new(move || {
            let _ = std::panic::catch_unwind(AssertUnwindSafe(work));
        });
        // Without the thread, the runtime's blocking threads do the work.
        let unqueued = match &self.jobs {
            Some(jobs) => match jobs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(job)
            {
                Ok(()) => return,
                Err(failed) => failed.0,
            },
            None => job,
        };
        tokio::task::spawn_blocking(unqueued);
    }

    /// Drops `value` on the analysis thread after the work queued so far: the
    /// analysis of a revision an edit replaced holds thousands of allocations,
    /// which are freed after the new revision's diagnostics, not before its
    /// analysis starts.
    pub(crate) fn retire(&self, value: impl Send + 'static) {
        if self.jobs.is_some() {
            let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
            retired.push(Box::new(value));
        }
    }

    /// Restarts the wait before free memory is given back: work elsewhere (the
    /// publication of an analysis's diagnostics) has just freed a lot of it.
    pub(crate) fn freed_memory(&self) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(Box::new(|| {}));
        }
    }
}

fn serve(queue: &mpsc::Receiver<Job>, retired: &Retired) {
    let drop_retired = || {
        let values = std::mem::take(&mut *retired.lock().unwrap_or_else(PoisonError::into_inner));
        drop(values);
    };
    let mut released = true;
    loop {
        let job = if released {
            queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            queue.recv_timeout(IDLE)
        };
        match job {
            Ok(job) => {
                job();
                drop_retired();
                released = false;
            }
            Err(RecvTimeoutError::Timeout) => {
                drop_retired();
                crate::allocator::release_free_memory();
                released = true;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
