//! What the SDK would send for each sandbox function, as far as the file says:
//! the facts "Run in sandbox" prepares a payload from and hover shows.

use std::cell::OnceCell;

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::{Capture, Checker, Origin};
use crate::literal::{Emitter, Flow};
use crate::resources::{Literal, Resources, Verdict};
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
    /// `working_dir=` of the decorator, else of the session's `SandboxDefaults`.
    pub working_dir: Option<String>,
    /// `resources=` of the decorator, else of the session's `SandboxDefaults`, as the
    /// SDK normalises them; `None` when not given, refused or not static.
    pub resources: Option<Resources>,
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
    /// What an aviato method called through an instance (`metrics.score(...)`) binds
    /// as its first argument, which the SDK then sends.
    pub receiver: Option<String>,
    /// What each captured variable the SDK sends holds when this call runs, where the
    /// file's order of statements says (`(name, value)`, in the order of
    /// [`SandboxFunctionFacts::captures`]).
    pub captures: Vec<(String, CapturedValue)>,
    /// A `.remote(...)` call in a `for` loop over static items whose arguments read
    /// the loop's variable: the SDK makes it once per iteration. Here are the
    /// arguments of every iteration, as `.map` items (`[(1,), (2,)]`); `arguments`
    /// holds the first iteration's.
    pub loop_items: Option<String>,
}

/// The facts of every sandbox function in `source`, in source order.
pub fn sandbox_functions(source: &str, sdk: SdkChoice) -> Vec<SandboxFunctionFacts> {
    let parsed = crate::parse(source);
    let repaired = crate::repair::repaired(source, &parsed);
    let (text, parsed) = match &repaired {
        Some((text, parsed)) => (text.as_str(), parsed),
        None => (source, &parsed),
    };
    let model = SemanticModel::build(&parsed.module().body);
    let functions = Finder::new(&model, sdk).sandbox_functions();
    collect(text, &model, &functions)
}

/// The facts of `functions`, found in `source` (as repaired) with `model`.
pub(crate) fn collect<'a>(
    source: &'a str,
    model: &SemanticModel<'a>,
    functions: &[SandboxFunction<'a>],
) -> Vec<SandboxFunctionFacts> {
    collect_while(source, model, functions, &|| true).expect("always wanted")
}

/// [`collect`], given up (`None`) as soon as `still_wanted` says so: it is asked
/// between the steps and between the call sites.
pub(crate) fn collect_while<'a>(
    source: &'a str,
    model: &SemanticModel<'a>,
    functions: &[SandboxFunction<'a>],
    still_wanted: &dyn Fn() -> bool,
) -> Option<Vec<SandboxFunctionFacts>> {
    let checker = Checker::new(source, model, functions);
    let flow = Flow::build(
        model,
        model.module_body,
        functions
            .iter()
            .map(|function| function.def.range)
            .collect(),
    );
    let lines = OnceCell::new();
    let emitter = |function: &SandboxFunction| Emitter {
        model,
        flow: &flow,
        source,
        lines: &lines,
        json: function.serialization == Serialization::Json,
        pickle: function.serialization == Serialization::Pickle,
        seeded: std::cell::Cell::new(false),
        drew_random: std::cell::Cell::new(false),
        iterate: std::cell::Cell::new(false),
        iterated: std::cell::RefCell::new(Vec::new()),
    };
    let captures: Vec<Vec<Capture>> = functions
        .iter()
        .map(|function| still_wanted().then(|| checker.captures(function)))
        .collect::<Option<_>>()?;
    // Each call site, resolved once, goes to the function it calls. Calls in a
    // sandbox function's body run in the sandbox, and `.local(...)` in-process: they
    // are not calls of the SDK.
    let mut call_sites: Vec<Vec<CallSite>> = vec![Vec::new(); functions.len()];
    let reached = Reached::find(model, model.module_body, functions);
    let named = model.calls.iter().filter_map(|record| {
        let called = checker.called_by_record(record)?;
        let index = functions
            .iter()
            .position(|function| std::ptr::eq(function, called))?;
        Some((index, record.call, record.scope, record.kind, record.name))
    });
    let through_attributes = reached
        .attribute_calls
        .iter()
        .map(|&(index, call, scope, kind, name)| (index, call, scope, kind, name));
    for (index, call, scope, call_kind, name) in named.chain(through_attributes) {
        if !still_wanted() {
            return None;
        }
        let called = &functions[index];
        if checker.in_sandbox_body(scope) {
            continue;
        }
        let kind = match (called.sdk, call_kind) {
            (_, CallKind::Direct) | (Sdk::Aviato, CallKind::SelfAttribute) => CallSiteKind::Direct,
            (Sdk::Cwsandbox, CallKind::Remote) => CallSiteKind::Remote,
            (Sdk::Cwsandbox, CallKind::Map) => CallSiteKind::Map,
            _ => continue,
        };
        let record = Record { call, scope, name };
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
            let loop_items = (kind == CallSiteKind::Remote && arguments.is_ok())
                .then(|| emit_loop_items(&emitter, record.call, record.scope))
                .flatten();
            let read = (record.scope, record.call.start());
            let captures = captures[index]
                .iter()
                .map(|capture| {
                    let value = captured_name(&emitter, capture, Some(read)).value;
                    (capture.name.to_string(), value)
                })
                .collect();
            let receiver = reached
                .receivers
                .iter()
                .find(|(range, _)| *range == record.call.range())
                .map(|(_, owner)| owner.clone());
            call_sites[index].push(CallSite {
                range: record.call.range(),
                kind,
                arguments,
                receiver,
                captures,
                loop_items,
            });
        }
    }
    functions
        .iter()
        .zip(call_sites)
        .zip(captures)
        .map(|((function, call_sites), captures)| {
            still_wanted().then(|| {
                facts(
                    &checker,
                    &emitter(function),
                    function,
                    &captures,
                    call_sites,
                )
            })
        })
        .collect()
}

