//! The cwsandbox backend: the function runs in a sandbox of the CoreWeave sandbox
//! service (gRPC `coreweave.sandbox.v1.SandboxService`, `https://api.cwsandbox.com`),
//! or of `aviato-lsp sandbox-server`, with the calls the `cwsandbox` SDK makes for a
//! `@session.function()`: CreateSandbox, GetSandbox until running, WriteFile the
//! payload, StreamExec the runner (its output streamed as it comes), ReadFile the
//! result, DeleteSandbox (always), GetSandbox until it has ended.

mod client;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aviato_protocol::errors::reason;
use aviato_protocol::sandbox::{
    Container, CreateSandboxRequest, DeleteSandboxRequest, ExecStreamInit, ExecStreamRequest, Gpu,
    ReadFileRequest, ResourceRequirements, Resources, Sandbox, SandboxSpec, State,
    WriteFileRequest, exec_stream_output, exec_stream_request, exec_stream_response, gpu,
};
use tokio_util::sync::CancellationToken;

use self::client::{Client, RpcError};
use crate::aviato::{
    ApiKey, PRELUDE, Stopped, TAG, cancellable, capped, chosen_base_url, files_dir, judge_run,
    millis, version_note, whole_seconds,
};
use crate::runner::{RUNNER_SOURCE, RunnerInput, RunnerReport, new_nonce};
use crate::{
    Backend, Limit, Limits, Outcome, OutcomeKind, OutputChunk, OutputSink, OutputStream, Payload,
    RunFuture,
};

/// The one container of a function's sandbox, with the options the function
/// declares, as the SDK fills it in.
fn main_container(payload: &Payload) -> Container {
    Container {
        name: "main".to_owned(),
        image: payload.image.clone(),
        command: "/bin/sh".to_owned(),
        args: vec!["-c".to_owned(), MAIN_ARGS.to_owned()],
        environment_variables: payload.environment.iter().cloned().collect(),
        working_dir: payload.working_dir.clone().unwrap_or_default(),
        resource_requirements: payload.resources.as_ref().map(resource_requirements),
        ..Container::default()
    }
}

fn resource_requirements(
    resources: &aviato_analysis::resources::Resources,
) -> ResourceRequirements {
    let side = |quantities: &[(String, String)]| {
        let quantity = |name: &str| {
            quantities
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        Resources {
            cpu: quantity("cpu"),
            memory: quantity("memory"),
            gpu: resources.gpu.as_ref().map(|gpu| Gpu {
                count: gpu.count.unwrap_or_default(),
                selector: gpu
                    .model
                    .clone()
                    .map(gpu::Selector::Type)
                    .or(gpu.memory_gb.map(gpu::Selector::MemoryGb)),
            }),
        }
    };
    ResourceRequirements {
        requests: Some(side(&resources.requests)),
        limits: Some(side(&resources.limits)),
    }
}

/// The service the SDK talks to when nothing else is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.cwsandbox.com";

/// What the sandbox's main process runs, as the SDK starts it: nothing, until it is
/// told to stop.
const MAIN_ARGS: &str = "trap \"exit 0\" TERM INT; sleep infinity & wait";

/// Settings of the cwsandbox backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CwsandboxConfig {
    /// `http://` (cleartext HTTP/2) or `https://` (TLS), a host and a port, no path.
    pub base_url: String,
    /// Sent as `authorization: Bearer`; nothing is sent without one, as in the SDK.
    pub api_key: Option<ApiKey>,
    /// Tags for each sandbox, after [`TAG`].
    pub tags: Vec<String>,
    /// The sandbox's `max_lifetime_seconds`; derived from the run's limits when
    /// `None`, so that a sandbox this client could not delete still ends.
    pub max_lifetime_seconds: Option<u32>,
    /// The limit of each call but GetSandbox and StreamExec.
    pub request_timeout: Duration,
    /// The limit of each GetSandbox (the SDK's is 15 s).
    pub poll_timeout: Duration,
    /// How long the sandbox may take to be running, retries of CreateSandbox
    /// included.
    pub start_timeout: Duration,
}

