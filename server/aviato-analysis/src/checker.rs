//! Runs every rule over the sandbox functions of one module.

use ruff_python_ast::{Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashMap;

use crate::diagnostic::{Diagnostic, Edit, Fix, FunctionRef, Related};
use crate::rules::{self, Rule};
use crate::sandbox::SandboxFunction;
use crate::semantic::{
    Binding, BindingKind, MODULE_SCOPE, NameUse, Resolution, ScopeId, ScopeKind, SemanticModel,
};
use crate::stdlib;
use crate::value::{ValueKind, Values};

pub(crate) struct Checker<'m, 'a> {
    pub(crate) source: &'a str,
    pub(crate) model: &'m SemanticModel<'a>,
    pub(crate) values: Values<'m, 'a>,
    pub(crate) functions: &'m [SandboxFunction<'a>],
    pub(crate) diagnostics: Vec<Diagnostic>,
    current: Option<FunctionRef>,
    /// Each sandbox function's index in `functions`, by the start of its `def`.
    by_def: FxHashMap<TextSize, usize>,
    /// The module's `environment_variables=` values.
    /// Whether names may be bound where no statement shows it: a star import, or
    /// `globals()[name] = value`.
    pub(crate) binds_unseen_names: bool,
    /// The last module-level `del NAME` of each deleted name.
    deleted: FxHashMap<&'a str, TextSize>,
    /// Where each sandbox function (by index) is first called, found once.
    first_calls: std::cell::OnceCell<Vec<Option<TextRange>>>,
    /// Names bound to the sandbox functions factories return, found once.
    factory_aliases: std::cell::OnceCell<Vec<(TextSize, usize)>>,
}

/// Where a name the body reads comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A module-level name: sent unless it is a module, a class or a builtin.
    Global,
    /// A local of an enclosing function: always sent.
    Closure(ScopeId),
    Unbound,
}

/// A name the function's body reads from outside itself, and what the SDK sends for it.
#[derive(Clone, Debug)]
pub(crate) struct Capture<'a> {
    pub(crate) name: &'a str,
    /// The first read in the body.
    pub(crate) first_use: TextRange,
    pub(crate) origin: Origin,
    /// The binding whose value is sent.
    pub(crate) binding: Option<Binding<'a>>,
    pub(crate) kind: ValueKind,
    /// A global read only in class bodies, which Python compiles to `LOAD_NAME`: the
    /// SDK's bytecode scan looks for `LOAD_GLOBAL` and never sends it.
    pub(crate) class_body_only: bool,
}

impl Capture<'_> {
    /// Whether the SDK skips the global: modules, classes and builtins.
    pub(crate) fn skipped_by_sdk(&self) -> bool {
        self.origin == Origin::Global
            && matches!(
                self.kind,
                ValueKind::Module(_) | ValueKind::Class { .. } | ValueKind::BuiltinFunction(_)
            )
    }

    /// Whether the SDK sends a value for this name (it may still fail to serialize).
    pub(crate) fn is_sent(&self) -> bool {
        self.origin != Origin::Unbound && !self.skipped_by_sdk() && !self.class_body_only
    }
}

