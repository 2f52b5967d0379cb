//! From a file to what the SDK would send for one call: the [`Payload`], or a
//! refusal that says why the SDK would fail on the client or what cannot be known
//! without running the file.

use aviato_analysis::text::{LineIndex, TextRange, TextSize};
use std::sync::Arc;

use aviato_analysis::{
    Analysis, CallSiteKind, CaptureOrigin, CapturedValue, Diagnostic, Rule, SandboxFunctionFacts,
    SdkChoice, Settings, Severity, evaluate_arguments, sandbox_environment,
};

use crate::{
    Backend, CancellationToken, DEFAULT_IMAGE, DEFAULT_TEMP_DIR, Limits, Outcome, OutcomeKind,
    OutputSink, Payload, Serialization,
};

/// Which function to run, with which arguments.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// The file's path, as tracebacks will name it.
    pub file_name: String,
    /// The file's text.
    pub source: String,
    pub function: String,
    /// The 1-based line of the `def` (or of its name), to pick one of several
    /// functions with the same name.
    pub line: Option<u32>,
    /// A Python argument list typed by the user (`2, 3`); else a call site's.
    pub args: Option<String>,
    /// The 1-based line of the call site whose arguments to use.
    pub call_site: Option<u32>,
    /// The analysis of `source` when the caller has it (an editor keeps one per
    /// revision); else it is made from `source`. Whoever changes `source` drops it.
    pub analysis: Option<Arc<Analysis>>,
    /// Where the function's name starts in `source`, when the caller knows (from
    /// `analysis`): it picks the function exactly, whatever `function` and `line`.
    pub name_at: Option<TextSize>,
}

impl RunRequest {
    /// The analysis of `source`: the one given, else a new one.
    pub fn analysis(&self) -> Arc<Analysis> {
        self.analysis
            .clone()
            .unwrap_or_else(|| Arc::new(Analysis::new(&self.source, SdkChoice::Auto)))
    }
}

/// Why a call is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRun {
    /// The SDK would fail on the client; `code` is the rule that explains it, when
    /// one does.
    Refused {
        code: Option<&'static str>,
        message: String,
    },
    /// A value the call needs (an argument, a capture, the serialization mode) is
    /// known only by running the file.
    NotStatic(String),
    /// The request itself is wrong: no such function, unreadable arguments.
    Invalid(String),
}

impl NotRun {
    fn refused(code: Option<&'static str>, message: String) -> NotRun {
        NotRun::Refused { code, message }
    }
}

impl From<NotRun> for Outcome {
    fn from(not_run: NotRun) -> Outcome {
        match not_run {
            NotRun::Refused { code, message } => Outcome::refused(code, message),
            NotRun::NotStatic(message) => Outcome::refused(None, message),
            NotRun::Invalid(message) => Outcome::error(message),
        }
    }
}

/// A call ready to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub payload: Payload,
    /// The line of the call site the arguments came from.
    pub call_site: Option<u32>,
    /// The call is in a loop, and the payload's items are its iterations' arguments.
    pub iterations: bool,
}

/// The rules whose errors mean the SDK fails on the client, before any sandbox
/// runs, or fails in a way a run here cannot reproduce without the user's classes.
const CLIENT_FAILURES: &[Rule] = &[
    Rule::SyntaxError,
    Rule::AsyncSandboxFunction,
    Rule::DecoratorNotCalled,
    Rule::InvalidDecoratorArguments,
    Rule::MethodSandboxFunction,
    Rule::DecoratorAboveRemoteFunction,
    Rule::UnserializableCapture,
    Rule::PickleScriptClass,
];