impl CwsandboxConfig {
    /// The base URL given (a setting or a flag), else `CWSANDBOX_BASE_URL`, else the
    /// SDK's default; the key from `CWSANDBOX_API_KEY`.
    pub fn from_env(base_url: Option<&str>) -> Self {
        Self {
            base_url: chosen_base_url(base_url, "CWSANDBOX_BASE_URL", DEFAULT_BASE_URL),
            api_key: std::env::var("CWSANDBOX_API_KEY")
                .ok()
                .and_then(ApiKey::new),
            ..Self::default()
        }
    }
}

impl Default for CwsandboxConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            tags: Vec::new(),
            max_lifetime_seconds: None,
            request_timeout: Duration::from_secs(60),
            poll_timeout: Duration::from_secs(15),
            start_timeout: Duration::from_secs(120),
        }
    }
}

/// Runs functions in sandboxes of a cwsandbox service. The sandbox is always
/// deleted: after the run, on every failure, on timeout and on cancellation, and (as
/// a last resort, without waiting) when the run is dropped.
#[derive(Debug, Clone)]
pub struct CwsandboxBackend {
    config: CwsandboxConfig,
    client: Client,
}

/// The extra time StreamExec gets over the run's wall-clock limit before the client
/// gives up on its exit.
const EXEC_MARGIN: Duration = Duration::from_secs(10);

/// How many times a CreateSandbox whose fate is unknown is sent again, with the same
/// `request_id`, so that the sandbox it may have made is found (and deleted).
const CREATE_ATTEMPTS: u32 = 3;

/// How many times a DeleteSandbox or a ReadFile is tried when the service is
/// unavailable.
const ATTEMPTS: u32 = 3;

/// How long after CreateSandbox a `NOT_FOUND` from GetSandbox is taken for a
/// service that has not caught up yet (the SDK has such a grace too).
const NOT_FOUND_GRACE: Duration = Duration::from_secs(5);

/// How long to watch a deleted sandbox until it reports that it has ended.
const END_WAIT: Duration = Duration::from_secs(10);

impl CwsandboxBackend {
    pub fn new(config: CwsandboxConfig) -> Result<Self, String> {
        let client = Client::new(&config.base_url, config.api_key.clone())?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &CwsandboxConfig {
        &self.config
    }

    async fn run_remote(
        &self,
        payload: &Payload,
        limits: &Limits,
        cancel: CancellationToken,
        sink: Option<OutputSink>,
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
            sink,
        };
        let mut outcome = run.carry_out(&cancel).await;
        if let Err(message) = sandbox.delete().await {
            outcome.add_note(message);
        }
        outcome.backend = Some(self.name().to_owned());
        outcome.image = Some(payload.image.clone());
        outcome
    }

    /// A failed call, as the user should read it.
    fn describe(&self, error: &RpcError) -> String {
        let url = self.client.base_url();
        let capacity = [
            reason::RUNNER_CAPACITY_EXHAUSTED,
            reason::RUNNER_OVERLOADED,
            reason::NO_SUITABLE_RUNNER,
        ];
        match error.code {
            tonic::Code::Unauthenticated if self.client.has_api_key() => format!(
                "the cwsandbox service at {url} refused the API key ({error}): check \
                 CWSANDBOX_API_KEY"
            ),
            tonic::Code::Unauthenticated => format!(
                "the cwsandbox service at {url} wants an API key ({error}): set \
                 CWSANDBOX_API_KEY"
            ),
            tonic::Code::PermissionDenied => format!(
                "the cwsandbox service at {url} denied the request ({error}): check that \
                 CWSANDBOX_API_KEY may create sandboxes"
            ),
            _ if capacity.iter().any(|why| error.is_reason(why)) => {
                format!("the cwsandbox service at {url} has no capacity for a sandbox now: {error}")
            }
            tonic::Code::ResourceExhausted => {
                format!("the cwsandbox service at {url} has no room for this now: {error}")
            }
            tonic::Code::Unavailable => {
                format!("the cwsandbox service at {url} is unavailable: {error}")
            }
            tonic::Code::Unimplemented => format!(
                "{url} does not serve this call ({error}): is the base URL a cwsandbox \
                 service (coreweave.sandbox.v1)?"
            ),
            _ => format!("the cwsandbox service at {url} failed: {error}"),
        }
    }
}

