//! Arguments that are the results of earlier sandbox calls.
//!
//! `cleaned = clean_rows.remote(ROWS).result()` followed by `dedupe.remote(cleaned)`:
//! the second call's argument is what the first call returned, after the SDK's JSON
//! round trip (tuples as lists, keys as strings). The analysis cannot know it, but a
//! run can: run the earlier call the way the SDK does, then put its JSON value, as a
//! Python literal, where the file computes it, and prepare the later call again.
//!
//! Only expressions evaluated once are replaced: `f.remote(...).result()`,
//! `await f.remote(...)`, `[r.result() for r in f.map(items)]` and
//! `await asyncio.gather(*f.map(items))`, outside loops, comprehensions and lambdas.
//! A replacement keeps every line where it was, so tracebacks and call-site lines
//! do not move. The CLI, the editor and the fidelity suite all run through
//! [`run_request`].

use std::future::Future;
use std::pin::Pin;

use aviato_analysis::{CallSiteKind, SandboxFunctionFacts};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::file_run::prepare_file_run;
use crate::{
    Backend, CancellationToken, Limits, NotRun, Outcome, OutcomeKind, OutputSink, Payload,
    Prepared, RunRequest, prepare, run_prepared,
};

/// How many earlier calls deep a run follows the values it needs.
const MAX_DEPTH: u32 = 4;
/// `.map` items run for one earlier call's values, at most.
const MAX_ITEMS: u32 = 64;
/// Sandboxes run for earlier calls in one run, at most (items included).
const MAX_RUNS: u32 = 64;

/// The backend that runs a prepared call.
pub type BackendFor<'a> = dyn Fn(&Payload) -> Result<Box<dyn Backend>, String> + Sync + 'a;

/// Where and how a run and the earlier calls it follows are run: each earlier call
/// in a sandbox of its own under the same limits, all stopped by the same token.
pub struct RunSetup<'a> {
    pub backend: &'a BackendFor<'a>,
    pub limits: &'a Limits,
    pub cancel: &'a CancellationToken,
}

/// Prepares `request` and runs it as [`run_prepared`] does. When its arguments are
/// the results of earlier sandbox calls, those calls run first and their values
/// stand in for the expressions that produce them; the outcome's note names them.
pub async fn run_request(
    mut request: RunRequest,
    setup: &RunSetup<'_>,
    output: Option<OutputSink>,
) -> Outcome {
    let mut chain = Chain::default();
    let prepared = prepare_following(&mut request, setup, 0, &mut chain).await;
    if setup.cancel.is_cancelled() {
        return Outcome::cancelled();
    }
    let mut outcome = match prepared {
        Ok(prepared) => match (setup.backend)(&prepared.payload) {
            Ok(backend) => {
                run_prepared(
                    backend.as_ref(),
                    &prepared,
                    setup.limits,
                    setup.cancel.clone(),
                    output,
                )
                .await
            }
            Err(message) => Outcome::error(message),
        },
        Err(not_run) => match run_the_file(&request, &not_run, setup, output).await {
            Some(outcome) => outcome,
            None => not_run.into(),
        },
    };
    if !chain.ran.is_empty() {
        outcome.add_note(format!(
            "arguments from earlier calls, run first: {}",
            chain.ran.join(", ")
        ));
    }
    outcome
}

/// When `refusal` is about values only running the file gives and the sandbox is
/// the local one: the file runs there up to the call ([`crate::file_run`]). `None`
/// leaves the refusal as it is.
async fn run_the_file(
    request: &RunRequest,
    refusal: &NotRun,
    setup: &RunSetup<'_>,
    output: Option<OutputSink>,
) -> Option<Outcome> {
    let about_values = match refusal {
        NotRun::NotStatic(_) => true,
        // A call the analysis does not see: the file may still make it there.
        NotRun::Invalid(message) => {
            request.call_site.is_some() && message.starts_with("no call of `")
        }
        NotRun::Refused { .. } => false,
    };
    if !about_values {
        return None;
    }
    let prepared = prepare_file_run(request)?;
    let backend = (setup.backend)(&prepared.payload).ok()?;
    if backend.name() != "local" {
        return None;
    }
    let line = prepared.call_site.unwrap_or_default();
    let mut outcome = run_prepared(
        backend.as_ref(),
        &prepared,
        setup.limits,
        setup.cancel.clone(),
        output,
    )
    .await;
    if outcome.outcome == OutcomeKind::Error
        && let Some(reason) = outcome
            .message
            .as_deref()
            .filter(|message| message.starts_with("running the file did not reach"))
    {
        let mut refused: Outcome = refusal.clone().into();
        refused.add_note(reason);
        return Some(refused);
    }
    outcome.add_note(format!(
        "the arguments and captured values are the file's own: the file ran in the sandbox up to line {line}, its earlier sandbox calls made as the SDK makes them"
    ));
    Some(outcome)
}

