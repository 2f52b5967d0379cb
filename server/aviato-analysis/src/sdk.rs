//! Which generation of the SDK a file uses: `aviato` (December 2025: `await f(x)`,
//! JSON via pydantic or PICKLE) or `cwsandbox` (current: `f.remote(x).result()`,
//! strict JSON). The generation comes from the file's imports; a setting may force it.

use serde::Deserialize;

use crate::semantic::{BindingKind, SemanticModel};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sdk {
    Aviato,
    Cwsandbox,
}

impl Sdk {
    /// The top-level package users import.
    pub fn module(self) -> &'static str {
        match self {
            Sdk::Aviato => "aviato",
            Sdk::Cwsandbox => "cwsandbox",
        }
    }

    fn of_module(module: &str) -> Option<Sdk> {
        match module.split('.').next() {
            Some("aviato") => Some(Sdk::Aviato),
            Some("cwsandbox") => Some(Sdk::Cwsandbox),
            _ => None,
        }
    }

    /// Whether a dotted name belongs to either generation's package.
    pub(crate) fn is_sdk_name(dotted: &str) -> bool {
        Sdk::of_module(dotted).is_some()
    }
}

/// The `sdk` setting: which generation's rules apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdkChoice {
    /// From the file's imports.
    #[default]
    Auto,
    Aviato,
    Cwsandbox,
}

impl SdkChoice {
    /// The generation a module is checked against, or `None` when the file does not
    /// import the SDK (then it has no sandbox functions), whatever the setting.
    pub(crate) fn resolve(self, model: &SemanticModel) -> Option<Sdk> {
        let imported = imported_sdk(model)?;
        Some(match self {
            SdkChoice::Auto => imported,
            SdkChoice::Aviato => Sdk::Aviato,
            SdkChoice::Cwsandbox => Sdk::Cwsandbox,
        })
    }
}

/// The generation the file imports, anywhere in it; `cwsandbox` wins when both are.
fn imported_sdk(model: &SemanticModel) -> Option<Sdk> {
    let mut found = None;
    for binding in &model.bindings {
        let module = match binding.kind {
            BindingKind::Import { module } | BindingKind::FromImport { module, .. } => module,
            _ => continue,
        };
        match Sdk::of_module(module) {
            Some(Sdk::Cwsandbox) => return Some(Sdk::Cwsandbox),
            Some(Sdk::Aviato) => found = Some(Sdk::Aviato),
            None => {}
        }
    }
    found
}
