use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextRange};

use crate::builtins::is_builtin;
use crate::checker::Checker;
use crate::diagnostic::{Edit, Severity};
use crate::rules::Rule;
use crate::semantic::{CallContext, CallRecord, Resolution};

/// Builtins that pass the refs of a collection on, to be retrieved later.
const ITERATING: &[&str] = &[
    "list",
    "tuple",
    "zip",
    "enumerate",
    "iter",
    "next",
    "reversed",
    "sorted",
    "dict",
    "filter",
    "map",
    "set",
];

/// Whether a ref in this context is never retrieved: dropped, used as a value, or
/// given to a builtin that only looks at it.
fn is_lost(context: CallContext) -> bool {
    match context {
        CallContext::Statement | CallContext::Operand | CallContext::Condition => true,
        CallContext::Argument(Expr::Name(callee)) => {
            let callee = callee.id.as_str();
            is_builtin(callee) && !ITERATING.contains(&callee)
        }
        _ => false,
    }
}

/// AV405: the `OperationRef` of `f.remote(...)` is never `.result()`ed or awaited.
pub(crate) fn check(checker: &mut Checker, record: &CallRecord) {
    let name = record.name;
    let message = match record.context {
        CallContext::RetrievedThenAwaited => format!(
            "`await {name}.remote(...).result()` awaits the value, not the ref: `.result()` already blocks and returns it, and awaiting it raises `TypeError` in the caller once the call has returned; drop `await` or `.result()`"
        ),
        CallContext::Assigned(variable) => {
            let Resolution::Scope(bound_in) = checker.model.resolve(record.scope, variable) else {
                return;
            };
            let mut reads = checker
                .reads_after(variable, bound_in, record.call.end())
                .peekable();
            if reads.peek().is_none() {
                format!(
                    "`{variable}` holds the `OperationRef` of `{name}.remote(...)` and is never `.result()`ed or awaited: the result, and any error, is lost"
                )
            } else if reads.all(|read| is_lost(read.context)) {
                format!(
                    "`{variable}` is an `OperationRef`, not the value `{name}` returns: using it as a value raises `TypeError` or gives the wrong answer; call `{variable}.result()`"
                )
            } else {
                return;
            }
        }
        context if is_lost(context) => format!(
            "`{name}.remote(...)` returns an `OperationRef`, not the value: without `.result()` (or `await`) the result, and any error, is lost"
        ),
        _ => return,
    };
    let fix = matches!(
        record.context,
        CallContext::Statement | CallContext::Operand | CallContext::Argument(_)
    )
    .then(|| Edit {
        range: TextRange::empty(record.call.end()),
        content: ".result()".into(),
    });
    let diagnostic = checker
        .report(Rule::ResultNeverRetrieved, record.call.range(), message)
        .with_fix("Add `.result()`", fix.into_iter().collect());
    // `.result()` has already returned the value: the call itself succeeds, and only
    // the caller's `await` of that value fails, so the function is not at fault.
    if record.context == CallContext::RetrievedThenAwaited {
        diagnostic.severity = Severity::Warning;
    }
}
