//! JSON-RPC messages over stdio.
//!
//! tower-lsp-server's own transport stops reading at the first message it cannot
//! decode, which ends the session. This one answers such a message with an error
//! and keeps serving, and hands everything else to the `LspService`. Messages are
//! read and written by two threads of their own, a message written with one
//! `write` where the pipe takes it: tokio's stdin and stdout hand each read and
//! write to its blocking pool and wait for it, which cost an edit's diagnostics
//! about a fifth of their time on a two-core machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::Poll;

use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tower::{Service, ServiceExt};
use tower_lsp_server::jsonrpc::{Error, Id, Request, Response};
use tower_lsp_server::{ClientSocket, ExitedError, LanguageServer, LspService};

/// Longer header lines are cut, and what follows read as further lines.
const MAX_HEADER_LINE: u64 = 8 * 1024;
/// Larger messages are skipped rather than buffered.
const MAX_MESSAGE: usize = 512 * 1024 * 1024;

/// Messages read ahead of the ones being handled.
const READ_AHEAD: usize = 16;
/// How long the last messages may take to reach the client once the session is
/// over (a client that stopped reading its end would hold the process forever).
const FLUSH_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Encoded messages on their way to the client; `None` asks the writer to stop once
/// everything queued before it is written.
type Outgoing = UnboundedSender<Option<String>>;

/// What is written to the client, in order, and the count of what was.
pub(crate) struct Queue {
    messages: UnboundedReceiver<Option<String>>,
    writes: Arc<Writes>,
}

/// Sends notifications to the client encoded once, straight into the queue of
/// messages to write (tower-lsp's client first makes a JSON value of them, then
/// its transport a string: a tenth of an edit's time for a large file's
/// diagnostics).
#[derive(Clone)]
pub(crate) struct ToClient {
    outgoing: Outgoing,
    writes: Arc<Writes>,
}

impl ToClient {
    pub(crate) fn new() -> (ToClient, Queue) {
        let (outgoing, messages) = unbounded_channel();
        let writes = Arc::new(Writes::default());
        let queue = Queue {
            messages,
            writes: writes.clone(),
        };
        (ToClient { outgoing, writes }, queue)
    }

    /// The messages written so far: work that should not compete with the next
    /// one for the CPU waits for it (see `session::Then::Publish`).
    pub(crate) fn writes(&self) -> &Writes {
        &self.writes
    }

    pub(crate) fn notify(&self, method: &'static str, params: impl Serialize) {
        #[derive(Serialize)]
        struct Notification<P> {
            jsonrpc: &'static str,
            method: &'static str,
            params: P,
        }
        let notification = Notification {
            jsonrpc: "2.0",
            method,
            params,
        };
        send(&self.outgoing, &notification);
    }
}

/// Serves until `exit` or the end of `input`, writing what `to_client` and the
/// service send, in the order they send it.
pub(crate) async fn serve<S: LanguageServer>(
    input: impl Read + Send + 'static,
    output: impl Write + Send + 'static,
    mut service: LspService<S>,
    socket: ClientSocket,
    (ToClient { outgoing, .. }, queue): (ToClient, Queue),
) {
    let (written, writer) = tokio::sync::oneshot::channel();
    let (read, mut bodies) = tokio::sync::mpsc::channel(READ_AHEAD);
    let started = std::thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            write_messages(output, queue);
            let _ = written.send(());
        })
        .and_then(|_| {
            // Blocked on the input until the client closes it: not joined.
            std::thread::Builder::new()
                .name("lsp-reader".into())
                .spawn(move || read_messages(input, &read))
        });
    if let Err(err) = started {
        tracing::error!("cannot start the threads that talk to the client: {err}");
        return;
    }
    let (mut server_requests, mut client_responses) = socket.split();
    let forward = outgoing.clone();
    tokio::spawn(async move {
        while let Some(request) = server_requests.next().await {
            send(&forward, &request);
        }
    });

    while let Some(body) = bodies.recv().await {
        match decode(&body) {
            Incoming::Request(request) => {
                if !dispatch(&mut service, request, &outgoing).await {
                    break;
                }
            }
            Incoming::Response(response) => {
                if client_responses.send(response).await.is_err() {
                    tracing::warn!("dropping a response: the server has stopped");
                }
            }
            Incoming::Invalid(error) => send(&outgoing, &error),
        }
    }
    // The process ends when this returns: what is queued, the reply to `shutdown`
    // first of all, is written before, even when `exit` came right behind it.
    drop(outgoing.send(None));
    if tokio::time::timeout(FLUSH_GRACE, writer).await.is_err() {
        tracing::warn!("the client did not read the last messages");
    }
}