/// A call of a sandbox function, found one way or another.
struct Record<'a, 'n> {
    call: &'a ExprCall,
    scope: ScopeId,
    name: &'n str,
}

/// Calls of sandbox functions that do not name them directly: through a name bound
/// to what a factory returns (`score, rank = build(session)`), and through an
/// attribute (`Model.predict.remote(x)`, `clf.predict.remote(x)`, aviato's
/// `Jobs.head(rows)`).
struct Reached<'a> {
    attribute_calls: Vec<(usize, &'a ExprCall, ScopeId, CallKind, &'a str)>,
    /// aviato calls through an instance (or of a classmethod): what they bind as the
    /// first argument.
    receivers: Vec<(TextRange, String)>,
}

impl<'a> Reached<'a> {
    fn find(
        model: &SemanticModel<'a>,
        body: &'a [ruff_python_ast::Stmt],
        functions: &[SandboxFunction<'a>],
    ) -> Reached<'a> {
        let mut walker = SiteWalker {
            model,
            scope: crate::semantic::MODULE_SCOPE,
            stored: Vec::new(),
            calls: Vec::new(),
        };
        for statement in body {
            ruff_python_ast::visitor::Visitor::visit_stmt(&mut walker, statement);
        }
        let index_of = |def: &ruff_python_ast::StmtFunctionDef| {
            functions
                .iter()
                .position(|function| function.def.range == def.range)
        };
        let mut attribute_calls = Vec::new();
        let mut receivers = Vec::new();
        for &(scope, call) in &walker.calls {
            let Expr::Attribute(method) = call.func.as_ref() else {
                continue;
            };
            // cwsandbox: `<owner>.<name>.remote(...)` / `.map(...)`.
            if let ("remote" | "map", Expr::Attribute(function)) =
                (method.attr.id.as_str(), method.value.as_ref())
            {
                let kind = if method.attr.id.as_str() == "map" {
                    CallKind::Map
                } else {
                    CallKind::Remote
                };
                if let Some(index) =
                    method_named(model, functions, &function.value, &function.attr, scope).or_else(
                        || {
                            stored_on_instance(
                                model,
                                &walker.stored,
                                &function.value,
                                &function.attr,
                                scope,
                            )
                            .and_then(index_of)
                        },
                    )
                {
                    attribute_calls.push((index, call, scope, kind, function.attr.id.as_str()));
                }
                continue;
            }
            // aviato: `<Class>.<name>(...)`, which binds no instance, or
            // `<instance>.<name>(...)`, which binds it (and fails on the client).
            if let Expr::Name(owner) = method.value.as_ref()
                && let Some(index) =
                    method_named(model, functions, &method.value, &method.attr, scope)
                && functions[index].sdk == Sdk::Aviato
            {
                let through_class = matches!(
                    model
                        .lookup(scope, owner.id.as_str())
                        .map(|binding| binding.kind),
                    Some(BindingKind::Class(_))
                );
                let outermost = functions[index]
                    .def
                    .decorator_list
                    .first()
                    .and_then(|decorator| decorator.expression.as_name_expr())
                    .map(|name| name.id.as_str());
                let binds = match outermost {
                    Some("staticmethod") => false,
                    Some("classmethod") => true,
                    _ => !through_class,
                };
                if binds {
                    receivers.push((call.range(), owner.id.to_string()));
                }
                attribute_calls.push((
                    index,
                    call,
                    scope,
                    CallKind::Direct,
                    method.attr.id.as_str(),
                ));
            }
        }
        Reached {
            attribute_calls,
            receivers,
        }
    }
}

