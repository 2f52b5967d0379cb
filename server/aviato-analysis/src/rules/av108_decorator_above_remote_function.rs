use ruff_python_ast::{Expr, StmtFunctionDef};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::av203_decorator_not_in_sandbox::root_name;
use crate::rules::{Rule, own_returns};
use crate::sandbox::SandboxFunction;
use crate::semantic::{BindingKind, ScopeId};

/// AV108: cwsandbox, a decorator above `@session.function()` receives the
/// `RemoteFunction`, which is not callable and loses `.remote` behind a wrapper.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let above = function
        .def
        .decorator_list
        .iter()
        .take_while(|decorator| !std::ptr::eq(*decorator, function.decorator));
    for decorator in above {
        if root_name(&decorator.expression) == Some("staticmethod")
            || returns_its_argument(checker, function, &decorator.expression)
        {
            continue;
        }
        let text = checker.text(&decorator.expression);
        checker.report(
            Rule::DecoratorAboveRemoteFunction,
            decorator.expression.range(),
            format!(
                "`@{text}` is applied to the `RemoteFunction` that `@{}` returns, which is not callable: a wrapper hides `.remote` (`AttributeError`), and calling it raises `TypeError`; move it below the sandbox decorator or drop it",
                checker.text(&function.decorator.expression)
            ),
        );
    }
}

/// Whether the decorator is a function of this file that hands back the object it
/// is given (a registry's `register`: `REGISTRY[...] = fn; return fn`), or a factory
/// call returning such a function: the `RemoteFunction` then passes through
/// unchanged and keeps `.remote`.
fn returns_its_argument(checker: &Checker, function: &SandboxFunction, decorator: &Expr) -> bool {
    // The decorator is evaluated where the decorated function is defined.
    let scope = function.enclosing;
    match decorator {
        Expr::Name(name) => {
            local_function(checker, scope, name.id.as_str()).is_some_and(passes_through)
        }
        Expr::Call(call) => {
            let Expr::Name(name) = call.func.as_ref() else {
                return false;
            };
            let Some(factory) = local_function(checker, scope, name.id.as_str()) else {
                return false;
            };
            let Some(factory_scope) = checker.model.function_scope(factory) else {
                return false;
            };
            let returns = own_returns(factory);
            !returns.is_empty()
                && returns.iter().all(|statement| {
                    matches!(statement.value.as_deref(), Some(Expr::Name(inner))
                        if local_function(checker, factory_scope, inner.id.as_str()).is_some_and(passes_through))
                })
        }
        _ => false,
    }
}

fn local_function<'a>(
    checker: &Checker<'_, 'a>,
    scope: ScopeId,
    name: &str,
) -> Option<&'a StmtFunctionDef> {
    match checker.model.lookup(scope, name)?.kind {
        BindingKind::Function(def) => Some(def),
        _ => None,
    }
}

/// Every `return` of `def` returns its first parameter, and there is one.
fn passes_through(def: &StmtFunctionDef) -> bool {
    let Some(parameter) = def
        .parameters
        .posonlyargs
        .iter()
        .chain(&def.parameters.args)
        .next()
    else {
        return false;
    };
    let returns = own_returns(def);
    !returns.is_empty()
        && returns.iter().all(|statement| {
            matches!(statement.value.as_deref(), Some(Expr::Name(name)) if name.id == parameter.parameter.name.id)
        })
}

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, check};

    fn codes(decorators: &str) -> Vec<&'static str> {
        let source = format!(
            "from cwsandbox import SandboxDefaults, Session\n\nREGISTRY = {{}}\n\n\
def register(fn):\n    REGISTRY[fn.__name__] = fn\n    return fn\n\n\
def named(label):\n    def deco(fn):\n        REGISTRY[label] = fn\n        return fn\n    return deco\n\n\
def logged(fn):\n    def wrapper(*args):\n        return fn(*args)\n    return wrapper\n\n\
with Session(SandboxDefaults()) as session:\n{decorators}\n    @session.function()\n    def f(x: int) -> int:\n        return x\n\n    print(f.remote(1).result())\n"
        );
        let mut codes: Vec<&'static str> = check(&source, &Settings::default())
            .into_iter()
            .map(|d| d.rule.code())
            .collect();
        codes.sort_unstable();
        codes
    }

    #[test]
    fn a_registry_decorator_hands_the_remote_function_back() {
        // It still stays in the sent source: NameError in the sandbox (AV203).
        assert_eq!(codes("    @register"), [Rule::DecoratorNotInSandbox.code()]);
        assert_eq!(
            codes("    @named('f')"),
            [Rule::DecoratorNotInSandbox.code()]
        );
        // A wrapper takes the RemoteFunction's place.
        assert_eq!(
            codes("    @logged"),
            [
                Rule::DecoratorAboveRemoteFunction.code(),
                Rule::DecoratorNotInSandbox.code()
            ]
        );
    }
}
