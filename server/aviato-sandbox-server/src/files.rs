//! A sandbox's files: a host directory that mirrors the sandbox's paths (the sandbox's
//! `/tmp/x` is `ROOT/tmp/x`). `/tmp` is always there; the first file written elsewhere
//! fixes the sandbox's `temp_dir` (such as `/var/sandbox/temp`), its directory, which
//! is writable from then on too. Nothing else is: the SDK writes to `temp_dir` only.
//! Each command of the sandbox gets these directories bound writable in their place,
//! and `ROOT/.dev-shm` at `/dev/shm` when a tmpfs bounds the files: no sandbox path
//! leads there, so the files API never reaches it.
//!
//! The sandbox's code owns these directories and may plant symlinks, hard links or
//! FIFOs in them; the server runs with more rights than the sandbox. So the server
//! opens every path one component at a time without following symlinks, reads only
//! regular files, and replaces a file rather than writing through an existing one.
//!
//! Other users of the host see none of it: `ROOT` is made exclusively with mode 0700
//! (in a state directory that is 0700 too), the directories and files the server
//! makes for the sandbox are 0700 and 0600, and belong to the sandbox's account when
//! the sandbox switches to `nobody`. Only the directories bound writable are 1777, as
//! the sandbox's `/tmp` is, and they are reached through `ROOT` alone.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use aviato_sandbox::{MountHolder, TmpfsBound, WritableDir, writable_path};

use crate::tmpfs;
use crate::tree::remove_tree;

/// Directories bound writable: the sandbox's account writes to them, whoever it maps
/// to on the host.
const SHARED_DIR_MODE: u32 = 0o1777;
/// What the server makes inside them, for the sandbox's account alone.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Where each command's `/dev/shm` is, as a path of the sandbox's tree: a sibling of
/// `/tmp` in its tmpfs, which bounds its bytes and inodes with the rest, and keeps
/// its files from one command to the next, as a machine's `/dev/shm` does.
const SHM_DIR: &str = "/.dev-shm";

/// What no `temp_dir` may be, hold or lie in, besides the sandbox's read-only
/// system: the sandbox's own programs (`/run/aviato`) and `/dev/shm`, and the
/// host's runtime state, kernel interfaces, and home directories, where interpreters
/// are often installed.
const NOT_TEMP_DIRS: [&str; 6] = ["/run", SHM_DIR, "/sys", "/boot", "/root", "/home"];

/// Why a file was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteFailure {
    /// The path is not one the sandbox's files may have.
    Refused(String),
    /// The sandbox's files would pass their quota.
    NoRoom(String),
    /// The file could not be written there.
    Failed(String),
}

/// Why a file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadFailureKind {
    /// Nothing is there, or nothing the sandbox's files may have.
    NotFound,
    IsDirectory,
    /// More than a reply may carry.
    TooLarge,
    /// A symlink, a FIFO, a device, or an error of the host.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadFailure {
    pub kind: ReadFailureKind,
    pub message: String,
}

/// What bounds a sandbox's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disk {
    /// A tmpfs of the sandbox's own, mounted on its directory in the server's
    /// mount namespace: the kernel refuses bytes past the quota and files past
    /// `inodes`. Root only.
    Tmpfs { inodes: u64 },
    /// The same tmpfs, mounted on its directory in the namespaces of a holder
    /// process of its own (a user namespace lets a user who is not root mount it);
    /// the server reaches it through the holder, and each command joins them.
    Holder { inodes: u64 },
    /// The server measures the files (walking the tree) and kills a command past
    /// the quota; inodes are not bounded. Only when the operator accepts it.
    Measured,
}

pub(crate) struct Files {
    /// The sandbox's directory, as its commands' bubblewrap sees it.
    root: PathBuf,
    /// The same directory as the server reaches it: through the holder, if any.
    access: PathBuf,
    /// The holder of its tmpfs, until the files are removed.
    holder: Mutex<Option<Arc<MountHolder>>>,
    quota: u64,
    disk: Disk,
    /// Who the server's files and directories are handed to (see
    /// [`aviato_sandbox::Isolation::sandbox_account`]); the server's own user when `None`.
    owner: Option<u32>,
    /// Sandbox directories bound writable: `/tmp`, and the `temp_dir` once fixed.
    mounts: Mutex<BTreeSet<String>>,
}

