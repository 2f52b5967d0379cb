//! The aviato backend: the function runs in a sandbox of an ATCService (the aviato
//! service, or `aviato-lsp sandbox-server`), with the calls the SDK makes: Start, Get
//! until running, AddFile, Exec, RetrieveFile, Stop.

mod client;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

pub use self::client::ApiKey;
use self::client::{Client, RpcError};
use crate::runner::{RUNNER_SOURCE, RunnerInput, RunnerReport, new_nonce};
use crate::{
    Backend, Limit, Limits, Outcome, OutcomeKind, OutputChunk, OutputSink, OutputStream, Payload,
    RunFuture,
};
use aviato_protocol::connect::{
    AddFileRequest, Code, ExecRequest, ExecResponse, ExecResult, GetRequest, GetResponse, Method,
    RetrieveFileRequest, RetrieveFileResponse, SandboxStatus, StartRequest, StartResponse,
    StopRequest, SuccessResponse,
};

/// The service the SDK talks to when nothing else is configured.
pub const DEFAULT_BASE_URL: &str = "https://atc.cwaviato.com";

/// The tag every sandbox started from here carries.
pub const TAG: &str = "aviato-lsp";

/// Settings of the aviato backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AviatoConfig {
    /// The service, without a trailing `/`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`; no header without one, as in the SDK.
    pub api_key: Option<ApiKey>,
    /// Tags for each sandbox, after [`TAG`].
    pub tags: Vec<String>,
    /// The sandbox's `maxLifetimeSeconds`; derived from the run's limits when `None`,
    /// so that a sandbox this client could not stop still ends.
    pub max_lifetime_seconds: Option<u32>,
    /// The limit of each call but Exec (which gets the run's wall-clock limit and a
    /// margin).
    pub request_timeout: Duration,
    /// How long the sandbox may take to be running.
    pub start_timeout: Duration,
}

/// `given` (a setting or a flag) unless blank, else the environment's `variable`
/// unless blank, else `default`; without a trailing `/`.
pub(crate) fn chosen_base_url(given: Option<&str>, variable: &str, default: &str) -> String {
    let from_env = std::env::var(variable).ok();
    let base_url = given
        .or(from_env.as_deref())
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .unwrap_or(default);
    base_url.trim_end_matches('/').to_owned()
}

impl AviatoConfig {
    /// The base URL given (a setting or a flag), else `AVIATO_BASE_URL`, else the
    /// SDK's default; the key from `AVIATO_API_KEY`.
    pub fn from_env(base_url: Option<&str>) -> Self {
        Self {
            base_url: chosen_base_url(base_url, "AVIATO_BASE_URL", DEFAULT_BASE_URL),
            api_key: std::env::var("AVIATO_API_KEY").ok().and_then(ApiKey::new),
            ..Self::default()
        }
    }
}

impl Default for AviatoConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            tags: Vec::new(),
            max_lifetime_seconds: None,
            request_timeout: Duration::from_secs(30),
            start_timeout: Duration::from_secs(120),
        }
    }
}

/// Runs functions in sandboxes of an ATCService. The sandbox is always stopped: after
/// the run, on every failure, on timeout and on cancellation, and (as a last resort,
/// without waiting) when the run is dropped.
#[derive(Debug, Clone)]
pub struct AviatoBackend {
    config: AviatoConfig,
    client: Client,
}

