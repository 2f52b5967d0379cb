//! Which local Python stands in for the container image the SDK would start.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::process::Command;

use super::find_executable;

/// A Python installation the sandbox can bind read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The real executable, symlinks resolved.
    pub executable: PathBuf,
    /// `sys.base_prefix`: everything the interpreter loads lives under it.
    pub prefix: PathBuf,
    /// `X.Y`.
    pub version: String,
}

/// The interpreter chosen for an image, and what the outcome should say about it.
#[derive(Debug)]
pub struct Selection {
    pub interpreter: Interpreter,
    pub note: Option<String>,
}

/// `python:X.Y` (with any suffix: `python:3.12-slim`) runs on a local `pythonX.Y`
/// when there is one; anything else on `default_command`, with a note.
pub(crate) async fn select(image: &str, default_command: &str) -> Result<Selection, String> {
    let wanted = python_image_version(image);
    if let Some(version) = &wanted
        && let Some(interpreter) = resolve(&format!("python{version}")).await
    {
        return Ok(Selection {
            interpreter,
            note: None,
        });
    }
    let interpreter = resolve(default_command).await.ok_or_else(|| {
        format!("no Python interpreter to run on: `{default_command}` was not found on PATH")
    })?;
    let note = match wanted {
        Some(version) if version == interpreter.version => None,
        Some(version) => Some(format!(
            "image {image} has no local interpreter (no working python{version} on PATH): \
             ran on Python {} instead",
            interpreter.version
        )),
        None => Some(format!(
            "image {image} has no local equivalent: ran on Python {} instead",
            interpreter.version
        )),
    };
    Ok(Selection { interpreter, note })
}

fn python_image_version(image: &str) -> Option<String> {
    let tag = image
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/")
        .strip_prefix("python:")?;
    let mut parts = tag.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().filter(|part| !part.is_empty())?;
    let minor = parts.next().filter(|part| !part.is_empty())?;
    tag[major.len()..]
        .starts_with('.')
        .then(|| format!("{major}.{minor}"))
}

/// Resolves a command (`python3.11`, or a path) to the interpreter it runs, once per
/// process.
pub(crate) async fn resolve(command: &str) -> Option<Interpreter> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Interpreter>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(known) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(command)
    {
        return known.clone();
    }
    let found = match find_executable(command) {
        Some(path) => match from_installation(&path).or_else(|| from_pyenv(&path)) {
            Some(interpreter) => Some(interpreter),
            None => ask(&path).await,
        },
        None => None,
    };
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(command.to_owned(), found.clone());
    found
}

/// Reads the installation off the file system, without starting Python: a native
/// `PREFIX/bin/pythonX.Y` whose standard library is at `PREFIX/lib/pythonX.Y`.
fn from_installation(path: &Path) -> Option<Interpreter> {
    let executable = path.canonicalize().ok()?;
    let version = executable
        .file_name()
        .and_then(OsStr::to_str)?
        .strip_prefix("python")?
        .to_owned();
    let mut digits = version.split('.');
    let well_formed = digits.next().is_some_and(is_number)
        && digits.next().is_some_and(is_number)
        && digits.next().is_none();
    if !well_formed || !is_elf(&executable) {
        return None;
    }
    let prefix = executable.parent()?.parent()?.to_path_buf();
    prefix
        .join("lib")
        .join(format!("python{version}"))
        .join("os.py")
        .is_file()
        .then_some(Interpreter {
            executable,
            prefix,
            version,
        })
}

/// A pyenv shim (`ROOT/shims/pythonX.Y`) stands for any installed X.Y: the newest
/// `ROOT/versions/*/bin/pythonX.Y`, found without running the shim (which takes a
/// few hundred milliseconds, and fails for versions that are not selected).
fn from_pyenv(shim: &Path) -> Option<Interpreter> {
    let shims = shim.parent()?;
    if shims.file_name()? != "shims" {
        return None;
    }
    let command = shim.file_name()?;
    let mut installed: Vec<(Vec<u64>, Interpreter)> =
        std::fs::read_dir(shims.parent()?.join("versions"))
            .ok()?
            .flatten()
            .filter_map(|entry| {
                let release = entry
                    .file_name()
                    .to_str()?
                    .split('.')
                    .map(|part| part.parse::<u64>().ok())
                    .collect::<Option<Vec<u64>>>()?;
                let interpreter = from_installation(&entry.path().join("bin").join(command))?;
                Some((release, interpreter))
            })
            .collect();
    installed.sort_by(|a, b| a.0.cmp(&b.0));
    installed.pop().map(|(_, interpreter)| interpreter)
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok_and(|()| magic == *b"\x7fELF")
}

/// Asks the command itself: wrappers such as pyenv shims only say by running.
async fn ask(path: &Path) -> Option<Interpreter> {
    const SCRIPT: &str = "import os, sys\n\
        print(os.path.realpath(sys.executable))\n\
        print(sys.base_prefix)\n\
        print('%d.%d' % sys.version_info[:2])";
    let output = tokio::time::timeout(
        Duration::from_secs(20),
        Command::new(path)
            .args(["-I", "-S", "-c", SCRIPT])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let mut lines = text.lines();
    let (executable, prefix, version) = (lines.next()?, lines.next()?, lines.next()?);
    Some(Interpreter {
        executable: PathBuf::from(executable),
        prefix: Path::new(prefix).canonicalize().ok()?,
        version: version.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pyenv_shim_stands_for_the_newest_installed_version() {
        let root = tempfile::tempdir().unwrap();
        let shim = root.path().join("shims").join("python3.11");
        std::fs::create_dir_all(shim.parent().unwrap()).unwrap();
        std::fs::write(&shim, "#!/bin/sh\n").unwrap();
        for release in ["3.11.2", "3.11.10", "3.12.1", "miniconda3-latest"] {
            let prefix = root.path().join("versions").join(release);
            let minor: String = release.split('.').take(2).collect::<Vec<_>>().join(".");
            std::fs::create_dir_all(prefix.join("bin")).unwrap();
            std::fs::create_dir_all(prefix.join(format!("lib/python{minor}"))).unwrap();
            std::fs::write(prefix.join(format!("lib/python{minor}/os.py")), "").unwrap();
            std::fs::write(prefix.join(format!("bin/python{minor}")), b"\x7fELF").unwrap();
        }
        let found = from_pyenv(&shim).unwrap();
        let newest = root.path().join("versions/3.11.10").canonicalize().unwrap();
        assert_eq!(found.prefix, newest);
        assert_eq!(found.executable, newest.join("bin/python3.11"));
        assert_eq!(found.version, "3.11");
        assert_eq!(
            from_pyenv(&root.path().join("versions/3.11.2/bin/python3.11")),
            None
        );
    }

    #[test]
    fn python_images_name_their_version() {
        assert_eq!(python_image_version("python:3.11").as_deref(), Some("3.11"));
        assert_eq!(
            python_image_version("python:3.12-slim").as_deref(),
            Some("3.12")
        );
        assert_eq!(
            python_image_version("docker.io/library/python:3.10.4-bookworm").as_deref(),
            Some("3.10")
        );
        assert_eq!(python_image_version("python:latest"), None);
        assert_eq!(python_image_version("python:3"), None);
        assert_eq!(python_image_version("pytorch/pytorch:2.1"), None);
        assert_eq!(python_image_version("mypython:3.11"), None);
    }
}
