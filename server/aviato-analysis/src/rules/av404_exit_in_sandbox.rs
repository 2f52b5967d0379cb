use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::semantic::BindingKind;

/// AV404: the body calls `sys.exit`, `exit`, `quit` or `os._exit`.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    /// The exits in a body: `(range, what)`, and the other calls of plain names,
    /// which may be exits imported under another name.
    #[derive(Default)]
    struct Exits<'a>(
        Vec<(TextRange, &'static str)>,
        Vec<&'a ruff_python_ast::ExprName>,
    );
    impl<'a> Visitor<'a> for Exits<'a> {
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
            if let Expr::Call(call) = expr {
                match (exit_name(&call.func), call.func.as_ref()) {
                    (Some(name), _) => self.0.push((call.func.range(), name)),
                    (None, Expr::Name(name)) => self.1.push(name),
                    _ => {}
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut exits = Exits::default();
    for statement in &function.def.body {
        exits.visit_stmt(statement);
    }
    // `from sys import exit as bail`, here or at module level.
    for name in &exits.1 {
        let imported = checker
            .model
            .scope_and_descendants(function.scope)
            .find_map(|scope| checker.model.lookup(scope, name.id.as_str()))
            .is_some_and(|binding| {
                matches!(
                    binding.kind,
                    BindingKind::FromImport {
                        module: "sys",
                        member: "exit"
                    } | BindingKind::FromImport {
                        module: "os",
                        member: "_exit"
                    }
                )
            });
        if imported {
            exits.0.push((name.range, "sys.exit()"));
        }
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