impl Backend for CwsandboxBackend {
    fn name(&self) -> &'static str {
        "cwsandbox"
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

struct Run<'a> {
    backend: &'a CwsandboxBackend,
    payload: &'a Payload,
    limits: &'a Limits,
    sandbox: &'a SandboxGuard,
    sink: Option<OutputSink>,
}

/// What StreamExec brought back.
#[derive(Default)]
struct Executed {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    stdout_truncated: bool,
    stderr_truncated: bool,
    exit_code: Option<i32>,
}

impl Run<'_> {
    async fn carry_out(&self, cancel: &CancellationToken) -> Outcome {
        match self.steps(cancel).await {
            Ok(outcome) => outcome,
            Err(Stopped::Failed(outcome)) => *outcome,
            Err(Stopped::Cancelled) => Outcome::cancelled(),
        }
    }

    fn failed(&self, error: &RpcError) -> Stopped {
        Outcome::error(self.backend.describe(error)).into()
    }

    async fn steps(&self, cancel: &CancellationToken) -> Result<Outcome, Stopped> {
        let config = &self.backend.config;
        let client = &self.backend.client;
        let (id, running) = self.create().await?;
        if cancel.is_cancelled() {
            return Err(Stopped::Cancelled);
        }
        if !running {
            cancellable(cancel, self.wait_until_running(&id)).await??;
        }

        let nonce = new_nonce();
        let dir = files_dir(&self.payload.temp_dir);
        let unique = nonce.rsplit('-').next().unwrap_or(&nonce);
        let request_path = format!("{dir}/aviato_request_{unique}.json");
        let result_path = format!("{dir}/aviato_result_{unique}.json");
        let input = RunnerInput::new(self.payload, &nonce);
        let write = WriteFileRequest {
            sandbox_id: id.clone(),
            path: request_path.clone(),
            content: serde_json::to_vec(&input).expect("the runner input serializes"),
            container: String::new(),
        };
        cancellable(cancel, client.write_file(write, config.request_timeout))
            .await?
            .map_err(|error| {
                Outcome::error(format!(
                    "could not write the payload to {request_path} in the sandbox: {}",
                    self.backend.describe(&error)
                ))
            })?;

        let init = ExecStreamRequest {
            message: Some(exec_stream_request::Message::Init(ExecStreamInit {
                sandbox_id: id.clone(),
                command: vec![
                    "python".to_owned(),
                    "-c".to_owned(),
                    format!("{PRELUDE}{RUNNER_SOURCE}"),
                    request_path,
                    result_path.clone(),
                    self.payload.file_name.clone(),
                ],
                ..ExecStreamInit::default()
            })),
        };
        let began = Instant::now();
        let deadline = self.limits.timeout + EXEC_MARGIN;
        let executed = cancellable(
            cancel,
            tokio::time::timeout(deadline, self.exec(init, deadline)),
        )
        .await?;
        let duration = began.elapsed();
        let timed_out = |note: String| {
            let mut outcome = Outcome {
                message: Some(format!(
                    "wall-clock limit of {} s reached",
                    self.limits.timeout.as_secs_f64()
                )),
                duration_ms: millis(duration),
                limit: Some(Limit::Time),
                ..Outcome::new(OutcomeKind::Timeout)
            };
            outcome.add_note(note);
            outcome
        };
        let executed = match executed {
            Err(_) => {
                return Ok(timed_out(format!(
                    "the command's exit did not come within {} s",
                    deadline.as_secs_f64()
                )));
            }
            Ok(Ok(executed)) => executed,
            Ok(Err(error))
                if error.code == tonic::Code::DeadlineExceeded
                    || error.is_reason(reason::COMMAND_TIMEOUT) =>
            {
                return Ok(timed_out(format!("the service reported: {error}")));
            }
            Ok(Err(error)) => return Err(self.failed(&error)),
        };
        let Some(exit_code) = executed.exit_code else {
            return Err(Outcome::error(format!(
                "the command's output stream from {} ended without an exit status",
                client.base_url()
            ))
            .into());
        };

        let read = cancellable(cancel, self.read_result(&id, &result_path)).await?;
        let (report, read_error) = match read {
            Ok(content) => (RunnerReport::decode(&content, &nonce), None),
            Err(error) if error.code == tonic::Code::NotFound => {
                (None, Some(format!("{result_path} is not there ({error})")))
            }
            Err(error) => (None, Some(self.backend.describe(&error))),
        };
        let mut outcome = judge_run(
            report,
            exit_code,
            &executed.stderr,
            read_error.as_deref(),
            self.payload.serialization,
        );
        outcome.duration_ms = millis(duration);
        let (stdout, cut) = capped(&executed.stdout, self.limits.output_bytes);
        outcome.stdout = stdout;
        outcome.stdout_truncated = cut || executed.stdout_truncated;
        let (stderr, cut) = capped(&executed.stderr, self.limits.output_bytes);
        outcome.stderr = stderr;
        outcome.stderr_truncated = cut || executed.stderr_truncated;
        outcome.interpreter = Some("python".to_owned());
        if let Some(note) = version_note(&self.payload.image, outcome.python_version.as_deref()) {
            outcome.add_note(note);
        }
        Ok(outcome)
    }

    /// CreateSandbox with one `request_id`: sent again while its fate is unknown (no
    /// answer, the service unreachable) or the service is out of capacity, so that a
    /// sandbox it made is never lost. Not raced with cancellation: a sandbox the
    /// service creates must be known to be deleted.
    /// The sandbox, and whether it already runs.
    async fn create(&self) -> Result<(String, bool), Stopped> {
        let config = &self.backend.config;
        let timeout_seconds = whole_seconds(self.limits.timeout);
        let lifetime = config.max_lifetime_seconds.unwrap_or_else(|| {
            timeout_seconds
                .saturating_add(whole_seconds(config.start_timeout))
                .saturating_add(60)
        });
        let request = CreateSandboxRequest {
            sandbox: Some(Sandbox {
                spec: Some(SandboxSpec {
                    containers: vec![main_container(self.payload)],
                    max_lifetime_seconds: i32::try_from(lifetime).unwrap_or(i32::MAX),
                    tags: std::iter::once(TAG.to_owned())
                        .chain(config.tags.iter().cloned())
                        .collect(),
                    ..SandboxSpec::default()
                }),
                ..Sandbox::default()
            }),
            request_id: request_id(),
        };
        let deadline = Instant::now() + config.start_timeout;
        let mut pause = Duration::from_millis(200);
        let mut unknown_fates = 0;
        loop {
            let error = match self
                .backend
                .client
                .create(request.clone(), config.request_timeout)
                .await
            {
                Ok(sandbox) if sandbox.sandbox_id.is_empty() => {
                    return Err(Outcome::error(format!(
                        "the cwsandbox service at {} created a sandbox without naming it",
                        self.backend.client.base_url()
                    ))
                    .into());
                }
                Ok(sandbox) => {
                    self.sandbox.arm(&sandbox.sandbox_id);
                    let running = sandbox
                        .status
                        .is_some_and(|status| status.state == State::Running as i32);
                    return Ok((sandbox.sandbox_id, running));
                }
                Err(error) => error,
            };
            let out_of_capacity =
                matches!(
                    error.code,
                    tonic::Code::ResourceExhausted | tonic::Code::Unavailable
                ) && [reason::RUNNER_CAPACITY_EXHAUSTED, reason::RUNNER_OVERLOADED]
                    .iter()
                    .any(|why| error.is_reason(why));
            let unknown_fate = !out_of_capacity
                && matches!(
                    error.code,
                    tonic::Code::DeadlineExceeded | tonic::Code::Unavailable
                );
            if unknown_fate {
                unknown_fates += 1;
            }
            let again = (out_of_capacity || (unknown_fate && unknown_fates < CREATE_ATTEMPTS))
                && Instant::now() + pause < deadline;
            if !again {
                let mut outcome = Outcome::error(self.backend.describe(&error));
                if error.code == tonic::Code::DeadlineExceeded {
                    outcome.add_note(format!(
                        "the service may have created a sandbox all the same; it ends by \
                         itself after {lifetime} s"
                    ));
                }
                return Err(outcome.into());
            }
            tokio::time::sleep(pause).await;
            pause = pause.mul_f64(1.5).min(Duration::from_secs(2));
        }
    }

    /// Polls GetSandbox as the SDK does (0.2 s, then ×1.5 up to 2 s) until the sandbox
    /// runs. The service's passing troubles (unavailable, slow, busy) are polled
    /// through, as the SDK does.
    async fn wait_until_running(&self, id: &str) -> Result<(), Stopped> {
        let config = &self.backend.config;
        let created = Instant::now();
        let deadline = created + config.start_timeout;
        let mut pause = Duration::from_millis(200);
        let mut last = "creating".to_owned();
        loop {
            match self.backend.client.get(id, config.poll_timeout).await {
                Ok(sandbox) => {
                    let status = sandbox.status.unwrap_or_default();
                    let state = State::try_from(status.state).unwrap_or(State::Unspecified);
                    match state {
                        State::Running => return Ok(()),
                        State::Creating | State::Pending | State::Preparing => {
                            last = state_name(state);
                        }
                        _ => {
                            let mut message = format!(
                                "the sandbox {id} is {} rather than running",
                                state_name(state)
                            );
                            if !status.state_reason.is_empty() {
                                message.push_str(&format!(": {}", status.state_reason));
                            }
                            return Err(Outcome::error(message).into());
                        }
                    }
                }
                Err(error)
                    if error.code == tonic::Code::NotFound
                        && created.elapsed() < NOT_FOUND_GRACE => {}
                Err(error)
                    if matches!(
                        error.code,
                        tonic::Code::Unavailable
                            | tonic::Code::DeadlineExceeded
                            | tonic::Code::ResourceExhausted
                    ) =>
                {
                    last = format!("not known to be running ({error})");
                }
                Err(error) => return Err(self.failed(&error)),
            }
            if Instant::now() + pause > deadline {
                return Err(Outcome {
                    message: Some(format!(
                        "the sandbox {id} was still {last} after {} s",
                        config.start_timeout.as_secs_f64()
                    )),
                    ..Outcome::new(OutcomeKind::Timeout)
                }
                .into());
            }
            tokio::time::sleep(pause).await;
            pause = pause.mul_f64(1.5).min(Duration::from_secs(2));
        }
    }

    /// Runs the command: its output kept (and sent to the sink) as it comes, until
    /// its exit.
    async fn exec(
        &self,
        init: ExecStreamRequest,
        deadline: Duration,
    ) -> Result<Executed, RpcError> {
        let mut frames = self.backend.client.stream_exec(init, deadline).await?;
        let mut executed = Executed::default();
        let keep = self.limits.output_bytes;
        loop {
            let frame = frames.message().await.map_err(|status| RpcError {
                method: "StreamExec",
                code: if client::is_local_timeout(&status) {
                    tonic::Code::DeadlineExceeded
                } else {
                    status.code()
                },
                message: status.message().to_owned(),
                reason: aviato_protocol::errors::reason(&status),
            })?;
            let Some(frame) = frame else {
                return Ok(executed);
            };
            match frame.message {
                Some(exec_stream_response::Message::Output(output)) => {
                    let stream = if output.stream == exec_stream_output::Stream::Stderr as i32 {
                        OutputStream::Stderr
                    } else {
                        OutputStream::Stdout
                    };
                    let (kept, truncated) = match stream {
                        OutputStream::Stdout => {
                            (&mut executed.stdout, &mut executed.stdout_truncated)
                        }
                        OutputStream::Stderr => {
                            (&mut executed.stderr, &mut executed.stderr_truncated)
                        }
                    };
                    let room = keep.saturating_sub(kept.len());
                    *truncated |= output.data.len() > room;
                    kept.extend_from_slice(&output.data[..output.data.len().min(room)]);
                    if let Some(sink) = &self.sink {
                        let chunk = OutputChunk {
                            stream,
                            bytes: output.data,
                        };
                        let _ = sink.send(chunk).await;
                    }
                }
                Some(exec_stream_response::Message::Exit(exit)) => {
                    executed.exit_code = Some(exit.exit_code);
                    return Ok(executed);
                }
                Some(exec_stream_response::Message::Error(error)) => {
                    return Err(RpcError {
                        method: "StreamExec",
                        code: tonic::Code::Unknown,
                        message: error.message,
                        reason: Some(error.code).filter(|code| !code.is_empty()),
                    });
                }
                Some(exec_stream_response::Message::Ready(_)) | None => {}
            }
        }
    }

    /// ReadFile, tried again while the service is unavailable.
    async fn read_result(&self, id: &str, path: &str) -> Result<Vec<u8>, RpcError> {
        let config = &self.backend.config;
        let request = ReadFileRequest {
            sandbox_id: id.to_owned(),
            path: path.to_owned(),
            container: String::new(),
        };
        let mut attempt = 1;
        loop {
            match self
                .backend
                .client
                .read_file(request.clone(), config.request_timeout)
                .await
            {
                Err(error) if error.code == tonic::Code::Unavailable && attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    attempt += 1;
                }
                result => return result.map(|read| read.content),
            }
        }
    }
}

