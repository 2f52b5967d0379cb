//! The cwsandbox backend: against `aviato-lsp sandbox-server` over gRPC (values,
//! exceptions, large output streamed, a timeout, cancel mid-stream, the server
//! killed mid-exec), and against a deliberately faulty service (never running, slow
//! past the deadline, a refused key, unavailable then fine, no result file, a
//! stream cut short). Every run that created a sandbox ends with DeleteSandbox.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aviato_analysis::resources::{Gpu as ResourceGpu, Resources};
use aviato_exec::{
    ApiKey, Backend, CancellationToken, CwsandboxBackend, CwsandboxConfig, Limits, OutcomeKind,
    OutputChunk, OutputStream, Payload,
};
use aviato_protocol::errors::{reason, status_with_reason};
use aviato_protocol::sandbox::sandbox_service_server::{SandboxService, SandboxServiceServer};
use aviato_protocol::sandbox::{
    ConnectSandboxRequest, Container, CreateSandboxRequest, DeleteSandboxRequest,
    DeleteSandboxResponse, ExecStreamExit, ExecStreamOutput, ExecStreamReady, ExecStreamRequest,
    ExecStreamResponse, GetSandboxRequest, ReadFileRequest, ReadFileResponse, Sandbox,
    SandboxConnection, SandboxStatus, State, WriteFileRequest, WriteFileResponse,
    exec_stream_response, gpu,
};
use tokio_stream::Stream;
use tonic::codegen::Service as _;
use tonic::{Request, Response, Status};

use crate::{Server, processes_naming};

fn limits(seconds: u64) -> Limits {
    Limits {
        timeout: Duration::from_secs(seconds),
        ..Limits::default()
    }
}

fn call(marker: &str, function: &str, source: &str, args: &str) -> Payload {
    let mut payload = Payload::new(format!("/srv/{marker}/app.py"), function, source);
    payload.args_source = args.to_owned();
    payload
}

fn sleeper(marker: &str) -> Payload {
    call(
        marker,
        "nap",
        "def nap():\n    import time\n    print('napping', flush=True)\n    time.sleep(60)\n",
        "",
    )
}

fn unique(test: &str) -> String {
    format!("cwsandbox-{test}-{}", std::process::id())
}

