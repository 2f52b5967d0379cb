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
    UnknownNoqaCode, "AV002", "unknown-noqa-code", Warning, "av002_unknown_noqa_code.md";
    UnusedNoqaCode, "AV003", "unused-noqa-code", Warning, "av003_unused_noqa_code.md";
    AsyncSandboxFunction, "AV101", "async-sandbox-function", Error, "av101_async_sandbox_function.md";
    DecoratorNotCalled, "AV102", "decorator-not-called", Error, "av102_decorator_not_called.md";
    InvalidDecoratorArguments, "AV103", "invalid-decorator-arguments", Error, "av103_invalid_decorator_arguments.md";
    GeneratorSandboxFunction, "AV104", "generator-sandbox-function", Error, "av104_generator_sandbox_function.md";
    MethodSandboxFunction, "AV105", "method-sandbox-function", Error, "av105_method_sandbox_function.md";
    UnstrippedDecoratorAlias, "AV106", "unstripped-decorator-alias", Error, "av106_unstripped_decorator_alias.md";
    RemoteFunctionCalledDirectly, "AV107", "remote-function-called-directly", Error, "av107_remote_function_called_directly.md";
    DecoratorAboveRemoteFunction, "AV108", "decorator-above-remote-function", Error, "av108_decorator_above_remote_function.md";
    ModuleNotInSandbox, "AV201", "module-not-in-sandbox", Error, "av201_module_not_in_sandbox.md";
    NameNotSent, "AV202", "name-not-sent", Error, "av202_name_not_sent.md";
    DecoratorNotInSandbox, "AV203", "decorator-not-in-sandbox", Error, "av203_decorator_not_in_sandbox.md";
    AnnotationNotInSandbox, "AV204", "annotation-not-in-sandbox", Error, "av204_annotation_not_in_sandbox.md";
    DefaultNotInSandbox, "AV205", "default-not-in-sandbox", Error, "av205_default_not_in_sandbox.md";
    UndefinedName, "AV206", "undefined-name", Error, "av206_undefined_name.md";
    ModuleNotInImage, "AV207", "module-not-in-image", Error, "av207_module_not_in_image.md";
    UnserializableCapture, "AV301", "unserializable-capture", Error, "av301_unserializable_capture.md";
    LossyJsonConversion, "AV302", "lossy-json-conversion", Warning, "av302_lossy_json_conversion.md";
    JsonUnserializableReturn, "AV303", "json-unserializable-return", Error, "av303_json_unserializable_return.md";
    PickleScriptClass, "AV304", "pickle-script-class", Error, "av304_pickle_script_class.md";
    PickleTrust, "AV305", "pickle-trust", Warning, "av305_pickle_trust.md";
    NonStringDictKeys, "AV306", "non-string-dict-keys", Error, "av306_non_string_dict_keys.md";
    MissingAwait, "AV401", "missing-await", Error, "av401_missing_await.md";
    CallSignatureMismatch, "AV402", "call-signature-mismatch", Error, "av402_call_signature_mismatch.md";
    GlobalWriteLost, "AV403", "global-write-lost", Warning, "av403_global_write_lost.md";
    ExitInSandbox, "AV404", "exit-in-sandbox", Warning, "av404_exit_in_sandbox.md";
    ResultNeverRetrieved, "AV405", "result-never-retrieved", Error, "av405_result_never_retrieved.md";
    MapItemsNotArgumentTuples, "AV406", "map-items-not-argument-tuples", Error, "av406_map_items_not_argument_tuples.md";
    CallAfterSessionClosed, "AV407", "call-after-session-closed", Error, "av407_call_after_session_closed.md";
    ClientEnvironment, "AV408", "client-environment", Error, "av408_client_environment.md";
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

