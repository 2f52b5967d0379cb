use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::Checker;
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV501: `temp_dir=` is not an absolute path.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let Some(keyword) = function.keyword("temp_dir") else {
        return;
    };
    let Expr::StringLiteral(literal) = &keyword.value else {
        return;
    };
    let path = literal.value.to_str();
    if path.starts_with('/') {
        return;
    }
    // Insert `/` right after the opening quote of a plain single-part string.
    let text = checker.text(&keyword.value);
    let fix =
        (literal.value.as_slice().len() == 1 && text.starts_with(['"', '\''])).then(|| Edit {
            range: TextRange::empty(keyword.value.start() + TextSize::from(1)),
            content: "/".into(),
        });
    checker
        .report(
            Rule::RelativeTempDir,
            keyword.value.range(),
            format!(
                "`temp_dir={text}` is relative: the payload and result paths then depend on the sandbox's working directory; use an absolute path such as `/{path}`"
            ),
        )
        .with_fix(format!("Use `/{path}`"), fix.into_iter().collect());
}