/// Hands `request` to the service; `false` once the session is over.
async fn dispatch<S: LanguageServer>(
    service: &mut LspService<S>,
    request: Request,
    outgoing: &Outgoing,
) -> bool {
    let exit = request.method() == "exit";
    // Notifications, `initialize` and `shutdown` finish before the next message is
    // read, so the state they change changes in the order the client meant.
    let in_order = request.id().is_none() || matches!(request.method(), "initialize" | "shutdown");
    let Ok(ready) = service.ready().await else {
        return false;
    };
    let mut response = Box::pin(ready.call(request));
    if in_order {
        respond(response.await, outgoing);
        return !exit;
    }
    // Polled once before the next message is read, a request reads the documents
    // as they were when it arrived, whatever edit follows it; it then goes on
    // beside the messages that follow.
    match std::future::poll_fn(|context| Poll::Ready(response.as_mut().poll(context))).await {
        Poll::Ready(result) => respond(result, outgoing),
        Poll::Pending => {
            let outgoing = outgoing.clone();
            tokio::spawn(async move { respond(response.await, &outgoing) });
        }
    }
    !exit
}

fn respond(result: Result<Option<Response>, ExitedError>, outgoing: &Outgoing) {
    if let Ok(Some(response)) = result {
        send(outgoing, &response);
    }
}

enum Incoming {
    Request(Request),
    Response(Response),
    /// The error response to a message that is not JSON-RPC.
    Invalid(Response),
}

fn decode(body: &[u8]) -> Incoming {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            tracing::warn!("unparsable message: {err}");
            return Incoming::Invalid(Response::from_error(Id::Null, Error::parse_error()));
        }
    };
    let decoded = if value.get("method").is_some() {
        Request::deserialize(&value).map(Incoming::Request)
    } else {
        Response::deserialize(&value).map(Incoming::Response)
    };
    decoded.unwrap_or_else(|err| {
        tracing::warn!("invalid message: {err}");
        let id = value
            .get("id")
            .and_then(|id| Id::deserialize(id).ok())
            .unwrap_or_default();
        Incoming::Invalid(Response::from_error(id, Error::invalid_request()))
    })
}

/// Reads messages until the input ends or nobody takes them. Blocks.
fn read_messages(input: impl Read, bodies: &tokio::sync::mpsc::Sender<Vec<u8>>) {
    let mut input = BufReader::new(input);
    while let Some(body) = read_message(&mut input) {
        if bodies.blocking_send(body).is_err() {
            return;
        }
    }
}

/// The body of the next message, or `None` at the end of the input. Header blocks
/// without a usable `Content-Length` are skipped.
fn read_message(input: &mut impl BufRead) -> Option<Vec<u8>> {
    loop {
        let mut length = None;
        loop {
            let mut line = Vec::new();
            let read = (&mut *input)
                .take(MAX_HEADER_LINE)
                .read_until(b'\n', &mut line)
                .ok()?;
            if read == 0 {
                return None;
            }
            let line = line.trim_ascii();
            if line.is_empty() {
                break;
            }
            if let Some(value) = content_length(line) {
                length = value;
            }
        }
        match length {
            Some(length) if length <= MAX_MESSAGE => {
                let mut body = vec![0; length];
                input.read_exact(&mut body).ok()?;
                return Some(body);
            }
            Some(length) => {
                tracing::warn!("skipping a message of {length} bytes");
                let mut rest = (&mut *input).take(length as u64);
                std::io::copy(&mut rest, &mut std::io::sink()).ok()?;
            }
            None => tracing::warn!("skipping a message header without a valid Content-Length"),
        }
    }
}

