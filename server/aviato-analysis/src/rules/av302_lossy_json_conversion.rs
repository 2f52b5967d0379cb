use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::{Capture, Checker};
use crate::diagnostic::Severity;
use crate::rules::{Rule, converted_use, own_returns, sent_value, stores_non_str_key};
use crate::sandbox::{SandboxFunction, Serialization};
use crate::semantic::BindingKind;
use crate::value::ValueKind;

/// AV302: JSON mode turns a captured value into another type, or a returned tuple
/// into a list. (Arguments are checked at each call site.)
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    let mode = function.serialization;
    if !matches!(mode, Serialization::Json | Serialization::StrictJson) {
        return;
    }
    for capture in captures {
        if !capture.is_sent() {
            continue;
        }
        let (kind, _) = sent_value(checker, capture, mode);
        let Some(becomes) = conversion(&kind, mode) else {
            continue;
        };
        let related = checker.related_binding(capture);
        let message = format!(
            "`{}` is {}; JSON mode sends it as {becomes}, so the function does not see the original type",
            capture.name,
            kind.describe()
        );
        // Only the capture's own value is what its name holds, not an element inside
        // it; a factory's parameter holds what every call of the factory passes.
        let holds_it = kind == capture.kind
            // A dict filled later with keys that are not strings (`LABELS[i] = name`).
            || (kind == ValueKind::DictNonStrKeys
                && capture.kind == ValueKind::Dict
                && capture.binding.is_some_and(|binding| {
                    stores_non_str_key(checker, capture.name, binding.scope)
                }))
            || capture.binding.is_some_and(|binding| {
                matches!(binding.kind, BindingKind::Parameter) && {
                    let arguments = checker.values.parameter_values(capture.name, binding.scope);
                    !arguments.is_empty()
                        && arguments.iter().all(|(argument, scope)| {
                            checker.values.kind(argument, *scope, argument.start()) == kind
                        })
                }
            });
        let misuse = holds_it
            .then(|| converted_use::failing_use(&function.def.body, capture.name, &kind, mode))
            .flatten();
        match misuse {
            // The conversion is certain to break this use: an error, where it breaks.
            Some((range, consequence)) => {
                let diagnostic = checker
                    .report(
                        Rule::LossyJsonConversion,
                        range,
                        format!("{message}; {consequence}"),
                    )
                    .with_related(related);
                diagnostic.severity = Severity::Error;
            }
            None => {
                checker
                    .report(Rule::LossyJsonConversion, capture.first_use, message)
                    .with_related(related);
            }
        }
    }
    // The result goes back through `json.dump`: tuples become lists, and keys that
    // are not strings become strings.
    let mut returned_known = false;
    for value in own_returns(function.def)
        .into_iter()
        .flat_map(|statement| statement.value.as_deref())
    {
        if mode == Serialization::StrictJson && list_of_tuples(value) {
            returned_known = true;
            checker.report(
                Rule::LossyJsonConversion,
                value.range(),
                "the function returns a list of tuples; `json.dump` gives the caller lists in their place".to_string(),
            );
            continue;
        }
        if mode == Serialization::StrictJson && annotated_non_str_keys(function, value) {
            returned_known = true;
            checker.report(
                Rule::LossyJsonConversion,
                value.range(),
                "the function returns a dict annotated with keys that are not strings; `json.dump` writes them as strings, so the caller gets `{'1': ...}` for `{1: ...}`".to_string(),
            );
            continue;
        }
        let message = match checker.values.kind(value, function.scope, value.start()) {
            ValueKind::Tuple => "the function returns a tuple; JSON mode gives the caller a list",
            ValueKind::DictNonStrKeys => {
                "the function returns a dict with keys that are not strings; `json.dump` writes them as strings, so the caller gets `{'1': ...}` for `{1: ...}` (and loses entries whose keys collide)"
            }
            ValueKind::Unknown => continue,
            kind => {
                returned_known = true;
                // What else `json.dump` turns into another type, at any depth:
                // a `Counter` into a dict, the tuples of a list of pairs into lists.
                if mode == Serialization::StrictJson
                    && let Some(message) = returned_conversion(checker, function, value, &kind)
                {
                    checker.report(Rule::LossyJsonConversion, value.range(), message);
                }
                continue;
            }
        };
        returned_known = true;
        checker.report(
            Rule::LossyJsonConversion,
            value.range(),
            message.to_string(),
        );
    }
    if let Some(returns) = function.def.returns.as_deref()
        && !returned_known
    {
        let message = if is_tuple_annotation(returns) {
            "the function is annotated to return a tuple; JSON mode gives the caller a list"
        } else if has_non_str_keys(returns) {
            "the function is annotated to return a dict whose keys are not strings; `json.dump` writes them as strings, so the caller gets str keys"
        } else {
            return;
        };
        checker.report(
            Rule::LossyJsonConversion,
            returns.range(),
            message.to_string(),
        );
    }
}

