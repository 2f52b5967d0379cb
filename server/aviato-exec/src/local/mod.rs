//! The local backend: the function runs in a bubblewrap sandbox on this machine.

mod cgroup;
mod command;
mod interpreter;
mod process;
mod sandbox;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

pub use self::cgroup::{Cgroup, cgroup_support, cgroups_left_by};
pub use self::command::{
    CommandEnding, CommandOutput, OutputChunk, OutputSink, OutputStream, SandboxCommand,
    WritableDir, check_variable, writable_path,
};
use self::interpreter::Selection;
use self::process::{Captured, Ending, Finished};
pub use self::sandbox::Isolation;
use self::sandbox::SandboxSpec;
use crate::runner::{RunnerInput, RunnerReport, new_nonce};
use crate::{Backend, Limit, Limits, Outcome, OutcomeKind, Payload, RunFuture, Serialization};

/// What the error says when bubblewrap is missing.
pub const INSTALL_HINT: &str = "apt-get install bubblewrap";

/// Settings of the local backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    /// The `bwrap` executable, a path or a command on PATH; `bwrap` when `None`.
    pub bwrap: Option<PathBuf>,
    /// The interpreter for images with no local equivalent: a command on PATH, or a
    /// path.
    pub default_interpreter: String,
    /// Images mapped to the interpreter that stands in for them (a command on PATH,
    /// or a path), before any `pythonX.Y` lookup.
    pub images: BTreeMap<String, String>,
    pub isolation: Isolation,
    /// Where no cgroup can be made, run with per-process limits alone (and say so)
    /// rather than refuse to run.
    pub allow_per_process_limits: bool,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            bwrap: None,
            default_interpreter: "python3".to_owned(),
            images: BTreeMap::new(),
            isolation: Isolation::Auto,
            allow_per_process_limits: true,
        }
    }
}

/// Runs functions in a bubblewrap sandbox: no network, a read-only system and
/// interpreter, private `/tmp` and `temp_dir`, an empty environment, the `nobody`
/// account, resource limits, and nothing left running afterwards.
#[derive(Debug, Clone, Default)]
pub struct LocalBackend {
    config: LocalConfig,
}

impl LocalBackend {
    pub fn new(config: LocalConfig) -> Self {
        Self { config }
    }

    async fn run_local(
        &self,
        payload: &Payload,
        limits: &Limits,
        cancel: CancellationToken,
        output: Option<OutputSink>,
    ) -> Outcome {
        let mut outcome = match self.prepare(payload, limits).await {
            Ok(prepared) => prepared.run(payload, limits, &cancel, output).await,
            Err(message) => Outcome::error(message),
        };
        outcome.backend = Some(self.name().to_owned());
        outcome.image = Some(payload.image.clone());
        outcome
    }

    async fn prepare(&self, payload: &Payload, limits: &Limits) -> Result<Prepared, String> {
        let command = match &self.config.bwrap {
            Some(path) => path.to_string_lossy(),
            None => "bwrap".into(),
        };
        let bwrap = find_executable(&command).ok_or_else(|| {
            format!(
                "bubblewrap (`{command}`) is not installed; the local backend needs it: \
                 `{INSTALL_HINT}` (Debian, Ubuntu), or your system's bubblewrap package"
            )
        })?;
        let sized_tmpfs = bwrap_takes_size(&bwrap).await?;
        let selection = self.select(&payload.image).await?;
        let cgroup = self.sandbox_cgroup(limits)?;
        let arguments = SandboxSpec {
            interpreter: &selection.interpreter,
            isolation: self.config.isolation.resolve(),
            limits,
            per_user_processes: cgroup.is_err(),
            temp_dir: &payload.temp_dir,
            file_name: &payload.file_name,
            sized_tmpfs,
        }
        .build()?;
        Ok(Prepared {
            bwrap,
            arguments,
            selection,
            cgroup,
        })
    }

    /// A cgroup for one sandbox, or, where per-process limits are allowed, why
    /// there is none.
    pub fn sandbox_cgroup(&self, limits: &Limits) -> Result<Result<Cgroup, String>, String> {
        match Cgroup::create(limits) {
            Ok(cgroup) => Ok(Ok(cgroup)),
            Err(reason) if self.config.allow_per_process_limits => Ok(Err(format!(
                "memory, processes and CPU were limited per process only, not for the \
                 sandbox as a whole ({reason})"
            ))),
            Err(reason) => Err(format!(
                "the sandbox's memory, process and CPU limits cannot be enforced: {reason}"
            )),
        }
    }

