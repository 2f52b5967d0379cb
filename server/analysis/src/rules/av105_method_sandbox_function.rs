use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::sdk::Sdk;
use crate::semantic::ScopeKind;

/// AV105: a sandbox function defined in a class body: its first parameter, whatever
/// its name (`self`, `cls`, `this`), is the instance or the class.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    if !matches!(
        checker.model.scopes[function.enclosing].kind,
        ScopeKind::Class(_)
    ) {
        return;
    }
    // Under `classmethod` or `property` the function is not called as a method at
    // all: AV203 reports those.
    let not_a_method = function.def.decorator_list.iter().any(|decorator| {
        matches!(&decorator.expression, Expr::Name(name) if matches!(name.id.as_str(), "staticmethod" | "classmethod" | "property"))
    });
    let parameters = &function.def.parameters;
    let Some(first) = parameters.posonlyargs.iter().chain(&parameters.args).next() else {
        return;
    };
    let name = first.parameter.name.id.as_str();
    if not_a_method {
        return;
    }
    let consequence = match function.sdk {
        Sdk::Aviato => format!(
            "the SDK sends `{name}` as its first argument, and the instance cannot be serialized"
        ),
        Sdk::Cwsandbox => format!(
            "the `RemoteFunction` does not bind `{name}`, so `obj.{}.remote(...)` passes the first argument as `{name}` and the call fails in the sandbox",
            function.def.name.id
        ),
    };
    checker.report(
        Rule::MethodSandboxFunction,
        first.parameter.range(),
        format!(
            "`{}` is a method: {consequence}; make it a module-level or static function",
            function.def.name.id
        ),
    );
}
