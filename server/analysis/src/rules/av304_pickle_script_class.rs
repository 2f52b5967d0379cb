use ruff_python_ast::Expr;

use crate::checker::{Capture, Checker};
use crate::rules::{Rule, sent_value};
use crate::sandbox::{SandboxFunction, Serialization};

/// AV304: PICKLE mode and a value's class is defined in the script, so the sandbox
/// cannot unpickle it. (Arguments are checked at each call site.)
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    if function.serialization != Serialization::Pickle {
        return;
    }
    for capture in captures {
        if !capture.is_sent() {
            continue;
        }
        let (kind, _) = sent_value(checker, capture, Serialization::Pickle);
        let Some(class) = kind.pickles_script_class() else { continue };
        let message = message(class);
        let related = checker.related_binding(capture);
        checker.report(Rule::PickleScriptClass, capture.first_use, message).with_related(related);
    }
    for annotation in super::av204_annotation_not_in_sandbox::annotations(function) {
        for name in super::names_in(annotation) {
            let expr = Expr::Name(name.clone());
            if let Some(class) = checker.values.script_class(&expr, function.enclosing) {
                let message = message(class.name.id.as_str());
                checker.report(Rule::PickleScriptClass, name.range, message);
            }
        }
    }
}

pub(crate) fn message(class: &str) -> String {
    format!(
        "`{class}` is defined in this script; pickle refers to it as `__main__.{class}`, which the sandbox does not have (`AttributeError: Can't get attribute '{class}' on <module '__main__'>`); move the class to a module installed in the image"
    )
}
