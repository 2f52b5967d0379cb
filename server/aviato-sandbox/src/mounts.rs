//! Size- and inode-limited tmpfs mounts for a sandbox, which the kernel enforces
//! whether or not the host user is root.
//!
//! bubblewrap's `--size` bounds a tmpfs's bytes, not its inodes. So the sandbox's
//! writable directories are tmpfs mounts made before bubblewrap starts, with
//! `size=` and `nr_inodes=`, in a mount namespace of their own (and, for a user who
//! is not root, a user namespace that maps that user to itself, where it may mount a
//! tmpfs), and bound by bubblewrap in their place. The host sees only the empty
//! directories they are mounted on.
//!
//! For one run ([`FreshMounts`]) bubblewrap's parent makes them, between `fork` and
//! `exec`. For files that outlive one command (a sandbox server's sandbox) a small
//! [`MountHolder`] process keeps the namespaces, and so the tmpfs, alive; each
//! command's bubblewrap joins them ([`JoinMounts`]), and the host reaches the files
//! through the holder's `/proc/PID/root`.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// The most bytes and inodes (files, directories, links) of one tmpfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmpfsBound {
    pub bytes: u64,
    pub inodes: u64,
}

impl TmpfsBound {
    fn options(self) -> CString {
        CString::new(format!(
            "size={},nr_inodes={},mode=0700",
            self.bytes, self.inodes
        ))
        .expect("no NUL byte")
    }
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)
}

/// Whether this process is root, and needs no user namespace to mount.
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The tmpfs mounts a child makes for itself before it runs bubblewrap: everything
/// computed before the fork, so that [`FreshMounts::apply`] only makes system calls.
#[derive(Debug)]
pub(crate) struct FreshMounts {
    /// `/proc/self/uid_map` and `gid_map` lines mapping the user to itself, when it
    /// is not root.
    maps: Option<(CString, CString)>,
    mounts: Vec<(CString, CString)>,
}

impl FreshMounts {
    /// A tmpfs bounded by `bound` on each directory of `targets`, which must exist.
    pub(crate) fn new(targets: &[&Path], bound: TmpfsBound) -> io::Result<Self> {
        let maps = (!is_root()).then(|| {
            // SAFETY: getuid and getgid have no preconditions.
            let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
            (
                CString::new(format!("{uid} {uid} 1")).expect("no NUL byte"),
                CString::new(format!("{gid} {gid} 1")).expect("no NUL byte"),
            )
        });
        let mounts = targets
            .iter()
            .map(|target| Ok((c_path(target)?, bound.options())))
            .collect::<io::Result<_>>()?;
        Ok(Self { maps, mounts })
    }

    /// In the forked child: a mount namespace of its own (and a user namespace,
    /// unless root), nothing of it propagating back, then the mounts.
    ///
    /// # Safety
    /// Between `fork` and `exec` only: it changes the namespaces of the calling
    /// process, which must be single-threaded.
    pub(crate) unsafe fn apply(&self) -> io::Result<()> {
        let flags = if self.maps.is_some() {
            libc::CLONE_NEWUSER | libc::CLONE_NEWNS
        } else {
            libc::CLONE_NEWNS
        };
        // SAFETY: plain system calls on values made before the fork.
        unsafe {
            check(libc::unshare(flags))?;
            if let Some((uid_map, gid_map)) = &self.maps {
                write_file(c"/proc/self/setgroups", c"deny")?;
                write_file(c"/proc/self/uid_map", uid_map)?;
                write_file(c"/proc/self/gid_map", gid_map)?;
            }
            check(libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            for (target, options) in &self.mounts {
                check(libc::mount(
                    c"tmpfs".as_ptr(),
                    target.as_ptr(),
                    c"tmpfs".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    options.as_ptr().cast(),
                ))?;
            }
        }
        Ok(())
    }
}

fn check(status: libc::c_int) -> io::Result<()> {
    if status == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Writes `text` to `path`, with system calls alone.
unsafe fn write_file(path: &std::ffi::CStr, text: &std::ffi::CStr) -> io::Result<()> {
    // SAFETY: NUL-terminated strings that outlive the calls.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let bytes = text.to_bytes();
        let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let error = io::Error::last_os_error();
        libc::close(fd);
        if written != bytes.len() as isize {
            return Err(error);
        }
    }
    Ok(())
}

/// What a child does to its mounts before it runs bubblewrap.
#[derive(Debug)]
pub(crate) enum ChildMounts {
    Fresh(FreshMounts),
    Join(JoinMounts),
}

impl ChildMounts {
    /// # Safety
    /// Between `fork` and `exec` only (see [`FreshMounts::apply`]).
    pub(crate) unsafe fn apply(&self) -> io::Result<()> {
        // SAFETY: as the caller promises.
        unsafe {
            match self {
                ChildMounts::Fresh(fresh) => fresh.apply(),
                ChildMounts::Join(join) => join.apply(),
            }
        }
    }
}

/// The directories one run's tmpfs mounts are made on: `tmp`, `shm` and `temp` in
/// a fresh private directory of the host's temporary directory, empty on the host
/// (the mounts are in the run's namespaces only), and removed when dropped.
#[derive(Debug)]
pub(crate) struct MountPoints {
    dir: PathBuf,
}

impl MountPoints {
    pub(crate) const NAMES: [&str; 3] = ["tmp", "shm", "temp"];

