//! The bubblewrap command line of one sandbox.

use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};

use super::interpreter::Interpreter;
use crate::Limits;

/// Put in front of the source of every program in a sandbox: it sets the process
/// limit, switches to the sandbox account, and leaves a watcher that kills the
/// sandbox if the host dies (see enter_sandbox.py).
const ENTER_SANDBOX: &str = include_str!("enter_sandbox.py");

/// The unprivileged account the user's code runs as (`nobody`).
pub(crate) const SANDBOX_ID: u32 = 65534;

/// How the sandbox gets to run as `nobody` (65534).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A user namespace when the host user is unprivileged, [`Isolation::SwitchUser`]
    /// when it is root.
    Auto,
    /// A user namespace mapping `nobody` (65534) to the host user. Under a root host
    /// the kernel exempts the sandbox from the process limit.
    UserNamespace,
    /// Root only: no user namespace; the runner switches to the host's `nobody` (65534)
    /// before any of the user's code runs, so that every limit applies.
    SwitchUser,
}

impl Isolation {
    pub fn resolve(self) -> Isolation {
        match self {
            // SAFETY: geteuid has no preconditions.
            Isolation::Auto if unsafe { libc::geteuid() } == 0 => Isolation::SwitchUser,
            Isolation::Auto => Isolation::UserNamespace,
            chosen => chosen,
        }
    }

    /// The host account the sandbox's code runs as when it is not the host user's
    /// own: `nobody` (65534) when the sandbox switches user. Files a host process
    /// hands to the sandbox should belong to it.
    pub fn sandbox_account(self) -> Option<u32> {
        match self.resolve() {
            Isolation::SwitchUser => Some(SANDBOX_ID),
            Isolation::UserNamespace | Isolation::Auto => None,
        }
    }
}

/// Read-only system paths every sandbox sees.
pub(super) const SYSTEM_DIRS: [&str; 6] = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// What Python and the C library read from `/etc`; nothing else of it is visible.
const ETC_FILES: [&str; 8] = [
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/mime.types",
];

/// Directories the sandbox mounts itself; a `temp_dir` inside them cannot be made.
pub(super) const MOUNTED: [&str; 4] = ["/usr", "/etc", "/proc", "/dev"];

/// A Python program (the runner, say) in a fresh sandbox: a private `/tmp` and
/// `temp_dir`, nothing else writable.
pub(crate) struct SandboxSpec<'a> {
    pub interpreter: &'a Interpreter,
    pub isolation: Isolation,
    pub limits: &'a Limits,
    /// Whether the process limit is the sandbox account's (`RLIMIT_NPROC`), for want
    /// of a cgroup that counts the sandbox's own.
    pub per_user_processes: bool,
    pub temp_dir: &'a str,
    pub file_name: &'a str,
    /// Where the run's tmpfs mounts for `/tmp`, `/dev/shm` and `temp_dir` are made
    /// before bubblewrap starts, bounded in bytes and inodes: its `tmp`, `shm` and
    /// `temp` (see mounts.rs).
    pub mount_points: &'a Path,
    /// The program's source, run as `python -c` after [`ENTER_SANDBOX`] with
    /// `file_name` as its one argument.
    pub program: &'a str,
}

