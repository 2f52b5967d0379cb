//! `aviato-lsp sandbox-server` speaking gRPC `coreweave.sandbox.v1`, call by call,
//! with a plain gRPC client on the same port as the Connect API.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aviato_protocol::errors;
use aviato_protocol::sandbox::sandbox_service_client::SandboxServiceClient;
use aviato_protocol::sandbox::{
    ConnectSandboxRequest, Container, CreateSandboxRequest, DeleteSandboxRequest, ExecStreamInit,
    ExecStreamRequest, GetSandboxRequest, ReadFileRequest, Sandbox, SandboxSpec, State,
    WriteFileRequest, exec_stream_request, exec_stream_response,
};
use serde_json::json;
use tonic::transport::Channel;

use crate::Server;
use crate::protocol::post;

pub async fn client(url: &str) -> SandboxServiceClient<Channel> {
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    SandboxServiceClient::new(channel)
}

fn create_request(request_id: &str, env: &[(&str, &str)]) -> CreateSandboxRequest {
    CreateSandboxRequest {
        sandbox: Some(Sandbox {
            spec: Some(SandboxSpec {
                containers: vec![Container {
                    name: "main".into(),
                    image: "python:3.11".into(),
                    command: "/bin/sh".into(),
                    args: vec!["-c".into(), "sleep infinity".into()],
                    environment_variables: env
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                    ..Container::default()
                }],
                tags: vec!["grpc-test".into()],
                ..SandboxSpec::default()
            }),
            ..Sandbox::default()
        }),
        request_id: request_id.into(),
    }
}

fn state(sandbox: &Sandbox) -> State {
    State::try_from(sandbox.status.clone().unwrap_or_default().state).unwrap()
}

