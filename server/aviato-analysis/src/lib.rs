//! Static analysis of Python code that runs functions in aviato sandboxes.
//!
//! Pure and fast: text in, diagnostics out. No protocol types and no I/O beyond
//! finding a `pyproject.toml` in [`pyproject`].

mod builtins;
mod checker;
pub mod diagnostic;
mod factories;
pub mod facts;
pub mod fix;
mod literal;
mod noqa;
pub mod pyproject;
mod repair;
pub mod resources;
mod reuse;
pub mod rules;
mod sandbox;
mod sdk;
mod semantic;
pub mod settings;
mod shift;
mod stdlib;
mod stdlib_table;
mod syntax;
#[cfg(test)]
mod testing;
pub mod text;
mod value;

use ruff_python_ast::PythonVersion;

use syntax::Syntax;

pub use diagnostic::{Diagnostic, Edit, Fix, FunctionRef, Related, Severity};
pub use facts::{
    CallSite, CallSiteKind, CaptureOrigin, CapturedName, CapturedValue, SandboxFunctionFacts,
    evaluate_arguments, sandbox_environment, sandbox_functions,
};
pub use fix::{Applied, Fixed, apply_edits, fix_all, removes_diagnostic};
pub use noqa::noqa_edits;
pub use rules::Rule;
pub use sandbox::Serialization;
pub use sdk::{Sdk, SdkChoice};
pub use settings::Settings;
pub use syntax::Reparser;
pub use text::{TextRange, TextSize};

/// The Python version the parser accepts syntax of.
pub const TARGET_VERSION: PythonVersion = PythonVersion::PY313;

/// Every enabled diagnostic for `source`, sorted by position, with `# noqa`
/// suppressions and the settings' severities applied.
pub fn check(source: &str, settings: &Settings) -> Vec<Diagnostic> {
    Analysis::analyse(
        source,
        &parse(source),
        settings.sdk(),
        None,
        Facts::None,
        &mut |_| {},
    )
    .diagnostics(settings)
}

/// What the analysis says about one text, from one parse: every rule's diagnostics
/// (settings are applied when they are asked for) and the facts of each sandbox
/// function. An editor keeps one per revision and answers every request from it.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Every diagnostic at its rule's own severity, sorted by position, `# noqa`
    /// suppressions applied.
    diagnostics: Vec<Diagnostic>,
    /// `None` when they were not collected.
    functions: Option<Vec<SandboxFunctionFacts>>,
}

/// Which facts of the functions an analysis collects.
enum Facts<'a> {
    None,
    All,
    /// All, while the function says they are still wanted.
    While(&'a dyn Fn() -> bool),
}

impl Analysis {
    pub fn new(source: &str, sdk: SdkChoice) -> Analysis {
        Analysis::analyse(source, &parse(source), sdk, None, Facts::All, &mut |_| {})
    }

    /// The analysis of `source`, a new revision of the text `reparser` parsed
    /// before: only what changed is parsed again. `diagnosed` is given the
    /// analysis as soon as its diagnostics are known, before the functions' facts
    /// are collected (from the same parse), so an editor can show them sooner.
    /// The facts are collected while `still_wanted` says so (it is asked as they
    /// are), else left out: [`Analysis::has_functions`] tells.
    pub fn of_revision(
        source: &str,
        sdk: SdkChoice,
        reparser: &mut Reparser,
        diagnosed: impl FnOnce(&Analysis),
        still_wanted: impl Fn() -> bool,
    ) -> Analysis {
        let wanted = Facts::While(&still_wanted);
        let mut diagnosed = Some(diagnosed);
        let (parsed, kept) = reparser.parse_keeping_rules(source);
        Analysis::analyse(source, &parsed, sdk, Some(kept), wanted, &mut |analysis| {
            if let Some(diagnosed) = diagnosed.take() {
                diagnosed(analysis);
            }
        })
    }

