//! Any command in a local sandbox, for a sandbox server: the isolation and limits of a
//! run, with directories of the host bound writable in their place (the sandbox's
//! `/tmp` and `/dev/shm`), so that files outlive one command.

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::bwrap::{
    Arguments, MOUNTED, Private, Program, SYSTEM_DIRS, enterable_ancestors, environment_arguments,
    interpreter_arguments, private_dir, program_arguments, system_arguments,
};
use super::cgroup::Cgroup;
use super::interpreter::Interpreter;
use super::mounts::{ChildMounts, MountHolder};
use super::process::{self, Ending};
use super::{Isolation, LocalSandbox, bwrap_takes_size};
use crate::Limits;

/// Where `python`, `python3` and `pythonX.Y` are found first in a command's sandbox.
const PYTHON_LINKS: &str = "/run/aviato/bin";

/// Becomes the command, once enter_sandbox.py has set the sandbox up.
const LAUNCHER: &str = "\
import os, sys
os.close(3)
argv = sys.argv[1:]
try:
    os.execvp(argv[0], argv)
except OSError as error:
    sys.stderr.write('%s: %s\\n' % (argv[0], error.strerror))
    sys.exit(127 if isinstance(error, FileNotFoundError) else 126)
";

/// A host directory bound writable into the sandbox. The host directory must be
/// writable by the sandbox's account (mode 1777 serves any host user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritableDir {
    pub host: PathBuf,
    /// An absolute path that [`writable_path`] accepts.
    pub sandbox: String,
}

/// One command to run in a fresh local sandbox.
#[derive(Debug, Clone, Copy)]
pub struct SandboxCommand<'a> {
    /// The container image it stands for: it picks the interpreter, as for a run.
    pub image: &'a str,
    /// The argv; `python` names the image's interpreter.
    pub argv: &'a [String],
    /// Bound in their place; `/tmp` is a private tmpfs unless one of them is `/tmp`.
    pub writable: &'a [WritableDir],
    /// A host directory bound at `/dev/shm`, on a tmpfs bounded in bytes and inodes
    /// (the sandbox's files' own, say); when `None`, `/dev/shm` is a private tmpfs
    /// of bubblewrap's, bounded in bytes only.
    pub shm: Option<&'a Path>,
    /// Set after the sandbox's own `PATH`, `HOME` and `LANG`, which they may replace.
    pub env: &'a [(String, String)],
    /// The command's working directory; `/tmp` when `None`. It must exist in the
    /// sandbox (in one of the `writable` directories, say).
    pub working_dir: Option<&'a str>,
    /// The cgroup of the sandbox, which bounds all its commands together; without
    /// one, each command's processes have per-process limits alone.
    pub cgroup: Option<&'a Cgroup>,
    /// The holder of the tmpfs the `writable` directories are on, whose namespaces
    /// the command starts in: there, and only there, they are that tmpfs.
    pub mounts: Option<&'a MountHolder>,
}

/// Which of a command's outputs a chunk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// A piece of a command's output, as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    pub stream: OutputStream,
    pub bytes: Vec<u8>,
}

/// Where a command's output goes while it runs.
pub type OutputSink = tokio::sync::mpsc::Sender<OutputChunk>;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandEnding {
    /// Its exit status, or 128 + the signal that ended it, as a shell reports it.
    Exited(i32),
    TimedOut,
    Cancelled,
    /// The sandbox's processes together passed its memory limit; all were killed.
    MemoryLimit,
}

#[derive(Debug, Clone)]
pub struct CommandOutput {
    pub ending: CommandEnding,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub duration: Duration,
}

/// `path` normalized, if a sandbox may have it bound writable: absolute, without
/// `..`, and outside the directories every sandbox mounts read-only.
pub fn writable_path(path: &str) -> Result<String, String> {
    let mut normal = PathBuf::from("/");
    if !path.starts_with('/') {
        return Err(format!("{path:?} is not an absolute path"));
    }
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => normal.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(format!("{path:?} must not contain `..`"));
            }
        }
    }
    let system = normal == Path::new("/")
        || MOUNTED
            .iter()
            .chain(&SYSTEM_DIRS)
            .chain(&["/run/aviato"])
            .any(|dir| normal.starts_with(dir));
    if system {
        return Err(format!(
            "{path:?} lies in the sandbox's read-only system directories"
        ));
    }
    Ok(normal.to_string_lossy().into_owned())
}

impl LocalSandbox {
    /// The interpreter that stands in for `image`, described (`Python 3.11 at PATH`),
    /// or why there is none.
    pub async fn interpreter_for(&self, image: &str) -> Result<String, String> {
        let selection = self.select(image).await?;
        let interpreter = selection.interpreter;
        let mut description = format!(
            "Python {} at {}",
            interpreter.version,
            interpreter.executable.display()
        );
        if let Some(note) = selection.note {
            description.push_str(&format!(" ({note})"));
        }
        Ok(description)
    }

