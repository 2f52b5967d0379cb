//! A tmpfs per sandbox, mounted by the server on the sandbox's host directory, so
//! that the kernel bounds the bytes and inodes of its files (root only).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Gives this process, when it is root (and will mount a tmpfs per sandbox), a
/// mount namespace of its own, where those mounts live and die with it: a server
/// that is killed leaves none on the host. Before any thread starts (the kernel
/// refuses it after).
pub fn private_mounts() -> io::Result<()> {
    // SAFETY: geteuid has no preconditions; unshare and mount change only this
    // process's view of the mounts.
    unsafe {
        if libc::geteuid() != 0 {
            return Ok(());
        }
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(io::Error::last_os_error());
        }
        // Nothing mounted here propagates back to the host.
        let private = libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        );
        if private != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)
}

/// Mounts a tmpfs of at most `bytes` and `inodes` on `dir`, which only the server's
/// user may enter (0700).
pub(crate) fn mount(dir: &Path, bytes: u64, inodes: u64) -> io::Result<()> {
    let target = c_path(dir)?;
    let options =
        CString::new(format!("size={bytes},nr_inodes={inodes},mode=0700")).expect("no NUL byte");
    // SAFETY: every pointer is a NUL-terminated string that outlives the call.
    let mounted = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            options.as_ptr().cast(),
        )
    };
    if mounted != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Detaches the tmpfs on `dir`, and with it every file in it, however many and
/// however deep; whatever still holds one open keeps only that.
pub(crate) fn unmount(dir: &Path) -> io::Result<()> {
    let target = c_path(dir)?;
    // SAFETY: a NUL-terminated path that outlives the call.
    let unmounted =
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW) };
    if unmounted != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Bytes in use in the filesystem of `dir`.
pub(crate) fn used_bytes(dir: &Path) -> io::Result<u64> {
    let path = c_path(dir)?;
    // SAFETY: statvfs fills the zeroed struct it is given.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above; the path is NUL-terminated.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((stat.f_blocks - stat.f_bfree).saturating_mul(stat.f_frsize))
}
