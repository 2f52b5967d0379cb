//! The live sandboxes and what each call does to them.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aviato_exec::aviato::protocol::{
    AddFileRequest, Code, ExecRequest, ExecResponse, ExecResult, GetRequest, GetResponse,
    RetrieveFileRequest, RetrieveFileResponse, SandboxStatus, StartRequest, StartResponse,
    StopRequest, SuccessResponse,
};
use aviato_exec::{
    CancellationToken, CommandEnding, DEFAULT_IMAGE, Limits, LocalBackend, SandboxCommand,
};
use tokio::sync::RwLock;

use crate::files::{Files, WriteFailure};
use crate::tree::remove_tree;
use crate::{Config, Failure};

/// The most a RetrieveFile reply carries.
const RETRIEVE_LIMIT: u64 = 64 * 1024 * 1024;

/// How long Start waits for the sandbox to be running before it answers.
const START_WAIT: Duration = Duration::from_millis(250);

/// How often a running command's files are measured against the quota.
const QUOTA_CHECK: Duration = Duration::from_millis(500);

pub(crate) struct Sandboxes {
    config: Config,
    backend: LocalBackend,
    live: Mutex<HashMap<String, Arc<Sandbox>>>,
}

struct Sandbox {
    id: String,
    image: String,
    files: Files,
    status: Mutex<SandboxStatus>,
    last_used: Mutex<Instant>,
    ends_at: Instant,
    /// Cancelled by Stop: ends every running command.
    stopped: CancellationToken,
    /// Held shared by each running command, exclusively by Stop before it removes
    /// the files.
    busy: RwLock<()>,
}

impl Sandbox {
    fn touch(&self) {
        *self.last_used.lock().unwrap() = Instant::now();
    }

    fn status(&self) -> SandboxStatus {
        *self.status.lock().unwrap()
    }

    fn ensure_running(&self) -> Result<(), Failure> {
        match self.status() {
            SandboxStatus::Running => Ok(()),
            status => Err(Failure::new(
                Code::FailedPrecondition,
                format!(
                    "sandbox {} is {}, not running",
                    self.id,
                    status.short_name()
                ),
            )),
        }
    }
}

impl Sandboxes {
    pub(crate) fn new(config: Config) -> Self {
        let backend = LocalBackend::new(config.local.clone());
        Self {
            config,
            backend,
            live: Mutex::default(),
        }
    }

    fn find(&self, id: &str) -> Result<Arc<Sandbox>, Failure> {
        let sandbox = self
            .live
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .ok_or_else(|| Failure::new(Code::NotFound, format!("no sandbox {id:?}")))?;
        sandbox.touch();
        Ok(sandbox)
    }

    /// Starts a sandbox: `CREATING` until its interpreter is found, then `RUNNING`.
    /// The answer waits a moment for that, so that a client's first Get usually finds
    /// it running rather than polling again later.
    pub(crate) async fn start(
        self: &Arc<Self>,
        request: StartRequest,
    ) -> Result<StartResponse, Failure> {
        let image = if request.container_image.is_empty() {
            DEFAULT_IMAGE.to_owned()
        } else {
            request.container_image
        };
        let lifetime = match u64::try_from(request.max_lifetime_seconds) {
            Ok(seconds) if seconds > 0 => {
                Duration::from_secs(seconds).min(self.config.max_lifetime)
            }
            _ => self.config.max_lifetime,
        };
        let sandbox = {
            let mut live = self.live.lock().unwrap();
            if live.len() >= self.config.max_sandboxes {
                return Err(Failure::new(
                    Code::ResourceExhausted,
                    format!(
                        "this server runs at most {} sandboxes at once; stop one or try again later",
                        self.config.max_sandboxes
                    ),
                ));
            }
            let id = new_id();
            let files = Files::create(
                self.config.state_dir.join(&id),
                self.config.limits.tmpfs_bytes,
                self.config.local.isolation.sandbox_account(),
            )
            .map_err(|err| {
                Failure::new(
                    Code::Internal,
                    format!("cannot create the sandbox's files: {err}"),
                )
            })?;
            let now = Instant::now();
            let sandbox = Arc::new(Sandbox {
                id: id.clone(),
                image,
                files,
                status: Mutex::new(SandboxStatus::Creating),
                last_used: Mutex::new(now),
                ends_at: now + lifetime,
                stopped: CancellationToken::new(),
                busy: RwLock::new(()),
            });
            live.insert(id, sandbox.clone());
            sandbox
        };
        tracing::info!(sandbox = %sandbox.id, image = %sandbox.image, tags = ?request.tags, "started");
        let this = self.clone();
        let creating = sandbox.clone();
        let created = tokio::spawn(async move {
            let status = match this.backend.interpreter_for(&creating.image).await {
                Ok(interpreter) => {
                    tracing::info!(sandbox = %creating.id, %interpreter, "running");
                    SandboxStatus::Running
                }
                Err(reason) => {
                    tracing::warn!(sandbox = %creating.id, %reason, "failed");
                    SandboxStatus::Failed
                }
            };
            let mut current = creating.status.lock().unwrap();
            if *current == SandboxStatus::Creating {
                *current = status;
            }
        });
        let _ = tokio::time::timeout(START_WAIT, created).await;
        Ok(StartResponse {
            sandbox_id: sandbox.id.clone(),
        })
    }

