use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::builtins::is_builtin;
use crate::checker::{Capture, Checker};
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV203: a decorator other than `.function` whose name the sandbox will not have.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    for decorator in function.kept_decorators() {
        let Some(root) = root_name(&decorator.expression) else { continue };
        if is_builtin(root) || captures.iter().any(|capture| capture.name == root && capture.is_sent()) {
            continue;
        }
        let text = checker.text(&decorator.expression);
        checker.report(
            Rule::DecoratorNotInSandbox,
            decorator.expression.range(),
            format!(
                "`@{text}` stays in the source the SDK sends and runs in the sandbox, where `{root}` is not defined (`NameError`); apply it inside the function or drop it"
            ),
        );
    }
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
