//! `run.*`: where and under which limits "Run in sandbox" runs a function.

use std::collections::BTreeMap;
use std::time::Duration;

use aviato_exec::{
    Backend, BackendKind, BackendSettings, Limits, LocalBackend, LocalConfig, Payload,
    Serialization,
};
use serde::Deserialize;

const MIB: u64 = 1024 * 1024;
/// Longer timeouts are mistakes, and `Duration` has limits of its own.
const MAX_TIMEOUT_SECONDS: f64 = 24.0 * 3600.0;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunSettings {
    backend: Option<BackendKind>,
    /// The service of the `aviato` or `cwsandbox` backend.
    base_url: Option<String>,
    /// Wall-clock seconds.
    timeout: Option<f64>,
    limits: Option<LimitSettings>,
    /// The interpreter for images with no local `pythonX.Y`.
    interpreter: Option<String>,
    /// Container image → local interpreter.
    images: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LimitSettings {
    cpu_seconds: Option<u64>,
    memory_mb: Option<u64>,
    processes: Option<u64>,
    file_size_mb: Option<u64>,
    tmpfs_mb: Option<u64>,
    output_kb: Option<u64>,
}

impl RunSettings {
    /// Checks what deserializing cannot: `Err` names the key (after `run.`).
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(timeout) = self.timeout
            && !(timeout > 0.0 && timeout <= MAX_TIMEOUT_SECONDS)
        {
            return Err(format!(
                "timeout: {timeout} is not a number of seconds between 0 and {MAX_TIMEOUT_SECONDS}"
            ));
        }
        if let Some(limits) = &self.limits {
            for (key, value) in [
                ("cpuSeconds", limits.cpu_seconds),
                ("memoryMb", limits.memory_mb),
                ("processes", limits.processes),
                ("fileSizeMb", limits.file_size_mb),
                ("tmpfsMb", limits.tmpfs_mb),
                ("outputKb", limits.output_kb),
            ] {
                if value == Some(0) {
                    return Err(format!("limits.{key}: must be at least 1"));
                }
            }
            for (key, value) in [
                ("memoryMb", limits.memory_mb),
                ("fileSizeMb", limits.file_size_mb),
                ("tmpfsMb", limits.tmpfs_mb),
            ] {
                if value.is_some_and(|mb| mb.checked_mul(MIB).is_none()) {
                    return Err(format!("limits.{key}: too large"));
                }
            }
        }
        if self
            .interpreter
            .as_deref()
            .is_some_and(|path| path.trim().is_empty())
        {
            return Err("interpreter: empty".to_string());
        }
        Ok(())
    }

    /// The limits of one run: the defaults, with what the settings set.
    pub(crate) fn limits(&self) -> Limits {
        let defaults = Limits::default();
        let limits = self.limits.clone().unwrap_or_default();
        let mib = |value: Option<u64>, default: u64| value.map_or(default, |mb| mb * MIB);
        Limits {
            timeout: self
                .timeout
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                .unwrap_or(defaults.timeout),
            cpu_seconds: limits.cpu_seconds.unwrap_or(defaults.cpu_seconds),
            cpu_millis: defaults.cpu_millis,
            memory_bytes: mib(limits.memory_mb, defaults.memory_bytes),
            processes: limits.processes.unwrap_or(defaults.processes),
            file_size_bytes: mib(limits.file_size_mb, defaults.file_size_bytes),
            tmpfs_bytes: mib(limits.tmpfs_mb, defaults.tmpfs_bytes),
            tmpfs_inodes: defaults.tmpfs_inodes,
            output_bytes: limits.output_kb.map_or(defaults.output_bytes, |kb| {
                usize::try_from(kb.saturating_mul(1024)).unwrap_or(usize::MAX)
            }),
        }
    }

    /// Whether calls of a function of that generation run in the local sandbox, the
    /// one backend that runs a file up to a call whose arguments only it gives.
    pub(crate) fn runs_locally(&self, strict_json: bool) -> bool {
        let mut payload = Payload::new("", "", "");
        if strict_json {
            payload.serialization = Serialization::StrictJson;
        }
        matches!(
            self.backend.unwrap_or_default().resolve(&payload),
            BackendKind::Auto | BackendKind::Local
        )
    }

    /// The backend that runs `payload`, or why there is none.
    pub(crate) fn backend(&self, payload: &Payload) -> Result<Box<dyn Backend>, String> {
        match self.backend.unwrap_or_default().resolve(payload) {
            BackendKind::Auto | BackendKind::Local => {
                let defaults = LocalConfig::default();
                Ok(Box::new(LocalBackend::new(LocalConfig {
                    default_interpreter: self
                        .interpreter
                        .clone()
                        .unwrap_or(defaults.default_interpreter),
                    images: self.images.clone().unwrap_or_default(),
                    ..defaults
                })))
            }
            kind @ (BackendKind::Aviato | BackendKind::Cwsandbox) => BackendSettings {
                backend: kind,
                base_url: self.base_url.clone(),
            }
            .build(payload)
            .map_err(|err| format!("run.backend `{}`: {err}", kind.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings(value: serde_json::Value) -> RunSettings {
        RunSettings::deserialize(value).unwrap()
    }

    #[test]
    fn limits_overlay_the_defaults() {
        let limits = settings(json!({
            "timeout": 2.5,
            "limits": {"cpuSeconds": 3, "memoryMb": 512, "outputKb": 4},
        }))
        .limits();
        let defaults = Limits::default();
        assert_eq!(limits.timeout, Duration::from_millis(2500));
        assert_eq!(limits.cpu_seconds, 3);
        assert_eq!(limits.memory_bytes, 512 * MIB);
        assert_eq!(limits.output_bytes, 4096);
        assert_eq!(limits.processes, defaults.processes);
        assert_eq!(limits.file_size_bytes, defaults.file_size_bytes);
        assert_eq!(settings(json!({})).limits(), defaults);
    }

    #[test]
    fn invalid_values_name_their_key() {
        for (value, key) in [
            (json!({"timeout": 0}), "timeout"),
            (json!({"timeout": -1}), "timeout"),
            (json!({"timeout": 1e12}), "timeout"),
            (json!({"limits": {"processes": 0}}), "limits.processes"),
            (json!({"limits": {"memoryMb": u64::MAX}}), "limits.memoryMb"),
            (json!({"interpreter": " "}), "interpreter"),
        ] {
            let error = settings(value.clone()).validate().unwrap_err();
            assert!(error.starts_with(key), "{value}: {error}");
        }
        assert!(RunSettings::deserialize(json!({"backend": "docker"})).is_err());
        assert!(RunSettings::deserialize(json!({"limits": {"memoryMb": -1}})).is_err());
    }

    #[test]
    fn backends() {
        let payload = Payload::new("app.py", "f", "def f():\n    pass\n");
        let name = |value| {
            settings(value)
                .backend(&payload)
                .map(|backend| backend.name())
        };
        assert_eq!(name(json!({})), Ok("local"));
        assert_eq!(
            name(json!({"backend": "local", "images": {"x": "python3"}})),
            Ok("local")
        );
        assert_eq!(
            name(json!({"backend": "aviato", "baseUrl": "http://runner:7001"})),
            Ok("aviato")
        );
        let error = name(json!({"backend": "aviato", "baseUrl": "ftp://runner"})).unwrap_err();
        assert!(error.starts_with("run.backend `aviato`: "), "{error}");
        assert_eq!(
            name(json!({"backend": "cwsandbox", "baseUrl": "http://127.0.0.1:7001"})),
            Ok("cwsandbox")
        );
        let error =
            name(json!({"backend": "cwsandbox", "baseUrl": "http://runner/v1"})).unwrap_err();
        assert!(error.starts_with("run.backend `cwsandbox`: "), "{error}");
    }
}
