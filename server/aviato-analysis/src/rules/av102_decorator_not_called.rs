use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::sandbox::{DecoratorForm, SandboxFunction};

/// AV102: `@session.function` without the call.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let DecoratorForm::NotCalled = function.form else {
        return;
    };
    let expression = &function.decorator.expression;
    let text = checker.text(expression);
    checker
        .report(
            Rule::DecoratorNotCalled,
            expression.range(),
            format!(
                "`@{text}` is missing `()`: `function` is a decorator factory, so the SDK raises `TypeError` when `{}` is defined",
                function.def.name.id
            ),
        )
        .with_fix("Add `()`", vec![Edit { range: TextRange::empty(expression.end()), content: "()".into() }]);
}
