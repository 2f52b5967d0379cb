//! Sandbox functions a factory returns: `fit, score = build(session)` binds `fit`
//! and `score` to the sandbox functions `build` defines and returns, and their calls
//! are theirs.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt, StmtAssign, StmtFunctionDef};
use ruff_text_size::TextSize;

use crate::sandbox::SandboxFunction;
use crate::semantic::{BindingKind, ScopeId, SemanticModel};

/// Where a name is bound to a sandbox function a factory returns: the start of the
/// name's binding, and the function's index in `functions`.
pub(crate) fn factory_aliases<'a>(
    model: &SemanticModel<'a>,
    functions: &[SandboxFunction<'a>],
) -> Vec<(TextSize, usize)> {
    let mut assigns = Assigns(Vec::new(), crate::semantic::MODULE_SCOPE, model);
    for statement in model.module_body {
        assigns.visit_stmt(statement);
    }
    let index_of = |def: &StmtFunctionDef| {
        functions
            .iter()
            .position(|function| function.def.range == def.range)
    };
    let mut aliases = Vec::new();
    for &(scope, assign) in &assigns.0 {
        let Expr::Call(call) = assign.value.as_ref() else {
            continue;
        };
        let Some(factory) = called_def(model, &call.func, scope) else {
            continue;
        };
        let Some(returned) = returned_names(factory) else {
            continue;
        };
        let Some(factory_scope) = model.function_scope(factory) else {
            continue;
        };
        let sandbox = |name: &str| match model.lookup(factory_scope, name)?.kind {
            BindingKind::Function(def) => index_of(def),
            _ => None,
        };
        match (assign.targets.as_slice(), returned.as_slice()) {
            ([Expr::Name(target)], [single]) => {
                if let Some(index) = sandbox(single) {
                    aliases.push((target.range.start(), index));
                }
            }
            (
                [
                    Expr::Tuple(ruff_python_ast::ExprTuple { elts, .. })
                    | Expr::List(ruff_python_ast::ExprList { elts, .. }),
                ],
                many,
            ) if elts.len() == many.len() => {
                for (target, name) in elts.iter().zip(many) {
                    if let (Expr::Name(target), Some(index)) = (target, sandbox(name)) {
                        aliases.push((target.range.start(), index));
                    }
                }
            }
            _ => {}
        }
    }
    aliases
}

/// The assignments of a call's value, with their scope.
struct Assigns<'m, 'a>(
    Vec<(ScopeId, &'a StmtAssign)>,
    ScopeId,
    &'m SemanticModel<'a>,
);

impl<'a> Visitor<'a> for Assigns<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => {
                let outer = self.1;
                if let Some(scope) = self.2.function_scope(function) {
                    self.1 = scope;
                }
                for statement in &function.body {
                    self.visit_stmt(statement);
                }
                self.1 = outer;
                return;
            }
            Stmt::Assign(assign) if assign.value.is_call_expr() => {
                self.0.push((self.1, assign));
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }
}

/// The function a call's callee names: `build(...)`, `self.build(...)`.
fn called_def<'a>(
    model: &SemanticModel<'a>,
    func: &Expr,
    scope: ScopeId,
) -> Option<&'a StmtFunctionDef> {
    match func {
        Expr::Name(name) => match model.lookup(scope, name.id.as_str())?.kind {
            BindingKind::Function(def) => Some(def),
            _ => None,
        },
        Expr::Attribute(attribute) => {
            let Expr::Name(owner) = attribute.value.as_ref() else {
                return None;
            };
            let class = match model.lookup(scope, owner.id.as_str())?.kind {
                BindingKind::Receiver { class, .. } | BindingKind::Class(class) => class,
                _ => return None,
            };
            class.body.iter().find_map(|statement| match statement {
                Stmt::FunctionDef(def) if def.name.id == attribute.attr.id => Some(def),
                _ => None,
            })
        }
        _ => None,
    }
}

/// The names a function returns, when every `return` of its body (outside nested
/// functions) returns the same name or tuple of names.
fn returned_names(def: &StmtFunctionDef) -> Option<Vec<String>> {
    fn returns<'s>(body: &'s [Stmt], found: &mut Vec<&'s Expr>) {
        for statement in body {
            match statement {
                Stmt::Return(ret) => {
                    if let Some(value) = &ret.value {
                        found.push(value);
                    }
                }
                Stmt::If(stmt) => {
                    returns(&stmt.body, found);
                    for clause in &stmt.elif_else_clauses {
                        returns(&clause.body, found);
                    }
                }
                Stmt::With(stmt) => returns(&stmt.body, found),
                Stmt::Try(stmt) => {
                    returns(&stmt.body, found);
                    returns(&stmt.orelse, found);
                    returns(&stmt.finalbody, found);
                }
                Stmt::For(stmt) => returns(&stmt.body, found),
                Stmt::While(stmt) => returns(&stmt.body, found),
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    returns(&def.body, &mut found);
    let names = |expr: &Expr| -> Option<Vec<String>> {
        match expr {
            Expr::Name(name) => Some(vec![name.id.to_string()]),
            Expr::Tuple(tuple) => tuple
                .elts
                .iter()
                .map(|element| match element {
                    Expr::Name(name) => Some(name.id.to_string()),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    };
    let (first, rest) = found.split_first()?;
    let first = names(first)?;
    rest.iter()
        .all(|other| names(other).as_ref() == Some(&first))
        .then_some(first)
}
