use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV104: the body yields, so calling it returns a generator the sandbox cannot send back.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    if function.def.is_async {
        return;
    }
    let Some(&first_yield) = checker.model.scopes[function.scope].yields.first() else {
        return;
    };
    checker.report(
        Rule::GeneratorSandboxFunction,
        first_yield,
        format!(
            "`{}` is a generator: the sandbox cannot serialize the generator object it returns (`TypeError` in the sandbox); return a list instead",
            function.def.name.id
        ),
    );
}
