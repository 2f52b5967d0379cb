//! Hostile code in the local sandbox: every case is contained, reported, and leaves
//! no process behind.
//!
//! Each test marks its sandbox with a unique file name, which bubblewrap and the
//! runner carry in their command lines (and forked children inherit), and checks
//! /proc for it once the run is over. The tests take turns: a fork bomb or a busy
//! loop would otherwise skew the timings of the others.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use aviato_exec::{
    Backend, CancellationToken, INSTALL_HINT, Isolation, Limit, Limits, LocalBackend, LocalConfig,
    Outcome, OutcomeKind, Payload, cgroup_support, cgroups_left_by,
};
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

async fn turn() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// A name no other process on the machine has in its command line.
fn marker(test: &str) -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    format!(
        "aviato-hostile-{test}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A call of `source`'s function, marked with `marker`.
fn call(marker: &str, source: &str) -> Payload {
    let name = source
        .split_once("def ")
        .and_then(|(_, rest)| rest.split_once('('))
        .map(|(name, _)| name.to_owned())
        .expect("the source defines a function");
    Payload::new(format!("/srv/{marker}/hostile.py"), name, source)
}

fn limits(timeout_seconds: u64) -> Limits {
    Limits {
        timeout: Duration::from_secs(timeout_seconds),
        memory_bytes: 512 * 1024 * 1024,
        processes: 64,
        ..Limits::default()
    }
}

async fn run_with(payload: &Payload, limits: &Limits) -> Outcome {
    LocalBackend::default()
        .run(payload, limits, CancellationToken::new())
        .await
}

/// Processes whose command line contains `marker`.
fn processes_marked(marker: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push((pid, cmdline.chars().take(120).collect()));
        }
    }
    found
}

/// No process of the sandbox runs, and no sandbox's cgroup is left (the tests take
/// turns, so none of another test is alive either).
fn assert_nothing_left(marker: &str) {
    let left = processes_marked(marker);
    assert!(left.is_empty(), "sandbox processes left running: {left:?}");
    let cgroups = cgroups_left_by(std::process::id());
    assert!(cgroups.is_empty(), "cgroups left behind: {cgroups:?}");
}

/// Waits up to five seconds for a killed sandbox's processes and cgroup to be gone.
async fn assert_gone_soon(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while (!processes_marked(marker).is_empty() || !cgroups_left_by(std::process::id()).is_empty())
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_nothing_left(marker);
}

/// Whether the kernel bounds each sandbox here; when not, why the caller skips the
/// part of its test that needs it.
fn per_sandbox_limits(test: &str) -> bool {
    match cgroup_support() {
        Ok(()) => true,
        Err(reason) => {
            println!("{test}: per-sandbox limits not tested: no cgroup here ({reason})");
            false
        }
    }
}

fn json_value(outcome: &Outcome) -> serde_json::Value {
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    outcome.value_json.clone().expect("a JSON value")
}

