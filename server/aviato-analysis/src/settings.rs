//! Which rules run and at what severity: `[tool.aviato-lsp]` in `pyproject.toml`
//! (found by [`crate::pyproject`]), or the same keys from an editor's settings.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::rules::Rule;
use crate::sdk::SdkChoice;

/// The keys users write, before validation.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub severity: Option<BTreeMap<String, Severity>>,
    /// `"auto"` (from the file's imports), `"aviato"` or `"cwsandbox"`.
    pub sdk: Option<SdkChoice>,
}

impl RawSettings {
    /// The `[tool.aviato-lsp]` table of a `pyproject.toml`, or `None` when it has
    /// none; an error when the table is not valid settings.
    pub fn from_pyproject(text: &str) -> Result<Option<RawSettings>, String> {
        let document: toml::Table = toml::from_str(text).map_err(|err| err.to_string())?;
        let Some(table) = document.get("tool").and_then(|tool| tool.get("aviato-lsp")) else {
            return Ok(None);
        };
        let raw = RawSettings::deserialize(table.clone()).map_err(|err| err.to_string())?;
        Settings::from_raw(raw.clone())?;
        Ok(Some(raw))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `None` selects every rule.
    select: Option<Vec<Selector>>,
    ignore: Vec<Selector>,
    severity: FxHashMap<Rule, Severity>,
    sdk: SdkChoice,
}

/// A rule code, a code prefix (`AV2`), a rule name, or `ALL`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selector(String);

impl Selector {
    fn parse(text: &str) -> Result<Selector, String> {
        let selector = Selector(text.trim().to_string());
        if Rule::ALL.iter().any(|&rule| selector.matches(rule)) {
            Ok(selector)
        } else {
            Err(format!("unknown rule selector `{text}`"))
        }
    }

    fn matches(&self, rule: Rule) -> bool {
        let text = self.0.as_str();
        text.eq_ignore_ascii_case("ALL")
            || rule.name() == text
            || rule
                .code()
                .get(..text.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(text))
    }
}

impl Settings {
    pub fn from_raw(raw: RawSettings) -> Result<Settings, String> {
        let parse_all = |list: Vec<String>| {
            list.iter()
                .map(|text| Selector::parse(text))
                .collect::<Result<Vec<_>, _>>()
        };
        let select = raw.select.map(parse_all).transpose()?;
        let ignore = parse_all(raw.ignore.unwrap_or_default())?;
        let mut severity = FxHashMap::default();
        for (code, level) in raw.severity.unwrap_or_default() {
            let rule = Rule::from_code(&code)
                .ok_or_else(|| format!("unknown rule `{code}` in severity"))?;
            severity.insert(rule, level);
        }
        Ok(Settings {
            select,
            ignore,
            severity,
            sdk: raw.sdk.unwrap_or_default(),
        })
    }

    /// Settings from an editor, e.g. `{"select": ["AV2"], "severity": {"AV302": "error"}}`.
    pub fn from_json(value: &serde_json::Value) -> Result<Settings, String> {
        let raw = RawSettings::deserialize(value).map_err(|err| err.to_string())?;
        Settings::from_raw(raw)
    }

    pub fn is_enabled(&self, rule: Rule) -> bool {
        let selected = self
            .select
            .as_ref()
            .is_none_or(|select| select.iter().any(|selector| selector.matches(rule)));
        selected && !self.ignore.iter().any(|selector| selector.matches(rule))
    }

    /// Which SDK generation's rules apply.
    pub fn sdk(&self) -> SdkChoice {
        self.sdk
    }

    /// The severity the user gave `rule`, if any.
    pub fn configured_severity(&self, rule: Rule) -> Option<Severity> {
        self.severity.get(&rule).copied()
    }

    pub fn severity(&self, rule: Rule) -> Severity {
        self.severity
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_severity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_pyproject(text: &str) -> Result<Option<Settings>, String> {
        RawSettings::from_pyproject(text)
            .map(|raw| raw.map(|raw| Settings::from_raw(raw).expect("validated")))
    }

    #[test]
    fn pyproject_select_ignore_and_severity() {
        let text = r#"
[tool.aviato-lsp]
select = ["AV2", "AV305"]
ignore = ["AV206"]
severity = { AV305 = "error" }
"#;
        let settings = from_pyproject(text).unwrap().unwrap();
        assert!(settings.is_enabled(Rule::ModuleNotInSandbox));
        assert!(!settings.is_enabled(Rule::UndefinedName));
        assert!(!settings.is_enabled(Rule::AsyncSandboxFunction));
        assert_eq!(settings.severity(Rule::PickleTrust), Severity::Error);
        assert_eq!(settings.severity(Rule::NameNotSent), Severity::Error);
    }

    #[test]
    fn pyproject_without_table_is_none() {
        assert_eq!(
            from_pyproject("[tool.ruff]\nline-length = 1\n").unwrap(),
            None
        );
    }

    #[test]
    fn unknown_selector_and_key_are_errors() {
        assert!(from_pyproject("[tool.aviato-lsp]\nselect = [\"AV999\"]\n").is_err());
        assert!(from_pyproject("[tool.aviato-lsp]\nselct = [\"AV2\"]\n").is_err());
    }

    #[test]
    fn sdk_choice() {
        let settings = from_pyproject("[tool.aviato-lsp]\nsdk = \"cwsandbox\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(settings.sdk(), SdkChoice::Cwsandbox);
        assert_eq!(Settings::default().sdk(), SdkChoice::Auto);
        assert!(from_pyproject("[tool.aviato-lsp]\nsdk = \"modal\"\n").is_err());
    }

    #[test]
    fn json_settings() {
        let settings =
            Settings::from_json(&serde_json::json!({"ignore": ["pickle-trust"]})).unwrap();
        assert!(!settings.is_enabled(Rule::PickleTrust));
        assert!(settings.is_enabled(Rule::PickleScriptClass));
    }
}
