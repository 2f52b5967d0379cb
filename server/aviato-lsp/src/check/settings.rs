//! The settings each file is checked with: the nearest `pyproject.toml` with a
//! `[tool.aviato-lsp]` table (or `--config`), then `--select` and `--ignore`.

use std::path::Path;
use std::sync::Arc;

use aviato_analysis::Settings;
use aviato_analysis::pyproject::ConfigResolver;
use aviato_analysis::settings::RawSettings;

/// Rule selection from the command line. Like Ruff's: `--select` replaces the
/// configuration's `select` and `ignore`; `--ignore` adds to its `ignore`.
pub(crate) struct Overrides {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
}

impl Overrides {
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
    pyprojects: ConfigResolver,
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
            pyprojects: ConfigResolver::default(),
        })
    }

    /// The settings for the file at `path`, or why its configuration is unusable.
    pub fn for_file(&self, path: &Path) -> Result<Arc<Settings>, Arc<str>> {
        if let Some(settings) = &self.fixed {
            return Ok(settings.clone());
        }
        let absolute = std::path::absolute(path).map_err(|err| Arc::from(err.to_string()))?;
        let directory = absolute.parent().unwrap_or(&absolute);
        let Some(configuration) = self.pyprojects.resolve(directory)? else {
            return Ok(self.default.clone());
        };
        Settings::from_raw(self.overrides.apply(configuration.raw.clone()))
            .map(Arc::new)
            .map_err(|err| Arc::from(format!("{}: {err}", configuration.pyproject.display())))
    }
}

/// The `[tool.aviato-lsp]` table of a `pyproject.toml`, as written.
fn read_raw(path: &Path) -> Result<Option<RawSettings>, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    RawSettings::from_pyproject(&text).map_err(|err| format!("{}: {err}", path.display()))
}
