//! What the SDK would send for each sandbox function, as far as the file says:
//! the facts "Run in sandbox" prepares a payload from and hover shows.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::{Capture, Checker, Origin};
use crate::literal::Emitter;
use crate::rules::av203_decorator_not_in_sandbox::ships_wrapper;
use crate::sandbox::{DecoratorForm, Finder, SandboxFunction, Serialization, is_stripped_by_sdk};
use crate::sdk::{Sdk, SdkChoice};
use crate::semantic::{BindingKind, CallKind, Resolution, ScopeId, SemanticModel};
use crate::value::ValueKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxFunctionFacts {
    pub name: String,
    pub name_range: TextRange,
    /// From the name to the end of the parameters or the return annotation: the
    /// header, which may span lines.
    pub signature_range: TextRange,
    /// The `def` statement, decorators included.
    pub statement_range: TextRange,
    /// The decorators the SDK removes before sending the source (`@<x>.function(...)`).
    pub stripped_decorators: Vec<TextRange>,
    pub is_async: bool,
    pub serialization: Serialization,
    /// `container_image=` of the decorator, else of the session's `SandboxDefaults`.
    pub container_image: Option<String>,
    /// `temp_dir=` of the decorator, else of the session's `SandboxDefaults`.
    pub temp_dir: Option<String>,
    pub parameters: Vec<String>,
    /// The other decorators, which the SDK keeps and the sandbox evaluates.
    pub kept_decorators: Vec<TextRange>,
    /// A decorator applied before `.function` without `functools.wraps`: the SDK
    /// sends its inner wrapper instead of the function.
    pub shipped_wrapper: Option<TextRange>,
    /// The names the body reads from outside, in order of first use.
    pub captures: Vec<CapturedName>,
    pub call_sites: Vec<CallSite>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureOrigin {
    /// A module-level name (`LOAD_GLOBAL`).
    Global,
    /// A variable of an enclosing function (a closure cell).
    Closure,
    /// Bound nowhere.
    Undefined,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedName {
    pub name: String,
    pub origin: CaptureOrigin,
    /// The first read in the body.
    pub use_range: TextRange,
    /// The binding whose value would be sent.
    pub binding_range: Option<TextRange>,
    pub value: CapturedValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CapturedValue {
    /// Sent, with this value as a self-contained Python expression.
    Sent(String),
    /// Not sent by the SDK (modules, classes, builtins), with the reason.
    Skipped(String),
    /// Sent, but its value cannot be known without running the file.
    NotStatic(String),
}

/// How a call site reaches the sandbox function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallSiteKind {
    /// `f(...)`: aviato's call (awaited); on a cwsandbox `RemoteFunction`, a
    /// `TypeError` on the client.
    Direct,
    /// `f.remote(...)`: cwsandbox's call.
    Remote,
    /// `f.map(items)`: cwsandbox's `f.remote(*item)` for each item.
    Map,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    pub range: TextRange,
    pub kind: CallSiteKind,
    /// The arguments as Python source (`2, 3, scale=[1, 2]`), or why they are not
    /// static. For [`CallSiteKind::Map`], the items as one Python expression
    /// (`[(1,), (2,)]`), each of which is unpacked into a call.
    pub arguments: Result<String, String>,
}

/// The facts of every sandbox function in `source`, in source order.
pub fn sandbox_functions(source: &str, sdk: SdkChoice) -> Vec<SandboxFunctionFacts> {
    let (text, parsed) = crate::repair::repaired(source, crate::parse(source));
    let model = SemanticModel::build(&parsed.syntax().body);
    let functions = Finder::new(&model, sdk).sandbox_functions();
    collect(&text, &model, &functions)
}

/// The facts of `functions`, found in `source` (as repaired) with `model`.
pub(crate) fn collect<'a>(
    source: &'a str,
    model: &SemanticModel<'a>,
    functions: &[SandboxFunction<'a>],
) -> Vec<SandboxFunctionFacts> {
    let checker = Checker::new(source, model, functions);
    let emitter = |function: &SandboxFunction| Emitter {
        model,
        source,
        json: function.serialization == Serialization::Json,
    };
    // Each call site, resolved once, goes to the function it calls. Calls in a
    // sandbox function's body run in the sandbox, and `.local(...)` in-process: they
    // are not calls of the SDK.
    let mut call_sites: Vec<Vec<CallSite>> = vec![Vec::new(); functions.len()];
    for record in &model.calls {
        let Some(called) = checker.called_sandbox_function(record.name, record.scope) else {
            continue;
        };
        if checker.in_sandbox_body(record.scope) {
            continue;
        }
        let kind = match (called.sdk, record.kind) {
            (_, CallKind::Direct) => CallSiteKind::Direct,
            (Sdk::Cwsandbox, CallKind::Remote) => CallSiteKind::Remote,
            (Sdk::Cwsandbox, CallKind::Map) => CallSiteKind::Map,
            _ => continue,
        };
        if let Some(index) = functions
            .iter()
            .position(|function| std::ptr::eq(function, called))
        {
            let emitter = emitter(called);
            let arguments = match kind {
                CallSiteKind::Direct if called.sdk == Sdk::Cwsandbox => Err(format!(
                    "`{}` is the `RemoteFunction` the decorator returned, and it is not callable: the SDK raises `TypeError: 'RemoteFunction' object is not callable` here; call `{}.remote(...).result()`",
                    record.name, record.name
                )),
                CallSiteKind::Map => emit_map_items(&emitter, record.call, record.scope),
                _ => emit_arguments(&emitter, record.call, record.scope),
            };
            call_sites[index].push(CallSite {
                range: record.call.range(),
                kind,
                arguments,
            });
        }
    }
    functions
        .iter()
        .zip(call_sites)
        .map(|(function, call_sites)| facts(&checker, &emitter(function), function, call_sites))
        .collect()
}

/// Evaluates an argument list typed by the user (`2, 3` or `"b", x=[1, 2]`) into
/// self-contained Python source; only literals are accepted.
pub fn evaluate_arguments(arguments: &str) -> Result<String, String> {
    let wrapped = format!("_({arguments}\n)");
    let parsed = ruff_python_parser::parse_expression(&wrapped)
        .map_err(|error| format!("invalid arguments: {}", error.error))?;
    let call = match parsed.expr() {
        Expr::Call(call) if matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "_") => {
            call
        }
        _ => {
            return Err(
                "invalid arguments: expected an argument list such as `2, 3` or `\"b\", x=[1, 2]`"
                    .into(),
            );
        }
    };
    let model = SemanticModel::build(&[]);
    let emitter = Emitter {
        model: &model,
        source: &wrapped,
        json: false,
    };
    emit_arguments(&emitter, call, crate::semantic::MODULE_SCOPE)
}

fn facts<'a>(
    checker: &Checker<'_, 'a>,
    emitter: &Emitter<'_, 'a>,
    function: &SandboxFunction<'a>,
    call_sites: Vec<CallSite>,
) -> SandboxFunctionFacts {
    let def = function.def;
    let finder = Finder {
        model: checker.model,
        sdk: Some(function.sdk),
    };
    let captures = checker.captures(function);
    SandboxFunctionFacts {
        name: def.name.id.to_string(),
        name_range: def.name.range,
        signature_range: TextRange::new(
            def.name.start(),
            def.returns
                .as_deref()
                .map_or(def.parameters.end(), Ranged::end),
        ),
        statement_range: def.range,
        stripped_decorators: def
            .decorator_list
            .iter()
            .filter(|decorator| is_stripped_by_sdk(&decorator.expression))
            .map(Ranged::range)
            .collect(),
        is_async: def.is_async,
        serialization: function.serialization,
        container_image: option(&finder, function, "container_image"),
        temp_dir: option(&finder, function, "temp_dir"),
        kept_decorators: function
            .kept_decorators()
            .map(|decorator| decorator.expression.range())
            .collect(),
        shipped_wrapper: function
            .kept_decorators()
            .find(|decorator| ships_wrapper(checker, function, decorator))
            .map(|decorator| decorator.expression.range()),
        parameters: def
            .parameters
            .iter()
            .map(|parameter| parameter.name().id.to_string())
            .collect(),
        captures: captures
            .iter()
            .map(|capture| captured_name(emitter, capture))
            .collect(),
        call_sites,
    }
}

