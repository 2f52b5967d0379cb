//! gRPC `coreweave.sandbox.v1.SandboxService`, the calls the `cwsandbox` SDK makes
//! for a `@session.function()`, on the same sandboxes as the Connect API:
//! CreateSandbox (idempotent on `request_id`), GetSandbox (a deleted sandbox is
//! reported `TERMINATED` for a while, not `NOT_FOUND`), DeleteSandbox, WriteFile,
//! ReadFile, and StreamExec (output frames as the command writes, then its exit).
//! ConnectSandbox (the direct data plane) is `UNIMPLEMENTED`, and the SDK then keeps
//! to these calls. Errors carry the service's `CWSANDBOX_*` reasons.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use aviato_protocol::connect::{Code, SandboxStatus};
use aviato_protocol::errors::{reason, status_with_reason};
use aviato_protocol::sandbox::sandbox_service_server::{SandboxService, SandboxServiceServer};
use aviato_protocol::sandbox::{
    ConnectSandboxRequest, CreateSandboxRequest, DeleteSandboxRequest, DeleteSandboxResponse,
    ExecStreamExit, ExecStreamOutput, ExecStreamReady, ExecStreamRequest, ExecStreamResponse,
    GetSandboxRequest, ReadFileRequest, ReadFileResponse, Sandbox, SandboxConnection,
    SandboxStatus as Status, State, WriteFileRequest, WriteFileResponse, exec_stream_output,
    exec_stream_request, exec_stream_response,
};
use aviato_sandbox::{CommandEnding, OutputChunk, OutputStream};
use tokio::sync::{OnceCell, mpsc};
use tokio_stream::Stream;
use tonic::{Request, Response};

use crate::Failure;
use crate::files::{ReadFailureKind, WriteFailure};
use crate::sandboxes::{NewSandbox, Sandboxes, View};

/// The largest message either way, as the SDK's channels allow.
pub(crate) const MAX_MESSAGE: usize = 100 * 1024 * 1024;

/// How long a `request_id` names the sandbox it created.
const REQUEST_ID_TTL: Duration = Duration::from_secs(600);

/// The most `request_id`s remembered; the oldest are forgotten first.
const REQUEST_IDS_MAX: usize = 4096;

/// How long the last output frames of a command that ended may wait for a client
/// that does not read them.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// Output frames waiting for the client; beyond, the command's output waits.
const FRAMES_IN_FLIGHT: usize = 16;

/// The service, as a tower service of HTTP requests.
pub(crate) type Server = SandboxServiceServer<Service>;

pub(crate) fn service(sandboxes: Arc<Sandboxes>) -> Server {
    SandboxServiceServer::new(Service {
        sandboxes,
        created: Mutex::default(),
    })
    .max_decoding_message_size(MAX_MESSAGE)
    .max_encoding_message_size(MAX_MESSAGE)
}

pub(crate) struct Service {
    sandboxes: Arc<Sandboxes>,
    /// `request_id` → the sandbox it created (set once the creation succeeded).
    created: Mutex<HashMap<String, Creation>>,
}

struct Creation {
    id: Arc<OnceCell<String>>,
    at: Instant,
}

type ExecStream = Pin<Box<dyn Stream<Item = Result<ExecStreamResponse, tonic::Status>> + Send>>;

#[tonic::async_trait]
impl SandboxService for Service {
    async fn create_sandbox(
        &self,
        request: Request<CreateSandboxRequest>,
    ) -> Result<Response<Sandbox>, tonic::Status> {
        let request = request.into_inner();
        let spec = request
            .sandbox
            .and_then(|sandbox| sandbox.spec)
            .unwrap_or_default();
        if spec.containers.len() > 1 {
            return Err(status(Failure::new(
                Code::InvalidArgument,
                "this server runs one container per sandbox",
            )));
        }
        let container = spec.containers.first().cloned().unwrap_or_default();
        let mut env: Vec<(String, String)> = container.environment_variables.into_iter().collect();
        env.sort();
        let new = NewSandbox {
            image: container.image,
            lifetime: u64::try_from(spec.max_lifetime_seconds)
                .ok()
                .filter(|seconds| *seconds > 0)
                .map(Duration::from_secs),
            tags: spec.tags.clone(),
            env,
            working_dir: Some(container.working_dir).filter(|dir| !dir.is_empty()),
            spec: Some(spec),
        };
        let id = if request.request_id.is_empty() {
            self.sandboxes.create(new).await.map_err(status)?.0
        } else {
            let cell = self.creation(&request.request_id);
            cell.get_or_try_init(|| async { self.sandboxes.create(new).await.map(|(id, _)| id) })
                .await
                .map_err(status)?
                .clone()
        };
        let view = self.sandboxes.view(&id).map_err(status)?;
        Ok(Response::new(sandbox(&id, view)))
    }

