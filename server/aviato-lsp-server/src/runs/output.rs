//! `aviato/runOutput`: a run's stdout and stderr sent to the client while the run
//! goes, in bounded pieces.

use aviato_exec::{OutputChunk, OutputStream, forward_output};
use tokio::sync::mpsc;

use crate::proto::ext::{RunArguments, RunOutput, RunOutputParams};
use crate::session::Session;

/// Sends what arrives on `chunks` until the run drops its sink: at most `limit`
/// bytes of each stream, as the outcome keeps them.
pub(super) async fn send_live(
    session: &Session,
    arguments: &RunArguments,
    chunks: mpsc::Receiver<OutputChunk>,
    limit: usize,
) {
    forward_output(chunks, limit, |stream, text| {
        let params = RunOutputParams {
            uri: arguments.uri.clone(),
            function: arguments.function.clone(),
            line: arguments.line,
            stream: match stream {
                OutputStream::Stdout => "stdout",
                OutputStream::Stderr => "stderr",
            }
            .to_string(),
            text,
        };
        session.client().send_notification::<RunOutput>(params)
    })
    .await;
}