/// The sandbox function `<owner>.<name>` reaches: the method of the owner's class,
/// else the one sandbox function of that name defined in a class.
/// `self.<name>.remote(...)` in a method of a class one of whose methods stored a
/// sandbox function there (`self.<name> = <function>`): that function.
fn stored_on_instance<'a>(
    model: &SemanticModel<'a>,
    stored: &[(ScopeId, &'a ruff_python_ast::StmtAssign)],
    owner: &Expr,
    name: &ruff_python_ast::Identifier,
    scope: ScopeId,
) -> Option<&'a ruff_python_ast::StmtFunctionDef> {
    let Expr::Name(owner) = owner else {
        return None;
    };
    let Some(BindingKind::Receiver {
        class,
        class_itself: false,
    }) = model
        .lookup(scope, owner.id.as_str())
        .map(|binding| binding.kind)
    else {
        return None;
    };
    let mut found = stored.iter().filter_map(|&(method, assign)| {
        let [Expr::Attribute(target)] = assign.targets.as_slice() else {
            return None;
        };
        let Expr::Name(receiver) = target.value.as_ref() else {
            return None;
        };
        if target.attr.id != name.id {
            return None;
        }
        // In a method of the same class, on its receiver.
        let parent = model.scopes[method].parent?;
        let crate::semantic::ScopeKind::Class(in_class) = model.scopes[parent].kind else {
            return None;
        };
        if !std::ptr::eq(in_class, class)
            || !matches!(
                model
                    .lookup(method, receiver.id.as_str())
                    .map(|binding| binding.kind),
                Some(BindingKind::Receiver {
                    class_itself: false,
                    ..
                })
            )
        {
            return None;
        }
        let Expr::Name(value) = assign.value.as_ref() else {
            return None;
        };
        match model.lookup(method, value.id.as_str())?.kind {
            BindingKind::Function(def) => Some(def),
            _ => None,
        }
    });
    let def = found.next()?;
    found.all(|other| std::ptr::eq(other, def)).then_some(def)
}

fn method_named(
    model: &SemanticModel,
    functions: &[SandboxFunction],
    owner: &Expr,
    name: &ruff_python_ast::Identifier,
    scope: ScopeId,
) -> Option<usize> {
    let class = match owner {
        Expr::Name(owner) => match model
            .lookup(scope, owner.id.as_str())
            .map(|binding| binding.kind)
        {
            Some(BindingKind::Class(class) | BindingKind::Receiver { class, .. }) => Some(class),
            _ => None,
        },
        _ => None,
    };
    let in_class = |function: &SandboxFunction| {
        let parent = model.scopes[function.scope].parent;
        parent.map(|parent| &model.scopes[parent].kind)
    };
    let candidates: Vec<usize> = functions
        .iter()
        .enumerate()
        .filter(|(_, function)| function.def.name.id == name.id)
        .filter(|(_, function)| match (class, in_class(function)) {
            (Some(class), Some(crate::semantic::ScopeKind::Class(found))) => {
                std::ptr::eq(class, *found)
            }
            (Some(_), _) => false,
            (None, Some(crate::semantic::ScopeKind::Class(_))) => true,
            (None, _) => false,
        })
        .map(|(index, _)| index)
        .collect();
    match candidates.as_slice() {
        [index] => Some(*index),
        _ => None,
    }
}

/// Assignments of calls and calls through attributes, with the scope each runs in.
struct SiteWalker<'m, 'a> {
    model: &'m SemanticModel<'a>,
    scope: ScopeId,
    /// `<x>.<attribute> = <name>` statements, with their scope.
    stored: Vec<(ScopeId, &'a ruff_python_ast::StmtAssign)>,
    calls: Vec<(ScopeId, &'a ExprCall)>,
}

impl<'a> ruff_python_ast::visitor::Visitor<'a> for SiteWalker<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a ruff_python_ast::Stmt) {
        use ruff_python_ast::Stmt;
        match stmt {
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                let outer = self.scope;
                if let Some(scope) = self.model.function_scope(function) {
                    self.scope = scope;
                }
                for statement in &function.body {
                    self.visit_stmt(statement);
                }
                self.scope = outer;
                return;
            }
            // `self.score = score`: a function kept on an instance.
            Stmt::Assign(assign)
                if assign.value.is_name_expr()
                    && matches!(assign.targets.as_slice(), [Expr::Attribute(_)]) =>
            {
                self.stored.push((self.scope, assign));
            }
            _ => {}
        }
        ruff_python_ast::visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && call.func.is_attribute_expr()
        {
            self.calls.push((self.scope, call));
        }
        ruff_python_ast::visitor::walk_expr(self, expr);
    }
}

/// The Python source of a user's argument list (`--args`, or typed in the
/// editor), as the SDK would send it. Literals are read as they are; a name is
/// read as the file binds it at module level at the end of `source`, so a module
/// constant the analysis finds static (`N_SAMPLES`, `(N_SAMPLES, 2)`) is accepted,
/// and anything else is refused, saying only static values are.
pub fn evaluate_arguments(source: &str, arguments: &str) -> Result<String, String> {
    let wrapped = format!("_({arguments}\n)");
    // The text alone must be one argument list, so that it cannot add statements
    // to the file it is read in.
    let parsed = ruff_python_parser::parse_expression(&wrapped)
        .map_err(|error| format!("invalid arguments: {}", error.error))?;
    if !matches!(parsed.expr(), Expr::Call(call) if matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "_"))
    {
        return Err(
            "invalid arguments: expected an argument list such as `2, 3` or `\"b\", x=[1, 2]`"
                .into(),
        );
    }
    let in_file = format!("{source}\n{wrapped}\n");
    let module = crate::parse(&in_file);
    let body = &module.module().body;
    // A file that ends inside a bracket or a string swallows the call: then the
    // arguments are read alone, as literals.
    let appended = match body.last() {
        Some(ruff_python_ast::Stmt::Expr(statement))
            if statement.start().to_usize() > source.len() =>
        {
            statement.value.as_call_expr()
        }
        _ => None,
    };
    let (body, call): (&[ruff_python_ast::Stmt], &ExprCall) = match appended {
        Some(call) => (body, call),
        None => (&[], parsed.expr().as_call_expr().expect("checked above")),
    };
    let text = if appended.is_some() {
        in_file.as_str()
    } else {
        wrapped.as_str()
    };
    let model = SemanticModel::build(body);
    let sandboxed = Finder::new(&model, SdkChoice::default())
        .sandbox_functions()
        .iter()
        .map(|function| function.def.range)
        .collect();
    let flow = Flow::build(&model, body, sandboxed);
    let lines = OnceCell::new();
    let emitter = Emitter {
        model: &model,
        flow: &flow,
        source: text,
        lines: &lines,
        json: false,
        pickle: false,
        seeded: std::cell::Cell::new(false),
        drew_random: std::cell::Cell::new(false),
        iterate: std::cell::Cell::new(false),
        iterated: std::cell::RefCell::new(Vec::new()),
    };
    emit_arguments(&emitter, call, crate::semantic::MODULE_SCOPE).map_err(|reason| {
        format!(
            "only static values are accepted: literals, or module constants whose value \
             the file fixes ({reason})"
        )
    })
}