/// How strict JSON changes a returned value of kind `kind` (other than a tuple or a
/// dict with non-string keys), or an element inside it.
fn returned_conversion(
    checker: &Checker,
    function: &SandboxFunction,
    value: &Expr,
    kind: &ValueKind,
) -> Option<String> {
    if let Some(becomes) = kind.strict_json_conversion() {
        return Some(format!(
            "the function returns {}; `json.dump` gives the caller {becomes}",
            kind.describe()
        ));
    }
    let converts = |kind: &ValueKind| u8::from(kind.strict_json_conversion().is_some());
    let (element, _) =
        checker
            .values
            .worst_element(value, function.scope, value.start(), &converts);
    let becomes = element.strict_json_conversion()?;
    Some(format!(
        "the function returns {} holding {}; `json.dump` gives the caller {becomes} in its place",
        kind.describe(),
        element.describe()
    ))
}

/// A returned dict built from a local variable annotated `dict[int, ...]`: the
/// variable itself, `dict(...)` of it, or of its sorted `.items()`.
fn annotated_non_str_keys(function: &SandboxFunction, value: &Expr) -> bool {
    fn source(expr: &Expr) -> Option<&str> {
        match expr {
            Expr::Name(name) => Some(name.id.as_str()),
            Expr::Call(call) => match (call.func.as_ref(), call.arguments.args.first()) {
                (Expr::Name(name), Some(first))
                    if matches!(name.id.as_str(), "dict" | "sorted") =>
                {
                    source(first)
                }
                (Expr::Attribute(attribute), None)
                    if attribute.attr.id.as_str() == "items" && call.arguments.is_empty() =>
                {
                    source(&attribute.value)
                }
                _ => None,
            },
            _ => None,
        }
    }
    let name = source(value);
    let Some(name) = name else {
        return false;
    };
    function.def.body.iter().any(|statement| {
        matches!(
            statement,
            ruff_python_ast::Stmt::AnnAssign(assign)
                if matches!(assign.target.as_ref(), Expr::Name(target) if target.id.as_str() == name)
                    && has_non_str_keys(&assign.annotation)
        )
    })
}

/// A list whose items are tuples: `[(i, x) for ...]`, or `list`/`sorted` (maybe
/// sliced) of an iterable of tuples.
fn list_of_tuples(expr: &Expr) -> bool {
    match expr {
        Expr::ListComp(comp) => matches!(comp.elt.as_ref(), Expr::Tuple(_)),
        Expr::Subscript(subscript) if matches!(subscript.slice.as_ref(), Expr::Slice(_)) => {
            list_of_tuples(&subscript.value)
        }
        Expr::Call(call) => {
            matches!(call.func.as_ref(), Expr::Name(name) if matches!(name.id.as_str(), "list" | "sorted"))
                && call.arguments.args.first().is_some_and(yields_tuples)
        }
        _ => false,
    }
}

/// An iterable whose items are tuples: `zip(...)`, `enumerate(...)`, `d.items()`,
/// `counter.most_common()`, `itertools.product(...)` and its kin, or `sorted`,
/// `list` or `reversed` of one.
fn yields_tuples(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    let name = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.id.as_str(),
        _ => return false,
    };
    match name {
        "zip"
        | "enumerate"
        | "product"
        | "combinations"
        | "permutations"
        | "combinations_with_replacement"
        | "zip_longest"
        | "pairwise" => true,
        "items" | "most_common" => matches!(call.func.as_ref(), Expr::Attribute(_)),
        "sorted" | "list" | "reversed" => {
            matches!(call.func.as_ref(), Expr::Name(_))
                && call.arguments.args.first().is_some_and(yields_tuples)
        }
        _ => false,
    }
}