mod av001_syntax_error;
pub(crate) mod av002_unknown_noqa_code;
pub(crate) mod av003_unused_noqa_code;
mod av101_async_sandbox_function;
mod av102_decorator_not_called;
mod av103_invalid_decorator_arguments;
mod av104_generator_sandbox_function;
mod av105_method_sandbox_function;
mod av106_unstripped_decorator_alias;
mod av107_remote_function_called_directly;
mod av108_decorator_above_remote_function;
mod av201_module_not_in_sandbox;
mod av202_name_not_sent;
pub(crate) mod av203_decorator_not_in_sandbox;
mod av204_annotation_not_in_sandbox;
mod av205_default_not_in_sandbox;
mod av206_undefined_name;
mod av207_module_not_in_image;
mod av301_unserializable_capture;
mod av302_lossy_json_conversion;
mod av303_json_unserializable_return;
mod av304_pickle_script_class;
mod av305_pickle_trust;
mod av306_non_string_dict_keys;
mod av401_missing_await;
mod av402_call_signature_mismatch;
mod av403_global_write_lost;
mod av404_exit_in_sandbox;
mod av405_result_never_retrieved;
mod av406_map_items_not_argument_tuples;
mod av407_call_after_session_closed;
pub(crate) mod av408_client_environment;
mod av501_relative_temp_dir;
mod converted_use;
mod default_keys;

use ruff_python_ast::helpers::ReturnStatementVisitor;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprContext, ExprName, StmtFunctionDef, StmtReturn};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::{Capture, Checker, Origin};
use crate::rules::av402_call_signature_mismatch::PassedArguments;
use crate::sandbox::{SandboxFunction, Serialization};
use crate::sdk::Sdk;
use crate::semantic::{BindingKind, CallKind, ItemStore, Resolution, ScopeId, ScopeKind};
use crate::value::ValueKind;

/// The rules about one sandbox function.
pub(crate) fn check_function(
    checker: &mut Checker,
    function: &SandboxFunction,
    captures: &[Capture],
) {
    av001_syntax_error::check(checker, function);
    av101_async_sandbox_function::check(checker, function);
    av102_decorator_not_called::check(checker, function);
    av103_invalid_decorator_arguments::check(checker, function);
    av104_generator_sandbox_function::check(checker, function);
    av105_method_sandbox_function::check(checker, function);
    av106_unstripped_decorator_alias::check(checker, function);
    if function.sdk == Sdk::Cwsandbox {
        av108_decorator_above_remote_function::check(checker, function);
    }
    av201_module_not_in_sandbox::check(checker, function, captures);
    av202_name_not_sent::check(checker, function, captures);
    av203_decorator_not_in_sandbox::check(checker, function, captures);
    av204_annotation_not_in_sandbox::check(checker, function, captures);
    av205_default_not_in_sandbox::check(checker, function, captures);
    av206_undefined_name::check(checker, function, captures);
    av207_module_not_in_image::check(checker, function);
    av301_unserializable_capture::check(checker, function, captures);
    av302_lossy_json_conversion::check(checker, function, captures);
    av303_json_unserializable_return::check(checker, function);
    av304_pickle_script_class::check(checker, function, captures);
    av305_pickle_trust::check(checker, function);
    av403_global_write_lost::check(checker, function);
    av404_exit_in_sandbox::check(checker, function);
    av408_client_environment::check(checker, function);
    av501_relative_temp_dir::check(checker, function);
}

/// The rules about calls of sandbox functions: awaiting, `.remote`, `.map`,
/// signatures, arguments.
pub(crate) fn check_calls(checker: &mut Checker) {
    let model = checker.model;
    let mut captured = CapturedByFunction::default();
    for record in &model.calls {
        let Some(function) = checker.called_by_record(record) else {
            continue;
        };
        checker.set_current(function);
        let arguments = PassedArguments {
            args: &record.call.arguments.args,
            keywords: &record.call.arguments.keywords,
            range: record.call.range(),
        };
        // Only aviato refuses a closed session; cwsandbox still runs the call.
        if function.sdk == Sdk::Aviato
            && !checker.in_sandbox_body(record.scope)
            && record.kind == CallKind::Direct
        {
            av407_call_after_session_closed::check(checker, function, record);
        }
        match (function.sdk, record.kind) {
            // A call inside a sandbox function's body runs in the sandbox.
            _ if checker.in_sandbox_body(record.scope) => {}
            (Sdk::Aviato, CallKind::Direct | CallKind::SelfAttribute)
            | (Sdk::Cwsandbox, CallKind::Remote) => {
                if function.sdk == Sdk::Aviato {
                    av401_missing_await::check(checker, record);
                } else {
                    av405_result_never_retrieved::check(checker, record);
                }
                av402_call_signature_mismatch::check(checker, function, &arguments);
                check_argument_values(checker, &mut captured, function, &arguments, record.scope);
            }
            (Sdk::Cwsandbox, CallKind::Direct) => {
                av107_remote_function_called_directly::check(checker, record);
            }
            (Sdk::Cwsandbox, CallKind::Local) => {
                av402_call_signature_mismatch::check(checker, function, &arguments);
            }
            (Sdk::Cwsandbox, CallKind::Map) => {
                av405_result_never_retrieved::check(checker, record);
                av406_map_items_not_argument_tuples::check(
                    checker,
                    &mut captured,
                    function,
                    record,
                );
            }
            (Sdk::Aviato, _) | (Sdk::Cwsandbox, CallKind::SelfAttribute) => {}
        }
    }
}