impl AviatoBackend {
    pub fn new(config: AviatoConfig) -> Result<Self, String> {
        if !config.base_url.starts_with("http://") && !config.base_url.starts_with("https://") {
            return Err(format!(
                "the aviato base URL must start with http:// or https://, not {:?}",
                config.base_url
            ));
        }
        let client = Client::new(&config.base_url, config.api_key.clone())?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &AviatoConfig {
        &self.config
    }

    async fn run_remote(
        &self,
        payload: &Payload,
        limits: &Limits,
        cancel: CancellationToken,
        output: Option<OutputSink>,
    ) -> Outcome {
        let sandbox = SandboxGuard {
            client: self.client.clone(),
            id: Arc::default(),
            timeout: self.config.request_timeout,
        };
        let run = Run {
            backend: self,
            payload,
            limits,
            sandbox: &sandbox,
            output,
        };
        let mut outcome = run.carry_out(&cancel).await;
        if let Err(message) = sandbox.stop().await {
            outcome.add_note(message);
        }
        outcome.backend = Some(self.name().to_owned());
        outcome.image = Some(payload.image.clone());
        outcome
    }

    fn describe(&self, error: &RpcError) -> String {
        let url = self.client.base_url();
        match error.code {
            Code::Unauthenticated if self.client.has_api_key() => format!(
                "the aviato service at {url} refused the API key ({error}): check AVIATO_API_KEY"
            ),
            Code::Unauthenticated => format!(
                "the aviato service at {url} wants an API key ({error}): set AVIATO_API_KEY"
            ),
            Code::PermissionDenied => format!(
                "the aviato service at {url} denied the request ({error}): check that \
                 AVIATO_API_KEY may start sandboxes"
            ),
            Code::Unavailable => format!("the aviato service at {url} is unavailable: {error}"),
            Code::ResourceExhausted => {
                format!("the aviato service at {url} has no room for a sandbox now: {error}")
            }
            Code::Unimplemented => format!(
                "{url} does not serve this call ({error}): is the base URL an aviato service?"
            ),
            _ => format!("the aviato service at {url} failed: {error}"),
        }
    }
}

impl Backend for AviatoBackend {
    fn name(&self) -> &'static str {
        "aviato"
    }

    fn run_with_output<'a>(
        &'a self,
        payload: &'a Payload,
        limits: &'a Limits,
        cancel: CancellationToken,
        output: Option<OutputSink>,
    ) -> RunFuture<'a> {
        Box::pin(self.run_remote(payload, limits, cancel, output))
    }
}

/// Makes the runner run as the SDK runs its script, `python -c SCRIPT`: Exec has no
/// stdin and no result channel, so the request comes from a file (as stdin) and the
/// report goes to another (as descriptor 3). argv: request path, result path, the
/// user's file name.
pub(crate) const PRELUDE: &str = "\
import os as _os, sys as _sys
_fd = _os.open(_sys.argv[1], _os.O_RDONLY)
if _fd != 0:
    _os.dup2(_fd, 0)
    _os.close(_fd)
_sys.stdin = open(0, 'r', closefd=False)
_fd = _os.open(_sys.argv[2], _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC, 0o600)
if _fd != 3:
    _os.dup2(_fd, 3)
    _os.close(_fd)
del _os, _sys, _fd
";

/// The extra time Exec gets over the run's wall-clock limit before the client gives
/// up on an answer (the SDK waits 5 s).
const EXEC_MARGIN: Duration = Duration::from_secs(10);

struct Run<'a> {
    backend: &'a AviatoBackend,
    payload: &'a Payload,
    limits: &'a Limits,
    sandbox: &'a SandboxGuard,
    /// Exec answers once the command has exited: its output goes here then.
    output: Option<OutputSink>,
}

/// Why a run ended early (on either remote backend).
pub(crate) enum Stopped {
    Failed(Box<Outcome>),
    Cancelled,
}

impl From<Outcome> for Stopped {
    fn from(outcome: Outcome) -> Self {
        Stopped::Failed(Box::new(outcome))
    }
}

