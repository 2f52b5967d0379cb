use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{ExprContext, Stmt, StmtNonlocal};
use ruff_text_size::Ranged;
use rustc_hash::FxHashSet;

use crate::checker::Checker;
use crate::diagnostic::Severity;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV403: the body assigns a `global` name; only the sandbox's copy changes. A
/// `nonlocal` in the function itself is worse: the SDK sends the function alone, with
/// no enclosing function, so the sandbox cannot even compile it.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    if let Some(nonlocal) = own_nonlocal(function) {
        let names: Vec<&str> = nonlocal.names.iter().map(|name| name.id.as_str()).collect();
        let diagnostic = checker.report(
            Rule::GlobalWriteLost,
            nonlocal.range(),
            format!(
                "`nonlocal {}` refers to `{}`'s enclosing function, which the SDK does not send: the sandbox raises `SyntaxError: no binding for nonlocal '{}' found`; return the new value instead",
                names.join(", "),
                function.def.name.id,
                names.first().copied().unwrap_or_default()
            ),
        );
        diagnostic.severity = Severity::Error;
    }
    let mut reported = FxHashSet::default();
    let writes: Vec<_> = checker
        .model
        .scope_and_descendants(function.scope)
        .flat_map(|scope| checker.model.scopes[scope].uses.iter())
        .map(|&id| checker.model.uses[id])
        .filter(|name_use| name_use.ctx == ExprContext::Store)
        .collect();
    for write in writes {
        if !reported.insert(write.name) {
            continue;
        }
        checker.report(
            Rule::GlobalWriteLost,
            write.range,
            format!(
                "`{}` is declared `global`: assigning it changes only the sandbox's copy, and the caller never sees it; return the value instead",
                write.name
            ),
        );
    }
}

/// The first `nonlocal` statement of the function's own body (nested functions have
/// their own enclosing scope in the sandbox).
fn own_nonlocal<'a>(function: &SandboxFunction<'a>) -> Option<&'a StmtNonlocal> {
    #[derive(Default)]
    struct Finder<'a>(Option<&'a StmtNonlocal>);
    impl<'a> Visitor<'a> for Finder<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Nonlocal(nonlocal) if self.0.is_none() => self.0 = Some(nonlocal),
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                stmt => visitor::walk_stmt(self, stmt),
            }
        }
    }
    let mut finder = Finder::default();
    finder.visit_body(&function.def.body);
    finder.0
}
