//! The messages encode byte for byte as the `cwsandbox` SDK's own stubs encode them
//! (`cwsandbox==1.22.0`, `SerializeToString(deterministic=True)`), and decode what
//! they encode.

use std::collections::HashMap;

use aviato_protocol::sandbox::{
    Container, CreateSandboxRequest, DeleteSandboxRequest, ExecStreamExit, ExecStreamInit,
    ExecStreamOutput, ExecStreamRequest, ExecStreamResponse, ReadFileResponse, Sandbox,
    SandboxSpec, SandboxStatus, State, WriteFileRequest, exec_stream_output, exec_stream_request,
    exec_stream_response,
};
use prost::Message;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn same<M: Message + Default + PartialEq + std::fmt::Debug>(message: M, sdk: &str) {
    assert_eq!(hex(&message.encode_to_vec()), sdk, "{message:?}");
    assert_eq!(M::decode(unhex(sdk).as_slice()).unwrap(), message);
}

#[test]
fn lifecycle_messages_match_the_sdk() {
    same(
        CreateSandboxRequest {
            sandbox: Some(Sandbox {
                spec: Some(SandboxSpec {
                    containers: vec![Container {
                        name: "main".into(),
                        image: "python:3.11".into(),
                        command: "/bin/sh".into(),
                        args: vec!["-c".into(), "sleep infinity".into()],
                        environment_variables: HashMap::from([("A".into(), "1".into())]),
                        working_dir: "/w".into(),
                        ..Container::default()
                    }],
                    tags: vec!["aviato-lsp".into()],
                    max_lifetime_seconds: 600,
                    ..SandboxSpec::default()
                }),
                ..Sandbox::default()
            }),
            request_id: "r-1".into(),
        },
        "0a4f124d0a3c0a046d61696e120b707974686f6e3a332e31311a072f62696e2f736822022d63220e736c\
         65657020696e66696e6974792a060a014112013152022f7728d804420a61766961746f2d6c73701203722d31",
    );
    same(
        Sandbox {
            sandbox_id: "sb-1".into(),
            status: Some(SandboxStatus {
                state: State::Running as i32,
                exit_code: Some(0),
                ..SandboxStatus::default()
            }),
            ..Sandbox::default()
        },
        "0a0473622d311a0408024800",
    );
    same(
        DeleteSandboxRequest {
            sandbox_id: "sb-1".into(),
            grace_period_seconds: 10,
            ..DeleteSandboxRequest::default()
        },
        "0a0473622d31100a",
    );
    same(
        WriteFileRequest {
            sandbox_id: "sb-1".into(),
            path: "/tmp/p.json".into(),
            content: b"{}".to_vec(),
            container: String::new(),
        },
        "0a0473622d31120b2f746d702f702e6a736f6e1a027b7d",
    );
    same(
        ReadFileResponse {
            content: b"xyz".to_vec(),
        },
        "0a0378797a",
    );
    same(
        ExecStreamRequest {
            message: Some(exec_stream_request::Message::Init(ExecStreamInit {
                sandbox_id: "sb-1".into(),
                command: vec!["python".into(), "-c".into(), "pass".into()],
                env: HashMap::from([("K".into(), "V".into())]),
                ..ExecStreamInit::default()
            })),
        },
        "0a200a0473622d311206707974686f6e12022d6312047061737332060a014b120156",
    );
    same(
        ExecStreamResponse {
            message: Some(exec_stream_response::Message::Output(ExecStreamOutput {
                stream: exec_stream_output::Stream::Stderr as i32,
                data: b"oops".to_vec(),
            })),
        },
        "1208080212046f6f7073",
    );
    same(
        ExecStreamResponse {
            message: Some(exec_stream_response::Message::Exit(ExecStreamExit {
                exit_code: 3,
                completed_time: None,
            })),
        },
        "1a020803",
    );
    // Exit code 0 is an empty `exit {}`.
    same(
        ExecStreamResponse {
            message: Some(exec_stream_response::Message::Exit(
                ExecStreamExit::default(),
            )),
        },
        "1a00",
    );
}
