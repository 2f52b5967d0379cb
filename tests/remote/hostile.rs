//! The server against a hostile tenant, or another user of the host: each attack is
//! refused or contained, the server keeps answering, and nothing is left behind.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{Server, per_sandbox_limits};
use serde_json::json;

use crate::protocol::{post, running_sandbox};

fn mode(path: &std::path::Path) -> u32 {
    path.symlink_metadata().unwrap().mode() & 0o7777
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_squatted_state_directory_is_not_used() {
    let tmp = tempfile::Builder::new()
        .prefix("aviato-squat-")
        .tempdir()
        .unwrap();
    let tmp_path = tmp.path().to_owned();
    // Someone else makes the name the server once took (it ends in the server's pid,
    // which the shell knows before it becomes the server), open to everyone.
    let squat = "squat=\"$TMPDIR/aviato-sandbox-server-$$\"; mkdir -m 0777 \"$squat\" && \
                 touch \"$squat/planted\" && exec \"$0\" \"$@\"";
    let mut command = Command::new("sh");
    command
        .args(["-c", squat, env!("CARGO_BIN_EXE_aviato-lsp")])
        .args(["sandbox-server", "--listen", "127.0.0.1:0"])
        .env("TMPDIR", &tmp_path);
    if !per_sandbox_limits("a_squatted_state_directory_is_not_used") {
        command.arg("--allow-per-process-limits");
    }
    let mut server = Server::spawn(command, tmp);
    let squatted = format!("aviato-sandbox-server-{}", server.pid());
    assert!(tmp_path.join(&squatted).is_dir());

    let id = running_sandbox(&server.url).await;
    assert_eq!(names(&tmp_path.join(&squatted)), ["planted"]);
    let own: Vec<String> = names(&tmp_path)
        .into_iter()
        .filter(|name| name != &squatted)
        .collect();
    assert_eq!(own.len(), 1, "{own:?}");
    let state_dir = tmp_path.join(&own[0]);
    assert!(own[0].starts_with("aviato-sandbox-server-"), "{own:?}");
    assert_eq!(mode(&state_dir), 0o700);
    assert_eq!(names(&state_dir), std::slice::from_ref(&id));
    assert_eq!(mode(&state_dir.join(&id)), 0o700);
    assert!(
        server.log().contains(&state_dir.display().to_string()),
        "{}",
        server.log()
    );

    server.signal(libc::SIGTERM);
    assert!(server.wait().success());
    assert!(!state_dir.exists(), "its own directory is removed at exit");
    assert_eq!(names(&tmp_path.join(&squatted)), ["planted"]);
}

#[test]
fn a_state_directory_others_can_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .args(["sandbox-server", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(&open)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("writable by other users"), "{stderr}");
    assert!(output.stdout.is_empty(), "it never listened");
    assert!(names(&open).is_empty());
}

#[tokio::test]
async fn a_deep_tree_is_removed_at_stop_and_the_server_keeps_answering() {
    let server = Server::start(&[]);
    let url = &server.url;
    let id = running_sandbox(url).await;
    // Deeper than a recursive removal survives on a runtime worker's 2 MiB stack.
    let script = "import os\nfor _ in range(15000):\n    os.mkdir('d')\n    os.chdir('d')\n\
                  print('deep')";
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", script]}),
    )
    .await;
    assert_eq!(executed.status, 200, "{}", executed.body);
    assert_eq!(
        executed.body["result"]["stdout"],
        crate::protocol::base64("deep\n")
    );
    let stopped = post(url, "Stop", json!({"sandboxId": id})).await;
    assert_eq!(stopped.body, json!({"success": true}), "{}", server.log());
    server.assert_nothing_left();
    // Still serving: a new sandbox starts and runs.
    let again = running_sandbox(url).await;
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": again, "command": ["python", "-c", "print(1)"]}),
    )
    .await;
    assert_eq!(
        executed.body["result"]["stdout"],
        crate::protocol::base64("1\n")
    );
    post(url, "Stop", json!({"sandboxId": again})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn files_go_only_to_tmp_and_the_temp_dir() {
    let server = Server::start(&[]);
    let url = &server.url;
    let id = running_sandbox(url).await;
    let add = |path: &str| json!({"sandboxId": id, "filepath": path, "fileContents": crate::protocol::base64("x")});
    for refused in [
        "/run/x",
        "/run/aviato/bin/python",
        "/.dev-shm/x",
        "/root/x",
        "../etc/x",
        "/tmp/../run/x",
    ] {
        let reply = post(url, "AddFile", add(refused)).await;
        reply.assert_error(400, "invalid_argument");
        let message = reply.body["message"].as_str().unwrap();
        assert!(
            message.contains(refused.trim_start_matches("..")),
            "{message}"
        );
    }
    let sandbox_dir = server.files_of(&id);
    assert_eq!(names(&sandbox_dir), [".dev-shm", "tmp"]);
    // The temp_dir is the directory of the first file outside /tmp; then no other.
    assert_eq!(
        post(url, "AddFile", add("/var/sandbox/temp/p")).await.body,
        json!({"success": true})
    );
    post(url, "AddFile", add("/var/elsewhere/q"))
        .await
        .assert_error(400, "invalid_argument");
    // Every command still runs, and sees the files where they were put.
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c",
               "import os; print(open('/var/sandbox/temp/p').read(), os.path.exists('/run/x'))"]}),
    )
    .await;
    assert_eq!(
        executed.body,
        json!({"result": {"stdout": crate::protocol::base64("x False\n")}})
    );
    post(url, "Stop", json!({"sandboxId": id})).await;
    server.assert_nothing_left();
}

