//! Which files a check covers, and reading them.

use std::io;
use std::path::{Path, PathBuf};

/// A file to check, named as the user will see it.
pub(crate) struct SourceFile {
    pub path: PathBuf,
}

impl SourceFile {
    /// The file's text, or a one-line reason it cannot be checked.
    pub fn read(&self) -> Result<String, String> {
        let path = self.path.display();
        let bytes =
            std::fs::read(&self.path).map_err(|err| format!("{path}: {}", io_reason(&err)))?;
        String::from_utf8(bytes).map_err(|err| {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
            format!("{path}: not valid UTF-8 (line {line})")
        })
    }
}

/// The files named by `paths`, sorted and without duplicates: named files whatever
/// their extension, and the `*.py` and `*.pyi` files under named directories that
/// `.gitignore` (and `.ignore`) files do not exclude. Hidden entries and virtual
/// environments are skipped in directories. Each path that cannot be read is passed
/// to `on_error`.
pub(crate) fn collect(paths: &[PathBuf], on_error: &mut dyn FnMut(&str)) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(err) => on_error(&format!("{}: {}", path.display(), io_reason(&err))),
            Ok(metadata) if metadata.is_dir() => walk(path, &mut files, on_error),
            Ok(_) => files.push(clean(path)),
        }
    }
    files.sort();
    files.dedup();
    files.into_iter().map(|path| SourceFile { path }).collect()
}

fn walk(root: &Path, files: &mut Vec<PathBuf>, on_error: &mut dyn FnMut(&str)) {
    let walker = ignore::WalkBuilder::new(root)
        // `.gitignore` applies to projects that are not (yet) git repositories too.
        .require_git(false)
        .filter_entry(|entry| !is_virtual_env(entry))
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_some_and(|kind| kind.is_file()) && is_python(entry.path()) {
                    files.push(clean(entry.path()));
                }
            }
            Err(err) => on_error(&err.to_string()),
        }
    }
}

fn is_python(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "py" || extension == "pyi")
}

/// Virtual environments hold installed packages, not the project's code; many are
/// not gitignored (`python -m venv` before 3.13 writes no `.gitignore`).
fn is_virtual_env(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|kind| kind.is_dir())
        && entry.depth() > 0
        && entry.path().join("pyvenv.cfg").is_file()
}

/// `./src/app.py` -> `src/app.py`, so a file reached two ways is checked once.
fn clean(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// The reason an I/O error gives, worded the same for every command.
pub(crate) fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => err.to_string(),
    }
}
