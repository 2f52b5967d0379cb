//! "Run in sandbox": each run in its own task, one per function at a time (a new
//! run of a function cancels the one before), a bounded number at once, so the
//! server keeps serving while functions run.

mod execute;
mod output;
mod record;
pub(crate) mod summary;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use aviato_analysis::text::TextRange;
use aviato_exec::CancellationToken;
use tokio::sync::{Semaphore, watch};
use tower_lsp_server::ls_types::{ProgressToken, Uri};

pub(crate) use execute::run;
pub(crate) use record::RunRecord;

use crate::proto::ext::RunArguments;
use crate::session::Session;

/// Runs at once; more wait for a turn.
const MAX_CONCURRENT_RUNS: usize = 4;

pub(crate) struct Runs {
    permits: Arc<Semaphore>,
    next_id: AtomicU64,
    in_flight: Mutex<Vec<InFlight>>,
}

impl Default for Runs {
    fn default() -> Runs {
        Runs {
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_RUNS)),
            next_id: AtomicU64::new(1),
            in_flight: Mutex::default(),
        }
    }
}

/// A run in progress.
#[derive(Clone, Debug)]
pub(crate) struct InFlight {
    id: u64,
    pub(crate) uri: Uri,
    pub(crate) function: String,
    /// The `line` of the `aviato.run` request, by which `aviato.cancelRun` names it.
    requested_line: u32,
    /// The function's `def` in the revision the run started from.
    pub(crate) origin: Option<Origin>,
    progress: Option<ProgressToken>,
    stop: Stop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) revision: u64,
    pub(crate) function_range: TextRange,
    pub(crate) name_range: TextRange,
}

/// How a run is stopped, and how to tell that it has.
#[derive(Clone, Debug)]
struct Stop {
    token: CancellationToken,
    /// Why it was cancelled; the first reason given wins.
    reason: Arc<OnceLock<String>>,
    finished: watch::Receiver<bool>,
}

impl Stop {
    fn cancel(&self, reason: &str) {
        let _ = self.reason.set(reason.to_string());
        self.token.cancel();
    }

    /// Waits until the run has ended (its sandbox is gone), at most `limit`.
    async fn wait(mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.finished.wait_for(|done| *done)).await;
    }
}

/// How long `aviato.cancelRun` and shutdown wait for a cancelled run to end.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// What ends a run's bookkeeping, whichever way the run ends.
struct Registration {
    session: Arc<Session>,
    id: u64,
    finished: watch::Sender<bool>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.session.runs().remove(self.id);
        let _ = self.finished.send(true);
    }
}

impl Runs {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds the run `arguments` ask for, cancelling the older runs of the same
    /// function.
    fn register(
        &self,
        session: &Arc<Session>,
        id: u64,
        arguments: &RunArguments,
        origin: Option<Origin>,
        progress: Option<ProgressToken>,
    ) -> (InFlight, Registration) {
        let (finished, finished_receiver) = watch::channel(false);
        let run = InFlight {
            id,
            uri: arguments.uri.clone(),
            function: arguments.function.clone(),
            requested_line: arguments.line,
            origin,
            progress,
            stop: Stop {
                token: CancellationToken::new(),
                reason: Arc::default(),
                finished: finished_receiver,
            },
        };
        // Where the older runs' functions are now, found before taking the lock.
        let older = self.of_function(&run.uri, &run.function);
        let current = |run: &InFlight| {
            run.origin.and_then(|origin| {
                session.current_range(&run.uri, origin.revision, origin.function_range)
            })
        };
        let this = current(&run);
        for older in older {
            let same = match (this, current(&older)) {
                (Some(this), Some(that)) => this == that,
                _ => older.requested_line == run.requested_line,
            };
            if same {
                older.stop.cancel("cancelled: replaced by a newer run");
            }
        }
        self.lock().push(run.clone());
        let registration = Registration {
            session: session.clone(),
            id,
            finished,
        };
        (run, registration)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<InFlight>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|run| run.id != id);
    }

    fn of_function(&self, uri: &Uri, function: &str) -> Vec<InFlight> {
        self.lock()
            .iter()
            .filter(|run| &run.uri == uri && run.function == function)
            .cloned()
            .collect()
    }

    /// The runs in flight for `uri`.
    pub(crate) fn in_flight(&self, uri: &Uri) -> Vec<InFlight> {
        self.lock()
            .iter()
            .filter(|run| &run.uri == uri)
            .cloned()
            .collect()
    }

    /// Cancels the runs of the function `function` at the 1-based `line` of `uri`
    /// (the line the run was asked for, or any line from the function's first
    /// decorator to its name now), and waits for them to end. Returns how many
    /// there were.
    pub(crate) async fn cancel(
        &self,
        session: &Session,
        uri: &Uri,
        function: &str,
        line: u32,
    ) -> usize {
        let snapshot = session.snapshot(uri);
        // The lines from the function's first decorator to its name, now.
        let lines_now = |run: &InFlight| {
            let origin = run.origin?;
            let document = &snapshot.as_ref()?.document;
            let current = |range| session.current_range(uri, origin.revision, range);
            let first = document.line_number(current(origin.function_range)?.start());
            let name = document.line_number(current(origin.name_range)?.start());
            Some(first..=name)
        };
        let matching: Vec<InFlight> = self
            .of_function(uri, function)
            .into_iter()
            .filter(|run| {
                run.requested_line == line
                    || lines_now(run).is_some_and(|lines| lines.contains(&line))
            })
            .collect();
        for run in &matching {
            run.stop.cancel("cancelled");
        }
        for run in &matching {
            run.stop.clone().wait(STOP_WAIT).await;
        }
        matching.len()
    }

    /// Cancels the run that reports progress with `token`.
    pub(crate) fn cancel_progress(&self, token: &ProgressToken) {
        for run in self.lock().iter() {
            if run.progress.as_ref() == Some(token) {
                run.stop.cancel("cancelled");
            }
        }
    }

    /// Cancels every run and waits for them to end, e.g. at shutdown.
    pub(crate) async fn cancel_all(&self) {
        let runs: Vec<InFlight> = self.lock().clone();
        for run in &runs {
            run.stop.cancel("cancelled: the server is shutting down");
        }
        for run in runs {
            run.stop.wait(STOP_WAIT).await;
        }
    }
}
