//! The value of a function's last run after its `def` line and after the call
//! site it ran with: "→ 5".

use aviato_analysis::Rule;
use aviato_analysis::text::TextRange;
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
            .map(TextRange::end);
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
