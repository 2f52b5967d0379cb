//! A Connect unary JSON client for ATCService, over HTTP/1.1.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use aviato_protocol::connect::{Code, ErrorBody, Method, SERVICE_PATH};

/// An API key. It is sent as a bearer token and shown nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty key: the SDK then sends no `authorization` header.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        (!key.trim().is_empty()).then(|| ApiKey(key.trim().to_owned()))
    }

    /// The key itself, for the header that carries it and nothing else.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A failed call: a Connect error from the service, or one the client stands for
/// (`unavailable` when the service cannot be reached or answers garbage,
/// `deadline_exceeded` when it does not answer in time), as Connect clients report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RpcError {
    pub method: Method,
    pub code: Code,
    pub message: String,
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed ({})", self.method.name(), self.code.as_str())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// How many times a call that is safe to repeat is tried when the service is
/// unreachable or slow.
const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base_url: String,
    api_key: Option<ApiKey>,
}

impl Client {
    pub(crate) fn new(base_url: &str, api_key: Option<ApiKey>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .http1_only()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("aviato-lsp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| format!("cannot set up the HTTP client: {}", root_cause(&err)))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
        })
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// Calls `method`, repeating it (up to [`ATTEMPTS`] times, with a short pause) when
    /// it is safe to repeat and failed for want of an answer.
    pub(crate) async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: Method,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, RpcError> {
        let mut attempt = 1;
        loop {
            match self.call_once(method, request, timeout).await {
                Err(error)
                    if method.safe_to_repeat()
                        && attempt < ATTEMPTS
                        && matches!(error.code, Code::Unavailable | Code::DeadlineExceeded) =>
                {
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn call_once<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: Method,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, RpcError> {
        let fail = |code, message: String| RpcError {
            method,
            code,
            message,
        };
        let url = format!("{}{SERVICE_PATH}{}", self.base_url, method.name());
        let body = serde_json::to_vec(request).expect("requests serialize");
        let mut builder = self
            .http
            .post(&url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .header("connect-protocol-version", "1")
            .body(body);
        if let Some(ApiKey(key)) = &self.api_key {
            builder = builder.bearer_auth(key);
        }
        let response = builder.send().await.map_err(|err| {
            let (code, message) = transport_failure(&err, timeout);
            fail(code, message)
        })?;
        let status = response.status().as_u16();
        let json_reply = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        let bytes = response.bytes().await.map_err(|err| {
            let (code, message) = transport_failure(&err, timeout);
            fail(code, message)
        })?;
        if status != 200 {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => fail(
                    Code::from_name(&body.code).unwrap_or(Code::Unknown),
                    body.message,
                ),
                Err(_) => fail(
                    Code::from_http_status(status),
                    format!("HTTP {status} from {url}"),
                ),
            });
        }
        if !json_reply {
            return Err(fail(
                Code::Internal,
                format!("{url} answered 200 without a JSON body: is this an aviato service?"),
            ));
        }
        serde_json::from_slice(&bytes).map_err(|err| {
            fail(
                Code::Internal,
                format!("{url} sent a response this client cannot read: {err}"),
            )
        })
    }
}

fn transport_failure(err: &reqwest::Error, timeout: Duration) -> (Code, String) {
    if err.is_timeout() {
        let seconds = timeout.as_secs_f64();
        (
            Code::DeadlineExceeded,
            format!("no answer within {seconds} s"),
        )
    } else if err.is_connect() {
        (
            Code::Unavailable,
            format!("cannot connect: {}", root_cause(err)),
        )
    } else {
        (
            Code::Unavailable,
            format!("the connection failed: {}", root_cause(err)),
        )
    }
}

/// The innermost cause: reqwest's own message only repeats the URL.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
