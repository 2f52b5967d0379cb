//! Starting bubblewrap, feeding the runner, capturing what comes out, and making sure
//! nothing of the sandbox outlives the run.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use super::cgroup::Cgroup;
use super::command::{OutputChunk, OutputSink, OutputStream};
use super::mounts::ChildMounts;
use crate::{Limits, RESULT_FD};

/// The most the result channel may carry; the runner's report is far smaller.
const CHANNEL_LIMIT: usize = 8 * 1024 * 1024;

/// How often a sandbox's cgroup is asked whether the kernel killed one of its
/// processes for memory.
const OOM_CHECK: Duration = Duration::from_millis(100);

/// How long the output pipes may stay open once the sandbox has exited. They close
/// with its last process, which the end of its pid namespace takes down at once.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The same when the output is streamed: what is left in the pipes must also reach
/// a reader that may be slower than the sandbox.
const STREAMED_DRAIN_GRACE: Duration = Duration::from_secs(30);

/// What a sandbox starts in, besides its own namespaces: its cgroup, and the
/// namespaces of its tmpfs mounts.
#[derive(Debug, Default)]
pub(crate) struct Enclosure<'a> {
    pub cgroup: Option<&'a Cgroup>,
    pub mounts: Option<ChildMounts>,
}

#[derive(Debug, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(ExitStatus),
    TimedOut,
    Cancelled,
    /// The sandbox's processes together passed its memory limit: the kernel killed
    /// one of them, and the rest were killed with it.
    MemoryLimit,
}

#[derive(Debug)]
pub struct Finished {
    pub ending: Ending,
    pub stdout: Captured,
    pub stderr: Captured,
    pub channel: Captured,
    pub duration: Duration,
}

/// Runs `bwrap args`, writes `input` to its stdin, and waits for the sandbox to end,
/// killing it at the wall-clock limit or on cancellation. The sandbox is also killed
/// if this future is dropped. Spawn it from a runtime worker, not a blocking-pool
/// thread: `--die-with-parent` follows the spawning thread. With a `cgroup`,
/// bubblewrap joins it before it runs, and everything it starts belongs to it.
/// With `mounts`, bubblewrap starts in the namespaces that hold the sandbox's tmpfs
/// mounts (see mounts.rs).
///
/// Each piece of stdout and stderr goes to `sink` as it is read
/// (all of it: the output limit bounds only what is kept). A full sink holds the
/// sandbox's output back, and with it the sandbox.
pub(crate) async fn supervise_streaming(
    bwrap: &Path,
    args: &[OsString],
    input: &[u8],
    limits: &Limits,
    cancel: &CancellationToken,
    enclosure: Enclosure<'_>,
    sink: Option<OutputSink>,
) -> io::Result<Finished> {
    let Enclosure { cgroup, mounts } = enclosure;
    let streamed = sink.is_some();
    let join = cgroup.map(Cgroup::join_paths).unwrap_or_default();
    let oom_kills_before = cgroup.map_or(0, Cgroup::oom_kills);
    let (host_end, sandbox_end) = std::os::unix::net::UnixStream::pair()?;
    let sandbox_fd = sandbox_end.as_raw_fd();
    let rlimits = rlimits(limits);
    let mut command = Command::new(bwrap);
    command
        .args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: the closure only calls async-signal-safe functions (open, write,
    // close, unshare, setns, mount, dup2, fcntl, close_range, getrlimit, setrlimit)
    // on values computed before the fork.
    unsafe {
        command.pre_exec(move || prepare_child(sandbox_fd, &rlimits, &join, mounts.as_ref()));
    }

    let start = Instant::now();
    let mut child = command.spawn()?;
    drop(sandbox_end);
    host_end.set_nonblocking(true)?;
    let channel = tokio::net::UnixStream::from_std(host_end)?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        unreachable!("all three streams are piped");
    };
    let output_limit = limits.output_bytes;
    // Dropped with this future or after the grace period: its end of the result
    // channel then closes, which a sandboxed command may watch (see command.rs).
    let mut readers = AbortOnDrop(tokio::spawn(async move {
        let tee = |stream| sink.clone().map(|sink| (sink, stream));
        tokio::join!(
            read_capped(stdout, output_limit, tee(OutputStream::Stdout)),
            read_capped(stderr, output_limit, tee(OutputStream::Stderr)),
            read_capped(channel, CHANNEL_LIMIT, None),
        )
    }));

    let feed = async move {
        // A runner that died early closes its stdin; the error says nothing more.
        let _ = stdin.write_all(input).await;
    };
    let wait = async {
        let stopped = tokio::select! {
            status = child.wait() => Ok(status?),
            () = tokio::time::sleep(limits.timeout) => Err(Ending::TimedOut),
            () = cancel.cancelled() => Err(Ending::Cancelled),
            () = out_of_memory(cgroup, oom_kills_before) => Err(Ending::MemoryLimit),
        };
        let ending = match stopped {
            Ok(status) => Ending::Exited(status),
            Err(ending) => {
                child.start_kill()?;
                child.wait().await?;
                ending
            }
        };
        // A process the kernel killed for memory may have taken the runner down
        // before the watch above saw it.
        let ending = match ending {
            Ending::Exited(status)
                if !status.success()
                    && cgroup.is_some_and(|cgroup| cgroup.oom_kills() > oom_kills_before) =>
            {
                Ending::MemoryLimit
            }
            ending => ending,
        };
        io::Result::Ok((ending, start.elapsed()))
    };
    let ((), waited) = tokio::join!(feed, wait);
    let (ending, duration) = waited?;

    let killed = !matches!(ending, Ending::Exited(_));
    let grace = if streamed && !killed {
        STREAMED_DRAIN_GRACE
    } else {
        DRAIN_GRACE
    };
    let (stdout, stderr, channel) = match tokio::time::timeout(grace, &mut readers.0).await {
        Ok(joined) => joined.map_err(io::Error::other)?,
        // Killed while bubblewrap was still setting the sandbox up: what runs there
        // ends once the readers let go of the result channel (see
        // command.rs), and the run ended as it was made to.
        Err(_) if killed => Default::default(),
        Err(_) => {
            return Err(io::Error::other(
                "the sandbox's output stayed open after it exited",
            ));
        }
    };
    Ok(Finished {
        ending,
        stdout,
        stderr,
        channel,
        duration,
    })
}