impl Files {
    /// Makes `root`, which must not exist yet, its tmpfs if `disk` says so, its
    /// `tmp`, and the directory of its commands' `/dev/shm` on that tmpfs.
    pub(crate) fn create(
        root: PathBuf,
        quota: u64,
        disk: Disk,
        owner: Option<u32>,
    ) -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(DIR_MODE).create(&root)?;
        let mounted = match disk {
            Disk::Tmpfs { inodes } => tmpfs::mount(&root, quota, inodes).map(|()| None),
            Disk::Holder { inodes } => {
                let bound = TmpfsBound {
                    bytes: quota,
                    inodes,
                };
                MountHolder::spawn(&root, bound).map(Some)
            }
            Disk::Measured => Ok(None),
        };
        let holder = match mounted {
            Ok(holder) => holder,
            Err(err) => {
                let _ = std::fs::remove_dir(&root);
                return Err(err);
            }
        };
        let access = holder
            .as_ref()
            .map_or_else(|| root.clone(), |holder| holder.host_path(Path::new("")));
        let files = Self {
            root,
            access,
            holder: Mutex::new(holder.map(Arc::new)),
            quota,
            disk,
            owner,
            mounts: Mutex::new(BTreeSet::from(["/tmp".to_owned()])),
        };
        if let Err(err) = files.make_bound_dirs() {
            // Its tmpfs, if it has one, goes too.
            let _ = files.remove();
            return Err(err);
        }
        Ok(files)
    }

    /// `tmp`, and the directory of the commands' `/dev/shm` where a tmpfs bounds it.
    fn make_bound_dirs(&self) -> io::Result<()> {
        self.make_shared_dir("/tmp")?;
        if self.shm_dir().is_some() {
            self.make_shared_dir(SHM_DIR)?;
        }
        Ok(())
    }

    /// Whether the kernel bounds the files, so that no one needs to measure them.
    pub(crate) fn bounded_by_kernel(&self) -> bool {
        !matches!(self.disk, Disk::Measured)
    }

    /// Removes every file, and the sandbox's directory. Blocks.
    pub(crate) fn remove(&self) -> io::Result<()> {
        match self.disk {
            Disk::Tmpfs { .. } => tmpfs::unmount(&self.root)?,
            Disk::Holder { .. } => {
                // The tmpfs goes with the holder; the host has only the empty directory.
                if let Some(holder) = self
                    .holder
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                {
                    holder.end()?;
                }
            }
            Disk::Measured => {}
        }
        remove_tree(&self.root)
    }

    /// The holder of the files' tmpfs, whose namespaces each command joins.
    pub(crate) fn holder(&self) -> Option<Arc<MountHolder>> {
        self.holder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The directory to bind at a command's `/dev/shm`, as bubblewrap sees it; `None`
    /// when the files are only measured, where a directory on disk would have its
    /// inodes unbounded (the command then has a tmpfs of bubblewrap's instead).
    pub(crate) fn shm_dir(&self) -> Option<PathBuf> {
        self.bounded_by_kernel()
            .then(|| self.root.join(SHM_DIR.trim_start_matches('/')))
    }

    /// The directories to bind for a command.
    pub(crate) fn writable_dirs(&self) -> Vec<WritableDir> {
        self.mounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|mount| WritableDir {
                host: self.root.join(mount.trim_start_matches('/')),
                sandbox: mount.clone(),
            })
            .collect()
    }

    /// Writes a file as the sandbox's path names it (relative to `/tmp`, the
    /// sandbox's working directory): in `/tmp`, or in the `temp_dir`, which the first
    /// file outside `/tmp` fixes.
    pub(crate) fn write(&self, path: &str, contents: &[u8]) -> Result<(), WriteFailure> {
        let path = sandbox_path(path).map_err(WriteFailure::Refused)?;
        let mount = self.mount_for(&path).map_err(WriteFailure::Refused)?;
        let used = self.usage();
        let no_room = |_| {
            WriteFailure::NoRoom(format!(
                "no room for {} bytes: the sandbox's files are limited to {} MiB",
                contents.len(),
                self.quota / (1024 * 1024)
            ))
        };
        if used.saturating_add(contents.len() as u64) > self.quota {
            return Err(WriteFailure::NoRoom(format!(
                "no room for {} bytes: the sandbox's files are limited to {} MiB",
                contents.len(),
                self.quota / (1024 * 1024)
            )));
        }
        let failed = |err: io::Error| match err.raw_os_error() {
            Some(libc::ENOSPC) => no_room(()),
            _ => WriteFailure::Failed(describe(&path, &err)),
        };
        let mount_dir = self.make_shared_dir(&mount).map_err(failed)?;
        let inside = Path::new(&path)
            .strip_prefix(&mount)
            .expect("the mount contains the path");
        write_beneath(&mount_dir, inside, contents, self.owner).map_err(failed)
    }

    /// Makes the directory `dir` (and those above it) in `/tmp`, for the sandbox's
    /// account. Blocks.
    pub(crate) fn make_dir(&self, dir: &str) -> io::Result<()> {
        if dir == "/tmp" {
            return Ok(());
        }
        let dir = sandbox_path(dir).map_err(io::Error::other)?;
        let inside = Path::new(&dir)
            .strip_prefix("/tmp")
            .map_err(|_| io::Error::other(format!("{dir} is not in /tmp")))?;
        let tmp = self.make_shared_dir("/tmp")?;
        open_dir_beneath(&tmp, inside, Some(self.owner)).map(drop)
    }

    /// The writable directory `path` goes in, the `temp_dir` fixed if it is the first
    /// file outside `/tmp`.
    fn mount_for(&self, path: &str) -> Result<String, String> {
        let mut mounts = self.mounts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mount) = mount_of(&mounts, path) {
            return Ok(mount);
        }
        if let Some(temp_dir) = mounts.iter().find(|mount| *mount != "/tmp") {
            return Err(format!(
                "{path} is outside /tmp and outside this sandbox's temp_dir, {temp_dir} \
                 (the directory of its first file outside /tmp): only those are writable"
            ));
        }
        let parent = Path::new(path)
            .parent()
            .map(|parent| parent.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp_dir = temp_dir_path(&parent).map_err(|why| format!("{path}: {why}"))?;
        mounts.insert(temp_dir.clone());
        Ok(temp_dir)
    }

    /// Reads a regular file of at most `limit` bytes.
    pub(crate) fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, ReadFailure> {
        let fail = |kind, message| ReadFailure { kind, message };
        let path = sandbox_path(path).map_err(|why| fail(ReadFailureKind::NotFound, why))?;
        let mount = mount_of(
            &self.mounts.lock().unwrap_or_else(PoisonError::into_inner),
            &path,
        )
        .ok_or_else(|| {
            fail(
                ReadFailureKind::NotFound,
                format!("{path}: No such file or directory"),
            )
        })?;
        let inside = Path::new(&path)
            .strip_prefix(&mount)
            .expect("the mount contains the path");
        read_beneath(&self.host_path(&mount), inside, limit)
            .map_err(|(kind, err)| fail(kind, describe(&path, &err)))
    }

    pub(crate) fn quota(&self) -> u64 {
        self.quota
    }

    /// Bytes the sandbox's files take: what its tmpfs says, or what a walk of the
    /// tree finds.
    pub(crate) fn usage(&self) -> u64 {
        match self.disk {
            Disk::Tmpfs { .. } | Disk::Holder { .. } => {
                tmpfs::used_bytes(&self.access).unwrap_or(u64::MAX)
            }
            Disk::Measured => disk_usage(&self.root),
        }
    }

    /// Where the server reaches a sandbox directory.
    fn host_path(&self, sandbox: &str) -> PathBuf {
        self.access.join(sandbox.trim_start_matches('/'))
    }

    /// The host directory of a sandbox directory bound writable, made if missing:
    /// the directories above it the server's own (0700), itself open to the
    /// sandbox's account (1777).
    fn make_shared_dir(&self, mount: &str) -> io::Result<PathBuf> {
        let relative = Path::new(mount.trim_start_matches('/'));
        let (parent, name) = split(relative)?;
        let above = open_dir_beneath(&self.access, parent, Some(None))?;
        let made = match open_at(above.as_raw_fd(), name, DIRECTORY, 0) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                make_dir_at(above.as_raw_fd(), name, SHARED_DIR_MODE, None)?
            }
            other => other?,
        };
        drop(made);
        Ok(self.host_path(mount))
    }
}