/// Prepares the call, or returns the outcome that replaces it: `refused` when the
/// SDK would fail on the client or a value is not static, `error` when the request
/// itself is wrong.
pub fn prepare(request: &RunRequest) -> Result<Prepared, NotRun> {
    let index = LineIndex::from_source_text(&request.source);
    let line_of = |offset: TextSize| index.line_index(offset).get() as u32;
    let analysis = request.analysis();
    let function = find_function(request, analysis.functions(), &line_of)?;
    let diagnostics = analysis.diagnostics(&Settings::default());
    refuse_client_failures(request, &diagnostics, &function, &line_of)?;
    if let Some(property) = function
        .kept_decorators
        .iter()
        .find(|range| &request.source[**range] == "property")
    {
        return Err(NotRun::refused(
            Some(Rule::DecoratorNotInSandbox.code()),
            format!(
                "line {}: `@property` turns `{}` into a property object, and the SDK fails on the client (`AttributeError: 'property' object has no attribute '__name__'`)",
                line_of(property.start()),
                function.name
            ),
        ));
    }
    if let Some(decorator) = function.shipped_wrapper {
        return Err(NotRun::refused(
            Some(Rule::DecoratorNotInSandbox.code()),
            format!(
                "line {}: `@{}` does not use `functools.wraps`, so the SDK sends its inner wrapper, whose closure cannot be serialized (`FunctionSerializationError`)",
                line_of(decorator.start()),
                &request.source[decorator]
            ),
        ));
    }

    let mut payload = sent_function(request, &function, &line_of)?;
    let chosen = arguments(request, &function, &diagnostics, &line_of)?;
    // A value the chosen call passes that the SDK's client refuses.
    if let Some(range) = chosen.range {
        let at_this_call: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|diagnostic| range.contains_range(diagnostic.range))
            .cloned()
            .collect();
        if let Some(diagnostic) = blocking_diagnostic(&at_this_call, &function) {
            return Err(NotRun::refused(
                Some(diagnostic.rule.code()),
                format!(
                    "line {}: {}",
                    line_of(diagnostic.range.start()),
                    diagnostic.message
                ),
            ));
        }
    }
    let mut captures = Vec::new();
    // The SDK sends globals first, then closures.
    // (Names bound nowhere the analysis sees come with the globals.)
    for closures in [false, true] {
        for (index, capture) in function.captures.iter().enumerate() {
            if (capture.origin == CaptureOrigin::Closure) != closures {
                continue;
            }
            // What the name holds when the chosen call runs, where the file says.
            let value = chosen
                .captures
                .as_ref()
                .and_then(|values| values.get(index))
                .filter(|(name, _)| *name == capture.name)
                .map_or(&capture.value, |(_, value)| value);
            match value {
                CapturedValue::Sent(literal) => {
                    captures.push((capture.name.clone(), literal.clone()))
                }
                // The script's path, as the client ran it.
                CapturedValue::NotStatic(_)
                    if capture.name == "__file__" && capture.origin == CaptureOrigin::Global =>
                {
                    captures.push((capture.name.clone(), python_string(&request.file_name)))
                }
                CapturedValue::Skipped(_) => {}
                CapturedValue::NotStatic(reason) => {
                    let line = capture
                        .binding_range
                        .map_or(line_of(capture.use_range.start()), |range| {
                            line_of(range.start())
                        });
                    return Err(NotRun::NotStatic(format!(
                        "cannot send `{}` (line {line}) without running the file: {reason}; pass the value as an argument",
                        capture.name
                    )));
                }
            }
        }
    }
    payload.captures = captures;
    payload.args_source = chosen.source;
    payload.map_item = chosen.map.then_some(0);
    Ok(Prepared {
        payload,
        call_site: chosen.line,
        iterations: chosen.iterations,
    })
}

