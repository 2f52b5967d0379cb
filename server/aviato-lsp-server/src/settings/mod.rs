//! The editor's settings. Rule settings for a document are the editor's over the
//! nearest `pyproject.toml`'s `[tool.aviato-lsp]`, key by key (a key the editor
//! sets wins; per-rule severities are merged, the editor's winning per rule). The
//! table is found by the resolver `check` uses, cached per directory until a
//! `pyproject.toml` changes. Run
//! settings ([`run`]) and what lenses and inlay hints show come from the editor
//! only.

mod run;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aviato_analysis::pyproject::ConfigResolver;
use aviato_analysis::settings::RawSettings;
use aviato_analysis::{SdkChoice, Settings, Severity};
use serde::Deserialize;
use serde_json::Value;
use tower_lsp_server::ls_types::Uri;

pub(crate) use run::RunSettings;

/// The section of the client's configuration that holds the server's settings.
pub(crate) const SECTION: &str = "aviato";

/// What the editor sends. Keys it does not know are ignored, so settings for later
/// features can sit next to these.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EditorSettings {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    severity: Option<BTreeMap<String, Severity>>,
    sdk: Option<SdkChoice>,
    run: Option<RunSettings>,
    code_lens: Option<CodeLensSettings>,
    inlay_hints: Option<InlayHintSettings>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeLensSettings {
    /// Whether to show lenses at all.
    enable: Option<bool>,
    /// Whether a function's lens shows its last run's outcome.
    show_results: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InlayHintSettings {
    /// Whether the value of the last run shows after the `def` and the call site.
    show_results: Option<bool>,
}

impl EditorSettings {
    /// Reads `initializationOptions` or `didChangeConfiguration` params. Accepts
    /// `{"settings": {"aviato": {...}}}`, `{"settings": {...}}`, `{"aviato": {...}}`
    /// and the bare object; `null` means no settings.
    pub(crate) fn from_client(value: &Value) -> Result<EditorSettings, String> {
        let value = value.get("settings").unwrap_or(value);
        let value = value.get(SECTION).unwrap_or(value);
        if value.is_null() {
            return Ok(EditorSettings::default());
        }
        let settings = EditorSettings::deserialize(value)
            .map_err(|err| format!("invalid aviato settings: {err}"))?;
        Settings::from_raw(settings.over(RawSettings::default()))
            .map_err(|err| format!("invalid aviato settings: {err}"))?;
        settings
            .run()
            .validate()
            .map_err(|err| format!("invalid aviato settings: run.{err}"))?;
        Ok(settings)
    }

    pub(crate) fn run(&self) -> RunSettings {
        self.run.clone().unwrap_or_default()
    }

    pub(crate) fn code_lens_enabled(&self) -> bool {
        self.code_lens.as_ref().and_then(|lens| lens.enable) != Some(false)
    }

    pub(crate) fn lenses_show_results(&self) -> bool {
        self.code_lens.as_ref().and_then(|lens| lens.show_results) != Some(false)
    }

    pub(crate) fn inlay_hints_show_results(&self) -> bool {
        self.inlay_hints
            .as_ref()
            .and_then(|hints| hints.show_results)
            != Some(false)
    }

    /// These settings, with `file`'s for the keys the editor leaves unset.
    fn over(&self, file: RawSettings) -> RawSettings {
        let severity = match (file.severity, &self.severity) {
            (None, None) => None,
            (file, editor) => {
                let mut merged = file.unwrap_or_default();
                merged.extend(editor.iter().flatten().map(|(k, v)| (k.clone(), *v)));
                Some(merged)
            }
        };
        RawSettings {
            select: self.select.clone().or(file.select),
            ignore: self.ignore.clone().or(file.ignore),
            severity,
            sdk: self.sdk.or(file.sdk),
        }
    }
}

/// The settings for the document at `uri`, and a problem to show the user when a
/// `pyproject.toml` could not be used (the editor's settings still apply).
pub(crate) fn resolve(uri: &Uri, editor: &EditorSettings) -> (Settings, Option<String>) {
    let (file, problem) = match pyproject_settings(uri) {
        Ok(file) => (file.unwrap_or_default(), None),
        Err(problem) => (RawSettings::default(), Some(problem)),
    };
    match Settings::from_raw(editor.over(file)) {
        Ok(settings) => (settings, problem),
        Err(err) => (Settings::default(), Some(err)),
    }
}

/// The `pyproject.toml` tables the server has read: one per process, as a
/// document's settings are resolved on every analysis.
static PYPROJECTS: LazyLock<ConfigResolver> = LazyLock::new(ConfigResolver::default);

/// The `[tool.aviato-lsp]` table of the `pyproject.toml` nearest to a `file:` document.
fn pyproject_settings(uri: &Uri) -> Result<Option<RawSettings>, String> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return Ok(None);
    }
    let Some(path) = uri.to_file_path() else {
        return Ok(None);
    };
    let Some(directory) = path.parent() else {
        return Ok(None);
    };
    let configuration = PYPROJECTS
        .resolve(directory)
        .map_err(|err| err.to_string())?;
    Ok(configuration.map(|configuration| configuration.raw.clone()))
}

#[cfg(test)]
mod tests {
    use aviato_analysis::Rule;
    use serde_json::json;

    use super::*;

    fn editor(value: Value) -> EditorSettings {
        EditorSettings::from_client(&value).unwrap()
    }

    #[test]
    fn every_accepted_shape() {
        let inner = json!({"ignore": ["AV001"], "runTimeout": 30});
        for value in [
            json!({"settings": {"aviato": inner.clone()}}),
            json!({"settings": inner.clone()}),
            json!({"aviato": inner.clone()}),
            inner,
        ] {
            let settings = Settings::from_raw(editor(value).over(RawSettings::default())).unwrap();
            assert!(!settings.is_enabled(Rule::SyntaxError));
        }
    }

    #[test]
    fn null_and_foreign_sections_are_no_settings() {
        for value in [
            Value::Null,
            json!({"settings": null}),
            json!({"settings": {"python": {"analysis": {}}}}),
        ] {
            let settings = Settings::from_raw(editor(value).over(RawSettings::default())).unwrap();
            assert_eq!(settings, Settings::default());
        }
    }

    #[test]
    fn bad_settings_are_errors() {
        for value in [
            json!({"select": "AV001"}),
            json!({"ignore": ["AV999"]}),
            json!({"severity": {"AV001": "fatal"}}),
            json!([1, 2]),
        ] {
            assert!(EditorSettings::from_client(&value).is_err(), "{value}");
        }
    }

    #[test]
    fn editor_keys_win_and_severities_merge() {
        let file = RawSettings {
            select: Some(vec!["AV3".to_string()]),
            ignore: Some(vec!["AV305".to_string()]),
            severity: Some(BTreeMap::from([
                ("AV302".to_string(), Severity::Error),
                ("AV303".to_string(), Severity::Hint),
            ])),
            sdk: Some(SdkChoice::Aviato),
        };
        let editor = editor(json!({
            "select": ["AV001", "AV3"],
            "severity": {"AV303": "warning"},
        }));
        let settings = Settings::from_raw(editor.over(file)).unwrap();
        assert!(settings.is_enabled(Rule::SyntaxError));
        assert!(!settings.is_enabled(Rule::PickleTrust));
        assert_eq!(
            settings.severity(Rule::LossyJsonConversion),
            Severity::Error
        );
        assert_eq!(
            settings.severity(Rule::JsonUnserializableReturn),
            Severity::Warning
        );
    }
}
