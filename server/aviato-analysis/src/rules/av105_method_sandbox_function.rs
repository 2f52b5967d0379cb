use ruff_python_ast::Expr;
use ruff_python_ast::visitor::{self, Visitor};
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
        if function.sdk == Sdk::Aviato {
            check_wrapped_staticmethod(checker, function);
        }
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

/// `@session.function()` above `@staticmethod`: the SDK wraps the static method in a
/// plain function, which the class binds like any method, so a call through an
/// instance (`metrics.accuracy(45, 50)`) sends the instance as the first argument.
/// Through the class (`Metrics.accuracy(...)`) it runs.
fn check_wrapped_staticmethod(checker: &mut Checker, function: &SandboxFunction) {
    let decorators = &function.def.decorator_list;
    let Some(sandbox_at) = decorators
        .iter()
        .position(|decorator| std::ptr::eq(decorator, function.decorator))
    else {
        return;
    };
    let wraps_static = decorators[sandbox_at + 1..].iter().any(|decorator| {
        matches!(&decorator.expression, Expr::Name(name) if name.id.as_str() == "staticmethod")
    });
    let ScopeKind::Class(class) = checker.model.scopes[function.enclosing].kind else {
        return;
    };
    if !wraps_static {
        return;
    }
    let mut calls = InstanceCalls {
        method: function.def.name.id.as_str(),
        class: class.name.id.as_str(),
        found: None,
    };
    calls.visit_body(checker.model.module_body);
    let Some(call) = calls.found else {
        return;
    };
    checker.report(
        Rule::MethodSandboxFunction,
        call,
        format!(
            "`@session.function()` wraps the static method `{}` in a plain function, which the class binds like a method: called through an instance, the SDK sends the instance as the first argument, and it cannot be serialized; put `@staticmethod` above `@session.function()`, or call it through `{}`",
            function.def.name.id, class.name.id
        ),
    );
}

/// The first call `<x>.method(...)` where `<x>` is not the class itself.
struct InstanceCalls<'n> {
    method: &'n str,
    class: &'n str,
    found: Option<ruff_text_size::TextRange>,
}

impl<'a> Visitor<'a> for InstanceCalls<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found.is_some() {
            return;
        }
        if let Expr::Call(call) = expr
            && let Expr::Attribute(attribute) = call.func.as_ref()
            && attribute.attr.id.as_str() == self.method
            && !matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == self.class || name.id.as_str() == "cls")
        {
            self.found = Some(call.range());
            return;
        }
        visitor::walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, check};

    fn method_errors(call: &str) -> usize {
        let source = format!(
            "from aviato import SandboxDefaults, Session\n\nsession = Session(SandboxDefaults())\n\n\
             class Metrics:\n    @session.function()\n    @staticmethod\n    def accuracy(correct, total):\n        return correct / total\n\n\
             async def main():\n    print(await {call})\n"
        );
        check(&source, &Settings::default())
            .iter()
            .filter(|d| d.rule == Rule::MethodSandboxFunction)
            .count()
    }

    #[test]
    fn a_wrapped_static_method_fails_only_through_an_instance() {
        assert_eq!(method_errors("Metrics(1).accuracy(45, 50)"), 1);
        assert_eq!(method_errors("Metrics.accuracy(45, 50)"), 0);
    }
}