fn describe(path: &str, err: &io::Error) -> String {
    let reason = match err.raw_os_error() {
        Some(libc::ELOOP) => "a symbolic link is in the way".to_owned(),
        _ => err.to_string(),
    };
    format!("{path}: {reason}")
}

/// The sandbox path, normalized; relative paths are taken from `/tmp`.
fn sandbox_path(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("the file path is empty".to_owned());
    }
    if path.contains('\0') {
        return Err(format!("{path:?} contains a NUL byte"));
    }
    let absolute = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/tmp/{path}")
    };
    let normal = writable_path(&absolute)?;
    if normal == "/tmp" {
        return Err("/tmp is a directory".to_owned());
    }
    Ok(normal)
}

/// `dir` normalized, if it may be a sandbox's `temp_dir`.
fn temp_dir_path(dir: &str) -> Result<String, String> {
    let normal = writable_path(dir)?;
    let path = Path::new(&normal);
    if let Some(reserved) = NOT_TEMP_DIRS
        .iter()
        .find(|reserved| path.starts_with(reserved) || Path::new(reserved).starts_with(path))
    {
        return Err(format!(
            "{dir} cannot be a sandbox's temp_dir: {reserved} is the host's or the \
             sandbox's own; write to /tmp, or to a directory such as /var/sandbox/temp"
        ));
    }
    Ok(normal)
}

