//! A self-hosted sandbox service, serving sandboxes of this machine's bubblewrap
//! backend so that a team can share one runner host, in two protocols on one port:
//! the Connect-JSON protocol of the aviato service
//! (`coreweave.aviato.v1beta1.ATCService`: Start, Get, AddFile, Exec, RetrieveFile,
//! Stop) over HTTP/1.1, and gRPC `coreweave.sandbox.v1.SandboxService` as the
//! `cwsandbox` SDK calls it (CreateSandbox, GetSandbox, WriteFile, StreamExec,
//! ReadFile, DeleteSandbox) over cleartext HTTP/2.
//!
//! A sandbox is a directory of files, its private `/tmp`; each Exec runs in a fresh
//! bubblewrap sandbox with those files bound in and the local backend's isolation and
//! limits. Stop ends its commands and removes its files.

mod budget;
mod files;
mod grpc;
mod http;
mod sandboxes;
mod state;
mod tmpfs;
mod tree;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aviato_protocol::connect::Code;
use aviato_sandbox::{CancellationToken, Limits, LocalConfig};

use crate::sandboxes::Sandboxes;
pub use crate::state::{create_private_state_dir, prepare_state_dir};
pub use crate::tmpfs::private_mounts;
pub use crate::tree::remove_tree;

/// Settings of a server.
#[derive(Clone)]
pub struct Config {
    /// Requests must carry `Authorization: Bearer TOKEN` when set.
    pub token: Option<String>,
    pub max_sandboxes: usize,
    /// A sandbox no call has touched for this long is stopped.
    pub idle_ttl: Duration,
    /// The longest a sandbox lives; Start's `maxLifetimeSeconds` may ask for less.
    pub max_lifetime: Duration,
    /// The longest one Exec runs; Exec's `maxTimeoutSeconds` may ask for less.
    pub exec_timeout: Duration,
    /// Where the sandboxes' files live: a directory of the server's user that no one
    /// else can write to (see [`prepare_state_dir`]); made if it does not exist.
    pub state_dir: PathBuf,
    /// Each command's limits; `tmpfs_bytes` also bounds a sandbox's files.
    pub limits: Limits,
    /// The most files and directories a sandbox may have (its tmpfs bounds them).
    pub file_inodes: u64,
    /// Where no tmpfs per sandbox can be made (not root, and no user namespace),
    /// serve anyway, measuring the files by walking them, their inodes unbounded.
    pub allow_measured_files: bool,
    /// The most connections served at once; others are answered
    /// `resource_exhausted` and closed.
    pub max_connections: usize,
    /// The longest a client may stay silent while it sends a request's headers or
    /// body, or between requests on a kept-alive connection.
    pub read_timeout: Duration,
    /// The most bytes of request bodies held at once, across connections; a body
    /// past it is answered `resource_exhausted` (HTTP 429).
    pub bodies_in_flight: usize,
    pub local: LocalConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("max_sandboxes", &self.max_sandboxes)
            .field("idle_ttl", &self.idle_ttl)
            .field("max_lifetime", &self.max_lifetime)
            .field("exec_timeout", &self.exec_timeout)
            .field("state_dir", &self.state_dir)
            .field("limits", &self.limits)
            .field("file_inodes", &self.file_inodes)
            .field("allow_measured_files", &self.allow_measured_files)
            .field("max_connections", &self.max_connections)
            .field("read_timeout", &self.read_timeout)
            .field("bodies_in_flight", &self.bodies_in_flight)
            .field("local", &self.local)
            .finish()
    }
}

impl Config {
    pub fn new(state_dir: PathBuf) -> Self {
        Self {
            token: None,
            max_sandboxes: 16,
            idle_ttl: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            exec_timeout: Duration::from_secs(600),
            state_dir,
            limits: Limits::default(),
            file_inodes: 131_072,
            allow_measured_files: false,
            max_connections: 256,
            read_timeout: Duration::from_secs(30),
            bodies_in_flight: 256 * 1024 * 1024,
            local: LocalConfig {
                // Fail closed: limits per process alone only when the operator says so.
                allow_per_process_limits: false,
                ..LocalConfig::default()
            },
        }
    }
}

/// A failed call, answered as a Connect error or a gRPC status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: Code,
    pub message: String,
    /// The `CWSANDBOX_*` reason a gRPC client is told, in an `ErrorInfo`.
    pub reason: Option<&'static str>,
}

impl Failure {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            reason: None,
        }
    }

    pub(crate) fn with_reason(self, reason: &'static str) -> Self {
        Self {
            reason: Some(reason),
            ..self
        }
    }
}

/// A server ready to serve: its state directory made and cleared of leftovers,
/// and the kernel's means for its limits found.
pub struct Prepared {
    config: Config,
    disk: files::Disk,
}

/// Prepares a server for `config`; an error when a limit it asks for cannot be
/// enforced (and was not allowed to be bounded otherwise).
pub async fn prepare(config: Config) -> std::io::Result<Prepared> {
    prepare_state_dir(&config.state_dir).map_err(std::io::Error::other)?;
    match aviato_sandbox::cgroup_support() {
        Ok(()) => tracing::info!(
            "memory (swap included), processes and CPU are bounded per sandbox by its cgroup"
        ),
        Err(reason) if config.local.allow_per_process_limits => tracing::warn!(
            %reason,
            "memory, processes and CPU are bounded per process only (rlimits): a sandbox of \
             many processes can use a multiple of them"
        ),
        Err(reason) => {
            return Err(std::io::Error::other(format!(
                "the sandboxes' memory, process and CPU limits cannot be enforced: {reason}; \
                 run as a user who may make cgroups, or pass --allow-per-process-limits"
            )));
        }
    }
    tracing::info!(state_dir = %config.state_dir.display(), "the sandboxes' files are kept here");
    let state_dir = config.state_dir.clone();
    tokio::task::spawn_blocking(move || sandboxes::clear_leftovers(&state_dir))
        .await
        .map_err(std::io::Error::other)?;
    let probing = config.clone();
    let disk = tokio::task::spawn_blocking(move || sandboxes::disk(&probing))
        .await
        .map_err(std::io::Error::other)?
        .map_err(std::io::Error::other)?;
    Ok(Prepared { config, disk })
}

/// Serves `listener` until `shutdown` is cancelled, then stops every sandbox.
pub async fn serve(
    listener: tokio::net::TcpListener,
    Prepared { config, disk }: Prepared,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let idle_check = config.idle_ttl.min(Duration::from_secs(1));
    let token = config.token.clone();
    let budget = budget::Budget::new(config.bodies_in_flight);
    let bounds = http::Bounds {
        max_connections: config.max_connections,
        read_timeout: config.read_timeout,
    };
    let sandboxes = Arc::new(Sandboxes::new(config, disk));
    let reaper = {
        let sandboxes = sandboxes.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(idle_check).await;
                sandboxes.reap().await;
            }
        })
    };
    let server = Arc::new(http::Server::new(
        sandboxes.clone(),
        token,
        bounds.read_timeout,
        budget,
    ));
    let served = http::accept(listener, server, bounds, shutdown).await;
    reaper.abort();
    sandboxes.stop_all().await;
    served
}

/// Whether `addr` may be listened on without `--allow-remote`.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
