use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::Rule;
use crate::rules::av203_decorator_not_in_sandbox::root_name;
use crate::sandbox::SandboxFunction;

/// AV108: cwsandbox, a decorator above `@session.function()` receives the
/// `RemoteFunction`, which is not callable and loses `.remote` behind a wrapper.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let above = function
        .def
        .decorator_list
        .iter()
        .take_while(|decorator| !std::ptr::eq(*decorator, function.decorator));
    for decorator in above {
        if root_name(&decorator.expression) == Some("staticmethod") {
            continue;
        }
        let text = checker.text(&decorator.expression);
        checker.report(
            Rule::DecoratorAboveRemoteFunction,
            decorator.expression.range(),
            format!(
                "`@{text}` is applied to the `RemoteFunction` that `@{}` returns, which is not callable: a wrapper hides `.remote` (`AttributeError`), and calling it raises `TypeError`; move it below the sandbox decorator or drop it",
                checker.text(&function.decorator.expression)
            ),
        );
    }
}