    async fn get_sandbox(
        &self,
        request: Request<GetSandboxRequest>,
    ) -> Result<Response<Sandbox>, tonic::Status> {
        let id = request.into_inner().sandbox_id;
        let view = self.sandboxes.view(&id).map_err(status)?;
        Ok(Response::new(sandbox(&id, view)))
    }

    async fn delete_sandbox(
        &self,
        request: Request<DeleteSandboxRequest>,
    ) -> Result<Response<DeleteSandboxResponse>, tonic::Status> {
        let request = request.into_inner();
        match self.sandboxes.delete(&request.sandbox_id).await {
            Ok(view) => Ok(Response::new(DeleteSandboxResponse {
                sandbox: Some(sandbox(&request.sandbox_id, view)),
            })),
            Err(failure) if failure.code == Code::NotFound && request.allow_missing => {
                Ok(Response::new(DeleteSandboxResponse::default()))
            }
            Err(failure) => Err(status(failure)),
        }
    }

    async fn connect_sandbox(
        &self,
        _request: Request<ConnectSandboxRequest>,
    ) -> Result<Response<SandboxConnection>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "this server has no direct data plane; its SandboxService serves files and \
             commands",
        ))
    }

    type StreamExecStream = ExecStream;

    async fn stream_exec(
        &self,
        request: Request<tonic::Streaming<ExecStreamRequest>>,
    ) -> Result<Response<ExecStream>, tonic::Status> {
        let mut inbound = request.into_inner();
        let init = match inbound.message().await?.and_then(|first| first.message) {
            Some(exec_stream_request::Message::Init(init)) => init,
            _ => {
                return Err(tonic::Status::invalid_argument(
                    "the first message of StreamExec must be `init`",
                ));
            }
        };
        if init.tty {
            return Err(tonic::Status::invalid_argument(
                "this server runs commands without a terminal (tty)",
            ));
        }
        if !init.container.is_empty() && init.container != "main" {
            return Err(tonic::Status::invalid_argument(format!(
                "this server's sandboxes have one container; there is no {:?}",
                init.container
            )));
        }
        // The sandbox must be there and running before the stream is answered.
        let view = self.sandboxes.view(&init.sandbox_id).map_err(status)?;
        if view.status != SandboxStatus::Running {
            return Err(status(Failure::new(
                Code::FailedPrecondition,
                format!(
                    "sandbox {} is {}, not running",
                    init.sandbox_id,
                    view.status.short_name()
                ),
            )));
        }
        let mut env: Vec<(String, String)> = init.env.into_iter().collect();
        env.sort();
        let (frames, stream) = mpsc::channel(FRAMES_IN_FLIGHT);
        let sandboxes = self.sandboxes.clone();
        tokio::spawn(async move {
            // Held, not read, so that the call stays open while the command runs:
            // the command takes no stdin.
            let _inbound = inbound;
            exec(&sandboxes, init.sandbox_id, init.command, env, frames).await;
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(stream),
        )))
    }

    async fn write_file(
        &self,
        request: Request<WriteFileRequest>,
    ) -> Result<Response<WriteFileResponse>, tonic::Status> {
        let request = request.into_inner();
        if !request.container.is_empty() && request.container != "main" {
            return Err(no_container(&request.container));
        }
        let sandboxes = self.sandboxes.clone();
        let written = off_runtime(move || {
            sandboxes.write_file(&request.sandbox_id, &request.path, &request.content)
        })
        .await
        .map_err(status)?;
        match written {
            Ok(()) => Ok(Response::new(WriteFileResponse {})),
            Err(WriteFailure::Refused(why)) => Err(status(
                Failure::new(Code::PermissionDenied, why)
                    .with_reason(reason::FILE_PERMISSION_DENIED),
            )),
            Err(WriteFailure::NoRoom(why)) => Err(status(
                Failure::new(Code::ResourceExhausted, why).with_reason(reason::FILE_TOO_LARGE),
            )),
            Err(WriteFailure::Failed(why)) => Err(status(
                Failure::new(Code::Internal, why).with_reason(reason::FILE_IO_FAILED),
            )),
        }
    }

    async fn read_file(
        &self,
        request: Request<ReadFileRequest>,
    ) -> Result<Response<ReadFileResponse>, tonic::Status> {
        let request = request.into_inner();
        if !request.container.is_empty() && request.container != "main" {
            return Err(no_container(&request.container));
        }
        let sandboxes = self.sandboxes.clone();
        let path = request.path.clone();
        let read = off_runtime(move || sandboxes.read_file(&request.sandbox_id, &request.path))
            .await
            .map_err(status)?;
        match read {
            Ok(content) => Ok(Response::new(ReadFileResponse { content })),
            // As the service words it (the SDK shows the text after its reason).
            Err(failure) if failure.kind == ReadFailureKind::NotFound => Err(status(
                Failure::new(Code::NotFound, format!("file not found: {path}"))
                    .with_reason(reason::FILE_NOT_FOUND),
            )),
            Err(failure) => {
                let (code, why) = match failure.kind {
                    ReadFailureKind::NotFound => (Code::NotFound, reason::FILE_NOT_FOUND),
                    ReadFailureKind::IsDirectory => {
                        (Code::FailedPrecondition, reason::FILE_IS_DIRECTORY)
                    }
                    ReadFailureKind::TooLarge => (Code::ResourceExhausted, reason::FILE_TOO_LARGE),
                    ReadFailureKind::Failed => (Code::Internal, reason::FILE_IO_FAILED),
                };
                Err(status(Failure::new(code, failure.message).with_reason(why)))
            }
        }
    }
}

