//! Removing a tree the sandbox's code has shaped: as deep, as wide and as locked up
//! as it likes, with symlinks planted anywhere.
//!
//! The walk keeps one directory open at a time and a stack of names (no recursion,
//! so no depth overflows a thread's stack, and no path grows past `PATH_MAX`); it
//! opens each name relative to its directory with `O_NOFOLLOW`, so a symlink is
//! removed, never followed, and it climbs back through `..` only after checking that
//! it lands on the directory it came from. It blocks: run it on a blocking thread.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const DIRECTORY: i32 =
    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;

/// Removes `path` and everything beneath it; nothing there when it does not exist.
/// Only the last component of `path` is opened without following a symlink: the
/// directories above it are the caller's.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no name to remove"))?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let parent = match open_dir(libc::AT_FDCWD, &c_string(parent.as_os_str())?) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    remove_beneath(parent, c_string(name)?)
}

struct Frame {
    /// Its name in the directory above.
    name: CString,
    /// Its device and inode, to recognize it when climbing back from below.
    id: (u64, u64),
    /// Its subdirectories still to remove.
    subdirs: Vec<CString>,
}

fn remove_beneath(parent: OwnedFd, name: CString) -> io::Result<()> {
    let mut current = match open_dir(parent.as_raw_fd(), &name) {
        Ok(dir) => dir,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) if not_a_directory(&err) => return unlink(parent.as_raw_fd(), &name, 0),
        Err(err) => return Err(err),
    };
    let mut stack = vec![Frame {
        name,
        id: id_of(current.as_raw_fd())?,
        subdirs: clear(current.as_raw_fd())?,
    }];
    loop {
        let top = stack.last_mut().expect("the stack ends when it is empty");
        if let Some(child) = top.subdirs.pop() {
            match open_dir(current.as_raw_fd(), &child) {
                Ok(dir) => {
                    let frame = Frame {
                        name: child,
                        id: id_of(dir.as_raw_fd())?,
                        subdirs: clear(dir.as_raw_fd())?,
                    };
                    stack.push(frame);
                    current = dir;
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) if not_a_directory(&err) => unlink(current.as_raw_fd(), &child, 0)?,
                Err(err) => return Err(err),
            }
            continue;
        }
        let done = stack.pop().expect("the stack is not empty");
        let Some(above) = stack.last() else {
            return unlink(parent.as_raw_fd(), &done.name, libc::AT_REMOVEDIR);
        };
        let up = open_dir(current.as_raw_fd(), c"..")?;
        if id_of(up.as_raw_fd())? != above.id {
            return Err(io::Error::other(
                "a directory was moved while its tree was being removed",
            ));
        }
        unlink(up.as_raw_fd(), &done.name, libc::AT_REMOVEDIR)?;
        current = up;
    }
}

fn not_a_directory(err: &io::Error) -> bool {
    // ELOOP: a symlink met O_NOFOLLOW.
    matches!(err.raw_os_error(), Some(libc::ENOTDIR | libc::ELOOP))
}

fn c_string(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn check(status: libc::c_int) -> io::Result<libc::c_int> {
    if status < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(status)
    }
}

/// Opens the directory `name` in `dir` without following a symlink. One its owner
/// locked (mode 0 or 0500, possible when the sandbox is the server's own user) is
/// opened up first, through a handle on the directory itself, never by name.
fn open_dir(dir: RawFd, name: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: a plain system call with a NUL-terminated name.
    let opened = check(unsafe { libc::openat(dir, name.as_ptr(), DIRECTORY) });
    let fd = match opened {
        Ok(fd) => fd,
        Err(err) if err.raw_os_error() == Some(libc::EACCES) => {
            let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
            // SAFETY: as above.
            let handle = check(unsafe { libc::openat(dir, name.as_ptr(), flags) })?;
            // SAFETY: `handle` was just opened and is owned by nothing else.
            let handle = unsafe { OwnedFd::from_raw_fd(handle) };
            // The magic link names the directory the handle holds, whatever its name.
            let magic = CString::new(format!("/proc/self/fd/{}", handle.as_raw_fd()))
                .expect("no NUL in a number");
            // SAFETY: as above.
            check(unsafe { libc::chmod(magic.as_ptr(), 0o700) })?;
            // SAFETY: as above.
            check(unsafe { libc::openat(handle.as_raw_fd(), c".".as_ptr(), DIRECTORY) })?
        }
        Err(err) => return Err(err),
    };
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn stat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: fstat fills the zeroed structure.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        check(libc::fstat(fd, &mut stat))?;
        Ok(stat)
    }
}

fn id_of(fd: RawFd) -> io::Result<(u64, u64)> {
    let stat = stat(fd)?;
    Ok((stat.st_dev, stat.st_ino))
}