    /// Runs `command` in a fresh sandbox with `limits`, killing it at the wall-clock
    /// limit, on cancellation, or when this future is dropped. With a `sink`, its
    /// stdout and stderr also go there as they come, all of them (the output limit
    /// bounds only what [`CommandOutput`] keeps).
    pub async fn run_command(
        &self,
        command: &SandboxCommand<'_>,
        limits: &Limits,
        cancel: &CancellationToken,
        sink: Option<OutputSink>,
    ) -> Result<CommandOutput, String> {
        if command.argv.is_empty() {
            return Err("the command is empty".to_owned());
        }
        let bwrap = self.bubblewrap()?;
        let tmpfs_size = bwrap_takes_size(&bwrap)
            .await?
            .then_some(limits.tmpfs_bytes);
        let interpreter = self.select(command.image).await?.interpreter;
        let isolation = self.isolation();
        let arguments = command_arguments(
            command,
            &interpreter,
            isolation,
            tmpfs_size,
            command.cgroup.is_none().then_some(limits.processes),
        )?;
        let finished = process::supervise_streaming(
            &bwrap,
            &arguments,
            b"",
            limits,
            cancel,
            process::Enclosure {
                cgroup: command.cgroup,
                mounts: command
                    .mounts
                    .map(|holder| ChildMounts::Join(holder.join())),
            },
            sink,
        )
        .await
        .map_err(|err| format!("cannot run the sandbox: {err}"))?;
        let ending = match finished.ending {
            Ending::Exited(status) => CommandEnding::Exited(
                status
                    .code()
                    .or_else(|| status.signal().map(|signal| 128 + signal))
                    .unwrap_or(-1),
            ),
            Ending::TimedOut => CommandEnding::TimedOut,
            Ending::Cancelled => CommandEnding::Cancelled,
            Ending::MemoryLimit => CommandEnding::MemoryLimit,
        };
        Ok(CommandOutput {
            ending,
            stdout: finished.stdout.bytes,
            stderr: finished.stderr.bytes,
            stdout_truncated: finished.stdout.truncated,
            stderr_truncated: finished.stderr.truncated,
            duration: finished.duration,
        })
    }
}

/// Whether an environment variable can be set: a name without `=` or NUL, a value
/// without NUL.
pub fn check_variable(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(format!(
            "{name:?} cannot name an environment variable (empty, or with `=` or NUL)"
        ));
    }
    if value.contains('\0') {
        return Err(format!(
            "the value of the environment variable {name} contains a NUL byte"
        ));
    }
    Ok(())
}

