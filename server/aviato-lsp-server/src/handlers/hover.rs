//! Hover on a sandbox function's name or decorator: what the SDK will send, what
//! the sandbox will lack, and how the last run went.

use std::fmt::Write;

use aviato_analysis::{CaptureOrigin, CapturedValue, SandboxFunctionFacts, Serialization};
use aviato_exec::{DEFAULT_IMAGE, DEFAULT_TEMP_DIR};
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::analysis::SandboxFunction;
use crate::edit::TextDocument;
use crate::proto::{from_proto, to_proto};
use crate::runs::{RunRecord, summary};
use crate::session::Session;

pub(crate) async fn hover(session: &Session, params: HoverParams) -> Option<Hover> {
    let position = params.text_document_position_params;
    let uri = position.text_document.uri;
    let (snapshot, analysis) = session.analysis_with_functions(&uri).await?;
    let document = &snapshot.document;
    let lines = document.line_map(session.encoding());
    let offset = from_proto::offset(position.position, lines);
    let function = analysis.function_named_at(offset)?;
    let facts = &function.facts;
    let last_run = snapshot
        .runs
        .iter()
        .find(|run| run.is_of(&facts.name, facts.statement_range));
    let hovered = std::iter::once(facts.name_range)
        .chain(facts.stripped_decorators.iter().copied())
        .chain(facts.kept_decorators.iter().copied())
        .find(|range| range.contains_inclusive(offset))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown(document, function, last_run),
        }),
        range: Some(to_proto::range(hovered, lines)),
    })
}

fn markdown(
    document: &TextDocument,
    function: &SandboxFunction,
    last_run: Option<&RunRecord>,
) -> String {
    let facts = &function.facts;
    let text = document.text();
    let mut out = String::new();
    let mode = match facts.serialization {
        Serialization::Json => "JSON",
        Serialization::Pickle => "PICKLE",
        Serialization::StrictJson => "strict JSON",
        Serialization::Unknown => "serialization not known statically",
    };
    let _ = writeln!(
        out,
        "**`{}`** runs in a sandbox · {mode} · image `{}`{} · temp_dir `{}`{}\n",
        facts.name,
        facts.container_image.as_deref().unwrap_or(DEFAULT_IMAGE),
        if facts.container_image.is_none() {
            " (default)"
        } else {
            ""
        },
        facts.temp_dir.as_deref().unwrap_or(DEFAULT_TEMP_DIR),
        if facts.temp_dir.is_none() {
            " (default)"
        } else {
            ""
        },
    );
    if let Some(blocked) = &function.blocked_by {
        let _ = writeln!(
            out,
            "**Cannot run** ({}): {}\n",
            blocked.rule.code(),
            blocked.message
        );
    }
    if let Some(arguments) = first_static_call(document, facts) {
        let _ = writeln!(out, "Runs with {arguments}\n");
    }

    let sent: Vec<String> = facts
        .captures
        .iter()
        .filter_map(|capture| match &capture.value {
            CapturedValue::Sent(value) => Some(format!(
                "- `{}` ({}) = `{}`",
                capture.name,
                origin(capture.origin),
                summary::clip(value)
            )),
            _ => None,
        })
        .collect();
    if !sent.is_empty() {
        let _ = writeln!(out, "Sent with it:\n{}\n", sent.join("\n"));
    }

    let mut lacking: Vec<String> = facts
        .captures
        .iter()
        .filter_map(|capture| match &capture.value {
            CapturedValue::Skipped(reason) => {
                Some(format!("- `{}`: {reason}", capture.name))
            }
            CapturedValue::NotStatic(reason) => Some(format!(
                "- `{}`: sent, but not known without running the file ({reason}), so it cannot run here",
                capture.name
            )),
            CapturedValue::Sent(_) => None,
        })
        .collect();
    lacking.extend(facts.kept_decorators.iter().map(|decorator| {
        format!(
            "- `@{}`: kept on the function, so the sandbox evaluates it",
            &text[*decorator]
        )
    }));
    if !lacking.is_empty() {
        let _ = writeln!(
            out,
            "Not sent, so the sandbox lacks them:\n{}\n",
            lacking.join("\n")
        );
    }

    if let Some(run) = last_run {
        let _ = writeln!(out, "Last run: {}", run.outcome.summary);
        for (stream, output) in [
            ("stdout", &run.outcome.stdout),
            ("stderr", &run.outcome.stderr),
        ] {
            if !output.is_empty() {
                let _ = writeln!(out, "\n{stream}:\n```\n{}\n```", tail(output));
            }
        }
    }
    out.trim_end().to_string()
}

/// `add(2, 3)` (line 25): the first call whose arguments are static.
fn first_static_call(document: &TextDocument, facts: &SandboxFunctionFacts) -> Option<String> {
    let site = facts
        .call_sites
        .iter()
        .find(|site| site.arguments.is_ok())?;
    Some(format!(
        "`{}` (line {})",
        summary::clip(&document.text()[site.range]),
        document.line_number(site.range.start())
    ))
}

fn origin(origin: CaptureOrigin) -> &'static str {
    match origin {
        CaptureOrigin::Global => "global",
        CaptureOrigin::Closure => "closure",
        CaptureOrigin::Undefined => "undefined",
    }
}

/// The last lines of a run's output, enough for a hover.
fn tail(output: &str) -> String {
    const LINES: usize = 10;
    let lines: Vec<&str> = output.trim_end().lines().collect();
    let start = lines.len().saturating_sub(LINES);
    let mut shown = lines[start..].join("\n");
    if start > 0 {
        shown.insert_str(0, "…\n");
    }
    shown
}