fn captured_name(emitter: &Emitter, capture: &Capture) -> CapturedName {
    let origin = match capture.origin {
        Origin::Global => CaptureOrigin::Global,
        Origin::Closure(_) => CaptureOrigin::Closure,
        Origin::Unbound => CaptureOrigin::Undefined,
    };
    let value = if capture.skipped_by_sdk() {
        let what = match &capture.kind {
            ValueKind::Module(_) => "a module",
            ValueKind::Class { .. } => "a class",
            _ => "a builtin",
        };
        CapturedValue::Skipped(format!("{what}: the SDK does not send it"))
    } else if capture.origin == Origin::Unbound {
        CapturedValue::Skipped("not defined anywhere in this file".into())
    } else if capture.binding.is_none() {
        CapturedValue::Skipped(
            "only functions assign it, so it is not defined when the SDK looks it up".into(),
        )
    } else {
        match capture
            .binding
            .map(|binding| (binding.kind, binding.scope, binding.range.start()))
        {
            Some((BindingKind::Assignment(value), scope, offset)) => {
                match emitter.emit(value, scope, offset) {
                    Ok(literal) => CapturedValue::Sent(literal),
                    Err(reason) => CapturedValue::NotStatic(reason),
                }
            }
            Some((BindingKind::FromImport { module, member }, _, _)) if !module.is_empty() => {
                CapturedValue::Sent(format!("{module}.{member}"))
            }
            _ => CapturedValue::NotStatic(format!(
                "`{}` is {}",
                capture.name,
                capture.kind.describe()
            )),
        }
    };
    CapturedName {
        name: capture.name.to_string(),
        origin,
        use_range: capture.first_use,
        binding_range: capture.binding.map(|binding| binding.range),
        value,
    }
}