fn command_arguments(
    command: &SandboxCommand<'_>,
    interpreter: &Interpreter,
    isolation: Isolation,
    tmpfs_size: Option<u64>,
    processes: Option<u64>,
) -> Result<Vec<std::ffi::OsString>, String> {
    let mut args = Arguments::default();
    let shm = command
        .shm
        .map_or(Private::Tmpfs(tmpfs_size), Private::Bind);
    system_arguments(&mut args, isolation, shm)?;
    let mut writable: Vec<&WritableDir> = command.writable.iter().collect();
    writable.sort_by(|a, b| a.sandbox.cmp(&b.sandbox));
    if !writable.iter().any(|dir| dir.sandbox == "/tmp") {
        private_dir(&mut args, Private::Tmpfs(tmpfs_size), "/tmp");
    }
    for dir in writable {
        let sandbox = writable_path(&dir.sandbox)?;
        let prefix = &interpreter.prefix;
        if prefix.starts_with(&sandbox) || Path::new(&sandbox).starts_with(prefix) {
            return Err(format!(
                "{sandbox} cannot be written in this sandbox: the interpreter lives at {}",
                prefix.display()
            ));
        }
        enterable_ancestors(&mut args, Path::new(&sandbox));
        args.push([
            OsStr::new("--bind"),
            dir.host.as_os_str(),
            OsStr::new(&sandbox),
        ]);
    }
    interpreter_arguments(&mut args, interpreter);
    let executable = interpreter.executable.as_os_str();
    args.push(["--dir", PYTHON_LINKS]);
    for name in [
        "python".to_owned(),
        "python3".to_owned(),
        format!("python{}", interpreter.version),
    ] {
        let link = format!("{PYTHON_LINKS}/{name}");
        args.push([OsStr::new("--symlink"), executable, OsStr::new(&link)]);
    }
    let working_dir = match command.working_dir {
        Some(dir) => writable_path(dir)?,
        None => "/tmp".to_owned(),
    };
    args.push(["--remount-ro", "/", "--chdir", &working_dir, "--clearenv"]);
    environment_arguments(&mut args, interpreter, Some(PYTHON_LINKS));
    for (name, value) in command.env {
        check_variable(name, value)?;
        args.push(["--setenv", name, value]);
    }
    let argv: Vec<&str> = command.argv.iter().map(String::as_str).collect();
    program_arguments(
        &mut args,
        interpreter,
        isolation,
        processes,
        &Program {
            flags: &["-I", "-S"],
            source: LAUNCHER,
            writable_dirs: &["/dev/shm".to_owned(), "/tmp".to_owned()],
            argv: &argv,
        },
    );
    Ok(args.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(writable: &[WritableDir], isolation: Isolation) -> Result<Vec<String>, String> {
        arguments_with_shm(writable, None, isolation)
    }

    fn arguments_with_shm(
        writable: &[WritableDir],
        shm: Option<&Path>,
        isolation: Isolation,
    ) -> Result<Vec<String>, String> {
        let interpreter = Interpreter {
            executable: PathBuf::from("/opt/py/bin/python3.11"),
            prefix: PathBuf::from("/opt/py"),
            version: "3.11".to_owned(),
        };
        let argv = ["python".to_owned(), "-c".to_owned(), "pass".to_owned()];
        let env = [("STAGE".to_owned(), "dev".to_owned())];
        let command = SandboxCommand {
            image: "python:3.11",
            argv: &argv,
            writable,
            shm,
            env: &env,
            working_dir: None,
            cgroup: None,
            mounts: None,
        };
        command_arguments(&command, &interpreter, isolation, Some(1024), Some(64)).map(|args| {
            args.into_iter()
                .map(|arg| arg.into_string().unwrap())
                .collect()
        })
    }

    fn has(args: &[String], window: &[&str]) -> bool {
        args.windows(window.len()).any(|w| w == window)
    }

    #[test]
    fn host_directories_replace_the_private_tmp() {
        let tmp = WritableDir {
            host: PathBuf::from("/srv/sb-1/files/tmp"),
            sandbox: "/tmp".to_owned(),
        };
        let args = arguments(std::slice::from_ref(&tmp), Isolation::UserNamespace).unwrap();
        assert!(has(&args, &["--bind", "/srv/sb-1/files/tmp", "/tmp"]));
        assert!(!has(&args, &["--tmpfs", "/tmp"]));
        let args = arguments(&[], Isolation::UserNamespace).unwrap();
        assert!(has(&args, &["--size", "1024", "--tmpfs", "/tmp"]));
    }

    #[test]
    fn a_shm_directory_replaces_bubblewraps_tmpfs_at_dev_shm() {
        let tmp = WritableDir {
            host: PathBuf::from("/srv/sb-1/tmp"),
            sandbox: "/tmp".to_owned(),
        };
        let shm = Path::new("/srv/sb-1/.dev-shm");
        let args = arguments_with_shm(
            std::slice::from_ref(&tmp),
            Some(shm),
            Isolation::UserNamespace,
        )
        .unwrap();
        assert!(has(
            &args,
            &[
                "--bind",
                "/srv/sb-1/.dev-shm",
                "/dev/shm",
                "--remount-ro",
                "/dev"
            ]
        ));
        assert!(!args.iter().any(|arg| arg == "--tmpfs" || arg == "--size"));
        let args = arguments(&[tmp], Isolation::UserNamespace).unwrap();
        assert!(has(&args, &["--size", "1024", "--tmpfs", "/dev/shm"]));
    }

    #[test]
    fn python_names_the_interpreter_and_the_launcher_switches_user_under_root() {
        let args = arguments(&[], Isolation::SwitchUser).unwrap();
        assert!(has(
            &args,
            &[
                "--symlink",
                "/opt/py/bin/python3.11",
                "/run/aviato/bin/python"
            ]
        ));
        let dashdash = args.iter().position(|arg| arg == "--").unwrap();
        assert_eq!(args[dashdash + 1], "/opt/py/bin/python3.11");
        assert_eq!(
            &args[dashdash + 6..],
            [
                "64", "65534", "2", "/dev/shm", "/tmp", "python", "-c", "pass"
            ]
        );
        let args = arguments(&[], Isolation::UserNamespace).unwrap();
        let dashdash = args.iter().position(|arg| arg == "--").unwrap();
        assert_eq!(args[dashdash + 7], "-1");
        let path = args
            .windows(3)
            .find(|w| w[0] == "--setenv" && w[1] == "PATH")
            .unwrap();
        assert!(path[2].starts_with("/run/aviato/bin:"));
        assert!(has(&args, &["--setenv", "STAGE", "dev"]));
        assert!(has(&args, &["--chdir", "/tmp"]));
    }

    #[test]
    fn variables_need_a_plain_name() {
        assert!(check_variable("MODE", "fast=1").is_ok());
        for (name, value) in [("", "x"), ("A=B", "x"), ("A\0", "x"), ("A", "x\0y")] {
            assert!(check_variable(name, value).is_err(), "{name:?}={value:?}");
        }
    }

    #[test]
    fn writable_paths_stay_out_of_the_system() {
        assert_eq!(
            writable_path("/var/sandbox/./temp/").unwrap(),
            "/var/sandbox/temp"
        );
        for bad in [
            "/",
            "/usr/x",
            "/etc",
            "/proc/1",
            "/a/../usr",
            "relative",
            "/run/aviato/bin",
        ] {
            assert!(writable_path(bad).is_err(), "{bad} accepted");
        }
        let inside_interpreter = WritableDir {
            host: PathBuf::from("/h"),
            sandbox: "/opt".to_owned(),
        };
        assert!(arguments(&[inside_interpreter], Isolation::UserNamespace).is_err());
    }
}
