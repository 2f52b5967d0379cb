//! The live sandboxes and what each call does to them.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aviato_protocol::connect::{
    AddFileRequest, Code, ExecRequest, ExecResponse, ExecResult, GetRequest, GetResponse,
    RetrieveFileRequest, RetrieveFileResponse, SandboxStatus, StartRequest, StartResponse,
    StopRequest, SuccessResponse,
};
use aviato_protocol::errors::reason;
use aviato_protocol::sandbox::SandboxSpec;
use aviato_sandbox::{
    CancellationToken, Cgroup, CommandEnding, CommandOutput, DEFAULT_IMAGE, Limits, LocalSandbox,
    OutputSink, SandboxCommand, check_variable,
};
use tokio::sync::RwLock;

use crate::files::{Disk, Files, ReadFailure, WriteFailure};
use crate::tree::remove_tree;
use crate::{Config, Failure};

/// The most a RetrieveFile reply carries.
const RETRIEVE_LIMIT: u64 = 64 * 1024 * 1024;

/// How long Start waits for the sandbox to be running before it answers.
const START_WAIT: Duration = Duration::from_millis(250);

/// How often a running command's files are measured against the quota.
const QUOTA_CHECK: Duration = Duration::from_millis(500);

/// How long a sandbox that ended is still reported, in its final state, to gRPC
/// clients (which poll until they see it end).
const GONE_TTL: Duration = Duration::from_secs(600);

/// The most ended sandboxes remembered; the oldest are forgotten first.
const GONE_MAX: usize = 4096;

pub(crate) struct Sandboxes {
    config: Config,
    backend: LocalSandbox,
    /// What bounds each sandbox's files.
    disk: Disk,
    live: Mutex<HashMap<String, Arc<Sandbox>>>,
    gone: Mutex<HashMap<String, Gone>>,
}

/// What a sandbox was asked to be.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewSandbox {
    /// The container image; the default image when empty.
    pub image: String,
    /// At most the server's `max_lifetime`; that when `None`.
    pub lifetime: Option<Duration>,
    pub tags: Vec<String>,
    /// Each command's environment, after the sandbox's own.
    pub env: Vec<(String, String)>,
    /// Each command's working directory (`/tmp` when `None`); one in `/tmp` is made.
    pub working_dir: Option<String>,
    /// The gRPC spec it was created with, reported back as it was given.
    pub spec: Option<SandboxSpec>,
}

/// A sandbox as a client sees it.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub status: SandboxStatus,
    /// Why it ended, once it has.
    pub reason: Option<String>,
    pub spec: Option<SandboxSpec>,
}

/// A sandbox that ended, remembered for a while.
struct Gone {
    view: View,
    at: Instant,
}

struct Sandbox {
    id: String,
    image: String,
    env: Vec<(String, String)>,
    working_dir: Option<String>,
    spec: Option<SandboxSpec>,
    files: Files,
    /// Bounds the memory, processes and CPU of all its commands together; `None`
    /// only when the operator allowed per-process limits.
    cgroup: Option<Cgroup>,
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
        *self
            .last_used
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn status(&self) -> SandboxStatus {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner)
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

    fn view(&self) -> View {
        View {
            status: self.status(),
            reason: None,
            spec: self.spec.clone(),
        }
    }
}

impl Sandboxes {
    pub(crate) fn new(config: Config, disk: Disk) -> Self {
        let backend = LocalSandbox::new(config.local.clone());
        Self {
            disk,
            config,
            backend,
            live: Mutex::default(),
            gone: Mutex::default(),
        }
    }

    fn find(&self, id: &str) -> Result<Arc<Sandbox>, Failure> {
        let sandbox = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .ok_or_else(|| not_found(id))?;
        sandbox.touch();
        Ok(sandbox)
    }

