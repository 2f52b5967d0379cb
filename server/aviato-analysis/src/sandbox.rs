//! Finding sandbox functions the way the SDK does: any `def` decorated with
//! `<expr>.function` or `<expr>.function(...)` in a file that imports the SDK, unless
//! `<expr>` provably is something else (a `modal.App`, a stdlib module). Resolving
//! `<expr>` to a session only adds knowledge; failing to resolve it never hides the
//! function.

use ruff_python_ast::{self as ast, Decorator, Expr, StmtFunctionDef};
use ruff_text_size::Ranged;

use crate::sdk::{Sdk, SdkChoice};
use crate::semantic::{BindingKind, Resolution, ScopeId, ScopeKind, SemanticModel};
use crate::stdlib;

/// The serialization mode of a sandbox function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serialization {
    /// aviato's default: pydantic's `dump_json`, which converts what it can.
    Json,
    Pickle,
    /// cwsandbox: stdlib `json.dumps`, which refuses all but JSON's own types.
    StrictJson,
    /// Not statically known, or not a `Serialization` member: mode rules stay silent.
    Unknown,
}

/// How the decorator names the session's `function` method.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DecoratorForm<'a> {
    /// `@session.function(...)`.
    Call(&'a ast::ExprCall),
    /// `@session.function`, without the call the SDK needs.
    NotCalled,
    /// `@remote(...)` or `@remote` after `remote = session.function`: never stripped.
    Alias {
        call: Option<&'a ast::ExprCall>,
        binding: ruff_text_size::TextRange,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct SandboxFunction<'a> {
    pub(crate) def: &'a StmtFunctionDef,
    /// The scope the function's body opens.
    pub(crate) scope: ScopeId,
    /// The scope the `def` statement is in.
    pub(crate) enclosing: ScopeId,
    pub(crate) decorator: &'a Decorator,
    pub(crate) form: DecoratorForm<'a>,
    pub(crate) serialization: Serialization,
    pub(crate) sdk: Sdk,
}

impl<'a> SandboxFunction<'a> {
    pub(crate) fn keyword(&self, name: &str) -> Option<&'a ast::Keyword> {
        let call = match self.form {
            DecoratorForm::Call(call)
            | DecoratorForm::Alias {
                call: Some(call), ..
            } => call,
            _ => return None,
        };
        call.arguments.find_keyword(name)
    }

    /// The `<expr>` of `@<expr>.function(...)`.
    pub(crate) fn session_expr(&self) -> Option<&'a Expr> {
        let expr = match &self.decorator.expression {
            Expr::Call(call) => call.func.as_ref(),
            expr => expr,
        };
        match expr {
            Expr::Attribute(attribute) => Some(&attribute.value),
            _ => None,
        }
    }

    /// `@session.function(**options)`: options the analysis cannot see.
    pub(crate) fn has_unpacked_options(&self) -> bool {
        match self.form {
            DecoratorForm::Call(call)
            | DecoratorForm::Alias {
                call: Some(call), ..
            } => call
                .arguments
                .keywords
                .iter()
                .any(|keyword| keyword.arg.is_none()),
            _ => false,
        }
    }

    /// The decorators the SDK keeps in the source it sends: all but `.function` ones.
    pub(crate) fn kept_decorators(&self) -> impl Iterator<Item = &'a Decorator> {
        self.def
            .decorator_list
            .iter()
            .filter(|decorator| !is_stripped_by_sdk(&decorator.expression))
    }
}

/// The SDK removes each decorator whose expression is `<anything>.function` or
/// `<anything>.function(...)`.
pub(crate) fn is_stripped_by_sdk(expr: &Expr) -> bool {
    let expr = match expr {
        Expr::Call(call) => call.func.as_ref(),
        expr => expr,
    };
    matches!(expr, Expr::Attribute(attribute) if attribute.attr.id.as_str() == "function")
}

const MAX_DEPTH: u8 = 8;

/// Frameworks whose objects also have a `.function` decorator.
const OTHER_FRAMEWORKS: &[&str] = &[
    "modal",
    "ray",
    "prefect",
    "dagster",
    "celery",
    "dask",
    "flytekit",
    "metaflow",
    "typer",
    "click",
    "fastapi",
    "flask",
    "pulumi",
    "beam",
    "apache_beam",
];

pub(crate) struct Finder<'m, 'a> {
    pub(crate) model: &'m SemanticModel<'a>,
    /// The generation the file uses; `None` when it does not import the SDK.
    pub(crate) sdk: Option<Sdk>,
}

impl<'m, 'a> Finder<'m, 'a> {
    pub(crate) fn new(model: &'m SemanticModel<'a>, choice: SdkChoice) -> Self {
        Finder {
            model,
            sdk: choice.resolve(model),
        }
    }

