//! "▶ Run in sandbox" above each sandbox function, the last outcome in its place
//! after a run, the reason when it cannot run, and "▶ Run add(2, 3)" above each
//! call site whose arguments are static, or, with the local sandbox, that it runs
//! the file up to.

use aviato_analysis::text::TextSize;
use serde_json::json;
use tower_lsp_server::ls_types::{CodeLens, CodeLensParams, Command};

use crate::edit::TextDocument;
use crate::proto::ext::{CANCEL_RUN_COMMAND, EXPLAIN_COMMAND, RUN_COMMAND};
use crate::proto::{LineMap, to_proto};
use crate::runs::summary;
use crate::session::Session;

pub(crate) async fn code_lens(session: &Session, params: CodeLensParams) -> Option<Vec<CodeLens>> {
    let editor = session.editor_settings();
    if !editor.code_lens_enabled() {
        return None;
    }
    let uri = params.text_document.uri;
    let (snapshot, analysis) = session.analysis_with_functions(&uri).await?;
    let document = &snapshot.document;
    let lines = document.line_map(session.encoding());
    let running: Vec<_> = session
        .runs()
        .in_flight(&uri)
        .into_iter()
        .filter_map(|run| {
            let origin = run.origin?;
            session.current_range(&uri, origin.revision, origin.function_range)
        })
        .collect();

    // Whether aviato's and cwsandbox's calls run in the local sandbox.
    let run_settings = editor.run();
    let local = (
        run_settings.runs_locally(false),
        run_settings.runs_locally(true),
    );
    let mut lenses = Vec::new();
    for function in analysis.functions() {
        let facts = &function.facts;
        let line = document.line_number(facts.name_range.start());
        let arguments = json!({"uri": uri, "function": facts.name, "line": line});
        let last_run = snapshot
            .runs
            .iter()
            .find(|run| run.is_of(&facts.name, facts.statement_range));
        let (title, command) = if let Some(blocked) = &function.blocked_by {
            (
                format!(
                    "⊘ cannot run ({}): {}",
                    blocked.rule.code(),
                    summary::clip(&blocked.message)
                ),
                EXPLAIN_COMMAND,
            )
        } else if running.contains(&facts.statement_range) {
            (
                "⏳ running… (click to cancel)".to_string(),
                CANCEL_RUN_COMMAND,
            )
        } else if let Some(run) = last_run.filter(|_| editor.lenses_show_results()) {
            (run.outcome.summary.clone(), RUN_COMMAND)
        } else {
            ("▶ Run in sandbox".to_string(), RUN_COMMAND)
        };
        lenses.push(lens(
            document,
            lines,
            facts.statement_range.start(),
            title,
            command,
            arguments,
        ));
        if function.blocked_by.is_some() {
            continue;
        }
        let runs_the_file = if facts.serialization == aviato_analysis::Serialization::StrictJson {
            local.1
        } else {
            local.0
        };
        for site in &facts.call_sites {
            // Arguments only running the file gives: the local sandbox runs it up to
            // the call.
            let suffix = match (&site.arguments, runs_the_file) {
                (Ok(_), _) => "",
                (Err(_), true) => " (runs the file up to here)",
                (Err(_), false) => continue,
            };
            let call = summary::clip(&document.text()[site.range]);
            let arguments = json!({
                "uri": uri,
                "function": facts.name,
                "line": line,
                "callSite": document.line_number(site.range.start()),
            });
            lenses.push(lens(
                document,
                lines,
                site.range.start(),
                format!("▶ Run {call}{suffix}"),
                RUN_COMMAND,
                arguments,
            ));
        }
    }
    Some(lenses)
}

/// A lens on the line of `offset`, from `offset` to the line's end.
fn lens(
    document: &TextDocument,
    lines: LineMap<'_>,
    offset: TextSize,
    title: String,
    command: &str,
    arguments: serde_json::Value,
) -> CodeLens {
    let range = aviato_analysis::text::TextRange::new(offset, document.line_end(offset));
    CodeLens {
        range: to_proto::range(range, lines),
        command: Some(Command {
            title,
            command: command.to_string(),
            arguments: Some(vec![arguments]),
        }),
        data: None,
    }
}