fn facts<'a>(
    checker: &Checker<'_, 'a>,
    emitter: &Emitter<'_, 'a>,
    function: &SandboxFunction<'a>,
    captures: &[Capture<'a>],
    call_sites: Vec<CallSite>,
) -> SandboxFunctionFacts {
    let def = function.def;
    let finder = Finder {
        model: checker.model,
        sdk: Some(function.sdk),
    };
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
        working_dir: option(&finder, function, "working_dir"),
        resources: declared_resources(checker.model, function).and_then(|declared| match declared
            .verdict(checker.model)
        {
            Verdict::Valid(resources) => Some(resources),
            Verdict::Refused(_) | Verdict::Unknown => None,
        }),
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
            .map(|capture| captured_name(emitter, capture, None))
            .chain(module_dunders(checker.model, function))
            .collect(),
        call_sites,
    }
}

/// What a name bound by a module-level `from module import *` of the standard
/// library holds, as the SDK sends it; the last such import that has it wins.
fn star_imported(model: &SemanticModel, name: &str) -> Option<CapturedValue> {
    model.module_body.iter().rev().find_map(|statement| {
        let ruff_python_ast::Stmt::ImportFrom(import) = statement else {
            return None;
        };
        let module = import.module.as_ref()?.id.as_str();
        if import.level != 0
            || !import
                .names
                .iter()
                .any(|alias| alias.name.id.as_str() == "*")
        {
            return None;
        }
        if !crate::stdlib::is_module(module.split('.').next().unwrap_or(module)) {
            return Some(CapturedValue::NotStatic(format!(
                "`{name}` may come from `from {module} import *`, which the analysis does not read"
            )));
        }
        // Only the names the module has (the measured table lists them) are bound.
        Some(match measured_member(module, name)? {
            crate::stdlib_table::MemberKind::Module => {
                CapturedValue::Skipped("a module: the SDK does not send it".into())
            }
            crate::stdlib_table::MemberKind::Class => {
                CapturedValue::Skipped("a class: the SDK does not send it".into())
            }
            _ => CapturedValue::Sent(format!("{module}.{name}")),
        })
    })
}

/// What `module.member` is, as measured on the standard library.
fn measured_member(module: &str, member: &str) -> Option<crate::stdlib_table::MemberKind> {
    let table = crate::stdlib_table::MEMBERS;
    table
        .binary_search_by(|(on, name, _)| (*on, *name).cmp(&(module, member)))
        .ok()
        .map(|index| table[index].2)
}

/// `__name__` and `__file__` read in the body: globals of the client's module, which
/// the SDK sends (`"__main__"`, the script's path as the client ran it).
fn module_dunders(model: &SemanticModel, function: &SandboxFunction) -> Vec<CapturedName> {
    let mut found: Vec<CapturedName> = Vec::new();
    for scope in model.scope_and_descendants(function.scope) {
        for &id in &model.scopes[scope].uses {
            let name_use = &model.uses[id];
            if !matches!(name_use.name, "__name__" | "__file__")
                || name_use.ctx != ruff_python_ast::ExprContext::Load
                || model.resolve(scope, name_use.name) != Resolution::Builtin
                || found.iter().any(|known| known.name == name_use.name)
            {
                continue;
            }
            let value = if name_use.name == "__name__" {
                CapturedValue::Sent("'__main__'".into())
            } else {
                CapturedValue::NotStatic(
                    "`__file__` is the path the client ran the script by".into(),
                )
            };
            found.push(CapturedName {
                name: name_use.name.to_string(),
                origin: CaptureOrigin::Global,
                use_range: name_use.range,
                binding_range: None,
                value,
            });
        }
    }
    found
}