    pub(crate) fn create() -> io::Result<MountPoints> {
        Self::clear_leftovers(&std::env::temp_dir());
        let template =
            std::env::temp_dir().join(format!("aviato-run-{}-XXXXXX", std::process::id()));
        let mut bytes = c_path(&template)?.into_bytes_with_nul();
        // SAFETY: a NUL-terminated template that mkdtemp fills in place.
        if unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) }.is_null() {
            return Err(io::Error::last_os_error());
        }
        bytes.pop();
        let points = MountPoints {
            dir: PathBuf::from(std::ffi::OsString::from(
                <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&bytes),
            )),
        };
        for name in Self::NAMES {
            std::fs::create_dir(points.dir.join(name))?;
        }
        Ok(points)
    }

    /// The mount points of runs whose process is gone (killed before it could
    /// remove them): empty directories on the host. Those of a live process are
    /// left alone, as removing them would take its mounts away.
    fn clear_leftovers(parent: &Path) {
        let Ok(entries) = std::fs::read_dir(parent) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("aviato-run-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<libc::pid_t>().ok())
            else {
                continue;
            };
            // SAFETY: signal 0 only asks whether the process exists.
            let gone = unsafe { libc::kill(pid, 0) } != 0
                && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
            if gone {
                drop(MountPoints { dir: entry.path() });
            }
        }
    }

    /// The directory that holds them.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every mount point.
    pub(crate) fn all(&self) -> Vec<PathBuf> {
        Self::NAMES.iter().map(|name| self.dir.join(name)).collect()
    }
}

