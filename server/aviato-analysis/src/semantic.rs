//! Python's scopes and bindings for a whole module, built in one pass.
//!
//! Every scope (module, function, lambda, class, comprehension) records the
//! names it binds and the names it uses; [`SemanticModel::resolve`] then applies
//! Python's lookup rules: local, enclosing functions (never class bodies),
//! module, builtins.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    self as ast, Expr, ExprContext, Parameters, Pattern, Stmt, StmtClassDef, StmtFunctionDef,
};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::builtins::is_builtin;

pub(crate) type ScopeId = usize;
pub(crate) type BindingId = usize;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ScopeKind<'a> {
    Module,
    Function(&'a StmtFunctionDef),
    Lambda,
    Class(&'a StmtClassDef),
    Comprehension,
}

#[derive(Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) kind: ScopeKind<'a>,
    pub(crate) parent: Option<ScopeId>,
    pub(crate) global_names: FxHashMap<&'a str, TextRange>,
    pub(crate) nonlocal_names: FxHashSet<&'a str>,
    /// The `yield` and `yield from` expressions directly in this scope.
    pub(crate) yields: Vec<TextRange>,
    /// The `await` expressions and `async for`/`async with` statements directly in this scope.
    pub(crate) awaits: Vec<TextRange>,
    /// Whether this scope contains a star import (`from x import *`).
    pub(crate) has_star_import: bool,
    /// The modules `from module import *` takes names from in this scope.
    pub(crate) star_imports: Vec<&'a str>,
    /// The names this scope reads, deletes or declares `global` and assigns.
    pub(crate) uses: Vec<usize>,
    /// Scopes are numbered in pre-order: this one's descendants are `id + 1..end`.
    pub(crate) end: ScopeId,
}

/// How a name got its value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BindingKind<'a> {
    /// `import a.b.c` (binds `a`, `module` is `a`) or `import a.b as c` (`module` is `a.b`).
    Import {
        module: &'a str,
    },
    /// `from module import member [as name]`.
    FromImport {
        module: &'a str,
        member: &'a str,
    },
    Function(&'a StmtFunctionDef),
    Class(&'a StmtClassDef),
    /// `name = value`, `name: T = value`, `(name := value)`.
    Assignment(&'a Expr),
    /// `with context as name`.
    WithItem(&'a Expr),
    /// `for name in iterable` (`index` for `for a, b in ...`): one element at a time.
    LoopItem {
        iterable: &'a Expr,
        index: Option<usize>,
    },
    Parameter,
    /// The first parameter of a method (`self`, whatever its name): an instance of
    /// the class; of a `@classmethod`, the class itself (`class_itself`).
    Receiver {
        class: &'a StmtClassDef,
        class_itself: bool,
    },
    /// Anything whose value cannot be known: loop variables, unpacking, `+=`, `except ... as`.
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding<'a> {
    pub(crate) range: TextRange,
    /// The whole statement that binds, for related information.
    pub(crate) statement: TextRange,
    pub(crate) kind: BindingKind<'a>,
    pub(crate) scope: ScopeId,
    /// Bound by a function that declares the name `global`: it only happens when
    /// that function runs.
    pub(crate) in_function: bool,
    /// The binding of the same name in the same scope before this one.
    previous: Option<BindingId>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct NameUse<'a> {
    pub(crate) name: &'a str,
    pub(crate) range: TextRange,
    pub(crate) ctx: ExprContext,
    /// Where a read value goes: awaited, passed on, dropped...
    pub(crate) context: CallContext<'a>,
}

/// Where a name's value comes from, seen from one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// Bound in this scope (a function, the module...).
    Scope(ScopeId),
    Builtin,
    Unbound,
}

/// Where a call's result goes, for calls of plain names (`add(2, 3)`) and of their
/// `.remote`/`.map`/`.local` methods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CallContext<'a> {
    Awaited,
    /// `call().result()` or `ref.result()`.
    Retrieved,
    /// `await call().result()`: the value is awaited, not the ref.
    RetrievedThenAwaited,
    /// The test of an `if`, `while` or `assert`: only its truth is used.
    Condition,
    /// The call is a whole statement: its result is dropped.
    Statement,
    /// `name = call(...)` (also inside a list or comprehension that is assigned).
    Assigned(&'a str),
    /// An argument of another call (also inside a list or comprehension argument).
    Argument(&'a Expr),
    /// An operand: `call() + 1`, `f"{call()}"`, `call().attribute`, `call()[0]`.
    Operand,
    Other,
}

/// How a call reaches the named function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// `name(...)`.
    Direct,
    /// `name.remote(...)`: cwsandbox's call, which returns an `OperationRef`.
    Remote,
    /// `name.map(items)`: one `.remote(*item)` per item.
    Map,
    /// `name.local(...)`: the original function, in-process.
    Local,
    /// `self.name(...)`: an attribute of the instance, which may hold a sandbox
    /// function (`self.name = name` in a method).
    SelfAttribute,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct CallRecord<'a> {
    pub(crate) call: &'a ast::ExprCall,
    pub(crate) name: &'a str,
    pub(crate) kind: CallKind,
    pub(crate) scope: ScopeId,
    pub(crate) context: CallContext<'a>,
}

/// `name[key] = value` anywhere in the module: what a dict is filled with after it
/// is bound (a registry filled by a decorator, a table filled by a loop).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ItemStore<'a> {
    pub(crate) name: &'a str,
    pub(crate) key: &'a Expr,
    pub(crate) value: &'a Expr,
    pub(crate) scope: ScopeId,
}

/// `name.append(value)` or `name.add(value)` anywhere in the module: what a list or
/// set is filled with after it is bound.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ElementStore<'a> {
    pub(crate) value: &'a Expr,
    pub(crate) scope: ScopeId,
}