/// The captures of the sandbox functions whose calls were checked: a function
/// called from many places is looked at once.
#[derive(Default)]
pub(crate) struct CapturedByFunction<'a>(rustc_hash::FxHashMap<TextSize, Vec<Capture<'a>>>);

impl<'a> CapturedByFunction<'a> {
    pub(crate) fn of(
        &mut self,
        checker: &Checker<'_, 'a>,
        function: &SandboxFunction<'a>,
    ) -> &[Capture<'a>] {
        self.0
            .entry(function.def.range.start())
            .or_insert_with(|| checker.captures(function))
    }
}

/// AV301, AV302, AV304 and AV306 for the values passed at a call site.
pub(crate) fn check_argument_values<'a>(
    checker: &mut Checker<'_, 'a>,
    captured: &mut CapturedByFunction<'a>,
    function: &SandboxFunction<'a>,
    arguments: &PassedArguments<'a>,
    scope: ScopeId,
) {
    default_keys::check(checker, captured, function, arguments, scope);
    let mode = function.serialization;
    let values = arguments
        .args
        .iter()
        .enumerate()
        .map(|(index, value)| (index, None, value))
        .chain(arguments.keywords.iter().map(|keyword| {
            (
                0,
                keyword.arg.as_ref().map(|arg| arg.id.as_str()),
                &keyword.value,
            )
        }));
    for (index, keyword, argument) in values {
        if argument.is_starred_expr() || (keyword.is_none() && index >= arguments.args.len()) {
            continue;
        }
        let (value, scope) = through_parameter(checker, argument, scope, mode);
        let (mut kind, mut range) =
            checker
                .values
                .worst_element(value, scope, value.start(), &|kind| severity(kind, mode));
        if !std::ptr::eq(value, argument) {
            range = argument.range();
        }
        // A dict filled after it is bound (`table[(a, b)] = x`) has the keys stored.
        let mut own = checker.values.kind(value, scope, value.start());
        if let Expr::Name(name) = value
            && own == ValueKind::Dict
            && let Resolution::Scope(found) = checker.model.resolve(scope, name.id.as_str())
            && stores_non_str_key(checker, name.id.as_str(), found)
        {
            own = ValueKind::DictNonStrKeys;
            if severity(&own, mode) >= severity(&kind, mode) {
                kind = own.clone();
            }
        }
        if mode == Serialization::StrictJson && kind == ValueKind::DictNonStrKeys {
            checker.report(
                Rule::NonStringDictKeys,
                range,
                av306_non_string_dict_keys::message("this argument"),
            );
        } else if let Some(reason) =
            av301_unserializable_capture::unserializable_reason(&kind, mode, Origin::Closure(scope))
        {
            checker.report(
                Rule::UnserializableCapture,
                range,
                format!("this argument is {}; {reason}", kind.describe()),
            );
        } else if let (Serialization::Pickle, Some(class)) = (mode, kind.pickles_script_class()) {
            checker.report(
                Rule::PickleScriptClass,
                range,
                av304_pickle_script_class::message(class),
            );
        } else if let Some(message) = av302_lossy_json_conversion::argument_message(&kind, mode) {
            // The argument itself binds the parameter; a list of such values gives
            // each of its elements.
            let misuse = parameter_for(function, index, keyword).and_then(|parameter| {
                if own == kind {
                    converted_use::failing_use(&function.def.body, parameter, &kind, mode)
                } else if checker.values.all_elements_are(value, scope, &kind) {
                    converted_use::failing_element_use(&function.def.body, parameter, &kind, mode)
                } else {
                    None
                }
            });
            match misuse {
                Some((_, consequence)) => {
                    checker
                        .report(
                            Rule::LossyJsonConversion,
                            range,
                            format!("{message}; {consequence}"),
                        )
                        .severity = crate::diagnostic::Severity::Error;
                }
                None => {
                    checker.report(Rule::LossyJsonConversion, range, message);
                }
            }
        }
    }
}

