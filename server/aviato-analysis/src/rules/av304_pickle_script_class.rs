use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::{Capture, Checker};
use crate::rules::av301_unserializable_capture::unserializable_reason;
use crate::rules::{Rule, own_returns, sent_value};
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
        let Some(class) = kind.pickles_script_class() else {
            continue;
        };
        if unserializable_reason(&kind, Serialization::Pickle, capture.origin).is_some() {
            continue;
        }
        let message = message(class);
        let related = checker.related_binding(capture);
        checker
            .report(Rule::PickleScriptClass, capture.first_use, message)
            .with_related(related);
    }
    for value in own_returns(function.def)
        .into_iter()
        .flat_map(|statement| statement.value.as_deref())
    {
        let kind = checker.values.kind(value, function.scope, value.start());
        let Some(class) = kind.pickles_script_class() else {
            continue;
        };
        checker.report(
            Rule::PickleScriptClass,
            value.range(),
            format!(
                "the function returns {}; pickle can only send instances of classes the client can import, and `{class}` exists only in this script or function (`AttributeError: Can't pickle local object` or `Can't get attribute`)",
                kind.describe()
            ),
        );
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
