use ruff_python_ast::{Expr, Keyword};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// The arguments one call passes: those of `f(...)` or `f.remote(...)`, or one
/// `.map` item's positional arguments.
pub(crate) struct PassedArguments<'a> {
    pub(crate) args: &'a [Expr],
    pub(crate) keywords: &'a [Keyword],
    /// Where a missing argument is reported.
    pub(crate) range: TextRange,
}

/// AV402: a call passes arguments the function's signature does not accept.
pub(crate) fn check(
    checker: &mut Checker,
    function: &SandboxFunction,
    arguments: &PassedArguments,
) {
    let unpacks = arguments.args.iter().any(Expr::is_starred_expr)
        || arguments
            .keywords
            .iter()
            .any(|keyword| keyword.arg.is_none());
    if unpacks {
        return;
    }
    let parameters = &function.def.parameters;
    let positional: Vec<_> = parameters
        .posonlyargs
        .iter()
        .chain(&parameters.args)
        .collect();
    let name = function.def.name.id.as_str();
    if parameters.vararg.is_none() && arguments.args.len() > positional.len() {
        let extra = &arguments.args[positional.len()];
        checker.report(
            Rule::CallSignatureMismatch,
            extra.range(),
            format!(
                "`{name}` takes {} positional argument{} but {} were given",
                positional.len(),
                if positional.len() == 1 { "" } else { "s" },
                arguments.args.len()
            ),
        );
        return;
    }
    let keyword_names: Vec<&str> = parameters
        .args
        .iter()
        .chain(&parameters.kwonlyargs)
        .map(|p| p.parameter.name.id.as_str())
        .collect();
    for keyword in arguments.keywords {
        let Some(arg) = &keyword.arg else { continue };
        let arg = arg.id.as_str();
        let given_positionally = positional
            .iter()
            .take(arguments.args.len())
            .any(|p| p.parameter.name.id.as_str() == arg);
        if given_positionally {
            checker.report(
                Rule::CallSignatureMismatch,
                keyword.range(),
                format!("`{name}` got multiple values for argument `{arg}`"),
            );
        } else if parameters.kwarg.is_none() && !keyword_names.contains(&arg) {
            checker.report(
                Rule::CallSignatureMismatch,
                keyword.range(),
                format!("`{name}` got an unexpected keyword argument `{arg}`"),
            );
        }
    }
    let missing: Vec<&str> = positional
        .iter()
        .skip(arguments.args.len())
        .copied()
        .chain(&parameters.kwonlyargs)
        .filter(|p| p.default.is_none())
        .map(|p| p.parameter.name.id.as_str())
        .filter(|param| {
            !arguments
                .keywords
                .iter()
                .any(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == *param))
        })
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        checker.report(
            Rule::CallSignatureMismatch,
            arguments.range,
            format!(
                "`{name}` is missing required argument{}: {list}",
                if missing.len() == 1 { "" } else { "s" }
            ),
        );
    }
}