fn unlink(dir: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: a plain system call with a NUL-terminated name.
    match check(unsafe { libc::unlinkat(dir, name.as_ptr(), flags) }) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Removes everything in the directory `dir` but its subdirectories, which it
/// returns.
fn clear(dir: RawFd) -> io::Result<Vec<CString>> {
    // A directory without write permission for its owner: its entries cannot be
    // removed until it is given back (root needs none of this).
    let mode = stat(dir)?.st_mode;
    if mode & 0o700 != 0o700 {
        // SAFETY: a plain system call on an open directory.
        let _ = unsafe { libc::fchmod(dir, (mode & 0o7777) | 0o700) };
    }
    let mut subdirs = Vec::new();
    for (name, kind) in entries(dir)? {
        let is_dir = match kind {
            libc::DT_DIR => true,
            libc::DT_UNKNOWN => {
                // SAFETY: fstatat fills the zeroed structure; the name is NUL-terminated.
                let stat = unsafe {
                    let mut stat: libc::stat = std::mem::zeroed();
                    let flags = libc::AT_SYMLINK_NOFOLLOW;
                    match check(libc::fstatat(dir, name.as_ptr(), &mut stat, flags)) {
                        Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                        other => other?,
                    };
                    stat
                };
                stat.st_mode & libc::S_IFMT == libc::S_IFDIR
            }
            _ => false,
        };
        if is_dir {
            subdirs.push(name);
        } else {
            unlink(dir, &name, 0)?;
        }
    }
    Ok(subdirs)
}

/// The names in the directory `dir` and their types, `.` and `..` left out.
fn entries(dir: RawFd) -> io::Result<Vec<(CString, u8)>> {
    // fdopendir takes its descriptor over; the caller keeps `dir`.
    // SAFETY: plain system calls on an open directory.
    let copy = check(unsafe { libc::fcntl(dir, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: `copy` is an open directory that the stream now owns.
    let stream = unsafe { libc::fdopendir(copy) };
    if stream.is_null() {
        let err = io::Error::last_os_error();
        // SAFETY: the stream did not take `copy`.
        unsafe { libc::close(copy) };
        return Err(err);
    }
    // The copy shares its offset with `dir`, which may have been read before.
    // SAFETY: a valid stream.
    unsafe { libc::rewinddir(stream) };
    let mut found = Vec::new();
    let result = loop {
        // readdir reports an error only through errno.
        // SAFETY: errno is this thread's.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: a valid stream; the entry stays valid until the next call.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            let errno = io::Error::last_os_error();
            break match errno.raw_os_error() {
                Some(0) | None => Ok(()),
                Some(_) => Err(errno),
            };
        }
        // SAFETY: `d_name` is NUL-terminated within the entry.
        let (name, kind) = unsafe { (CStr::from_ptr((*entry).d_name.as_ptr()), (*entry).d_type) };
        if name != c"." && name != c".." {
            found.push((name.to_owned(), kind));
        }
    };
    // SAFETY: the stream is closed once, with its descriptor.
    unsafe { libc::closedir(stream) };
    result.map(|()| found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_deep_tree_is_removed_on_a_small_stack() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let root_fd = open_dir(libc::AT_FDCWD, &c_string(root.as_os_str()).unwrap()).unwrap();
        let mut current = root_fd;
        for _ in 0..20_000 {
            // SAFETY: NUL-terminated names in an open directory.
            unsafe {
                assert_eq!(libc::mkdirat(current.as_raw_fd(), c"d".as_ptr(), 0o700), 0);
                let mode = libc::S_IFREG | 0o600;
                assert_eq!(
                    libc::mknodat(current.as_raw_fd(), c"f".as_ptr(), mode, 0),
                    0
                );
            }
            current = open_dir(current.as_raw_fd(), c"d").unwrap();
        }
        drop(current);
        let removed = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || remove_tree(&root))
            .unwrap()
            .join()
            .unwrap();
        removed.unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn symlinks_are_removed_not_followed_and_locked_directories_opened() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "keep").unwrap();
        let outside_mode = outside.metadata().unwrap().permissions().mode();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("a/to-outside")).unwrap();
        std::os::unix::fs::symlink(outside.join("keep"), root.join("a/b/to-keep")).unwrap();
        std::fs::write(root.join("a/b/file"), "x").unwrap();
        for locked in ["a/b", "a"] {
            std::fs::set_permissions(root.join(locked), std::fs::Permissions::from_mode(0o000))
                .unwrap();
        }
        remove_tree(&root).unwrap();
        assert!(!root.exists());
        assert_eq!(
            std::fs::read_to_string(outside.join("keep")).unwrap(),
            "keep"
        );
        assert_eq!(
            outside.metadata().unwrap().permissions().mode(),
            outside_mode
        );

        // A symlink in place of the tree itself is removed, its target kept.
        std::os::unix::fs::symlink(&outside, &root).unwrap();
        remove_tree(&root).unwrap();
        assert!(root.symlink_metadata().is_err());
        assert!(outside.join("keep").exists());
        remove_tree(&dir.path().join("missing")).unwrap();
    }
}
