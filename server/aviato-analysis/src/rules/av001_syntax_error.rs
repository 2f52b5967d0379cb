use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// AV001 as the SDK meets it: the source it sends is the function's own lines,
/// dedented with `textwrap.dedent`. A line of a multi-line string that starts left
/// of the `def` leaves nothing to dedent, and parsing the still-indented source
/// raises `IndentationError: unexpected indent` on the client.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let start = function
        .def
        .decorator_list
        .first()
        .map_or(function.def.start(), Ranged::start);
    let source = checker.source;
    let line_start = source[..start.to_usize()]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    let indent = start.to_usize() - line_start;
    if indent == 0 {
        return;
    }
    let mut offset = line_start;
    for line in source[line_start..function.def.end().to_usize()].split_inclusive('\n') {
        let code = line.trim_start_matches([' ', '\t']);
        let line_indent = line.len() - code.len();
        if !code.trim().is_empty() && line_indent < indent {
            let (Ok(begin), Ok(end)) = (
                TextSize::try_from(offset + line_indent),
                TextSize::try_from(offset + line.trim_end().len()),
            ) else {
                return;
            };
            checker.report(
                Rule::SyntaxError,
                TextRange::new(begin, end.max(begin)),
                format!(
                    "this line starts left of `{}`'s `def`, so the SDK's `textwrap.dedent` cannot dedent the function's source and parsing it raises `IndentationError: unexpected indent` on the client; indent the text and `textwrap.dedent` it inside the function",
                    function.def.name.id
                ),
            );
            return;
        }
        offset += line.len();
    }
}