/// What the SDK sends for a captured name, read when a call in `read` (its scope and
/// offset) runs, or at the end of the scope that binds it.
fn captured_name(
    emitter: &Emitter,
    capture: &Capture,
    read: Option<(ScopeId, TextSize)>,
) -> CapturedName {
    let origin = match capture.origin {
        Origin::Global => CaptureOrigin::Global,
        Origin::Closure(_) => CaptureOrigin::Closure,
        Origin::Unbound => CaptureOrigin::Undefined,
    };
    let scope = match capture.origin {
        Origin::Closure(scope) => scope,
        _ => crate::semantic::MODULE_SCOPE,
    };
    let global_writes = || {
        emitter
            .model
            .bindings_in(crate::semantic::MODULE_SCOPE, capture.name)
            .find(|binding| binding.in_function && !emitter.flow.in_sandbox(binding.range))
    };
    let value = if capture.skipped_by_sdk() {
        let what = match &capture.kind {
            ValueKind::Module(_) => "a module",
            ValueKind::Class { .. } => "a class",
            _ => "a builtin",
        };
        CapturedValue::Skipped(format!("{what}: the SDK does not send it"))
    } else if capture.class_body_only {
        CapturedValue::Skipped(
            "read only in a class body (`LOAD_NAME`), which the SDK's scan of the bytecode never sends".into(),
        )
    } else if capture.origin == Origin::Unbound {
        match (
            star_imported(emitter.model, capture.name),
            emitter.flow.dynamic_globals,
        ) {
            (Some(value), _) => value,
            (None, Some(_)) => CapturedValue::NotStatic(emitter.unbound(capture.name)),
            (None, None) => CapturedValue::Skipped("not defined anywhere in this file".into()),
        }
    } else if capture.binding.is_none()
        && let Some(value) = star_imported(emitter.model, capture.name)
    {
        value
    } else if capture.binding.is_none() && emitter.flow.dynamic_globals.is_some() {
        CapturedValue::NotStatic(emitter.unbound(capture.name))
    } else if capture.binding.is_none() {
        match global_writes() {
            Some(write) => CapturedValue::NotStatic(format!(
                "`{}` is assigned only by a function that declares it `global` (line {}): whether it is defined when the call runs is known only by running the file",
                capture.name,
                emitter.line(write.range.start())
            )),
            None => CapturedValue::Skipped(
                "only functions assign it, so it is not defined when the SDK looks it up".into(),
            ),
        }
    } else {
        // A call in a comprehension runs where the comprehension is.
        let read = match read {
            Some((mut call_scope, offset)) => {
                while call_scope != scope
                    && matches!(
                        emitter.model.scopes[call_scope].kind,
                        crate::semantic::ScopeKind::Comprehension
                    )
                    && let Some(parent) = emitter.model.scopes[call_scope].parent
                {
                    call_scope = parent;
                }
                if call_scope == scope {
                    offset
                } else {
                    TextSize::from(u32::MAX)
                }
            }
            None => TextSize::from(u32::MAX),
        };
        match capture.binding.map(|binding| binding.kind) {
            Some(
                BindingKind::Assignment(_) | BindingKind::LoopItem { .. } | BindingKind::Parameter,
            ) => match emitter.emit_value_at(capture.name, scope, read, 0) {
                Ok(literal) => CapturedValue::Sent(literal),
                Err(reason) => CapturedValue::NotStatic(reason),
            },
            Some(BindingKind::FromImport { module, member }) if !module.is_empty() => {
                // The SDK skips classes (any `type`) and modules; `itertools.groupby`
                // and `operator.itemgetter` are classes.
                match measured_member(module, member) {
                    Some(crate::stdlib_table::MemberKind::Class) => {
                        CapturedValue::Skipped("a class: the SDK does not send it".into())
                    }
                    Some(crate::stdlib_table::MemberKind::Module) => {
                        CapturedValue::Skipped("a module: the SDK does not send it".into())
                    }
                    _ => CapturedValue::Sent(format!("{module}.{member}")),
                }
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
        let value = match argument {
            Expr::Starred(starred) => emitter
                .emit(&starred.value, scope, offset)
                .map(|value| format!("*{value}")),
            argument => emitter.emit(argument, scope, offset),
        };
        arguments
            .push(value.map_err(|reason| format!("argument {}: {reason}", arguments.len() + 1))?);
    }
    for keyword in &call.arguments.keywords {
        let value = emitter.emit(&keyword.value, scope, offset);
        arguments.push(match &keyword.arg {
            Some(name) => format!(
                "{}={}",
                name.id,
                value.map_err(|reason| format!("argument `{}`: {reason}", name.id))?
            ),
            None => format!(
                "**{}",
                value.map_err(|reason| format!("the arguments unpacked with `**`: {reason}"))?
            ),
        });
    }
    Ok(arguments.join(", "))
}

/// The arguments of a call in a `for` loop for every iteration, as `.map` items: when
/// they read the variable of exactly one enclosing loop (over static items, without
/// `break`) and are all positional.
fn emit_loop_items<'a>(
    emitter: &Emitter<'_, 'a>,
    call: &'a ExprCall,
    scope: ScopeId,
) -> Option<String> {
    if !call.arguments.keywords.is_empty() {
        return None;
    }
    emitter.iterated.borrow_mut().clear();
    emitter.iterate.set(true);
    let arguments = emit_arguments(emitter, call, scope);
    emitter.iterate.set(false);
    let iterated = std::mem::take(&mut *emitter.iterated.borrow_mut());
    let (Ok(arguments), [(loop_range, items)]) = (arguments, iterated.as_slice()) else {
        return None;
    };
    let index = crate::literal::loop_index_name(loop_range.start());
    Some(format!(
        "[({arguments},) for {index} in range(len(list({items})))]"
    ))
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

/// The environment variables the SDK gives the sandbox of `function`:
/// `environment_variables=` of the session's `SandboxDefaults(...)`, overridden by the
/// decorator's. `Err` says why they are given but not known statically.
pub fn sandbox_environment(
    source: &str,
    function: &SandboxFunctionFacts,
) -> Result<Vec<(String, String)>, String> {
    let parsed = crate::parse(source);
    let module = parsed.module();
    let model = SemanticModel::build(&module.body);
    let functions = Finder::new(&model, SdkChoice::Auto).sandbox_functions();
    let Some(found) = functions
        .iter()
        .find(|candidate| candidate.def.name.range == function.name_range)
    else {
        return Ok(Vec::new());
    };
    let finder = Finder {
        model: &model,
        sdk: Some(found.sdk),
    };
    let mut environment: Vec<(String, String)> = Vec::new();
    let mut merge = |expr: &Expr, scope: ScopeId, whose: &str| -> Result<(), String> {
        for (key, value) in string_dict(&model, expr, scope, 0)
            .map_err(|reason| format!("the environment variables of {whose}: {reason}"))?
        {
            environment.retain(|(known, _)| *known != key);
            environment.push((key, value));
        }
        Ok(())
    };
    let session = match &found.decorator.expression {
        Expr::Call(call) => call
            .func
            .as_attribute_expr()
            .map(|func| func.value.as_ref()),
        Expr::Attribute(attribute) => Some(attribute.value.as_ref()),
        _ => None,
    };
    if let Some(defaults) =
        session.and_then(|session| session_defaults(&finder, session, found.enclosing, 0))
        && let Some(keyword) = defaults.arguments.find_keyword("environment_variables")
    {
        merge(
            &keyword.value,
            found.enclosing,
            "the session's `SandboxDefaults`",
        )?;
    }
    if let Some(keyword) = found.keyword("environment_variables") {
        merge(&keyword.value, found.enclosing, "the decorator")?;
    }
    Ok(environment)
}

/// A dict of string literals, directly or through names bound once.
fn string_dict(
    model: &SemanticModel,
    expr: &Expr,
    scope: ScopeId,
    depth: u8,
) -> Result<Vec<(String, String)>, String> {
    if depth > 8 {
        return Err("they are defined too indirectly".into());
    }
    match expr {
        Expr::Dict(dict) => dict
            .items
            .iter()
            .map(|item| {
                let key = item.key.as_ref().map(|key| Literal::of(model, key, scope));
                match (key, Literal::of(model, &item.value, scope)) {
                    (Some(Literal::Str(key)), Literal::Str(value)) => Ok((key, value)),
                    _ => Err(
                        "a key or a value is not a string the file fixes, known only at run time"
                            .into(),
                    ),
                }
            })
            .collect(),
        Expr::NoneLiteral(_) => Ok(Vec::new()),
        Expr::Name(name) => {
            let Resolution::Scope(found) = model.resolve(scope, name.id.as_str()) else {
                return Err(format!("`{}` is not defined", name.id));
            };
            let bindings: Vec<_> = model.bindings_in(found, name.id.as_str()).collect();
            match bindings.as_slice() {
                [binding] => match binding.kind {
                    BindingKind::Assignment(value) => string_dict(model, value, found, depth + 1),
                    _ => Err(format!("`{}` is bound at run time", name.id)),
                },
                _ => Err(format!("`{}` is bound more than once", name.id)),
            }
        }
        _ => Err(format!(
            "`{}` is not a dict of string literals",
            "environment_variables"
        )),
    }
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
    let (call, name, scope) = sdk_call(
        finder,
        expr,
        scope,
        depth,
        &["SandboxDefaults", "Sandbox.session", "Session"],
    )?;
    if name == "SandboxDefaults" {
        return Some(call);
    }
    let argument = call.arguments.args.first().or_else(|| {
        call.arguments
            .find_keyword("defaults")
            .map(|keyword| &keyword.value)
    })?;
    session_defaults(finder, argument, scope, depth + 1)
}

/// The call of one of the SDK's `names` (`Session`, `SandboxDefaults`...) that `expr`
/// is, directly or through the names bound to it; with the name and its scope.
fn sdk_call<'a>(
    finder: &Finder<'_, 'a>,
    expr: &'a Expr,
    scope: ScopeId,
    depth: u8,
    names: &[&str],
) -> Option<(&'a ExprCall, String, ScopeId)> {
    if depth > 8 {
        return None;
    }
    match expr {
        Expr::Call(call) => {
            let qualified = finder.qualified_name(&call.func, scope, 0)?;
            let (package, name) = qualified.split_once('.')?;
            (Sdk::is_sdk_name(package) && names.contains(&name))
                .then(|| (call, name.to_string(), scope))
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
                        sdk_call(finder, value, found, depth + 1, names)
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
    let (call, ..) = sdk_call(
        &finder,
        session,
        function.enclosing,
        0,
        &["Sandbox.session", "Session"],
    )?;
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

/// The `resources=` the SDK applies to the function's sandbox: the decorator's, else
/// the session's `SandboxDefaults(...)`; `None` when neither says, or the file cannot
/// tell (`**options`).
pub(crate) fn declared_resources<'a>(
    model: &SemanticModel<'a>,
    function: &SandboxFunction<'a>,
) -> Option<DeclaredResources<'a>> {
    if let Some(keyword) = function.keyword("resources") {
        return Some(DeclaredResources {
            keyword,
            scope: function.enclosing,
            from_defaults: false,
        });
    }
    if function.has_unpacked_options() {
        return None;
    }
    let keyword = defaults_keyword(model, function, "resources")?;
    Some(DeclaredResources {
        keyword,
        // Names in the defaults are looked up from the function's scope: they are
        // the module's constants, or the enclosing function's, in the files seen.
        scope: function.enclosing,
        from_defaults: true,
    })
}

/// The keyword `name` of the `SandboxDefaults(...)` the function's session was
/// created with, when the file says.
pub(crate) fn defaults_keyword<'a>(
    model: &SemanticModel<'a>,
    function: &SandboxFunction<'a>,
    name: &str,
) -> Option<&'a ruff_python_ast::Keyword> {
    let finder = Finder {
        model,
        sdk: Some(function.sdk),
    };
    let defaults = session_defaults(&finder, function.session_expr()?, function.enclosing, 0)?;
    defaults.arguments.find_keyword(name)
}