impl Run<'_> {
    async fn carry_out(&self, cancel: &CancellationToken) -> Outcome {
        match self.steps(cancel).await {
            Ok(outcome) => outcome,
            Err(Stopped::Failed(outcome)) => *outcome,
            Err(Stopped::Cancelled) => Outcome::cancelled(),
        }
    }

    async fn steps(&self, cancel: &CancellationToken) -> Result<Outcome, Stopped> {
        let config = &self.backend.config;
        let timeout_seconds = whole_seconds(self.limits.timeout);
        let lifetime = config.max_lifetime_seconds.unwrap_or_else(|| {
            timeout_seconds
                .saturating_add(whole_seconds(config.start_timeout))
                .saturating_add(60)
        });
        let start = StartRequest {
            command: "tail".to_owned(),
            args: vec!["-f".to_owned(), "/dev/null".to_owned()],
            tags: std::iter::once(TAG.to_owned())
                .chain(config.tags.iter().cloned())
                .collect(),
            container_image: self.payload.image.clone(),
            max_lifetime_seconds: i32::try_from(lifetime).unwrap_or(i32::MAX),
        };
        // Not raced with cancellation: a sandbox the service starts must be known to
        // be stopped.
        let started: StartResponse = self
            .call(Method::Start, &start, config.request_timeout)
            .await?;
        if started.sandbox_id.is_empty() {
            return Err(Outcome::error(format!(
                "the aviato service at {} started a sandbox without naming it",
                self.backend.client.base_url()
            ))
            .into());
        }
        let id = started.sandbox_id;
        self.sandbox.arm(&id);
        if cancel.is_cancelled() {
            return Err(Stopped::Cancelled);
        }

        let status = cancellable(cancel, self.wait_until_running(&id)).await??;

        let nonce = new_nonce();
        let dir = files_dir(&self.payload.temp_dir);
        let unique = nonce.rsplit('-').next().unwrap_or(&nonce);
        let request_path = format!("{dir}/aviato_request_{unique}.json");
        let result_path = format!("{dir}/aviato_result_{unique}.json");
        let input = RunnerInput::new(self.payload, &nonce);
        let add = AddFileRequest {
            sandbox_id: id.clone(),
            file_contents: serde_json::to_vec(&input).expect("the runner input serializes"),
            filepath: request_path.clone(),
            max_timeout_seconds: seconds_field(config.request_timeout),
        };
        let added: SuccessResponse = cancellable(
            cancel,
            self.call(Method::AddFile, &add, config.request_timeout),
        )
        .await??;
        if !added.success {
            let mut message = format!(
                "could not write the payload to {request_path} in the sandbox: {}",
                or_unknown(&added.error_message)
            );
            if status != SandboxStatus::Running {
                message.push_str(&format!(
                    " (the sandbox was {} rather than running)",
                    status.short_name()
                ));
            }
            return Err(Outcome::error(message).into());
        }

        let exec = ExecRequest {
            sandbox_id: id.clone(),
            command: vec![
                "python".to_owned(),
                "-c".to_owned(),
                format!("{PRELUDE}{RUNNER_SOURCE}"),
                request_path,
                result_path.clone(),
                self.payload.file_name.clone(),
            ],
            args: Vec::new(),
            max_timeout_seconds: i32::try_from(timeout_seconds).unwrap_or(i32::MAX),
        };
        let began = Instant::now();
        let executed: Result<ExecResponse, RpcError> = cancellable(
            cancel,
            self.backend
                .client
                .call(Method::Exec, &exec, self.limits.timeout + EXEC_MARGIN),
        )
        .await?;
        let duration = began.elapsed();
        let executed = match executed {
            Ok(executed) => executed.result,
            Err(error) if error.code == Code::DeadlineExceeded => {
                let mut outcome = Outcome {
                    message: Some(format!(
                        "wall-clock limit of {} s reached",
                        self.limits.timeout.as_secs_f64()
                    )),
                    limit: Some(Limit::Time),
                    ..Outcome::new(OutcomeKind::Timeout)
                };
                outcome.duration_ms = millis(duration);
                outcome.add_note(format!("the service reported: {error}"));
                return Ok(outcome);
            }
            Err(error) => return Err(Outcome::error(self.backend.describe(&error)).into()),
        };
        if let Some(sink) = &self.output {
            for (stream, bytes) in [
                (OutputStream::Stdout, &executed.stdout),
                (OutputStream::Stderr, &executed.stderr),
            ] {
                if !bytes.is_empty() {
                    let chunk = OutputChunk {
                        stream,
                        bytes: bytes.clone(),
                    };
                    let _ = sink.send(chunk).await;
                }
            }
        }

        let retrieve = RetrieveFileRequest {
            sandbox_id: id,
            filepath: result_path,
            max_timeout_seconds: seconds_field(config.request_timeout),
        };
        let retrieved: RetrieveFileResponse = cancellable(
            cancel,
            self.call(Method::RetrieveFile, &retrieve, config.request_timeout),
        )
        .await??;
        let report = retrieved
            .success
            .then(|| RunnerReport::decode(&retrieved.file_contents, &nonce))
            .flatten();
        let mut outcome = judge(report, &executed, &retrieved, self.payload.serialization);
        outcome.duration_ms = millis(duration);
        let (stdout, stdout_truncated) = capped(&executed.stdout, self.limits.output_bytes);
        let (stderr, stderr_truncated) = capped(&executed.stderr, self.limits.output_bytes);
        outcome.stdout = stdout;
        outcome.stderr = stderr;
        outcome.stdout_truncated = stdout_truncated;
        outcome.stderr_truncated = stderr_truncated;
        outcome.interpreter = Some("python".to_owned());
        if let Some(note) = version_note(&self.payload.image, outcome.python_version.as_deref()) {
            outcome.add_note(note);
        }
        Ok(outcome)
    }

    async fn call<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, Stopped> {
        self.backend
            .client
            .call(method, request, timeout)
            .await
            .map_err(|error| Outcome::error(self.backend.describe(&error)).into())
    }

    /// Polls Get as the SDK does (0.2 s, then ×1.5 up to 2 s) until the sandbox is
    /// stable: running, or (as the SDK takes them) finished.
    async fn wait_until_running(&self, id: &str) -> Result<SandboxStatus, Stopped> {
        let config = &self.backend.config;
        let deadline = Instant::now() + config.start_timeout;
        let mut pause = Duration::from_millis(200);
        let request = GetRequest {
            sandbox_id: id.to_owned(),
        };
        loop {
            let got: GetResponse = self
                .call(Method::Get, &request, config.request_timeout)
                .await?;
            match got.sandbox_status {
                SandboxStatus::Running | SandboxStatus::Completed | SandboxStatus::Unspecified => {
                    return Ok(got.sandbox_status);
                }
                SandboxStatus::Failed | SandboxStatus::Terminated => {
                    return Err(Outcome::error(format!(
                        "the sandbox {id} {} before the function could run",
                        if got.sandbox_status == SandboxStatus::Failed {
                            "failed"
                        } else {
                            "was terminated"
                        }
                    ))
                    .into());
                }
                SandboxStatus::Creating | SandboxStatus::Pending | SandboxStatus::Paused => {}
            }
            if Instant::now() + pause > deadline {
                return Err(Outcome {
                    message: Some(format!(
                        "the sandbox {id} was still {} after {} s",
                        got.sandbox_status.short_name(),
                        config.start_timeout.as_secs_f64()
                    )),
                    ..Outcome::new(OutcomeKind::Timeout)
                }
                .into());
            }
            tokio::time::sleep(pause).await;
            pause = (pause.mul_f64(1.5)).min(Duration::from_secs(2));
        }
    }
}

