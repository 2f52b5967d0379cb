use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::{Edit, Related};
use crate::rules::Rule;
use crate::sandbox::{DecoratorForm, SandboxFunction};
use crate::semantic::{BindingKind, Resolution};

/// AV106: `remote = session.function` then `@remote()`: the SDK does not strip it.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let DecoratorForm::Alias { binding, .. } = function.form else {
        return;
    };
    let expression = &function.decorator.expression;
    let alias = match expression {
        Expr::Call(call) => call.func.as_ref(),
        expr => expr,
    };
    let Expr::Name(name) = alias else { return };
    let alias_value = match checker.model.resolve(function.enclosing, name.id.as_str()) {
        Resolution::Scope(scope) => checker
            .model
            .bindings_in(scope, name.id.as_str())
            .next()
            .and_then(|binding| match binding.kind {
                BindingKind::Assignment(value) => Some(value),
                _ => None,
            }),
        _ => None,
    };
    // `session.function` needs its call added unless the decorator or the alias has one.
    let needs_call =
        !matches!(expression, Expr::Call(_)) && !matches!(alias_value, Some(Expr::Call(_)));
    let edits: Vec<Edit> = alias_value
        .map(|value| Edit {
            range: alias.range(),
            content: format!(
                "{}{}",
                checker.text(value),
                if needs_call { "()" } else { "" }
            ),
        })
        .into_iter()
        .collect();
    checker
        .report(
            Rule::UnstrippedDecoratorAlias,
            expression.range(),
            format!(
                "`{}` is an alias of `session.function`; the SDK strips only decorators written `<session>.function(...)`, so this one stays in the source and raises `NameError: name '{}' is not defined` in the sandbox",
                name.id, name.id
            ),
        )
        .with_related(Some(Related { range: binding, message: format!("`{}` is bound here", name.id) }))
        .with_fix("Use `session.function()` directly", edits);
}
