//! The connections: Connect unary JSON over HTTP/1.1 and gRPC over cleartext
//! HTTP/2 on the same port, told apart by the protocol and the content type;
//! authentication, and for Connect routing, decoding, and errors.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use aviato_protocol::connect::{Code, ErrorBody, Method, SERVICE_PATH};
use aviato_sandbox::CancellationToken;
use http_body_util::{BodyExt, Full};
use tokio::sync::OwnedSemaphorePermit;

use crate::budget::{Budget, Budgeted};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tonic::body::Body as GrpcBody;
use tower_service::Service as _;

use crate::Failure;
use crate::grpc;
use crate::sandboxes::Sandboxes;

/// gRPC calls served at once on one HTTP/2 connection.
const MAX_STREAMS: u32 = 64;

/// How often an idle HTTP/2 connection is pinged, and how long the answer may take.
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// The largest request body: a 64 MiB file in base64, and room for the rest.
const MAX_BODY: usize = 96 * 1024 * 1024;

/// The longest a request's body may take, however steadily it comes.
const BODY_DEADLINE: Duration = Duration::from_secs(300);

/// Connections past the cap that may wait at once for their `resource_exhausted`
/// answer; those beyond are closed at once.
const REFUSING: usize = 64;

/// How long a connection past the cap may take to send its headers.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) struct Server {
    sandboxes: Arc<Sandboxes>,
    grpc: grpc::Server,
    /// The request bytes held at once, across connections.
    budget: Budget,
    token: Option<String>,
    /// The longest a client may stay silent while it sends its headers (and, on a
    /// kept-alive connection, before its next request) or its body.
    read_timeout: Duration,
}

/// What bounds the connections: how many at once, and how long each may stall.
pub(crate) struct Bounds {
    pub max_connections: usize,
    pub read_timeout: Duration,
}

pub(crate) async fn accept(
    listener: tokio::net::TcpListener,
    server: Arc<Server>,
    bounds: Bounds,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(bounds.max_connections));
    let refusing = Arc::new(Semaphore::new(REFUSING));
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors, or a connection reset before it was accepted.
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => return Ok(()),
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            let max = bounds.max_connections;
            match refusing.clone().try_acquire_owned() {
                Ok(permit) => {
                    tokio::spawn(async move {
                        refuse(stream, max).await;
                        drop(permit);
                    });
                }
                Err(_) => drop(stream),
            }
            continue;
        };
        let server = server.clone();
        let read_timeout = bounds.read_timeout;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(server.handle(request).await) }
            });
            // A client that goes away ends the connection, and with it the call it
            // was waiting for (a running command is killed).
            let _ = serve(stream, service, read_timeout, true).await;
            drop(permit);
        });
    }
}

/// The first bytes an HTTP/2 client sends (prior knowledge: gRPC over cleartext).
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client speaks HTTP/2, from its first bytes; `None` when it sends
/// nothing within `timeout` (or closes).
async fn speaks_http2(stream: &tokio::net::TcpStream, timeout: Duration) -> Option<bool> {
    let detect = async {
        let mut buffer = [0u8; HTTP2_PREFACE.len()];
        loop {
            let seen = stream.peek(&mut buffer).await.ok()?;
            if seen == 0 {
                return None;
            }
            if buffer[..seen] != HTTP2_PREFACE[..seen] {
                return Some(false);
            }
            if seen == HTTP2_PREFACE.len() {
                return Some(true);
            }
            // Part of the preface: the rest is on its way.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(timeout, detect).await.ok().flatten()
}

/// Serves one connection: HTTP/1.1 (Connect), or HTTP/2 when the client opens with
/// its preface (gRPC). A client silent for `read_timeout` before its first bytes is
/// cut off, as it is later while it sends a request over HTTP/1.1.
async fn serve<S>(
    stream: tokio::net::TcpStream,
    service: S,
    read_timeout: Duration,
    keep_alive: bool,
) -> Result<(), hyper::Error>
where
    S: hyper::service::HttpService<Incoming, ResBody = GrpcBody>,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Some(http2) = speaks_http2(&stream, read_timeout).await else {
        return Ok(());
    };
    if http2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_STREAMS)
            .keep_alive_interval(KEEP_ALIVE)
            .keep_alive_timeout(KEEP_ALIVE)
            .serve_connection(TokioIo::new(stream), service)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .keep_alive(keep_alive)
            .serve_connection(TokioIo::new(stream), service)
            .await
    }
}