/// Returns once the kernel has killed a process of `cgroup` for memory, having
/// killed every other process in it; never without a cgroup.
async fn out_of_memory(cgroup: Option<&Cgroup>, before: u64) {
    let Some(cgroup) = cgroup else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(OOM_CHECK).await;
        if cgroup.oom_kills() > before {
            cgroup.kill_all();
            return;
        }
    }
}

/// A task that ends when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Rlimit = (libc::__rlimit_resource_t, libc::rlim_t, libc::rlim_t);

/// Limits set on bubblewrap and inherited by everything in the sandbox. The process
/// limit is not among them: see enter_sandbox.py.
fn rlimits(limits: &Limits) -> [Rlimit; 4] {
    [
        // SIGXCPU at the soft limit, SIGKILL a second later.
        (
            libc::RLIMIT_CPU,
            limits.cpu_seconds,
            limits.cpu_seconds.saturating_add(1),
        ),
        (libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (
            libc::RLIMIT_FSIZE,
            limits.file_size_bytes,
            limits.file_size_bytes,
        ),
        // A crash must not reach the host's core dump handler.
        (libc::RLIMIT_CORE, 0, 0),
    ]
}

/// In the forked child, before `exec`: its cgroup joined (so that bubblewrap and all
/// it starts are in it from their first instruction), then its tmpfs mounts made or
/// joined, the result channel at fd 3,
/// every other descriptor above the standard streams closed on `exec`, and the
/// limits.
fn prepare_child(
    sandbox_fd: RawFd,
    rlimits: &[Rlimit],
    join: &[CString],
    mounts: Option<&ChildMounts>,
) -> io::Result<()> {
    // SAFETY: plain system calls on file descriptors and limits of this process.
    unsafe {
        for procs in join {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // `0` is the writing process.
            let written = libc::write(fd, b"0".as_ptr().cast(), 1);
            libc::close(fd);
            if written != 1 {
                return Err(io::Error::last_os_error());
            }
        }
        if let Some(mounts) = mounts {
            mounts.apply()?;
        }
        if sandbox_fd == RESULT_FD {
            let flags = libc::fcntl(RESULT_FD, libc::F_GETFD);
            if flags < 0 || libc::fcntl(RESULT_FD, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(io::Error::last_os_error());
            }
        } else if libc::dup2(sandbox_fd, RESULT_FD) < 0 {
            return Err(io::Error::last_os_error());
        }
        close_on_exec_above(RESULT_FD)?;
        for &(resource, soft, hard) in rlimits {
            let limit = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(resource, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Marks every descriptor above `last_kept` close-on-exec, so that nothing the
/// launching process holds open (a file, a socket, a pipe another thread has just
/// made without `O_CLOEXEC`) passes through bubblewrap into the sandbox. They are
/// marked rather than closed: the standard library reports a failed `exec` through a
/// close-on-exec pipe of its own among them.
///
/// Runs between `fork` and `exec`: async-signal-safe calls only.
pub(super) unsafe fn close_on_exec_above(last_kept: RawFd) -> io::Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    let first = (last_kept + 1) as libc::c_uint;
    // SAFETY: close_range only changes this process's descriptor table.
    let marked = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    };
    if marked == 0 {
        return Ok(());
    }
    // Before Linux 5.11: one descriptor at a time, up to the descriptor limit.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into `limit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let end = RawFd::try_from(limit.rlim_cur.min(1 << 20)).unwrap_or(1 << 20);
    for fd in first as RawFd..end {
        // SAFETY: fcntl on a descriptor that may not be open fails with EBADF.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
            // SAFETY: as above.
            if unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Reads to the end, keeping the first `limit` bytes, and sending every piece to
/// `tee` while it listens.
async fn read_capped(
    mut reader: impl AsyncRead + Unpin,
    limit: usize,
    mut tee: Option<(OutputSink, OutputStream)>,
) -> Captured {
    let mut captured = Captured::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return captured,
            Ok(read) => {
                if let Some((sink, stream)) = &tee {
                    let chunk = OutputChunk {
                        stream: *stream,
                        bytes: buffer[..read].to_vec(),
                    };
                    if sink.send(chunk).await.is_err() {
                        tee = None;
                    }
                }
                let room = limit - captured.bytes.len();
                if read > room {
                    captured.truncated = true;
                }
                captured.bytes.extend_from_slice(&buffer[..read.min(room)]);
            }
        }
    }
}
