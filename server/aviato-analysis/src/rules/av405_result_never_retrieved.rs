use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextLen, TextRange};

use crate::builtins::is_builtin;
use crate::checker::Checker;
use crate::diagnostic::{Edit, Severity};
use crate::rules::Rule;
use crate::sandbox::Finder;
use crate::semantic::{CallContext, CallKind, CallRecord, Resolution, ScopeId};

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

/// Functions that take `concurrent.futures.Future`s only: an `OperationRef` wraps
/// one but is not one, and they raise `AttributeError: 'OperationRef' object has
/// no attribute '_condition'`.
const FUTURES_ONLY: &[&str] = &["concurrent.futures.as_completed", "concurrent.futures.wait"];

/// Whether a ref in this context is never retrieved: dropped, used as a value, or
/// given to a builtin that only looks at it, or to a function that cannot take it.
fn is_lost(checker: &Checker, context: CallContext, scope: ScopeId) -> bool {
    match context {
        CallContext::Statement | CallContext::Operand | CallContext::Condition => true,
        CallContext::Argument(Expr::Name(callee)) if is_builtin(callee.id.as_str()) => {
            !ITERATING.contains(&callee.id.as_str())
        }
        CallContext::Argument(callee) => takes_futures_only(checker, callee, scope),
        _ => false,
    }
}

fn takes_futures_only(checker: &Checker, callee: &Expr, scope: ScopeId) -> bool {
    let finder = Finder {
        model: checker.model,
        sdk: None,
    };
    finder
        .qualified_name(callee, scope, 0)
        .is_some_and(|name| FUTURES_ONLY.contains(&name.as_str()))
}

/// The function, as written, that takes futures only and is given the refs.
fn futures_only_callee<'a>(
    checker: &Checker<'_, 'a>,
    context: CallContext<'a>,
    scope: ScopeId,
) -> Option<&'a str> {
    match context {
        CallContext::Argument(callee) if takes_futures_only(checker, callee, scope) => {
            Some(checker.text(callee.range()))
        }
        _ => None,
    }
}

/// AV405 for `f.map(items)`, which returns a list of `OperationRef`s: the list
/// itself has no `.result()` and cannot be awaited.
fn check_map(checker: &mut Checker, record: &CallRecord) {
    let name = record.name;
    let (message, fix) = match record.context {
        CallContext::Retrieved => {
            let after = &checker.source[usize::from(record.call.end())..];
            let fix = after.starts_with(".result()").then(|| {
                vec![
                    Edit {
                        range: TextRange::empty(record.call.start()),
                        content: "[ref.result() for ref in ".into(),
                    },
                    Edit {
                        range: TextRange::at(record.call.end(), ".result()".text_len()),
                        content: "]".into(),
                    },
                ]
            });
            (
                format!(
                    "`{name}.map(...)` returns a list of `OperationRef`s, and a list has no `.result()`: this raises `AttributeError` and no item's result is retrieved; call `.result()` on each ref"
                ),
                fix,
            )
        }
        CallContext::Awaited => (
            format!(
                "`{name}.map(...)` returns a list of `OperationRef`s, which cannot be awaited (`TypeError`); await each ref, e.g. with `asyncio.gather(*{name}.map(...))`"
            ),
            None,
        ),
        CallContext::Assigned(variable) => {
            let Some(message) = assigned_refs_message(checker, record, variable) else {
                return;
            };
            (message, None)
        }
        context if is_lost(checker, context, record.scope) => (
            format!(
                "`{name}.map(...)` returns a list of `OperationRef`s that is never retrieved: call `.result()` on each ref"
            ),
            None,
        ),
        _ => return,
    };
    checker
        .report(Rule::ResultNeverRetrieved, record.call.range(), message)
        .with_fix("Retrieve each ref's result", fix.unwrap_or_default());
}

/// What is wrong with the refs a variable holds, if they are never retrieved:
/// never read, or read only where they are lost.
fn assigned_refs_message(checker: &Checker, record: &CallRecord, variable: &str) -> Option<String> {
    let name = record.name;
    let (call, refs) = match record.kind {
        CallKind::Map => (format!("`{name}.map(...)`"), "`OperationRef`s"),
        _ => (format!("`{name}.remote(...)`"), "`OperationRef`"),
    };
    let Resolution::Scope(bound_in) = checker.model.resolve(record.scope, variable) else {
        return None;
    };
    let reads: Vec<_> = checker
        .reads_after(variable, bound_in, record.call.end())
        .collect();
    if reads.is_empty() {
        return Some(format!(
            "`{variable}` holds the {refs} of {call} and is never `.result()`ed or awaited: the result, and any error, is lost"
        ));
    }
    if !reads
        .iter()
        .all(|read| is_lost(checker, read.context, record.scope))
    {
        return None;
    }
    let futures_only = reads
        .iter()
        .find_map(|read| futures_only_callee(checker, read.context, record.scope));
    Some(match futures_only {
        Some(callee) => format!(
            "`{variable}` holds `OperationRef`s of {call}, which are not `concurrent.futures.Future`s: `{callee}` raises `AttributeError` on them and no result is retrieved; use `cwsandbox.wait(...)` or call `.result()` on each ref"
        ),
        None if record.kind == CallKind::Map => format!(
            "`{variable}` holds the {refs} of {call}, not the values `{name}` returns: using them as values raises `TypeError` or gives the wrong answer; call `.result()` on each ref"
        ),
        None => format!(
            "`{variable}` is an `OperationRef`, not the value `{name}` returns: using it as a value raises `TypeError` or gives the wrong answer; call `{variable}.result()`"
        ),
    })
}

/// AV405: the `OperationRef` of `f.remote(...)` is never `.result()`ed or awaited.
pub(crate) fn check(checker: &mut Checker, record: &CallRecord) {
    if record.kind == CallKind::Map {
        check_map(checker, record);
        return;
    }
    let name = record.name;
    let message = match record.context {
        CallContext::RetrievedThenAwaited => format!(
            "`await {name}.remote(...).result()` awaits the value, not the ref: `.result()` already blocks and returns it, and awaiting it raises `TypeError` in the caller once the call has returned; drop `await` or `.result()`"
        ),
        CallContext::Assigned(variable) => {
            let Some(message) = assigned_refs_message(checker, record, variable) else {
                return;
            };
            message
        }
        context if is_lost(checker, context, record.scope) => {
            match futures_only_callee(checker, context, record.scope) {
                Some(callee) => format!(
                    "`{name}.remote(...)` returns an `OperationRef`, which is not a `concurrent.futures.Future`: `{callee}` raises `AttributeError` on it and the result is never retrieved; use `cwsandbox.wait(...)` or call `.result()` on each ref"
                ),
                None => format!(
                    "`{name}.remote(...)` returns an `OperationRef`, not the value: without `.result()` (or `await`) the result, and any error, is lost"
                ),
            }
        }
        _ => return,
    };
    let given_to_futures_only =
        futures_only_callee(checker, record.context, record.scope).is_some();
    let fix = (matches!(
        record.context,
        CallContext::Statement | CallContext::Operand | CallContext::Argument(_)
    ) && !given_to_futures_only)
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
