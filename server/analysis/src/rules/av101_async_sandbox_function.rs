use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::Checker;
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV101: `async def` (or an async generator) decorated as a sandbox function.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let def = function.def;
    if !def.is_async {
        return;
    }
    let after_decorators = def.decorator_list.last().map_or(def.start(), Ranged::end);
    let header = &checker.source[TextRange::new(after_decorators, def.name.start())];
    let Some(async_offset) = header.find("async") else {
        return;
    };
    let async_start = after_decorators + TextSize::try_from(async_offset).unwrap_or_default();
    let def_start = after_decorators
        + TextSize::try_from(header.find("def").unwrap_or(async_offset)).unwrap_or_default();
    let scope = &checker.model.scopes[function.scope];
    let what = if scope.yields.is_empty() {
        "an `async def`"
    } else {
        "an async generator"
    };
    let fix = scope.awaits.is_empty().then(|| Edit {
        range: TextRange::new(async_start, def_start),
        content: String::new(),
    });
    checker
        .report(
            Rule::AsyncSandboxFunction,
            TextRange::at(async_start, TextSize::from(5)),
            format!(
                "`{}` is {what}; the SDK only runs synchronous functions and raises `AsyncFunctionError` when it is decorated",
                def.name.id
            ),
        )
        .with_fix("Remove `async`", fix.into_iter().collect());
}