fn emit_arguments<'a>(
    emitter: &Emitter<'_, 'a>,
    call: &'a ExprCall,
    scope: ScopeId,
) -> Result<String, String> {
    let offset = call.start();
    let mut arguments = Vec::new();
    for argument in &call.arguments.args {
        if argument.is_starred_expr() {
            return Err("an argument is unpacked with `*`".into());
        }
        arguments.push(
            emitter
                .emit(argument, scope, offset)
                .map_err(|reason| format!("argument {}: {reason}", arguments.len() + 1))?,
        );
    }
    for keyword in &call.arguments.keywords {
        let Some(name) = &keyword.arg else {
            return Err("arguments are unpacked with `**`".into());
        };
        let value = emitter
            .emit(&keyword.value, scope, offset)
            .map_err(|reason| format!("argument `{}`: {reason}", name.id))?;
        arguments.push(format!("{}={value}", name.id));
    }
    Ok(arguments.join(", "))
}

/// The items of `f.map(items)` as one expression; each item is a tuple of
/// positional arguments.
fn emit_map_items<'a>(
    emitter: &Emitter<'_, 'a>,
    call: &'a ExprCall,
    scope: ScopeId,
) -> Result<String, String> {
    let arguments = &call.arguments;
    let items = match (arguments.args.as_ref(), arguments.keywords.as_ref()) {
        ([items], []) if !items.is_starred_expr() => items,
        ([], [keyword])
            if keyword
                .arg
                .as_ref()
                .is_some_and(|arg| arg.id.as_str() == "items") =>
        {
            &keyword.value
        }
        _ => return Err("`.map` takes one iterable of argument tuples".into()),
    };
    emitter
        .emit(items, scope, call.start())
        .map_err(|reason| format!("the items: {reason}"))
}

