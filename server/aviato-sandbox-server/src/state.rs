//! The server's state directory: private to the server's user, made exclusively
//! when the server picks it, and checked when the operator names it.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Makes a fresh directory in `parent` under a name no one could have guessed
/// (`aviato-sandbox-server-XXXXXX`), mode 0700. An existing directory is never
/// taken: another user may have made it first to watch or swap what is put in it.
pub fn create_private_state_dir(parent: &Path) -> io::Result<PathBuf> {
    let template = parent.join("aviato-sandbox-server-XXXXXX");
    let template = CString::new(template.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut bytes = template.into_bytes_with_nul();
    // SAFETY: `bytes` is a NUL-terminated template that mkdtemp fills in place.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return Err(io::Error::last_os_error());
    }
    bytes.pop();
    Ok(PathBuf::from(
        <std::ffi::OsString as OsStringExt>::from_vec(bytes),
    ))
}

/// Makes `dir` (mode 0700) if it does not exist, then checks that it is safe to keep
/// the sandboxes' files in: a directory, not a symbolic link, owned by this
/// process's user, and writable by no one else.
pub fn prepare_state_dir(dir: &Path) -> Result<(), String> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
        Err(err) => {
            return Err(format!(
                "cannot make the state directory {}: {err}",
                dir.display()
            ));
        }
    }
    let meta = dir
        .symlink_metadata()
        .map_err(|err| format!("cannot use the state directory {}: {err}", dir.display()))?;
    check_state_dir(dir, &meta)
}

fn check_state_dir(dir: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    let refuse = |why: String| {
        Err(format!(
            "the state directory {} {why}; give --state-dir a directory of this user's \
             that no one else can write to (mode 0700)",
            dir.display()
        ))
    };
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link".to_owned());
    }
    if !meta.is_dir() {
        return refuse("is not a directory".to_owned());
    }
    // SAFETY: geteuid has no preconditions.
    let user = unsafe { libc::geteuid() };
    if meta.uid() != user {
        return refuse(format!(
            "belongs to user {}, not to this server's user {user}",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return refuse(format!(
            "is writable by other users (mode {:04o})",
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_fresh_state_dir_is_private_and_new_each_time() {
        let parent = tempfile::tempdir().unwrap();
        let first = create_private_state_dir(parent.path()).unwrap();
        let second = create_private_state_dir(parent.path()).unwrap();
        assert_ne!(first, second);
        for dir in [&first, &second] {
            let meta = dir.symlink_metadata().unwrap();
            assert!(meta.is_dir());
            assert_eq!(meta.mode() & 0o7777, 0o700);
            assert!(
                dir.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("aviato-sandbox-server-")
            );
        }
    }

    #[test]
    fn a_named_state_dir_must_be_private() {
        let parent = tempfile::tempdir().unwrap();
        let made = parent.path().join("made");
        prepare_state_dir(&made).unwrap();
        assert_eq!(made.metadata().unwrap().mode() & 0o7777, 0o700);
        prepare_state_dir(&made).unwrap();

        let open = parent.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let refused = prepare_state_dir(&open).unwrap_err();
        assert!(refused.contains("writable by other users"), "{refused}");

        let link = parent.path().join("link");
        std::os::unix::fs::symlink(&made, &link).unwrap();
        let refused = prepare_state_dir(&link).unwrap_err();
        assert!(refused.contains("symbolic link"), "{refused}");

        let file = parent.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(prepare_state_dir(&file).is_err());

        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let theirs = parent.path().join("theirs");
            std::fs::create_dir(&theirs).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            let refused = prepare_state_dir(&theirs).unwrap_err();
            assert!(refused.contains("belongs to user 65534"), "{refused}");
        }
    }
}