/// Where a function's `resources=` comes from.
pub(crate) struct DeclaredResources<'a> {
    pub(crate) keyword: &'a ruff_python_ast::Keyword,
    pub(crate) scope: ScopeId,
    /// Given to the session's `SandboxDefaults(...)`, not to the decorator.
    pub(crate) from_defaults: bool,
}

impl DeclaredResources<'_> {
    pub(crate) fn verdict(&self, model: &SemanticModel) -> crate::resources::Verdict {
        crate::resources::normalize(&crate::resources::Literal::of(
            model,
            &self.keyword.value,
            self.scope,
        ))
    }
}

/// The SDK's image when neither the decorator nor the session names one.
const DEFAULT_IMAGE: &str = "python:3.11";

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
        // `load()` only returns a literal: its call is that literal.
        assert_eq!(arguments[2], Ok("(lambda : (1))()".into()));
    }

    const STATIC: &str = r#"
import math
from collections import namedtuple
from enum import Enum, IntEnum, auto
from operator import itemgetter
from cwsandbox import Session

Pair = namedtuple("Pair", "a b")
MEAN, STD = 0.5, 0.2
NAMES = ["ada", "grace"]


class Level(IntEnum):
    LOW = auto()
    HIGH = auto()


class Mode(Enum):
    FAST = "fast"


