//! Which backend runs a function, as the CLI and the editor choose it.

use serde::{Deserialize, Serialize};

use crate::{
    AviatoBackend, AviatoConfig, Backend, CwsandboxBackend, CwsandboxConfig, LocalBackend,
};

/// A backend by name (`"local"`, `"aviato"`, `"cwsandbox"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// A bubblewrap sandbox on this machine.
    #[default]
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
            BackendKind::Local => "local",
            BackendKind::Aviato => "aviato",
            BackendKind::Cwsandbox => "cwsandbox",
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
    /// The backend these settings select.
    pub fn build(&self) -> Result<Box<dyn Backend>, String> {
        Ok(match self.backend {
            BackendKind::Local => Box::new(LocalBackend::default()),
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
        let settings: BackendSettings =
            serde_json::from_str(r#"{"backend": "aviato", "baseUrl": "http://runner:7001/"}"#)
                .unwrap();
        assert_eq!(settings.backend, BackendKind::Aviato);
        let backend = settings.build().unwrap();
        assert_eq!(backend.name(), "aviato");
        let settings: BackendSettings =
            serde_json::from_str(r#"{"backend": "cwsandbox", "baseUrl": "http://127.0.0.1:7001"}"#)
                .unwrap();
        assert_eq!(settings.backend, BackendKind::Cwsandbox);
        assert_eq!(settings.build().unwrap().name(), "cwsandbox");
        let default: BackendSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(default.backend, BackendKind::Local);
        assert_eq!(default.build().unwrap().name(), "local");
    }
}
