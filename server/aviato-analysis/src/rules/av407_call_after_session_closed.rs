use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::semantic::{BindingKind, CallRecord};

/// AV407: a sandbox function is called after the `with` block of its session ended.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, record: &CallRecord) {
    let Some(Expr::Name(session)) = function.session_expr() else {
        return;
    };
    let Some(binding) = checker
        .model
        .lookup(function.enclosing, session.id.as_str())
        .copied()
    else {
        return;
    };
    let BindingKind::WithItem(_) = binding.kind else {
        return;
    };
    let after_block = record.call.start() >= binding.statement.end();
    if !after_block || !checker.model.is_within(record.scope, binding.scope) {
        return;
    }
    let line = checker
        .text(binding.statement)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .trim_end_matches(':');
    checker.report(
        Rule::CallAfterSessionClosed,
        record.call.range(),
        format!(
            "`{}` is called after `{line}` ended, and the session closed with it: the SDK raises `SandboxError: Cannot create sandbox: session is closed`; call it inside the block",
            record.name
        ),
    );
}