pub(crate) struct SemanticModel<'a> {
    /// The module's statements.
    pub(crate) module_body: &'a [Stmt],
    pub(crate) item_stores: Vec<ItemStore<'a>>,
    /// `name.append(value)` / `name.add(value)` statements, by name.
    element_stores: FxHashMap<&'a str, Vec<ElementStore<'a>>>,
    pub(crate) scopes: Vec<Scope<'a>>,
    pub(crate) bindings: Vec<Binding<'a>>,
    /// Each scope's bound names and their last binding; earlier ones follow
    /// `Binding::previous`. One map for the module, sized once: a map per scope
    /// grew, and was rehashed, for each of a large file's functions.
    last_bindings: FxHashMap<(ScopeId, &'a str), BindingId>,
    pub(crate) uses: Vec<NameUse<'a>>,
    pub(crate) calls: Vec<CallRecord<'a>>,
    /// The indexes in `calls` of the direct calls (`name(...)`) of each name.
    direct_calls: FxHashMap<&'a str, Vec<usize>>,
    /// Every `environment_variables=` value in the module, in source order.
    pub(crate) environment_keywords: Vec<&'a Expr>,
    /// The scope each function definition opens, by the definition's range start.
    function_scopes: FxHashMap<ruff_text_size::TextSize, ScopeId>,
}

pub(crate) const MODULE_SCOPE: ScopeId = 0;

impl<'a> SemanticModel<'a> {
    /// What `name.append(...)` and `name.add(...)` statements store, anywhere in the
    /// module.
    pub(crate) fn element_stores_of(&self, name: &str) -> &[ElementStore<'a>] {
        self.element_stores.get(name).map_or(&[], Vec::as_slice)
    }