/// For an argument that is a parameter of the enclosing function, what that
/// function's callers pass for it (the worst of them in `mode`), with the scope of
/// the call; otherwise the argument itself.
fn through_parameter<'a>(
    checker: &Checker<'_, 'a>,
    argument: &'a Expr,
    scope: ScopeId,
    mode: Serialization,
) -> (&'a Expr, ScopeId) {
    let Expr::Name(name) = argument else {
        return (argument, scope);
    };
    let Resolution::Scope(found) = checker.model.resolve(scope, name.id.as_str()) else {
        return (argument, scope);
    };
    let is_parameter = checker
        .model
        .binding_at(found, name.id.as_str(), argument.start())
        .is_some_and(|binding| matches!(binding.kind, BindingKind::Parameter));
    if !is_parameter {
        return (argument, scope);
    }
    checker
        .values
        .parameter_values(name.id.as_str(), found)
        .into_iter()
        .max_by_key(|(passed, call_scope)| {
            let (kind, _) =
                checker
                    .values
                    .worst_element(passed, *call_scope, passed.start(), &|kind| {
                        severity(kind, mode)
                    });
            severity(&kind, mode)
        })
        .unwrap_or((argument, scope))
}

/// The parameter the `index`-th positional argument, or the keyword argument
/// `keyword`, binds.
fn parameter_for<'a>(
    function: &SandboxFunction<'a>,
    index: usize,
    keyword: Option<&str>,
) -> Option<&'a str> {
    let parameters = &function.def.parameters;
    let mut names = parameters
        .posonlyargs
        .iter()
        .chain(&parameters.args)
        .chain(&parameters.kwonlyargs)
        .map(|parameter| parameter.parameter.name.id.as_str());
    match keyword {
        Some(keyword) => names.find(|name| *name == keyword),
        None => parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .nth(index)
            .map(|parameter| parameter.parameter.name.id.as_str()),
    }
}

/// How badly `mode` handles a value: 2 fails, 1 changes it, 0 carries it.
fn severity(kind: &ValueKind, mode: Serialization) -> u8 {
    match mode {
        Serialization::StrictJson
            if kind.strict_json_refused() || *kind == ValueKind::DictNonStrKeys =>
        {
            2
        }
        Serialization::StrictJson if kind.strict_json_conversion().is_some() => 1,
        Serialization::Json if kind.json_unserializable() => 2,
        Serialization::Json if kind.json_conversion().is_some() => 1,
        Serialization::Pickle
            if kind.pickle_unserializable() || kind.pickles_script_class().is_some() =>
        {
            2
        }
        _ => 0,
    }
}

/// The kind of the value the SDK sends for a capture: for a container literal, its
/// worst element in `mode`.
pub(crate) fn sent_value(
    checker: &Checker,
    capture: &Capture,
    mode: Serialization,
) -> (ValueKind, TextRange) {
    match capture.binding.map(|binding| (binding.kind, binding.scope)) {
        Some((BindingKind::Assignment(value), scope)) => {
            let (mut kind, range) =
                checker
                    .values
                    .worst_element(value, scope, TextSize::from(u32::MAX), &|kind| {
                        severity(kind, mode)
                    });
            // What the code stores into the dict later is sent too.
            if matches!(
                capture.kind,
                ValueKind::Dict | ValueKind::DictNonStrKeys | ValueKind::DictSubclass { .. }
            ) {
                for stored in stored_kinds(checker, capture.name, scope) {
                    if severity(&stored, mode) > severity(&kind, mode) {
                        kind = stored;
                    }
                }
            }
            if severity(&kind, mode) > severity(&capture.kind, mode) {
                (kind, range)
            } else {
                (capture.kind.clone(), range)
            }
        }
        // A factory's parameter: whatever its callers pass.
        Some((BindingKind::Parameter, scope)) => {
            let mut worst = (capture.kind.clone(), capture.first_use);
            for (argument, call_scope) in checker.values.parameter_values(capture.name, scope) {
                let (kind, _) =
                    checker
                        .values
                        .worst_element(argument, call_scope, argument.start(), &|kind| {
                            severity(kind, mode)
                        });
                if severity(&kind, mode) > severity(&worst.0, mode) {
                    worst.0 = kind;
                }
            }
            worst
        }
        _ => (capture.kind.clone(), capture.first_use),
    }
}

