use crate::checker::{Capture, Checker, Origin};
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::sdk::Sdk;
use crate::semantic::BindingKind;
use crate::value::ValueKind;

/// AV201: a module imported outside the function is used in its body.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    for capture in captures {
        let ValueKind::Module(_) = capture.kind else {
            continue;
        };
        let name = capture.name;
        let message = match capture.origin {
            Origin::Global => format!(
                "`{name}` is imported at module level; the SDK does not send modules and the sandbox never imports it, so `{}` raises `NameError` there",
                attribute_chain(checker.source, capture)
            ),
            Origin::Closure(scope) => format!(
                "`{name}` is imported in `{}()`; the SDK sends enclosing functions' variables as values, and a module cannot be serialized ({})",
                super::scope_name(checker, scope),
                match function.sdk {
                    Sdk::Aviato => "`FunctionSerializationError`",
                    Sdk::Cwsandbox =>
                        "`TypeError: Function arguments are not JSON-serializable: Object of type module` at `.result()`",
                }
            ),
            Origin::Unbound => continue,
        };
        let fix = import_statement(capture)
            .and_then(|line| checker.insert_at_body_start(function, &line));
        let related = checker.related_binding(capture);
        checker
            .report(Rule::ModuleNotInSandbox, capture.first_use, message)
            .with_related(related)
            .with_fix(
                format!("Import `{name}` inside `{}`", function.def.name.id),
                fix.into_iter().collect(),
            );
    }
}

/// The import statement that binds the capture's name the same way.
pub(crate) fn import_statement(capture: &Capture) -> Option<String> {
    let name = capture.name;
    match capture.binding?.kind {
        BindingKind::Import { module } if module == name => Some(format!("import {module}")),
        BindingKind::Import { module } => Some(format!("import {module} as {name}")),
        BindingKind::FromImport { module: "", .. } => None,
        BindingKind::FromImport { module, member } if member == name => {
            Some(format!("from {module} import {member}"))
        }
        BindingKind::FromImport { module, member } => {
            Some(format!("from {module} import {member} as {name}"))
        }
        _ => None,
    }
}

/// `math.sqrt` for a use of `math` followed by `.sqrt`, else the name.
fn attribute_chain(source: &str, capture: &Capture) -> String {
    let rest = &source[capture.first_use.end().to_usize()..];
    let attribute: String = rest
        .strip_prefix('.')
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .unwrap_or_default();
    if attribute.is_empty() {
        capture.name.to_string()
    } else {
        format!("{}.{attribute}", capture.name)
    }
}