/// `dict[int, ...]` (or `Dict`, with `float`/`bool` keys).
fn has_non_str_keys(annotation: &Expr) -> bool {
    let Expr::Subscript(subscript) = annotation else {
        return false;
    };
    let is_dict = matches!(subscript.value.as_ref(), Expr::Name(name) if matches!(name.id.as_str(), "dict" | "Dict"));
    let Expr::Tuple(arguments) = subscript.slice.as_ref() else {
        return false;
    };
    is_dict
        && matches!(arguments.elts.first(), Some(Expr::Name(key)) if matches!(key.id.as_str(), "int" | "float" | "bool"))
}

fn is_tuple_annotation(annotation: &Expr) -> bool {
    let base = match annotation {
        Expr::Subscript(subscript) => subscript.value.as_ref(),
        expr => expr,
    };
    matches!(base, Expr::Name(name) if matches!(name.id.as_str(), "tuple" | "Tuple"))
        || matches!(base, Expr::Attribute(attribute) if attribute.attr.id.as_str() == "Tuple")
}

/// What `mode` silently turns a value into, if it changes its type.
fn conversion(kind: &ValueKind, mode: Serialization) -> Option<&'static str> {
    match mode {
        Serialization::Json => kind.json_conversion(),
        Serialization::StrictJson => kind.strict_json_conversion(),
        _ => None,
    }
}

/// The JSON-mode warning for an argument at a call site, if it changes type.
pub(crate) fn argument_message(kind: &ValueKind, mode: Serialization) -> Option<String> {
    conversion(kind, mode).map(|becomes| {
        format!("this argument is {}; JSON mode sends it as {becomes}, so the function does not see the original type", kind.describe())
    })
}

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, check};

    /// The messages of the AV302 diagnostics of `source`.
    fn av302_messages(source: &str) -> Vec<String> {
        check(source, &Settings::default())
            .into_iter()
            .filter(|d| d.rule == Rule::LossyJsonConversion)
            .map(|d| d.message)
            .collect()
    }

    fn program(globals: &str, body: &str, call: &str) -> String {
        format!(
            "import asyncio\nimport string\nfrom aviato import Sandbox, SandboxDefaults\n{globals}\n\n\
             async def main():\n    async with Sandbox.session(SandboxDefaults()) as session:\n\n        \
             @session.function()\n        def f(x):\n{body}\n\n        print(await {call})\n"
        )
    }

    #[test]
    fn a_list_built_by_a_comprehension_of_tuples_holds_tuples() {
        let source = program(
            "DATA = [(x / 10, 2 * x) for x in range(10)]",
            "            return [a + b for a, b in x]",
            "f(DATA)",
        );
        let messages = av302_messages(&source);
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("a tuple"), "{}", messages[0]);
        // A comprehension of numbers holds nothing JSON changes.
        let source = program(
            "DATA = [x / 10 for x in range(10)]",
            "            return sum(x)",
            "f(DATA)",
        );
        assert_eq!(av302_messages(&source), Vec::<String>::new());
    }

    #[test]
    fn a_factory_parameter_holds_what_its_one_call_passes() {
        let source = "import asyncio\nfrom aviato import Sandbox, SandboxDefaults\n\n\
def make_encoder(session, codes):\n    @session.function()\n    def encode(items):\n        return [codes[i] for i in items]\n    return encode\n\n\
async def main():\n    async with Sandbox.session(SandboxDefaults()) as session:\n        encode = make_encoder(session, {1: 'low', 2: 'high'})\n        print(await encode([1, 2]))\n";
        let errors: Vec<String> = check(source, &Settings::default())
            .into_iter()
            .filter(|d| d.rule == Rule::LossyJsonConversion && d.severity == crate::Severity::Error)
            .map(|d| d.message)
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("KeyError"), "{}", errors[0]);
    }

    #[test]
    fn a_translation_table_has_int_keys() {
        let source = program(
            "TABLE = str.maketrans('', '', string.punctuation)",
            "            return x.translate(TABLE)",
            "f('a, b')",
        );
        let messages = av302_messages(&source);
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("non-string keys"), "{}", messages[0]);
        let source = program(
            "TABLE = str.maketrans('', '')",
            "            return x.translate(TABLE)",
            "f('a, b')",
        );
        assert_eq!(av302_messages(&source), Vec::<String>::new());
    }
}
