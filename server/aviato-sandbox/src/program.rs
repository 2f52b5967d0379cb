//! A Python program (the runner) in a fresh sandbox: a private `/tmp`, `/dev/shm` and
//! `temp_dir`, each a tmpfs bounded in bytes and inodes, nothing else writable; what
//! it is given on stdin, what it reports on the result channel.

use std::io;
use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::bwrap::SandboxSpec;
use crate::mounts::{ChildMounts, FreshMounts, MountPoints, TmpfsBound};
use crate::process::{self, Finished};
use crate::{Cgroup, Limits, LocalSandbox, OutputSink, Selection};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct SandboxProgram<'a> {
    /// The container image it stands for: it picks the interpreter.
    pub image: &'a str,
    /// The program's source, run as `python -c` after the sandbox's entry.
    pub source: &'a str,
    /// Its one argument; it also marks the sandbox's processes in `ps` and /proc.
    pub file_name: &'a str,
    /// A directory besides `/tmp` with a private tmpfs of its own (one inside `/tmp`,
    /// or relative, has none).
    pub temp_dir: &'a str,
}

/// A program's sandbox, ready to start.
pub struct PreparedProgram {
    bwrap: PathBuf,
    arguments: Vec<std::ffi::OsString>,
    selection: Selection,
    /// The sandbox's cgroup, or why it has none.
    cgroup: Result<Cgroup, String>,
    /// Its tmpfs mounts, made by bubblewrap's parent.
    mounts: FreshMounts,
    /// Where they are mounted; removed after the run.
    _mount_points: MountPoints,
}

/// How a program's sandbox went.
pub struct ProgramRun {
    /// How it ended and what came out, or why it could not run.
    pub finished: io::Result<Finished>,
    /// The interpreter it ran on, and what to say about it.
    pub selection: Selection,
    /// What to say about its limits: per process only, a cgroup not removed.
    pub notes: Vec<String>,
}

impl LocalSandbox {
    /// Everything a program's sandbox needs before it starts, or why it cannot.
    pub async fn prepare_program(
        &self,
        program: &SandboxProgram<'_>,
        limits: &Limits,
    ) -> Result<PreparedProgram, String> {
        let bwrap = self.bubblewrap()?;
        let selection = self.select(program.image).await?;
        let cgroup = self.sandbox_cgroup(limits)?;
        let mount_points = MountPoints::create()
            .map_err(|err| format!("cannot make the sandbox's mount points: {err}"))?;
        let bound = TmpfsBound {
            bytes: limits.tmpfs_bytes,
            inodes: limits.tmpfs_inodes,
        };
        let points = mount_points.all();
        let points: Vec<&Path> = points.iter().map(PathBuf::as_path).collect();
        let mounts = FreshMounts::new(&points, bound)
            .map_err(|err| format!("cannot prepare the sandbox's tmpfs mounts: {err}"))?;
        let arguments = SandboxSpec {
            interpreter: &selection.interpreter,
            isolation: self.isolation(),
            limits,
            per_user_processes: cgroup.is_err(),
            temp_dir: program.temp_dir,
            file_name: program.file_name,
            mount_points: mount_points.dir(),
            program: program.source,
        }
        .build()?;
        Ok(PreparedProgram {
            bwrap,
            arguments,
            selection,
            cgroup,
            mounts,
            _mount_points: mount_points,
        })
    }
}

impl PreparedProgram {
    /// Runs the program with `input` on its stdin until it ends, a limit is reached
    /// or `cancel` fires, then removes its cgroup.
    pub async fn run(
        self,
        input: &[u8],
        limits: &Limits,
        cancel: &CancellationToken,
        output: Option<OutputSink>,
    ) -> ProgramRun {
        let cgroup = self.cgroup.as_ref().ok();
        let finished = process::supervise_streaming(
            &self.bwrap,
            &self.arguments,
            input,
            limits,
            cancel,
            process::Enclosure {
                cgroup,
                mounts: Some(ChildMounts::Fresh(self.mounts)),
            },
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
        ProgramRun {
            finished,
            selection: self.selection,
            notes: limits_note.into_iter().chain(removed.err()).collect(),
        }
    }
}