/// What following earlier calls has done so far in one run.
#[derive(Default)]
struct Chain {
    /// Sandboxes run.
    runs: u32,
    /// The earlier calls whose values were used, as the note names them.
    ran: Vec<String>,
}

type Preparing<'a> = Pin<Box<dyn Future<Output = Result<Prepared, NotRun>> + Send + 'a>>;

/// `prepare`, and when the refusal is about values only earlier calls' results fix,
/// those calls run first and their values replace the expressions in the source.
fn prepare_following<'a>(
    request: &'a mut RunRequest,
    setup: &'a RunSetup<'a>,
    depth: u32,
    chain: &'a mut Chain,
) -> Preparing<'a> {
    Box::pin(async move {
        for _ in 0..MAX_DEPTH {
            let refusal = match prepare_off_runtime(request).await {
                Ok(prepared) => return Ok(prepared),
                Err(refusal) => refusal,
            };
            let NotRun::NotStatic(message) = &refusal else {
                return Err(refusal);
            };
            if depth >= MAX_DEPTH || !depends_on_a_result(message) {
                return Err(refusal);
            }
            let Some(before) = call_site_start(request) else {
                return Err(refusal);
            };
            let analysis = request.analysis();
            let calls = upstream_calls(&request.source, analysis.functions(), before, message);
            if calls.is_empty() {
                return Err(refusal);
            }
            let mut replacements = Vec::new();
            for call in &calls {
                let Some(literal) = earlier_value(setup, request, call, depth + 1, chain).await
                else {
                    return Err(refusal);
                };
                replacements.push((call.replace, literal));
            }
            request.source = substitute(&request.source, &replacements);
            request.analysis = None;
            request.name_at = None;
        }
        prepare_off_runtime(request).await
    })
}

/// `prepare` on a thread that may block: it analyses the whole file, once; the
/// analysis stays with the request for the steps that follow.
async fn prepare_off_runtime(request: &mut RunRequest) -> Result<Prepared, NotRun> {
    let mut owned = request.clone();
    let prepared = tokio::task::spawn_blocking(move || {
        owned.analysis = Some(owned.analysis());
        (prepare(&owned), owned.analysis)
    })
    .await;
    let Ok((prepared, analysis)) = prepared else {
        return Err(NotRun::Invalid("preparing the run failed".to_owned()));
    };
    request.analysis = analysis;
    prepared
}

/// Where the requested call site starts.
fn call_site_start(request: &RunRequest) -> Option<TextSize> {
    let line = request.call_site?;
    let source = &request.source;
    request
        .analysis()
        .functions()
        .iter()
        .filter(|function| function.name == request.function)
        .flat_map(|function| &function.call_sites)
        .map(|site| site.range.start())
        .find(|start| line_of(source, *start) == line)
}

/// The value of an earlier call as the client got it (after the JSON round trip), as
/// a Python literal; `None` when it returned no value or a bound was reached.
async fn earlier_value(
    setup: &RunSetup<'_>,
    request: &RunRequest,
    call: &Upstream,
    depth: u32,
    chain: &mut Chain,
) -> Option<String> {
    let mut earlier = RunRequest {
        file_name: request.file_name.clone(),
        source: request.source.clone(),
        function: call.function.clone(),
        line: Some(call.def_line),
        args: None,
        call_site: Some(call.call_line),
        analysis: request.analysis.clone(),
        name_at: None,
    };
    let prepared = prepare_following(&mut earlier, setup, depth, chain)
        .await
        .ok()?;
    let backend = (setup.backend)(&prepared.payload).ok()?;
    let value = match call.shape {
        Shape::One => {
            let outcome = run_one(backend.as_ref(), &prepared.payload, setup, chain).await?;
            client_value(&outcome)?
        }
        Shape::Each => {
            prepared.payload.map_item?;
            let mut values = Vec::new();
            let mut total = None;
            let mut index = 0;
            while total.is_none_or(|total| index < total) && index < MAX_ITEMS {
                let mut item = prepared.payload.clone();
                item.map_item = Some(index);
                let outcome = run_one(backend.as_ref(), &item, setup, chain).await?;
                total = Some(outcome.map_items?);
                values.push(client_value(&outcome)?);
                index += 1;
            }
            if total != Some(index) {
                return None;
            }
            format!("[{}]", values.join(", "))
        }
    };
    let suffix = match call.shape {
        Shape::One => "remote",
        Shape::Each => "map",
    };
    chain.ran.push(format!(
        "`{}.{suffix}` at line {}",
        call.function, call.call_line
    ));
    Some(value)
}