/// Creates a sandbox and polls until it runs.
pub async fn running(client: &mut SandboxServiceClient<Channel>, env: &[(&str, &str)]) -> String {
    let created = client
        .create_sandbox(create_request("", env))
        .await
        .unwrap()
        .into_inner();
    let id = created.sandbox_id;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = client
            .get_sandbox(GetSandboxRequest {
                sandbox_id: id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if state(&got) == State::Running {
            return id;
        }
        assert!(Instant::now() < deadline, "{got:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn exec_request(id: &str, command: &[&str], env: &[(&str, &str)]) -> ExecStreamRequest {
    ExecStreamRequest {
        message: Some(exec_stream_request::Message::Init(ExecStreamInit {
            sandbox_id: id.into(),
            command: command.iter().map(|arg| (*arg).to_owned()).collect(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
            ..ExecStreamInit::default()
        })),
    }
}

#[derive(Debug, Default)]
struct Frames {
    ready: bool,
    /// (stream, data, when it came)
    output: Vec<(i32, Vec<u8>, Instant)>,
    exit: Option<(i32, Instant)>,
}

async fn exec(
    client: &mut SandboxServiceClient<Channel>,
    id: &str,
    command: &[&str],
    env: &[(&str, &str)],
) -> Result<Frames, tonic::Status> {
    let request = tokio_stream::iter([exec_request(id, command, env)]);
    let mut stream = client.stream_exec(request).await?.into_inner();
    let mut frames = Frames::default();
    while let Some(frame) = stream.message().await? {
        match frame.message.unwrap() {
            exec_stream_response::Message::Ready(_) => frames.ready = true,
            exec_stream_response::Message::Output(output) => {
                frames
                    .output
                    .push((output.stream, output.data, Instant::now()));
            }
            exec_stream_response::Message::Exit(exit) => {
                frames.exit = Some((exit.exit_code, Instant::now()));
            }
            exec_stream_response::Message::Error(error) => panic!("{error:?}"),
        }
    }
    Ok(frames)
}

fn joined(frames: &Frames, stream: i32) -> String {
    let bytes: Vec<u8> = frames
        .output
        .iter()
        .filter(|(s, _, _)| *s == stream)
        .flat_map(|(_, data, _)| data.clone())
        .collect();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_lifecycle_over_grpc() {
    let server = Server::start(&[]);
    let mut client = client(&server.url).await;
    let id = running(&mut client, &[("STAGE", "dev")]).await;

    client
        .write_file(WriteFileRequest {
            sandbox_id: id.clone(),
            path: "/tmp/in/payload.json".into(),
            content: b"[2, 3]".to_vec(),
            container: String::new(),
        })
        .await
        .unwrap();
    let script = "import json, os, sys\nx, y = json.load(open('/tmp/in/payload.json'))\n\
                  print('to stderr', file=sys.stderr)\nprint(os.environ['STAGE'], os.environ['MODE'])\n\
                  json.dump(x + y, open('/tmp/out.json', 'w'))\nsys.exit(3)";
    let frames = exec(
        &mut client,
        &id,
        &["python", "-c", script],
        &[("MODE", "fast")],
    )
    .await
    .unwrap();
    assert!(frames.ready);
    assert_eq!(joined(&frames, 1), "dev fast\n");
    assert_eq!(joined(&frames, 2), "to stderr\n");
    assert_eq!(frames.exit.map(|(code, _)| code), Some(3));
    let read = client
        .read_file(ReadFileRequest {
            sandbox_id: id.clone(),
            path: "/tmp/out.json".into(),
            container: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.content, b"5");

    let deleted = client
        .delete_sandbox(DeleteSandboxRequest {
            sandbox_id: id.clone(),
            grace_period_seconds: 10,
            ..DeleteSandboxRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(deleted.sandbox.as_ref().unwrap()), State::Terminated);
    // A deleted sandbox is reported as ended, not as unknown; so is a second Delete.
    let got = client
        .get_sandbox(GetSandboxRequest {
            sandbox_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&got), State::Terminated);
    assert_eq!(got.spec.unwrap().tags, ["grpc-test"]);
    let again = client
        .delete_sandbox(DeleteSandboxRequest {
            sandbox_id: id.clone(),
            ..DeleteSandboxRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(again.sandbox.as_ref().unwrap()), State::Terminated);
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_on_its_request_id() {
    let server = Server::start(&[]);
    let mut client = client(&server.url).await;
    let first = client
        .create_sandbox(create_request("req-1", &[]))
        .await
        .unwrap()
        .into_inner();
    let retried = client
        .create_sandbox(create_request("req-1", &[]))
        .await
        .unwrap()
        .into_inner();
    let other = client
        .create_sandbox(create_request("req-2", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.sandbox_id, retried.sandbox_id);
    assert_ne!(first.sandbox_id, other.sandbox_id);
    assert_eq!(server.sandbox_dirs().len(), 2);
    for id in [first.sandbox_id, other.sandbox_id] {
        client
            .delete_sandbox(DeleteSandboxRequest {
                sandbox_id: id,
                ..DeleteSandboxRequest::default()
            })
            .await
            .unwrap();
    }
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_the_service_reasons() {
    let server = Server::start(&[]);
    let mut client = client(&server.url).await;
    let id = running(&mut client, &[]).await;

    let missing = client
        .read_file(ReadFileRequest {
            sandbox_id: id.clone(),
            path: "/tmp/nothing.json".into(),
            container: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert_eq!(missing.message(), "file not found: /tmp/nothing.json");
    assert_eq!(
        errors::reason(&missing).as_deref(),
        Some("CWSANDBOX_FILE_NOT_FOUND")
    );

    for path in ["/etc/passwd", "/usr/lib/x", "/tmp/../etc/x"] {
        let denied = client
            .write_file(WriteFileRequest {
                sandbox_id: id.clone(),
                path: path.into(),
                content: b"x".to_vec(),
                container: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied, "{path}");
        assert_eq!(
            errors::reason(&denied).as_deref(),
            Some("CWSANDBOX_FILE_PERMISSION_DENIED")
        );
    }

    let unknown = client
        .get_sandbox(GetSandboxRequest {
            sandbox_id: "sb-unknown".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    assert_eq!(
        errors::reason(&unknown).as_deref(),
        Some("CWSANDBOX_SANDBOX_NOT_FOUND")
    );
    let allowed = client
        .delete_sandbox(DeleteSandboxRequest {
            sandbox_id: "sb-unknown".into(),
            allow_missing: true,
            ..DeleteSandboxRequest::default()
        })
        .await;
    assert!(allowed.is_ok());

    let connect = client
        .connect_sandbox(ConnectSandboxRequest {
            sandbox_id: id.clone(),
            csr_der: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(connect.code(), tonic::Code::Unimplemented);

    let empty = exec(&mut client, &id, &[], &[]).await.unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);

    client
        .delete_sandbox(DeleteSandboxRequest {
            sandbox_id: id,
            ..DeleteSandboxRequest::default()
        })
        .await
        .unwrap();
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_frames_come_as_the_command_writes_them() {
    let server = Server::start(&[]);
    let mut client = client(&server.url).await;
    let id = running(&mut client, &[]).await;
    let script = "import sys, time\nprint('first', flush=True)\ntime.sleep(1.5)\n\
                  sys.stdout.write('x' * 300000)\nprint(flush=True)\ntime.sleep(0.5)\nprint('last')";
    let frames = exec(&mut client, &id, &["python", "-c", script], &[])
        .await
        .unwrap();
    let (_, first, came) = &frames.output[0];
    assert_eq!(first, b"first\n");
    let (code, ended) = frames.exit.unwrap();
    assert_eq!(code, 0);
    assert!(
        ended - *came >= Duration::from_millis(1500),
        "the first line came {:?} before the exit",
        ended - *came
    );
    let stdout = joined(&frames, 1);
    assert_eq!(stdout.len(), "first\n".len() + 300_000 + 1 + "last\n".len());
    assert!(stdout.ends_with("\nlast\n"));
    client
        .delete_sandbox(DeleteSandboxRequest {
            sandbox_id: id,
            ..DeleteSandboxRequest::default()
        })
        .await
        .unwrap();
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_ends_its_command_and_delete_ends_the_others() {
    let server = Server::start(&[]);
    let mut client = client(&server.url).await;
    let id = running(&mut client, &[]).await;
    let marker = format!("grpc-gone-{}", std::process::id());
    let script = format!("import time\n# {marker}\nprint('up', flush=True)\ntime.sleep(60)");
    let request = tokio_stream::iter([exec_request(&id, &["python", "-c", &script], &[])]);
    let mut stream = client.stream_exec(request).await.unwrap().into_inner();
    // ready, then `up`.
    stream.message().await.unwrap().unwrap();
    stream.message().await.unwrap().unwrap();
    assert!(!crate::processes_naming(&marker).is_empty());
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !crate::processes_naming(&marker).is_empty() {
        assert!(Instant::now() < deadline, "the command outlived its client");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A command running when its sandbox is deleted is ended.
    let mut other = client.clone();
    let (id2, script2) = (id.clone(), script.clone());
    let running =
        tokio::spawn(async move { exec(&mut other, &id2, &["python", "-c", &script2], &[]).await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while crate::processes_naming(&marker).is_empty() {
        assert!(Instant::now() < deadline, "the command did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
        .delete_sandbox(DeleteSandboxRequest {
            sandbox_id: id,
            ..DeleteSandboxRequest::default()
        })
        .await
        .unwrap();
    let ended = running.await.unwrap().unwrap_err();
    assert_eq!(ended.code(), tonic::Code::Aborted, "{ended:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !crate::processes_naming(&marker).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the command outlived its sandbox"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_required_of_grpc_and_connect_alike() {
    let server = Server::start(&["--token", "t0k3n"]);
    let mut client = client(&server.url).await;
    let refused = client
        .create_sandbox(create_request("", &[]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let mut request = tonic::Request::new(create_request("", &[]));
    request
        .metadata_mut()
        .insert("authorization", "Bearer wrong".parse().unwrap());
    let refused = client.create_sandbox(request).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert_eq!(refused.message(), "the token is not valid");
    let mut request = tonic::Request::new(create_request("", &[]));
    request
        .metadata_mut()
        .insert("authorization", "bearer t0k3n".parse().unwrap());
    let created = client.create_sandbox(request).await.unwrap().into_inner();
    let mut request = tonic::Request::new(DeleteSandboxRequest {
        sandbox_id: created.sandbox_id,
        ..DeleteSandboxRequest::default()
    });
    request
        .metadata_mut()
        .insert("authorization", "Bearer t0k3n".parse().unwrap());
    client.delete_sandbox(request).await.unwrap();
    // The Connect API on the same port still answers, and wants the token too.
    post(&server.url, "Get", json!({"sandboxId": "sb-none"}))
        .await
        .assert_error(401, "unauthenticated");
    server.assert_nothing_left();
}
