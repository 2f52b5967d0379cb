//! The value of a function's last run after its `def` line and after the call
//! site it ran with: "→ 5".

use aviato_analysis::Rule;
use aviato_analysis::text::{TextRange, TextSize};
use tower_lsp_server::ls_types::{InlayHint, InlayHintLabel, InlayHintParams, InlayHintTooltip};

use crate::proto::{from_proto, to_proto};
use crate::runs::summary;
use crate::session::Session;

pub(crate) fn inlay_hint(session: &Session, params: InlayHintParams) -> Option<Vec<InlayHint>> {
    if !session.editor_settings().inlay_hints_show_results() {
        return None;
    }
    let snapshot = session.snapshot(&params.text_document.uri)?;
    let document = &snapshot.document;
    let lines = document.line_map(session.encoding());
    let wanted = from_proto::text_range(params.range, lines);
    // A call that is never awaited (AV401) gives the caller a coroutine, not the
    // value: no hint after it.
    let never_awaited: Vec<TextRange> = Session::known_analysis(&snapshot)
        .map(|analysis| {
            analysis
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.rule == Rule::MissingAwait)
                .map(|diagnostic| diagnostic.range)
                .collect()
        })
        .unwrap_or_default();
    let mut hints = Vec::new();
    for run in snapshot.runs.iter() {
        let Some(label) = summary::value_hint(&run.outcome) else {
            continue;
        };
        let tooltip = format!(
            "{} returned {} in {} ms",
            run.function,
            run.outcome.value_repr.as_deref().unwrap_or("None"),
            run.outcome.duration_ms
        );
        // After the line that ends the header, also when the signature spans lines.
        let after_def = document.line_end(run.signature_range.end());
        let after_call = run
            .call_site
            .filter(|call| {
                !never_awaited
                    .iter()
                    .any(|range| range.intersect(*call).is_some())
            })
            .map(|call| after_result(document.text(), call.end()));
        for offset in std::iter::once(after_def).chain(after_call) {
            if !wanted.contains_inclusive(offset) {
                continue;
            }
            hints.push(InlayHint {
                position: to_proto::position(offset, lines),
                label: InlayHintLabel::String(label.clone()),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(tooltip.clone())),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
    }
    Some(hints)
}

/// Where the value arrives: after the `.result(...)` that retrieves a
/// cwsandbox `f.remote(...)` call ending at `end`, else at `end`.
fn after_result(text: &str, end: TextSize) -> TextSize {
    let start = end.to_usize();
    let rest = &text[start..];
    let trimmed = rest.trim_start();
    let Some(arguments) = trimmed.strip_prefix(".result") else {
        return end;
    };
    let arguments = arguments.trim_start();
    if !arguments.starts_with('(') {
        return end;
    }
    let open = text.len() - arguments.len();
    let mut depth = 0usize;
    for (offset, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return TextSize::try_from(open + offset + 1).unwrap_or(end);
                }
            }
            _ => {}
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_arrives_after_result() {
        fn at<'a>(text: &'a str, call: &str) -> &'a str {
            let end = TextSize::try_from(text.find(call).unwrap() + call.len()).unwrap();
            &text[..after_result(text, end).to_usize()]
        }
        assert_eq!(
            at("x = f.remote(2, 3).result()\n", "f.remote(2, 3)"),
            "x = f.remote(2, 3).result()"
        );
        assert_eq!(
            at("x = f.remote(2).result(timeout=(1))  # c\n", "f.remote(2)"),
            "x = f.remote(2).result(timeout=(1))"
        );
        assert_eq!(at("x = await f(2)\n", "f(2)"), "x = await f(2)");
        assert_eq!(at("r = f.remote(2)\n", "f.remote(2)"), "r = f.remote(2)");
        assert_eq!(at("f.remote(2).result", "f.remote(2)"), "f.remote(2)");
    }
}