fn mount_of(mounts: &BTreeSet<String>, path: &str) -> Option<String> {
    mounts
        .iter()
        .find(|mount| Path::new(path).starts_with(mount.as_str()) && path != mount.as_str())
        .cloned()
}

fn c_name(name: &std::ffi::OsStr) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn open_at(dir: RawFd, name: &std::ffi::OsStr, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let name = c_name(name)?;
    // SAFETY: a plain system call on a valid descriptor and a NUL-terminated name.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_CLOEXEC, mode) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

const DIRECTORY: i32 = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;

/// Opens the directory `relative` beneath `base` without following a symlink.
/// `create` makes missing directories (mode 0700), handed to the account it names.
fn open_dir_beneath(
    base: &Path,
    relative: &Path,
    create: Option<Option<u32>>,
) -> io::Result<OwnedFd> {
    let mut dir = open_at(libc::AT_FDCWD, base.as_os_str(), DIRECTORY, 0)?;
    for component in relative.components() {
        let name = component.as_os_str();
        let next = match (open_at(dir.as_raw_fd(), name, DIRECTORY, 0), create) {
            (Err(err), Some(owner)) if err.kind() == io::ErrorKind::NotFound => {
                make_dir_at(dir.as_raw_fd(), name, DIR_MODE, owner)?
            }
            (other, _) => other?,
        };
        dir = next;
    }
    Ok(dir)
}

/// Makes the directory `name` in `dir`, with exactly `mode`, handed to `owner`, and
/// opens it.
fn make_dir_at(
    dir: RawFd,
    name: &std::ffi::OsStr,
    mode: u32,
    owner: Option<u32>,
) -> io::Result<OwnedFd> {
    let c = c_name(name)?;
    // SAFETY: as in `open_at`.
    if unsafe { libc::mkdirat(dir, c.as_ptr(), 0o700) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let made = open_at(dir, name, DIRECTORY, 0)?;
    hand_over(made.as_raw_fd(), mode, owner)?;
    Ok(made)
}

/// Sets the mode of what `fd` opens (the umask left out), and its owner.
fn hand_over(fd: RawFd, mode: u32, owner: Option<u32>) -> io::Result<()> {
    if let Some(owner) = owner {
        // SAFETY: a plain system call on a descriptor this process just opened.
        if unsafe { libc::fchown(fd, owner, owner) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: as above.
    if unsafe { libc::fchmod(fd, mode) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn split(relative: &Path) -> io::Result<(&Path, &std::ffi::OsStr)> {
    let name = relative
        .file_name()
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok((relative.parent().unwrap_or(Path::new("")), name))
}

/// Writes a new file and renames it into place: an existing name is replaced, never
/// written through (it may be a hard link to a file outside).
fn write_beneath(
    base: &Path,
    relative: &Path,
    contents: &[u8],
    owner: Option<u32>,
) -> io::Result<()> {
    let (parent, name) = split(relative)?;
    let dir = open_dir_beneath(base, parent, Some(owner))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".aviato-{}.partial", std::process::id()));
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
    let fd = open_at(dir.as_raw_fd(), &temporary, flags, FILE_MODE)?;
    let mut file = File::from(fd);
    let written =
        hand_over(file.as_raw_fd(), FILE_MODE, owner).and_then(|()| file.write_all(contents));
    let (from, to) = (c_name(&temporary)?, c_name(name)?);
    let renamed = written.and_then(|()| {
        // SAFETY: both names are NUL-terminated and relative to `dir`.
        let status =
            unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) };
        if status == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    });
    if renamed.is_err() {
        // SAFETY: as above.
        unsafe { libc::unlinkat(dir.as_raw_fd(), from.as_ptr(), 0) };
    }
    renamed
}

fn read_beneath(
    base: &Path,
    relative: &Path,
    limit: u64,
) -> Result<Vec<u8>, (ReadFailureKind, io::Error)> {
    let failed = |err: io::Error| {
        let kind = match err.raw_os_error() {
            Some(libc::ENOENT | libc::ENOTDIR) => ReadFailureKind::NotFound,
            _ => ReadFailureKind::Failed,
        };
        (kind, err)
    };
    let (parent, name) = split(relative).map_err(failed)?;
    let dir = open_dir_beneath(base, parent, None).map_err(failed)?;
    // Non-blocking, so that a FIFO does not hang the server.
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK;
    let file = File::from(open_at(dir.as_raw_fd(), name, flags, 0).map_err(failed)?);
    let meta = file.metadata().map_err(failed)?;
    if meta.is_dir() {
        return Err((
            ReadFailureKind::IsDirectory,
            io::Error::other("is a directory"),
        ));
    }
    if !meta.is_file() {
        return Err((
            ReadFailureKind::Failed,
            io::Error::other("not a regular file"),
        ));
    }
    if meta.len() > limit {
        return Err((
            ReadFailureKind::TooLarge,
            io::Error::other(format!(
                "{} bytes, more than the {limit} a reply may carry",
                meta.len()
            )),
        ));
    }
    let mut contents = Vec::with_capacity(meta.len() as usize);
    file.take(limit)
        .read_to_end(&mut contents)
        .map_err(failed)?;
    Ok(contents)
}

/// Allocated bytes under `dir`, symlinks not followed.
fn disk_usage(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            total += meta.blocks() * 512;
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn files() -> (tempfile::TempDir, Files) {
        let dir = tempfile::tempdir().unwrap();
        let files =
            Files::create(dir.path().join("sb"), 1024 * 1024, Disk::Measured, None).unwrap();
        (dir, files)
    }

    #[test]
    fn files_round_trip_and_relative_paths_land_in_tmp() {
        let (_dir, files) = files();
        files.write("/tmp/a/b.json", b"{}").unwrap();
        assert_eq!(files.read("/tmp/a/b.json", 100).unwrap(), b"{}");
        files.write("c.txt", b"c").unwrap();
        assert_eq!(files.read("/tmp/c.txt", 100).unwrap(), b"c");
        let missing = files.read("/tmp/missing", 100).unwrap_err();
        assert_eq!(missing.kind, ReadFailureKind::NotFound);
        assert_eq!(
            missing.message,
            "/tmp/missing: No such file or directory (os error 2)"
        );
        let kind = |path: &str, limit| files.read(path, limit).unwrap_err().kind;
        assert_eq!(kind("/tmp/nowhere/x", 100), ReadFailureKind::NotFound);
        assert_eq!(kind("/elsewhere/x", 100), ReadFailureKind::NotFound);
        assert_eq!(kind("/tmp/a", 100), ReadFailureKind::IsDirectory);
        assert_eq!(kind("/tmp/a/b.json", 1), ReadFailureKind::TooLarge);
    }

    #[test]
    fn the_tree_is_private_to_the_server_and_the_sandbox_account() {
        let (dir, files) = files();
        let mode = |path: &str| dir.path().join(path).symlink_metadata().unwrap().mode() & 0o7777;
        files.write("/tmp/a/b.json", b"{}").unwrap();
        files.write("/var/sandbox/temp/c", b"c").unwrap();
        assert_eq!(mode("sb"), 0o700);
        assert_eq!(mode("sb/tmp"), 0o1777);
        assert_eq!(mode("sb/tmp/a"), 0o700);
        assert_eq!(mode("sb/tmp/a/b.json"), 0o600);
        assert_eq!(mode("sb/var"), 0o700);
        assert_eq!(mode("sb/var/sandbox/temp"), 0o1777);
        assert_eq!(mode("sb/var/sandbox/temp/c"), 0o600);
        assert!(
            Files::create(dir.path().join("sb"), 1024, Disk::Measured, None).is_err(),
            "an existing directory is never taken"
        );

        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let handed = Files::create(
                dir.path().join("nobody"),
                1 << 20,
                Disk::Measured,
                Some(65534),
            )
            .unwrap();
            handed.write("/tmp/d/e", b"e").unwrap();
            for path in ["nobody/tmp/d", "nobody/tmp/d/e"] {
                let meta = dir.path().join(path).symlink_metadata().unwrap();
                assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "{path}");
            }
            assert_eq!(dir.path().join("nobody").metadata().unwrap().uid(), 0);
        }
    }

    #[test]
    fn only_tmp_and_the_temp_dir_are_written() {
        let (dir, files) = files();
        files.write("/var/sandbox/temp/p.bin", b"p").unwrap();
        files.write("/var/sandbox/temp/sub/q.bin", b"q").unwrap();
        let mounts: Vec<String> = files
            .writable_dirs()
            .into_iter()
            .map(|d| d.sandbox)
            .collect();
        assert_eq!(mounts, ["/tmp", "/var/sandbox/temp"]);
        assert_eq!(files.read("/var/sandbox/temp/sub/q.bin", 10).unwrap(), b"q");
        for bad in [
            "/var/r.bin",
            "/elsewhere/x",
            "/etc/x",
            "/usr/lib/x",
            "/x",
            "/tmp/../etc/passwd",
            "../etc/passwd",
            "",
            "/tmp/nul\0byte",
        ] {
            assert!(
                matches!(files.write(bad, b"x"), Err(WriteFailure::Refused(_))),
                "{bad} written"
            );
        }
        let mounts = files.writable_dirs();
        assert_eq!(mounts.len(), 2);
        for other in ["var/r.bin", "elsewhere", "x"] {
            assert!(!dir.path().join("sb").join(other).exists(), "{other}");
        }
    }

    #[test]
    fn host_and_home_directories_cannot_be_the_temp_dir() {
        for bad in [
            "/run/x",
            "/run/aviato/bin/python",
            "/root/x",
            "/home/u/x",
            "/sys/x",
            "/r.bin",
        ] {
            let (_dir, files) = files();
            let refused = files.write(bad, b"x");
            assert!(
                matches!(refused, Err(WriteFailure::Refused(_))),
                "{bad}: {refused:?}"
            );
            assert_eq!(files.writable_dirs().len(), 1, "{bad}");
        }
        let (_dir, files) = files();
        let Err(WriteFailure::Refused(message)) = files.write("/run/x", b"x") else {
            panic!("/run/x written");
        };
        assert!(message.contains("/run"), "{message}");
        files.write("/scratch/x", b"x").unwrap();
    }

    #[test]
    fn dev_shm_is_a_hidden_directory_of_the_tmpfs_that_no_file_call_reaches() {
        let (_dir, measured) = files();
        assert_eq!(measured.shm_dir(), None);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sb");
        let files =
            Files::create(root.clone(), 1 << 20, Disk::Holder { inodes: 64 }, None).unwrap();
        assert_eq!(files.shm_dir(), Some(root.join(".dev-shm")));
        let shm = files.access.join(".dev-shm");
        assert_eq!(shm.symlink_metadata().unwrap().mode() & 0o7777, 0o1777);
        std::fs::write(shm.join("segment"), b"s").unwrap();
        for path in ["/.dev-shm/segment", "/.dev-shm/sub/x"] {
            assert!(
                matches!(files.write(path, b"x"), Err(WriteFailure::Refused(_))),
                "{path} written"
            );
            assert_eq!(
                files.read(path, 10).unwrap_err().kind,
                ReadFailureKind::NotFound
            );
        }
        assert_eq!(std::fs::read(shm.join("segment")).unwrap(), b"s");
        let mounts: Vec<String> = files
            .writable_dirs()
            .into_iter()
            .map(|d| d.sandbox)
            .collect();
        assert_eq!(mounts, ["/tmp"]);
        files.remove().unwrap();
        assert!(!root.exists());
    }

    #[test]
    fn symlinks_and_fifos_planted_by_the_sandbox_are_not_followed() {
        let (dir, files) = files();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "host secret").unwrap();
        let tmp = dir.path().join("sb/tmp");
        std::os::unix::fs::symlink(&secret, tmp.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), tmp.join("dirlink")).unwrap();
        assert!(files.read("/tmp/link", 100).is_err());
        assert!(files.read("/tmp/dirlink/secret", 100).is_err());
        files.write("/tmp/link", b"replaced").unwrap();
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "host secret");
        assert!(files.write("/tmp/dirlink/secret", b"x").is_err());
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "host secret");
        let fifo = CString::new(tmp.join("fifo").to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(files.read("/tmp/fifo", 100).is_err());
    }

    #[test]
    fn hard_links_are_replaced_not_written_through() {
        let (dir, files) = files();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep").unwrap();
        std::fs::hard_link(&outside, dir.path().join("sb/tmp/linked")).unwrap();
        files.write("/tmp/linked", b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        assert_eq!(files.read("/tmp/linked", 10).unwrap(), b"new");
    }

    #[test]
    fn the_quota_bounds_what_is_written_and_remove_clears_all() {
        let (dir, files) = files();
        assert!(matches!(
            files.write("/tmp/big", &vec![0u8; 2 * 1024 * 1024]),
            Err(WriteFailure::NoRoom(_))
        ));
        files.write("/tmp/small", b"s").unwrap();
        std::fs::set_permissions(
            dir.path().join("sb/tmp"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        files.remove().unwrap();
        assert!(!dir.path().join("sb").exists());
    }

    #[test]
    fn a_holders_tmpfs_bounds_bytes_and_inodes_and_the_host_sees_none_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sb");
        let files =
            Files::create(root.clone(), 1024 * 1024, Disk::Holder { inodes: 32 }, None).unwrap();
        assert!(files.bounded_by_kernel());
        let holder = files.holder().expect("a holder");
        files.write("/tmp/a/b.json", b"{}").unwrap();
        assert_eq!(files.read("/tmp/a/b.json", 100).unwrap(), b"{}");
        assert!(matches!(
            files.write("/tmp/big", &vec![0u8; 2 * 1024 * 1024]),
            Err(WriteFailure::NoRoom(_))
        ));
        // The root, tmp, .dev-shm, a and b.json are 5 of the 32 inodes.
        let written = (0..64)
            .take_while(|n| files.write(&format!("/tmp/f{n}"), b"").is_ok())
            .count();
        assert_eq!(written, 27);
        assert!(matches!(
            files.write("/tmp/one-more", b""),
            Err(WriteFailure::NoRoom(_))
        ));
        // None of it is in the host's directory.
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
        let pid = holder.pid();
        drop(holder);
        files.remove().unwrap();
        assert!(!root.exists());
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }
}
