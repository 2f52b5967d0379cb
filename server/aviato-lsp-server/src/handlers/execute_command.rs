//! `aviato.run`, `aviato.cancelRun` and `aviato.explain`.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, MessageType};

use crate::proto::ext::{
    CANCEL_RUN_COMMAND, EXPLAIN_COMMAND, FunctionArguments, RUN_COMMAND, RunArguments,
};
use crate::runs;
use crate::session::Session;

pub(crate) async fn execute_command(
    session: &Arc<Session>,
    params: ExecuteCommandParams,
) -> Result<Option<Value>> {
    let command = params.command.as_str();
    let argument = params.arguments.into_iter().next().unwrap_or(Value::Null);
    match command {
        RUN_COMMAND => {
            let arguments: RunArguments = parse(command, argument)?;
            let progress = params.work_done_progress_params.work_done_token;
            let outcome = runs::run(session, arguments, progress).await;
            serde_json::to_value(outcome)
                .map(Some)
                .map_err(|err| Error::invalid_params(err.to_string()))
        }
        CANCEL_RUN_COMMAND => {
            let target: FunctionArguments = parse(command, argument)?;
            let cancelled = session
                .runs()
                .cancel(session, &target.uri, &target.function, target.line)
                .await;
            Ok(Some(json!(cancelled > 0)))
        }
        EXPLAIN_COMMAND => {
            let target: FunctionArguments = parse(command, argument)?;
            Ok(explain(session, &target).await)
        }
        other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
    }
}

fn parse<T: DeserializeOwned>(command: &str, argument: Value) -> Result<T> {
    serde_json::from_value(argument)
        .map_err(|err| Error::invalid_params(format!("{command}: {err}")))
}

/// Says why the function cannot run, and answers with the refusal `aviato.run`
/// would give; `null` when nothing stops it (any more).
async fn explain(session: &Session, target: &FunctionArguments) -> Option<Value> {
    let (snapshot, analysis) = session.analysis_with_functions(&target.uri).await?;
    let function = analysis.function(&snapshot.document, &target.function, target.line)?;
    let Some(blocked) = &function.blocked_by else {
        session
            .client()
            .show_message(
                MessageType::INFO,
                format!(
                    "`{}` has nothing that stops it from running",
                    target.function
                ),
            )
            .await;
        return None;
    };
    let code = blocked.rule.code();
    session
        .client()
        .show_message(
            MessageType::WARNING,
            format!(
                "`{}` cannot run in a sandbox ({code}): {} (`aviato-lsp rule {code}` explains)",
                target.function, blocked.message
            ),
        )
        .await;
    let line = snapshot.document.line_number(blocked.range.start());
    let outcome =
        aviato_exec::Outcome::refused(Some(code), format!("line {line}: {}", blocked.message));
    serde_json::to_value(outcome).ok()
}