/// The payload's parts that no call changes: the function as the SDK sends it, how,
/// and where; no captures and no arguments yet.
pub(crate) fn sent_function(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<Payload, NotRun> {
    let serialization = serialization_of(function).ok_or_else(|| {
        NotRun::NotStatic(format!(
            "the serialization mode of `{}` is not a `Serialization` member the file fixes",
            function.name
        ))
    })?;
    sent_function_in(request, function, serialization, line_of)
}

/// The function's serialization mode, when the file fixes it.
pub(crate) fn serialization_of(function: &SandboxFunctionFacts) -> Option<Serialization> {
    match function.serialization {
        aviato_analysis::Serialization::Json => Some(Serialization::Json),
        aviato_analysis::Serialization::Pickle => Some(Serialization::Pickle),
        aviato_analysis::Serialization::StrictJson => Some(Serialization::StrictJson),
        aviato_analysis::Serialization::Unknown => None,
    }
}

/// [`sent_function`] in the mode `serialization`.
pub(crate) fn sent_function_in(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    serialization: Serialization,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<Payload, NotRun> {
    refuse_undedentable(request, function, line_of)?;
    let environment = sandbox_environment(&request.source, function)
        .map_err(|reason| NotRun::refused(None, format!("cannot prepare the sandbox: {reason}")))?;
    let mut payload = Payload::new(
        &request.file_name,
        &function.name,
        function_source(&request.source, function),
    );
    payload.environment = environment;
    payload.serialization = serialization;
    payload.image = function
        .container_image
        .clone()
        .unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
    payload.temp_dir = function
        .temp_dir
        .clone()
        .unwrap_or_else(|| DEFAULT_TEMP_DIR.to_owned());
    payload.working_dir = function.working_dir.clone();
    payload.resources = function.resources.clone();
    Ok(payload)
}

/// `f.map(items)` runs at most this many items here.
const MAP_ITEM_LIMIT: u32 = 16;

/// Runs a prepared call as the SDK would: one sandbox for a call; for `f.map(items)`,
/// one sandbox per item (`f.remote(*item)`), in order, up to the first item that
/// returns no value, whose outcome is reported; when every item returns, the first's.
/// The output of every sandbox goes to `output`, in turn.
pub async fn run_prepared(
    backend: &dyn Backend,
    prepared: &Prepared,
    limits: &Limits,
    cancel: CancellationToken,
    output: Option<OutputSink>,
) -> Outcome {
    let mut outcome = backend
        .run_with_output(&prepared.payload, limits, cancel.clone(), output.clone())
        .await;
    outcome.call_site = prepared.call_site;
    if prepared.payload.map_item.is_none() {
        return outcome;
    }
    let what = if prepared.iterations {
        (
            "iteration",
            "iterations of the loop",
            "iteration of the loop",
        )
    } else {
        ("item", "items of `.map`", "item of `.map`")
    };
    outcome.map_item = Some(1);
    let Some(total) = outcome.map_items else {
        return outcome;
    };
    if outcome.outcome != OutcomeKind::Ok {
        if total > 1 {
            outcome.add_note(format!("{} 1 of the {total} {}", what.0, what.1));
        }
        return outcome;
    }
    let runs = total.min(MAP_ITEM_LIMIT);
    for index in 1..runs {
        if cancel.is_cancelled() {
            break;
        }
        let mut payload = prepared.payload.clone();
        payload.map_item = Some(index);
        let mut item = backend
            .run_with_output(&payload, limits, cancel.clone(), output.clone())
            .await;
        if item.outcome != OutcomeKind::Ok {
            item.call_site = prepared.call_site;
            item.map_item = Some(index + 1);
            item.add_note(format!(
                "{} {} of the {total} {}; the ones before it returned a value",
                what.0,
                index + 1,
                what.1
            ));
            return item;
        }
    }
    if total > 1 {
        let unrun = if total > runs {
            format!(" ({} were run)", runs)
        } else {
            String::new()
        };
        outcome.add_note(format!(
            "every {} returned a value{unrun}; this is the first one's, of {total}",
            what.2
        ));
    }
    outcome
}

/// The SDK takes `inspect.getsource` of the function and `textwrap.dedent`s it: a
/// line indented less than the `def` (a multi-line string at column 0) leaves the
/// source indented, and the client fails to parse it.
fn refuse_undedentable(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<(), NotRun> {
    let start = line_start(&request.source, function.statement_range.start());
    let text = &request.source[start..function.statement_range.end().to_usize()];
    let indent: String = text
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    if indent.is_empty() {
        return Ok(());
    }
    let first_line = line_of(function.statement_range.start());
    let shallow = text
        .lines()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty() && !line.starts_with(indent.as_str()));
    match shallow {
        Some((index, _)) => Err(NotRun::refused(
            None,
            format!(
                "line {}: this line of `{}` is indented less than its `def`, so the SDK's `textwrap.dedent` of its source removes nothing and the client fails to parse it (`IndentationError: unexpected indent`) before any sandbox starts",
                first_line + index as u32,
                function.name
            ),
        )),
        None => Ok(()),
    }
}

/// A Python string literal for `text`.
fn python_string(text: &str) -> String {
    let mut literal = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("\\'"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                literal.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => literal.push(c),
        }
    }
    literal.push('\'');
    literal
}

pub(crate) fn find_function(
    request: &RunRequest,
    functions: &[SandboxFunctionFacts],
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<SandboxFunctionFacts, NotRun> {
    if let Some(at) = request.name_at
        && let Some(function) = functions
            .iter()
            .find(|function| function.name_range.start() == at)
    {
        return Ok(function.clone());
    }
    let mut candidates = functions
        .iter()
        .filter(|function| function.name == request.function);
    let chosen = match request.line {
        Some(line) => candidates.find(|function| {
            let first = line_of(function.statement_range.start());
            let name = line_of(function.name_range.start());
            (first..=name).contains(&line)
        }),
        None => candidates.next(),
    };
    chosen.cloned().ok_or_else(|| {
        let at = request.line.map(|line| format!(" at line {line}")).unwrap_or_default();
        NotRun::Invalid(format!(
            "no sandbox function `{}`{at} in {} (a function decorated with `@<session>.function()`)",
            request.function, request.file_name
        ))
    })
}

/// The diagnostic that means `function` cannot run: an error the SDK fails with on
/// the client. `diagnostics` are `check`'s with the default settings, so that
/// settings which hide a rule never make a call look runnable.
pub fn blocking_diagnostic<'a>(
    diagnostics: &'a [Diagnostic],
    function: &SandboxFunctionFacts,
) -> Option<&'a Diagnostic> {
    // cwsandbox's `RemoteFunction` is no descriptor: `obj.method.remote(x)` sends no
    // `self`, and the call fails, if it does, in the sandbox.
    let strict = function.serialization == aviato_analysis::Serialization::StrictJson;
    diagnostics.iter().find(|diagnostic| {
        diagnostic.severity == Severity::Error
            && CLIENT_FAILURES.contains(&diagnostic.rule)
            && !(strict && diagnostic.rule == Rule::MethodSandboxFunction)
            && match &diagnostic.function {
                Some(about) => about.name_range == function.name_range,
                None => function.statement_range.contains_range(diagnostic.range),
            }
    })
}