    /// The interpreter that stands in for `image`: the one it is mapped to, else a
    /// local `pythonX.Y`, else the default.
    async fn select(&self, image: &str) -> Result<Selection, String> {
        match self.config.images.get(image) {
            Some(command) => Ok(Selection {
                interpreter: interpreter::resolve(command).await.ok_or_else(|| {
                    format!(
                        "image {image} is mapped to `{command}`, which is not a working \
                         Python interpreter"
                    )
                })?,
                note: None,
            }),
            None => interpreter::select(image, &self.config.default_interpreter).await,
        }
    }
}

impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn run_with_output<'a>(
        &'a self,
        payload: &'a Payload,
        limits: &'a Limits,
        cancel: CancellationToken,
        output: Option<OutputSink>,
    ) -> RunFuture<'a> {
        Box::pin(self.run_local(payload, limits, cancel, output))
    }
}

/// A command as the shell would find it.
fn find_executable(command: &str) -> Option<PathBuf> {
    if command.contains('/') {
        let path = PathBuf::from(command);
        return is_executable(&path).then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Whether this bubblewrap takes `--size` for a tmpfs, asked once per executable.
async fn bwrap_takes_size(bwrap: &Path) -> Result<bool, String> {
    static KNOWN: Mutex<Vec<(PathBuf, bool)>> = Mutex::new(Vec::new());
    if let Some((_, sized)) = KNOWN.lock().unwrap().iter().find(|(path, _)| path == bwrap) {
        return Ok(*sized);
    }
    let help = tokio::process::Command::new(bwrap)
        .arg("--help")
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|err| format!("cannot run {}: {err}", bwrap.display()))?;
    let sized = String::from_utf8_lossy(&help.stdout).contains("--size");
    KNOWN.lock().unwrap().push((bwrap.to_owned(), sized));
    Ok(sized)
}

struct Prepared {
    bwrap: PathBuf,
    arguments: Vec<std::ffi::OsString>,
    selection: Selection,
    /// The sandbox's cgroup, or why it has none.
    cgroup: Result<Cgroup, String>,
}

impl Prepared {
    async fn run(
        self,
        payload: &Payload,
        limits: &Limits,
        cancel: &CancellationToken,
        output: Option<OutputSink>,
    ) -> Outcome {
        let nonce = new_nonce();
        let input = RunnerInput::new(payload, &nonce);
        let input = serde_json::to_vec(&input).expect("the runner input serializes");
        let cgroup = self.cgroup.as_ref().ok();
        let supervised = process::supervise_streaming(
            &self.bwrap,
            &self.arguments,
            &input,
            limits,
            cancel,
            cgroup,
            output,
        )
        .await;
        let (limits_note, removed) = match self.cgroup {
            Ok(cgroup) => (
                None,
                tokio::task::spawn_blocking(move || cgroup.remove())
                    .await
                    .unwrap_or_else(|panicked| Err(panicked.to_string())),
            ),
            Err(note) => (Some(note), Ok(())),
        };
        let finished = match supervised {
            Ok(finished) => finished,
            Err(err) => return Outcome::error(format!("cannot run the sandbox: {err}")),
        };
        let mut outcome = judge(&finished, &nonce, limits, payload.serialization);
        outcome.stdout = lossy(&finished.stdout);
        outcome.stderr = lossy(&finished.stderr);
        outcome.stdout_truncated = finished.stdout.truncated;
        outcome.stderr_truncated = finished.stderr.truncated;
        outcome.duration_ms = u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX);
        outcome.interpreter = Some(self.selection.interpreter.executable.display().to_string());
        if let Some(note) = self.selection.note {
            let runner_note = outcome.note.take();
            outcome.add_note(note);
            if let Some(runner_note) = runner_note {
                outcome.add_note(runner_note);
            }
        }
        for note in limits_note.into_iter().chain(removed.err()) {
            outcome.add_note(note);
        }
        outcome
    }
}

fn lossy(captured: &Captured) -> String {
    String::from_utf8_lossy(&captured.bytes).into_owned()
}

