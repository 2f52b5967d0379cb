use crate::checker::{Capture, Checker};
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::semantic::Resolution;

/// AV205: a default value reads a name the SDK does not send.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    let defaults = function
        .def
        .parameters
        .iter_non_variadic_params()
        .filter_map(|parameter| parameter.default());
    for default in defaults {
        for name in super::names_in(default) {
            let id = name.id.as_str();
            if !matches!(
                checker.model.resolve(function.enclosing, id),
                Resolution::Scope(_)
            ) {
                continue;
            }
            let reason = match captures.iter().find(|capture| capture.name == id) {
                Some(capture) if capture.is_sent() => continue,
                Some(_) => "the SDK does not send it",
                None => "the body does not use it, so the SDK does not send it",
            };
            checker.report(
                Rule::DefaultNotInSandbox,
                name.range,
                format!(
                    "the default value reads `{id}`, but {reason}: defining the function in the sandbox raises `NameError`; move the value into the body"
                ),
            );
        }
    }
}