    /// The analysis of `source` parsed as `parsed`, showing `diagnosed` the
    /// diagnostics before the facts are collected (if `facts` wants them).
    fn analyse(
        source: &str,
        parsed: &Syntax,
        sdk: SdkChoice,
        kept: Option<&mut reuse::KeptRules>,
        facts: Facts,
        diagnosed: &mut dyn FnMut(&Analysis),
    ) -> Analysis {
        let mut diagnostics: Vec<Diagnostic> = syntax_errors(parsed).collect();
        let has_syntax_errors = !diagnostics.is_empty();
        let repaired = repair::repaired(source, parsed);
        let (text, parsed) = match &repaired {
            Some((text, parsed)) => (text.as_str(), parsed),
            None => (source, parsed),
        };
        let model = semantic::SemanticModel::build(&parsed.module().body);
        let functions = sandbox::Finder::new(&model, sdk).sandbox_functions();
        // A syntax error inside a sandbox function is that function's: it cannot run.
        for diagnostic in &mut diagnostics {
            diagnostic.function = functions
                .iter()
                .find(|function| function.def.range.contains_range(diagnostic.range))
                .map(|function| FunctionRef {
                    name: function.def.name.id.to_string(),
                    name_range: function.def.name.range,
                });
        }
        let checker = checker::Checker::new(text, &model, &functions);
        match kept {
            // A repaired text is not the document's: nothing carries over.
            Some(kept) if repaired.is_none() => {
                let shapes: Vec<reuse::Shape> = functions
                    .iter()
                    .zip(checker.reaching_out())
                    .map(|(function, reaches_out)| reuse::Shape::of(text, function, reaches_out))
                    .collect();
                let carried = kept.reuse(text, sdk, &shapes);
                let (calls, by_function) = checker.run_reusing(carried);
                diagnostics.extend(by_function.iter().flatten().cloned());
                diagnostics.extend(calls);
                kept.keep(text, sdk, shapes, by_function);
            }
            Some(kept) => {
                kept.forget();
                diagnostics.extend(checker.run());
            }
            None => diagnostics.extend(checker.run()),
        }
        let suppressions = noqa::Suppressions::new(parsed.trivia(), text);
        diagnostics.extend(suppressions.unknown_codes(text));
        let used = suppressions.remove_suppressed(&mut diagnostics, text);
        // A function with a syntax error is blanked out before the rules run: the
        // codes on its lines would all look unused.
        if !has_syntax_errors {
            diagnostics.extend(suppressions.unused_codes(text, &used));
        }
        diagnostics.sort_by_key(|diagnostic| (diagnostic.range.start(), diagnostic.rule));
        let mut analysis = Analysis {
            diagnostics,
            functions: None,
        };
        diagnosed(&analysis);
        analysis.functions = match facts {
            Facts::None => None,
            Facts::All => Some(facts::collect(text, &model, &functions)),
            Facts::While(still_wanted) => {
                facts::collect_while(text, &model, &functions, still_wanted)
            }
        };
        analysis
    }

    /// The diagnostics `settings` enable, at the severities they give. A rule
    /// reports at its default severity, or higher where a failure is certain; the
    /// user's setting wins over both.
    pub fn diagnostics(&self, settings: &Settings) -> Vec<Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|diagnostic| settings.is_enabled(diagnostic.rule))
            .cloned()
            .map(|mut diagnostic| {
                if let Some(severity) = settings.configured_severity(diagnostic.rule) {
                    diagnostic.severity = severity;
                }
                diagnostic
            })
            .collect()
    }

    /// Every sandbox function, in source order; none when they were left out.
    pub fn functions(&self) -> &[SandboxFunctionFacts] {
        self.functions.as_deref().unwrap_or_default()
    }

    /// Whether the functions' facts were collected.
    pub fn has_functions(&self) -> bool {
        self.functions.is_some()
    }
}

/// The parser's errors, and syntax newer than the target version (t-strings...).
fn syntax_errors(parsed: &Syntax) -> impl Iterator<Item = Diagnostic> + '_ {
    parsed
        .errors()
        .iter()
        .map(|error| (error.location, error.error.to_string()))
        .chain(
            parsed
                .unsupported_syntax_errors()
                .iter()
                .map(|error| (error.range, error.to_string())),
        )
        .map(|(range, message)| Diagnostic {
            rule: Rule::SyntaxError,
            severity: Rule::SyntaxError.default_severity(),
            message: format!("SyntaxError: {message}"),
            range,
            related: Vec::new(),
            function: None,
            fix: None,
        })
}

/// Parses a module with error recovery: always a tree, plus the syntax errors.
fn parse(source: &str) -> Syntax {
    syntax::parse(source)
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
