use crate::checker::{Capture, Checker};
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::semantic::BindingKind;
use crate::value::ValueKind;

/// AV202: a module-level class or builtin alias used in the body: the SDK skips it.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    for capture in captures {
        if capture.class_body_only && !capture.skipped_by_sdk() {
            let related = checker.related_binding(capture);
            checker
                .report(
                    Rule::NameNotSent,
                    capture.first_use,
                    format!(
                        "`{}` is read only in a class body, which Python compiles to `LOAD_NAME`; the SDK sends only the globals its bytecode scan finds as `LOAD_GLOBAL`, so `{}` raises `NameError` in the sandbox",
                        capture.name, capture.name
                    ),
                )
                .with_related(related);
            continue;
        }
        if !capture.skipped_by_sdk() {
            continue;
        }
        let name = capture.name;
        let (what, fix_line) = match (&capture.kind, capture.binding.map(|binding| binding.kind)) {
            (ValueKind::Class { .. }, Some(BindingKind::Class(_))) => {
                ("a class defined at module level".to_string(), None)
            }
            (
                ValueKind::Class { .. },
                Some(BindingKind::Import { .. } | BindingKind::FromImport { .. }),
            ) => (
                "an imported class".to_string(),
                super::av201_module_not_in_sandbox::import_statement(capture),
            ),
            (ValueKind::Class { .. }, _) => ("a class".to_string(), None),
            (ValueKind::BuiltinFunction(builtin), _) => (
                format!("the builtin `{builtin}`"),
                single_line_statement(checker, capture),
            ),
            _ => continue,
        };
        let fix = fix_line.and_then(|line| checker.insert_at_body_start(function, &line));
        let related = checker.related_binding(capture);
        checker
            .report(
                Rule::NameNotSent,
                capture.first_use,
                format!(
                    "`{name}` is {what}; the SDK does not send classes or builtins, so `{name}` raises `NameError` in the sandbox"
                ),
            )
            .with_related(related)
            .with_fix(format!("Define `{name}` inside `{}`", function.def.name.id), fix.into_iter().collect());
    }
}

/// The binding's statement, when it is one simple line such as `log = print`.
fn single_line_statement(checker: &Checker, capture: &Capture) -> Option<String> {
    let binding = capture.binding?;
    let BindingKind::Assignment(_) = binding.kind else {
        return None;
    };
    let text = checker.text(binding.statement);
    (!text.contains(['\n', '\r', ';'])).then(|| text.to_string())
}
