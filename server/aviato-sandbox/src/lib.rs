//! Running a command or a Python program in a bubblewrap sandbox on this machine: no
//! network, a read-only system and interpreter, private `/tmp`, an empty environment,
//! the `nobody` account, resource limits (per process, and per sandbox through a
//! cgroup), no descriptor of the host passed in, and nothing left running afterwards.
//!
//! It knows nothing of payloads or of the runner: `aviato-exec` runs its runner
//! through [`LocalSandbox::prepare_program`], the sandbox server its tenants'
//! commands through [`LocalSandbox::run_command`].

mod bwrap;
mod cgroup;
mod command;
mod interpreter;
mod limits;
mod mounts;
mod output;
mod process;
mod program;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

pub use self::bwrap::Isolation;
pub use self::cgroup::{Cgroup, cgroup_support, cgroups_left_by};
pub use self::command::{
    CommandEnding, CommandOutput, OutputChunk, OutputSink, OutputStream, SandboxCommand,
    WritableDir, check_variable, writable_path,
};
pub use self::interpreter::{Interpreter, Selection};
pub use self::limits::Limits;
pub use self::mounts::{MountHolder, TmpfsBound};
pub use self::output::{COALESCE, forward_output, output_channel};
pub use self::process::{Captured, Ending, Finished};
pub use self::program::{PreparedProgram, ProgramRun, SandboxProgram};
pub use tokio_util::sync::CancellationToken;

/// What the error says when bubblewrap is missing.
pub const INSTALL_HINT: &str = "apt-get install bubblewrap";

/// The container image a sandbox stands for when none is named: the SDK session's
/// default.
pub const DEFAULT_IMAGE: &str = "python:3.11";

/// The descriptor a program finds its private result channel on: the host reads it,
/// the program's output never mixes with it.
pub const RESULT_FD: i32 = 3;

/// Settings of the local sandbox.
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

/// Makes sandboxes on this machine with one [`LocalConfig`].
#[derive(Debug, Clone, Default)]
pub struct LocalSandbox {
    config: LocalConfig,
}

impl LocalSandbox {
    pub fn new(config: LocalConfig) -> Self {
        Self { config }
    }

    /// How the sandbox gets to run as `nobody`, resolved for this host user.
    pub fn isolation(&self) -> Isolation {
        self.config.isolation.resolve()
    }

    /// The bubblewrap to start, or why there is none.
    pub fn bubblewrap(&self) -> Result<PathBuf, String> {
        let command = match &self.config.bwrap {
            Some(path) => path.to_string_lossy(),
            None => "bwrap".into(),
        };
        find_executable(&command).ok_or_else(|| {
            format!(
                "bubblewrap (`{command}`) is not installed; the local sandbox needs it: \
                 `{INSTALL_HINT}` (Debian, Ubuntu), or your system's bubblewrap package"
            )
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
    pub async fn select(&self, image: &str) -> Result<Selection, String> {
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
    if let Some((_, sized)) = KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|(path, _)| path == bwrap)
    {
        return Ok(*sized);
    }
    let help = tokio::process::Command::new(bwrap)
        .arg("--help")
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|err| format!("cannot run {}: {err}", bwrap.display()))?;
    let sized = String::from_utf8_lossy(&help.stdout).contains("--size");
    KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((bwrap.to_owned(), sized));
    Ok(sized)
}