    /// The direct calls (`name(...)`) of `name`, anywhere in the module.
    pub(crate) fn direct_calls_of(&self, name: &str) -> impl Iterator<Item = &CallRecord<'a>> {
        self.direct_calls
            .get(name)
            .into_iter()
            .flatten()
            .map(|&index| &self.calls[index])
    }

    pub(crate) fn build(body: &'a [Stmt]) -> SemanticModel<'a> {
        // Sized from the text's length (about one use every 10 bytes of code, one
        // binding every 30): growing them copies a large file's model over and over.
        let bytes = body.last().map_or(0, |last| last.end().to_usize());
        let mut scopes = Vec::with_capacity(bytes / 300 + 1);
        scopes.push(Scope::new(ScopeKind::Module, None));
        let mut builder = Builder {
            model: SemanticModel {
                module_body: body,
                item_stores: Vec::new(),
                element_stores: FxHashMap::default(),
                scopes,
                bindings: Vec::with_capacity(bytes / 30),
                last_bindings: FxHashMap::with_capacity_and_hasher(bytes / 30, Default::default()),
                uses: Vec::with_capacity(bytes / 10),
                calls: Vec::with_capacity(bytes / 60),
                direct_calls: FxHashMap::default(),
                environment_keywords: Vec::new(),
                function_scopes: FxHashMap::default(),
            },
            current: MODULE_SCOPE,
            statement: TextRange::default(),
            call_context: CallContext::Other,
        };
        builder.visit_body(body);
        builder.model.scopes[MODULE_SCOPE].end = builder.model.scopes.len();
        for (index, record) in builder.model.calls.iter().enumerate() {
            if record.kind == CallKind::Direct {
                builder
                    .model
                    .direct_calls
                    .entry(record.name)
                    .or_default()
                    .push(index);
            }
        }
        builder
            .model
            .environment_keywords
            .sort_by_key(|value| value.start());
        builder.model
    }

    /// `scope` and the scopes nested in it.
    pub(crate) fn scope_and_descendants(&self, scope: ScopeId) -> std::ops::Range<ScopeId> {
        scope..self.scopes[scope].end
    }

    pub(crate) fn function_scope(&self, function: &StmtFunctionDef) -> Option<ScopeId> {
        self.function_scopes.get(&function.range.start()).copied()
    }

    /// Resolves `name` as used in `scope`, following Python's rules.
    pub(crate) fn resolve(&self, scope: ScopeId, name: &str) -> Resolution {
        let mut current = scope;
        loop {
            let this = &self.scopes[current];
            if this.global_names.contains_key(name) {
                return self.resolve_global(name);
            }
            let visible = current == scope || !matches!(this.kind, ScopeKind::Class(_));
            if visible
                && !this.nonlocal_names.contains(name)
                && self.last_bindings.contains_key(&(current, name))
            {
                return Resolution::Scope(current);
            }
            match this.parent {
                Some(parent) => current = parent,
                None => return self.builtin_or_unbound(name),
            }
        }
    }

    fn resolve_global(&self, name: &str) -> Resolution {
        if self.last_bindings.contains_key(&(MODULE_SCOPE, name)) {
            Resolution::Scope(MODULE_SCOPE)
        } else {
            self.builtin_or_unbound(name)
        }
    }

    fn builtin_or_unbound(&self, name: &str) -> Resolution {
        if is_builtin(name) {
            Resolution::Builtin
        } else {
            Resolution::Unbound
        }
    }

    /// The bindings of `name` in `scope`, the last one first.
    pub(crate) fn bindings_in(
        &self,
        scope: ScopeId,
        name: &str,
    ) -> impl Iterator<Item = &Binding<'a>> {
        let last = self.last_bindings.get(&(scope, name)).copied();
        std::iter::successors(last.map(|id| &self.bindings[id]), |binding| {
            binding.previous.map(|id| &self.bindings[id])
        })
    }

    /// The last binding of `name` where it resolves from `scope`.
    pub(crate) fn lookup(&self, scope: ScopeId, name: &str) -> Option<&Binding<'a>> {
        let Resolution::Scope(found) = self.resolve(scope, name) else {
            return None;
        };
        self.bindings_in(found, name).next()
    }

    /// The binding whose value `name` has when read at `offset` in `scope`: the last
    /// one before `offset`, else the last one; `None` when only functions bind it.
    pub(crate) fn binding_at(
        &self,
        scope: ScopeId,
        name: &str,
        offset: ruff_text_size::TextSize,
    ) -> Option<&Binding<'a>> {
        // What a function assigns to a global is not there until it runs.
        let mut bindings = self
            .bindings_in(scope, name)
            .filter(|binding| !binding.in_function);
        let last = bindings.next()?;
        if last.range.start() < offset {
            return Some(last);
        }
        bindings
            .find(|binding| binding.range.start() < offset)
            .or(Some(last))
    }

    /// Whether `inner` is `outer` or nested in it.
    pub(crate) fn is_within(&self, inner: ScopeId, outer: ScopeId) -> bool {
        self.scope_and_descendants(outer).contains(&inner)
    }

    /// Whether any scope of the file has `from x import *`: names may then be bound
    /// where the analysis cannot see.
    pub(crate) fn has_star_import(&self) -> bool {
        self.scopes.iter().any(|scope| scope.has_star_import)
    }
}

