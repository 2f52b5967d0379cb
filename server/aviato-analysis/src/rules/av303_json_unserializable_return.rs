use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprContext};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::{Rule, own_returns};
use crate::sandbox::{SandboxFunction, Serialization};
use crate::semantic::{BindingKind, Resolution};
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
        if let Some(key) = tuple_key(function, value) {
            checker.report(
                Rule::JsonUnserializableReturn,
                value.range(),
                format!(
                    "the function returns a dict with tuple keys (`{}`); the sandbox writes the result with `json.dump`, which raises `TypeError: keys must be str, int, float, bool or None, not tuple`",
                    checker.text(key)
                ),
            );
            continue;
        }
        if is_captured(checker, function, value) {
            continue;
        }
        if let Some(type_name) = json_type_name(&kind) {
            checker.report(
                Rule::JsonUnserializableReturn,
                value.range(),
                message(&format!("returns {}", kind.describe()), &type_name),
            );
        } else if let Some((element, kind, type_name)) =
            refused_element(checker, function, value, 0)
        {
            let what = format!(
                "returns {} inside its result (`{}`)",
                kind.describe(),
                checker.text(element)
            );
            checker.report(
                Rule::JsonUnserializableReturn,
                element.range(),
                message(&what, &type_name),
            );
        }
    }
}

/// Whether `value` is a name the function reads from outside: a captured value
/// reaches the sandbox already converted, or AV301 refuses it.
fn is_captured(checker: &Checker, function: &SandboxFunction, value: &Expr) -> bool {
    matches!(value, Expr::Name(name) if !matches!(
        checker.model.resolve(function.scope, name.id.as_str()),
        Resolution::Scope(scope) if checker.model.is_within(scope, function.scope)
    ))
}

/// An element of the returned container, at any depth, that `json.dump` refuses:
/// a value of a dict display, an element of a list or tuple display, or of one a
/// name the function binds holds (`result = {...}; return result`).
fn refused_element<'a>(
    checker: &Checker<'_, 'a>,
    function: &SandboxFunction<'a>,
    value: &'a Expr,
    depth: u8,
) -> Option<(&'a Expr, ValueKind, String)> {
    const MAX_DEPTH: u8 = 4;
    let elements: Vec<&'a Expr> = match value {
        Expr::Dict(dict) => dict.items.iter().map(|item| &item.value).collect(),
        Expr::List(list) => list.elts.iter().collect(),
        Expr::Tuple(tuple) => tuple.elts.iter().collect(),
        Expr::Name(name) if depth < MAX_DEPTH && !is_captured(checker, function, value) => {
            let binding =
                checker
                    .model
                    .binding_at(function.scope, name.id.as_str(), value.start())?;
            let BindingKind::Assignment(bound) = binding.kind else {
                return None;
            };
            return matches!(bound, Expr::Dict(_) | Expr::List(_) | Expr::Tuple(_))
                .then(|| refused_element(checker, function, bound, depth + 1))
                .flatten();
        }
        _ => return None,
    };
    for element in elements {
        if element.is_starred_expr() || is_captured(checker, function, element) {
            continue;
        }
        let kind = checker
            .values
            .kind(element, function.scope, element.start());
        if let Some(type_name) = json_type_name(&kind) {
            return Some((element, kind, type_name));
        }
        if depth < MAX_DEPTH
            && let Some(found) = refused_element(checker, function, element, depth + 1)
        {
            return Some(found);
        }
    }
    None
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

/// The Python type name `json.dump` would report for a value of this kind: both
/// generations' sandboxes write the result with the standard library's `json`.
fn json_type_name(kind: &ValueKind) -> Option<String> {
    if *kind == ValueKind::DictNonStrKeys || !kind.strict_json_refused() {
        return None;
    }
    kind.python_type_name()
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

/// A tuple key of the dict `value` returns: in its literal, or stored into the
/// returned name in the body (`table[(a, b)] = n`).
fn tuple_key<'a>(function: &SandboxFunction<'a>, value: &'a Expr) -> Option<&'a Expr> {
    match value {
        Expr::Dict(dict) => dict
            .items
            .iter()
            .filter_map(|item| item.key.as_ref())
            .find(|key| key.is_tuple_expr()),
        Expr::DictComp(comp) => comp.key.as_deref().filter(|key| key.is_tuple_expr()),
        Expr::Name(name) => {
            struct Stores<'a> {
                name: &'a str,
                key: Option<&'a Expr>,
            }
            impl<'a> Visitor<'a> for Stores<'a> {
                fn visit_expr(&mut self, expr: &'a Expr) {
                    if let Expr::Subscript(subscript) = expr
                        && subscript.ctx == ExprContext::Store
                        && subscript.slice.is_tuple_expr()
                        && matches!(subscript.value.as_ref(), Expr::Name(n) if n.id.as_str() == self.name)
                    {
                        self.key.get_or_insert(&subscript.slice);
                    }
                    visitor::walk_expr(self, expr);
                }
            }
            let mut stores = Stores {
                name: name.id.as_str(),
                key: None,
            };
            stores.visit_body(&function.def.body);
            stores.key
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, check};

    fn return_errors(body: &str) -> Vec<String> {
        let source = format!(
            "from cwsandbox import Session\n\nTAGS = {{'a', 'b'}}\n\n\
             with Session() as session:\n\n    @session.function()\n    def summarize(rows):\n{body}\n\n    \
             print(summarize.remote([1, 2]).result())\n"
        );
        check(&source, &Settings::default())
            .into_iter()
            .filter(|d| d.rule == Rule::JsonUnserializableReturn)
            .map(|d| d.message)
            .collect()
    }

    /// Recorded with the cwsandbox oracle (heldout4 `invoice_reconciliation.py`):
    /// `TypeError: return value is not JSON-serializable: Object of type set is not
    /// JSON serializable`.
    #[test]
    fn a_set_inside_the_returned_dict_is_refused() {
        let errors = return_errors(
            "        seen = {r % 2 for r in rows}\n        return {'count': len(rows), 'parities': seen}",
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("(`seen`)"), "{}", errors[0]);
        let nested = return_errors(
            "        out = {'stats': [len(rows), frozenset(rows)]}\n        return out",
        );
        assert_eq!(nested.len(), 1, "{nested:?}");
        // Made a list before it is returned, or captured (refused on the way in by
        // AV301, not here): nothing for this rule.
        let listed = return_errors(
            "        seen = {r % 2 for r in rows}\n        seen = sorted(seen)\n        return {'parities': seen}",
        );
        assert_eq!(listed, Vec::<String>::new());
        assert_eq!(
            return_errors("        return {'tags': TAGS}"),
            Vec::<String>::new()
        );
    }
}