    /// Starts a sandbox (Connect): see [`Sandboxes::create`].
    pub(crate) async fn start(
        self: &Arc<Self>,
        request: StartRequest,
    ) -> Result<StartResponse, Failure> {
        let lifetime = u64::try_from(request.max_lifetime_seconds)
            .ok()
            .filter(|seconds| *seconds > 0)
            .map(Duration::from_secs);
        let new = NewSandbox {
            image: request.container_image,
            lifetime,
            tags: request.tags,
            ..NewSandbox::default()
        };
        let (sandbox_id, _) = self.create(new).await?;
        Ok(StartResponse { sandbox_id })
    }

    /// Creates a sandbox: `CREATING` until its interpreter is found, then `RUNNING`.
    /// The answer waits a moment for that, so that a client's first Get usually finds
    /// it running rather than polling again later.
    pub(crate) async fn create(
        self: &Arc<Self>,
        new: NewSandbox,
    ) -> Result<(String, View), Failure> {
        let image = if new.image.is_empty() {
            DEFAULT_IMAGE.to_owned()
        } else {
            new.image
        };
        let lifetime = new
            .lifetime
            .filter(|lifetime| !lifetime.is_zero())
            .map_or(self.config.max_lifetime, |lifetime| {
                lifetime.min(self.config.max_lifetime)
            });
        for (name, value) in &new.env {
            check_variable(name, value).map_err(|why| Failure::new(Code::InvalidArgument, why))?;
        }
        let working_dir = match new.working_dir.as_deref() {
            None | Some("") => None,
            Some(dir) => Some(working_dir(dir)?),
        };
        let sandbox = {
            let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
            if live.len() >= self.config.max_sandboxes {
                return Err(Failure::new(
                    Code::ResourceExhausted,
                    format!(
                        "this server runs at most {} sandboxes at once; stop one or try again later",
                        self.config.max_sandboxes
                    ),
                )
                .with_reason(reason::RUNNER_CAPACITY_EXHAUSTED));
            }
            let id = new_id();
            let cgroup = match self.backend.sandbox_cgroup(&self.config.limits) {
                Ok(Ok(cgroup)) => Some(cgroup),
                Ok(Err(note)) => {
                    tracing::warn!(sandbox = %id, "{note}");
                    None
                }
                Err(reason) => return Err(Failure::new(Code::Unavailable, reason)),
            };
            let files = Files::create(
                self.config.state_dir.join(&id),
                self.config.limits.tmpfs_bytes,
                self.disk,
                self.config.local.isolation.sandbox_account(),
            )
            .map_err(|err| {
                Failure::new(
                    Code::Internal,
                    format!("cannot create the sandbox's files: {err}"),
                )
            })?;
            let now = Instant::now();
            if let Some(dir) = &working_dir {
                files.make_dir(dir).map_err(|err| {
                    Failure::new(
                        Code::Internal,
                        format!("cannot make the working directory {dir}: {err}"),
                    )
                })?;
            }
            let sandbox = Arc::new(Sandbox {
                id: id.clone(),
                image,
                env: new.env,
                working_dir,
                spec: new.spec,
                files,
                cgroup,
                status: Mutex::new(SandboxStatus::Creating),
                last_used: Mutex::new(now),
                ends_at: now + lifetime,
                stopped: CancellationToken::new(),
                busy: RwLock::new(()),
            });
            live.insert(id, sandbox.clone());
            sandbox
        };
        tracing::info!(sandbox = %sandbox.id, image = %sandbox.image, tags = ?new.tags, "started");
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
            let mut current = creating
                .status
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if *current == SandboxStatus::Creating {
                *current = status;
            }
        });
        let _ = tokio::time::timeout(START_WAIT, created).await;
        Ok((sandbox.id.clone(), sandbox.view()))
    }

    /// A live sandbox (Connect: a stopped one is not found).
    pub(crate) fn get(&self, request: GetRequest) -> Result<GetResponse, Failure> {
        let sandbox = self.find(&request.sandbox_id)?;
        Ok(GetResponse {
            sandbox_status: sandbox.status(),
            ..GetResponse::default()
        })
    }

    /// A sandbox, live or ended a short while ago.
    pub(crate) fn view(&self, id: &str) -> Result<View, Failure> {
        if let Ok(sandbox) = self.find(id) {
            return Ok(sandbox.view());
        }
        self.gone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .map(|gone| gone.view.clone())
            .ok_or_else(|| not_found(id))
    }

    pub(crate) fn add_file(&self, request: AddFileRequest) -> Result<SuccessResponse, Failure> {
        match self.write_file(
            &request.sandbox_id,
            &request.filepath,
            &request.file_contents,
        )? {
            Ok(()) => Ok(SuccessResponse::succeeded()),
            Err(WriteFailure::Failed(reason) | WriteFailure::NoRoom(reason)) => {
                Ok(SuccessResponse::failed(reason))
            }
            Err(WriteFailure::Refused(reason)) => Err(Failure::new(Code::InvalidArgument, reason)),
        }
    }

    /// Writes a file in a running sandbox. Blocks.
    pub(crate) fn write_file(
        &self,
        id: &str,
        path: &str,
        contents: &[u8],
    ) -> Result<Result<(), WriteFailure>, Failure> {
        let sandbox = self.find(id)?;
        sandbox.ensure_running()?;
        Ok(sandbox.files.write(path, contents))
    }

    pub(crate) fn retrieve_file(
        &self,
        request: RetrieveFileRequest,
    ) -> Result<RetrieveFileResponse, Failure> {
        Ok(
            match self.read_file(&request.sandbox_id, &request.filepath)? {
                Ok(file_contents) => RetrieveFileResponse {
                    file_contents,
                    success: true,
                    error_message: String::new(),
                },
                Err(failure) => RetrieveFileResponse {
                    error_message: failure.message,
                    ..RetrieveFileResponse::default()
                },
            },
        )
    }

    /// Reads a file of a running sandbox. Blocks.
    pub(crate) fn read_file(
        &self,
        id: &str,
        path: &str,
    ) -> Result<Result<Vec<u8>, ReadFailure>, Failure> {
        let sandbox = self.find(id)?;
        sandbox.ensure_running()?;
        Ok(sandbox.files.read(path, RETRIEVE_LIMIT))
    }

    pub(crate) async fn exec(&self, request: ExecRequest) -> Result<ExecResponse, Failure> {
        let argv: Vec<String> = request.command.into_iter().chain(request.args).collect();
        let requested = u64::try_from(request.max_timeout_seconds)
            .ok()
            .filter(|seconds| *seconds > 0)
            .map(Duration::from_secs);
        let output = self
            .run(&request.sandbox_id, argv, &[], requested, None)
            .await?;
        match output.ending {
            CommandEnding::Exited(exit_code) => Ok(ExecResponse {
                result: ExecResult {
                    stdout: output.stdout,
                    stderr: output.stderr,
                    exit_code,
                },
            }),
            _ => unreachable!("run fails unless the command exited"),
        }
    }

    /// Runs a command in a running sandbox, with the sandbox's environment and then
    /// `env`, for at most `timeout` (the server's limit when `None`), its output also
    /// sent to `sink` as it comes. A command that does not exit by itself is an
    /// error: past its time (`deadline_exceeded`), past the files' quota
    /// (`resource_exhausted`), or stopped with its sandbox (`aborted`).
    pub(crate) async fn run(
        &self,
        id: &str,
        argv: Vec<String>,
        env: &[(String, String)],
        timeout: Option<Duration>,
        sink: Option<OutputSink>,
    ) -> Result<CommandOutput, Failure> {
        let sandbox = self.find(id)?;
        sandbox.ensure_running()?;
        for (name, value) in env {
            check_variable(name, value).map_err(|why| Failure::new(Code::InvalidArgument, why))?;
        }
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
        let requested = timeout.unwrap_or(self.config.exec_timeout);
        let limits = Limits {
            timeout: requested.min(remaining).min(self.config.exec_timeout),
            ..self.config.limits.clone()
        };
        let cancel = sandbox.stopped.child_token();
        let over_quota = Arc::new(AtomicBool::new(false));
        // A tmpfs refuses what is past the quota by itself.
        let watchdog = (!sandbox.files.bounded_by_kernel()).then(|| {
            tokio::spawn(watch_quota(
                sandbox.clone(),
                cancel.clone(),
                over_quota.clone(),
            ))
        });
        let writable = sandbox.files.writable_dirs();
        let holder = sandbox.files.holder();
        let shm = sandbox.files.shm_dir();
        let env: Vec<(String, String)> = sandbox.env.iter().chain(env).cloned().collect();
        let command = SandboxCommand {
            image: &sandbox.image,
            argv: &argv,
            writable: &writable,
            shm: shm.as_deref(),
            env: &env,
            working_dir: sandbox.working_dir.as_deref(),
            cgroup: sandbox.cgroup.as_ref(),
            mounts: holder.as_deref(),
        };
        let output = self
            .backend
            .run_command(&command, &limits, &cancel, sink)
            .await;
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        sandbox.touch();
        let output = output.map_err(|reason| Failure::new(Code::Internal, reason))?;
        match output.ending {
            CommandEnding::Exited(_) => Ok(output),
            CommandEnding::TimedOut => Err(Failure::new(
                Code::DeadlineExceeded,
                format!(
                    "the command ran past its limit of {} s and was killed",
                    limits.timeout.as_secs_f64()
                ),
            )
            .with_reason(reason::COMMAND_TIMEOUT)),
            CommandEnding::Cancelled if over_quota.load(Ordering::Relaxed) => Err(Failure::new(
                Code::ResourceExhausted,
                format!(
                    "the sandbox's files passed {} MiB; the command was killed",
                    self.config.limits.tmpfs_bytes / (1024 * 1024)
                ),
            )),
            CommandEnding::MemoryLimit => Err(Failure::new(
                Code::ResourceExhausted,
                format!(
                    "the sandbox's processes together passed its memory limit of {} MiB; \
                     all of them were killed",
                    limits.memory_bytes / (1024 * 1024)
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
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&request.sandbox_id)
            .ok_or_else(|| not_found(&request.sandbox_id))?;
        Ok(match self.remove(&sandbox, "stopped").await {
            Ok(()) => SuccessResponse::succeeded(),
            Err(reason) => SuccessResponse::failed(reason),
        })
    }

    /// Deletes a sandbox: ends its commands and removes its files. A sandbox deleted
    /// a short while ago is deleted already; its final state is the answer.
    pub(crate) async fn delete(&self, id: &str) -> Result<View, Failure> {
        let removed = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        let Some(sandbox) = removed else {
            return self.view(id);
        };
        let removed = self.remove(&sandbox, "stopped").await;
        let mut view = sandbox.view();
        if let Err(reason) = removed {
            view.reason = Some(reason);
        }
        Ok(view)
    }

    /// Ends the commands of a sandbox already out of `live`, and removes its files.
    async fn remove(&self, sandbox: &Arc<Sandbox>, why: &str) -> Result<(), String> {
        sandbox.stopped.cancel();
        *sandbox
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = SandboxStatus::Terminated;
        self.remember(
            &sandbox.id,
            View {
                status: SandboxStatus::Terminated,
                reason: Some(why.to_owned()),
                spec: sandbox.spec.clone(),
            },
        );
        let _idle = sandbox.busy.write().await;
        // However deep the sandbox made its tree, on a thread of its own; and its
        // cgroup, once whatever it left running is gone.
        let ending = sandbox.clone();
        let removed = tokio::task::spawn_blocking(move || {
            let cgroup = ending.cgroup.as_ref().map_or(Ok(()), Cgroup::remove);
            let files = ending
                .files
                .remove()
                .map_err(|err| format!("cannot remove the sandbox's files: {err}"));
            cgroup.and(files)
        })
        .await
        .unwrap_or_else(|panicked| Err(panicked.to_string()));
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
            let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
            let ids: Vec<(String, &str)> = live
                .values()
                .filter_map(|sandbox| {
                    let idle = now.duration_since(
                        *sandbox
                            .last_used
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner),
                    );
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

    /// Keeps the final state of a sandbox that ended, for [`GONE_TTL`].
    fn remember(&self, id: &str, view: View) {
        let now = Instant::now();
        let mut gone = self.gone.lock().unwrap_or_else(PoisonError::into_inner);
        gone.retain(|_, gone| now.duration_since(gone.at) < GONE_TTL);
        if gone.len() >= GONE_MAX
            && let Some(oldest) = gone
                .iter()
                .min_by_key(|(_, gone)| gone.at)
                .map(|(id, _)| id.clone())
        {
            gone.remove(&oldest);
        }
        gone.insert(id.to_owned(), Gone { view, at: now });
    }

    /// Stops every sandbox.
    pub(crate) async fn stop_all(&self) {
        let all: Vec<Arc<Sandbox>> = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, s)| s)
            .collect();
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

fn not_found(id: &str) -> Failure {
    Failure::new(Code::NotFound, format!("no sandbox {id:?}"))
        .with_reason(reason::SANDBOX_NOT_FOUND)
}

/// A working directory a sandbox may have: in `/tmp`, where it is made.
fn working_dir(dir: &str) -> Result<String, Failure> {
    let refuse = |why: String| Failure::new(Code::InvalidArgument, why);
    let normal = aviato_sandbox::writable_path(dir).map_err(refuse)?;
    if normal == "/tmp" || normal.starts_with("/tmp/") {
        Ok(normal)
    } else {
        Err(refuse(format!(
            "working_dir {dir:?}: this server gives a sandbox a working directory in /tmp only"
        )))
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

/// What bounds the sandboxes' files: a tmpfs each, which the server mounts itself
/// as root, and otherwise has a holder process mount in a user namespace (tried
/// once here, in the state directory). Where neither can be made, the files are
/// measured only if the operator accepts it. Blocks.
pub(crate) fn disk(config: &Config) -> Result<Disk, String> {
    let inodes = config.file_inodes;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        tracing::info!(
            inodes,
            "each sandbox's files are a tmpfs of its own, bounded in bytes and inodes"
        );
        return Ok(Disk::Tmpfs { inodes });
    }
    let probe = config
        .state_dir
        .join(format!("probe-{}", std::process::id()));
    let probed = std::fs::create_dir(&probe).and_then(|()| {
        let bound = aviato_sandbox::TmpfsBound {
            bytes: 1024 * 1024,
            inodes: 16,
        };
        aviato_sandbox::MountHolder::spawn(&probe, bound).and_then(|holder| holder.end())
    });
    let _ = std::fs::remove_dir(&probe);
    match probed {
        Ok(()) => {
            tracing::info!(
                inodes,
                "each sandbox's files are a tmpfs of its own, bounded in bytes and inodes, \
                 mounted in a user namespace"
            );
            Ok(Disk::Holder { inodes })
        }
        Err(err) if config.allow_measured_files => {
            tracing::warn!(
                %err,
                "no tmpfs per sandbox (not root, and no user namespace can mount one): the \
                 sandboxes' files are measured, and their inodes are not bounded"
            );
            Ok(Disk::Measured)
        }
        Err(err) => Err(format!(
            "the sandboxes' file quota cannot be enforced by the kernel: not root, and no \
             user namespace can mount a tmpfs ({err}); run as root, allow unprivileged user \
             namespaces, or pass --allow-measured-files"
        )),
    }
}

/// Leftovers of a server that did not shut down: `sb-*` directories, and their
/// tmpfs. Blocks.
pub(crate) fn clear_leftovers(state_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(state_dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("sb-") {
            continue;
        }
        // Not mounted (EINVAL) unless the server was root.
        let _ = crate::tmpfs::unmount(&entry.path());
        if let Err(err) = remove_tree(&entry.path()) {
            tracing::warn!(path = %entry.path().display(), %err, "cannot remove a leftover");
        }
    }
}