/// The outcome from the runner's report, or from how the command ended without one.
fn judge(
    report: Option<RunnerReport>,
    executed: &ExecResult,
    retrieved: &RetrieveFileResponse,
    serialization: crate::Serialization,
) -> Outcome {
    let read_error = (!retrieved.success && !retrieved.error_message.is_empty())
        .then_some(retrieved.error_message.as_str());
    judge_run(
        report,
        executed.exit_code,
        &executed.stderr,
        read_error,
        serialization,
    )
}

/// The outcome from the runner's report, or from how the command ended without one:
/// its exit `code`, its `stderr`, and why its report could not be read.
pub(crate) fn judge_run(
    report: Option<RunnerReport>,
    code: i32,
    stderr: &[u8],
    read_error: Option<&str>,
    serialization: crate::Serialization,
) -> Outcome {
    if let Some(report) = report {
        return report.into_outcome(stderr, serialization);
    }
    if code > 128 {
        let signal = code - 128;
        return Outcome {
            message: Some(format!("killed by signal {signal}")),
            ..Outcome::new(OutcomeKind::Killed)
        };
    }
    if code < 0 {
        return Outcome {
            message: Some(format!("killed by signal {}", -code)),
            ..Outcome::new(OutcomeKind::Killed)
        };
    }
    let stderr = String::from_utf8_lossy(stderr);
    let last_line = stderr.lines().rev().find(|line| !line.trim().is_empty());
    let mut message = format!("python in the sandbox exited with status {code} without a result");
    if let Some(read_error) = read_error {
        message.push_str(&format!(" (reading it failed: {read_error})"));
    }
    if let Some(line) = last_line {
        message.push_str(&format!("; it said: {line}"));
    }
    Outcome::error(message)
}

/// Where the SDK writes its payload: `temp_dir`, or `/tmp` for a relative one.
pub(crate) fn files_dir(temp_dir: &str) -> String {
    if temp_dir.starts_with('/') {
        let trimmed = temp_dir.trim_end_matches('/');
        trimmed.to_owned()
    } else {
        "/tmp".to_owned()
    }
}