async fn wait_for_processes(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while processes_naming(marker).is_empty() {
        assert!(Instant::now() < deadline, "the sandbox never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_until_gone(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_naming(marker);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "left running: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ------------------------------------------------------------ against the server

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_exceptions_and_output_come_back() {
    let server = Server::start(&[]);
    let backend = server.cwsandbox_backend();
    let add = call(
        "values",
        "add",
        "def add(x, y):\n    import sys\n    print('adding')\n    print('careful', file=sys.stderr)\n    return {'sum': x + y}\n",
        "2, 3",
    );
    let outcome = backend
        .run(&add, &limits(20), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    assert_eq!(outcome.value_repr.as_deref(), Some("{'sum': 5}"));
    assert_eq!(outcome.stdout, "adding\n");
    assert_eq!(outcome.stderr, "careful\n");
    assert_eq!(outcome.backend.as_deref(), Some("cwsandbox"));
    assert_eq!(outcome.image.as_deref(), Some("python:3.11"));

    let boom = call(
        "values",
        "boom",
        "\n\ndef boom():\n    raise KeyError('missing')\n",
        "",
    );
    let outcome = backend
        .run(&boom, &limits(20), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised, "{outcome:?}");
    assert_eq!(outcome.exception_type.as_deref(), Some("KeyError"));
    assert_eq!(outcome.exception_message.as_deref(), Some("'missing'"));
    assert_eq!(outcome.traceback.last().map(|frame| frame.line), Some(4));
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_functions_environment_and_working_directory_reach_the_sandbox() {
    let server = Server::start(&[]);
    let backend = server.cwsandbox_backend();
    let mut settings = call(
        "environment",
        "settings",
        "def settings():\n    import os\n    return [os.environ.get('MODE'), os.environ.get('RUN_NAME'), os.getcwd()]\n",
        "",
    );
    settings.environment = vec![
        ("MODE".to_owned(), "fast".to_owned()),
        ("RUN_NAME".to_owned(), "ft-042".to_owned()),
    ];
    settings.working_dir = Some("/tmp".to_owned());
    let outcome = backend
        .run(&settings, &limits(20), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    assert_eq!(
        outcome.value_repr.as_deref(),
        Some("['fast', 'ft-042', '/tmp']")
    );
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_output_is_streamed_as_it_comes_and_capped_in_the_outcome() {
    let server = Server::start(&[]);
    let backend = server.cwsandbox_backend();
    let source = "def chatty():\n    import sys, time\n    print('early', flush=True)\n    \
                  time.sleep(1)\n    for _ in range(40):\n        sys.stdout.write('y' * 65536)\n    \
                  sys.stderr.write('done\\n')\n    return 1\n";
    let payload = call("large", "chatty", source, "");
    let (sink, mut chunks) = tokio::sync::mpsc::channel::<OutputChunk>(4);
    let collect = tokio::spawn(async move {
        let mut got: Vec<(OutputChunk, Instant)> = Vec::new();
        while let Some(chunk) = chunks.recv().await {
            got.push((chunk, Instant::now()));
        }
        got
    });
    let outcome = backend
        .run_with_output(&payload, &limits(30), CancellationToken::new(), Some(sink))
        .await;
    let finished = Instant::now();
    let got = collect.await.unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    // The outcome keeps 1 MiB; the sink got all of it, the first line well before
    // the end.
    assert_eq!(outcome.stdout.len(), 1024 * 1024);
    assert!(outcome.stdout_truncated);
    let stdout: usize = got
        .iter()
        .filter(|(chunk, _)| chunk.stream == OutputStream::Stdout)
        .map(|(chunk, _)| chunk.bytes.len())
        .sum();
    assert_eq!(stdout, "early\n".len() + 40 * 65536);
    let (first, came) = &got[0];
    assert_eq!(first.bytes, b"early\n");
    assert!(
        finished - *came >= Duration::from_millis(900),
        "{:?}",
        finished - *came
    );
    assert!(
        got.iter()
            .any(|(chunk, _)| chunk.stream == OutputStream::Stderr && chunk.bytes == b"done\n")
    );
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_its_limit_times_out_and_is_deleted() {
    let server = Server::start(&[]);
    let marker = unique("timeout");
    let outcome = server
        .cwsandbox_backend()
        .run(&sleeper(&marker), &limits(1), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("wall-clock limit of 1 s reached")
    );
    wait_until_gone(&marker).await;
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cancelled_mid_stream_is_killed_and_deleted() {
    let server = Server::start(&[]);
    let marker = unique("cancelled");
    let backend = server.cwsandbox_backend();
    let payload = sleeper(&marker);
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let (sink, mut chunks) = tokio::sync::mpsc::channel(4);
    let run = tokio::spawn(async move {
        backend
            .run_with_output(&payload, &limits(30), token, Some(sink))
            .await
    });
    // Mid-stream: the function has written its first line.
    assert_eq!(chunks.recv().await.unwrap().bytes, b"napping\n");
    let began = Instant::now();
    cancel.cancel();
    let outcome = run.await.unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(outcome.outcome, OutcomeKind::Killed);
    assert_eq!(outcome.message.as_deref(), Some("cancelled"));
    assert_eq!(outcome.note, None);
    wait_until_gone(&marker).await;
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_run_still_deletes_its_sandbox() {
    let server = Server::start(&[]);
    let marker = unique("dropped");
    let backend = server.cwsandbox_backend();
    let payload = sleeper(&marker);
    let run = tokio::spawn(async move {
        backend
            .run(&payload, &limits(30), CancellationToken::new())
            .await
    });
    wait_for_processes(&marker).await;
    run.abort();
    wait_until_gone(&marker).await;
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_exec_is_reported() {
    let server = Server::start(&[]);
    let marker = unique("killed");
    let backend = server.cwsandbox_backend();
    let payload = sleeper(&marker);
    let run = tokio::spawn(async move {
        backend
            .run(&payload, &limits(30), CancellationToken::new())
            .await
    });
    wait_for_processes(&marker).await;
    server.signal(libc::SIGKILL);
    let began = Instant::now();
    let outcome = run.await.unwrap();
    assert!(began.elapsed() < Duration::from_secs(15));
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    let message = outcome.message.unwrap();
    assert!(
        message.contains("StreamExec failed") && message.contains(&server.url),
        "{message}"
    );
    assert!(
        outcome
            .note
            .as_deref()
            .is_some_and(|note| note.contains("may still be running")),
        "{:?}",
        outcome.note
    );
    wait_until_gone(&marker).await;
}

// ------------------------------------------------------------ a faulty service

/// What the fake service does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// GetSandbox says CREATING forever.
    NeverRunning,
    /// The first CreateSandbox answers after the client's deadline (having created
    /// the sandbox all the same).
    SlowCreate,
    /// StreamExec sends `ready` and never more.
    SlowExec,
    /// CreateSandbox: UNAUTHENTICATED.
    Unauthenticated,
    /// The first GetSandbox: UNAVAILABLE; the first CreateSandbox: out of capacity.
    UnavailableOnce,
    /// ReadFile: NOT_FOUND.
    ResultMissing,
    /// StreamExec ends after some output, without an exit.
    CutShort,
}

#[derive(Default)]
struct Record {
    calls: Vec<String>,
    request_ids: Vec<String>,
    authorization: Vec<String>,
    nonce: Option<String>,
    creates: u32,
    /// The main container of each CreateSandbox.
    containers: Vec<Container>,
    gets: u32,
    /// request_id → sandbox id
    created: HashMap<String, String>,
    deleted: bool,
}

#[derive(Clone)]
struct Fake {
    fault: Fault,
    record: Arc<Mutex<Record>>,
}

type Frames = Pin<Box<dyn Stream<Item = Result<ExecStreamResponse, Status>> + Send>>;

fn view(id: &str, state: State) -> Sandbox {
    Sandbox {
        sandbox_id: id.to_owned(),
        status: Some(SandboxStatus {
            state: state as i32,
            ..SandboxStatus::default()
        }),
        ..Sandbox::default()
    }
}

fn frame(message: exec_stream_response::Message) -> Result<ExecStreamResponse, Status> {
    Ok(ExecStreamResponse {
        message: Some(message),
    })
}

impl Fake {
    fn note<T>(&self, method: &str, request: &Request<T>) {
        let mut record = self.record.lock().unwrap();
        record.calls.push(method.to_owned());
        if let Some(value) = request.metadata().get("authorization") {
            record
                .authorization
                .push(value.to_str().unwrap_or_default().to_owned());
        }
    }
}

#[tonic::async_trait]
impl SandboxService for Fake {
    async fn create_sandbox(
        &self,
        request: Request<CreateSandboxRequest>,
    ) -> Result<Response<Sandbox>, Status> {
        self.note("CreateSandbox", &request);
        let request = request.into_inner();
        let container = request
            .sandbox
            .and_then(|sandbox| sandbox.spec)
            .and_then(|spec| spec.containers.into_iter().next());
        self.record.lock().unwrap().containers.extend(container);
        let request_id = request.request_id;
        let (attempt, id) = {
            let mut record = self.record.lock().unwrap();
            record.creates += 1;
            record.request_ids.push(request_id.clone());
            let next = format!("sb-fake-{}", record.created.len() + 1);
            let id = record.created.entry(request_id).or_insert(next).clone();
            (record.creates, id)
        };
        match self.fault {
            Fault::Unauthenticated => return Err(Status::unauthenticated("invalid API key")),
            Fault::UnavailableOnce if attempt == 1 => {
                return Err(status_with_reason(
                    tonic::Code::ResourceExhausted,
                    "no runner has room",
                    reason::RUNNER_CAPACITY_EXHAUSTED,
                    [],
                ));
            }
            Fault::SlowCreate if attempt == 1 => tokio::time::sleep(Duration::from_secs(3)).await,
            _ => {}
        }
        Ok(Response::new(view(&id, State::Creating)))
    }

    async fn get_sandbox(
        &self,
        request: Request<GetSandboxRequest>,
    ) -> Result<Response<Sandbox>, Status> {
        self.note("GetSandbox", &request);
        let id = request.into_inner().sandbox_id;
        let (gets, deleted) = {
            let mut record = self.record.lock().unwrap();
            record.gets += 1;
            (record.gets, record.deleted)
        };
        if deleted {
            return Ok(Response::new(view(&id, State::Terminated)));
        }
        match self.fault {
            Fault::NeverRunning => Ok(Response::new(view(&id, State::Creating))),
            Fault::UnavailableOnce if gets == 1 => Err(Status::unavailable("restarting")),
            _ => Ok(Response::new(view(&id, State::Running))),
        }
    }

    async fn delete_sandbox(
        &self,
        request: Request<DeleteSandboxRequest>,
    ) -> Result<Response<DeleteSandboxResponse>, Status> {
        self.note("DeleteSandbox", &request);
        self.record.lock().unwrap().deleted = true;
        let id = request.into_inner().sandbox_id;
        // Still ending: the client polls until GetSandbox says it has.
        Ok(Response::new(DeleteSandboxResponse {
            sandbox: Some(view(&id, State::Terminating)),
        }))
    }

    async fn connect_sandbox(
        &self,
        request: Request<ConnectSandboxRequest>,
    ) -> Result<Response<SandboxConnection>, Status> {
        self.note("ConnectSandbox", &request);
        Err(Status::unimplemented("no"))
    }

    type StreamExecStream = Frames;

    async fn stream_exec(
        &self,
        request: Request<tonic::Streaming<ExecStreamRequest>>,
    ) -> Result<Response<Frames>, Status> {
        self.note("StreamExec", &request);
        let ready = frame(exec_stream_response::Message::Ready(ExecStreamReady {
            ready_time: None,
        }));
        let output = frame(exec_stream_response::Message::Output(ExecStreamOutput {
            stream: 1,
            data: b"hello\n".to_vec(),
        }));
        let exit = frame(exec_stream_response::Message::Exit(ExecStreamExit {
            exit_code: 0,
            completed_time: None,
        }));
        let frames: Frames = match self.fault {
            Fault::SlowExec => Box::pin(tokio_stream::StreamExt::chain(
                tokio_stream::iter([ready]),
                tokio_stream::pending(),
            )),
            Fault::CutShort => Box::pin(tokio_stream::iter([ready, output])),
            _ => Box::pin(tokio_stream::iter([ready, output, exit])),
        };
        Ok(Response::new(frames))
    }

    async fn write_file(
        &self,
        request: Request<WriteFileRequest>,
    ) -> Result<Response<WriteFileResponse>, Status> {
        self.note("WriteFile", &request);
        let input: serde_json::Value = serde_json::from_slice(&request.into_inner().content)
            .map_err(|err| Status::invalid_argument(err.to_string()))?;
        self.record.lock().unwrap().nonce = input["nonce"].as_str().map(str::to_owned);
        Ok(Response::new(WriteFileResponse {}))
    }

    async fn read_file(
        &self,
        request: Request<ReadFileRequest>,
    ) -> Result<Response<ReadFileResponse>, Status> {
        self.note("ReadFile", &request);
        let path = request.into_inner().path;
        if self.fault == Fault::ResultMissing {
            return Err(status_with_reason(
                tonic::Code::NotFound,
                format!("file not found: {path}"),
                reason::FILE_NOT_FOUND,
                [],
            ));
        }
        let nonce = self
            .record
            .lock()
            .unwrap()
            .nonce
            .clone()
            .unwrap_or_default();
        let report = format!("\n{nonce}\n{{\"outcome\": \"ok\", \"value_repr\": \"5\"}}\n");
        Ok(Response::new(ReadFileResponse {
            content: report.into_bytes(),
        }))
    }
}

/// Serves `fault` on a free port; its URL and what it was asked.
async fn fake(fault: Fault) -> (String, Arc<Mutex<Record>>) {
    let record = Arc::new(Mutex::new(Record::default()));
    let service = SandboxServiceServer::new(Fake {
        fault,
        record: record.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let mut service = service.clone();
                    async move { service.call(request).await }
                });
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
            });
        }
    });
    (url, record)
}

fn fake_backend(url: &str) -> CwsandboxBackend {
    CwsandboxBackend::new(CwsandboxConfig {
        base_url: url.to_owned(),
        api_key: ApiKey::new("sk-fake-key"),
        request_timeout: Duration::from_secs(1),
        poll_timeout: Duration::from_secs(1),
        start_timeout: Duration::from_secs(3),
        ..CwsandboxConfig::default()
    })
    .unwrap()
}

fn add() -> Payload {
    call("fake", "add", "def add(x, y):\n    return x + y\n", "2, 3")
}

fn calls(record: &Mutex<Record>) -> Vec<String> {
    let mut calls = record.lock().unwrap().calls.clone();
    calls.dedup();
    calls
}

/// The calls, and that the run ended with DeleteSandbox (then GetSandbox until it
/// ended).
#[track_caller]
fn assert_ends_with_delete(record: &Mutex<Record>) {
    let calls = calls(record);
    let delete = calls.iter().rposition(|call| call == "DeleteSandbox");
    assert!(
        delete.is_some_and(|at| calls[at..].iter().all(|call| call != "StreamExec")),
        "{calls:?}"
    );
    assert_eq!(
        calls.last().map(String::as_str),
        Some("GetSandbox"),
        "{calls:?}"
    );
}

#[tokio::test]
async fn the_sdk_sequence_with_the_key_on_every_call() {
    let (url, record) = fake(Fault::None).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    assert_eq!(outcome.value_repr.as_deref(), Some("5"));
    assert_eq!(outcome.stdout, "hello\n");
    assert_eq!(
        calls(&record),
        [
            "CreateSandbox",
            "GetSandbox",
            "WriteFile",
            "StreamExec",
            "ReadFile",
            "DeleteSandbox",
            "GetSandbox"
        ]
    );
    let record = record.lock().unwrap();
    assert!(
        record
            .authorization
            .iter()
            .all(|value| value == "Bearer sk-fake-key")
    );
    assert_eq!(record.authorization.len(), record.calls.len());
    let shown = format!("{outcome:?}");
    assert!(!shown.contains("sk-fake-key"));
}

#[tokio::test]
async fn the_declared_options_are_in_the_create_request_as_the_sdk_sends_them() {
    let (url, record) = fake(Fault::None).await;
    let mut payload = add();
    payload.environment = vec![("MODE".to_owned(), "fast".to_owned())];
    payload.working_dir = Some("/work".to_owned());
    payload.resources = Some(Resources {
        requests: vec![("cpu".to_owned(), "2".to_owned())],
        limits: vec![
            ("cpu".to_owned(), "4".to_owned()),
            ("memory".to_owned(), "8Gi".to_owned()),
        ],
        gpu: Some(ResourceGpu {
            count: Some(1),
            model: Some("A100".to_owned()),
            memory_gb: None,
        }),
    });
    let outcome = fake_backend(&url)
        .run(&payload, &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    let record = record.lock().unwrap();
    let container = &record.containers[0];
    assert_eq!(container.image, "python:3.11");
    assert_eq!(
        container
            .environment_variables
            .get("MODE")
            .map(String::as_str),
        Some("fast")
    );
    assert_eq!(container.working_dir, "/work");
    let requirements = container.resource_requirements.as_ref().unwrap();
    let requests = requirements.requests.as_ref().unwrap();
    let limits = requirements.limits.as_ref().unwrap();
    assert_eq!((requests.cpu.as_str(), requests.memory.as_str()), ("2", ""));
    assert_eq!((limits.cpu.as_str(), limits.memory.as_str()), ("4", "8Gi"));
    let gpu = limits.gpu.as_ref().unwrap();
    assert_eq!(gpu.count, 1);
    assert_eq!(gpu.selector, Some(gpu::Selector::Type("A100".to_owned())));
    assert_eq!(requests.gpu, limits.gpu);
}

#[tokio::test]
async fn a_sandbox_never_running_times_out_and_is_deleted() {
    let (url, record) = fake(Fault::NeverRunning).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("the sandbox sb-fake-1 was still creating after 3 s")
    );
    assert!(!calls(&record).contains(&"WriteFile".to_owned()));
    assert_ends_with_delete(&record);
}

#[tokio::test]
async fn a_create_answered_past_its_deadline_is_sent_again_with_the_same_request_id() {
    let (url, record) = fake(Fault::SlowCreate).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    let ids = record.lock().unwrap().request_ids.clone();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0].len(), 36);
    assert_ends_with_delete(&record);
}

#[tokio::test]
async fn a_command_without_an_exit_times_out_and_is_deleted() {
    let (url, record) = fake(Fault::SlowExec).await;
    let began = Instant::now();
    let outcome = fake_backend(&url)
        .run(&add(), &limits(1), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:?}");
    assert!(began.elapsed() < Duration::from_secs(20));
    assert_ends_with_delete(&record);
}

#[tokio::test]
async fn a_refused_key_says_to_check_it() {
    let (url, record) = fake(Fault::Unauthenticated).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some(&*format!(
            "the cwsandbox service at {url} refused the API key (CreateSandbox failed \
             (UNAUTHENTICATED): invalid API key): check CWSANDBOX_API_KEY"
        ))
    );
    // No sandbox was created: nothing to delete.
    assert_eq!(calls(&record), ["CreateSandbox"]);
}

#[tokio::test]
async fn unavailable_then_fine_is_waited_through() {
    let (url, record) = fake(Fault::UnavailableOnce).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
    let ids = record.lock().unwrap().request_ids.clone();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
    assert_ends_with_delete(&record);
}

#[tokio::test]
async fn a_missing_result_file_is_an_error_and_the_sandbox_is_deleted() {
    let (url, record) = fake(Fault::ResultMissing).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    let message = outcome.message.unwrap();
    assert!(
        message.starts_with("python in the sandbox exited with status 0 without a result")
            && message.contains("ReadFile failed (NOT_FOUND, CWSANDBOX_FILE_NOT_FOUND)"),
        "{message}"
    );
    assert_ends_with_delete(&record);
}

#[tokio::test]
async fn a_stream_cut_short_is_an_error_and_the_sandbox_is_deleted() {
    let (url, record) = fake(Fault::CutShort).await;
    let outcome = fake_backend(&url)
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    assert!(
        outcome
            .message
            .as_deref()
            .is_some_and(|message| message.contains("ended without an exit status")),
        "{outcome:?}"
    );
    assert!(!calls(&record).contains(&"ReadFile".to_owned()));
    assert_ends_with_delete(&record);
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let backend = CwsandboxBackend::new(CwsandboxConfig {
        base_url: url.clone(),
        start_timeout: Duration::from_secs(1),
        ..CwsandboxConfig::default()
    })
    .unwrap();
    let outcome = backend
        .run(&add(), &limits(5), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Error, "{outcome:?}");
    let message = outcome.message.unwrap();
    assert!(
        message.starts_with(&format!("the cwsandbox service at {url} is unavailable")),
        "{message}"
    );
}

/// `--backend auto`, the default: a cwsandbox file runs on the service
/// `CWSANDBOX_BASE_URL` names, and locally without one; an aviato file runs locally.
#[test]
fn auto_runs_a_cwsandbox_file_on_the_service_when_one_is_set() {
    const CWSANDBOX_JOB: &str = "from cwsandbox import Session\n\nwith Session() as session:\n\n    @session.function()\n    def add(x, y):\n        return x + y\n\n    add.remote(2, 3).result()\n";
    const AVIATO_JOB: &str = "import asyncio\n\nfrom aviato import Sandbox\n\n\nasync def main():\n    async with Sandbox.session() as session:\n\n        @session.function()\n        def add(x, y):\n            return x + y\n\n        print(await add(2, 3))\n\n\nasyncio.run(main())\n";
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.py"), CWSANDBOX_JOB).unwrap();
    std::fs::write(dir.path().join("old.py"), AVIATO_JOB).unwrap();
    let run = |file: &str, url: Option<&str>| -> serde_json::Value {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"));
        command
            .args(["run", file, "--function", "add", "--output-format", "json"])
            .current_dir(dir.path())
            .env_remove("CWSANDBOX_API_KEY")
            .env_remove("CWSANDBOX_BASE_URL");
        if let Some(url) = url {
            command.env("CWSANDBOX_BASE_URL", url);
        }
        let output = command.output().unwrap();
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stderr)))
    };
    let remote = run("job.py", Some(&server.url));
    assert_eq!(remote["backend"], "cwsandbox", "{remote:#}");
    assert_eq!(remote["value_repr"], "5");
    let local = run("job.py", None);
    assert_eq!(local["backend"], "local", "{local:#}");
    assert_eq!(local["value_repr"], "5");
    assert_eq!(run("old.py", Some(&server.url))["backend"], "local");
    server.assert_nothing_left();
}
