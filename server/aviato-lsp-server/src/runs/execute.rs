//! One run: from `aviato.run` to the outcome, and what the editor shows of it
//! (progress, output, the result in lenses, inlay hints and diagnostics).

use std::sync::Arc;

use aviato_analysis::evaluate_arguments;
use aviato_analysis::{Analysis, SandboxFunctionFacts};
use aviato_exec::{
    CancellationToken, Limits, Outcome, OutcomeKind, OutputSink, Payload, RunDescription,
    RunRequest, RunSetup, output_channel, prepare, run_request,
};
use tokio::sync::oneshot;
use tower_lsp_server::ls_types::{MessageType, NumberOrString, ProgressToken};

use super::{InFlight, Origin, Registration, RunRecord, output, summary};
use crate::diagnostics;
use crate::edit::TextDocument;
use crate::proto::ext::RunArguments;
use crate::session::Session;
use crate::settings::RunSettings;
use crate::signature::{Signature, usable_call_site};

/// What a run runs: the file's text, and where the function is in the open
/// document (to show the result there).
struct Target {
    file_name: String,
    document: TextDocument,
    anchor: Option<Anchor>,
    /// The analysis of `document`, when the editor has it.
    analysis: Option<Arc<Analysis>>,
}

struct Anchor {
    revision: u64,
    function: SandboxFunctionFacts,
}

impl Target {
    /// The open document at its current revision, else the file on disk.
    async fn load(session: &Session, arguments: &RunArguments) -> Result<Target, Outcome> {
        let uri = &arguments.uri;
        let file_name = uri.to_file_path().map_or_else(
            || uri.as_str().to_string(),
            |path| path.display().to_string(),
        );
        if let Some((snapshot, analysis)) = session.analysis_with_functions(uri).await {
            let anchor = analysis
                .function(&snapshot.document, &arguments.function, arguments.line)
                .map(|function| Anchor {
                    revision: snapshot.revision,
                    function: function.facts.clone(),
                });
            return Ok(Target {
                file_name,
                document: snapshot.document,
                anchor,
                analysis: analysis.for_runs(),
            });
        }
        let Some(path) = uri.to_file_path() else {
            return Err(Outcome::error(format!(
                "{} is not open in the editor",
                uri.as_str()
            )));
        };
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|err| Outcome::error(format!("{}: {err}", path.display())))?;
        Ok(Target {
            file_name,
            document: TextDocument::new(text, 0),
            anchor: None,
            analysis: None,
        })
    }
}