impl SandboxSpec<'_> {
    /// The bubblewrap command line.
    pub(crate) fn build(&self) -> Result<Vec<OsString>, String> {
        let mut args = Arguments::default();
        let mut writable_dirs = vec!["/dev/shm".to_owned(), "/tmp".to_owned()];
        let point = |name: &str| self.mount_points.join(name);
        let (shm, tmp, temp) = (point("shm"), point("tmp"), point("temp"));
        system_arguments(&mut args, self.isolation, Private::Bind(&shm))?;
        private_dir(&mut args, Private::Bind(&tmp), "/tmp");
        if let Some(temp_dir) = self.private_temp_dir()? {
            // bubblewrap would make the directories above a bind 0700.
            enterable_ancestors(&mut args, Path::new(&temp_dir));
            private_dir(&mut args, Private::Bind(&temp), &temp_dir);
            writable_dirs.push(temp_dir);
        }

        // Bound after the tmpfs mounts, so that a temp_dir above it cannot hide it.
        interpreter_arguments(&mut args, self.interpreter);
        args.push(["--remount-ro", "/", "--chdir", "/tmp", "--clearenv"]);
        environment_arguments(&mut args, self.interpreter, None);
        program_arguments(
            &mut args,
            self.interpreter,
            self.isolation,
            self.per_user_processes.then_some(self.limits.processes),
            &Program {
                flags: &[],
                source: self.program,
                writable_dirs: &writable_dirs,
                // The file name also marks the sandbox's processes in `ps` and /proc.
                argv: &[self.file_name],
            },
        );
        Ok(args.0)
    }

    /// The tmpfs to mount at `temp_dir`, if it needs one of its own: a relative
    /// `temp_dir` lands in `/tmp`, the sandbox's working directory.
    fn private_temp_dir(&self) -> Result<Option<String>, String> {
        let path = Path::new(self.temp_dir);
        if !path.is_absolute() {
            return Ok(None);
        }
        let mut normal = PathBuf::from("/");
        for component in path.components() {
            match component {
                Component::Normal(part) => normal.push(part),
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir | Component::Prefix(_) => {
                    return Err(format!(
                        "temp_dir {:?} must not contain `..`",
                        self.temp_dir
                    ));
                }
            }
        }
        if normal.starts_with("/tmp") {
            return Ok(None);
        }
        let clashes = normal == Path::new("/")
            || MOUNTED
                .iter()
                .chain(&SYSTEM_DIRS)
                .any(|dir| normal.starts_with(dir))
            || normal.starts_with(&self.interpreter.prefix);
        if clashes {
            return Err(format!(
                "temp_dir {:?} lies in the sandbox's read-only system directories",
                self.temp_dir
            ));
        }
        Ok(Some(normal.to_string_lossy().into_owned()))
    }
}

/// Isolation, the read-only system, `/proc`, `/dev` and a private `/dev/shm`: what
/// every sandbox starts with, before its writable directories.
pub(super) fn system_arguments(
    args: &mut Arguments,
    isolation: Isolation,
    shm: Private<'_>,
) -> Result<(), String> {
    args.push(["--die-with-parent", "--new-session"]);
    match isolation {
        Isolation::SwitchUser => args.push([
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-drop",
            "ALL",
            // To switch to the sandbox account, and for the watcher that stays
            // root (see enter_sandbox.py).
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            "--cap-add",
            "CAP_KILL",
        ]),
        Isolation::UserNamespace | Isolation::Auto => {
            let id = SANDBOX_ID.to_string();
            args.push(["--unshare-all", "--unshare-user", "--cap-drop", "ALL"]);
            args.push(["--uid", &id, "--gid", &id]);
        }
    }

    args.push(["--ro-bind", "/usr", "/usr"]);
    for dir in SYSTEM_DIRS {
        let path = Path::new(dir);
        match path.symlink_metadata() {
            Ok(meta) if meta.is_symlink() => {
                let target = std::fs::read_link(path).map_err(|err| err.to_string())?;
                args.push([
                    OsStr::new("--symlink"),
                    target.as_os_str(),
                    path.as_os_str(),
                ]);
            }
            Ok(meta) if meta.is_dir() => args.push(["--ro-bind", dir, dir]),
            _ => {}
        }
    }
    // Made with --dir, 0755: bubblewrap would make it 0700 for the binds below, and
    // under a root host the sandbox's `nobody` could read none of them.
    args.push(["--dir", "/etc"]);
    for file in ETC_FILES {
        args.push(["--ro-bind-try", file, file]);
    }
    args.push(["--proc", "/proc", "--dev", "/dev"]);
    private_dir(args, shm, "/dev/shm");
    args.push(["--remount-ro", "/dev"]);
    Ok(())
}

/// How a private writable directory of the sandbox is made.
#[derive(Debug, Clone, Copy)]
pub(super) enum Private<'a> {
    /// bubblewrap's tmpfs, of at most this many bytes (when it takes `--size`); its
    /// inodes are bounded by the kernel's default only.
    Tmpfs(Option<u64>),
    /// This host directory, bound: a tmpfs bounded in bytes and inodes, or a
    /// directory in one, mounted before bubblewrap starts in the namespaces it
    /// starts in.
    Bind(&'a Path),
}

pub(super) fn private_dir(args: &mut Arguments, how: Private<'_>, dest: &str) {
    match how {
        Private::Tmpfs(size) => {
            if let Some(size) = size {
                args.push(["--size", &size.to_string()]);
            }
            args.push(["--tmpfs", dest]);
        }
        Private::Bind(host) => {
            args.push([OsStr::new("--bind"), host.as_os_str(), OsStr::new(dest)]);
        }
    }
}