fn state_name(state: State) -> String {
    state
        .as_str_name()
        .trim_start_matches("STATE_")
        .to_ascii_lowercase()
}

/// A fresh idempotency key: a random UUID (version 4).
fn request_id() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        let nonce = new_nonce();
        for (i, byte) in nonce.bytes().rev().take(16).enumerate() {
            bytes[i] = byte;
        }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The created sandbox, deleted explicitly after the run, or on drop if the run is
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

    /// Deletes the sandbox, if one was created, and waits a while for it to end.
    async fn delete(&self) -> Result<(), String> {
        let Some(id) = self
            .id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return Ok(());
        };
        delete(&self.client, id, self.timeout).await
    }
}

/// DeleteSandbox, tried again while the service is unavailable or slow (a
/// `NOT_FOUND` then means an earlier try did it), then GetSandbox until the sandbox
/// has ended, as the SDK waits.
async fn delete(client: &Client, id: String, timeout: Duration) -> Result<(), String> {
    let request = DeleteSandboxRequest {
        sandbox_id: id.clone(),
        grace_period_seconds: 10,
        ..DeleteSandboxRequest::default()
    };
    let ended = |state: i32| {
        [State::Completed, State::Failed, State::Terminated]
            .iter()
            .any(|end| *end as i32 == state)
    };
    let mut attempt = 1;
    loop {
        match client.delete(request.clone(), timeout).await {
            // The answer may already say that it has ended.
            Ok(deleted)
                if deleted
                    .sandbox
                    .as_ref()
                    .and_then(|sandbox| sandbox.status.as_ref())
                    .is_some_and(|status| ended(status.state)) =>
            {
                return Ok(());
            }
            Ok(_) => break,
            Err(error) if error.code == tonic::Code::NotFound => return Ok(()),
            Err(error)
                if attempt < ATTEMPTS
                    && matches!(
                        error.code,
                        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded
                    ) =>
            {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(error) => {
                return Err(format!(
                    "the sandbox {id} may still be running until its lifetime ends: {error}"
                ));
            }
        }
    }
    let until = Instant::now() + END_WAIT;
    let mut pause = Duration::from_millis(100);
    loop {
        match client.get(&id, timeout.min(END_WAIT)).await {
            Ok(sandbox) => {
                if ended(sandbox.status.unwrap_or_default().state) {
                    return Ok(());
                }
            }
            Err(error) if error.code == tonic::Code::NotFound => return Ok(()),
            Err(_) => {}
        }
        if Instant::now() + pause > until {
            return Err(format!(
                "the sandbox {id} was deleted but had not ended {} s later",
                END_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = pause.mul_f64(1.5).min(Duration::from_secs(1));
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
                let _ = delete(&client, id, timeout).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_never_shown() {
        let config = CwsandboxConfig {
            api_key: ApiKey::new("sk-secret-value"),
            base_url: "http://127.0.0.1:1".to_owned(),
            ..CwsandboxConfig::default()
        };
        let shown = format!(
            "{config:?} {:?}",
            CwsandboxBackend::new(config.clone()).unwrap()
        );
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn request_ids_are_uuids() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn https_and_the_default_url_are_accepted() {
        assert_eq!(
            CwsandboxConfig::default().base_url,
            "https://api.cwsandbox.com"
        );
        assert!(CwsandboxBackend::new(CwsandboxConfig::default()).is_ok());
        let path = CwsandboxConfig {
            base_url: "https://api.cwsandbox.com/v1".to_owned(),
            ..CwsandboxConfig::default()
        };
        assert!(CwsandboxBackend::new(path).is_err());
    }
}
