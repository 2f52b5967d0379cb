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
    let remove_async = Edit {
        range: TextRange::new(async_start, def_start),
        content: String::new(),
    };
    let (title, edits) = if !scope.yields.is_empty() {
        ("Remove `async`", Vec::new())
    } else if scope.awaits.is_empty() {
        ("Remove `async`", vec![remove_async])
    } else {
        let mut edits = wrap_body_in_asyncio_run(checker, function).unwrap_or_default();
        if !edits.is_empty() {
            edits.insert(0, remove_async);
        }
        ("Remove `async` and run the body with `asyncio.run`", edits)
    };
    checker
        .report(
            Rule::AsyncSandboxFunction,
            TextRange::at(async_start, TextSize::from(5)),
            format!(
                "`{}` is {what}; the SDK only runs synchronous functions and raises `AsyncFunctionError` when it is decorated",
                def.name.id
            ),
        )
        .with_fix(title, edits);
}

/// Edits that move the body into an inner `async def` run by `asyncio.run`, so its
/// awaits keep working in a synchronous function. `None` when the body starts on the
/// `def` line or holds a multi-line string that re-indenting would change.
fn wrap_body_in_asyncio_run(checker: &Checker, function: &SandboxFunction) -> Option<Vec<Edit>> {
    let def = function.def;
    let first = def.body.first()?;
    let body_start = line_start(checker.source, first.start());
    let body_end = def.body.last()?.end();
    let body = &checker.source[TextRange::new(body_start, body_end)];
    if body_start <= def.name.end() || body.contains("\"\"\"") || body.contains("'''") {
        return None;
    }
    let indent: String = body
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let def_line =
        &checker.source[TextRange::new(line_start(checker.source, def.start()), def.start())];
    let def_indent: String = def_line
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let unit = indent
        .strip_prefix(def_indent.as_str())
        .filter(|unit| !unit.is_empty())?;
    let inner = format!("_{}_async", def.name.id);
    let mut edits = vec![Edit {
        range: TextRange::empty(body_start),
        content: format!("{indent}import asyncio\n\n{indent}async def {inner}():\n{unit}"),
    }];
    let mut offset = body_start;
    for line in body.split_inclusive('\n') {
        if offset > body_start && !line.trim().is_empty() {
            edits.push(Edit {
                range: TextRange::empty(offset),
                content: unit.to_string(),
            });
        }
        offset += TextSize::try_from(line.len()).ok()?;
    }
    edits.push(Edit {
        range: TextRange::empty(body_end),
        content: format!("\n\n{indent}return asyncio.run({inner}())"),
    });
    Some(edits)
}

fn line_start(source: &str, offset: TextSize) -> TextSize {
    let start = source[..offset.to_usize()]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    TextSize::try_from(start).unwrap_or_default()
}