/// Runs the function `arguments` name and returns the outcome: the JSON of
/// `aviato-lsp run --output-format json`. Dropping the future (the client
/// cancelled the request) cancels the run.
pub(crate) async fn run(
    session: &Arc<Session>,
    arguments: RunArguments,
    client_progress: Option<ProgressToken>,
) -> Outcome {
    let target = match Target::load(session, &arguments).await {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let runs = session.runs();
    let id = runs.next_id();
    let server_progress = client_progress.is_none() && session.negotiated().creates_progress;
    let progress = client_progress
        .or_else(|| server_progress.then(|| NumberOrString::String(format!("aviato-run-{id}"))));
    let origin = target.anchor.as_ref().map(|anchor| Origin {
        revision: anchor.revision,
        function_range: anchor.function.statement_range,
        name_range: anchor.function.name_range,
    });
    let (in_flight, registration) =
        runs.register(session, id, &arguments, origin, progress.clone());
    let cancel = in_flight.stop.token.clone();
    let progress = progress.map(|token| Progress {
        token,
        create: server_progress,
    });
    let task = tokio::spawn(execute(
        session.clone(),
        in_flight,
        registration,
        target,
        arguments,
        progress,
    ));
    let cancel_if_dropped = cancel.drop_guard();
    let outcome = task
        .await
        .unwrap_or_else(|err| Outcome::error(format!("the run failed: {err}")));
    cancel_if_dropped.disarm();
    outcome
}

struct Progress {
    token: ProgressToken,
    /// The server creates the token (`window/workDoneProgress/create`).
    create: bool,
}

async fn execute(
    session: Arc<Session>,
    run: InFlight,
    registration: Registration,
    target: Target,
    arguments: RunArguments,
    progress: Option<Progress>,
) -> Outcome {
    let settings = session.editor_settings().run();
    let limits = settings.limits();
    // A new run takes down what the last one showed.
    if let Some(origin) = run.origin
        && session.forget_run(
            &run.uri,
            origin.revision,
            &run.function,
            origin.function_range,
        )
    {
        diagnostics::republish(&session, &run.uri).await;
    }
    session.refresh_results();
    let progress_done = progress.map(|progress| show_progress(&session, progress, &arguments));

    let (sink, chunks) = output_channel();
    let sandbox = sandbox_outcome(
        &session,
        &target,
        &arguments,
        &settings,
        &limits,
        &run.stop.token,
        sink,
    );
    // Every piece of output goes before the outcome: the sink is gone once the run
    // is over.
    let (mut outcome, ()) = tokio::join!(
        sandbox,
        output::send_live(&session, &arguments, chunks, limits.output_bytes)
    );
    if run.stop.token.is_cancelled()
        && outcome.outcome == OutcomeKind::Killed
        && let Some(reason) = run.stop.reason.get()
    {
        outcome.message = Some(reason.clone());
    }
    outcome.describe(&RunDescription {
        function: &arguments.function,
        args: arguments.args.as_deref(),
        timeout: limits.timeout,
        source: target.document.text(),
    });
    let outcome = Arc::new(outcome);

    log_output(&session, &arguments, &outcome).await;
    let line = summary::log_line(&arguments.function, &outcome);
    session.client().log_message(MessageType::INFO, &line).await;
    if let Some(done) = progress_done {
        let _ = done.send(line);
    }
    if let Some(anchor) = &target.anchor {
        let call_site = outcome.call_site.and_then(|line| {
            anchor
                .function
                .call_sites
                .iter()
                .find(|site| target.document.line_number(site.range.start()) == line)
                .map(|site| site.range)
        });
        let record = RunRecord::new(
            &target.document,
            &target.file_name,
            &anchor.function,
            call_site,
            outcome.clone(),
        );
        if !session.record_run(&run.uri, anchor.revision, &record) {
            tracing::debug!(
                "not showing the run of {}: the function was edited or closed",
                run.function
            );
        }
    }
    // The run is over before the editor asks what to show.
    drop(registration);
    diagnostics::republish(&session, &run.uri).await;
    session.refresh_results();
    Arc::unwrap_or_clone(outcome)
}

/// Prepares the call and runs it, with the earlier calls whose values it needs
/// (`run_request`), once a turn is free, its output going to `output`.
async fn sandbox_outcome(
    session: &Session,
    target: &Target,
    arguments: &RunArguments,
    settings: &RunSettings,
    limits: &Limits,
    cancel: &CancellationToken,
    output: OutputSink,
) -> Outcome {
    let mut request = RunRequest {
        file_name: target.file_name.clone(),
        source: target.document.text().to_string(),
        function: arguments.function.clone(),
        line: Some(arguments.line),
        args: arguments.args.clone(),
        call_site: arguments.call_site,
        analysis: target.analysis.clone(),
        name_at: target
            .anchor
            .as_ref()
            .map(|anchor| anchor.function.name_range.start()),
    };
    let needed = match call_arguments(target, arguments) {
        Ok(args) => {
            request.args = args;
            None
        }
        Err(CallArguments::Unreadable(outcome)) => return *outcome,
        Err(CallArguments::Needed { refusal, example }) => Some((refusal, example)),
    };
    // Only the arguments are missing when the example would run: then say what to
    // give; otherwise the run's own refusal says what else is wrong.
    if let Some((refusal, example)) = needed {
        let with_example = RunRequest {
            args: Some(example),
            ..request.clone()
        };
        let runs = session.analyse_blocking(move || prepare(&with_example).is_ok());
        match runs.await {
            Some(true) => return *refusal,
            Some(false) => {}
            None => return Outcome::error("preparing the run failed: it panicked".to_string()),
        }
    }
    let cancelled = Outcome::cancelled;
    // The turn covers the earlier calls the run follows as well.
    let _turn = tokio::select! {
        biased;
        () = cancel.cancelled() => return cancelled(),
        permit = session.runs().permits.clone().acquire_owned() => match permit {
            Ok(permit) => permit,
            Err(_) => return cancelled(),
        },
    };
    let backend = |payload: &Payload| settings.backend(payload);
    let setup = RunSetup {
        backend: &backend,
        limits,
        cancel,
    };
    run_request(request, &setup, Some(output)).await
}

/// The argument list to run with, in an editor's words: arguments typed by the
/// user are checked here, so that a mistake is not reported with the command
/// line's flags; a function whose parameters all have defaults runs with them
/// when no call passes static arguments; one that needs arguments and has no
/// such call is refused with an example that fits its parameters.
fn call_arguments(
    target: &Target,
    arguments: &RunArguments,
) -> Result<Option<String>, CallArguments> {
    if let Some(args) = &arguments.args {
        return match evaluate_arguments(target.document.text(), args) {
            Ok(_) => Ok(Some(args.clone())),
            Err(reason) => Err(CallArguments::Unreadable(Box::new(Outcome::error(
                format!(
                    "cannot read the arguments `{}`: {reason}",
                    summary::clip(args)
                ),
            )))),
        };
    }
    let Some(anchor) = &target.anchor else {
        return Ok(None);
    };
    let function = &anchor.function;
    if arguments.call_site.is_some()
        || function.parameters.is_empty()
        || function
            .call_sites
            .iter()
            .any(|site| usable_call_site(function, site))
    {
        return Ok(None);
    }
    let Some(signature) = Signature::parse(&target.document.text()[function.signature_range])
    else {
        return Ok(None);
    };
    if !signature.needs_arguments() {
        return Ok(Some(String::new()));
    }
    let why = match function.call_sites.first() {
        Some(site) => format!(
            "the call at line {} is not static ({})",
            target.document.line_number(site.range.start()),
            site.arguments.as_ref().err().map_or("", String::as_str)
        ),
        None => "the file never calls it".to_string(),
    };
    let example = signature.example_arguments();
    Err(CallArguments::Needed {
        refusal: Box::new(Outcome::refused(
            None,
            format!(
                "`{}` needs arguments and {why}; run it with arguments such as `{example}`",
                signature.display(),
            ),
        )),
        example,
    })
}

/// Why [`call_arguments`] has no argument list to run with.
enum CallArguments {
    /// The arguments typed cannot be read.
    Unreadable(Box<Outcome>),
    /// The function needs arguments and no call passes static ones: the refusal
    /// to give, and an example fitting its parameters.
    Needed {
        refusal: Box<Outcome>,
        example: String,
    },
}

/// Shows the run's progress, cancellable, until the returned sender says how it
/// ended. Runs beside the run: a client slow to create the token delays nothing.
fn show_progress(
    session: &Arc<Session>,
    progress: Progress,
    arguments: &RunArguments,
) -> oneshot::Sender<String> {
    let (done, ended) = oneshot::channel::<String>();
    let client = session.client().clone();
    let title = format!("Running {} in sandbox", arguments.function);
    let message = match (&arguments.args, arguments.call_site) {
        (Some(args), _) => format!("{}({args})", arguments.function),
        (None, Some(line)) => format!("arguments of the call at line {line}"),
        (None, None) => "arguments of the first literal call".to_string(),
    };
    tokio::spawn(async move {
        if progress.create
            && let Err(err) = client
                .create_work_done_progress(progress.token.clone())
                .await
        {
            tracing::debug!("no progress for the run: {err}");
            return;
        }
        let ongoing = client
            .progress(progress.token, title)
            .with_message(message)
            .with_cancel_button()
            .begin()
            .await;
        let summary = ended.await.unwrap_or_default();
        ongoing.finish_with_message(summary).await;
    });
    done
}

/// Logs stdout and stderr (`window/logMessage`), for clients that show no
/// `aviato/runOutput`.
async fn log_output(session: &Session, arguments: &RunArguments, outcome: &Outcome) {
    for (stream, text) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        if !text.is_empty() {
            session
                .client()
                .log_message(
                    MessageType::LOG,
                    format!("{} {stream}:\n{}", arguments.function, text.trim_end()),
                )
                .await;
        }
    }
}