/// Whether a `name[key] = value` statement gives the dict `name` of `scope` a key
/// that is not a string: the dict itself then has non-string keys.
pub(crate) fn stores_non_str_key(checker: &Checker, name: &str, scope: ScopeId) -> bool {
    let model = checker.model;
    model.item_stores.iter().any(|store| {
        store.name == name
            && model.resolve(store.scope, name) == Resolution::Scope(scope)
            && is_non_str_key(
                &checker
                    .values
                    .kind(store.key, store.scope, store.key.start()),
            )
    })
}

fn is_non_str_key(kind: &ValueKind) -> bool {
    matches!(
        kind,
        ValueKind::Int | ValueKind::Float | ValueKind::Bool | ValueKind::None | ValueKind::Tuple
    )
}

/// The kinds `name[key] = value` statements put into the dict `name` of `scope`: a
/// key that is not a string makes it a dict with non-string keys; a decorator that
/// stores the function it decorates (`REGISTRY[name] = fn; return fn`) fills it
/// with functions.
fn stored_kinds(checker: &Checker, name: &str, scope: ScopeId) -> Vec<ValueKind> {
    let model = checker.model;
    let mut kinds = Vec::new();
    for store in model.item_stores.iter().filter(|store| store.name == name) {
        if model.resolve(store.scope, name) != Resolution::Scope(scope) {
            continue;
        }
        let key = checker
            .values
            .kind(store.key, store.scope, store.key.start());
        if is_non_str_key(&key) {
            kinds.push(ValueKind::DictNonStrKeys);
        }
        if decorated_function(checker, store) {
            kinds.push(ValueKind::Function {
                sandbox: false,
                nested: false,
            });
        } else {
            kinds.push(
                checker
                    .values
                    .kind(store.value, store.scope, store.value.start()),
            );
        }
    }
    kinds
}

/// Whether the stored value is the parameter of a decorator that returns it.
fn decorated_function(checker: &Checker, store: &ItemStore) -> bool {
    let Expr::Name(value) = store.value else {
        return false;
    };
    let ScopeKind::Function(decorator) = checker.model.scopes[store.scope].kind else {
        return false;
    };
    let is_parameter = matches!(
        checker
            .model
            .lookup(store.scope, value.id.as_str())
            .map(|binding| binding.kind),
        Some(BindingKind::Parameter)
    );
    is_parameter
        && own_returns(decorator).iter().any(|statement| {
            matches!(statement.value.as_deref(), Some(Expr::Name(returned)) if returned.id == value.id)
        })
}

/// The `return` statements of the function itself, not of nested functions.
pub(crate) fn own_returns(def: &StmtFunctionDef) -> Vec<&StmtReturn> {
    let mut returns = ReturnStatementVisitor::default();
    for statement in &def.body {
        returns.visit_stmt(statement);
    }
    returns.returns
}

/// The names an expression reads, outside quoted annotations and lambdas.
pub(crate) fn names_in(expr: &Expr) -> Vec<&ExprName> {
    #[derive(Default)]
    struct Names<'a>(Vec<&'a ExprName>);
    impl<'a> Visitor<'a> for Names<'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) if name.ctx == ExprContext::Load => self.0.push(name),
                Expr::StringLiteral(_) | Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut names = Names::default();
    names.visit_expr(expr);
    names.0
}

/// The name of a function scope, for messages.
pub(crate) fn scope_name<'a>(checker: &Checker<'_, 'a>, scope: ScopeId) -> &'a str {
    match checker.model.scopes[scope].kind {
        ScopeKind::Function(def) => def.name.id.as_str(),
        _ => "<enclosing scope>",
    }
}
