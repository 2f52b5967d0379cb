//! A gRPC client of `coreweave.sandbox.v1.SandboxService`, as the `cwsandbox` SDK
//! connects: `http://` is cleartext HTTP/2, `https://` TLS (rustls, the system's
//! roots); the API key goes in `authorization: Bearer` on every call.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aviato_protocol::errors;
use aviato_protocol::sandbox::sandbox_service_client::SandboxServiceClient;
use aviato_protocol::sandbox::{
    CreateSandboxRequest, DeleteSandboxRequest, DeleteSandboxResponse, ExecStreamRequest,
    ExecStreamResponse, GetSandboxRequest, ReadFileRequest, ReadFileResponse, Sandbox,
    WriteFileRequest, WriteFileResponse,
};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::aviato::ApiKey;

/// The largest message either way, as the SDK's channels allow.
const MAX_MESSAGE: usize = 100 * 1024 * 1024;

/// A failed call: the service's status, or one the client stands for
/// (`UNAVAILABLE` when the service cannot be reached, `DEADLINE_EXCEEDED` when it
/// does not answer in time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RpcError {
    pub method: &'static str,
    pub code: tonic::Code,
    pub message: String,
    /// The `CWSANDBOX_*` reason of the status's `ErrorInfo`, in the service's domain.
    pub reason: Option<String>,
}