impl Scope<'_> {
    fn new(kind: ScopeKind<'_>, parent: Option<ScopeId>) -> Scope<'_> {
        Scope {
            kind,
            parent,
            global_names: FxHashMap::default(),
            nonlocal_names: FxHashSet::default(),
            yields: Vec::new(),
            awaits: Vec::new(),
            has_star_import: false,
            star_imports: Vec::new(),
            uses: Vec::new(),
            end: 0,
        }
    }
}

struct Builder<'a> {
    model: SemanticModel<'a>,
    current: ScopeId,
    /// The statement being visited, recorded with each binding.
    statement: TextRange,
    /// Where the value of the expression about to be visited goes.
    call_context: CallContext<'a>,
}

impl<'a> Builder<'a> {
    fn push_scope(&mut self, kind: ScopeKind<'a>) -> ScopeId {
        let id = self.model.scopes.len();
        self.model.scopes.push(Scope::new(kind, Some(self.current)));
        self.current = id;
        id
    }

    fn pop_scope(&mut self) {
        let end = self.model.scopes.len();
        let scope = &mut self.model.scopes[self.current];
        scope.end = end;
        self.current = scope.parent.unwrap_or(MODULE_SCOPE);
    }

    fn record_use(
        &mut self,
        name: &'a str,
        range: TextRange,
        ctx: ExprContext,
        context: CallContext<'a>,
    ) {
        // Error recovery fills a missing expression with an empty name.
        if name.is_empty() {
            return;
        }
        let id = self.model.uses.len();
        self.model.uses.push(NameUse {
            name,
            range,
            ctx,
            context,
        });
        self.model.scopes[self.current].uses.push(id);
    }

    fn bind_in(&mut self, scope: ScopeId, name: &'a str, range: TextRange, kind: BindingKind<'a>) {
        // An assignment to a `global` name binds the module's name.
        let in_function = self.model.scopes[scope].global_names.contains_key(name);
        if in_function {
            self.record_use(name, range, ExprContext::Store, CallContext::Other);
        }
        let scope = if in_function { MODULE_SCOPE } else { scope };
        let id = self.model.bindings.len();
        let previous = self.model.last_bindings.insert((scope, name), id);
        self.model.bindings.push(Binding {
            range,
            statement: self.statement,
            kind,
            scope,
            in_function,
            previous,
        });
    }

    fn bind(&mut self, name: &'a str, range: TextRange, kind: BindingKind<'a>) {
        self.bind_in(self.current, name, range, kind);
    }

    /// Binds every name in an assignment target; a plain name gets `value`.
    fn bind_target(&mut self, target: &'a Expr, value: Option<&'a Expr>) {
        match (target, value) {
            (Expr::Name(name), Some(value)) => {
                self.bind(name.id.as_str(), name.range, BindingKind::Assignment(value));
            }
            // `MEAN, STD = 0.5, 0.2`: each name gets its element.
            (Expr::Tuple(_) | Expr::List(_), Some(value))
                if unpacked_pairs(target, value).is_some() =>
            {
                for (name, element) in unpacked_pairs(target, value).into_iter().flatten() {
                    self.bind_target(name, Some(element));
                }
            }
            _ => self.visit_expr(target),
        }
    }