    pub(crate) fn get(&self, request: GetRequest) -> Result<GetResponse, Failure> {
        let sandbox = self.find(&request.sandbox_id)?;
        Ok(GetResponse {
            sandbox_status: sandbox.status(),
            ..GetResponse::default()
        })
    }

    pub(crate) fn add_file(&self, request: AddFileRequest) -> Result<SuccessResponse, Failure> {
        let sandbox = self.find(&request.sandbox_id)?;
        sandbox.ensure_running()?;
        match sandbox
            .files
            .write(&request.filepath, &request.file_contents)
        {
            Ok(()) => Ok(SuccessResponse::succeeded()),
            Err(WriteFailure::Failed(reason)) => Ok(SuccessResponse::failed(reason)),
            Err(WriteFailure::Refused(reason)) => Err(Failure::new(Code::InvalidArgument, reason)),
        }
    }

    pub(crate) fn retrieve_file(
        &self,
        request: RetrieveFileRequest,
    ) -> Result<RetrieveFileResponse, Failure> {
        let sandbox = self.find(&request.sandbox_id)?;
        sandbox.ensure_running()?;
        Ok(
            match sandbox.files.read(&request.filepath, RETRIEVE_LIMIT) {
                Ok(file_contents) => RetrieveFileResponse {
                    file_contents,
                    success: true,
                    error_message: String::new(),
                },
                Err(reason) => RetrieveFileResponse {
                    error_message: reason,
                    ..RetrieveFileResponse::default()
                },
            },
        )
    }

    pub(crate) async fn exec(&self, request: ExecRequest) -> Result<ExecResponse, Failure> {
        let sandbox = self.find(&request.sandbox_id)?;
        sandbox.ensure_running()?;
        let argv: Vec<String> = request.command.into_iter().chain(request.args).collect();
        if argv.is_empty() {
            return Err(Failure::new(Code::InvalidArgument, "the command is empty"));
        }
        if let Some(arg) = argv.iter().find(|arg| arg.contains('\0')) {
            return Err(Failure::new(
                Code::InvalidArgument,
                format!("the argument {arg:?} contains a NUL byte, which no command can take"),
            ));
        }
        let Ok(_busy) = sandbox.busy.try_read() else {
            return Err(Failure::new(
                Code::FailedPrecondition,
                "the sandbox is stopping",
            ));
        };
        let remaining = sandbox.ends_at.saturating_duration_since(Instant::now());
        let requested = match u64::try_from(request.max_timeout_seconds) {
            Ok(seconds) if seconds > 0 => Duration::from_secs(seconds),
            _ => self.config.exec_timeout,
        };
        let limits = Limits {
            timeout: requested.min(remaining).min(self.config.exec_timeout),
            ..self.config.limits.clone()
        };
        let cancel = sandbox.stopped.child_token();
        let over_quota = Arc::new(AtomicBool::new(false));
        let watchdog = tokio::spawn(watch_quota(
            sandbox.clone(),
            cancel.clone(),
            over_quota.clone(),
        ));
        let writable = sandbox.files.writable_dirs();
        let command = SandboxCommand {
            image: &sandbox.image,
            argv: &argv,
            writable: &writable,
        };
        let output = self.backend.run_command(&command, &limits, &cancel).await;
        watchdog.abort();
        sandbox.touch();
        let output = output.map_err(|reason| Failure::new(Code::Internal, reason))?;
        match output.ending {
            CommandEnding::Exited(exit_code) => Ok(ExecResponse {
                result: ExecResult {
                    stdout: output.stdout,
                    stderr: output.stderr,
                    exit_code,
                },
            }),
            CommandEnding::TimedOut => Err(Failure::new(
                Code::DeadlineExceeded,
                format!(
                    "the command ran past its limit of {} s and was killed",
                    limits.timeout.as_secs_f64()
                ),
            )),
            CommandEnding::Cancelled if over_quota.load(Ordering::Relaxed) => Err(Failure::new(
                Code::ResourceExhausted,
                format!(
                    "the sandbox's files passed {} MiB; the command was killed",
                    self.config.limits.tmpfs_bytes / (1024 * 1024)
                ),
            )),
            CommandEnding::Cancelled => Err(Failure::new(
                Code::Aborted,
                format!("sandbox {} was stopped while the command ran", sandbox.id),
            )),
        }
    }

