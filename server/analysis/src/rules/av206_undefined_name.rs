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
    if checker.model.has_star_import() || binds_dynamically {
        return;
    }
    for capture in captures {
        if capture.origin != Origin::Unbound {
            continue;
        }
        checker.report(
            Rule::UndefinedName,
            capture.first_use,
            format!(
                "`{}` is not defined anywhere in this file: it raises `NameError` in the sandbox",
                capture.name
            ),
        );
    }
}
