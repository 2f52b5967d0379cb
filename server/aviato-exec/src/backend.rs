//! Where a run happens.

use std::future::Future;
use std::pin::Pin;

use tokio_util::sync::CancellationToken;

use crate::{Limits, Outcome, OutputSink, Payload};

/// A run in progress. Dropping it stops the sandbox and leaves no process behind.
pub type RunFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// A place to run sandbox functions.
pub trait Backend: Send + Sync {
    /// The name the outcome reports (`local`).
    fn name(&self) -> &'static str;

    /// Runs one call. Cancelling `cancel` stops the sandbox and ends the run with a
    /// `killed` outcome; so does dropping the future, without an outcome. With an
    /// `output` sink, the function's stdout and stderr also go there while it runs,
    /// as the backend receives them (all of it: [`crate::forward_output`] bounds it).
    fn run_with_output<'a>(
        &'a self,
        payload: &'a Payload,
        limits: &'a Limits,
        cancel: CancellationToken,
        output: Option<OutputSink>,
    ) -> RunFuture<'a>;

    /// Runs one call, its output only in the outcome.
    fn run<'a>(
        &'a self,
        payload: &'a Payload,
        limits: &'a Limits,
        cancel: CancellationToken,
    ) -> RunFuture<'a> {
        self.run_with_output(payload, limits, cancel, None)
    }
}