impl Service {
    /// The creation a `request_id` names, new if it names none yet.
    fn creation(&self, request_id: &str) -> Arc<OnceCell<String>> {
        let now = Instant::now();
        let mut created = self.created.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(creation) = created.get(request_id) {
            return creation.id.clone();
        }
        created.retain(|_, creation| now.duration_since(creation.at) < REQUEST_ID_TTL);
        if created.len() >= REQUEST_IDS_MAX
            && let Some(oldest) = created
                .iter()
                .min_by_key(|(_, creation)| creation.at)
                .map(|(id, _)| id.clone())
        {
            created.remove(&oldest);
        }
        let id = Arc::new(OnceCell::new());
        created.insert(
            request_id.to_owned(),
            Creation {
                id: id.clone(),
                at: now,
            },
        );
        id
    }
}

/// Runs the command and sends its frames: `ready`, `output` as it comes, then
/// `exit`, or the status that ended it. A client that goes away ends the command.
async fn exec(
    sandboxes: &Sandboxes,
    id: String,
    argv: Vec<String>,
    env: Vec<(String, String)>,
    frames: mpsc::Sender<Result<ExecStreamResponse, tonic::Status>>,
) {
    let began = Instant::now();
    let ready = frame(exec_stream_response::Message::Ready(ExecStreamReady {
        ready_time: Some(SystemTime::now().into()),
    }));
    if frames.send(Ok(ready)).await.is_err() {
        return;
    }
    let (sink, mut chunks) = mpsc::channel::<OutputChunk>(FRAMES_IN_FLIGHT);
    let run = sandboxes.run(&id, argv, &env, None, Some(sink));
    tokio::pin!(run);
    // The command is polled all along, even while the client reads slowly, so that
    // its time limit and a Delete still end it.
    let mut ended = None;
    let mut output_open = true;
    let mut pending: Option<ExecStreamResponse> = None;
    let mut flush_deadline = None;
    loop {
        if ended.is_some() && !output_open && pending.is_none() {
            break;
        }
        let flush_timeout = async {
            match flush_deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = &mut run, if ended.is_none() => {
                ended = Some(result);
                flush_deadline = Some(tokio::time::Instant::now() + FLUSH_TIMEOUT);
            }
            chunk = chunks.recv(), if pending.is_none() && output_open => match chunk {
                Some(chunk) => pending = Some(output_frame(chunk)),
                None => output_open = false,
            },
            permit = frames.reserve(), if pending.is_some() => match permit {
                Ok(permit) => permit.send(Ok(pending.take().expect("a frame is pending"))),
                // The client went away: dropping `run` ends the command.
                Err(_) => return,
            },
            () = frames.closed() => return,
            () = flush_timeout => {
                tracing::warn!(sandbox = %id, "the client stopped reading a command's output");
                return;
            }
        }
    }
    let last = match ended.expect("the command ended") {
        Ok(output) => match output.ending {
            CommandEnding::Exited(code) => {
                Ok(frame(exec_stream_response::Message::Exit(ExecStreamExit {
                    exit_code: code,
                    completed_time: Some(SystemTime::now().into()),
                })))
            }
            ending => Err(tonic::Status::internal(format!(
                "the command ended without an exit status ({ending:?})"
            ))),
        },
        Err(failure) => Err(status(failure)),
    };
    crate::http::log_time("/coreweave.sandbox.v1.SandboxService/StreamExec", began);
    let _ = tokio::time::timeout(FLUSH_TIMEOUT, frames.send(last)).await;
}