    /// Every sandbox function in the module, in source order.
    pub(crate) fn sandbox_functions(&self) -> Vec<SandboxFunction<'a>> {
        let Some(sdk) = self.sdk else {
            return Vec::new();
        };
        let mut functions = Vec::new();
        for (scope_id, scope) in self.model.scopes.iter().enumerate() {
            let ScopeKind::Function(def) = scope.kind else {
                continue;
            };
            let Some(enclosing) = scope.parent else {
                continue;
            };
            for decorator in &def.decorator_list {
                if let Some(form) = self.decorator_form(&decorator.expression, enclosing) {
                    let mut function = SandboxFunction {
                        def,
                        scope: scope_id,
                        enclosing,
                        decorator,
                        form,
                        serialization: Serialization::Json,
                        sdk,
                    };
                    function.serialization = self.serialization(&function, enclosing);
                    functions.push(function);
                    break;
                }
            }
        }
        functions.sort_by_key(|function| function.def.range.start());
        functions
    }

    fn decorator_form(&self, expr: &'a Expr, scope: ScopeId) -> Option<DecoratorForm<'a>> {
        let (call, target) = match expr {
            Expr::Call(call) => (Some(call), call.func.as_ref()),
            expr => (None, expr),
        };
        match target {
            Expr::Attribute(attribute) if attribute.attr.id.as_str() == "function" => {
                if self.is_something_else(&attribute.value, scope, 0) {
                    return None;
                }
                Some(call.map_or(DecoratorForm::NotCalled, DecoratorForm::Call))
            }
            Expr::Name(name) => {
                let binding = self.model.lookup(scope, name.id.as_str())?;
                let BindingKind::Assignment(value) = binding.kind else {
                    return None;
                };
                // `remote = session.function` or `sandboxed = session.function(...)`.
                let (alias_call, method) = match value {
                    Expr::Call(alias_call) => (Some(alias_call), alias_call.func.as_ref()),
                    value => (None, value),
                };
                let Expr::Attribute(attribute) = method else {
                    return None;
                };
                let is_alias = attribute.attr.id.as_str() == "function"
                    && !self.is_something_else(&attribute.value, binding.scope, 0);
                is_alias.then_some(DecoratorForm::Alias {
                    call: call.or(alias_call),
                    binding: binding.statement,
                })
            }
            _ => None,
        }
    }

    /// Whether `expr`, evaluated in `scope`, provably is not a session: it comes from
    /// a stdlib module or another framework (`app = modal.App()`).
    fn is_something_else(&self, expr: &'a Expr, scope: ScopeId, depth: u8) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match expr {
            Expr::Call(call) => self.is_something_else(&call.func, scope, depth + 1),
            Expr::Attribute(attribute) => {
                self.is_something_else(&attribute.value, scope, depth + 1)
            }
            Expr::Subscript(subscript) => {
                self.is_something_else(&subscript.value, scope, depth + 1)
            }
            Expr::Await(await_expr) => self.is_something_else(&await_expr.value, scope, depth + 1),
            Expr::Name(name) => {
                let Some(binding) = self.model.lookup(scope, name.id.as_str()) else {
                    return false;
                };
                match binding.kind {
                    BindingKind::Import { module } | BindingKind::FromImport { module, .. } => {
                        is_foreign_module(module)
                    }
                    BindingKind::Assignment(value) | BindingKind::WithItem(value) => {
                        self.is_something_else(value, binding.scope, depth + 1)
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// The dotted name `expr` refers to through imports: `SB.session` after
    /// `from aviato import Sandbox as SB` is `aviato.Sandbox.session`.
    pub(crate) fn qualified_name(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        depth: u8,
    ) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            Expr::Attribute(attribute) => {
                let base = self.qualified_name(&attribute.value, scope, depth + 1)?;
                Some(format!("{base}.{}", attribute.attr.id))
            }
            Expr::Name(name) => {
                let Resolution::Scope(found) = self.model.resolve(scope, name.id.as_str()) else {
                    return None;
                };
                let binding = self.model.bindings_in(found, name.id.as_str()).next()?;
                match binding.kind {
                    BindingKind::Import { module } => Some(module.to_string()),
                    BindingKind::FromImport { module, member } if !module.is_empty() => {
                        Some(format!("{module}.{member}"))
                    }
                    BindingKind::Assignment(value) => self.qualified_name(value, found, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn serialization(&self, function: &SandboxFunction<'a>, scope: ScopeId) -> Serialization {
        if function.sdk == Sdk::Cwsandbox {
            return Serialization::StrictJson;
        }
        let Some(keyword) = function.keyword("serialization") else {
            // `**options` may carry any mode.
            return if function.has_unpacked_options() {
                Serialization::Unknown
            } else {
                Serialization::Json
            };
        };
        match self.qualified_name(&keyword.value, scope, 0).as_deref() {
            Some("aviato.Serialization.JSON") => Serialization::Json,
            Some("aviato.Serialization.PICKLE") => Serialization::Pickle,
            _ => match &keyword.value {
                Expr::Attribute(attribute) if is_serialization_member(attribute, "PICKLE") => {
                    Serialization::Pickle
                }
                Expr::Attribute(attribute) if is_serialization_member(attribute, "JSON") => {
                    Serialization::Json
                }
                _ => Serialization::Unknown,
            },
        }
    }
}

/// A module that is neither the SDK nor unknown code that could return a session.
fn is_foreign_module(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    !Sdk::is_sdk_name(top) && (stdlib::is_module(top) || OTHER_FRAMEWORKS.contains(&top))
}

/// `Serialization.PICKLE` written against an import the analysis cannot follow.
fn is_serialization_member(attribute: &ast::ExprAttribute, member: &str) -> bool {
    attribute.attr.id.as_str() == member
        && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == "Serialization")
}

impl Ranged for SandboxFunction<'_> {
    fn range(&self) -> ruff_text_size::TextRange {
        self.def.range
    }
}
