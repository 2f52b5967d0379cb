//! The settings each file is checked with: the nearest `pyproject.toml` with a
//! `[tool.aviato-lsp]` table (or `--config`), then `--select` and `--ignore`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aviato_analysis::Settings;
use aviato_analysis::settings::RawSettings;
use serde::Deserialize;

/// Rule selection from the command line. Like Ruff's: `--select` replaces the
/// configuration's `select` and `ignore`; `--ignore` adds to its `ignore`.
pub(crate) struct Overrides {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
}

impl Overrides {
    fn is_empty(&self) -> bool {
        self.select.is_none() && self.ignore.is_empty()
    }

    fn apply(&self, mut raw: RawSettings) -> RawSettings {
        if let Some(select) = &self.select {
            raw.select = Some(select.clone());
            raw.ignore = None;
        }
        if !self.ignore.is_empty() {
            raw.ignore
                .get_or_insert_with(Vec::new)
                .extend(self.ignore.iter().cloned());
        }
        raw
    }
}

pub(crate) struct SettingsResolver {
    overrides: Overrides,
    /// From `--config`; no discovery when set.
    fixed: Option<Arc<Settings>>,
    /// For files without a configuration.
    default: Arc<Settings>,
    /// Keyed by a file's (absolute) directory.
    by_directory: HashMap<PathBuf, Result<Arc<Settings>, Arc<str>>>,
}

impl SettingsResolver {
    /// Fails on an invalid `--select`/`--ignore` or `--config`: a usage error.
    pub fn new(overrides: Overrides, config: Option<&Path>) -> Result<SettingsResolver, String> {
        let default = Settings::from_raw(overrides.apply(RawSettings::default()))
            .map_err(|err| format!("--select/--ignore: {err}"))?;
        let fixed = match config {
            Some(path) => {
                let raw = read_raw(path)?
                    .ok_or_else(|| format!("{}: no [tool.aviato-lsp] table", path.display()))?;
                let settings = Settings::from_raw(overrides.apply(raw))
                    .map_err(|err| format!("{}: {err}", path.display()))?;
                Some(Arc::new(settings))
            }
            None => None,
        };
        Ok(SettingsResolver {
            overrides,
            fixed,
            default: Arc::new(default),
            by_directory: HashMap::new(),
        })
    }

    /// The settings for the file at `path`, or why its configuration is unusable.
    pub fn for_file(&mut self, path: &Path) -> Result<Arc<Settings>, Arc<str>> {
        if let Some(settings) = &self.fixed {
            return Ok(settings.clone());
        }
        let absolute = std::path::absolute(path).map_err(|err| Arc::from(err.to_string()))?;
        let directory = absolute.parent().unwrap_or(&absolute).to_path_buf();
        if let Some(found) = self.by_directory.get(&directory) {
            return found.clone();
        }
        let found = self.discover(&directory).map_err(Arc::from);
        self.by_directory.insert(directory, found.clone());
        found
    }

    fn discover(&self, directory: &Path) -> Result<Arc<Settings>, String> {
        match Settings::discover(directory)? {
            None => Ok(self.default.clone()),
            Some((_, settings)) if self.overrides.is_empty() => Ok(Arc::new(settings)),
            Some((pyproject, _)) => {
                let raw = read_raw(&pyproject)?.unwrap_or_default();
                Settings::from_raw(self.overrides.apply(raw))
                    .map(Arc::new)
                    .map_err(|err| format!("{}: {err}", pyproject.display()))
            }
        }
    }
}

/// The `[tool.aviato-lsp]` table of a `pyproject.toml`, as written.
fn read_raw(path: &Path) -> Result<Option<RawSettings>, String> {
    let error = |err: &dyn std::fmt::Display| format!("{}: {err}", path.display());
    let text = std::fs::read_to_string(path).map_err(|err| error(&err))?;
    let document: toml::Table = toml::from_str(&text).map_err(|err| error(&err))?;
    let Some(table) = document.get("tool").and_then(|tool| tool.get("aviato-lsp")) else {
        return Ok(None);
    };
    RawSettings::deserialize(table.clone())
        .map(Some)
        .map_err(|err| error(&err))
}
