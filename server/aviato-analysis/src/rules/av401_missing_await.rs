use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::semantic::{CallContext, CallRecord, Resolution, ScopeKind};

/// Builtins that only look at the coroutine object, never await it.
const NON_AWAITING: &[&str] = &[
    "print", "str", "repr", "len", "list", "dict", "int", "float", "bool", "sum", "sorted",
    "format",
];

/// Whether a coroutine in this context is never awaited: dropped, used as a plain
/// value, or given to a builtin that only looks at it.
fn is_dropped(context: CallContext) -> bool {
    match context {
        CallContext::Statement | CallContext::Operand | CallContext::Condition => true,
        CallContext::Argument(Expr::Name(callee)) => NON_AWAITING.contains(&callee.id.as_str()),
        _ => false,
    }
}

/// AV401: a sandbox function's coroutine is never awaited.
pub(crate) fn check(checker: &mut Checker, record: &CallRecord) {
    let dropped = match record.context {
        CallContext::Assigned(name) => {
            // Inside a comprehension, the list is assigned in the enclosing scope.
            let Resolution::Scope(bound_in) = checker.model.resolve(record.scope, name) else {
                return;
            };
            checker
                .reads_after(name, bound_in, record.call.end())
                .all(|read| is_dropped(read.context))
        }
        context => is_dropped(context),
    };
    if !dropped {
        return;
    }
    let in_async_function =
        matches!(checker.model.scopes[record.scope].kind, ScopeKind::Function(def) if def.is_async);
    let fix = in_async_function.then(|| Edit {
        range: TextRange::empty(record.call.start()),
        content: "await ".into(),
    });
    let text = checker.text(record.call);
    let call = if text.len() > 40 {
        format!("{}(...)", record.name)
    } else {
        text.to_string()
    };
    checker
        .report(
            Rule::MissingAwait,
            record.call.range(),
            format!(
                "`{call}` returns a coroutine that is never awaited, so `{}` never runs; add `await`",
                record.name
            ),
        )
        .with_fix("Add `await`", fix.into_iter().collect());
}