impl Drop for MountPoints {
    fn drop(&mut self) {
        for name in Self::NAMES {
            let _ = std::fs::remove_dir(self.dir.join(name));
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The namespaces of a [`MountHolder`], for a child to join before it runs
/// bubblewrap: descriptors the holder keeps open while it lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JoinMounts {
    user: Option<RawFd>,
    mount: RawFd,
}

impl JoinMounts {
    /// In the forked child: the holder's user namespace (where it has the rights to
    /// enter the mount namespace), then its mount namespace.
    ///
    /// # Safety
    /// Between `fork` and `exec` only: joining a user namespace needs a
    /// single-threaded process.
    pub(crate) unsafe fn apply(&self) -> io::Result<()> {
        // SAFETY: setns on descriptors this process holds open.
        unsafe {
            if let Some(user) = self.user {
                check(libc::setns(user, libc::CLONE_NEWUSER))?;
            }
            check(libc::setns(self.mount, libc::CLONE_NEWNS))?;
        }
        Ok(())
    }
}

/// A process that holds a tmpfs, mounted on a directory in its own mount namespace
/// (and user namespace, unless root), for as long as it lives: until it is dropped,
/// or until the process that made it dies (it waits for the end of its stdin).
/// The files are reached from the host through [`MountHolder::host_path`]; the
/// commands that use them join its namespaces, where the directory is the tmpfs.
#[derive(Debug)]
pub struct MountHolder {
    child: Mutex<Child>,
    pid: u32,
    user: Option<OwnedFd>,
    mount: OwnedFd,
    dir: PathBuf,
}

impl MountHolder {
    /// Mounts a tmpfs bounded by `bound` on `dir` (an existing directory) in
    /// namespaces of a new holder process. Blocks for as long as the process takes
    /// to start.
    pub fn spawn(dir: &Path, bound: TmpfsBound) -> io::Result<MountHolder> {
        let fresh = FreshMounts::new(&[dir], bound)?;
        let mut command = Command::new("/bin/sh");
        // The directory is its `$0`: what it holds shows in `ps`.
        command
            .args(["-c", "read _ignored"])
            .arg(dir)
            .current_dir("/")
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only system calls on values computed before the fork.
        unsafe {
            command.pre_exec(move || {
                fresh.apply()?;
                super::process::close_on_exec_above(2)
            });
        }
        let mut child = command.spawn()?;
        let opened = |name: &str| -> io::Result<OwnedFd> {
            let path = CString::new(format!("/proc/{}/ns/{name}", child.id())).expect("no NUL");
            // SAFETY: a NUL-terminated path; the descriptor is owned from here on.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: just opened, owned by nothing else.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        };
        let namespaces = (|| {
            let user = (!is_root()).then(|| opened("user")).transpose()?;
            Ok::<_, io::Error>((user, opened("mnt")?))
        })();
        let (user, mount) = match namespaces {
            Ok(namespaces) => namespaces,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err);
            }
        };
        let holder = MountHolder {
            pid: child.id(),
            child: Mutex::new(child),
            user,
            mount,
            dir: dir.to_owned(),
        };
        // Mounted, or the holder failed before it could wait.
        let root = holder.host_path(Path::new(""));
        let mounted = statfs_type(&root)? == TMPFS_MAGIC;
        if !mounted {
            return Err(io::Error::other(format!(
                "no tmpfs was mounted on {}",
                dir.display()
            )));
        }
        Ok(holder)
    }

    /// The holder's pid.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Where the host reaches `relative` (a path in the tmpfs): through the holder's
    /// view of the filesystem. Valid while the holder lives: it is this process's
    /// child, and its pid is not reused before it is reaped, at drop.
    pub fn host_path(&self, relative: &Path) -> PathBuf {
        let mut path = PathBuf::from(format!("/proc/{}/root", self.pid));
        path.push(self.dir.strip_prefix("/").unwrap_or(&self.dir));
        if !relative.as_os_str().is_empty() {
            path.push(relative);
        }
        path
    }

    /// The directory the tmpfs is mounted on, in the holder's namespaces.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What a command's bubblewrap joins; valid while this holder lives.
    pub(crate) fn join(&self) -> JoinMounts {
        JoinMounts {
            user: self.user.as_ref().map(AsRawFd::as_raw_fd),
            mount: self.mount.as_raw_fd(),
        }
    }

    /// Ends the holder, and with it the tmpfs and its files, however many, once
    /// this is dropped and no command still runs in its namespaces. Blocks until
    /// the holder is reaped.
    pub fn end(&self) -> io::Result<()> {
        let mut child = self
            .child
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match child.try_wait()? {
            Some(_) => Ok(()),
            None => {
                child.kill()?;
                child.wait().map(drop)
            }
        }
    }
}

impl Drop for MountHolder {
    fn drop(&mut self) {
        let _ = self.end();
    }
}

const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The filesystem type of `path` (`f_type` of statfs).
fn statfs_type(path: &Path) -> io::Result<i64> {
    let path = c_path(path)?;
    // SAFETY: statfs fills the zeroed struct it is given; the path is NUL-terminated.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    check(unsafe { libc::statfs(path.as_ptr(), &mut stat) })?;
    Ok(stat.f_type as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_files(dir: &Path, count: usize) -> usize {
        (0..count)
            .take_while(|n| std::fs::write(dir.join(format!("f{n}")), b"").is_ok())
            .count()
    }

    #[test]
    fn a_holder_bounds_the_inodes_and_bytes_of_its_tmpfs_and_the_host_sees_nothing() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("files");
        std::fs::create_dir(&dir).unwrap();
        let holder = MountHolder::spawn(
            &dir,
            TmpfsBound {
                bytes: 1024 * 1024,
                inodes: 64,
            },
        )
        .unwrap();
        let inside = holder.host_path(Path::new(""));
        // The root directory takes one inode.
        assert_eq!(make_files(&inside, 1000), 63);
        let error = std::fs::write(inside.join("one-more"), b"").unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOSPC));
        std::fs::remove_file(inside.join("f0")).unwrap();
        let big = std::fs::write(inside.join("big"), vec![0u8; 2 * 1024 * 1024]).unwrap_err();
        assert_eq!(big.raw_os_error(), Some(libc::ENOSPC));
        // On the host the directory is empty, and stays an ordinary directory.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        assert_ne!(statfs_type(&dir).unwrap(), TMPFS_MAGIC);
        holder.end().unwrap();
        assert!(!inside.exists());
    }

    #[test]
    fn mount_points_of_a_dead_run_are_cleared_and_a_live_ones_kept() {
        let parent = tempfile::tempdir().unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        let make = |name: String| {
            let dir = parent.path().join(name);
            for sub in MountPoints::NAMES {
                std::fs::create_dir_all(dir.join(sub)).unwrap();
            }
            dir
        };
        let gone = make(format!("aviato-run-{dead_pid}-abcdef"));
        let live = make(format!("aviato-run-{}-abcdef", std::process::id()));
        MountPoints::clear_leftovers(parent.path());
        assert!(!gone.exists());
        assert!(live.join("tmp").is_dir());
    }
}
