//! `aviato-lsp sandbox-server`: the ATCService protocol of the aviato service, served
//! on this machine's bubblewrap sandboxes, for a team to share.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aviato_exec::CancellationToken;
use aviato_sandbox_server::{
    Config, create_private_state_dir, is_loopback, prepare, prepare_state_dir, private_mounts,
    remove_tree, serve,
};

#[derive(clap::Args)]
#[command(after_help = LIMITS_HELP)]
pub struct Args {
    /// The address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:7001")]
    listen: SocketAddr,
    /// Listen on an address other machines can reach.
    #[arg(long)]
    allow_remote: bool,
    /// Require `Authorization: Bearer TOKEN` on every call. A token on the command
    /// line shows in `ps`: prefer the environment variable, or --token-file.
    #[arg(long, env = "AVIATO_SANDBOX_SERVER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Read the token from the first line of this file.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// The most sandboxes alive at once; Start fails with `resource_exhausted` beyond.
    #[arg(long, default_value_t = 16)]
    max_sandboxes: usize,
    /// The most connections served at once; others are answered `resource_exhausted`.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Close a connection whose client stays silent this many seconds while it sends
    /// a request's headers or body, or between requests.
    #[arg(long, default_value_t = 30)]
    read_timeout: u64,
    /// Stop a sandbox no call has touched for this many seconds.
    #[arg(long, default_value_t = 600)]
    idle_ttl: u64,
    /// The longest a sandbox lives, in seconds.
    #[arg(long, default_value_t = 3600)]
    max_lifetime: u64,
    /// Where the sandboxes' files live: a directory of this user that no one else can
    /// write to, made (mode 0700) if missing. By default a fresh private directory in
    /// $TMPDIR, removed at exit.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// The most MiB of request bodies held at once, across connections; a body past
    /// it is answered `resource_exhausted` (HTTP 429).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    bodies_in_flight_mb: usize,
    /// Memory of each sandbox, all its processes and files together, in MiB.
    #[arg(long, value_name = "MB", default_value_t = 2048)]
    memory_mb: u64,
    /// Where no cgroup can be made, serve anyway, with memory, processes and CPU
    /// limited per process only (rlimits): a sandbox of many processes can then use a
    /// multiple of each. Without it, the server refuses to start.
    #[arg(long)]
    allow_per_process_limits: bool,
    /// Where no tmpfs per sandbox can be made (not root, and no unprivileged user
    /// namespace), serve anyway, measuring the sandboxes' files by walking them: a
    /// command past the size is killed, but a tenant can hide files from the walk,
    /// and inodes are not bounded. Without it, the server refuses to start.
    #[arg(long)]
    allow_measured_files: bool,
}

/// Which limit is enforced by what, as `--help` says it.
const LIMITS_HELP: &str = "\
Limits of each sandbox, enforced by the kernel:
  memory (swap and /tmp files included), processes and threads, CPU bandwidth (1 CPU):
      all the sandbox's commands together, by a cgroup of its own (v1 or v2, whichever
      holds each controller here); the server refuses to start where it cannot make
      one, unless --allow-per-process-limits
  size and inodes of /tmp, the temp_dir and /dev/shm together (256 MiB, 131,072
      files): a tmpfs of the sandbox's own, which the server mounts itself as root,
      and otherwise has a small holder process mount in a user namespace that every
      command of the sandbox joins; where neither can be made the server refuses to
      start, unless --allow-measured-files (then it walks the files, kills a command
      past the size, inodes are not bounded, and each command's /dev/shm is a tmpfs of
      its own, bounded in size only)
  CPU time, address space, file size, per process: rlimits, in addition
  wall-clock time of a command: the server kills it";

pub fn run(args: Args) -> ExitCode {
    if !is_loopback(&args.listen) && !args.allow_remote {
        eprintln!(
            "error: {} is reachable from other machines; pass --allow-remote (with --token) \
             to serve it",
            args.listen
        );
        return ExitCode::from(2);
    }
    if args.memory_mb < crate::run::MIN_MEMORY_MB {
        eprintln!(
            "error: --memory-mb must be at least {}, what Python needs to start",
            crate::run::MIN_MEMORY_MB
        );
        return ExitCode::from(2);
    }
    if [
        args.max_sandboxes,
        args.max_connections,
        args.bodies_in_flight_mb,
    ]
    .contains(&0)
        || [args.idle_ttl, args.max_lifetime, args.read_timeout].contains(&0)
    {
        eprintln!(
            "error: --max-sandboxes, --max-connections, --bodies-in-flight-mb, --idle-ttl, \
             --max-lifetime and --read-timeout must be positive"
        );
        return ExitCode::from(2);
    }
    let token = match (
        args.token.filter(|token| !token.is_empty()),
        &args.token_file,
    ) {
        (Some(_), Some(_)) => {
            eprintln!(
                "error: give the token with --token (or AVIATO_SANDBOX_SERVER_TOKEN) or with \
                 --token-file, not both"
            );
            return ExitCode::from(2);
        }
        (token, None) => token,
        (None, Some(path)) => match read_token(path) {
            Ok(token) => Some(token),
            Err(reason) => {
                eprintln!("error: {reason}");
                return ExitCode::from(2);
            }
        },
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // No colour codes in a log file or a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "aviato_sandbox_server=info".into()),
        )
        .init();
    if !is_loopback(&args.listen) && token.is_none() {
        tracing::warn!(
            "serving other machines without --token: anyone who reaches it can run code"
        );
    }
    let (state_dir, owned) = match args.state_dir {
        Some(dir) => match prepare_state_dir(&dir) {
            Ok(()) => (dir, false),
            Err(reason) => {
                eprintln!("error: {reason}");
                return ExitCode::from(2);
            }
        },
        None => match create_private_state_dir(&std::env::temp_dir()) {
            Ok(dir) => (dir, true),
            Err(err) => {
                eprintln!(
                    "error: cannot make a state directory in {}: {err}; give one with \
                     --state-dir",
                    std::env::temp_dir().display()
                );
                return ExitCode::from(2);
            }
        },
    };
    let mut config = Config::new(state_dir.clone());
    config.token = token;
    config.max_sandboxes = args.max_sandboxes;
    config.max_connections = args.max_connections;
    config.read_timeout = Duration::from_secs(args.read_timeout);
    config.idle_ttl = Duration::from_secs(args.idle_ttl);
    config.max_lifetime = Duration::from_secs(args.max_lifetime);
    config.local.allow_per_process_limits = args.allow_per_process_limits;
    config.allow_measured_files = args.allow_measured_files;
    config.limits.memory_bytes = args.memory_mb.saturating_mul(1024 * 1024);
    config.bodies_in_flight = args.bodies_in_flight_mb.saturating_mul(1024 * 1024);

    if let Err(err) = private_mounts() {
        tracing::warn!(
            %err,
            "no mount namespace of the server's own: a server that is killed leaves its \
             sandboxes' tmpfs mounted"
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let served = runtime.block_on(async {
        // Checked before the address is announced: a server that refuses to
        // start has never listened.
        let prepared = prepare(config).await?;
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let address = listener.local_addr()?;
        // Scripts and tests read the bound port from this line.
        println!("aviato sandbox server listening on http://{address}");
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        serve(listener, prepared, shutdown).await
    });
    if owned {
        let _ = remove_tree(&state_dir);
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

/// The first line of `path`, without the spaces around it.
fn read_token(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read the token file {}: {err}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        return Err(format!("the token file {} is empty", path.display()));
    }
    Ok(token.to_owned())
}

async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
