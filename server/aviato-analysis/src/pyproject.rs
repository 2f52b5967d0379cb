//! The `[tool.aviato-lsp]` table that governs a directory: that of the nearest
//! `pyproject.toml` with one, searching upwards. One resolver serves the CLI and
//! the server, cached per directory: an entry is used again while the files it was
//! read from, and those it passed over, keep their size and modification time, so
//! an edited, added or removed `pyproject.toml` is seen at the next lookup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::settings::RawSettings;

/// A `[tool.aviato-lsp]` table and the file it is in.
#[derive(Debug)]
pub struct Configuration {
    pub pyproject: PathBuf,
    /// The table as written, valid; callers merge their own keys over it.
    pub raw: RawSettings,
}

/// What governs a directory: a table, none, or why the nearest one is invalid
/// (`path: reason`).
pub type Resolved = Result<Option<Arc<Configuration>>, Arc<str>>;

#[derive(Default)]
pub struct ConfigResolver {
    by_directory: Mutex<HashMap<PathBuf, Entry>>,
}

struct Entry {
    /// Each `pyproject.toml` looked at, nearest first, and its stamp then.
    looked_at: Vec<(PathBuf, Option<Stamp>)>,
    resolved: Resolved,
}

/// What tells that a file changed, or appeared, or went, without reading it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
    })
}

impl ConfigResolver {
    /// The configuration of files in `directory` (absolute).
    pub fn resolve(&self, directory: &Path) -> Resolved {
        let mut cache = self
            .by_directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = cache.get(directory)
            && entry
                .looked_at
                .iter()
                .all(|(path, then)| stamp(path) == *then)
        {
            return entry.resolved.clone();
        }
        let entry = Entry::discover(directory);
        let resolved = entry.resolved.clone();
        cache.insert(directory.to_path_buf(), entry);
        resolved
    }
}

impl Entry {
    fn discover(directory: &Path) -> Entry {
        let mut looked_at = Vec::new();
        for dir in directory.ancestors() {
            let candidate = dir.join("pyproject.toml");
            let stamp = stamp(&candidate);
            looked_at.push((candidate.clone(), stamp));
            if stamp.is_none() {
                continue;
            }
            let problem = |err: &dyn std::fmt::Display| -> Arc<str> {
                Arc::from(format!("{}: {err}", candidate.display()))
            };
            let table = std::fs::read_to_string(&candidate)
                .map_err(|err| problem(&err))
                .and_then(|text| RawSettings::from_pyproject(&text).map_err(|err| problem(&err)));
            match table {
                Ok(None) => {}
                Ok(Some(raw)) => {
                    return Entry {
                        looked_at,
                        resolved: Ok(Some(Arc::new(Configuration {
                            pyproject: candidate,
                            raw,
                        }))),
                    };
                }
                Err(problem) => {
                    return Entry {
                        looked_at,
                        resolved: Err(problem),
                    };
                }
            }
        }
        Entry {
            looked_at,
            resolved: Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_table_cached_until_a_pyproject_changes() {
        let root = std::env::temp_dir().join(format!("aviato-resolver-{}", std::process::id()));
        let nested = root.join("pkg/sub");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(
            root.join("pyproject.toml"),
            "[tool.aviato-lsp]\nignore = [\"AV206\"]\n",
        )
        .unwrap();
        // Passed over: no table.
        std::fs::write(
            root.join("pkg/pyproject.toml"),
            "[project]\nname = \"pkg\"\n",
        )
        .unwrap();
        let resolver = ConfigResolver::default();
        let found = resolver.resolve(&nested).unwrap().unwrap();
        assert_eq!(found.pyproject, root.join("pyproject.toml"));
        assert!(Arc::ptr_eq(
            &found,
            &resolver.resolve(&nested).unwrap().unwrap()
        ));

        std::fs::write(
            root.join("pkg/pyproject.toml"),
            "[tool.aviato-lsp]\nselect = [\"AV2\", \"AV3\"]\n",
        )
        .unwrap();
        let found = resolver.resolve(&nested).unwrap().unwrap();
        assert_eq!(found.pyproject, root.join("pkg/pyproject.toml"));

        std::fs::write(
            root.join("pkg/pyproject.toml"),
            "[tool.aviato-lsp]\nselect = [\"AV9\"]\n",
        )
        .unwrap();
        let problem = resolver.resolve(&nested).unwrap_err();
        assert!(problem.contains("unknown rule selector `AV9`"), "{problem}");

        std::fs::remove_file(root.join("pkg/pyproject.toml")).unwrap();
        let found = resolver.resolve(&nested).unwrap().unwrap();
        assert_eq!(found.pyproject, root.join("pyproject.toml"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