/// One sandbox for an earlier call, unless the run is cancelled or has run as many
/// as it may.
async fn run_one(
    backend: &dyn Backend,
    payload: &Payload,
    setup: &RunSetup<'_>,
    chain: &mut Chain,
) -> Option<Outcome> {
    if chain.runs >= MAX_RUNS || setup.cancel.is_cancelled() {
        return None;
    }
    chain.runs += 1;
    Some(
        backend
            .run(payload, setup.limits, setup.cancel.clone())
            .await,
    )
}

/// The 1-based line of `offset`.
fn line_of(source: &str, offset: TextSize) -> u32 {
    source[..offset.to_usize().min(source.len())]
        .bytes()
        .filter(|byte| *byte == b'\n')
        .count() as u32
        + 1
}

/// How an earlier call's result reaches the later call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `f.remote(...).result()` or `await f.remote(...)`: one value.
    One,
    /// `[r.result() for r in f.map(items)]` or `await asyncio.gather(*f.map(items))`:
    /// the list of the items' values.
    Each,
}

/// An earlier sandbox call whose value the file uses.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Upstream {
    /// The sandbox function called.
    pub function: String,
    /// The 1-based line of its `def`.
    pub def_line: u32,
    /// The 1-based line of the `.remote(...)` / `.map(...)` call.
    pub call_line: u32,
    /// The expression whose value the call's result is.
    pub replace: TextRange,
    pub shape: Shape,
    /// Whether the expression is awaited (`await f.remote(...)`, `await gather(...)`).
    pub awaited: bool,
}

/// Whether a refusal is about a value that only an earlier call's result fixes.
fn depends_on_a_result(message: &str) -> bool {
    message.contains("it is computed by calling `") || message.contains("it is awaited at run time")
}

/// The earlier calls (before `before`) the refusal `message` is about, in source order.
fn upstream_calls(
    source: &str,
    facts: &[SandboxFunctionFacts],
    before: TextSize,
    message: &str,
) -> Vec<Upstream> {
    let Ok(parsed) = ruff_python_parser::parse_module(source) else {
        return Vec::new();
    };
    let mut finder = Finder {
        found: Vec::new(),
        nested: 0,
    };
    finder.visit_body(&parsed.syntax().body);
    let mut calls = Vec::new();
    for (call, replace, shape, awaited) in finder.found {
        if replace.end() > before {
            continue;
        }
        let kind = match shape {
            Shape::One => CallSiteKind::Remote,
            Shape::Each => CallSiteKind::Map,
        };
        let Some(function) = facts.iter().find(|function| {
            function
                .call_sites
                .iter()
                .any(|site| site.range == call && site.kind == kind)
        }) else {
            continue;
        };
        let suffix = match shape {
            Shape::One => ".remote",
            Shape::Each => ".map",
        };
        let named = message.contains(&format!("`{}{suffix}", function.name))
            || message.contains(&format!(".{}{suffix}", function.name));
        let awaited_named = awaited && message.contains("it is awaited at run time");
        if !(named || awaited_named) {
            continue;
        }
        calls.push(Upstream {
            function: function.name.clone(),
            def_line: line_of(source, function.name_range.start()),
            call_line: line_of(source, call.start()),
            replace,
            shape,
            awaited,
        });
    }
    calls
}

/// `source` with each range replaced by its Python literal, every line kept.
fn substitute(source: &str, replacements: &[(TextRange, String)]) -> String {
    let mut sorted: Vec<&(TextRange, String)> = replacements.iter().collect();
    sorted.sort_by_key(|(range, _)| std::cmp::Reverse(range.start()));
    let mut out = source.to_string();
    for (range, literal) in sorted {
        let old = &source[*range];
        let newlines = "\n".repeat(old.matches('\n').count());
        out.replace_range(
            range.start().to_usize()..range.end().to_usize(),
            &format!("({literal}{newlines})"),
        );
    }
    out
}

