use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::builtins::is_builtin;
use crate::checker::{Capture, Checker};
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::sandbox::{SandboxFunction, Serialization};

/// AV204: an annotation names something the sandbox will not have. Under PICKLE,
/// classes of the script are AV304's.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    for annotation in annotations(function) {
        if matches!(annotation, Expr::StringLiteral(_)) {
            continue;
        }
        let text = checker.text(annotation);
        let fix = (!text.contains(['"', '\n', '\r', '\\'])).then(|| Edit {
            range: annotation.range(),
            content: format!("\"{text}\""),
        });
        for name in super::names_in(annotation) {
            let id = name.id.as_str();
            if is_builtin(id)
                || captures
                    .iter()
                    .any(|capture| capture.name == id && capture.is_sent())
            {
                continue;
            }
            if function.serialization == Serialization::Pickle
                && checker
                    .values
                    .script_class(&Expr::Name(name.clone()), function.enclosing)
                    .is_some()
            {
                continue;
            }
            checker
                .report(
                    Rule::AnnotationNotInSandbox,
                    name.range,
                    format!(
                        "the annotation `{text}` is evaluated when the sandbox defines the function, and `{id}` is not sent, so it raises `NameError` there (`from __future__ import annotations` does not help)"
                    ),
                )
                .with_fix("Quote the annotation", fix.clone().into_iter().collect());
        }
    }
}

/// The parameter and return annotations of a function.
pub(crate) fn annotations<'a>(function: &SandboxFunction<'a>) -> impl Iterator<Item = &'a Expr> {
    let def = function.def;
    def.parameters
        .iter()
        .filter_map(|parameter| parameter.as_parameter().annotation.as_deref())
        .chain(def.returns.as_deref())
}