/// A note when the image's Python is not the version that ran.
pub(crate) fn version_note(image: &str, ran: Option<&str>) -> Option<String> {
    let ran = ran?;
    let tag = image.rsplit_once("python:")?.1;
    let wanted: String = tag
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()?
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    let matches = ran == wanted || ran.starts_with(&format!("{wanted}."));
    (!wanted.is_empty() && wanted.contains('.') && !matches)
        .then(|| format!("image {image} ran Python {ran}"))
}

pub(crate) fn capped(bytes: &[u8], limit: usize) -> (String, bool) {
    let kept = &bytes[..bytes.len().min(limit)];
    (
        String::from_utf8_lossy(kept).into_owned(),
        bytes.len() > limit,
    )
}

fn or_unknown(message: &str) -> &str {
    if message.is_empty() {
        "no reason given"
    } else {
        message
    }
}

pub(crate) fn whole_seconds(duration: Duration) -> u32 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    u32::try_from(seconds.max(1)).unwrap_or(u32::MAX)
}

fn seconds_field(duration: Duration) -> i32 {
    i32::try_from(whole_seconds(duration)).unwrap_or(i32::MAX)
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) async fn cancellable<T>(
    cancel: &CancellationToken,
    future: impl Future<Output = T>,
) -> Result<T, Stopped> {
    tokio::select! {
        value = future => Ok(value),
        () = cancel.cancelled() => Err(Stopped::Cancelled),
    }
}

/// The started sandbox, stopped explicitly after the run, or on drop if the run is
/// dropped first.
struct SandboxGuard {
    client: Client,
    id: Arc<Mutex<Option<String>>>,
    timeout: Duration,
}

impl SandboxGuard {
    fn arm(&self, id: &str) {
        *self.id.lock().unwrap_or_else(PoisonError::into_inner) = Some(id.to_owned());
    }

    /// Stops the sandbox, if one was started; a sandbox the service no longer knows
    /// is stopped already.
    async fn stop(&self) -> Result<(), String> {
        let Some(id) = self
            .id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return Ok(());
        };
        stop(&self.client, id, self.timeout).await
    }
}

async fn stop(client: &Client, id: String, timeout: Duration) -> Result<(), String> {
    let request = StopRequest {
        sandbox_id: id.clone(),
        ..StopRequest::default()
    };
    match client
        .call::<_, SuccessResponse>(Method::Stop, &request, timeout)
        .await
    {
        Ok(response) if response.success => Ok(()),
        Err(error) if error.code == Code::NotFound => Ok(()),
        Ok(response) => Err(format!(
            "the sandbox {id} may still be running: Stop said {}",
            or_unknown(&response.error_message)
        )),
        Err(error) => Err(format!(
            "the sandbox {id} may still be running until its lifetime ends: {error}"
        )),
    }
}

impl Drop for SandboxGuard {
    fn drop(&mut self) {
        let Some(id) = self
            .id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (client, timeout) = (self.client.clone(), self.timeout);
            runtime.spawn(async move {
                let _ = stop(&client, id, timeout).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_never_shown() {
        let config = AviatoConfig {
            api_key: ApiKey::new("sk-secret-value"),
            ..AviatoConfig::default()
        };
        let shown = format!(
            "{config:?} {:?}",
            AviatoBackend::new(config.clone()).unwrap()
        );
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(ApiKey::new("  "), None);
    }

    #[test]
    fn payload_files_live_in_an_absolute_temp_dir() {
        assert_eq!(files_dir("/tmp"), "/tmp");
        assert_eq!(files_dir("/var/sandbox/temp/"), "/var/sandbox/temp");
        assert_eq!(files_dir("scratch"), "/tmp");
    }

    #[test]
    fn version_notes_only_when_the_image_version_differs() {
        assert_eq!(version_note("python:3.11", Some("3.11.7")), None);
        assert_eq!(version_note("python:3.12-slim", Some("3.12.1")), None);
        assert_eq!(
            version_note("python:3.11", Some("3.12.1")).as_deref(),
            Some("image python:3.11 ran Python 3.12.1")
        );
        assert_eq!(version_note("ubuntu:22.04", Some("3.12.1")), None);
        assert_eq!(version_note("python:latest", Some("3.12.1")), None);
    }

    #[test]
    fn a_base_url_needs_a_scheme() {
        let config = AviatoConfig {
            base_url: "atc.example.com".to_owned(),
            ..AviatoConfig::default()
        };
        assert!(AviatoBackend::new(config).is_err());
    }
}
