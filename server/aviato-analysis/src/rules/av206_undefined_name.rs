use crate::checker::{Capture, Checker, Origin};
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV206: a name the body reads is bound nowhere.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    empty_cells(checker, function, captures);
    let may_be_bound_unseen = checker.binds_unseen_names;
    for capture in captures {
        // A deleted name has its binding; any other unbound name may come from
        // a star import or `globals()`.
        if capture.origin != Origin::Unbound || (capture.binding.is_none() && may_be_bound_unseen) {
            continue;
        }
        let message = match capture.binding {
            Some(_) => format!(
                "`{}` is deleted at module level (`del {}`) before the function is called, so the SDK finds nothing to send: it raises `NameError` in the sandbox",
                capture.name, capture.name
            ),
            None => format!(
                "`{}` is not defined anywhere in this file: it raises `NameError` in the sandbox",
                capture.name
            ),
        };
        let related = checker.related_binding(capture);
        checker
            .report(Rule::UndefinedName, capture.first_use, message)
            .with_related(related);
    }
}

/// A closure variable the enclosing function binds only after it calls the sandbox
/// function: the SDK reads an empty cell and raises `ValueError: Cell is empty` on
/// the client.
fn empty_cells(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    let model = checker.model;
    let Some(first_call) = checker.first_call(function) else {
        return;
    };
    for capture in captures {
        let Origin::Closure(scope) = capture.origin else {
            continue;
        };
        let Some(first_binding) = model
            .bindings_in(scope, capture.name)
            .map(|binding| binding.range.start())
            .min()
        else {
            continue;
        };
        if first_binding <= first_call.start() {
            continue;
        }
        let related = checker.related_binding(capture);
        checker
            .report(
                Rule::UndefinedName,
                capture.first_use,
                format!(
                    "`{}` is assigned only after `{}` is first called, so its closure cell is still empty then: the SDK raises `ValueError: Cell is empty` on the client",
                    capture.name, function.def.name.id
                ),
            )
            .with_related(related);
    }
}