impl RpcError {
    fn from_status(method: &'static str, status: &tonic::Status) -> Self {
        let mut message = status.message().to_owned();
        // A transport failure says more in its causes than in its message.
        let mut cause = std::error::Error::source(status);
        while let Some(next) = cause {
            let text = next.to_string();
            if !message.contains(&text) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&text);
            }
            cause = next.source();
        }
        Self {
            method,
            code: status.code(),
            message,
            reason: errors::reason(status),
        }
    }

    pub(crate) fn is_reason(&self, reason: &str) -> bool {
        self.reason.as_deref() == Some(reason)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed ({}", self.method, code_name(self.code))?;
        if let Some(reason) = &self.reason {
            write!(f, ", {reason}")?;
        }
        f.write_str(")")?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// The status code as gRPC names it (`UNAVAILABLE`).
pub(crate) fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

#[derive(Clone)]
pub(crate) struct Client {
    endpoint: Endpoint,
    /// Made on the first call, in the runtime the calls run in.
    stub: Arc<OnceLock<SandboxServiceClient<Channel>>>,
    base_url: String,
    api_key: Option<ApiKey>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the service at `base_url` (`http://host:port` or
    /// `https://host[:port]`, without a path, as the SDK requires). Connects on the
    /// first call.
    pub(crate) fn new(base_url: &str, api_key: Option<ApiKey>) -> Result<Self, String> {
        let base_url = check_base_url(base_url)?;
        let mut endpoint = Endpoint::from_shared(base_url.clone())
            .map_err(|err| format!("the cwsandbox base URL {base_url:?} is not valid: {err}"))?
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("aviato-lsp/", env!("CARGO_PKG_VERSION")))
            .map_err(|err| format!("cannot set up the gRPC client: {err}"))?;
        if base_url.starts_with("https://") {
            endpoint = endpoint
                .tls_config(ClientTlsConfig::new().with_native_roots())
                .map_err(|err| format!("cannot set up TLS for {base_url}: {err}"))?;
        }
        Ok(Self {
            endpoint,
            stub: Arc::default(),
            base_url,
            api_key,
        })
    }

    /// The stub, over one channel for every call of this client. Needs a runtime.
    fn stub(&self) -> SandboxServiceClient<Channel> {
        self.stub
            .get_or_init(|| {
                SandboxServiceClient::new(self.endpoint.connect_lazy())
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE)
            })
            .clone()
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// `message` with the key and the deadline.
    fn request<T>(&self, message: T, timeout: Duration) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        self.authorize(&mut request);
        request.set_timeout(timeout);
        request
    }

    fn authorize<T>(&self, request: &mut tonic::Request<T>) {
        if let Some(key) = &self.api_key
            && let Ok(mut value) = MetadataValue::try_from(format!("Bearer {}", key.secret()))
        {
            value.set_sensitive(true);
            request.metadata_mut().insert("authorization", value);
        }
    }

    pub(crate) async fn create(
        &self,
        message: CreateSandboxRequest,
        timeout: Duration,
    ) -> Result<Sandbox, RpcError> {
        let mut stub = self.stub();
        let request = self.request(message, timeout);
        within("CreateSandbox", timeout, stub.create_sandbox(request)).await
    }

    pub(crate) async fn get(
        &self,
        sandbox_id: &str,
        timeout: Duration,
    ) -> Result<Sandbox, RpcError> {
        let mut stub = self.stub();
        let message = GetSandboxRequest {
            sandbox_id: sandbox_id.to_owned(),
        };
        let request = self.request(message, timeout);
        within("GetSandbox", timeout, stub.get_sandbox(request)).await
    }

    pub(crate) async fn delete(
        &self,
        message: DeleteSandboxRequest,
        timeout: Duration,
    ) -> Result<DeleteSandboxResponse, RpcError> {
        let mut stub = self.stub();
        let request = self.request(message, timeout);
        within("DeleteSandbox", timeout, stub.delete_sandbox(request)).await
    }

    pub(crate) async fn write_file(
        &self,
        message: WriteFileRequest,
        timeout: Duration,
    ) -> Result<WriteFileResponse, RpcError> {
        let mut stub = self.stub();
        let request = self.request(message, timeout);
        within("WriteFile", timeout, stub.write_file(request)).await
    }

    pub(crate) async fn read_file(
        &self,
        message: ReadFileRequest,
        timeout: Duration,
    ) -> Result<ReadFileResponse, RpcError> {
        let mut stub = self.stub();
        let request = self.request(message, timeout);
        within("ReadFile", timeout, stub.read_file(request)).await
    }

    /// Opens StreamExec with its one `init` frame, then half-closes (the command
    /// gets no stdin). The caller reads the frames, within its own deadline.
    pub(crate) async fn stream_exec(
        &self,
        init: ExecStreamRequest,
        timeout: Duration,
    ) -> Result<tonic::Streaming<ExecStreamResponse>, RpcError> {
        let mut stub = self.stub();
        let mut request = tonic::Request::new(tokio_stream::iter([init]));
        self.authorize(&mut request);
        request.set_timeout(timeout);
        within("StreamExec", timeout, stub.stream_exec(request)).await
    }
}

/// The call's answer, or `DEADLINE_EXCEEDED` when there is none within `timeout`.
async fn within<T>(
    method: &'static str,
    timeout: Duration,
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, RpcError> {
    let no_answer = || RpcError {
        method,
        code: tonic::Code::DeadlineExceeded,
        message: format!("no answer within {} s", timeout.as_secs_f64()),
        reason: None,
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        // The channel's own deadline (the request's `grpc-timeout`).
        Ok(Err(status)) if is_local_timeout(&status) => Err(no_answer()),
        Ok(Err(status)) => Err(RpcError::from_status(method, &status)),
        Err(_) => Err(no_answer()),
    }
}

/// Whether a status is the client's deadline passing, which tonic reports as
/// `CANCELLED: Timeout expired`.
pub(crate) fn is_local_timeout(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Cancelled
        && status
            .message()
            .starts_with(&tonic::TimeoutExpired(()).to_string())
}

/// The base URL as the SDK accepts it: `http` or `https`, a host, no path, no query.
fn check_base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("the cwsandbox base URL must start with http:// or https://, not {url:?}")
        })?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err(format!("the cwsandbox base URL {url:?} names no host"));
    }
    if !path.is_empty() || authority.contains(['?', '#']) {
        return Err(format!(
            "the cwsandbox base URL {url:?} has a path; gRPC takes none (the SDK refuses it too)"
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_a_scheme_and_a_host() {
        assert_eq!(
            check_base_url("https://api.cwsandbox.com").unwrap(),
            "https://api.cwsandbox.com"
        );
        assert_eq!(
            check_base_url(" http://127.0.0.1:7001/ ").unwrap(),
            "http://127.0.0.1:7001"
        );
        for bad in [
            "api.cwsandbox.com",
            "grpc://x",
            "http://",
            "http://host/v1",
            "https://host?x=1",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_call_the_code_and_the_reason() {
        let status = errors::status_with_reason(
            tonic::Code::NotFound,
            "file not found: /tmp/r.json",
            errors::reason::FILE_NOT_FOUND,
            [],
        );
        let error = RpcError::from_status("ReadFile", &status);
        assert_eq!(
            error.to_string(),
            "ReadFile failed (NOT_FOUND, CWSANDBOX_FILE_NOT_FOUND): file not found: /tmp/r.json"
        );
        assert!(error.is_reason("CWSANDBOX_FILE_NOT_FOUND"));
    }
}