    pub(crate) async fn stop(&self, request: StopRequest) -> Result<SuccessResponse, Failure> {
        let sandbox = self
            .live
            .lock()
            .unwrap()
            .remove(&request.sandbox_id)
            .ok_or_else(|| {
                Failure::new(
                    Code::NotFound,
                    format!("no sandbox {:?}", request.sandbox_id),
                )
            })?;
        Ok(match self.remove(&sandbox, "stopped").await {
            Ok(()) => SuccessResponse::succeeded(),
            Err(reason) => SuccessResponse::failed(reason),
        })
    }

    /// Ends the commands of a sandbox already out of `live`, and removes its files.
    async fn remove(&self, sandbox: &Sandbox, why: &str) -> Result<(), String> {
        sandbox.stopped.cancel();
        *sandbox.status.lock().unwrap() = SandboxStatus::Terminated;
        let _idle = sandbox.busy.write().await;
        // However deep the sandbox made its tree, on a thread of its own.
        let root = sandbox.files.root().to_owned();
        let removed = tokio::task::spawn_blocking(move || remove_tree(&root))
            .await
            .unwrap_or_else(|panicked| Err(std::io::Error::other(panicked)))
            .map_err(|err| format!("cannot remove the sandbox's files: {err}"));
        match &removed {
            Ok(()) => tracing::info!(sandbox = %sandbox.id, "{why}"),
            Err(reason) => tracing::warn!(sandbox = %sandbox.id, %reason, "{why}"),
        }
        removed
    }

    /// Stops sandboxes idle for longer than the TTL, and those past their lifetime.
    pub(crate) async fn reap(&self) {
        let now = Instant::now();
        let expired: Vec<(Arc<Sandbox>, &str)> = {
            let mut live = self.live.lock().unwrap();
            let ids: Vec<(String, &str)> = live
                .values()
                .filter_map(|sandbox| {
                    let idle = now.duration_since(*sandbox.last_used.lock().unwrap());
                    let running_commands = sandbox.busy.try_write().is_err();
                    if now >= sandbox.ends_at {
                        Some((sandbox.id.clone(), "reached its lifetime"))
                    } else if idle >= self.config.idle_ttl && !running_commands {
                        Some((sandbox.id.clone(), "idle past its TTL"))
                    } else {
                        None
                    }
                })
                .collect();
            ids.into_iter()
                .filter_map(|(id, why)| live.remove(&id).map(|sandbox| (sandbox, why)))
                .collect()
        };
        for (sandbox, why) in expired {
            let _ = self.remove(&sandbox, why).await;
        }
    }

    /// Stops every sandbox.
    pub(crate) async fn stop_all(&self) {
        let all: Vec<Arc<Sandbox>> = self.live.lock().unwrap().drain().map(|(_, s)| s).collect();
        for sandbox in all {
            let _ = self.remove(&sandbox, "stopped at shutdown").await;
        }
    }
}

async fn watch_quota(sandbox: Arc<Sandbox>, cancel: CancellationToken, over: Arc<AtomicBool>) {
    let quota = sandbox.files.quota();
    loop {
        tokio::time::sleep(QUOTA_CHECK).await;
        let files = sandbox.clone();
        let used = tokio::task::spawn_blocking(move || files.files.usage())
            .await
            .unwrap_or(0);
        if used > quota {
            over.store(true, Ordering::Relaxed);
            cancel.cancel();
            return;
        }
    }
}

/// `sb-` and 16 random hex digits.
fn new_id() -> String {
    let mut bytes = [0u8; 8];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = (nanos as u64 ^ u64::from(std::process::id())).to_le_bytes();
    }
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sb-{hex}")
}

/// Leftovers of a server that did not shut down: `sb-*` directories. Blocks.
pub(crate) fn clear_leftovers(state_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(state_dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("sb-")
            && let Err(err) = remove_tree(&entry.path())
        {
            tracing::warn!(path = %entry.path().display(), %err, "cannot remove a leftover");
        }
    }
}