/// The interpreter, read-only, where it is not under `/usr` already.
pub(super) fn interpreter_arguments(args: &mut Arguments, interpreter: &Interpreter) {
    if !interpreter.prefix.starts_with("/usr") {
        bind_read_only(args, &interpreter.prefix);
    }
    if !interpreter.executable.starts_with("/usr")
        && !interpreter.executable.starts_with(&interpreter.prefix)
    {
        bind_read_only(args, &interpreter.executable);
    }
}

/// A clean environment: `PATH` (with `first_path` in front), `HOME` and `LANG`.
pub(super) fn environment_arguments(
    args: &mut Arguments,
    interpreter: &Interpreter,
    first_path: Option<&str>,
) {
    let mut path = String::new();
    if let Some(first) = first_path {
        path.push_str(first);
        path.push(':');
    }
    path.push_str(&format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        interpreter.prefix.join("bin").display()
    ));
    args.push(["--setenv", "PATH", &path]);
    args.push(["--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8"]);
}

/// A Python program to run in the sandbox.
pub(super) struct Program<'a> {
    /// The interpreter's options, before `-c`.
    pub flags: &'a [&'a str],
    pub source: &'a str,
    /// The private writable directories, opened to the sandbox account when the
    /// sandbox starts as root.
    pub writable_dirs: &'a [String],
    /// Its own arguments, all it sees of argv.
    pub argv: &'a [&'a str],
}

/// The interpreter running `program` with [`ENTER_SANDBOX`] in front, and the
/// arguments of both.
pub(super) fn program_arguments(
    args: &mut Arguments,
    interpreter: &Interpreter,
    isolation: Isolation,
    processes: Option<u64>,
    program: &Program<'_>,
) {
    let uid = match isolation {
        Isolation::SwitchUser => i64::from(SANDBOX_ID),
        Isolation::UserNamespace | Isolation::Auto => -1,
    };
    args.push([OsStr::new("--"), interpreter.executable.as_os_str()]);
    args.push(program.flags);
    args.push(["-c", &format!("{ENTER_SANDBOX}{}", program.source)]);
    // -1: no per-user process limit. Under a root host every sandbox's `nobody`
    // shares it, so that one sandbox's fork bomb would stop the others' forks.
    let processes = processes.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
    args.push([
        processes.to_string(),
        uid.to_string(),
        program.writable_dirs.len().to_string(),
    ]);
    args.push(program.writable_dirs);
    args.push(program.argv);
}

/// Binds `path` read-only at the same place, below directories anyone may enter.
fn bind_read_only(args: &mut Arguments, path: &Path) {
    enterable_ancestors(args, path);
    args.push([OsStr::new("--ro-bind"), path.as_os_str(), path.as_os_str()]);
}

/// Makes the directories above `path` with `--dir`, which makes them 0755: bubblewrap
/// would otherwise copy the host's modes (`/root` is 0700), or make them 0700.
pub(super) fn enterable_ancestors(args: &mut Arguments, path: &Path) {
    let mut ancestors: Vec<&Path> = path
        .ancestors()
        .skip(1)
        .filter(|dir| dir.parent().is_some())
        .collect();
    ancestors.reverse();
    for dir in ancestors {
        args.push([OsStr::new("--dir"), dir.as_os_str()]);
    }
}

#[derive(Default)]
pub(super) struct Arguments(pub(super) Vec<OsString>);