fn frame(message: exec_stream_response::Message) -> ExecStreamResponse {
    ExecStreamResponse {
        message: Some(message),
    }
}

fn output_frame(chunk: OutputChunk) -> ExecStreamResponse {
    let stream = match chunk.stream {
        OutputStream::Stdout => exec_stream_output::Stream::Stdout,
        OutputStream::Stderr => exec_stream_output::Stream::Stderr,
    };
    frame(exec_stream_response::Message::Output(ExecStreamOutput {
        stream: stream as i32,
        data: chunk.bytes,
    }))
}

fn sandbox(id: &str, view: View) -> Sandbox {
    Sandbox {
        sandbox_id: id.to_owned(),
        spec: view.spec,
        status: Some(Status {
            state: state(view.status) as i32,
            state_reason: view.reason.unwrap_or_default(),
            ..Status::default()
        }),
        display_name: String::new(),
    }
}

fn state(status: SandboxStatus) -> State {
    match status {
        SandboxStatus::Unspecified => State::Unspecified,
        SandboxStatus::Creating => State::Creating,
        SandboxStatus::Running => State::Running,
        SandboxStatus::Completed => State::Completed,
        SandboxStatus::Failed => State::Failed,
        SandboxStatus::Terminated => State::Terminated,
        SandboxStatus::Pending => State::Pending,
        SandboxStatus::Paused => State::Paused,
    }
}

fn no_container(name: &str) -> tonic::Status {
    tonic::Status::invalid_argument(format!(
        "this server's sandboxes have one container; there is no {name:?}"
    ))
}

/// A failure as a gRPC status, with its reason in an `ErrorInfo`.
pub(crate) fn status(failure: Failure) -> tonic::Status {
    let code = grpc_code(failure.code);
    match failure.reason {
        Some(why) => status_with_reason(code, failure.message, why, []),
        None => tonic::Status::new(code, failure.message),
    }
}

pub(crate) fn grpc_code(code: Code) -> tonic::Code {
    match code {
        Code::Canceled => tonic::Code::Cancelled,
        Code::Unknown => tonic::Code::Unknown,
        Code::InvalidArgument => tonic::Code::InvalidArgument,
        Code::DeadlineExceeded => tonic::Code::DeadlineExceeded,
        Code::NotFound => tonic::Code::NotFound,
        Code::AlreadyExists => tonic::Code::AlreadyExists,
        Code::PermissionDenied => tonic::Code::PermissionDenied,
        Code::ResourceExhausted => tonic::Code::ResourceExhausted,
        Code::FailedPrecondition => tonic::Code::FailedPrecondition,
        Code::Aborted => tonic::Code::Aborted,
        Code::OutOfRange => tonic::Code::OutOfRange,
        Code::Unimplemented => tonic::Code::Unimplemented,
        Code::Internal => tonic::Code::Internal,
        Code::Unavailable => tonic::Code::Unavailable,
        Code::DataLoss => tonic::Code::DataLoss,
        Code::Unauthenticated => tonic::Code::Unauthenticated,
    }
}

async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|err| {
            Err(Failure::new(
                Code::Internal,
                format!("the call failed: {err}"),
            ))
        })
}