fn refuse_client_failures(
    request: &RunRequest,
    diagnostics: &[Diagnostic],
    function: &SandboxFunctionFacts,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<(), NotRun> {
    // A capture the facts know the SDK skips (a class such as `itertools.groupby`)
    // is not sent, so it cannot fail to serialize: the sandbox's `NameError` is what
    // the run shows.
    let skipped = |diagnostic: &Diagnostic| {
        diagnostic.rule == Rule::UnserializableCapture
            && function.captures.iter().any(|capture| {
                matches!(capture.value, CapturedValue::Skipped(_))
                    && request
                        .source
                        .get(diagnostic.range.start().to_usize()..diagnostic.range.end().to_usize())
                        == Some(capture.name.as_str())
            })
    };
    // What a call site passes is judged with that call, once it is chosen.
    let at_a_call = |diagnostic: &Diagnostic| {
        function
            .call_sites
            .iter()
            .any(|site| site.range.contains_range(diagnostic.range))
    };
    let diagnostics: Vec<Diagnostic> = diagnostics
        .iter()
        .filter(|diagnostic| !skipped(diagnostic) && !at_a_call(diagnostic))
        .cloned()
        .collect();
    match blocking_diagnostic(&diagnostics, function) {
        Some(diagnostic) => Err(NotRun::refused(
            Some(diagnostic.rule.code()),
            format!(
                "line {}: {}",
                line_of(diagnostic.range.start()),
                diagnostic.message
            ),
        )),
        None => Ok(()),
    }
}

/// The arguments of the call to run.
struct Chosen {
    source: String,
    /// The call site they come from.
    range: Option<aviato_analysis::TextRange>,
    /// What the captured names hold when that call runs.
    captures: Option<Vec<(String, CapturedValue)>>,
    /// The line of the call site they come from.
    line: Option<u32>,
    /// `source` is the items of `f.map(items)`.
    map: bool,
    /// ... or the arguments of each iteration of the loop around the call.
    iterations: bool,
}

/// The errors at a call site that mean the SDK's client never gets a value from it:
/// the `RemoteFunction` called itself, an `OperationRef` never resolved (or used as a
/// value), `.map` items that are not argument tuples.
const CALL_FAILURES: &[Rule] = &[
    Rule::RemoteFunctionCalledDirectly,
    Rule::ResultNeverRetrieved,
    Rule::CallAfterSessionClosed,
];

fn arguments(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    diagnostics: &[Diagnostic],
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<Chosen, NotRun> {
    if let Some(args) = &request.args {
        return evaluate_arguments(&request.source, args)
            .map(|source| Chosen {
                source,
                range: None,
                captures: None,
                line: None,
                map: false,
                iterations: false,
            })
            .map_err(|reason| NotRun::Invalid(format!("--args: {reason}")));
    }
    // Why the SDK's client gets no value from a call site, when it does not.
    let failure = |site: &aviato_analysis::CallSite| {
        let line = line_of(site.range.start());
        if site.kind == CallSiteKind::Direct
            && function.serialization == aviato_analysis::Serialization::StrictJson
        {
            let reason = site.arguments.as_ref().err().cloned().unwrap_or_default();
            return Some(NotRun::refused(
                Some(Rule::RemoteFunctionCalledDirectly.code()),
                format!("the call at line {line}: {reason}"),
            ));
        }
        if let Some(receiver) = &site.receiver {
            return Some(NotRun::refused(
                Some(Rule::MethodSandboxFunction.code()),
                format!(
                    "the call at line {line} goes through `{receiver}`, which Python binds as the first argument: the SDK sends it with the arguments and cannot serialize it (`FunctionSerializationError`)"
                ),
            ));
        }
        diagnostics
            .iter()
            .find(|diagnostic| {
                diagnostic.severity == Severity::Error
                    && CALL_FAILURES.contains(&diagnostic.rule)
                    && site.range.contains_range(diagnostic.range)
            })
            .map(|diagnostic| {
                NotRun::refused(
                    Some(diagnostic.rule.code()),
                    format!("the call at line {line}: {}", diagnostic.message),
                )
            })
    };
    // A call in a loop runs once per iteration, like the items of `.map`.
    let chosen = |site: &aviato_analysis::CallSite, source: &String| Chosen {
        source: site.loop_items.clone().unwrap_or_else(|| source.clone()),
        range: Some(site.range),
        captures: Some(site.captures.clone()),
        line: Some(line_of(site.range.start())),
        map: site.kind == CallSiteKind::Map || site.loop_items.is_some(),
        iterations: site.loop_items.is_some(),
    };
    if let Some(wanted) = request.call_site {
        let site = function
            .call_sites
            .iter()
            .find(|site| line_of(site.range.start()) == wanted)
            .ok_or_else(|| {
                NotRun::Invalid(format!("no call of `{}` at line {wanted}", function.name))
            })?;
        if let Some(refusal) = failure(site) {
            return Err(refusal);
        }
        return match &site.arguments {
            Ok(source) => Ok(chosen(site, source)),
            Err(reason) => Err(NotRun::NotStatic(format!(
                "the call at line {wanted}: {reason}"
            ))),
        };
    }
    let runnable = function
        .call_sites
        .iter()
        .find_map(|site| match &site.arguments {
            Ok(source) if failure(site).is_none() => Some(chosen(site, source)),
            _ => None,
        });
    if let Some(chosen) = runnable {
        return Ok(chosen);
    }
    if function.parameters.is_empty() {
        return Ok(Chosen {
            source: String::new(),
            range: None,
            captures: None,
            line: None,
            map: false,
            iterations: false,
        });
    }
    let mut not_static = false;
    let why = match function.call_sites.first() {
        Some(site) => {
            let line = line_of(site.range.start());
            match (failure(site), &site.arguments) {
                (Some(NotRun::Refused { message, .. }), _) => message,
                (_, Err(reason)) => {
                    not_static = true;
                    format!("the call at line {line} is not static ({reason})")
                }
                _ => format!("the call at line {line} cannot run"),
            }
        }
        None => "the file never calls it".to_owned(),
    };
    let message = format!(
        "`{}` takes arguments and {why}; give them with --args, e.g. --args '1, 2'",
        function.name
    );
    Err(if not_static {
        NotRun::NotStatic(message)
    } else {
        NotRun::refused(None, message)
    })
}

/// The function's source as the SDK sends it: its `.function` decorators removed
/// and dedented, padded so that every line keeps its number in the file.
pub fn function_source(source: &str, function: &SandboxFunctionFacts) -> String {
    let start = line_start(source, function.statement_range.start());
    let end = function.statement_range.end().to_usize();
    // The indentation of the first line, read before its decorator is blanked out.
    let indent: String = source[start..end]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let mut text: Vec<u8> = source.as_bytes()[start..end].to_vec();
    for decorator in &function.stripped_decorators {
        blank_out(&mut text, *decorator, start);
    }
    let text = String::from_utf8(text).unwrap_or_default();
    let dedented: Vec<&str> = text
        .split_inclusive('\n')
        .map(|line| {
            line.strip_prefix(indent.as_str())
                .unwrap_or(if line.trim().is_empty() { "\n" } else { line })
        })
        .collect();
    let first_line = source[..start].matches('\n').count();
    format!(
        "{}{}\n",
        "\n".repeat(first_line),
        dedented.concat().trim_end()
    )
}

/// Replaces a decorator's text with spaces, keeping its line breaks.
fn blank_out(text: &mut [u8], range: TextRange, offset: usize) {
    let (from, to) = (
        range.start().to_usize() - offset,
        range.end().to_usize() - offset,
    );
    for byte in &mut text[from..to] {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
}

fn line_start(source: &str, offset: TextSize) -> usize {
    source[..offset.to_usize()]
        .rfind('\n')
        .map_or(0, |newline| newline + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "import asyncio\nimport math\nfrom aviato import Sandbox\n\nLIMIT = 2 ** 4\n\n\nasync def main():\n    offset = 3\n    async with Sandbox.session() as session:\n\n        @session.function()\n        @staticmethod\n        def add(x, y=1):\n            return x + y + offset + LIMIT\n\n        @session.function()\n        def uses_math(x):\n            return math.sqrt(x)\n\n        @session.function()\n        def loaded(x):\n            return x + VALUE\n\n        print(await add(2, y=5), await uses_math(4), await loaded(1))\n\nVALUE = len(open('abc').read())\nasyncio.run(main())\n";

    fn request(function: &str) -> RunRequest {
        RunRequest {
            file_name: "app.py".into(),
            source: FILE.into(),
            function: function.into(),
            ..RunRequest::default()
        }
    }

    #[test]
    fn the_analysis_given_is_used_and_the_name_offset_picks_the_function() {
        let analysis = Arc::new(Analysis::new(FILE, SdkChoice::Auto));
        let uses_math = &analysis.functions()[1];
        assert_eq!(uses_math.name, "uses_math");
        let prepared = prepare(&RunRequest {
            // A name and line that would pick another function: the offset wins.
            function: "add".into(),
            line: Some(14),
            args: Some("4".into()),
            name_at: Some(uses_math.name_range.start()),
            analysis: Some(analysis.clone()),
            ..request("add")
        })
        .unwrap();
        assert_eq!(prepared.payload.function_name, "uses_math");
        assert_eq!(prepared.payload.args_source, "(4)");
        // Given an analysis of other text, `prepare` believes it: it is the caller's.
        let other = Arc::new(Analysis::new(
            "import cwsandbox
",
            SdkChoice::Auto,
        ));
        let prepared = prepare(&RunRequest {
            analysis: Some(other),
            ..request("add")
        });
        assert!(matches!(prepared, Err(NotRun::Invalid(_))), "{prepared:?}");
    }

    #[test]
    fn payload_keeps_lines_and_other_decorators() {
        let prepared = prepare(&request("add")).unwrap();
        let payload = &prepared.payload;
        let lines: Vec<&str> = payload.source.lines().collect();
        assert_eq!(lines[13], "def add(x, y=1):");
        assert_eq!(lines[12], "@staticmethod");
        assert!(
            lines[11].trim().is_empty(),
            "the sandbox decorator is removed: {:?}",
            lines[11]
        );
        assert_eq!(lines[14], "    return x + y + offset + LIMIT");
        assert_eq!(
            payload.captures,
            [
                ("LIMIT".into(), "((2) ** (4))".into()),
                ("offset".into(), "(3)".into())
            ]
        );
        assert_eq!(payload.args_source, "(2), y=(5)");
        assert_eq!(prepared.call_site, Some(25));
    }

    #[test]
    fn modules_are_not_sent_so_the_sandbox_raises() {
        let prepared = prepare(&request("uses_math")).unwrap();
        assert!(prepared.payload.captures.is_empty());
    }

    #[test]
    fn values_known_only_at_run_time_are_refused() {
        let NotRun::NotStatic(message) = prepare(&request("loaded")).unwrap_err() else {
            panic!("not refused")
        };
        assert!(message.contains("`VALUE` (line 27)"), "{message}");
    }

    #[test]
    fn user_arguments_and_unknown_functions() {
        let mut with_args = request("add");
        with_args.args = Some("10".into());
        assert_eq!(prepare(&with_args).unwrap().payload.args_source, "(10)");
        with_args.args = Some("nope(".into());
        assert!(matches!(prepare(&with_args), Err(NotRun::Invalid(_))));
        assert!(matches!(
            prepare(&request("missing")),
            Err(NotRun::Invalid(_))
        ));
    }
}
