//! Which backend runs a function, as the CLI and the editor choose it.

use serde::{Deserialize, Serialize};

use crate::{
    AviatoBackend, AviatoConfig, Backend, CwsandboxBackend, CwsandboxConfig, LocalBackend, Payload,
    Serialization,
};

/// A backend by name (`"auto"`, `"local"`, `"aviato"`, `"cwsandbox"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// `cwsandbox` for a cwsandbox file when `CWSANDBOX_API_KEY` or
    /// `CWSANDBOX_BASE_URL` is set (its user has the service), else `local`.
    #[default]
    Auto,
    /// A bubblewrap sandbox on this machine.
    Local,
    /// A sandbox of an ATCService: the aviato service, or a shared
    /// `aviato-lsp sandbox-server`.
    Aviato,
    /// A sandbox of a `coreweave.sandbox.v1` service: the CoreWeave sandbox
    /// service, or a shared `aviato-lsp sandbox-server`.
    Cwsandbox,
}

impl BackendKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            BackendKind::Auto => "auto",
            BackendKind::Local => "local",
            BackendKind::Aviato => "aviato",
            BackendKind::Cwsandbox => "cwsandbox",
        }
    }
}

impl BackendKind {
    /// The backend that runs `payload`: `auto` made `local` or `cwsandbox`.
    pub fn resolve(self, payload: &Payload) -> BackendKind {
        self.resolve_with(payload, |name| std::env::var_os(name))
    }

    fn resolve_with(
        self,
        payload: &Payload,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> BackendKind {
        if self != BackendKind::Auto {
            return self;
        }
        // Only the cwsandbox SDK's strict JSON marks a file of that generation.
        let cwsandbox_file = payload.serialization == Serialization::StrictJson;
        let has_service = ["CWSANDBOX_API_KEY", "CWSANDBOX_BASE_URL"]
            .iter()
            .any(|name| env(name).is_some_and(|value| !value.is_empty()));
        if cwsandbox_file && has_service {
            BackendKind::Cwsandbox
        } else {
            BackendKind::Local
        }
    }
}

/// The backend settings: `{"backend": "aviato", "baseUrl": "http://runner:7001"}`.
/// The API key is never a setting: it comes from `AVIATO_API_KEY` (`aviato`) or
/// `CWSANDBOX_API_KEY` (`cwsandbox`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BackendSettings {
    pub backend: BackendKind,
    /// The service: for `aviato`, `AVIATO_BASE_URL`, then that SDK's default, when
    /// unset; for `cwsandbox`, `CWSANDBOX_BASE_URL`, then `https://api.cwsandbox.com`.
    pub base_url: Option<String>,
}

impl BackendSettings {
    /// The backend these settings select for `payload`.
    pub fn build(&self, payload: &Payload) -> Result<Box<dyn Backend>, String> {
        Ok(match self.backend.resolve(payload) {
            BackendKind::Auto | BackendKind::Local => Box::new(LocalBackend::default()),
            BackendKind::Aviato => Box::new(AviatoBackend::new(AviatoConfig::from_env(
                self.base_url.as_deref(),
            ))?),
            BackendKind::Cwsandbox => Box::new(CwsandboxBackend::new(CwsandboxConfig::from_env(
                self.base_url.as_deref(),
            ))?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_json() {
        let payload = Payload::new("app.py", "f", "def f():\n    pass\n");
        let settings: BackendSettings =
            serde_json::from_str(r#"{"backend": "aviato", "baseUrl": "http://runner:7001/"}"#)
                .unwrap();
        assert_eq!(settings.backend, BackendKind::Aviato);
        let backend = settings.build(&payload).unwrap();
        assert_eq!(backend.name(), "aviato");
        let settings: BackendSettings =
            serde_json::from_str(r#"{"backend": "cwsandbox", "baseUrl": "http://127.0.0.1:7001"}"#)
                .unwrap();
        assert_eq!(settings.backend, BackendKind::Cwsandbox);
        assert_eq!(settings.build(&payload).unwrap().name(), "cwsandbox");
        let default: BackendSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(default.backend, BackendKind::Auto);
    }

    #[test]
    fn auto_runs_cwsandbox_files_on_the_service_their_user_has() {
        let mut cwsandbox = Payload::new("app.py", "f", "def f():\n    pass\n");
        cwsandbox.serialization = Serialization::StrictJson;
        let aviato = Payload::new("app.py", "f", "def f():\n    pass\n");
        let key = |name: &str| (name == "CWSANDBOX_API_KEY").then(|| "secret".into());
        let url = |name: &str| (name == "CWSANDBOX_BASE_URL").then(|| "http://h:1".into());
        let empty = |name: &str| name.starts_with("CWSANDBOX").then(|| "".into());
        let auto = BackendKind::Auto;
        assert_eq!(auto.resolve_with(&cwsandbox, key), BackendKind::Cwsandbox);
        assert_eq!(auto.resolve_with(&cwsandbox, url), BackendKind::Cwsandbox);
        assert_eq!(auto.resolve_with(&cwsandbox, empty), BackendKind::Local);
        assert_eq!(auto.resolve_with(&cwsandbox, |_| None), BackendKind::Local);
        assert_eq!(auto.resolve_with(&aviato, key), BackendKind::Local);
        assert_eq!(
            BackendKind::Local.resolve_with(&cwsandbox, key),
            BackendKind::Local
        );
    }
}