    /// Binds the targets of `for target in iterable`.
    fn bind_loop_target(&mut self, target: &'a Expr, iterable: &'a Expr) {
        match target {
            Expr::Name(name) => self.bind(
                name.id.as_str(),
                name.range,
                BindingKind::LoopItem {
                    iterable,
                    index: None,
                },
            ),
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. })
                if elts.iter().all(Expr::is_name_expr) =>
            {
                for (index, element) in elts.iter().enumerate() {
                    if let Expr::Name(name) = element {
                        self.bind(
                            name.id.as_str(),
                            name.range,
                            BindingKind::LoopItem {
                                iterable,
                                index: Some(index),
                            },
                        );
                    }
                }
            }
            _ => self.visit_expr(target),
        }
    }

    fn visit_expr_in(&mut self, expr: &'a Expr, context: CallContext<'a>) {
        self.call_context = context;
        self.visit_expr(expr);
    }

    /// The context of a container's elements: still stored or passed on when the
    /// container is, else nothing.
    fn element_context(context: CallContext<'a>) -> CallContext<'a> {
        match context {
            CallContext::Assigned(_) | CallContext::Argument(_) => context,
            _ => CallContext::Other,
        }
    }

    fn bind_parameters(&mut self, parameters: &'a Parameters) {
        for parameter in parameters.iter() {
            let parameter = parameter.as_parameter();
            self.bind(
                parameter.name.id.as_str(),
                parameter.name.range,
                BindingKind::Parameter,
            );
        }
    }

    /// Rebinds a method's first parameter as its receiver.
    fn bind_receiver(&mut self, method: &'a StmtFunctionDef, class: &'a StmtClassDef) {
        let decorated = |name: &str| {
            method.decorator_list.iter().any(
                |decorator| matches!(&decorator.expression, Expr::Name(n) if n.id.as_str() == name),
            )
        };
        if decorated("staticmethod") {
            return;
        }
        let Some(first) = method
            .parameters
            .posonlyargs
            .iter()
            .chain(&method.parameters.args)
            .next()
        else {
            return;
        };
        let name = &first.parameter.name;
        self.bind(
            name.id.as_str(),
            name.range,
            BindingKind::Receiver {
                class,
                class_itself: decorated("classmethod"),
            },
        );
    }

    /// Visits what a definition evaluates in the enclosing scope: decorators,
    /// defaults and annotations.
    fn visit_parameter_defaults_and_annotations(&mut self, parameters: &'a Parameters) {
        visitor::walk_parameters(self, parameters);
    }

    fn visit_comprehension_scope(
        &mut self,
        generators: &'a [ast::Comprehension],
        elements: &[&'a Expr],
    ) {
        let element_context = Self::element_context(self.call_context);
        self.call_context = CallContext::Other;
        let Some((first, _)) = generators.split_first() else {
            return;
        };
        // The first iterable is evaluated in the enclosing scope.
        self.visit_expr(&first.iter);
        self.push_scope(ScopeKind::Comprehension);
        for (index, generator) in generators.iter().enumerate() {
            if index > 0 {
                self.visit_expr(&generator.iter);
            }
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr_in(element, element_context);
        }
        self.pop_scope();
    }

    /// The nearest scope that is not a comprehension: where `:=` binds.
    fn walrus_scope(&self) -> ScopeId {
        let mut scope = self.current;
        while self.model.scopes[scope].kind == ScopeKind::Comprehension {
            scope = self.model.scopes[scope].parent.unwrap_or(MODULE_SCOPE);
        }
        scope
    }
}

impl<'a> Builder<'a> {
    fn record_keyword(&mut self, keyword: &'a ast::Keyword) {
        if keyword
            .arg
            .as_ref()
            .is_some_and(|arg| arg.id.as_str() == "environment_variables")
        {
            self.model.environment_keywords.push(&keyword.value);
        }
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    /// A class's keywords (a call's are seen where the call is).
    fn visit_keyword(&mut self, keyword: &'a ast::Keyword) {
        self.record_keyword(keyword);
        visitor::walk_keyword(self, keyword);
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let outer_statement = self.statement;
        self.statement = stmt.range();
        match stmt {
            Stmt::If(if_stmt) => {
                self.visit_expr_in(&if_stmt.test, CallContext::Condition);
                self.visit_body(&if_stmt.body);
                for clause in &if_stmt.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.visit_expr_in(test, CallContext::Condition);
                    }
                    self.visit_body(&clause.body);
                }
            }
            Stmt::While(while_stmt) => {
                self.visit_expr_in(&while_stmt.test, CallContext::Condition);
                self.visit_body(&while_stmt.body);
                self.visit_body(&while_stmt.orelse);
            }
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.visit_parameter_defaults_and_annotations(&function.parameters);
                if let Some(returns) = &function.returns {
                    self.visit_annotation(returns);
                }
                self.bind(
                    function.name.id.as_str(),
                    function.name.range,
                    BindingKind::Function(function),
                );
                let class = match self.model.scopes[self.current].kind {
                    ScopeKind::Class(class) => Some(class),
                    _ => None,
                };
                let scope = self.push_scope(ScopeKind::Function(function));
                self.model
                    .function_scopes
                    .insert(function.range.start(), scope);
                if let Some(type_params) = &function.type_params {
                    self.visit_type_params(type_params);
                }
                self.bind_parameters(&function.parameters);
                if let Some(class) = class {
                    self.bind_receiver(function, class);
                }
                self.visit_body(&function.body);
                self.pop_scope();
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.bind(
                    class.name.id.as_str(),
                    class.name.range,
                    BindingKind::Class(class),
                );
                self.push_scope(ScopeKind::Class(class));
                if let Some(type_params) = &class.type_params {
                    self.visit_type_params(type_params);
                }
                self.visit_body(&class.body);
                self.pop_scope();
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let dotted = alias.name.id.as_str();
                    match &alias.asname {
                        Some(asname) => self.bind(
                            asname.id.as_str(),
                            asname.range,
                            BindingKind::Import { module: dotted },
                        ),
                        None => {
                            let top = dotted.split('.').next().unwrap_or(dotted);
                            self.bind(top, alias.name.range, BindingKind::Import { module: top });
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let module = import
                    .module
                    .as_ref()
                    .map_or("", |module| module.id.as_str());
                for alias in &import.names {
                    let member = alias.name.id.as_str();
                    if member == "*" {
                        let scope = &mut self.model.scopes[self.current];
                        scope.has_star_import = true;
                        if !module.is_empty() && import.level == 0 {
                            scope.star_imports.push(module);
                        }
                        continue;
                    }
                    let (name, range) = match &alias.asname {
                        Some(asname) => (asname.id.as_str(), asname.range),
                        None => (member, alias.name.range),
                    };
                    let module = if import.level > 0 { "" } else { module };
                    self.bind(name, range, BindingKind::FromImport { module, member });
                }
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    self.model.scopes[self.current]
                        .global_names
                        .insert(name.id.as_str(), name.range);
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.model.scopes[self.current]
                        .nonlocal_names
                        .insert(name.id.as_str());
                }
            }
            Stmt::Expr(statement) => {
                if let Expr::Call(call) = statement.value.as_ref()
                    && let Expr::Attribute(method) = call.func.as_ref()
                    && matches!(method.attr.id.as_str(), "append" | "add")
                    && let Expr::Name(name) = method.value.as_ref()
                    && let [value] = &*call.arguments.args
                    && call.arguments.keywords.is_empty()
                {
                    self.model
                        .element_stores
                        .entry(name.id.as_str())
                        .or_default()
                        .push(ElementStore {
                            value,
                            scope: self.current,
                        });
                }
                self.visit_expr_in(&statement.value, CallContext::Statement);
            }
            Stmt::Assign(assign) => {
                let context = match assign.targets.as_slice() {
                    [Expr::Name(name)] => CallContext::Assigned(name.id.as_str()),
                    _ => CallContext::Other,
                };
                self.visit_expr_in(&assign.value, context);
                for target in &assign.targets {
                    if let Expr::Subscript(subscript) = target
                        && let Expr::Name(name) = subscript.value.as_ref()
                    {
                        self.model.item_stores.push(ItemStore {
                            name: name.id.as_str(),
                            key: &subscript.slice,
                            value: &assign.value,
                            scope: self.current,
                        });
                    }
                    self.bind_target(target, Some(&assign.value));
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    let context = match assign.target.as_ref() {
                        Expr::Name(name) => CallContext::Assigned(name.id.as_str()),
                        _ => CallContext::Other,
                    };
                    self.visit_expr_in(value, context);
                }
                // Annotations of a function's local variables are never evaluated.
                if !matches!(self.model.scopes[self.current].kind, ScopeKind::Function(_)) {
                    self.visit_annotation(&assign.annotation);
                }
                match &assign.value {
                    Some(value) => self.bind_target(&assign.target, Some(value)),
                    // `x: int` alone binds nothing.
                    None if assign.target.is_name_expr() => {}
                    None => self.visit_expr(&assign.target),
                }
            }
            Stmt::AugAssign(assign) => {
                self.visit_expr(&assign.value);
                if let Expr::Name(name) = assign.target.as_ref() {
                    self.record_use(
                        name.id.as_str(),
                        name.range,
                        ExprContext::Load,
                        CallContext::Other,
                    );
                }
                self.visit_expr(&assign.target);
            }
            Stmt::With(with) => {
                if with.is_async {
                    self.model.scopes[self.current].awaits.push(with.range);
                }
                for item in &with.items {
                    self.visit_expr(&item.context_expr);
                    match item.optional_vars.as_deref() {
                        Some(Expr::Name(name)) => self.bind(
                            name.id.as_str(),
                            name.range,
                            BindingKind::WithItem(&item.context_expr),
                        ),
                        Some(target) => self.visit_expr(target),
                        None => {}
                    }
                }
                self.visit_body(&with.body);
            }
            Stmt::For(for_stmt) => {
                if for_stmt.is_async {
                    self.model.scopes[self.current].awaits.push(for_stmt.range);
                }
                // Iterated: whatever the iterable holds goes to the loop's variable,
                // not to the context the previous statement left.
                self.visit_expr_in(&for_stmt.iter, CallContext::Other);
                self.bind_loop_target(&for_stmt.target, &for_stmt.iter);
                self.visit_body(&for_stmt.body);
                self.visit_body(&for_stmt.orelse);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
        self.statement = outer_statement;
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(inner) = handler;
        if let Some(name) = &inner.name {
            self.bind(name.id.as_str(), name.range, BindingKind::Unknown);
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        let name = match pattern {
            Pattern::MatchAs(pattern) => pattern.name.as_ref(),
            Pattern::MatchStar(pattern) => pattern.name.as_ref(),
            Pattern::MatchMapping(pattern) => pattern.rest.as_ref(),
            _ => None,
        };
        if let Some(name) = name {
            self.bind(name.id.as_str(), name.range, BindingKind::Unknown);
        }
        visitor::walk_pattern(self, pattern);
    }

    fn visit_type_param(&mut self, type_param: &'a ast::TypeParam) {
        let name = type_param.name();
        self.bind(name.id.as_str(), name.range, BindingKind::Unknown);
        visitor::walk_type_param(self, type_param);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        let context = std::mem::replace(&mut self.call_context, CallContext::Other);
        match expr {
            Expr::Call(call) => {
                if let Some((name, kind)) = called_name(&call.func) {
                    self.model.calls.push(CallRecord {
                        call,
                        name,
                        kind,
                        scope: self.current,
                        context,
                    });
                }
                match call.func.as_ref() {
                    Expr::Attribute(method) if method.attr.id.as_str() == "result" => {
                        let retrieved = if context == CallContext::Awaited {
                            CallContext::RetrievedThenAwaited
                        } else {
                            CallContext::Retrieved
                        };
                        self.visit_expr_in(&method.value, retrieved);
                    }
                    func => self.visit_expr(func),
                }
                for argument in &call.arguments.args {
                    self.visit_expr_in(argument, CallContext::Argument(&call.func));
                }
                for keyword in &call.arguments.keywords {
                    self.record_keyword(keyword);
                    self.visit_expr_in(&keyword.value, CallContext::Argument(&call.func));
                }
            }
            Expr::Await(await_expr) => {
                self.model.scopes[self.current].awaits.push(expr.range());
                self.visit_expr_in(&await_expr.value, CallContext::Awaited);
            }
            Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) | Expr::Starred(_) | Expr::Dict(_) => {
                self.call_context = Self::element_context(context);
                visitor::walk_expr(self, expr);
            }
            Expr::BinOp(_)
            | Expr::Compare(_)
            | Expr::BoolOp(_)
            | Expr::UnaryOp(_)
            | Expr::FString(_)
            | Expr::Attribute(_)
            | Expr::Subscript(_) => {
                self.call_context = CallContext::Operand;
                visitor::walk_expr(self, expr);
            }
            Expr::Name(name) => match name.ctx {
                ExprContext::Store => self.bind(name.id.as_str(), name.range, BindingKind::Unknown),
                ctx => self.record_use(name.id.as_str(), name.range, ctx, context),
            },
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameter_defaults_and_annotations(parameters);
                }
                self.push_scope(ScopeKind::Lambda);
                if let Some(parameters) = &lambda.parameters {
                    self.bind_parameters(parameters);
                }
                self.visit_expr(&lambda.body);
                self.pop_scope();
            }
            Expr::ListComp(comp) => {
                self.call_context = context;
                self.visit_comprehension_scope(&comp.generators, &[&comp.elt]);
            }
            Expr::SetComp(comp) => {
                self.call_context = context;
                self.visit_comprehension_scope(&comp.generators, &[&comp.elt]);
            }
            Expr::Generator(comp) => {
                self.call_context = context;
                self.visit_comprehension_scope(&comp.generators, &[&comp.elt]);
            }
            Expr::DictComp(comp) => {
                self.call_context = context;
                let elements: Vec<&'a Expr> = comp
                    .key
                    .iter()
                    .map(AsRef::as_ref)
                    .chain([&*comp.value])
                    .collect();
                self.visit_comprehension_scope(&comp.generators, &elements);
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                if let Expr::Name(name) = named.target.as_ref() {
                    let scope = self.walrus_scope();
                    self.bind_in(
                        scope,
                        name.id.as_str(),
                        name.range,
                        BindingKind::Assignment(&named.value),
                    );
                }
            }
            Expr::Yield(_) | Expr::YieldFrom(_) => {
                self.model.scopes[self.current].yields.push(expr.range());
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// `(name, element)` pairs of `a, b = x, y`, when both sides have the same length
/// and no starred element.
fn unpacked_pairs<'a>(target: &'a Expr, value: &'a Expr) -> Option<Vec<(&'a Expr, &'a Expr)>> {
    let elements = |expr: &'a Expr| match expr {
        Expr::Tuple(tuple) => Some(&tuple.elts),
        Expr::List(list) => Some(&list.elts),
        _ => None,
    };
    let (targets, values) = (elements(target)?, elements(value)?);
    let plain = |elts: &[Expr]| !elts.iter().any(Expr::is_starred_expr);
    (targets.len() == values.len() && plain(targets) && plain(values))
        .then(|| targets.iter().zip(values.iter()).collect())
}

/// The function a call names: `name(...)`, or `name.remote/map/local(...)`.
fn called_name(func: &Expr) -> Option<(&str, CallKind)> {
    match func {
        Expr::Name(name) => Some((name.id.as_str(), CallKind::Direct)),
        Expr::Attribute(method) => {
            let Expr::Name(name) = method.value.as_ref() else {
                return None;
            };
            let kind = match method.attr.id.as_str() {
                "remote" => CallKind::Remote,
                "map" => CallKind::Map,
                "local" => CallKind::Local,
                attr if name.id.as_str() == "self" => {
                    return Some((attr, CallKind::SelfAttribute));
                }
                _ => return None,
            };
            Some((name.id.as_str(), kind))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn function_scope(model: &SemanticModel, function: &str) -> ScopeId {
        model
            .scopes
            .iter()
            .position(|scope| matches!(scope.kind, ScopeKind::Function(def) if def.name.id.as_str() == function))
            .unwrap()
    }

    fn resolve_in_function(
        source: &str,
        function: &str,
        name: &str,
    ) -> (Resolution, Option<ScopeId>) {
        let parsed = parse_module(source).unwrap();
        let model = SemanticModel::build(&parsed.syntax().body);
        let outer = model.scopes.iter().any(|scope| matches!(scope.kind, ScopeKind::Function(def) if def.name.id.as_str() == "outer"));
        (
            model.resolve(function_scope(&model, function), name),
            outer.then(|| function_scope(&model, "outer")),
        )
    }

    #[test]
    fn python_lookup_rules() {
        let source = "
import math
X = 1
class C:
    Y = 2
    def method(self):
        return Y
def outer():
    z = 3
    def inner():
        global X
        return z, X, len, nothing
    return inner
";
        let (z, outer) = resolve_in_function(source, "inner", "z");
        assert_eq!(Some(z), outer.map(Resolution::Scope));
        assert_eq!(
            resolve_in_function(source, "inner", "X").0,
            Resolution::Scope(MODULE_SCOPE)
        );
        assert_eq!(
            resolve_in_function(source, "inner", "len").0,
            Resolution::Builtin
        );
        assert_eq!(
            resolve_in_function(source, "inner", "nothing").0,
            Resolution::Unbound
        );
        // Class bodies are not enclosing scopes for their methods.
        assert_eq!(
            resolve_in_function(source, "method", "Y").0,
            Resolution::Unbound
        );
        assert_eq!(
            resolve_in_function(source, "method", "math").0,
            Resolution::Scope(MODULE_SCOPE)
        );
    }
}
