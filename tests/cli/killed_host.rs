//! A SIGKILLed `aviato-lsp run` takes its sandbox with it, wherever the kill lands:
//! before bubblewrap starts, while it sets the sandbox up (its own parent-death signal
//! not yet armed), or while the function runs.
//!
//! Each run is marked by a unique file name, which the host, bubblewrap and the
//! runner carry in their command lines; once the host is killed, /proc must soon hold
//! no process with the mark. The runs go at once, to keep the suite fast.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::project::Project;

/// A function that never returns on its own.
const LINGER: &str = r#"import asyncio

from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def linger():
            import time

            while True:
                time.sleep(0.05)

        await linger()


asyncio.run(main())
"#;

/// How long the slow bubblewrap waits before it starts: longer than every delay.
const SLOW_START: &str = "0.5";

/// How long a killed run's sandbox may take to be gone.
const GONE_WITHIN: Duration = Duration::from_secs(3);

/// What has just started when the delay before the kill begins.
#[derive(Debug, Clone, Copy)]
enum Started {
    Host,
    /// Bubblewrap, started by the host.
    Sandbox,
    /// A bubblewrap that waits half a second before it does anything, so that the
    /// host is gone before it can arm its parent-death signal.
    SlowSandbox,
}

#[test]
fn a_killed_run_leaves_nothing_running() {
    let real_bwrap = on_path("bwrap").expect("bubblewrap is installed");
    let slow = tempfile::tempdir().unwrap();
    write_slow_bwrap(slow.path(), &real_bwrap);

    let mut cases = Vec::new();
    for started in [Started::Host, Started::Sandbox, Started::SlowSandbox] {
        for delay in [0, 20, 200] {
            cases.push((started, Duration::from_millis(delay)));
        }
    }
    let clock = Instant::now();
    let failures: Vec<String> = thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(index, &(started, delay))| {
                let slow = slow.path();
                scope.spawn(move || kill_run(index, started, delay, slow))
            })
            .collect();
        runs.into_iter()
            .filter_map(|run| run.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        clock.elapsed() < Duration::from_secs(5),
        "took {:?}",
        clock.elapsed()
    );
}

/// Starts a run, SIGKILLs its host `delay` after `started` starts, and checks that
/// nothing marked with the run's file name is left.
fn kill_run(
    index: usize,
    started: Started,
    delay: Duration,
    slow_bwrap: &Path,
) -> Result<(), String> {
    let marker = format!("aviato-killed-host-{}-{index}", std::process::id());
    let project = Project::new();
    let file = format!("{marker}.py");
    project.write(&file, LINGER);
    let mut command = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"));
    command
        .args(["run", &file, "--function", "linger", "--timeout", "60"])
        .current_dir(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Started::SlowSandbox = started {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![slow_bwrap.to_owned()];
        dirs.extend(std::env::split_paths(&path));
        command.env("PATH", std::env::join_paths(dirs).unwrap());
    }
    let mut host = command.spawn().expect("start aviato-lsp");
    let what = format!("killed {delay:?} after {started:?} started");

    if !matches!(started, Started::Host) {
        let deadline = Instant::now() + GONE_WITHIN;
        while sandbox_processes(&marker, &host).is_empty() {
            if Instant::now() > deadline || host.try_wait().unwrap().is_some() {
                let _ = host.kill();
                return Err(format!("{what}: the sandbox never started"));
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
    thread::sleep(delay);
    host.kill().expect("kill the host");
    host.wait().unwrap();

    let deadline = Instant::now() + GONE_WITHIN;
    loop {
        let left = processes_marked(&marker);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            for (pid, _) in &left {
                // SAFETY: kill has no memory effects; the pids carry this run's mark.
                unsafe { libc::kill(*pid as libc::pid_t, libc::SIGKILL) };
            }
            return Err(format!("{what}: left running: {left:?}"));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Marked processes other than the host itself.
fn sandbox_processes(marker: &str, host: &Child) -> Vec<(u32, String)> {
    let mut found = processes_marked(marker);
    found.retain(|(pid, _)| *pid != host.id());
    found
}

/// Processes whose command line contains `marker`.
fn processes_marked(marker: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push((pid, cmdline.chars().take(80).collect()));
        }
    }
    found
}

/// A `bwrap` that waits [`SLOW_START`] seconds, then runs the real one.
fn write_slow_bwrap(dir: &Path, real: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("bwrap");
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = --help ] || sleep {SLOW_START}\nexec '{}' \"$@\"\n",
        real.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn on_path(command: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}
