use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::{Rule, own_returns};
use crate::sandbox::{SandboxFunction, Serialization};
use crate::value::ValueKind;

/// AV303: JSON mode and the function returns something `json.dump` rejects.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    if !matches!(
        function.serialization,
        Serialization::Json | Serialization::StrictJson
    ) {
        return;
    }
    let returned: Vec<_> = own_returns(function.def)
        .into_iter()
        .flat_map(|statement| statement.value.as_deref())
        .map(|value| {
            (
                value,
                checker.values.kind(value, function.scope, value.start()),
            )
        })
        .collect();
    // What the function returns wins over what its annotation claims.
    let returns_known = returned.iter().any(|(_, kind)| *kind != ValueKind::Unknown);
    if let Some(returns) = function.def.returns.as_deref()
        && !returns_known
        && let Some(type_name) = unserializable_annotation(returns)
    {
        checker.report(
            Rule::JsonUnserializableReturn,
            returns.range(),
            message(&format!("is annotated to return {type_name}"), &type_name),
        );
        return;
    }
    for (value, kind) in returned {
        let Some(type_name) = json_type_name(&kind) else {
            continue;
        };
        checker.report(
            Rule::JsonUnserializableReturn,
            value.range(),
            message(&format!("returns {}", kind.describe()), &type_name),
        );
    }
}

fn message(what: &str, type_name: &str) -> String {
    let bare = type_name
        .trim_start_matches("a ")
        .trim_start_matches("an ")
        .trim_matches('`');
    format!(
        "the function {what}; the sandbox writes the result with `json.dump`, which raises `TypeError: Object of type {bare} is not JSON serializable`"
    )
}

/// The Python type name `json.dump` would report for a value of this kind.
fn json_type_name(kind: &ValueKind) -> Option<String> {
    Some(match kind {
        ValueKind::Set => "set".into(),
        ValueKind::FrozenSet => "frozenset".into(),
        ValueKind::Bytes { .. } => "bytes".into(),
        ValueKind::Generator => "generator".into(),
        ValueKind::Deque => "deque".into(),
        ValueKind::StringLike(type_name) => (*type_name).to_string(),
        ValueKind::DataclassInstance { class } | ValueKind::Instance { class } => class.clone(),
        _ => return None,
    })
}

fn unserializable_annotation(annotation: &Expr) -> Option<String> {
    let base = match annotation {
        Expr::Subscript(subscript) => subscript.value.as_ref(),
        expr => expr,
    };
    // Other names in annotations fail earlier, with AV204's `NameError`.
    let Expr::Name(name) = base else { return None };
    let id = name.id.as_str();
    matches!(id, "set" | "frozenset" | "bytes" | "bytearray").then(|| id.to_string())
}