impl Arguments {
    pub(super) fn push<T: AsRef<OsStr>>(&mut self, items: impl IntoIterator<Item = T>) {
        self.0
            .extend(items.into_iter().map(|item| item.as_ref().to_os_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: &str = "import sys\n";

    fn spec_arguments(isolation: Isolation, temp_dir: &str) -> Result<Vec<String>, String> {
        let interpreter = Interpreter {
            executable: PathBuf::from("/opt/py/bin/python3.11"),
            prefix: PathBuf::from("/opt/py"),
            version: "3.11".to_owned(),
        };
        let limits = Limits::default();
        let spec = SandboxSpec {
            interpreter: &interpreter,
            isolation,
            limits: &limits,
            per_user_processes: true,
            temp_dir,
            file_name: "/home/u/app.py",
            mount_points: Path::new("/run/points"),
            program: PROGRAM,
        };
        spec.build().map(|args| {
            args.into_iter()
                .map(|arg| arg.into_string().unwrap())
                .collect()
        })
    }

    fn has(args: &[String], window: &[&str]) -> bool {
        args.windows(window.len()).any(|w| w == window)
    }

    #[test]
    fn user_namespace_runs_as_nobody_without_capabilities() {
        let args = spec_arguments(Isolation::UserNamespace, "/tmp").unwrap();
        assert!(has(&args, &["--unshare-all", "--unshare-user"]));
        assert!(has(&args, &["--uid", "65534", "--gid", "65534"]));
        assert!(has(&args, &["--cap-drop", "ALL"]));
        assert!(!args.iter().any(|arg| arg == "--cap-add"));
    }

    #[test]
    fn switch_user_keeps_only_the_capabilities_to_switch_and_watch() {
        let args = spec_arguments(Isolation::SwitchUser, "/tmp").unwrap();
        assert!(has(&args, &["--unshare-net"]));
        assert!(has(&args, &["--unshare-pid"]));
        assert!(!args.iter().any(|arg| arg.starts_with("--unshare-user")));
        let added: Vec<&str> = args
            .windows(2)
            .filter(|pair| pair[0] == "--cap-add")
            .map(|pair| pair[1].as_str())
            .collect();
        assert_eq!(added, ["CAP_SETUID", "CAP_SETGID", "CAP_KILL"]);
    }

    #[test]
    fn binds_the_interpreter_prefix_not_the_home_directory() {
        let args = spec_arguments(Isolation::UserNamespace, "/tmp").unwrap();
        assert!(has(
            &args,
            &["--dir", "/opt", "--ro-bind", "/opt/py", "/opt/py"]
        ));
        let bound: Vec<&str> = args
            .windows(2)
            .filter(|pair| pair[0].ends_with("bind") || pair[0].ends_with("bind-try"))
            .map(|pair| pair[1].as_str())
            .collect();
        assert!(bound.contains(&"/opt/py"));
        assert!(
            !bound
                .iter()
                .any(|source| ["/opt", "/home", "/root"].contains(source))
        );
        let writable: Vec<(&str, &str)> = args
            .windows(3)
            .filter(|three| three[0] == "--bind")
            .map(|three| (three[1].as_str(), three[2].as_str()))
            .collect();
        assert_eq!(
            writable,
            [("/run/points/shm", "/dev/shm"), ("/run/points/tmp", "/tmp")],
            "only the private tmpfs mounts are bound writable"
        );
        assert!(!args.iter().any(|arg| arg == "--tmpfs"));
        assert!(has(&args, &["--remount-ro", "/"]));
        let dashdash = args.iter().position(|arg| arg == "--").unwrap();
        assert_eq!(args[dashdash + 1], "/opt/py/bin/python3.11");
        assert_eq!(args[dashdash + 2], "-c");
        assert_eq!(args.last().unwrap(), "/home/u/app.py");
    }

    #[test]
    fn temp_dir_gets_a_private_bounded_tmpfs() {
        let args = spec_arguments(Isolation::UserNamespace, "/scratch/work/").unwrap();
        assert!(has(&args, &["--bind", "/run/points/temp", "/scratch/work"]));
        let inside_tmp = spec_arguments(Isolation::UserNamespace, "/tmp/x").unwrap();
        assert!(!inside_tmp.iter().any(|arg| arg == "/tmp/x"));
    }

    #[test]
    fn the_runner_starts_behind_the_sandbox_entry_with_its_limit_account_and_dirs() {
        let processes = Limits::default().processes.to_string();
        let args = spec_arguments(Isolation::SwitchUser, "/scratch").unwrap();
        let dashdash = args.iter().position(|arg| arg == "--").unwrap();
        let source = &args[dashdash + 3];
        assert!(source.starts_with(ENTER_SANDBOX) && source.ends_with(PROGRAM));
        assert_eq!(
            args[dashdash + 4..],
            [
                &processes,
                "65534",
                "3",
                "/dev/shm",
                "/tmp",
                "/scratch",
                "/home/u/app.py"
            ]
        );
        let args = spec_arguments(Isolation::UserNamespace, "/tmp").unwrap();
        let dashdash = args.iter().position(|arg| arg == "--").unwrap();
        assert_eq!(
            args[dashdash + 4..],
            [&processes, "-1", "2", "/dev/shm", "/tmp", "/home/u/app.py"]
        );
    }

    #[test]
    fn temp_dir_cannot_cover_the_system() {
        for bad in [
            "/",
            "/usr/tmp",
            "/etc",
            "/opt/py/tmp",
            "/proc/x",
            "/a/../usr",
        ] {
            assert!(
                spec_arguments(Isolation::UserNamespace, bad).is_err(),
                "{bad} accepted"
            );
        }
    }
}