impl<'m, 'a> Checker<'m, 'a> {
    pub(crate) fn new(
        source: &'a str,
        model: &'m SemanticModel<'a>,
        functions: &'m [SandboxFunction<'a>],
    ) -> Self {
        let by_def = functions
            .iter()
            .enumerate()
            .map(|(index, function)| (function.def.range.start(), index))
            .collect();
        Checker {
            source,
            model,
            values: Values { model },
            functions,
            diagnostics: Vec::new(),
            current: None,
            by_def,
            first_calls: std::cell::OnceCell::new(),
            factory_aliases: std::cell::OnceCell::new(),
            binds_unseen_names: model.has_star_import()
                || model.uses.iter().any(|name_use| name_use.name == "globals"),
            deleted: model.scopes[MODULE_SCOPE]
                .uses
                .iter()
                .map(|&id| &model.uses[id])
                .filter(|name_use| name_use.ctx == ExprContext::Del)
                .map(|name_use| (name_use.name, name_use.range.start()))
                .collect(),
        }
    }

    pub(crate) fn run(self) -> Vec<Diagnostic> {
        let (calls, by_function) = self.run_reusing(Vec::new());
        by_function.into_iter().flatten().chain(calls).collect()
    }

    /// Runs the rules, taking a function's results from `carried` where it has
    /// them. Returns the diagnostics of the module's calls, and those of each
    /// function.
    pub(crate) fn run_reusing(
        mut self,
        mut carried: Vec<Option<Vec<Diagnostic>>>,
    ) -> (Vec<Diagnostic>, Vec<Vec<Diagnostic>>) {
        carried.resize(self.functions.len(), None);
        let mut by_function = Vec::with_capacity(self.functions.len());
        for (function, carried) in self.functions.iter().zip(carried) {
            if let Some(carried) = carried {
                by_function.push(carried);
                continue;
            }
            self.current = Some(FunctionRef {
                name: function.def.name.id.to_string(),
                name_range: function.def.name.range,
            });
            let captures = self.captures(function);
            rules::check_function(&mut self, function, &captures);
            by_function.push(std::mem::take(&mut self.diagnostics));
        }
        self.current = None;
        rules::check_calls(&mut self);
        (self.diagnostics, by_function)
    }

    /// For each function, whether its body reaches out of itself: what it does
    /// there can change the results of the other functions' rules (see
    /// `reuse.rs`).
    pub(crate) fn reaching_out(&self) -> Vec<bool> {
        let model = self.model;
        let mut owner: Vec<Option<usize>> = vec![None; model.scopes.len()];
        for (index, function) in self.functions.iter().enumerate() {
            for scope in model.scope_and_descendants(function.scope) {
                owner[scope] = Some(index);
            }
        }
        let mut out = vec![false; self.functions.len()];
        let mut mark = |scope: ScopeId| {
            if let Some(index) = owner[scope] {
                out[index] = true;
            }
        };
        for (id, scope) in model.scopes.iter().enumerate() {
            if !scope.global_names.is_empty()
                || !scope.nonlocal_names.is_empty()
                || scope
                    .uses
                    .iter()
                    .any(|&use_id| model.uses[use_id].name == "globals")
            {
                mark(id);
            }
        }
        for store in &model.item_stores {
            let local = owner[store.scope].is_some_and(|index| {
                matches!(
                    model.resolve(store.scope, store.name),
                    Resolution::Scope(found) if model.is_within(found, self.functions[index].scope)
                )
            });
            if !local {
                mark(store.scope);
            }
        }
        for record in &model.calls {
            if self.called_by_record(record).is_some() {
                mark(record.scope);
            }
        }
        for (index, function) in self.functions.iter().enumerate() {
            let def = function.def;
            let body_start = def.body.first().map_or(def.end(), Ranged::start);
            let body = TextRange::new(body_start, def.end());
            if model
                .environment_keywords
                .iter()
                .any(|value| body.contains_range(value.range()))
            {
                out[index] = true;
            }
        }
        out
    }

    /// Adds a diagnostic about the function being checked.
    pub(crate) fn report(
        &mut self,
        rule: Rule,
        range: TextRange,
        message: String,
    ) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic {
            rule,
            severity: rule.default_severity(),
            message,
            range,
            related: Vec::new(),
            function: self.current.clone(),
            fix: None,
        });
        self.diagnostics.last_mut().expect("just pushed")
    }

    pub(crate) fn set_current(&mut self, function: &SandboxFunction) {
        self.current = Some(FunctionRef {
            name: function.def.name.id.to_string(),
            name_range: function.def.name.range,
        });
    }

    pub(crate) fn text(&self, ranged: impl Ranged) -> &'a str {
        &self.source[ranged.range()]
    }

    /// The names the body reads from outside the function, in order of first use.
    pub(crate) fn captures(&self, function: &SandboxFunction<'a>) -> Vec<Capture<'a>> {
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        let mut captures: Vec<Capture<'a>> = Vec::new();
        for scope in self.model.scope_and_descendants(function.scope) {
            let in_class_body = matches!(self.model.scopes[scope].kind, ScopeKind::Class(_));
            for &use_id in &self.model.scopes[scope].uses {
                let name_use = self.model.uses[use_id];
                let origin = match self.model.resolve(scope, name_use.name) {
                    Resolution::Scope(found) if self.model.is_within(found, function.scope) => {
                        continue;
                    }
                    Resolution::Scope(MODULE_SCOPE) => Origin::Global,
                    Resolution::Scope(found) => Origin::Closure(found),
                    Resolution::Builtin => continue,
                    Resolution::Unbound => Origin::Unbound,
                };
                let class_body_only = in_class_body && origin == Origin::Global;
                if let Some(&existing) = index.get(name_use.name) {
                    let capture = &mut captures[existing];
                    if name_use.range.start() < capture.first_use.start() {
                        capture.first_use = name_use.range;
                    }
                    capture.class_body_only &= class_body_only;
                    continue;
                }
                index.insert(name_use.name, captures.len());
                let mut capture = self.capture(name_use.name, name_use.range, origin);
                capture.class_body_only = class_body_only;
                captures.push(capture);
            }
        }
        captures.sort_by_key(|capture| capture.first_use.start());
        captures
    }

    fn capture(&self, name: &'a str, first_use: TextRange, origin: Origin) -> Capture<'a> {
        let scope = match origin {
            Origin::Global => MODULE_SCOPE,
            Origin::Closure(scope) => scope,
            Origin::Unbound => {
                // `from math import *` binds what the module exports.
                if let Some(kind) = self.star_imported(name) {
                    return Capture {
                        name,
                        first_use,
                        origin: Origin::Global,
                        binding: None,
                        kind,
                        class_body_only: false,
                    };
                }
                return Capture {
                    name,
                    first_use,
                    origin,
                    binding: None,
                    kind: ValueKind::Unknown,
                    class_body_only: false,
                };
            }
        };
        let mut binding = self
            .model
            .binding_at(scope, name, TextSize::from(u32::MAX))
            .copied();
        let mut kind = self.values.name_kind(name, scope, TextSize::from(u32::MAX));
        // `try: import x` / `except ImportError: x = None`: the import is what runs.
        if let Some(import) = self.fallback_import(name, scope, binding) {
            kind = self.values.binding_value(import);
            binding = Some(import);
        }
        // `del NAME` at module level: the name is gone when the function is called.
        if origin == Origin::Global && self.deleted_after(name, binding) {
            return Capture {
                name,
                first_use,
                origin: Origin::Unbound,
                binding,
                kind: ValueKind::Unknown,
                class_body_only: false,
            };
        }
        if let (
            ValueKind::Function { sandbox, .. },
            Some(Binding {
                kind: BindingKind::Function(def),
                ..
            }),
        ) = (&mut kind, binding)
        {
            *sandbox = self.is_sandbox_function(def);
        }
        Capture {
            name,
            first_use,
            origin,
            binding,
            kind,
            class_body_only: false,
        }
    }

    /// What a module-level star import gives `name`, when the table knows the module.
    fn star_imported(&self, name: &str) -> Option<ValueKind> {
        self.model.scopes[MODULE_SCOPE]
            .star_imports
            .iter()
            .find_map(|module| self.values.star_imported(module, name))
    }

    /// An import the binding is only the `except ImportError` fallback of.
    fn fallback_import(
        &self,
        name: &str,
        scope: ScopeId,
        binding: Option<Binding<'a>>,
    ) -> Option<Binding<'a>> {
        let Some(Binding {
            kind: BindingKind::Assignment(Expr::NoneLiteral(_)),
            ..
        }) = binding
        else {
            return None;
        };
        // Only the standard library is sure to be there; a third-party import may
        // well fall back.
        self.model
            .bindings_in(scope, name)
            .find(|earlier| match earlier.kind {
                BindingKind::Import { module } | BindingKind::FromImport { module, .. } => {
                    stdlib::is_module(module.split('.').next().unwrap_or(module))
                }
                _ => false,
            })
            .copied()
    }

    /// Whether a module-level `del name` follows the binding.
    fn deleted_after(&self, name: &str, binding: Option<Binding>) -> bool {
        let bound_at = binding.map_or(TextSize::default(), |binding| binding.range.start());
        self.deleted
            .get(name)
            .is_some_and(|&deleted_at| deleted_at > bound_at)
    }

    pub(crate) fn is_sandbox_function(&self, def: &ruff_python_ast::StmtFunctionDef) -> bool {
        self.by_def.contains_key(&def.range.start())
    }

    /// The first call of `function` in the module, if any.
    pub(crate) fn first_call(&self, function: &SandboxFunction) -> Option<TextRange> {
        let first_calls = self.first_calls.get_or_init(|| {
            let mut first: Vec<Option<TextRange>> = vec![None; self.functions.len()];
            for record in &self.model.calls {
                let Some(called) = self.called_by_record(record) else {
                    continue;
                };
                let Some(&index) = self.by_def.get(&called.def.range.start()) else {
                    continue;
                };
                let range = record.call.range();
                if first[index].is_none_or(|known| range.start() < known.start()) {
                    first[index] = Some(range);
                }
            }
            first
        });
        self.by_def
            .get(&function.def.range.start())
            .and_then(|&index| first_calls[index])
    }

    /// Every `environment_variables=` value in the module.
    pub(crate) fn environment_keywords(&self) -> &[&'a Expr] {
        &self.model.environment_keywords
    }

    /// Whether code in `scope` is part of a sandbox function, so it runs in the sandbox.
    pub(crate) fn in_sandbox_body(&self, scope: ScopeId) -> bool {
        self.functions
            .iter()
            .any(|function| self.model.is_within(scope, function.scope))
    }

    /// The sandbox function a recorded call calls, if any: by name, or through an
    /// attribute of `self` that a method of the class sets to one
    /// (`self.score = score`).
    pub(crate) fn called_by_record(
        &self,
        record: &crate::semantic::CallRecord<'a>,
    ) -> Option<&'m SandboxFunction<'a>> {
        if record.kind != crate::semantic::CallKind::SelfAttribute {
            return self
                .called_sandbox_function(record.name, record.scope)
                .or_else(|| self.factory_alias(record.name, record.scope));
        }
        let BindingKind::Receiver {
            class,
            class_itself: false,
        } = self.model.lookup(record.scope, "self")?.kind
        else {
            return None;
        };
        let mut found: Option<&'m SandboxFunction<'a>> = None;
        for statement in &class.body {
            let ruff_python_ast::Stmt::FunctionDef(method) = statement else {
                continue;
            };
            let Some(receiver) = method.parameters.args.first() else {
                continue;
            };
            let Some(method_scope) = self.model.function_scope(method) else {
                continue;
            };
            for assigned in attribute_assignments(
                &method.body,
                receiver.parameter.name.id.as_str(),
                record.name,
            ) {
                let function = self.called_sandbox_function(assigned, method_scope)?;
                if found.is_some_and(|known| !std::ptr::eq(known, function)) {
                    return None;
                }
                found = Some(function);
            }
        }
        found
    }

    /// The sandbox function `name`, read in `scope`, is bound to through a factory
    /// (`fit, score = build(session)`).
    fn factory_alias(&self, name: &str, scope: ScopeId) -> Option<&'m SandboxFunction<'a>> {
        let binding = self.model.lookup(scope, name)?;
        // Only a name bound by an assignment of a call can hold what a factory returns.
        if !matches!(
            binding.kind,
            BindingKind::Assignment(Expr::Call(_)) | BindingKind::Unknown
        ) {
            return None;
        }
        let aliases = self
            .factory_aliases
            .get_or_init(|| crate::factories::factory_aliases(self.model, self.functions));
        aliases
            .iter()
            .find(|(start, _)| *start == binding.range.start())
            .map(|&(_, index)| &self.functions[index])
    }

    /// The sandbox function a call of `name` in `scope` calls, if any.
    pub(crate) fn called_sandbox_function(
        &self,
        name: &str,
        scope: ScopeId,
    ) -> Option<&'m SandboxFunction<'a>> {
        let BindingKind::Function(def) = self.model.lookup(scope, name)?.kind else {
            return None;
        };
        self.by_def
            .get(&def.range.start())
            .map(|&index| &self.functions[index])
    }

    /// The reads of `name` in `scope` (and nested scopes) after `offset`.
    pub(crate) fn reads_after(
        &self,
        name: &str,
        scope: ScopeId,
        offset: TextSize,
    ) -> impl Iterator<Item = &NameUse<'a>> {
        self.model
            .scope_and_descendants(scope)
            .flat_map(|inner| self.model.scopes[inner].uses.iter())
            .filter_map(move |&id| {
                let name_use = &self.model.uses[id];
                (name_use.name == name
                    && name_use.ctx == ExprContext::Load
                    && name_use.range.start() > offset)
                    .then_some(name_use)
            })
    }

    /// An edit that adds `line` as the first statement of the function's body (after
    /// its docstring), or `None` when the body starts on the `def` line.
    pub(crate) fn insert_at_body_start(
        &self,
        function: &SandboxFunction,
        line: &str,
    ) -> Option<Edit> {
        let body = &function.def.body;
        let first = body.first()?;
        let is_docstring = matches!(first, Stmt::Expr(statement) if matches!(statement.value.as_ref(), Expr::StringLiteral(_)));
        let (anchor, after_anchor) = match body.get(1) {
            Some(next) if is_docstring => (next, false),
            None if is_docstring => (first, true),
            _ => (first, false),
        };
        let start = anchor.start().to_usize();
        let line_start = self.source[..start]
            .rfind(['\n', '\r'])
            .map_or(0, |i| i + 1);
        let indent = &self.source[line_start..start];
        if !indent.chars().all(|c| c == ' ' || c == '\t')
            || line_start <= function.def.name.end().to_usize()
        {
            return None;
        }
        Some(if after_anchor {
            Edit {
                range: TextRange::empty(anchor.end()),
                content: format!("\n{indent}{line}"),
            }
        } else {
            let line_start = TextSize::try_from(line_start).ok()?;
            Edit {
                range: TextRange::empty(line_start),
                content: format!("{indent}{line}\n"),
            }
        })
    }

    /// `(binding range, message)` for related information pointing at a capture's binding.
    pub(crate) fn related_binding(&self, capture: &Capture) -> Option<Related> {
        let binding = capture.binding?;
        let line = self
            .text(binding.statement)
            .lines()
            .next()
            .unwrap_or_default()
            .trim();
        Some(Related {
            range: binding.range,
            message: format!("`{}` is bound here: `{line}`", capture.name),
        })
    }
}

