use crate::checker::{Capture, Checker, Origin};
use crate::rules::Rule;

/// AV206: a name the body reads is bound nowhere.
pub(crate) fn check(checker: &mut Checker, captures: &[Capture]) {
    // `globals()[name] = value` binds names no statement shows.
    let binds_dynamically = checker
        .model
        .uses
        .iter()
        .any(|name_use| name_use.name == "globals");
    let may_be_bound_unseen = checker.model.has_star_import() || binds_dynamically;
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