/// The value of a `Content-Length` header line: `Some(None)` when it is not a
/// number. The header may come after other bytes on the line: the body of a message
/// whose length was unusable, read as a header line, runs into the next message's
/// first header when it does not end with a newline.
fn content_length(line: &[u8]) -> Option<Option<usize>> {
    const NAME: &[u8] = b"content-length:";
    let at = line
        .windows(NAME.len())
        .position(|window| window.eq_ignore_ascii_case(NAME))?;
    let value = String::from_utf8_lossy(&line[at + NAME.len()..]);
    Some(value.trim().parse::<usize>().ok())
}

/// Writes the queued messages until the queue ends or holds `None`. Blocks.
fn write_messages(mut output: impl Write, mut queue: Queue) {
    while let Some(Some(message)) = queue.messages.blocking_recv() {
        let frame = format!("Content-Length: {}\r\n\r\n{message}", message.len());
        drop(message);
        if let Err(err) = output
            .write_all(frame.as_bytes())
            .and_then(|()| output.flush())
        {
            tracing::error!("cannot write to the client: {err}");
            break;
        }
        queue.writes.count();
    }
}

/// A count of the messages written.
#[derive(Default)]
pub(crate) struct Writes {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Writes {
    pub(crate) fn so_far(&self) -> u64 {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until more than `seen` messages are written, or `timeout` passes.
    pub(crate) fn wait_past(&self, seen: u64, timeout: std::time::Duration) {
        let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .changed
            .wait_timeout_while(count, timeout, |count| *count <= seen);
    }

    fn count(&self) {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }
}

fn send(outgoing: &Outgoing, message: &impl Serialize) {
    match serde_json::to_string(message) {
        // A closed queue means the writer has stopped; the error is logged there.
        Ok(json) => drop(outgoing.send(Some(json))),
        Err(err) => tracing::error!("cannot encode a message: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(mut input: &[u8]) -> Vec<String> {
        let mut bodies = Vec::new();
        while let Some(body) = read_message(&mut input) {
            bodies.push(String::from_utf8(body).unwrap());
        }
        bodies
    }

    #[test]
    fn header_blocks_without_a_usable_length_are_skipped() {
        let input = b"Content-Length: 2\r\n\r\n{}\
            X-Unknown: 1\r\n\r\n\
            Content-Length: nope\r\n\r\n\
            \r\n\
            content-length: 3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]\
            Content-Length: 1\n\n7";
        assert_eq!(bodies(input), ["{}", "[1]", "7"]);
    }

    #[test]
    fn the_body_of_a_message_without_a_usable_length_does_not_swallow_the_next() {
        let input = b"Content-Length: nope\r\n\r\n{\"jsonrpc\": \"2.0\"}\
            Content-Length: 2\r\n\r\n{}\
            Content-Length: -1\r\n\r\n[]\n\
            Content-Length: 3\r\n\r\n[1]";
        assert_eq!(bodies(input), ["{}", "[1]"]);
    }

    #[test]
    fn a_truncated_message_ends_the_input() {
        assert_eq!(
            bodies(b"Content-Length: 10\r\n\r\n{}"),
            Vec::<String>::new()
        );
        assert_eq!(bodies(b"Content-Length: 2\r\n"), Vec::<String>::new());
    }

    #[test]
    fn an_endless_header_line_is_read_in_pieces() {
        let mut input = vec![b'x'; 3 * MAX_HEADER_LINE as usize];
        input.extend(b"\r\n\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(bodies(&input), ["{}"]);
    }

    fn error_of(incoming: Incoming) -> (Id, i64) {
        let Incoming::Invalid(response) = incoming else {
            panic!("expected an error response");
        };
        let (id, result) = response.into_parts();
        (id, result.unwrap_err().code.code())
    }

    #[test]
    fn decoding() {
        assert!(matches!(
            decode(br#"{"jsonrpc": "2.0", "method": "initialized", "params": {}}"#),
            Incoming::Request(_)
        ));
        assert!(matches!(
            decode(br#"{"jsonrpc": "2.0", "id": 1, "result": null}"#),
            Incoming::Response(_)
        ));
        assert_eq!(error_of(decode(b"{")), (Id::Null, -32700));
        assert_eq!(error_of(decode(b"\xff")), (Id::Null, -32700));
        assert_eq!(error_of(decode(b"[]")), (Id::Null, -32600));
        assert_eq!(
            error_of(decode(br#"{"jsonrpc": "2.0", "id": 3, "method": null}"#)),
            (Id::Number(3), -32600)
        );
    }
}