/// What the server sends on `stream` until it closes it, or for five seconds.
fn read_reply(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reply = Vec::new();
    let mut buffer = [0; 4096];
    while let Ok(read @ 1..) = stream.read(&mut buffer) {
        reply.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn stalled_clients_are_cut_off_and_connections_past_the_cap_refused() {
    let server = Server::start(&["--max-connections", "2", "--read-timeout", "1"]);
    let url = &server.url;
    let address = url.trim_start_matches("http://").to_owned();
    // Two clients send their headers, then stall in the middle of the body.
    let mut stalled: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .write_all(
                    b"POST /coreweave.aviato.v1beta1.ATCService/Get HTTP/1.1\r\nhost: x\r\n\
                      content-type: application/json\r\ncontent-length: 100\r\n\r\n{",
                )
                .unwrap();
            stream
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let began = Instant::now();
    post(url, "Get", json!({"sandboxId": "sb-none"}))
        .await
        .assert_error(429, "resource_exhausted");
    for stream in &mut stalled {
        let reply = read_reply(stream);
        assert!(
            reply.starts_with("HTTP/1.1 504") && reply.contains("deadline_exceeded"),
            "{reply}"
        );
    }
    assert!(
        began.elapsed() < Duration::from_secs(4),
        "{:?}",
        began.elapsed()
    );
    // Their places are free again.
    post(url, "Get", json!({"sandboxId": "sb-none"}))
        .await
        .assert_error(404, "not_found");

    // A client that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(&address).unwrap();
    let began = Instant::now();
    read_reply(&mut silent);
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    post(url, "Get", json!({"sandboxId": "sb-none"}))
        .await
        .assert_error(404, "not_found");
    server.assert_nothing_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_calls_on_a_large_tree_delay_no_other_call() {
    let server = Server::start(&[]);
    let url = server.url.clone();
    let id = running_sandbox(&url).await;
    let script = "import os\nos.mkdir('many')\nfor i in range(100000):\n    \
                  open('many/%d' % i, 'w').close()\nprint('made')";
    let made = post(
        &url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", script]}),
    )
    .await;
    assert_eq!(
        made.body["result"]["stdout"],
        crate::protocol::base64("made\n")
    );
    let other = running_sandbox(&url).await;
    // Each AddFile measures the tree against the quota.
    let adds: Vec<_> = (0..16)
        .map(|n| {
            let (url, id) = (url.clone(), id.clone());
            tokio::spawn(async move {
                let file = json!({"sandboxId": id, "filepath": format!("/tmp/add-{n}"),
                                  "fileContents": crate::protocol::base64("x")});
                post(&url, "AddFile", file).await.body
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let began = Instant::now();
    let got = post(&url, "Get", json!({"sandboxId": other})).await;
    let waited = began.elapsed();
    assert_eq!(got.status, 200, "{}", got.body);
    for add in adds {
        assert_eq!(add.await.unwrap(), json!({"success": true}));
    }
    // The tmpfs says what the files take: no walk, however many files there are.
    let walks = began.elapsed();
    assert!(
        waited <= walks,
        "Get waited {waited:?} while the AddFiles took {walks:?}"
    );
    for id in [id, other] {
        post(&url, "Stop", json!({"sandboxId": id})).await;
    }
    server.assert_nothing_left();
}

#[tokio::test]
async fn two_hundred_thousand_inodes_are_refused_by_the_sandboxs_tmpfs() {
    let server = Server::start(&[]);
    let url = &server.url;
    let id = running_sandbox(url).await;
    let script = "n = 0\ntry:\n    for i in range(200000):\n        open('f%d' % i, 'w').close()\n        n += 1\nexcept OSError as error:\n    print(n, error.errno)\n";
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", script]}),
    )
    .await;
    assert_eq!(executed.status, 200, "{}", executed.body);
    let stdout = {
        use base64::Engine;
        let encoded = executed.body["result"]["stdout"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    let (made, errno) = stdout
        .trim()
        .split_once(' ')
        .expect("refused before 200,000");
    assert_eq!(errno, "28", "{stdout}");
    assert!(made.parse::<u64>().unwrap() <= 131_072, "{stdout}");
    // The server still answers, and a file still fits once others are gone.
    let got = post(url, "Get", json!({"sandboxId": id})).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let stopped = post(url, "Stop", json!({"sandboxId": id})).await;
    assert_eq!(stopped.body, json!({"success": true}), "{}", server.log());
    server.assert_nothing_left();
}

#[tokio::test]
async fn a_fork_bomb_in_one_sandbox_leaves_another_free_to_fork() {
    if !per_sandbox_limits("a_fork_bomb_in_one_sandbox_leaves_another_free_to_fork") {
        return;
    }
    let server = Server::start(&[]);
    let url = server.url.clone();
    let (bombed, other) = (running_sandbox(&url).await, running_sandbox(&url).await);
    let bomb =
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n";
    let bombing = {
        let (url, bombed) = (url.clone(), bombed.clone());
        tokio::spawn(async move {
            post(
                &url,
                "Exec",
                json!({"sandboxId": bombed, "command": ["python", "-c", bomb], "maxTimeoutSeconds": 5}),
            )
            .await
        })
    };
    // Forks once the bomb has filled its sandbox.
    let breed = "import os, time\ntime.sleep(2)\npids = []\nfor _ in range(8):\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(0.5)\n        os._exit(0)\n    pids.append(pid)\nfor pid in pids:\n    os.waitpid(pid, 0)\nprint(len(pids))\n";
    let executed = post(
        &url,
        "Exec",
        json!({"sandboxId": other, "command": ["python", "-c", breed]}),
    )
    .await;
    assert_eq!(executed.status, 200, "{}", executed.body);
    assert_eq!(
        executed.body["result"]["stdout"],
        crate::protocol::base64("8\n"),
        "{}",
        executed.body
    );
    let bombed_answer = bombing.await.unwrap();
    assert_eq!(
        bombed_answer.body["code"], "deadline_exceeded",
        "{}",
        bombed_answer.body
    );
    for id in [bombed, other] {
        post(&url, "Stop", json!({"sandboxId": id})).await;
    }
    server.assert_nothing_left();
}

#[tokio::test]
async fn memory_over_the_limit_across_processes_and_memfds_is_killed_as_one() {
    if !per_sandbox_limits("memory_over_the_limit_across_processes_and_memfds_is_killed_as_one") {
        return;
    }
    let server = Server::start(&["--memory-mb", "256"]);
    let url = &server.url;
    let id = running_sandbox(url).await;
    // Six processes of 64 MiB each, every one under the limit; then 32 memfds of
    // 16 MiB, written rather than mapped, in one process.
    let spread = "import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        block = bytearray(b'x') * (64 * 1024 * 1024)\n        time.sleep(60)\n        os._exit(0)\ntime.sleep(60)\n";
    let hoard = "import os\nchunk = b'x' * (16 * 1024 * 1024)\nfds = [os.memfd_create('m') for _ in range(32)]\nfor fd in fds:\n    os.write(fd, chunk)\nprint(len(fds))\n";
    for script in [spread, hoard] {
        let started = Instant::now();
        let executed = post(
            url,
            "Exec",
            json!({"sandboxId": id, "command": ["python", "-c", script], "maxTimeoutSeconds": 30}),
        )
        .await;
        assert_eq!(
            executed.body["code"], "resource_exhausted",
            "{}",
            executed.body
        );
        assert!(
            executed.body["message"]
                .as_str()
                .is_some_and(|message| message.contains("memory limit of 256 MiB")),
            "{}",
            executed.body
        );
        assert!(started.elapsed() < Duration::from_secs(20));
        // Killed as one: nothing of the command runs on.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !server.sandbox_processes().is_empty() {
            assert!(
                Instant::now() < deadline,
                "{:?}",
                server.sandbox_processes()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let executed = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", "print(1)"]}),
    )
    .await;
    assert_eq!(
        executed.body["result"]["stdout"],
        crate::protocol::base64("1\n")
    );
    post(url, "Stop", json!({"sandboxId": id})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn bodies_past_the_bytes_in_flight_are_answered_429() {
    let server = Server::start(&["--bodies-in-flight-mb", "16", "--read-timeout", "30"]);
    let url = &server.url;
    let address = url.trim_start_matches("http://").to_owned();
    let id = running_sandbox(url).await;
    let headers = |length: usize| {
        format!(
            "POST /coreweave.aviato.v1beta1.ATCService/AddFile HTTP/1.1\r\nhost: x\r\n\
             content-type: application/json\r\nconnection: close\r\n\
             content-length: {length}\r\n\r\n"
        )
    };
    // One client sends 15 MiB of a 20 MiB body, and stalls.
    let mut holding = TcpStream::connect(&address).unwrap();
    holding.write_all(headers(20 << 20).as_bytes()).unwrap();
    holding.write_all(&vec![b' '; 15 << 20]).unwrap();
    // Once the server has read them all (a probe before would compete with them),
    // a 1 MiB body still fits, a 2 MiB one does not.
    let port = holding.local_addr().unwrap().port();
    let deadline = Instant::now() + Duration::from_secs(20);
    while unread_bytes(port) > 0 {
        assert!(Instant::now() < deadline, "the server reads nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = loop {
        let mut other = TcpStream::connect(&address).unwrap();
        other.write_all(headers(2 << 20).as_bytes()).unwrap();
        let _ = other.write_all(&vec![b' '; 2 << 20]);
        let reply = read_reply(&mut other);
        // A moment may pass between the server's read and its count.
        if reply.starts_with("HTTP/1.1 429") || Instant::now() > deadline {
            break reply;
        }
    };
    assert!(
        refused.starts_with("HTTP/1.1 429") && refused.contains("resource_exhausted"),
        "{refused}\n{}",
        server.log()
    );
    // So is a gRPC body.
    let mut client = crate::grpc::client(url).await;
    let grpc_id = crate::grpc::running(&mut client, &[]).await;
    let written = client
        .write_file(aviato_protocol::sandbox::WriteFileRequest {
            sandbox_id: grpc_id.clone(),
            path: "/tmp/big".into(),
            content: vec![b'x'; 2 << 20],
            container: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        written.code(),
        tonic::Code::ResourceExhausted,
        "{written:?}"
    );
    // Calls without a large body are still answered.
    let got = post(url, "Get", json!({"sandboxId": id})).await;
    assert_eq!(got.status, 200, "{}", got.body);
    // Once the first client is gone, its bytes are free again.
    drop(holding);
    let file = json!({"sandboxId": id, "filepath": "/tmp/big",
                      "fileContents": crate::protocol::base64(&"x".repeat(8 << 20))});
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let added = post(url, "AddFile", file.clone()).await;
        if added.body == json!({"success": true}) {
            break;
        }
        assert!(Instant::now() < deadline, "{}", added.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in [id, grpc_id] {
        post(url, "Stop", json!({"sandboxId": id})).await;
    }
    server.assert_nothing_left();
}

/// Bytes a loopback connection from `port` has sent that the other end has not read
/// yet, from /proc/net/tcp: the sender's queue and the receiver's.
fn unread_bytes(port: u16) -> u64 {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, remote, queues) = (fields[1], fields[2], fields[4]);
            let (tx, rx) = queues.split_once(':')?;
            let queue = |hex: &str| u64::from_str_radix(hex, 16).unwrap_or(0);
            if local.ends_with(&port) {
                Some(queue(tx))
            } else if remote.ends_with(&port) {
                Some(queue(rx))
            } else {
                None
            }
        })
        .sum()
}

/// The account an unprivileged server runs as when the tests run as root: one no
/// other process uses, so that no other sandbox shares its process limit.
const UNPRIVILEGED_UID: u32 = 64_123;

/// A server as a user who is not root: this test's own user when it is not root,
/// else [`UNPRIVILEGED_UID`], which can make no cgroup (hence per-process limits)
/// and finds Python in the system's directories only.
fn unprivileged_server(extra: &[&str]) -> Server {
    use std::os::unix::process::CommandExt;
    let state_dir = tempfile::Builder::new()
        .prefix("aviato-unprivileged-")
        .tempdir()
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"));
    command
        .args(["sandbox-server", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(state_dir.path())
        .arg("--allow-per-process-limits")
        .args(extra);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let python = ["/usr/local/bin/python3", "/usr/bin/python3"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .expect("an unprivileged server needs a python3 in /usr/bin or /usr/local/bin");
        std::os::unix::fs::chown(
            state_dir.path(),
            Some(UNPRIVILEGED_UID),
            Some(UNPRIVILEGED_UID),
        )
        .unwrap();
        let bin = std::path::Path::new(python).parent().unwrap();
        command
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .uid(UNPRIVILEGED_UID)
            .gid(UNPRIVILEGED_UID);
    }
    Server::spawn(command, state_dir)
}

fn stdout_of(reply: &crate::protocol::Reply) -> String {
    use base64::Engine;
    let encoded = reply.body["result"]["stdout"]
        .as_str()
        .unwrap_or_else(|| panic!("no stdout: {}", reply.body));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn an_unprivileged_server_has_the_kernel_bound_files_bytes_and_inodes() {
    let server = unprivileged_server(&[]);
    let url = &server.url;
    let id = running_sandbox(url).await;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let owner = std::fs::metadata(server.state_dir().join(&id))
            .unwrap()
            .uid();
        assert_eq!(owner, UNPRIVILEGED_UID, "the server runs unprivileged");
    }
    assert!(
        server.log().contains("mounted in a user namespace"),
        "{}",
        server.log()
    );
    // A directory the tenant made unreadable hides nothing from the tmpfs.
    // Files of 32 MiB each, under the per-file size limit.
    let fill = "import os\nos.mkdir('hidden')\nchunk = b'x' * (1024 * 1024)\nn = 0\n\
                try:\n    for i in range(400):\n        with open('hidden/%d' % (i // 32), 'ab') as f:\n\
                \x20           f.write(chunk)\n        n += 1\n\
                except OSError as error:\n    print(n, error.errno)\nos.chmod('hidden', 0o300)\n";
    let filled = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", fill]}),
    )
    .await;
    assert_eq!(filled.status, 200, "{}", filled.body);
    let out = stdout_of(&filled);
    let (mib, errno) = out.trim().split_once(' ').expect("refused before 400 MiB");
    assert_eq!(errno, "28", "{out}");
    assert!(mib.parse::<u64>().unwrap() <= 256, "{out}");
    // Past the quota, AddFile answers there is no room.
    assert_no_room_for(url, &id, &"y".repeat(1024 * 1024)).await;
    // Room again: the files are reached through the holder, both ways.
    let free = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c",
              "import os, shutil\nos.chmod('hidden', 0o700)\nshutil.rmtree('hidden')\n\
               print(open('/tmp/given').read() if os.path.exists('/tmp/given') else 'none')"]}),
    )
    .await;
    assert_eq!(stdout_of(&free), "none\n", "{}", free.body);
    let add = json!({"sandboxId": id, "filepath": "given",
                     "fileContents": crate::protocol::base64("from the host")});
    assert_eq!(
        post(url, "AddFile", add).await.body,
        json!({"success": true})
    );
    let inodes = "import os\nn = 0\ntry:\n    for i in range(200000):\n        \
                  open('f%d' % i, 'w').close()\n        n += 1\nexcept OSError as error:\n    \
                  print(n, error.errno)\nprint(open('given').read())\n";
    let flooded = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", inodes]}),
    )
    .await;
    let out = stdout_of(&flooded);
    let mut lines = out.lines();
    let (made, errno) = lines
        .next()
        .and_then(|line| line.split_once(' '))
        .expect("refused before 200,000 files");
    assert_eq!(errno, "28", "{out}");
    assert!(made.parse::<u64>().unwrap() <= 131_072, "{out}");
    assert_eq!(lines.next(), Some("from the host"), "{out}");
    let read = post(
        url,
        "RetrieveFile",
        json!({"sandboxId": id, "filepath": "/tmp/f7"}),
    )
    .await;
    assert_eq!(read.body["success"], true, "{}", read.body);
    // None of it is on the host's disk: the sandbox's directory there is empty.
    assert_eq!(
        names(&server.state_dir().join(&id)),
        Vec::<String>::new(),
        "{}",
        server.log()
    );
    // The holder of the files shows in `ps` under the sandbox's directory.
    assert!(!server.sandbox_processes().is_empty());
    let stopped = post(url, "Stop", json!({"sandboxId": id})).await;
    assert_eq!(stopped.body, json!({"success": true}), "{}", server.log());
    server.assert_nothing_left();
    let got = post(url, "Get", json!({"sandboxId": "sb-none"})).await;
    got.assert_error(404, "not_found");
}

/// AddFile of `contents` to the sandbox's `/tmp` answers there is no room.
async fn assert_no_room_for(url: &str, id: &str, contents: &str) {
    let add = json!({"sandboxId": id, "filepath": "/tmp/more",
                     "fileContents": crate::protocol::base64(contents)});
    let added = post(url, "AddFile", add).await;
    assert!(
        added.body["errorMessage"]
            .as_str()
            .is_some_and(|message| message.contains("no room")),
        "{}",
        added.body
    );
}

/// Floods a sandbox's `/dev/shm` with empty files: the kernel stops it at the inode
/// cap of the sandbox's tmpfs, which its `/tmp` shares; the files stay for the next
/// command, as on a machine; the server keeps answering; Stop leaves nothing.
async fn a_dev_shm_flood_stops_at_the_sandboxs_inodes(server: &Server) {
    let url = &server.url;
    let id = running_sandbox(url).await;
    // Each line is how many files were made and the errno that stopped them (0: none).
    let flood = "def fill(pattern, count):\n    made = 0\n    try:\n        \
                 for i in range(count):\n            open(pattern % i, 'w').close()\n            \
                 made += 1\n    except OSError as error:\n        return made, error.errno\n    \
                 return made, 0\n\
                 print(*fill('/dev/shm/f%d', 200000))\nprint(*fill('/tmp/f%d', 1))\n";
    let flooded = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c", flood]}),
    )
    .await;
    let out = stdout_of(&flooded);
    let lines: Vec<&str> = out.lines().collect();
    // The tmpfs's root, `tmp` and `/dev/shm`'s directory are 3 of its 131,072;
    // `/tmp` has none left either.
    assert_eq!(lines, ["131069 28", "0 28"], "{}", flooded.body);
    let got = post(url, "Get", json!({"sandboxId": id})).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_no_room_for(url, &id, "x").await;
    let count = post(
        url,
        "Exec",
        json!({"sandboxId": id, "command": ["python", "-c",
              "import os; print(len(os.listdir('/dev/shm')))"]}),
    )
    .await;
    assert_eq!(stdout_of(&count), "131069\n", "{}", count.body);
    let stopped = post(url, "Stop", json!({"sandboxId": id})).await;
    assert_eq!(stopped.body, json!({"success": true}), "{}", server.log());
    server.assert_nothing_left();
    let again = running_sandbox(url).await;
    let fresh = post(
        url,
        "Exec",
        json!({"sandboxId": again, "command": ["python", "-c",
              "import os; print(len(os.listdir('/dev/shm')))"]}),
    )
    .await;
    assert_eq!(
        stdout_of(&fresh),
        "0\n",
        "another sandbox's /dev/shm is its own"
    );
    post(url, "Stop", json!({"sandboxId": again})).await;
    server.assert_nothing_left();
}

#[tokio::test]
async fn dev_shm_is_bounded_by_the_sandboxs_inodes() {
    let server = Server::start(&[]);
    a_dev_shm_flood_stops_at_the_sandboxs_inodes(&server).await;
}

#[tokio::test]
async fn an_unprivileged_servers_dev_shm_is_bounded_by_the_sandboxs_inodes() {
    let server = unprivileged_server(&[]);
    a_dev_shm_flood_stops_at_the_sandboxs_inodes(&server).await;
    assert!(
        server.log().contains("mounted in a user namespace"),
        "{}",
        server.log()
    );
}

/// For `sh -c` as root of a fresh user namespace: it lets that namespace hold one
/// user namespace (`max_user_namespaces`), and runs its arguments as uid 1000 in that
/// one, which can then make no other. There the server is not root, and no user
/// namespace of its can mount a tmpfs.
const NO_MORE_USER_NAMESPACES: &str = "echo 1 > /proc/sys/user/max_user_namespaces && \
     exec unshare --user --map-user=1000 --map-group=1000 \"$@\"";

/// `argv`, run where [`NO_MORE_USER_NAMESPACES`] leaves it.
fn without_user_namespaces<S: AsRef<std::ffi::OsStr>>(
    argv: impl IntoIterator<Item = S>,
) -> Command {
    let mut command = Command::new("unshare");
    command
        .args(["--user", "--map-root-user", "sh", "-c"])
        .args([NO_MORE_USER_NAMESPACES, "sh"])
        .args(argv)
        .env("LC_ALL", "C");
    command
}

/// Fails, saying what this host lacks, unless [`without_user_namespaces`] runs a
/// program as a user who is not root and can make no user namespace.
fn assert_user_namespaces_can_be_used_up() {
    let probe = without_user_namespaces(["sh", "-c", "id -u; unshare --user true"])
        .output()
        .unwrap_or_else(|err| panic!("this test needs util-linux's `unshare` on PATH: {err}"));
    let stdout = String::from_utf8_lossy(&probe.stdout);
    let stderr = String::from_utf8_lossy(&probe.stderr);
    assert!(
        stdout == "1000\n" && stderr.contains("No space left on device"),
        "this test needs user namespaces, util-linux's `unshare` with --map-user (2.38 or \
         later), and /proc/sys/user/max_user_namespaces writable in a user namespace; the \
         probe printed {stdout:?} and {stderr:?}"
    );
}

/// A server that is not root and cannot mount a tmpfs for its sandboxes' files.
fn server_without_user_namespaces(state_dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut command = without_user_namespaces([env!("CARGO_BIN_EXE_aviato-lsp")]);
    command
        .args(["sandbox-server", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(state_dir)
        // It may make no cgroup there either; the files are what these tests are about.
        .arg("--allow-per-process-limits")
        .args(extra);
    command
}

/// How `child` exited, if it does within `limit`; else it is killed.
fn exit_within(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_server_that_cannot_bound_the_files_inodes_refuses_to_start() {
    assert_user_namespaces_can_be_used_up();
    let state_dir = tempfile::tempdir().unwrap();
    let mut server = server_without_user_namespaces(state_dir.path(), &[])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(&mut server, Duration::from_secs(30));
    let [mut stdout, mut stderr] = [String::new(), String::new()];
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = status.unwrap_or_else(|| panic!("the server served: {stderr}"));
    assert_eq!(status.code(), Some(2), "{stderr}");
    // Refused before it ever listened: no address for a script to connect to.
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(
        stderr.contains("no user namespace can mount a tmpfs")
            && stderr.contains("--allow-measured-files"),
        "{stderr}"
    );
    assert_eq!(names(state_dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn allowed_to_measure_the_files_a_server_without_a_tmpfs_serves() {
    assert_user_namespaces_can_be_used_up();
    let state_dir = tempfile::Builder::new()
        .prefix("aviato-measured-")
        .tempdir()
        .unwrap();
    let command = server_without_user_namespaces(state_dir.path(), &["--allow-measured-files"]);
    let server = Server::spawn(command, state_dir);
    let url = &server.url;
    let id = running_sandbox(url).await;
    assert!(
        server.log().contains("the sandboxes' files are measured"),
        "{}",
        server.log()
    );
    let add = json!({"sandboxId": id, "filepath": "given",
                     "fileContents": crate::protocol::base64("measured")});
    assert_eq!(
        post(url, "AddFile", add).await.body,
        json!({"success": true})
    );
    let read = post(
        url,
        "RetrieveFile",
        json!({"sandboxId": id, "filepath": "/tmp/given"}),
    )
    .await;
    assert_eq!(
        read.body["fileContents"],
        crate::protocol::base64("measured"),
        "{}",
        read.body
    );
    let stopped = post(url, "Stop", json!({"sandboxId": id})).await;
    assert_eq!(stopped.body, json!({"success": true}), "{}", server.log());
    server.assert_nothing_left();
}
