//! The rule catalog. Codes are fixed: users' configs and `# noqa` comments name them.
//!
//! Each rule's documentation lives next to its checker, in a Markdown file of the
//! same name; `aviato-lsp rule CODE` prints it and `docs/rules/CODE.md` is
//! generated from it.

use crate::diagnostic::Severity;

macro_rules! rules {
    ($($variant:ident, $code:literal, $name:literal, $severity:ident, $doc:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($variant,)*
        }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)* }
            }

            /// The kebab-case name, e.g. `module-not-in-sandbox`.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// The rule's documentation page, in Markdown.
            pub fn doc(self) -> &'static str {
                match self { $(Rule::$variant => include_str!($doc),)* }
            }
        }
    };
}

rules! {
    SyntaxError, "AV001", "syntax-error", Error, "av001_syntax_error.md";
    AsyncSandboxFunction, "AV101", "async-sandbox-function", Error, "av101_async_sandbox_function.md";
    DecoratorNotCalled, "AV102", "decorator-not-called", Error, "av102_decorator_not_called.md";
    InvalidDecoratorArguments, "AV103", "invalid-decorator-arguments", Error, "av103_invalid_decorator_arguments.md";
    GeneratorSandboxFunction, "AV104", "generator-sandbox-function", Error, "av104_generator_sandbox_function.md";
    MethodSandboxFunction, "AV105", "method-sandbox-function", Error, "av105_method_sandbox_function.md";
    UnstrippedDecoratorAlias, "AV106", "unstripped-decorator-alias", Error, "av106_unstripped_decorator_alias.md";
    ModuleNotInSandbox, "AV201", "module-not-in-sandbox", Error, "av201_module_not_in_sandbox.md";
    NameNotSent, "AV202", "name-not-sent", Error, "av202_name_not_sent.md";
    DecoratorNotInSandbox, "AV203", "decorator-not-in-sandbox", Error, "av203_decorator_not_in_sandbox.md";
    AnnotationNotInSandbox, "AV204", "annotation-not-in-sandbox", Error, "av204_annotation_not_in_sandbox.md";
    DefaultNotInSandbox, "AV205", "default-not-in-sandbox", Error, "av205_default_not_in_sandbox.md";
    UndefinedName, "AV206", "undefined-name", Error, "av206_undefined_name.md";
    UnserializableCapture, "AV301", "unserializable-capture", Error, "av301_unserializable_capture.md";
    LossyJsonConversion, "AV302", "lossy-json-conversion", Warning, "av302_lossy_json_conversion.md";
    JsonUnserializableReturn, "AV303", "json-unserializable-return", Error, "av303_json_unserializable_return.md";
    PickleScriptClass, "AV304", "pickle-script-class", Error, "av304_pickle_script_class.md";
    PickleTrust, "AV305", "pickle-trust", Warning, "av305_pickle_trust.md";
    MissingAwait, "AV401", "missing-await", Error, "av401_missing_await.md";
    CallSignatureMismatch, "AV402", "call-signature-mismatch", Error, "av402_call_signature_mismatch.md";
    GlobalWriteLost, "AV403", "global-write-lost", Warning, "av403_global_write_lost.md";
    ExitInSandbox, "AV404", "exit-in-sandbox", Warning, "av404_exit_in_sandbox.md";
    RelativeTempDir, "AV501", "relative-temp-dir", Warning, "av501_relative_temp_dir.md";
}

impl Rule {
    /// Looks a rule up by code (`AV201`, case-insensitive) or by name (`module-not-in-sandbox`).
    pub fn from_code(text: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|rule| rule.code().eq_ignore_ascii_case(text) || rule.name() == text)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