#[tokio::test]
async fn an_infinite_loop_times_out() {
    let _turn = turn().await;
    let marker = marker("loop");
    let payload = call(&marker, "def spin():\n    while True:\n        pass\n");
    let started = Instant::now();
    let outcome = run_with(&payload, &limits(1)).await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:#?}");
    assert!(outcome.message.unwrap().contains("wall-clock limit of 1 s"));
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert!(outcome.duration_ms >= 1000);
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn sleeping_past_the_timeout_is_stopped_on_time() {
    let _turn = turn().await;
    let marker = marker("sleep");
    let payload = call(&marker, "def nap():\n    import time\n    time.sleep(60)\n");
    let started = Instant::now();
    let outcome = run_with(&payload, &limits(1)).await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:#?}");
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn cpu_time_is_limited() {
    let _turn = turn().await;
    let marker = marker("cpu");
    let payload = call(&marker, "def spin():\n    while True:\n        pass\n");
    let limits = Limits {
        cpu_seconds: 1,
        ..limits(5)
    };
    let outcome = run_with(&payload, &limits).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("CPU time limit of 1 s reached")
    );
    assert!(outcome.duration_ms < 4000);
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_memory_bomb_is_killed() {
    let _turn = turn().await;
    let marker = marker("memory");
    let payload = call(
        &marker,
        "def hog():\n    blocks = []\n    while True:\n        blocks.append(bytearray(50 * 1024 * 1024))\n",
    );
    let limits = Limits {
        memory_bytes: 256 * 1024 * 1024,
        ..limits(3)
    };
    let outcome = run_with(&payload, &limits).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("memory limit of 256 MiB reached (MemoryError)")
    );
    assert_eq!(outcome.exception_type.as_deref(), Some("MemoryError"));
    assert_eq!(outcome.traceback.last().map(|frame| frame.line), Some(4));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_fork_bomb_is_contained() {
    let _turn = turn().await;
    let marker = marker("forkbomb");
    let payload = call(
        &marker,
        "def bomb():\n    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
    );
    let limits = Limits {
        processes: 32,
        ..limits(2)
    };
    let started = Instant::now();
    let outcome = run_with(&payload, &limits).await;
    assert_eq!(outcome.outcome, OutcomeKind::Timeout, "{outcome:#?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_fork_bomb_leaves_another_sandbox_free_to_fork() {
    let _turn = turn().await;
    if !per_sandbox_limits("a_fork_bomb_leaves_another_sandbox_free_to_fork") {
        return;
    }
    let (bomb, other) = (marker("bomb"), marker("beside"));
    let bomb_payload = call(
        &bomb,
        "def bomb():\n    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
    );
    // Forks once the bomb has filled its sandbox.
    let other_payload = call(
        &other,
        "def breed():\n    import os, time\n    time.sleep(1.5)\n    pids = []\n    for _ in range(8):\n        pid = os.fork()\n        if pid == 0:\n            time.sleep(0.5)\n            os._exit(0)\n        pids.append(pid)\n    for pid in pids:\n        os.waitpid(pid, 0)\n    return len(pids)\n",
    );
    let limits = Limits {
        processes: 32,
        ..limits(4)
    };
    let (bombed, beside) = tokio::join!(
        run_with(&bomb_payload, &limits),
        run_with(&other_payload, &limits)
    );
    assert_eq!(bombed.outcome, OutcomeKind::Timeout, "{bombed:#?}");
    assert_eq!(json_value(&beside), json!(8));
    assert_gone_soon(&bomb).await;
    assert_nothing_left(&other);
}

#[tokio::test]
async fn memory_over_the_limit_across_processes_is_killed_as_one() {
    let _turn = turn().await;
    if !per_sandbox_limits("memory_over_the_limit_across_processes_is_killed_as_one") {
        return;
    }
    let marker = marker("memshare");
    // Six processes of 64 MiB each, every one under the limit.
    let payload = call(
        &marker,
        "def spread():\n    import os, time\n    for _ in range(6):\n        if os.fork() == 0:\n            block = bytearray(b'x') * (64 * 1024 * 1024)\n            time.sleep(60)\n            os._exit(0)\n    time.sleep(60)\n",
    );
    let limits = Limits {
        memory_bytes: 256 * 1024 * 1024,
        ..limits(20)
    };
    let started = Instant::now();
    let outcome = run_with(&payload, &limits).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert!(
        outcome
            .message
            .as_deref()
            .is_some_and(|message| message.contains("memory limit of 256 MiB")),
        "{outcome:#?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_gone_soon(&marker).await;
}

#[tokio::test]
async fn memfds_count_against_the_memory_limit() {
    let _turn = turn().await;
    if !per_sandbox_limits("memfds_count_against_the_memory_limit") {
        return;
    }
    let marker = marker("memfd");
    // Written, not mapped: no address space, only memory.
    let payload = call(
        &marker,
        "def hoard():\n    import os\n    chunk = b'x' * (16 * 1024 * 1024)\n    fds = []\n    for _ in range(32):\n        fd = os.memfd_create('hoard')\n        for _ in range(4):\n            os.write(fd, chunk)\n        fds.append(fd)\n    return len(fds)\n",
    );
    let limits = Limits {
        memory_bytes: 256 * 1024 * 1024,
        ..limits(20)
    };
    let outcome = run_with(&payload, &limits).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert_gone_soon(&marker).await;
}

#[tokio::test]
async fn the_process_limit_stops_forking() {
    let _turn = turn().await;
    let marker = marker("nproc");
    let payload = call(
        &marker,
        "def breed():\n    import os, time\n    children = 0\n    while children < 1000:\n        try:\n            pid = os.fork()\n        except OSError as error:\n            return {'children': children, 'error': type(error).__name__}\n        if pid == 0:\n            time.sleep(60)\n            os._exit(0)\n        children += 1\n    return {'children': children, 'error': None}\n",
    );
    let limits = Limits {
        processes: 16,
        ..limits(3)
    };
    let value = json_value(&run_with(&payload, &limits).await);
    assert_eq!(value["error"], json!("BlockingIOError"));
    assert!(value["children"].as_u64().unwrap() < 16, "{value}");
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_fork_refused_by_the_process_limit_ends_the_run_as_that_limit() {
    let _turn = turn().await;
    let marker = marker("nproc-raised");
    let payload = call(
        &marker,
        "def breed():\n    import os, time\n    for _ in range(1000):\n        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n",
    );
    let limits = Limits {
        processes: 16,
        ..limits(3)
    };
    let outcome = run_with(&payload, &limits).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert_eq!(outcome.limit, Some(Limit::Processes));
    assert_eq!(
        outcome.message.as_deref(),
        Some("process limit of 16 reached (a fork was refused)")
    );
    assert_eq!(outcome.exception_type.as_deref(), Some("BlockingIOError"));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_flood_of_output_is_truncated_and_the_run_completes() {
    let _turn = turn().await;
    let marker = marker("flood");
    let payload = call(
        &marker,
        "def flood():\n    import sys\n    chunk = 'x' * (1 << 20)\n    for _ in range(100):\n        sys.stdout.write(chunk)\n    for _ in range(10):\n        sys.stderr.write(chunk)\n    return 'survived'\n",
    );
    let outcome = run_with(&payload, &limits(3)).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    assert_eq!(outcome.value_repr.as_deref(), Some("'survived'"));
    assert!(outcome.stdout_truncated && outcome.stderr_truncated);
    assert_eq!(outcome.stdout.len(), 1024 * 1024);
    assert_eq!(outcome.stderr.len(), 1024 * 1024);
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn secrets_on_the_host_are_out_of_reach() {
    let _turn = turn().await;
    let marker = marker("secret");
    let home = std::env::var_os("HOME").expect("HOME is set");
    let secret = "aviato-secret-5f3c9e";
    let mut paths = Vec::new();
    let mut dirs = Vec::new();
    for parent in [Path::new(&home), Path::new("/var/tmp")] {
        let dir = tempfile::Builder::new()
            .prefix("aviato-secret-")
            .tempdir_in(parent)
            .unwrap();
        let path = dir.path().join("token.txt");
        std::fs::write(&path, secret).unwrap();
        paths.push(path.to_string_lossy().into_owned());
        dirs.push(dir);
    }
    let mut payload = call(
        &marker,
        "def steal(paths):\n    found = {}\n    for path in paths:\n        try:\n            found[path] = open(path).read()\n        except OSError as error:\n            found[path] = type(error).__name__\n    return found\n",
    );
    payload.args_source = format!("{paths:?}");
    let outcome = run_with(&payload, &limits(3)).await;
    let value = json_value(&outcome);
    for path in &paths {
        assert_eq!(value[path], json!("FileNotFoundError"), "{value}");
    }
    assert!(!outcome.stdout.contains(secret) && !outcome.value_repr.unwrap().contains(secret));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn only_tmp_and_temp_dir_are_writable() {
    let _turn = turn().await;
    let marker = marker("write");
    let home = std::env::var("HOME").expect("HOME is set");
    let outside = [
        format!("/{marker}"),
        format!("/etc/{marker}"),
        format!("/usr/{marker}"),
        format!("/var/tmp/{marker}"),
        format!("{home}/{marker}"),
        format!("/srv/{marker}/next-to-the-file"),
    ];
    let mut payload = call(
        &marker,
        "def scribble(paths):\n    result = {}\n    for path in paths:\n        try:\n            with open(path, 'w') as handle:\n                handle.write('x')\n            result[path] = 'written'\n        except OSError as error:\n            result[path] = type(error).__name__\n    return result\n",
    );
    payload.temp_dir = format!("/scratch-{marker}");
    let inside = [
        format!("/tmp/{marker}"),
        format!("/scratch-{marker}/{marker}"),
    ];
    let all: Vec<&String> = outside.iter().chain(&inside).collect();
    payload.args_source = format!("{all:?}");
    let value = json_value(&run_with(&payload, &limits(3)).await);
    for path in &outside {
        assert_ne!(value[path], json!("written"), "{path}: {value}");
        assert!(!Path::new(path).exists(), "{path} appeared on the host");
    }
    for path in &inside {
        assert_eq!(value[path], json!("written"), "{path}: {value}");
        assert!(!Path::new(path).exists(), "{path} reached the host");
    }
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_port_listening_on_the_host_is_unreachable() {
    let _turn = turn().await;
    let marker = marker("localhost");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut payload = call(
        &marker,
        "def knock(port):\n    import socket\n    try:\n        socket.create_connection(('127.0.0.1', port), timeout=2).close()\n        return 'connected'\n    except OSError as error:\n        return type(error).__name__\n",
    );
    payload.args_source = port.to_string();
    let outcome = run_with(&payload, &limits(3)).await;
    assert_eq!(json_value(&outcome), json!("ConnectionRefusedError"));
    let accepted = listener.accept();
    assert_eq!(
        accepted.err().map(|err| err.kind()),
        Some(ErrorKind::WouldBlock),
        "the sandbox reached the host's port"
    );
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn the_public_network_fails_fast() {
    let _turn = turn().await;
    let marker = marker("network");
    let payload = call(
        &marker,
        "def reach():\n    import socket, time\n    result = {}\n    for name, attempt in [\n        ('connect', lambda: socket.create_connection(('1.1.1.1', 80), timeout=5)),\n        ('dns', lambda: socket.getaddrinfo('example.com', 80)),\n    ]:\n        started = time.monotonic()\n        try:\n            attempt()\n            result[name] = 'reached'\n        except OSError as error:\n            result[name] = type(error).__name__\n        result[name + '_seconds'] = time.monotonic() - started\n    return result\n",
    );
    let value = json_value(&run_with(&payload, &limits(8)).await);
    assert_eq!(value["connect"], json!("OSError"), "{value}");
    assert_eq!(value["dns"], json!("gaierror"), "{value}");
    assert!(value["connect_seconds"].as_f64().unwrap() < 1.0, "{value}");
    assert!(value["dns_seconds"].as_f64().unwrap() < 1.0, "{value}");
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn killing_the_parent_is_reported_sanely() {
    let _turn = turn().await;
    let marker = marker("parent");
    let payload = call(
        &marker,
        "def parricide():\n    import os\n    os.kill(os.getppid(), 9)\n    return 'still here'\n",
    );
    let outcome = run_with(&payload, &limits(3)).await;
    // The sandbox's init ignores the signal, or refuses it to the `nobody` account.
    match outcome.outcome {
        OutcomeKind::Ok => assert_eq!(outcome.value_repr.as_deref(), Some("'still here'")),
        OutcomeKind::Raised => {
            assert_eq!(outcome.exception_type.as_deref(), Some("PermissionError"))
        }
        _ => panic!("{outcome:#?}"),
    }
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_process_that_kills_itself_is_reported_as_killed() {
    let _turn = turn().await;
    let marker = marker("suicide");
    let payload = call(
        &marker,
        "def vanish():\n    import os\n    os.kill(os.getpid(), 9)\n    return 'unreachable'\n",
    );
    let outcome = run_with(&payload, &limits(3)).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("killed by signal 9 (SIGKILL)")
    );
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn a_daemon_does_not_outlive_the_run() {
    let _turn = turn().await;
    let marker = marker("daemon");
    // One daemon stays a fork of the runner; the other becomes a new program that
    // names the marker in its own command line.
    let mut payload = call(
        &marker,
        "def escape(marker):\n    import os, sys, time\n    for execs in (False, True):\n        if os.fork() == 0:\n            os.setsid()\n            if os.fork() == 0:\n                if execs:\n                    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', marker])\n                time.sleep(60)\n                os._exit(0)\n            os._exit(0)\n    time.sleep(0.3)\n    return 'left behind'\n",
    );
    payload.args_source = format!("{marker:?}");
    let outcome = run_with(&payload, &limits(3)).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    assert!(outcome.duration_ms < 2500, "the run waited for its daemons");
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn reaping_every_child_finds_only_the_functions_own() {
    let _turn = turn().await;
    let marker = marker("reap");
    let payload = call(
        &marker,
        "def reap():\n    import os\n    for _ in range(3):\n        if os.fork() == 0:\n            os._exit(7)\n    codes = []\n    while True:\n        try:\n            codes.append(os.wait()[1] >> 8)\n        except ChildProcessError:\n            return codes\n",
    );
    let outcome = run_with(&payload, &limits(3)).await;
    assert_eq!(json_value(&outcome), json!([7, 7, 7]));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn cancelling_stops_the_sandbox() {
    let _turn = turn().await;
    let marker = marker("cancel");
    let payload = call(&marker, "def nap():\n    import time\n    time.sleep(60)\n");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        trigger.cancel();
    });
    let limits = limits(10);
    let started = Instant::now();
    let outcome = LocalBackend::default().run(&payload, &limits, cancel).await;
    assert_eq!(outcome.outcome, OutcomeKind::Killed, "{outcome:#?}");
    assert_eq!(outcome.message.as_deref(), Some("cancelled"));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_nothing_left(&marker);
}

#[tokio::test]
async fn dropping_the_run_stops_the_sandbox() {
    let _turn = turn().await;
    let marker = marker("drop");
    let payload = call(&marker, "def nap():\n    import time\n    time.sleep(60)\n");
    let limits = limits(10);
    let backend = LocalBackend::default();
    let run = backend.run(&payload, &limits, CancellationToken::new());
    let abandoned = tokio::time::timeout(Duration::from_millis(600), run).await;
    assert!(abandoned.is_err(), "the run ended on its own");
    assert_gone_soon(&marker).await;
}

#[tokio::test]
async fn the_sandbox_runs_as_nobody_with_no_privileges_and_no_environment() {
    let _turn = turn().await;
    for isolation in [Isolation::Auto, Isolation::UserNamespace] {
        let marker = marker("account");
        let payload = call(
            &marker,
            "def who():\n    import os, pwd, socket\n    status = dict(line.split(':\\t') for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n    return {'uid': os.getuid(), 'gid': os.getgid(), 'groups': os.getgroups(), 'caps': status['CapEff'], 'env': sorted(os.environ), 'pid': os.getpid(), 'host': os.uname().nodename, 'root': sorted(os.listdir('/')), 'etc': oct(os.stat('/etc').st_mode & 0o777), 'root_name': pwd.getpwuid(0).pw_name, 'localhost': socket.gethostbyname('localhost')}\n",
        );
        let backend = LocalBackend::new(LocalConfig {
            isolation,
            ..LocalConfig::default()
        });
        let outcome = backend
            .run(&payload, &limits(3), CancellationToken::new())
            .await;
        let value = json_value(&outcome);
        assert_eq!(value["uid"], json!(65534), "{isolation:?}");
        assert_eq!(value["gid"], json!(65534), "{isolation:?}");
        assert_eq!(value["caps"], json!("0000000000000000"), "{isolation:?}");
        // What Python and the C library read from /etc is readable, whoever the host is.
        assert_eq!(value["etc"], json!("0o755"), "{isolation:?}");
        assert_eq!(value["root_name"], json!("root"), "{isolation:?}");
        assert_eq!(value["localhost"], json!("127.0.0.1"), "{isolation:?}");
        assert_eq!(
            value["env"],
            json!(["HOME", "LANG", "PATH", "PWD"]),
            "{isolation:?}"
        );
        assert!(
            value["pid"].as_u64().unwrap() < 10,
            "{isolation:?}: {value}"
        );
        let root: Vec<&str> = value["root"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry.as_str().unwrap())
            .collect();
        assert!(
            !root.contains(&"home") && !root.contains(&"var"),
            "{root:?}"
        );
        assert_nothing_left(&marker);
    }
}

#[tokio::test]
async fn without_bubblewrap_the_error_says_how_to_install_it() {
    let marker = marker("nobwrap");
    let payload = call(&marker, "def one():\n    return 1\n");
    let backend = LocalBackend::new(LocalConfig {
        bwrap: Some("/nonexistent/bwrap".into()),
        ..LocalConfig::default()
    });
    let outcome = backend
        .run(&payload, &limits(3), CancellationToken::new())
        .await;
    assert_eq!(outcome.outcome, OutcomeKind::Error);
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.message.unwrap().contains(INSTALL_HINT));
}

/// A descriptor this process holds without `O_CLOEXEC`, at `at` or above.
fn inheritable_descriptor(path: &Path, flags: i32, at: i32) -> i32 {
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path; the descriptors are closed by the caller.
    unsafe {
        let fd = libc::open(name.as_ptr(), flags);
        assert!(fd >= 0, "{}", std::io::Error::last_os_error());
        // F_DUPFD (not F_DUPFD_CLOEXEC): the copy is inherited across exec.
        let high = libc::fcntl(fd, libc::F_DUPFD, at);
        assert!(high >= at);
        libc::close(fd);
        assert_eq!(libc::fcntl(high, libc::F_GETFD) & libc::FD_CLOEXEC, 0);
        high
    }
}

#[tokio::test]
async fn descriptors_of_the_host_process_do_not_reach_the_sandbox() {
    let _turn = turn().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "aviato-inherited-secret").unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, "untouched").unwrap();
    let read_fd = inheritable_descriptor(&secret, libc::O_RDONLY, 700);
    let write_fd = inheritable_descriptor(&target, libc::O_WRONLY, 800);
    for isolation in [Isolation::Auto, Isolation::UserNamespace] {
        let marker = marker("descriptor");
        let mut payload = call(
            &marker,
            "def probe(read_fd, write_fd):\n    import errno, os\n    found = {}\n    for name, action in [('fstat', lambda: os.fstat(read_fd)), ('read', lambda: os.read(read_fd, 100)), ('write', lambda: os.write(write_fd, b'from the sandbox'))]:\n        try:\n            found[name] = repr(action())\n        except OSError as error:\n            found[name] = errno.errorcode[error.errno]\n    found['open'] = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))\n    return found\n",
        );
        payload.args_source = format!("{read_fd}, {write_fd}");
        let backend = LocalBackend::new(LocalConfig {
            isolation,
            ..LocalConfig::default()
        });
        let outcome = backend
            .run(&payload, &limits(5), CancellationToken::new())
            .await;
        let value = json_value(&outcome);
        for name in ["fstat", "read", "write"] {
            assert_eq!(value[name], json!("EBADF"), "{isolation:?}: {value}");
        }
        let open = value["open"].as_array().unwrap();
        assert!(
            open.iter().all(|fd| fd.as_i64().unwrap() < 100),
            "{isolation:?}: {value}"
        );
        assert!(!outcome.stdout.contains("aviato-inherited-secret"));
        assert_nothing_left(&marker);
    }
    // SAFETY: the descriptors opened above.
    unsafe {
        libc::close(read_fd);
        libc::close(write_fd);
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
}
