//! Static analysis of Python code that runs functions in aviato sandboxes.
//!
//! Pure and fast: text in, diagnostics out. No protocol types and no I/O beyond
//! finding a `pyproject.toml` in [`settings`].

mod builtins;
mod checker;
pub mod diagnostic;
pub mod facts;
mod literal;
mod noqa;
pub mod rules;
mod sandbox;
mod sdk;
mod semantic;
pub mod settings;
mod stdlib;
mod stdlib_table;
pub mod text;
mod value;

use ruff_python_ast::PythonVersion;
use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::{ParseOptions, Parsed, parse_unchecked};

pub use diagnostic::{Diagnostic, Edit, Fix, FunctionRef, Related, Severity};
pub use facts::{
    CallSite, CallSiteKind, CaptureOrigin, CapturedName, CapturedValue, SandboxFunctionFacts,
    evaluate_arguments, sandbox_environment, sandbox_functions,
};
pub use rules::Rule;
pub use sandbox::Serialization;
pub use sdk::{Sdk, SdkChoice};
pub use settings::Settings;
pub use text::{TextRange, TextSize};

/// The Python version the parser accepts syntax of.
pub const TARGET_VERSION: PythonVersion = PythonVersion::PY313;

/// Every enabled diagnostic for `source`, sorted by position, with `# noqa`
/// suppressions and the settings' severities applied.
pub fn check(source: &str, settings: &Settings) -> Vec<Diagnostic> {
    let parsed = parse(source);
    let mut diagnostics = Vec::new();
    let syntax_errors = parsed
        .errors()
        .iter()
        .map(|error| (error.location, error.error.to_string()))
        // Syntax newer than the target version, e.g. t-strings.
        .chain(
            parsed
                .unsupported_syntax_errors()
                .iter()
                .map(|error| (error.range, error.to_string())),
        );
    for (range, message) in syntax_errors {
        diagnostics.push(Diagnostic {
            rule: Rule::SyntaxError,
            severity: Rule::SyntaxError.default_severity(),
            message: format!("SyntaxError: {message}"),
            range,
            related: Vec::new(),
            function: None,
            fix: None,
        });
    }
    let model = semantic::SemanticModel::build(&parsed.syntax().body);
    let functions = sandbox::Finder::new(&model, settings.sdk()).sandbox_functions();
    diagnostics.extend(checker::Checker::new(source, &model, &functions).run());
    let suppressions = noqa::Suppressions::from_tokens(parsed.tokens(), source);
    diagnostics.retain(|diagnostic| {
        settings.is_enabled(diagnostic.rule) && !suppressions.is_suppressed(diagnostic, source)
    });
    // A rule reports at its default severity, or higher where a failure is certain;
    // the user's setting wins over both.
    for diagnostic in &mut diagnostics {
        if let Some(severity) = settings.configured_severity(diagnostic.rule) {
            diagnostic.severity = severity;
        }
    }
    diagnostics.sort_by_key(|diagnostic| (diagnostic.range.start(), diagnostic.rule));
    diagnostics
}

/// Parses a module with error recovery: always a tree, plus the syntax errors.
fn parse(source: &str) -> Parsed<ModModule> {
    let options = ParseOptions::from(PySourceType::Python).with_target_version(TARGET_VERSION);
    parse_unchecked(source, options)
        .try_into_module()
        .expect("a module parse yields a module")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_newer_than_the_target_is_a_syntax_error() {
        let diagnostics = check(
            "name = 'x'\ngreeting = t\"hello {name}\"\n",
            &Settings::default(),
        );
        let [diagnostic] = diagnostics.as_slice() else {
            panic!("{diagnostics:?}")
        };
        assert_eq!(diagnostic.rule, Rule::SyntaxError);
        assert!(
            diagnostic.message.contains("3.14"),
            "{}",
            diagnostic.message
        );
    }
}
