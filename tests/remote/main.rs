//! The aviato and cwsandbox backends and `aviato-lsp sandbox-server`, end to end: the
//! real server binary on a free port, the backends talking to it, raw protocol calls
//! (Connect JSON and gRPC), and faults.
//!
//! Every server gets its own state directory; bubblewrap's command line names the
//! sandbox's files under it, so /proc tells whether any of its sandboxes still runs.

mod cwsandbox;
mod faults;
mod fidelity;
mod grpc;
mod hostile;
mod protocol;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aviato_exec::{
    AviatoBackend, AviatoConfig, CwsandboxBackend, CwsandboxConfig, cgroup_support, cgroups_left_by,
};

/// A running `aviato-lsp sandbox-server`.
pub struct Server {
    child: Child,
    pub url: String,
    state_dir: tempfile::TempDir,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let state_dir = tempfile::Builder::new()
            .prefix("aviato-remote-test-")
            .tempdir()
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"));
        command
            .args(["sandbox-server", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state_dir.path())
            .args(extra);
        if !per_sandbox_limits("this server") {
            command.arg("--allow-per-process-limits");
        }
        Server::spawn(command, state_dir)
    }

    /// Starts `command`, a server whose sandboxes' files are in `state_dir`.
    pub fn spawn(mut command: Command, state_dir: tempfile::TempDir) -> Server {
        let mut child = command
            .env("RUST_LOG", "aviato_sandbox_server=info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|url| url.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address on stdout: {line:?} {}", log.lock().unwrap()))
            .to_owned();
        Server {
            child,
            url,
            state_dir,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn backend(&self) -> AviatoBackend {
        AviatoBackend::new(self.config()).unwrap()
    }

    pub fn config(&self) -> AviatoConfig {
        AviatoConfig {
            base_url: self.url.clone(),
            ..AviatoConfig::default()
        }
    }

    /// The cwsandbox backend, over gRPC to this server.
    pub fn cwsandbox_backend(&self) -> CwsandboxBackend {
        CwsandboxBackend::new(CwsandboxConfig {
            base_url: self.url.clone(),
            ..CwsandboxConfig::default()
        })
        .unwrap()
    }

    /// The sandboxes whose files are on disk.
    pub fn sandbox_dirs(&self) -> Vec<String> {
        std::fs::read_dir(self.state_dir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .filter(|name| name.starts_with("sb-"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Processes of this server's sandboxes (bubblewrap and what runs inside it).
    pub fn sandbox_processes(&self) -> Vec<String> {
        let sandbox_files = self.state_dir.path().join("sb-");
        processes_naming(&sandbox_files.to_string_lossy())
    }

    /// Waits until a sandbox process of this server runs.
    pub fn wait_for_sandbox_process(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.sandbox_processes().is_empty() {
            assert!(
                Instant::now() < deadline,
                "no sandbox started:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asserts that nothing of any sandbox is left: no files, no process, no cgroup
    /// (given a moment for killed processes to be reaped).
    pub fn assert_nothing_left(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (dirs, processes) = (self.sandbox_dirs(), self.sandbox_processes());
            let cgroups = cgroups_left_by(self.pid());
            let mounts = self.mounts();
            if dirs.is_empty() && processes.is_empty() && cgroups.is_empty() && mounts.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "left behind: dirs {dirs:?}, processes {processes:?}, cgroups {cgroups:?}, \
                 mounts {mounts:?}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Filesystems mounted in this server's state directory, as the server and the
    /// host see them.
    pub fn mounts(&self) -> Vec<String> {
        let state_dir = self.state_dir.path().to_string_lossy().into_owned();
        let server = std::fs::read_to_string(format!("/proc/{}/mounts", self.pid()));
        let host = std::fs::read_to_string("/proc/self/mounts");
        [server, host]
            .into_iter()
            .flatten()
            .collect::<String>()
            .lines()
            .filter(|line| line.contains(&state_dir))
            .map(str::to_owned)
            .collect()
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: a signal to the child this test started, which has not been reaped.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
    }

    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// The directory of a sandbox's files as the server sees it: as root it mounts
    /// them in a mount namespace of its own.
    pub fn files_of(&self, id: &str) -> PathBuf {
        let state_dir = self.state_dir.path().strip_prefix("/").unwrap();
        Path::new(&format!("/proc/{}/root", self.pid()))
            .join(state_dir)
            .join(id)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the kernel bounds each sandbox here; when not, why the caller skips what
/// needs it.
pub fn per_sandbox_limits(what: &str) -> bool {
    match cgroup_support() {
        Ok(()) => true,
        Err(reason) => {
            println!("{what}: per-sandbox limits not tested: no cgroup here ({reason})");
            false
        }
    }
}

/// Processes whose command line contains `marker`.
pub fn processes_naming(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            let pid = entry.file_name().to_string_lossy().into_owned();
            found.push(format!(
                "{pid}: {}",
                cmdline.chars().take(160).collect::<String>()
            ));
        }
    }
    found
}
