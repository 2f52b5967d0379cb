//! Static analysis of Python code that runs functions in aviato sandboxes.
//!
//! Pure and fast: text in, diagnostics out. No protocol types and no I/O beyond
//! finding a `pyproject.toml` in [`settings`].

mod builtins;
mod checker;
pub mod diagnostic;
mod noqa;
pub mod rules;
mod sandbox;
mod semantic;
pub mod settings;
mod stdlib;
pub mod text;
mod value;

use ruff_python_ast::PySourceType;
use ruff_python_ast::PythonVersion;
use ruff_python_parser::{ParseOptions, parse_unchecked};

pub use diagnostic::{Diagnostic, Edit, Fix, FunctionRef, Related, Severity};
pub use rules::Rule;
pub use settings::Settings;
pub use text::{TextRange, TextSize};

/// The Python version the parser accepts syntax of.
pub const TARGET_VERSION: PythonVersion = PythonVersion::PY313;

/// Every enabled diagnostic for `source`, sorted by position, with `# noqa`
/// suppressions and the settings' severities applied.
pub fn check(source: &str, settings: &Settings) -> Vec<Diagnostic> {
    let options = ParseOptions::from(PySourceType::Python).with_target_version(TARGET_VERSION);
    let parsed = parse_unchecked(source, options);
    let mut diagnostics = Vec::new();
    for error in parsed.errors() {
        diagnostics.push(Diagnostic {
            rule: Rule::SyntaxError,
            severity: Rule::SyntaxError.default_severity(),
            message: format!("SyntaxError: {}", error.error),
            range: error.location,
            related: Vec::new(),
            function: None,
            fix: None,
        });
    }
    let module = parsed.syntax().as_module().expect("parsed as a module");
    let model = semantic::SemanticModel::build(&module.body);
    let functions = sandbox::Finder { model: &model }.sandbox_functions();
    diagnostics.extend(checker::Checker::new(source, &model, &functions).run());
    let suppressions = noqa::Suppressions::from_tokens(parsed.tokens(), source);
    diagnostics.retain(|diagnostic| {
        settings.is_enabled(diagnostic.rule) && !suppressions.is_suppressed(diagnostic, source)
    });
    for diagnostic in &mut diagnostics {
        diagnostic.severity = settings.severity(diagnostic.rule);
    }
    diagnostics.sort_by_key(|diagnostic| (diagnostic.range.start(), diagnostic.rule));
    diagnostics
}
