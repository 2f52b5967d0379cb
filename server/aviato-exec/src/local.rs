//! The local backend: the function runs in a bubblewrap sandbox on this machine.

use aviato_sandbox::{
    CancellationToken, Captured, Ending, Finished, LocalConfig, LocalSandbox, OutputSink,
    PreparedProgram, SandboxProgram,
};

use crate::runner::{RUNNER_SOURCE, RunnerInput, RunnerReport, new_nonce};
use crate::{Backend, Limit, Limits, Outcome, OutcomeKind, Payload, RunFuture, Serialization};

/// Runs functions in a bubblewrap sandbox: no network, a read-only system and
/// interpreter, private `/tmp` and `temp_dir`, an empty environment, the `nobody`
/// account, resource limits, and nothing left running afterwards.
#[derive(Debug, Clone, Default)]
pub struct LocalBackend {
    sandbox: LocalSandbox,
}

impl LocalBackend {
    pub fn new(config: LocalConfig) -> Self {
        Self {
            sandbox: LocalSandbox::new(config),
        }
    }

    async fn run_local(
        &self,
        payload: &Payload,
        limits: &Limits,
        cancel: CancellationToken,
        output: Option<OutputSink>,
    ) -> Outcome {
        let program = SandboxProgram {
            image: &payload.image,
            source: RUNNER_SOURCE,
            file_name: &payload.file_name,
            temp_dir: &payload.temp_dir,
        };
        let mut outcome = match self.sandbox.prepare_program(&program, limits).await {
            Ok(prepared) => run(prepared, payload, limits, &cancel, output).await,
            Err(message) => Outcome::error(message),
        };
        outcome.backend = Some(self.name().to_owned());
        outcome.image = Some(payload.image.clone());
        outcome
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

/// The runner in its sandbox, and the outcome of what it reported.
async fn run(
    prepared: PreparedProgram,
    payload: &Payload,
    limits: &Limits,
    cancel: &CancellationToken,
    output: Option<OutputSink>,
) -> Outcome {
    let nonce = new_nonce();
    let input = RunnerInput::new(payload, &nonce);
    let input = serde_json::to_vec(&input).expect("the runner input serializes");
    let run = prepared.run(&input, limits, cancel, output).await;
    let finished = match run.finished {
        Ok(finished) => finished,
        Err(err) => return Outcome::error(format!("cannot run the sandbox: {err}")),
    };
    let mut outcome = judge(&finished, &nonce, limits, payload.serialization);
    outcome.stdout = lossy(&finished.stdout);
    outcome.stderr = lossy(&finished.stderr);
    outcome.stdout_truncated = finished.stdout.truncated;
    outcome.stderr_truncated = finished.stderr.truncated;
    outcome.duration_ms = u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX);
    outcome.interpreter = Some(run.selection.interpreter.executable.display().to_string());
    if let Some(note) = run.selection.note {
        let runner_note = outcome.note.take();
        outcome.add_note(note);
        if let Some(runner_note) = runner_note {
            outcome.add_note(runner_note);
        }
    }
    for note in run.notes {
        outcome.add_note(note);
    }
    outcome
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
        Some("BlockingIOError") if message.starts_with("[Errno 11]") => (
            Limit::Processes,
            format!(
                "process limit of {} reached (a fork was refused)",
                limits.processes
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
