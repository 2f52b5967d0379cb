use ruff_python_ast::ExprContext;
use rustc_hash::FxHashSet;

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV403: the body assigns a `global` name; only the sandbox's copy changes.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
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
