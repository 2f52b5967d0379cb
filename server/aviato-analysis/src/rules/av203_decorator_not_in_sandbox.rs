use ruff_python_ast::{Decorator, Expr};
use ruff_text_size::Ranged;

use crate::builtins::is_builtin;
use crate::checker::{Capture, Checker};
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::semantic::BindingKind;

/// AV203: a decorator other than `.function` whose name the sandbox will not have.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    // The sandbox decorator itself, when an alias, is AV106's.
    let others = function
        .kept_decorators()
        .filter(|decorator| !std::ptr::eq(*decorator, function.decorator));
    for decorator in others {
        let Some(root) = root_name(&decorator.expression) else {
            continue;
        };
        let text = checker.text(&decorator.expression);
        let message = match root {
            "staticmethod" => continue,
            "classmethod" | "property" => format!(
                "`@{text}` turns the function into a `{root}` object, which neither the client nor the sandbox can call like a function (`TypeError` or `AttributeError`); drop it"
            ),
            _ if is_builtin(root)
                || captures
                    .iter()
                    .any(|capture| capture.name == root && capture.is_sent()) =>
            {
                continue;
            }
            _ if ships_wrapper(checker, function, decorator) => format!(
                "`@{text}` is applied before `session.function` and does not use `functools.wraps`, so the SDK sends its inner wrapper instead of `{}`, and the wrapper's closure cannot be serialized; apply it inside the function or drop it",
                function.def.name.id
            ),
            _ => format!(
                "`@{text}` stays in the source the SDK sends and runs in the sandbox, where `{root}` is not defined (`NameError`); apply it inside the function or drop it"
            ),
        };
        checker.report(
            Rule::DecoratorNotInSandbox,
            decorator.expression.range(),
            message,
        );
    }
}

/// Whether `decorator` sits below the sandbox decorator and is a function of this
/// file that returns an inner function without `functools.wraps`: the SDK then
/// finds no `__wrapped__` and sends that inner wrapper.
pub(crate) fn ships_wrapper(
    checker: &Checker,
    function: &SandboxFunction,
    decorator: &Decorator,
) -> bool {
    let below = decorator.start() > function.decorator.start();
    let Some(root) = root_name(&decorator.expression) else {
        return false;
    };
    let Some(BindingKind::Function(def)) = checker
        .model
        .lookup(function.enclosing, root)
        .map(|binding| binding.kind)
    else {
        return false;
    };
    // A decorator that returns an inner function without `wraps` replaces the function.
    let has_inner_function = def
        .body
        .iter()
        .any(|statement| statement.is_function_def_stmt());
    below && has_inner_function && !checker.text(def.range).contains("wraps")
}

/// `retry` for `@retry`, `@retry(3)` and `@retry.on(...)`.
pub(crate) fn root_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => root_name(&attribute.value),
        Expr::Call(call) => root_name(&call.func),
        Expr::Subscript(subscript) => root_name(&subscript.value),
        _ => None,
    }
}