/// A string option of the decorator, else of the session's `SandboxDefaults(...)`.
fn option(finder: &Finder, function: &SandboxFunction, keyword: &str) -> Option<String> {
    if let Some(keyword) = function.keyword(keyword) {
        return string_value(&keyword.value);
    }
    let session = match function.form {
        DecoratorForm::Call(_) | DecoratorForm::NotCalled => match &function.decorator.expression {
            Expr::Call(call) => call.func.as_attribute_expr()?.value.as_ref(),
            Expr::Attribute(attribute) => attribute.value.as_ref(),
            _ => return None,
        },
        DecoratorForm::Alias { .. } => return None,
    };
    let defaults = session_defaults(finder, session, function.enclosing, 0)?;
    string_value(&defaults.arguments.find_keyword(keyword)?.value)
}

/// The `SandboxDefaults(...)` call a session was created with, when the file says.
fn session_defaults<'a>(
    finder: &Finder<'_, 'a>,
    expr: &'a Expr,
    scope: ScopeId,
    depth: u8,
) -> Option<&'a ExprCall> {
    if depth > 8 {
        return None;
    }
    match expr {
        Expr::Call(call) => {
            let qualified = finder.qualified_name(&call.func, scope, 0)?;
            let (package, name) = qualified.split_once('.')?;
            if !Sdk::is_sdk_name(package) {
                return None;
            }
            match name {
                "SandboxDefaults" => Some(call),
                "Sandbox.session" | "Session" => {
                    let argument = call.arguments.args.first().or_else(|| {
                        call.arguments
                            .find_keyword("defaults")
                            .map(|keyword| &keyword.value)
                    })?;
                    session_defaults(finder, argument, scope, depth + 1)
                }
                _ => None,
            }
        }
        Expr::Name(name) => {
            let Resolution::Scope(found) = finder.model.resolve(scope, name.id.as_str()) else {
                return None;
            };
            finder
                .model
                .bindings_in(found, name.id.as_str())
                .find_map(|binding| match binding.kind {
                    BindingKind::Assignment(value) | BindingKind::WithItem(value) => {
                        session_defaults(finder, value, found, depth + 1)
                    }
                    _ => None,
                })
        }
        _ => None,
    }
}

fn string_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        _ => None,
    }
}

/// The image the SDK creates the function's sandbox from, when the file says: the
/// decorator's `container_image=`, else the session's `SandboxDefaults(...)`, else
/// the SDK's default for a session the file creates. `None` when it cannot be known.
pub(crate) fn declared_image(model: &SemanticModel, function: &SandboxFunction) -> Option<String> {
    let finder = Finder {
        model,
        sdk: Some(function.sdk),
    };
    if let Some(keyword) = function.keyword("container_image") {
        return string_value(&keyword.value);
    }
    if function.has_unpacked_options() {
        return None;
    }
    let session = function.session_expr()?;
    let call = session_call(&finder, session, function.enclosing, 0)?;
    let given_defaults =
        !call.arguments.args.is_empty() || call.arguments.find_keyword("defaults").is_some();
    if !given_defaults {
        return Some(DEFAULT_IMAGE.to_string());
    }
    let defaults = session_defaults(&finder, session, function.enclosing, 0)?;
    match defaults.arguments.find_keyword("container_image") {
        Some(keyword) => string_value(&keyword.value),
        None if defaults.arguments.keywords.iter().any(|k| k.arg.is_none()) => None,
        None => Some(DEFAULT_IMAGE.to_string()),
    }
}

/// The SDK's image when neither the decorator nor the session names one.
const DEFAULT_IMAGE: &str = "python:3.11";