/// Answers the request of a connection past the cap with `resource_exhausted`, and
/// closes it.
async fn refuse(stream: tokio::net::TcpStream, max_connections: usize) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| async move {
        let failure = Failure::new(
            Code::ResourceExhausted,
            format!(
                "this server serves at most {max_connections} connections at once; try again \
                 later"
            ),
        );
        Ok::<_, Infallible>(if is_grpc(&request) {
            grpc::status(failure).into_http()
        } else {
            error_response(status_of(failure.code), failure).map(GrpcBody::new)
        })
    });
    let served = serve(stream, service, REFUSAL_TIMEOUT, false);
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT * 2, served).await;
}

/// How long the server took to answer a call, for benchmarks:
/// `RUST_LOG=aviato_sandbox_server::timing=debug`.
pub(crate) fn log_time(call: &str, began: std::time::Instant) {
    tracing::debug!(
        target: "aviato_sandbox_server::timing",
        call,
        micros = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX),
        "answered"
    );
}

/// Whether a request is a gRPC call: `application/grpc`, `application/grpc+proto`...
fn is_grpc(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            let value = value.trim_start();
            value.len() >= 16
                && value.as_bytes()[..16].eq_ignore_ascii_case(b"application/grpc")
                && matches!(value.as_bytes().get(16), None | Some(b'+' | b';'))
        })
}

impl Server {
    pub(crate) fn new(
        sandboxes: Arc<Sandboxes>,
        token: Option<String>,
        read_timeout: Duration,
        budget: Budget,
    ) -> Self {
        Self {
            grpc: grpc::service(sandboxes.clone()),
            budget,
            sandboxes,
            token,
            read_timeout,
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<GrpcBody> {
        let began = std::time::Instant::now();
        let path = request.uri().path().to_owned();
        let response = if is_grpc(&request) {
            if let Err(failure) = self.authenticate(&request) {
                return grpc::status(failure).into_http();
            }
            let mut service = self.grpc.clone();
            let request = request.map(|body| self.budget.wrap(body));
            match service.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        } else {
            match self.answer(request).await {
                Ok(body) => json_response(StatusCode::OK, body),
                Err((status, failure)) => error_response(status, failure),
            }
            .map(GrpcBody::new)
        };
        // A stream's time is logged when it ends (see grpc.rs).
        if !path.ends_with("/StreamExec") {
            log_time(&path, began);
        }
        response
    }

    async fn answer(&self, request: Request<Incoming>) -> Result<Vec<u8>, (StatusCode, Failure)> {
        let fail = |failure: Failure| (status_of(failure.code), failure);
        self.authenticate(&request).map_err(fail)?;
        let name = request
            .uri()
            .path()
            .strip_prefix(SERVICE_PATH)
            .unwrap_or_default();
        let Some(method) = Method::from_name(name) else {
            return Err(fail(Failure::new(
                Code::Unimplemented,
                format!("{} is not served here", request.uri().path()),
            )));
        };
        if request.method() != hyper::Method::POST {
            return Err((
                StatusCode::METHOD_NOT_ALLOWED,
                Failure::new(Code::Unimplemented, "only POST is served"),
            ));
        }
        check_headers(&request)?;
        // The bytes stay counted until the call is answered: what was decoded from
        // them is in memory until then.
        let (body, _held) = read_body(self.budget.wrap(request.into_body()), self.read_timeout)
            .await
            .map_err(fail)?;
        let sandboxes = &self.sandboxes;
        let answered = match method {
            Method::Start => sandboxes.start(decode(&body)?).await.map(|r| to_json(&r)),
            Method::Get => sandboxes.get(decode(&body)?).map(|r| to_json(&r)),
            // File calls measure and walk the sandbox's tree: on a blocking thread,
            // so that a large tree delays no other call.
            Method::AddFile => {
                let (sandboxes, request) = (sandboxes.clone(), decode(&body)?);
                drop(body);
                off_runtime(move || sandboxes.add_file(request).map(|r| to_json(&r))).await
            }
            Method::Exec => sandboxes.exec(decode(&body)?).await.map(|r| to_json(&r)),
            Method::RetrieveFile => {
                let (sandboxes, request) = (sandboxes.clone(), decode(&body)?);
                off_runtime(move || sandboxes.retrieve_file(request).map(|r| to_json(&r))).await
            }
            Method::Stop => sandboxes.stop(decode(&body)?).await.map(|r| to_json(&r)),
        };
        answered.map_err(fail)
    }

    fn authenticate(&self, request: &Request<Incoming>) -> Result<(), Failure> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .unwrap_or_default();
        if constant_time_eq(given.as_bytes(), token.as_bytes()) {
            Ok(())
        } else if given.is_empty() {
            Err(Failure::new(
                Code::Unauthenticated,
                "this server needs `Authorization: Bearer <token>`",
            ))
        } else {
            Err(Failure::new(
                Code::Unauthenticated,
                "the token is not valid",
            ))
        }
    }
}

/// The credentials of an `Authorization: Bearer TOKEN` header; the scheme's name is
/// case-insensitive (RFC 7235).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn off_runtime(
    work: impl FnOnce() -> Result<Vec<u8>, Failure> + Send + 'static,
) -> Result<Vec<u8>, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|err| {
            Err(Failure::new(
                Code::Internal,
                format!("the call failed: {err}"),
            ))
        })
}

