//! Finding sandbox functions: `def`s decorated with `<session>.function(...)`,
//! where `<session>` is an aviato `Session` however the user obtained it.

use ruff_python_ast::{self as ast, Decorator, Expr, StmtFunctionDef};
use ruff_text_size::Ranged;

use crate::semantic::{BindingKind, Resolution, ScopeId, ScopeKind, SemanticModel};

/// The serialization mode of a sandbox function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serialization {
    Json,
    Pickle,
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

pub(crate) struct Finder<'m, 'a> {
    pub(crate) model: &'m SemanticModel<'a>,
}

impl<'a> Finder<'_, 'a> {
    /// Every sandbox function in the module, in source order.
    pub(crate) fn sandbox_functions(&self) -> Vec<SandboxFunction<'a>> {
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
                if !self.is_session(&attribute.value, scope, 0) {
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
                    && self.is_session(&attribute.value, binding.scope, 0);
                is_alias.then_some(DecoratorForm::Alias {
                    call: call.or(alias_call),
                    binding: binding.statement,
                })
            }
            _ => None,
        }
    }

    /// Whether `expr`, evaluated in `scope`, is an aviato `Session`.
    pub(crate) fn is_session(&self, expr: &'a Expr, scope: ScopeId, depth: u8) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match expr {
            Expr::Call(call) => self
                .qualified_name(&call.func, scope, depth)
                .is_some_and(|name| {
                    matches!(name.as_str(), "aviato.Sandbox.session" | "aviato.Session")
                }),
            Expr::Await(await_expr) => self.is_session(&await_expr.value, scope, depth + 1),
            Expr::Name(name) => {
                let Resolution::Scope(found) = self.model.resolve(scope, name.id.as_str()) else {
                    return false;
                };
                self.model
                    .bindings_in(found, name.id.as_str())
                    .any(|binding| match binding.kind {
                        BindingKind::WithItem(context) | BindingKind::Assignment(context) => {
                            self.is_session(context, found, depth + 1)
                        }
                        BindingKind::Parameter(parameter) => {
                            parameter.annotation.as_deref().is_some_and(|annotation| {
                                self.is_session_annotation(annotation, found, depth)
                            })
                        }
                        _ => false,
                    })
            }
            _ => false,
        }
    }

    /// `Session`, `aviato.Session`, `"Session"`, `Session | None`, `Optional[Session]`.
    fn is_session_annotation(&self, annotation: &'a Expr, scope: ScopeId, depth: u8) -> bool {
        match annotation {
            Expr::StringLiteral(text) => {
                let text = text.value.to_str();
                text == "Session" || text.ends_with(".Session")
            }
            Expr::BinOp(union) => {
                self.is_session_annotation(&union.left, scope, depth)
                    || self.is_session_annotation(&union.right, scope, depth)
            }
            Expr::Subscript(subscript) => {
                self.is_session_annotation(&subscript.slice, scope, depth)
            }
            expr => self.qualified_name(expr, scope, depth).is_some_and(|name| {
                name == "aviato.Session"
                    || name.starts_with("aviato.") && name.ends_with(".Session")
            }),
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
        let Some(keyword) = function.keyword("serialization") else {
            return Serialization::Json;
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