/// The `Session(...)` or `Sandbox.session(...)` call a session comes from.
fn session_call<'a>(
    finder: &Finder<'_, 'a>,
    expr: &'a Expr,
    scope: ScopeId,
    depth: u8,
) -> Option<&'a ExprCall> {
    if depth > 8 {
        return None;
    }
    match expr {
        Expr::Call(call) => {
            let qualified = finder.qualified_name(&call.func, scope, 0)?;
            let (package, name) = qualified.split_once('.')?;
            (Sdk::is_sdk_name(package) && matches!(name, "Sandbox.session" | "Session"))
                .then_some(call)
        }
        Expr::Name(name) => {
            let Resolution::Scope(found) = finder.model.resolve(scope, name.id.as_str()) else {
                return None;
            };
            let mut bindings = finder.model.bindings_in(found, name.id.as_str());
            let binding = bindings.next()?;
            match binding.kind {
                BindingKind::Assignment(value) | BindingKind::WithItem(value) => {
                    session_call(finder, value, found, depth + 1)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
import asyncio
import math
from datetime import datetime
from aviato import Sandbox, SandboxDefaults, Serialization

RATE = 60 * 60
ORIGIN = (0, RATE)
WHEN = datetime(2024, 1, 2)

async def main():
    offset = 5
    defaults = SandboxDefaults(container_image="python:3.12", temp_dir="/work")
    async with Sandbox.session(defaults) as session:
        @session.function(serialization=Serialization.PICKLE)
        def scaled(x, y=2):
            return math.floor(x * RATE) + offset, ORIGIN, WHEN, load()

        print(await scaled(2, y=[1, 2]))
        print(await scaled(offset))
        print(await scaled(load()))

def load():
    return 1

asyncio.run(main())
"#;

    #[test]
    fn captures_options_and_call_sites() {
        let functions = sandbox_functions(SOURCE, SdkChoice::Auto);
        let [function] = functions.as_slice() else {
            panic!("{functions:?}")
        };
        assert_eq!(function.name, "scaled");
        assert_eq!(function.serialization, Serialization::Pickle);
        assert_eq!(function.container_image.as_deref(), Some("python:3.12"));
        assert_eq!(function.temp_dir.as_deref(), Some("/work"));
        assert_eq!(function.parameters, ["x", "y"]);
        let [decorator] = function.stripped_decorators.as_slice() else {
            panic!()
        };
        assert_eq!(
            &SOURCE[*decorator],
            "@session.function(serialization=Serialization.PICKLE)"
        );

        let value = |name: &str| {
            function
                .captures
                .iter()
                .find(|capture| capture.name == name)
                .unwrap()
                .value
                .clone()
        };
        assert!(matches!(value("math"), CapturedValue::Skipped(_)));
        assert_eq!(value("RATE"), CapturedValue::Sent("((60) * (60))".into()));
        assert_eq!(
            value("ORIGIN"),
            CapturedValue::Sent("((0), ((60) * (60)))".into())
        );
        assert_eq!(
            value("WHEN"),
            CapturedValue::Sent("datetime.datetime((2024), (1), (2))".into())
        );
        assert_eq!(value("offset"), CapturedValue::Sent("(5)".into()));
        assert!(matches!(value("load"), CapturedValue::NotStatic(_)));
        let origins: Vec<_> = function
            .captures
            .iter()
            .map(|capture| (capture.name.as_str(), capture.origin))
            .collect();
        assert!(origins.contains(&("offset", CaptureOrigin::Closure)));
        assert!(origins.contains(&("RATE", CaptureOrigin::Global)));

        let arguments: Vec<_> = function
            .call_sites
            .iter()
            .map(|site| site.arguments.clone())
            .collect();
        assert_eq!(arguments[0], Ok("(2), y=[(1), (2)]".into()));
        assert_eq!(arguments[1], Ok("(5)".into()));
        assert!(
            arguments[2]
                .as_ref()
                .is_err_and(|reason| reason.contains("load"))
        );
    }

    #[test]
    fn user_arguments_are_literals_only() {
        assert_eq!(
            evaluate_arguments(r#""b", x=[1, 2]"#),
            Ok(r#"("b"), x=[(1), (2)]"#.into())
        );
        assert_eq!(evaluate_arguments(""), Ok(String::new()));
        assert!(evaluate_arguments("value").is_err());
        assert!(evaluate_arguments("1, )(").is_err());
    }
}
