use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::{Capture, Checker};
use crate::rules::{Rule, own_returns, sent_value};
use crate::sandbox::{SandboxFunction, Serialization};
use crate::value::ValueKind;

/// AV302: JSON mode turns a captured value into another type, or a returned tuple
/// into a list. (Arguments are checked at each call site.)
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    if function.serialization != Serialization::Json {
        return;
    }
    for capture in captures {
        if !capture.is_sent() {
            continue;
        }
        let (kind, _) = sent_value(checker, capture, Serialization::Json);
        let Some(becomes) = kind.json_conversion() else {
            continue;
        };
        let related = checker.related_binding(capture);
        checker
            .report(
                Rule::LossyJsonConversion,
                capture.first_use,
                format!(
                    "`{}` is {}; JSON mode sends it as {becomes}, so the function does not see the original type",
                    capture.name,
                    kind.describe()
                ),
            )
            .with_related(related);
    }
    let mut returned_tuple = false;
    for value in own_returns(function.def)
        .into_iter()
        .flat_map(|statement| statement.value.as_deref())
    {
        if checker.values.kind(value, function.scope, value.start()) == ValueKind::Tuple {
            returned_tuple = true;
            checker.report(
                Rule::LossyJsonConversion,
                value.range(),
                "the function returns a tuple; JSON mode gives the caller a list".to_string(),
            );
        }
    }
    if let Some(returns) = function.def.returns.as_deref()
        && !returned_tuple
        && is_tuple_annotation(returns)
    {
        checker.report(
            Rule::LossyJsonConversion,
            returns.range(),
            "the function is annotated to return a tuple; JSON mode gives the caller a list"
                .to_string(),
        );
    }
}

fn is_tuple_annotation(annotation: &Expr) -> bool {
    let base = match annotation {
        Expr::Subscript(subscript) => subscript.value.as_ref(),
        expr => expr,
    };
    matches!(base, Expr::Name(name) if matches!(name.id.as_str(), "tuple" | "Tuple"))
        || matches!(base, Expr::Attribute(attribute) if attribute.attr.id.as_str() == "Tuple")
}

/// The JSON-mode warning for an argument at a call site, if it changes type.
pub(crate) fn argument_message(kind: &ValueKind) -> Option<String> {
    kind.json_conversion().map(|becomes| {
        format!("this argument is {}; JSON mode sends it as {becomes}, so the function does not see the original type", kind.describe())
    })
}