def main():
    with Session() as session:
        @session.function()
        def f(*args, **kwargs):
            return args, kwargs

        f.remote([n.upper() for n in NAMES if n], NAMES[0], ",".join(NAMES)).result()
        f.remote(Pair(1, 2), Level.HIGH, Mode.FAST.value, math.floor, list(range(5))).result()
        f.remote(**{"mean": MEAN, "std": STD}, key=itemgetter(1), tag=f"{NAMES[1]!r:>8}").result()
        f.map([(1,), (2,)])
        f.map(zip(NAMES, NAMES))
"#;

    #[test]
    fn static_values_beyond_literals() {
        let functions = sandbox_functions(STATIC, SdkChoice::Auto);
        let sites: Vec<_> = functions[0]
            .call_sites
            .iter()
            .map(|site| (site.kind, site.arguments.clone()))
            .collect();
        let expected = [
            (
                CallSiteKind::Remote,
                r#"[(n).upper() for n in [("ada"), ("grace")] if n], ([("ada"), ("grace")])[(0)], ((",")).join([("ada"), ("grace")])"#,
            ),
            (
                CallSiteKind::Remote,
                r#"namedtuple('Pair', ['a', 'b'])((1), (2)), IntEnum('Level', [('LOW', enum.auto()), ('HIGH', enum.auto())]).HIGH, ("fast"), math.floor, list(range((5)))"#,
            ),
            (
                CallSiteKind::Remote,
                r#"**{("mean"): (0.5), ("std"): (0.2)}, key=operator.itemgetter((1)), tag=''.join((''.join((format(repr(([("ada"), ("grace")])[(1)]), ''.join(('>8',))),)),))"#,
            ),
            (CallSiteKind::Map, r#"[((1),), ((2),)]"#),
            (
                CallSiteKind::Map,
                r#"zip([("ada"), ("grace")], [("ada"), ("grace")])"#,
            ),
        ];
        for (site, (kind, text)) in sites.iter().zip(expected) {
            assert_eq!(site, &(kind, Ok(text.to_owned())));
        }
        assert_eq!(sites.len(), 5);
    }

    const MUTATED: &str = r#"
import asyncio
from aviato import Sandbox

LABELS = {}
for index, name in enumerate(["cat", "dog"]):
    LABELS[index] = name
THRESHOLDS = {"cat": 0.5}
THRESHOLDS.update(dog=0.7)
MODEL = "baseline"
STEADY = [1, 2]


def register(name):
    STEADY.append(name)


async def main():
    global MODEL
    MODEL = "resnet"
    async with Sandbox.session() as session:
        threshold = 0.5

        @session.function()
        def uses(x):
            return LABELS, THRESHOLDS, MODEL, STEADY, threshold, fold, late

        threshold = 0.8
        for fold in range(3):
            pass
        await uses(1)
        late = 1

asyncio.run(main())
"#;

    #[test]
    fn values_changed_after_their_binding_are_not_guessed() {
        let functions = sandbox_functions(MUTATED, SdkChoice::Auto);
        let site = &functions[0].call_sites[0];
        let value = |name: &str| {
            site.captures
                .iter()
                .find(|(captured, _)| captured == name)
                .map(|(_, value)| value.clone())
                .unwrap()
        };
        let refused = |name: &str, needle: &str| match value(name) {
            CapturedValue::NotStatic(reason) => {
                assert!(reason.contains(needle), "{name}: {reason}")
            }
            other => panic!("{name}: {other:?}"),
        };
        refused("LABELS", "changed at line 7 (`LABELS[index] = name`)");
        refused(
            "THRESHOLDS",
            "changed at line 9 (`THRESHOLDS.update(dog=0.7)`)",
        );
        refused("MODEL", "declares it `global` (line 20)");
        refused("STEADY", "changed at line 15 (`STEADY.append(name)`)");
        refused("late", "`ValueError: Cell is empty`");
        // Rebound before the call in the same straight-line code: the last value.
        assert_eq!(value("threshold"), CapturedValue::Sent("(0.8)".into()));
        // A loop variable after its loop: the last item.
        assert_eq!(
            value("fold"),
            CapturedValue::Sent("(list(range((3)))[-1])".into())
        );
    }

    const REACHED: &str = r#"
from cwsandbox import Session


def register(session, banned):
    @session.function()
    def drop(tokens):
        return [t for t in tokens if t not in banned]

    @session.function()
    def count(tokens):
        return len(tokens)

    return drop, count


class Model:
    @staticmethod
    @session_for_class.function()
    def predict(x):
        return x


def report(values):
    print(count.remote(values).result())


with Session() as session:
    drop, count = register(session, ["spam"])
    drop.remote(["a", "spam"]).result()
    Model.predict.remote(3).result()
    report([1, 2])
"#;

    #[test]
    fn calls_through_factories_attributes_and_helpers() {
        let functions = sandbox_functions(REACHED, SdkChoice::Auto);
        let site = |name: &str| {
            let function = functions
                .iter()
                .find(|function| function.name == name)
                .unwrap();
            let [site] = function.call_sites.as_slice() else {
                panic!("{name}: {:?}", function.call_sites)
            };
            site.clone()
        };
        let drop = site("drop");
        assert_eq!(drop.arguments, Ok(r#"[("a"), ("spam")]"#.into()));
        // The factory's parameter, from its one call.
        assert_eq!(
            drop.captures,
            [(
                "banned".to_owned(),
                CapturedValue::Sent(r#"[("spam")]"#.into())
            )]
        );
        assert_eq!(site("predict").arguments, Ok("(3)".into()));
        // The helper's parameter, from its one call.
        assert_eq!(site("count").arguments, Ok("[(1), (2)]".into()));
    }

    #[test]
    fn a_call_in_a_comprehension_takes_the_first_item() {
        let source = "from cwsandbox import Session\n\nWEIGHTS = {\"a\": 1}\n\nwith Session() as session:\n    @session.function()\n    def weigh(key, scale):\n        return WEIGHTS[key] * scale\n\n    print([weigh.remote(k, 10).result() for k in sorted(WEIGHTS)])\n";
        let functions = sandbox_functions(source, SdkChoice::Auto);
        assert_eq!(
            functions[0].call_sites[0].arguments,
            Ok("(list(sorted({(\"a\"): (1)}))[0]), (10)".into())
        );
    }

    #[test]
    fn user_arguments_are_literals_or_static_module_constants() {
        assert_eq!(
            evaluate_arguments("", r#""b", x=[1, 2]"#),
            Ok(r#"("b"), x=[(1), (2)]"#.into())
        );
        assert_eq!(evaluate_arguments("", ""), Ok(String::new()));
        assert!(evaluate_arguments("", "value").is_err());
        assert!(evaluate_arguments("", "1, )(").is_err());
        // Not a way to add statements to the file.
        assert!(evaluate_arguments("", "1)\nimport os\n_(2").is_err());

        let source =
            "import os\n\nN_SAMPLES = 3\nSCALE = N_SAMPLES * 2\nHOME = os.environ['HOME']\n";
        assert_eq!(evaluate_arguments(source, "N_SAMPLES"), Ok("(3)".into()));
        assert!(
            evaluate_arguments(source, "(N_SAMPLES, SCALE), k=SCALE")
                .is_ok_and(|args| !args.contains("N_SAMPLES") && !args.contains("SCALE")),
        );
        let refused = evaluate_arguments(source, "HOME").unwrap_err();
        assert!(
            refused.starts_with("only static values are accepted"),
            "{refused}"
        );
        // A file that ends inside a bracket: the arguments are read alone.
        assert_eq!(evaluate_arguments("x = (", "2"), Ok("(2)".into()));
        assert!(evaluate_arguments("x = (", "N_SAMPLES").is_err());
    }
}