/// The outcome of a finished sandbox, from the runner's report and how it ended.
fn judge(
    finished: &Finished,
    nonce: &str,
    limits: &Limits,
    serialization: Serialization,
) -> Outcome {
    let report = RunnerReport::decode(&finished.channel.bytes, nonce);
    let stderr = &finished.stderr.bytes;
    let seconds = limits.timeout.as_secs_f64();
    match (finished.ending, report) {
        (Ending::Cancelled, _) => Outcome::cancelled(),
        (Ending::MemoryLimit, _) => Outcome::over_limit(
            OutcomeKind::Killed,
            Limit::Memory,
            format!(
                "memory limit of {} MiB reached by the sandbox's processes together; all were \
                 killed",
                limits.memory_bytes / (1024 * 1024)
            ),
        ),
        (Ending::TimedOut, None) => Outcome::over_limit(
            OutcomeKind::Timeout,
            Limit::Time,
            format!("wall-clock limit of {seconds} s reached"),
        ),
        (Ending::TimedOut, Some(report)) => {
            let mut outcome = report.into_outcome(stderr, serialization);
            outcome.outcome = OutcomeKind::Timeout;
            outcome.limit = Some(Limit::Time);
            outcome.message = Some(format!(
                "the function finished, but the interpreter did not exit within {seconds} s \
                 (a thread still running?): the SDK would time out too"
            ));
            outcome
        }
        (Ending::Exited(_), Some(report)) => {
            over_limit(report.into_outcome(stderr, serialization), limits)
        }
        (Ending::Exited(status), None) => without_report(status, finished, limits),
    }
}

/// A raised exception that is the sandbox's limit speaking.
fn over_limit(mut outcome: Outcome, limits: &Limits) -> Outcome {
    if outcome.outcome != OutcomeKind::Raised {
        return outcome;
    }
    let message = outcome
        .real_exception_message
        .as_deref()
        .unwrap_or_default();
    let (limit, said) = match outcome.real_exception_type.as_deref() {
        Some("MemoryError") => (
            Limit::Memory,
            format!(
                "memory limit of {} MiB reached (MemoryError)",
                limits.memory_bytes / (1024 * 1024)
            ),
        ),
        Some("OSError") if message.starts_with("[Errno 27]") => (
            Limit::FileSize,
            format!(
                "file size limit of {} bytes reached",
                limits.file_size_bytes
            ),
        ),
        _ => return outcome,
    };
    // The limit is this sandbox's, not the SDK's: the exception is the one raised.
    outcome.outcome = OutcomeKind::Killed;
    outcome.message = Some(said);
    outcome.limit = Some(limit);
    outcome.exception_type = outcome.real_exception_type.clone();
    outcome.exception_message = outcome.real_exception_message.clone();
    outcome
}

fn without_report(
    status: std::process::ExitStatus,
    finished: &Finished,
    limits: &Limits,
) -> Outcome {
    // bubblewrap exits with 128 + the signal that ended the runner.
    let code = status.code().unwrap_or(-1);
    if code > 128 {
        let signal = code - 128;
        return match signal {
            libc::SIGXCPU => Outcome::over_limit(
                OutcomeKind::Killed,
                Limit::Cpu,
                format!("CPU time limit of {} s reached", limits.cpu_seconds),
            ),
            libc::SIGXFSZ => Outcome::over_limit(
                OutcomeKind::Killed,
                Limit::FileSize,
                format!(
                    "file size limit of {} bytes reached",
                    limits.file_size_bytes
                ),
            ),
            _ => Outcome {
                message: Some(format!(
                    "killed by signal {signal} ({})",
                    signal_name(signal)
                )),
                ..Outcome::new(OutcomeKind::Killed)
            },
        };
    }
    let stderr = String::from_utf8_lossy(&finished.stderr.bytes);
    if let Some(line) = stderr.lines().find(|line| line.starts_with("bwrap: ")) {
        return Outcome::error(format!("bubblewrap could not start the sandbox: {line}"));
    }
    if finished.channel.truncated {
        return Outcome::error("the sandbox flooded the result channel; no result could be read");
    }
    Outcome::error(format!(
        "the sandbox exited with status {code} without reporting a result"
    ))
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGPIPE => "SIGPIPE",
        _ => "signal",
    }
}
