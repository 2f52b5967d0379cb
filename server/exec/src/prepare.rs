//! From a file to what the SDK would send for one call: the [`Payload`], or a
//! refusal that says why the SDK would fail on the client or what cannot be known
//! without running the file.

use aviato_analysis::text::{LineIndex, TextRange, TextSize};
use aviato_analysis::{
    CaptureOrigin, CapturedValue, Diagnostic, Rule, SandboxFunctionFacts, SdkChoice, Settings,
    Severity, check, evaluate_arguments, sandbox_functions,
};

use crate::{DEFAULT_IMAGE, DEFAULT_TEMP_DIR, Outcome, Payload, Serialization};

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
}

/// Why a call is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRun {
    /// The SDK would fail on the client, or a value is not static; `code` is the
    /// rule that explains it, when one does.
    Refused {
        code: Option<&'static str>,
        message: String,
    },
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
}

/// The rules whose errors mean the SDK fails on the client, before any sandbox
/// runs, or fails in a way a run here cannot reproduce without the user's classes.
const CLIENT_FAILURES: &[Rule] = &[
    Rule::SyntaxError,
    Rule::AsyncSandboxFunction,
    Rule::DecoratorNotCalled,
    Rule::InvalidDecoratorArguments,
    Rule::MethodSandboxFunction,
    Rule::UnserializableCapture,
    Rule::PickleScriptClass,
];

/// Prepares the call, or returns the outcome that replaces it: `refused` when the
/// SDK would fail on the client or a value is not static, `error` when the request
/// itself is wrong.
pub fn prepare(request: &RunRequest) -> Result<Prepared, NotRun> {
    let index = LineIndex::from_source_text(&request.source);
    let line_of = |offset: TextSize| index.line_index(offset).get() as u32;
    let function = find_function(request, &line_of)?;
    refuse_client_failures(request, &function, &line_of)?;
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

    let serialization = match function.serialization {
        aviato_analysis::Serialization::Json => Serialization::Json,
        aviato_analysis::Serialization::Pickle => Serialization::Pickle,
        aviato_analysis::Serialization::StrictJson => Serialization::StrictJson,
        aviato_analysis::Serialization::Unknown => {
            return Err(NotRun::refused(
                None,
                format!(
                    "the serialization mode of `{}` is not a `Serialization` member the file fixes",
                    function.name
                ),
            ));
        }
    };
    let mut captures = Vec::new();
    // The SDK sends globals first, then closures.
    for origin in [CaptureOrigin::Global, CaptureOrigin::Closure] {
        for capture in function
            .captures
            .iter()
            .filter(|capture| capture.origin == origin)
        {
            match &capture.value {
                CapturedValue::Sent(literal) => {
                    captures.push((capture.name.clone(), literal.clone()))
                }
                CapturedValue::Skipped(_) => {}
                CapturedValue::NotStatic(reason) => {
                    let line = capture
                        .binding_range
                        .map_or(line_of(capture.use_range.start()), |range| {
                            line_of(range.start())
                        });
                    return Err(NotRun::refused(
                        None,
                        format!(
                            "cannot send `{}` (line {line}) without running the file: {reason}; pass the value as an argument",
                            capture.name
                        ),
                    ));
                }
            }
        }
    }
    let (args_source, call_site) = arguments(request, &function, &line_of)?;
    let mut payload = Payload::new(
        &request.file_name,
        &function.name,
        function_source(&request.source, &function),
    );
    payload.captures = captures;
    payload.args_source = args_source;
    payload.serialization = serialization;
    payload.image = function
        .container_image
        .clone()
        .unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
    payload.temp_dir = function
        .temp_dir
        .clone()
        .unwrap_or_else(|| DEFAULT_TEMP_DIR.to_owned());
    Ok(Prepared { payload, call_site })
}

fn find_function(
    request: &RunRequest,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<SandboxFunctionFacts, NotRun> {
    let candidates: Vec<SandboxFunctionFacts> = sandbox_functions(&request.source, SdkChoice::Auto)
        .into_iter()
        .filter(|function| function.name == request.function)
        .collect();
    let chosen = match request.line {
        Some(line) => candidates.into_iter().find(|function| {
            let first = line_of(function.statement_range.start());
            let name = line_of(function.name_range.start());
            (first..=name).contains(&line)
        }),
        None => candidates.into_iter().next(),
    };
    chosen.ok_or_else(|| {
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
    diagnostics.iter().find(|diagnostic| {
        diagnostic.severity == Severity::Error
            && CLIENT_FAILURES.contains(&diagnostic.rule)
            && match &diagnostic.function {
                Some(about) => about.name_range == function.name_range,
                None => function.statement_range.contains_range(diagnostic.range),
            }
    })
}

fn refuse_client_failures(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<(), NotRun> {
    let diagnostics = check(&request.source, &Settings::default());
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

fn arguments(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    line_of: &impl Fn(TextSize) -> u32,
) -> Result<(String, Option<u32>), NotRun> {
    if let Some(args) = &request.args {
        return evaluate_arguments(args)
            .map(|source| (source, None))
            .map_err(|reason| NotRun::Invalid(format!("--args: {reason}")));
    }
    let mut sites = function
        .call_sites
        .iter()
        .map(|site| (line_of(site.range.start()), &site.arguments));
    if let Some(wanted) = request.call_site {
        return match sites.find(|(line, _)| *line == wanted) {
            Some((line, Ok(arguments))) => Ok((arguments.clone(), Some(line))),
            Some((line, Err(reason))) => Err(NotRun::refused(
                None,
                format!("the call at line {line}: {reason}"),
            )),
            None => Err(NotRun::Invalid(format!(
                "no call of `{}` at line {wanted}",
                function.name
            ))),
        };
    }
    if let Some((line, Ok(arguments))) = sites.clone().find(|(_, arguments)| arguments.is_ok()) {
        return Ok((arguments.clone(), Some(line)));
    }
    if function.parameters.is_empty() {
        return Ok((String::new(), None));
    }
    let why = match sites.next() {
        Some((line, Err(reason))) => format!("the call at line {line} is not static ({reason})"),
        _ => "the file never calls it".to_owned(),
    };
    Err(NotRun::refused(
        None,
        format!(
            "`{}` takes arguments and {why}; give them with --args, e.g. --args '1, 2'",
            function.name
        ),
    ))
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

    const FILE: &str = "import asyncio\nimport math\nfrom aviato import Sandbox\n\nLIMIT = 2 ** 4\n\n\nasync def main():\n    offset = 3\n    async with Sandbox.session() as session:\n\n        @session.function()\n        @staticmethod\n        def add(x, y=1):\n            return x + y + offset + LIMIT\n\n        @session.function()\n        def uses_math(x):\n            return math.sqrt(x)\n\n        @session.function()\n        def loaded(x):\n            return x + VALUE\n\n        print(await add(2, y=5), await uses_math(4), await loaded(1))\n\nVALUE = len('abc')\nasyncio.run(main())\n";

    fn request(function: &str) -> RunRequest {
        RunRequest {
            file_name: "app.py".into(),
            source: FILE.into(),
            function: function.into(),
            ..RunRequest::default()
        }
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
        let NotRun::Refused { message, .. } = prepare(&request("loaded")).unwrap_err() else {
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