/// The value a call returned, as the Python literal the client's `json.loads` built:
/// the repr of the decoded result, when it is plain JSON and was not clipped.
fn client_value(outcome: &Outcome) -> Option<String> {
    if outcome.outcome != OutcomeKind::Ok || outcome.value_json.is_none() {
        return None;
    }
    let repr = outcome.value_repr.as_deref()?;
    // `value_json` is only there for plain JSON without NaN or infinities, whose repr
    // is a literal.
    if repr.contains("characters omitted]") {
        return None;
    }
    Some(repr.to_string())
}

struct Finder {
    /// (the `.remote(...)`/`.map(...)` call, the expression to replace, shape, awaited)
    found: Vec<(TextRange, TextRange, Shape, bool)>,
    /// Inside a loop, a comprehension, a lambda or a class: evaluated more than once
    /// (or not in order), so not replaced.
    nested: u32,
}

/// `<x>.<method>(...)`: the call.
fn method_call<'e>(expr: &'e Expr, method: &str) -> Option<&'e ruff_python_ast::ExprCall> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    (attribute.attr.id.as_str() == method).then_some(call)
}

impl Finder {
    /// What `expr` is, if it is one of the shapes.
    fn shape(expr: &Expr) -> Option<(TextRange, Shape, bool)> {
        match expr {
            // f.remote(...).result()
            Expr::Call(call) if call.arguments.is_empty() => {
                let Expr::Attribute(attribute) = call.func.as_ref() else {
                    return None;
                };
                if attribute.attr.id.as_str() != "result" {
                    return None;
                }
                let remote = method_call(&attribute.value, "remote")?;
                Some((remote.range(), Shape::One, false))
            }
            Expr::Await(awaited) => {
                // await f.remote(...)
                if let Some(remote) = method_call(&awaited.value, "remote") {
                    return Some((remote.range(), Shape::One, true));
                }
                // await asyncio.gather(*f.map(items))
                let Expr::Call(gather) = awaited.value.as_ref() else {
                    return None;
                };
                let is_gather = match gather.func.as_ref() {
                    Expr::Attribute(attribute) => attribute.attr.id.as_str() == "gather",
                    Expr::Name(name) => name.id.as_str() == "gather",
                    _ => false,
                };
                if !is_gather || !gather.arguments.keywords.is_empty() {
                    return None;
                }
                let [Expr::Starred(starred)] = &gather.arguments.args[..] else {
                    return None;
                };
                let map = method_call(&starred.value, "map")?;
                Some((map.range(), Shape::Each, true))
            }
            // [r.result() for r in f.map(items)]
            Expr::ListComp(comp) => {
                let [generator] = &comp.generators[..] else {
                    return None;
                };
                if !generator.ifs.is_empty() || generator.is_async {
                    return None;
                }
                let Expr::Name(target) = &generator.target else {
                    return None;
                };
                let result = method_call(&comp.elt, "result")?;
                if !result.arguments.is_empty() {
                    return None;
                }
                let Expr::Attribute(attribute) = result.func.as_ref() else {
                    return None;
                };
                if !matches!(attribute.value.as_ref(), Expr::Name(name) if name.id == target.id) {
                    return None;
                }
                let map = method_call(&generator.iter, "map")?;
                Some((map.range(), Shape::Each, false))
            }
            _ => None,
        }
    }
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::For(_) | Stmt::While(_) | Stmt::ClassDef(_) => {
                self.nested += 1;
                visitor::walk_stmt(self, stmt);
                self.nested -= 1;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.nested == 0
            && let Some((call, shape, awaited)) = Finder::shape(expr)
        {
            self.found.push((call, expr.range(), shape, awaited));
            return;
        }
        match expr {
            Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::DictComp(_)
            | Expr::Generator(_)
            | Expr::Lambda(_) => {
                self.nested += 1;
                visitor::walk_expr(self, expr);
                self.nested -= 1;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aviato_analysis::{SdkChoice, sandbox_functions};

    const SOURCE: &str = "\
from cwsandbox import Session

with Session() as session:

    @session.function()
    def clean(rows: list) -> list:
        return [r.strip() for r in rows]

    @session.function()
    def count(rows: list) -> int:
        return len(rows)

    cleaned = clean.remote([' a', 'b ']).result()
    parts = [ref.result() for ref in clean.map([([' c'],), (['d '],)])]
    for row in cleaned:
        clean.remote([row]).result()
    print(count.remote(cleaned).result(), count.remote(parts).result())
";

    #[test]
    fn finds_the_calls_the_refusal_names_outside_loops() {
        let facts = sandbox_functions(SOURCE, SdkChoice::Auto);
        let before = TextSize::from(SOURCE.find("print(count").unwrap() as u32);
        let calls = upstream_calls(
            SOURCE,
            &facts,
            before,
            "argument 1: `cleaned` cannot be evaluated statically: it is computed by calling `clean.remote(...).result`",
        );
        let found: Vec<_> = calls
            .iter()
            .map(|call| (call.function.as_str(), call.call_line, call.shape))
            .collect();
        assert_eq!(found, [("clean", 13, Shape::One)]);
        let calls = upstream_calls(
            SOURCE,
            &facts,
            before,
            "argument 1: `parts` cannot be evaluated statically: it is computed by calling `clean.map`",
        );
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].shape, Shape::Each);
        assert_eq!(
            &SOURCE[calls[0].replace],
            "[ref.result() for ref in clean.map([([' c'],), (['d '],)])]"
        );
    }

    #[test]
    fn replacements_keep_every_line() {
        let source = "x = f.remote(\n    1,\n).result()\ny = 2\n";
        let end = source.find("\ny").unwrap() as u32;
        let range = TextRange::new(TextSize::from(4), TextSize::from(end));
        let out = substitute(source, &[(range, "[1]".into())]);
        assert_eq!(out, "x = ([1]\n\n)\ny = 2\n");
    }

    /// A backend that runs nothing: it records each payload and returns `['a', 'b']`,
    /// or, with `cancel`, cancels it and reports the sandbox killed.
    #[derive(Clone, Default)]
    struct Recording {
        payloads: std::sync::Arc<std::sync::Mutex<Vec<Payload>>>,
        cancel: Option<CancellationToken>,
    }

    impl Backend for Recording {
        fn name(&self) -> &'static str {
            "recording"
        }

        fn run_with_output<'a>(
            &'a self,
            payload: &'a Payload,
            _: &'a Limits,
            _: CancellationToken,
            _: Option<OutputSink>,
        ) -> crate::RunFuture<'a> {
            self.payloads.lock().unwrap().push(payload.clone());
            let outcome = match &self.cancel {
                Some(cancel) => {
                    cancel.cancel();
                    Outcome::cancelled()
                }
                None => Outcome {
                    value_repr: Some("['a', 'b']".into()),
                    value_json: Some(serde_json::json!(["a", "b"])),
                    ..Outcome::new(OutcomeKind::Ok)
                },
            };
            Box::pin(async move { outcome })
        }
    }

    fn count_cleaned() -> RunRequest {
        RunRequest {
            file_name: "app.py".into(),
            source: SOURCE.into(),
            function: "count".into(),
            call_site: Some(17),
            ..RunRequest::default()
        }
    }

    #[tokio::test]
    async fn the_earlier_call_runs_first_and_its_value_is_the_argument() {
        let recording = Recording::default();
        let backend = |_: &Payload| Ok(Box::new(recording.clone()) as Box<dyn Backend>);
        let setup = RunSetup {
            backend: &backend,
            limits: &Limits::default(),
            cancel: &CancellationToken::new(),
        };
        let outcome = run_request(count_cleaned(), &setup, None).await;
        assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:?}");
        let runs: Vec<(String, String)> = recording
            .payloads
            .lock()
            .unwrap()
            .iter()
            .map(|payload| (payload.function_name.clone(), payload.args_source.clone()))
            .collect();
        // `count` gets the list `clean` returned.
        assert_eq!(
            runs,
            [
                ("clean".into(), "[(' a'), ('b ')]".into()),
                ("count".into(), "[('a'), ('b')]".into())
            ]
        );
        assert_eq!(
            outcome.note.as_deref(),
            Some("arguments from earlier calls, run first: `clean.remote` at line 13")
        );
    }

    #[tokio::test]
    async fn cancelling_during_an_earlier_call_cancels_the_run() {
        let cancel = CancellationToken::new();
        let recording = Recording {
            cancel: Some(cancel.clone()),
            ..Recording::default()
        };
        let backend = |_: &Payload| Ok(Box::new(recording.clone()) as Box<dyn Backend>);
        let setup = RunSetup {
            backend: &backend,
            limits: &Limits::default(),
            cancel: &cancel,
        };
        let outcome = run_request(count_cleaned(), &setup, None).await;
        assert!(outcome.cancelled, "{outcome:?}");
        assert_eq!(recording.payloads.lock().unwrap().len(), 1);
    }
}