/// The whole body, as long as it is no larger than [`MAX_BODY`], fits in the
/// budget, never stalls for `idle`, and arrives within [`BODY_DEADLINE`]; and its
/// bytes' share of the budget.
async fn read_body(
    mut body: Budgeted<Incoming>,
    idle: Duration,
) -> Result<(Vec<u8>, Option<OwnedSemaphorePermit>), Failure> {
    let deadline = tokio::time::Instant::now() + BODY_DEADLINE;
    let mut collected = Vec::new();
    loop {
        let wait = idle.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let frame = match tokio::time::timeout(wait, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok((collected, body.into_held())),
            Err(_) => {
                return Err(Failure::new(
                    Code::DeadlineExceeded,
                    format!(
                        "the request's body stalled for {} s, or took more than {} s",
                        idle.as_secs_f64(),
                        BODY_DEADLINE.as_secs()
                    ),
                ));
            }
        };
        let frame = frame.map_err(|err| match err.downcast_ref::<tonic::Status>() {
            Some(status) => Failure::new(Code::ResourceExhausted, status.message()),
            None => Failure::new(
                Code::InvalidArgument,
                format!("cannot read the request: {err}"),
            ),
        })?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > MAX_BODY {
                return Err(Failure::new(
                    Code::ResourceExhausted,
                    format!(
                        "the request's body is larger than {} MiB",
                        MAX_BODY / (1024 * 1024)
                    ),
                ));
            }
            collected.extend_from_slice(&data);
        }
    }
}

fn check_headers(request: &Request<Incoming>) -> Result<(), (StatusCode, Failure)> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let content_type = header(CONTENT_TYPE.as_str()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Failure::new(
                Code::InvalidArgument,
                format!("content-type {content_type:?} is not served; send application/json"),
            ),
        ));
    }
    if let Some(version) = header("connect-protocol-version")
        && version.trim() != "1"
    {
        let failure = Failure::new(
            Code::InvalidArgument,
            format!("connect-protocol-version {version:?} is not served; send 1"),
        );
        return Err((status_of(failure.code), failure));
    }
    if let Some(encoding) = header(CONTENT_ENCODING.as_str())
        && !encoding.eq_ignore_ascii_case("identity")
    {
        let failure = Failure::new(
            Code::Unimplemented,
            format!("content-encoding {encoding:?} is not served; send the body uncompressed"),
        );
        return Err((status_of(failure.code), failure));
    }
    Ok(())
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, (StatusCode, Failure)> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|err| {
        let failure = Failure::new(
            Code::InvalidArgument,
            format!("cannot read the request: {err}"),
        );
        (status_of(failure.code), failure)
    })
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("responses serialize")
}

fn status_of(code: Code) -> StatusCode {
    StatusCode::from_u16(code.http_status()).expect("Connect statuses are valid")
}

fn error_response(status: StatusCode, failure: Failure) -> Response<Full<Bytes>> {
    let body = ErrorBody {
        code: failure.code.as_str().to_owned(),
        message: failure.message,
    };
    let mut response = json_response(status, to_json(&body));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(ALLOW, "POST".parse().expect("a valid header"));
    }
    response
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        "application/json".parse().expect("a valid header"),
    );
    response
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer t0k", "bearer t0k", "BEARER  t0k ", " BeArEr t0k"] {
            assert_eq!(bearer_token(value), Some("t0k"), "{value:?}");
        }
        for value in ["Basic t0k", "Bearer", "Bearert0k", ""] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
