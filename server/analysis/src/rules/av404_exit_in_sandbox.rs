use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV404: the body calls `sys.exit`, `exit`, `quit` or `os._exit`.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    /// The exits in a body: `(range, what)`.
    #[derive(Default)]
    struct Exits(Vec<(TextRange, &'static str)>);
    impl<'a> Visitor<'a> for Exits {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::Raise(raise) = stmt {
                let exception = raise.exc.as_deref().map(|exc| match exc {
                    Expr::Call(call) => call.func.as_ref(),
                    exc => exc,
                });
                if let Some(Expr::Name(name)) = exception
                    && name.id.as_str() == "SystemExit"
                {
                    self.0.push((name.range, "raise SystemExit"));
                }
            }
            visitor::walk_stmt(self, stmt);
        }

        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr
                && let Some(name) = exit_name(&call.func)
            {
                self.0.push((call.func.range(), name));
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut exits = Exits::default();
    for statement in &function.def.body {
        exits.visit_stmt(statement);
    }
    for (range, what) in exits.0 {
        checker.report(
            Rule::ExitInSandbox,
            range,
            format!(
                "`{what}` ends the sandbox's Python before the result is written: the caller gets a failed run with no value and no exception type; raise an exception or return instead"
            ),
        );
    }
}

fn exit_name(func: &Expr) -> Option<&'static str> {
    match func {
        Expr::Name(name) => match name.id.as_str() {
            "exit" => Some("exit()"),
            "quit" => Some("quit()"),
            _ => None,
        },
        Expr::Attribute(attribute) => {
            match (attribute.value.as_ref(), attribute.attr.id.as_str()) {
                (Expr::Name(module), "exit") if module.id.as_str() == "sys" => Some("sys.exit()"),
                (Expr::Name(module), "_exit") if module.id.as_str() == "os" => Some("os._exit()"),
                _ => None,
            }
        }
        _ => None,
    }
}