impl Diagnostic {
    pub(crate) fn with_related(&mut self, related: Option<Related>) -> &mut Diagnostic {
        self.related.extend(related);
        self
    }

    pub(crate) fn with_fix(
        &mut self,
        title: impl Into<String>,
        edits: Vec<Edit>,
    ) -> &mut Diagnostic {
        if !edits.is_empty() {
            self.fix = Some(Fix {
                title: title.into(),
                edits,
            });
        }
        self
    }
}

/// The names assigned to `receiver.attribute` in `body` (`self.score = score`), also
/// inside `if`, `with` and `try` blocks; `None`-like and other values count as names
/// that are no function, so the caller gives up.
fn attribute_assignments<'a>(
    body: &'a [ruff_python_ast::Stmt],
    receiver: &str,
    attribute: &str,
) -> Vec<&'a str> {
    use ruff_python_ast::{Expr, Stmt};
    let mut names = Vec::new();
    for statement in body {
        match statement {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Expr::Attribute(target) = target
                        && target.attr.id.as_str() == attribute
                        && matches!(target.value.as_ref(), Expr::Name(owner) if owner.id.as_str() == receiver)
                    {
                        names.push(match assign.value.as_ref() {
                            Expr::Name(value) => value.id.as_str(),
                            _ => "",
                        });
                    }
                }
            }
            Stmt::If(stmt) => {
                names.extend(attribute_assignments(&stmt.body, receiver, attribute));
                for clause in &stmt.elif_else_clauses {
                    names.extend(attribute_assignments(&clause.body, receiver, attribute));
                }
            }
            Stmt::With(stmt) => {
                names.extend(attribute_assignments(&stmt.body, receiver, attribute))
            }
            Stmt::Try(stmt) => names.extend(attribute_assignments(&stmt.body, receiver, attribute)),
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, check};

    const SERVICE: &str = r#"import asyncio
from enum import Enum
from aviato import Sandbox, SandboxDefaults

class Status(Enum):
    OK = 'ok'

class Service:
    def __init__(self, session):
        @session.function()
        def label(status):
            return status.value

        self.label = label

    async def report(self):
        CALL

async def main():
    async with Sandbox.session(SandboxDefaults()) as session:
        await Service(session).report()
"#;

    fn codes(call: &str) -> Vec<&'static str> {
        check(&SERVICE.replace("CALL", call), &Settings::default())
            .into_iter()
            .map(|d| d.rule.code())
            .collect()
    }

    #[test]
    fn a_sandbox_function_kept_on_self_is_called_through_it() {
        // The argument arrives as its value, which has no `.value`.
        assert_eq!(
            codes("print(await self.label(Status.OK))"),
            [Rule::LossyJsonConversion.code()]
        );
        // Not awaited.
        assert_eq!(
            codes("print(self.label('ok'))"),
            [Rule::MissingAwait.code()]
        );
        assert_eq!(codes("print(await self.label('ok'))"), Vec::<&str>::new());
        // Another attribute of `self` is not the sandbox function.
        assert_eq!(codes("print(self.other('ok'))"), Vec::<&str>::new());
    }
}
