use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV404: the body calls `sys.exit`, `exit`, `quit` or `os._exit`.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    #[derive(Default)]
    struct Exits<'a>(Vec<&'a ExprCall>);
    impl<'a> Visitor<'a> for Exits<'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if exit_name(&call.func).is_some() {
                    self.0.push(call);
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut exits = Exits::default();
    for statement in &function.def.body {
        exits.visit_stmt(statement);
    }
    for call in exits.0 {
        let Some(name) = exit_name(&call.func) else { continue };
        checker.report(
            Rule::ExitInSandbox,
            call.func.range(),
            format!(
                "`{name}()` ends the sandbox's Python before the result is written: the caller gets a failed run with no value and no exception type; raise an exception or return instead"
            ),
        );
    }
}

fn exit_name(func: &Expr) -> Option<&'static str> {
    match func {
        Expr::Name(name) => match name.id.as_str() {
            "exit" => Some("exit"),
            "quit" => Some("quit"),
            _ => None,
        },
        Expr::Attribute(attribute) => match (attribute.value.as_ref(), attribute.attr.id.as_str()) {
            (Expr::Name(module), "exit") if module.id.as_str() == "sys" => Some("sys.exit"),
            (Expr::Name(module), "_exit") if module.id.as_str() == "os" => Some("os._exit"),
            _ => None,
        },
        _ => None,
    }
}

