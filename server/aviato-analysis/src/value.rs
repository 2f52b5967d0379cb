//! The static kind of a value: what an expression evaluates to, as far as the
//! code says. Anything that depends on an unknown call stays [`ValueKind::Unknown`].

use ruff_python_ast::{self as ast, Expr, Number, Operator, StmtClassDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::builtins::{is_builtin, is_builtin_class};
use crate::sdk::Sdk;
use crate::semantic::{BindingKind, Resolution, ScopeId, ScopeKind, SemanticModel};
use crate::stdlib::{self, Member};
use crate::stdlib_table::{Fate, TypeFacts};

/// Whether a dict comprehension's key is the counter of `enumerate(...)` or a
/// `range(...)` item, so an int.
fn counter_key(comp: &ast::ExprDictComp) -> bool {
    let Some(Expr::Name(key)) = comp.key.as_deref() else {
        return false;
    };
    let Some(generator) = comp.generators.first() else {
        return false;
    };
    let Expr::Call(call) = &generator.iter else {
        return false;
    };
    let callee = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        _ => return false,
    };
    let counter = match (&generator.target, callee) {
        (Expr::Name(target), "range") => target,
        (Expr::Tuple(targets), "enumerate") => match targets.elts.first() {
            Some(Expr::Name(target)) => target,
            _ => return false,
        },
        _ => return false,
    };
    counter.id == key.id
}

/// Whether an expression's kind shows in its syntax, whatever its names hold: a
/// literal, an f-string, a call of a class by name (`Sample(row)`, `tuple(p)`).
pub(crate) fn kind_is_syntactic(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::FString(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::Dict(_)
        | Expr::Set(_)
        | Expr::Lambda(_) => true,
        Expr::Call(call) => matches!(
            call.func.as_ref(),
            Expr::Name(name) if name.id.starts_with(|c: char| c.is_ascii_uppercase())
                || matches!(name.id.as_str(), "tuple" | "set" | "frozenset" | "bytes")
        ),
        _ => false,
    }
}

/// The name a call's callee is written as: `Point` in `Point(1, 2)`.
fn called_name(func: &Expr) -> Option<&str> {
    match func {
        Expr::Name(name) => Some(name.id.as_str()),
        _ => None,
    }
}

/// The kind of `module.member` from the standard library.
fn member_kind(module: &str, member: &str) -> ValueKind {
    match stdlib::member(module, member) {
        Some(Member::Module) => ValueKind::Module(format!("{module}.{member}")),
        Some(Member::Class) => ValueKind::Class {
            name: format!("{module}.{member}"),
            in_script: false,
        },
        Some(Member::Function) => ValueKind::ImportedFunction(format!("{module}.{member}")),
        Some(Member::Value(kind)) => kind,
        None => ValueKind::Unknown,
    }
}

/// What a member of the SDK's package is: the classes whose objects users hold.
fn sdk_member(member: &str) -> ValueKind {
    match member {
        "Session" | "Sandbox" | "SandboxDefaults" => ValueKind::Class {
            name: format!("cwsandbox.{member}"),
            in_script: false,
        },
        _ => ValueKind::Unknown,
    }
}

/// "a list", "a str": how a conversion's target reads in a message.
fn becomes(type_name: &'static str) -> &'static str {
    match type_name {
        "list" => "a list",
        "str" => "a str",
        "dict" => "a dict",
        "int" => "an int",
        "float" => "a float",
        "NoneType" => "`None`",
        _ => "another type",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ValueKind {
    None,
    Bool,
    Int,
    Float,
    Str,
    List,
    Dict,
    /// A dict literal with non-string keys, which JSON turns into strings.
    DictNonStrKeys,
    /// A `Counter`, `defaultdict` or `OrderedDict`: JSON sends a plain dict.
    DictSubclass {
        class: &'static str,
        /// A `defaultdict` whose factory is a lambda, which pickle refuses.
        lambda_factory: bool,
    },
    Tuple,
    Set,
    FrozenSet,
    /// A `bytes` value; `utf8` when it decodes as UTF-8.
    Bytes {
        utf8: bool,
    },
    /// `nan` or an infinity, which JSON turns into `null`.
    NonFiniteFloat,
    /// A value of a stdlib type JSON turns into a string: `datetime`, `Decimal`, `Path`, `UUID`...
    StringLike(&'static str),
    /// A `deque`, which JSON turns into a list.
    Deque,
    EnumMember {
        class: String,
        in_script: bool,
        /// An `IntEnum`, `StrEnum` or `IntFlag`, or an enum mixing in `int` or `str`:
        /// strict JSON sends its value.
        scalar: bool,
    },
    DataclassInstance {
        class: String,
    },
    /// An instance of a named tuple class the file defines: a tuple to JSON, a
    /// reference to `__main__` to pickle.
    NamedTupleInstance {
        class: String,
    },
    /// An instance of a class defined in the file.
    Instance {
        class: String,
    },
    /// An instance of a class the file defines on top of `dict`: JSON sends the
    /// plain dict (its methods and attributes stay behind), pickle a reference to
    /// `__main__`.
    DictInstance {
        class: String,
    },
    Generator,
    File,
    Lock(&'static str),
    Socket,
    Lambda,
    /// A function defined in the file; `sandbox` when it is itself a sandbox function.
    Function {
        sandbox: bool,
        nested: bool,
    },
    /// A builtin function such as `print`: the SDK skips it as a global.
    BuiltinFunction(String),
    /// A function imported from a module, e.g. `math.sqrt`.
    ImportedFunction(String),
    /// A class; `in_script` when the file defines it.
    Class {
        name: String,
        in_script: bool,
    },
    Module(String),
    /// An object of the SDK itself (`Session`, `OperationRef`): never serializable.
    SdkObject(&'static str),
    /// A value of a standard-library type the rules have no kind of their own for
    /// (`argparse.Namespace`, `range`, `re.Pattern`...), with its measured fates.
    Stdlib(StdType),
    Unknown,
}

/// A measured standard-library type; equal when it is the same type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StdType(pub(crate) &'static TypeFacts);

impl PartialEq for StdType {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for StdType {}

impl ValueKind {
    /// How the value reads in a message: "a tuple", "the lock `threading.Lock()`"...
    pub(crate) fn describe(&self) -> String {
        match self {
            ValueKind::None => "`None`".into(),
            ValueKind::Bool => "a bool".into(),
            ValueKind::Int => "an int".into(),
            ValueKind::Float => "a float".into(),
            ValueKind::Str => "a str".into(),
            ValueKind::List => "a list".into(),
            ValueKind::Dict => "a dict".into(),
            ValueKind::DictSubclass { class, .. } => format!("a `{class}`"),
            ValueKind::DictNonStrKeys => "a dict with non-string keys".into(),
            ValueKind::Tuple => "a tuple".into(),
            ValueKind::Set => "a set".into(),
            ValueKind::FrozenSet => "a frozenset".into(),
            ValueKind::Bytes { utf8: true } => "a bytes value".into(),
            ValueKind::Bytes { utf8: false } => "a bytes value that is not UTF-8".into(),
            ValueKind::NonFiniteFloat => "a NaN or infinite float".into(),
            ValueKind::StringLike(type_name) => format!("a `{type_name}`"),
            ValueKind::Deque => "a `deque`".into(),
            ValueKind::EnumMember { class, .. } => format!("a `{class}` enum member"),
            ValueKind::DataclassInstance { class } => format!("a `{class}` dataclass instance"),
            ValueKind::NamedTupleInstance { class } => format!("a `{class}` named tuple"),
            ValueKind::Instance { class } => format!("a `{class}` instance"),
            ValueKind::DictInstance { class } => {
                format!("a `{class}` instance (a subclass of dict)")
            }
            ValueKind::Generator => "a generator".into(),
            ValueKind::File => "an open file".into(),
            ValueKind::Lock(type_name) => format!("a `{type_name}`"),
            ValueKind::Socket => "a socket".into(),
            ValueKind::Lambda => "a lambda".into(),
            ValueKind::Function { sandbox: true, .. } => "a sandbox function".into(),
            ValueKind::Function { nested: true, .. } => {
                "a function defined in an enclosing function".into()
            }
            ValueKind::Function { .. } => "a module-level function".into(),
            ValueKind::BuiltinFunction(name) => format!("the builtin `{name}`"),
            ValueKind::ImportedFunction(name) => format!("the function `{name}`"),
            ValueKind::Class {
                in_script: true, ..
            } => "a class defined in this file".into(),
            ValueKind::Class { name, .. } => format!("the class `{name}`"),
            ValueKind::Module(name) => format!("the module `{name}`"),
            ValueKind::SdkObject(type_name) => format!("a `{type_name}`"),
            ValueKind::Stdlib(StdType(facts)) if facts.callable => {
                format!("the callable `{}`", facts.name)
            }
            ValueKind::Stdlib(StdType(facts)) => format!("a `{}`", facts.name),
            ValueKind::Unknown => "a value".into(),
        }
    }

    /// What JSON mode turns the value into, when it silently changes type.
    pub(crate) fn json_conversion(&self) -> Option<&'static str> {
        if let Some(facts) = self.measured()
            && !matches!(facts.pydantic, Fate::Becomes(_))
        {
            return None;
        }
        Some(match self {
            ValueKind::Tuple
            | ValueKind::NamedTupleInstance { .. }
            | ValueKind::Set
            | ValueKind::FrozenSet
            | ValueKind::Deque => "a list",
            ValueKind::Generator => "a list (the generator is consumed)",
            ValueKind::File => "a list of its lines",
            ValueKind::DataclassInstance { .. }
            | ValueKind::DictSubclass { .. }
            | ValueKind::DictInstance { .. } => "a dict",
            ValueKind::StringLike(_) | ValueKind::Bytes { utf8: true } => "a str",
            ValueKind::EnumMember { .. } => "its value",
            ValueKind::DictNonStrKeys => "a dict with str keys",
            ValueKind::NonFiniteFloat => "`None`",
            ValueKind::Stdlib(StdType(facts)) => match facts.pydantic {
                Fate::Becomes(type_name) => becomes(type_name),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// What strict JSON (cwsandbox's `json.dumps`) turns the value into, when it
    /// silently changes type.
    pub(crate) fn strict_json_conversion(&self) -> Option<&'static str> {
        if let Some(facts) = self.measured() {
            return match facts.strict_json {
                Fate::Becomes(type_name) => Some(becomes(type_name)),
                _ => None,
            };
        }
        Some(match self {
            ValueKind::Tuple | ValueKind::NamedTupleInstance { .. } => "a list",
            ValueKind::DictSubclass { .. } | ValueKind::DictInstance { .. } => "a plain dict",
            ValueKind::EnumMember { scalar: true, .. } => "its plain value",
            _ => return None,
        })
    }

    /// Whether strict JSON refuses the value (`TypeError` on the client). Dicts with
    /// non-string keys are refused too, by the SDK's own key check (AV306).
    pub(crate) fn strict_json_refused(&self) -> bool {
        if let Some(facts) = self.measured() {
            return facts.strict_json == Fate::Refused;
        }
        match self {
            ValueKind::EnumMember { scalar, .. } => !scalar,
            ValueKind::None
            | ValueKind::Bool
            | ValueKind::Int
            | ValueKind::Float
            | ValueKind::NonFiniteFloat
            | ValueKind::Str
            | ValueKind::List
            | ValueKind::Dict
            | ValueKind::DictNonStrKeys
            | ValueKind::DictSubclass { .. }
            | ValueKind::DictInstance { .. }
            | ValueKind::Tuple
            | ValueKind::NamedTupleInstance { .. }
            | ValueKind::Unknown => false,
            _ => true,
        }
    }

    /// The type name `json` reports in "Object of type X is not JSON serializable".
    pub(crate) fn python_type_name(&self) -> Option<String> {
        Some(match self {
            ValueKind::Set => "set".into(),
            ValueKind::FrozenSet => "frozenset".into(),
            ValueKind::Bytes { .. } => "bytes".into(),
            ValueKind::Generator => "generator".into(),
            ValueKind::Deque => "deque".into(),
            ValueKind::StringLike(type_name) => match *type_name {
                "Path" => "PosixPath".into(),
                "PurePath" => "PurePosixPath".into(),
                name => name.into(),
            },
            ValueKind::DataclassInstance { class }
            | ValueKind::Instance { class }
            | ValueKind::DictInstance { class }
            | ValueKind::EnumMember { class, .. } => {
                class.rsplit('.').next().unwrap_or(class).into()
            }
            ValueKind::Lock(type_name) => match *type_name {
                "threading.Lock" | "Lock" => "lock".into(),
                "threading.RLock" | "RLock" => "RLock".into(),
                name => name.rsplit('.').next().unwrap_or(name).into(),
            },
            ValueKind::Socket => "socket".into(),
            ValueKind::File => "TextIOWrapper".into(),
            ValueKind::Lambda | ValueKind::Function { sandbox: false, .. } => "function".into(),
            ValueKind::Function { sandbox: true, .. } => "RemoteFunction".into(),
            ValueKind::BuiltinFunction(_) | ValueKind::ImportedFunction(_) => {
                "builtin_function_or_method".into()
            }
            ValueKind::Class { .. } => "type".into(),
            ValueKind::Module(_) => "module".into(),
            ValueKind::Stdlib(StdType(facts)) => facts.short.into(),
            ValueKind::SdkObject(type_name) => (*type_name).into(),
            _ => return None,
        })
    }

    /// The measured facts of the value's type: its own entry where its fate depends
    /// on more than the type (NaN, non-UTF-8 bytes, non-string keys...).
    fn measured(&self) -> Option<&'static TypeFacts> {
        let name = match self {
            ValueKind::Bytes { utf8: false } => "builtins.bytes[non-utf8]",
            ValueKind::NonFiniteFloat => "builtins.float[nan]",
            ValueKind::DictNonStrKeys => "builtins.dict[int-keys]",
            ValueKind::DictSubclass {
                lambda_factory: true,
                ..
            } => "collections.defaultdict[lambda-factory]",
            ValueKind::Stdlib(StdType(facts)) => return Some(facts),
            ValueKind::Tuple
            | ValueKind::Set
            | ValueKind::FrozenSet
            | ValueKind::Bytes { utf8: true }
            | ValueKind::Generator
            | ValueKind::Deque
            | ValueKind::DictSubclass { .. }
            | ValueKind::StringLike(_) => self.type_name()?,
            _ => return None,
        };
        stdlib::type_facts(name)
    }

    /// The qualified name of the value's type, where the table measures it.
    pub(crate) fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            ValueKind::Int => "builtins.int",
            ValueKind::Float | ValueKind::NonFiniteFloat => "builtins.float",
            ValueKind::Str => "builtins.str",
            ValueKind::Bool => "builtins.bool",
            ValueKind::List => "builtins.list",
            ValueKind::Dict | ValueKind::DictNonStrKeys => "builtins.dict",
            ValueKind::Tuple => "builtins.tuple",
            ValueKind::Set => "builtins.set",
            ValueKind::FrozenSet => "builtins.frozenset",
            ValueKind::Bytes { .. } => "builtins.bytes",
            ValueKind::Deque => "collections.deque",
            ValueKind::DictSubclass { class, .. } => match *class {
                "Counter" => "collections.Counter",
                "defaultdict" => "collections.defaultdict",
                _ => "collections.OrderedDict",
            },
            ValueKind::StringLike(short) => match *short {
                "datetime" => "datetime.datetime",
                "date" => "datetime.date",
                "time" => "datetime.time",
                "timedelta" => "datetime.timedelta",
                "Decimal" => "decimal.Decimal",
                "UUID" => "uuid.UUID",
                "PurePath" | "PurePosixPath" => "pathlib.PurePosixPath",
                _ => "pathlib.PosixPath",
            },
            ValueKind::Stdlib(StdType(facts)) => facts.name,
            _ => return None,
        })
    }

    /// Why the SDK cannot serialize the value in JSON mode, if it cannot.
    pub(crate) fn json_unserializable(&self) -> bool {
        if let ValueKind::SdkObject(_) = self {
            return true;
        }
        if let Some(facts) = self.measured() {
            return facts.pydantic == Fate::Refused;
        }
        matches!(
            self,
            ValueKind::Bytes { utf8: false }
                | ValueKind::Instance { .. }
                | ValueKind::Lock(_)
                | ValueKind::Socket
                | ValueKind::Lambda
                | ValueKind::Function { .. }
                | ValueKind::BuiltinFunction(_)
                | ValueKind::ImportedFunction(_)
                | ValueKind::Class { .. }
                | ValueKind::Module(_)
        )
    }

    /// Whether `pickle` fails on the client, or the sandbox cannot load it back.
    /// Classes defined in the script are [`ValueKind::pickles_script_class`] instead.
    pub(crate) fn pickle_unserializable(&self) -> bool {
        if let ValueKind::SdkObject(_) = self {
            return true;
        }
        if let Some(facts) = self.measured() {
            return matches!(facts.pickle, Fate::Refused | Fate::Unloadable);
        }
        if let ValueKind::DictSubclass { lambda_factory, .. } = self {
            return *lambda_factory;
        }
        matches!(
            self,
            ValueKind::Lock(_)
                | ValueKind::Socket
                | ValueKind::Lambda
                | ValueKind::Function { .. }
                | ValueKind::Generator
                | ValueKind::File
                | ValueKind::Module(_)
        )
    }

    /// The script-defined class pickle would reference by name in `__main__`.
    pub(crate) fn pickles_script_class(&self) -> Option<&str> {
        match self {
            ValueKind::EnumMember {
                class,
                in_script: true,
                ..
            }
            | ValueKind::DataclassInstance { class }
            | ValueKind::NamedTupleInstance { class }
            | ValueKind::Instance { class }
            | ValueKind::DictInstance { class }
            | ValueKind::Class {
                name: class,
                in_script: true,
            } => Some(class),
            _ => None,
        }
    }
}

/// Computes value kinds in one module.
pub(crate) struct Values<'m, 'a> {
    pub(crate) model: &'m SemanticModel<'a>,
}

const MAX_DEPTH: u8 = 8;

impl<'a> Values<'_, 'a> {
    /// The kind of `expr` evaluated in `scope` at `offset`.
    pub(crate) fn kind(&self, expr: &'a Expr, scope: ScopeId, offset: TextSize) -> ValueKind {
        self.kind_at_depth(expr, scope, offset, 0)
    }

    /// The kind of a name a star import of `module` binds, when the table knows it.
    pub(crate) fn star_imported(&self, module: &str, member: &str) -> Option<ValueKind> {
        stdlib::member(module, member).map(|_| member_kind(module, member))
    }

    /// The kind of the value a binding gives its name.
    pub(crate) fn binding_value(&self, binding: crate::semantic::Binding<'a>) -> ValueKind {
        self.binding_kind(binding.kind, binding.scope, binding.range.start(), 0)
    }

    /// The kind of the value `name` has in `scope` when read at `offset`.
    pub(crate) fn name_kind(&self, name: &str, scope: ScopeId, offset: TextSize) -> ValueKind {
        self.name_kind_at_depth(name, scope, offset, 0)
    }

    /// The worst element of a value: the value itself, or for a container literal
    /// the first element the mode cannot carry. Returns the element's range.
    /// Whether `expr` is a list or tuple (or a name bound once to one) every element
    /// of which is of kind `kind`.
    pub(crate) fn all_elements_are(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        kind: &ValueKind,
    ) -> bool {
        let (container, container_scope) = match expr {
            Expr::Name(name) => match self.model.lookup(scope, name.id.as_str()) {
                Some(binding) => match binding.kind {
                    BindingKind::Assignment(value) => (value, binding.scope),
                    _ => return false,
                },
                None => return false,
            },
            expr => (expr, scope),
        };
        let elements = match container {
            Expr::List(list) => &list.elts,
            Expr::Tuple(tuple) => &tuple.elts,
            // `[tuple(p) for p in ring]`: one element whose kind its syntax shows.
            Expr::ListComp(comp) if kind_is_syntactic(&comp.elt) => {
                return self.kind(&comp.elt, container_scope, TextSize::from(u32::MAX)) == *kind;
            }
            _ => return false,
        };
        !elements.is_empty()
            && elements.iter().all(|element| {
                !element.is_starred_expr()
                    && self.kind(element, container_scope, TextSize::from(u32::MAX)) == *kind
            })
    }

    pub(crate) fn worst_element(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
        severity: &dyn Fn(&ValueKind) -> u8,
    ) -> (ValueKind, TextRange) {
        self.worst_element_at_depth(expr, scope, offset, severity, 0)
    }

    fn worst_element_at_depth(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
        severity: &dyn Fn(&ValueKind) -> u8,
        depth: u8,
    ) -> (ValueKind, TextRange) {
        let own = self.kind(expr, scope, offset);
        let mut worst = (own, expr.range());
        if depth > MAX_DEPTH {
            return worst;
        }
        // A loop variable takes each element of its iterable in turn.
        if let Expr::Name(name) = expr
            && let Some((items, items_scope)) = self.loop_items(name.id.as_str(), scope, offset)
        {
            for item in items {
                let (kind, _) = self.worst_element_at_depth(
                    item,
                    items_scope,
                    TextSize::from(u32::MAX),
                    severity,
                    depth + 1,
                );
                if severity(&kind) > severity(&worst.0) {
                    worst = (kind, expr.range());
                }
            }
            return worst;
        }
        // A name bound to a container literal: its elements are what is sent.
        if let Expr::Name(name) = expr
            && let Some(binding) = self.model.lookup(scope, name.id.as_str())
            && let BindingKind::Assignment(value) = binding.kind
            && matches!(
                value,
                Expr::List(_)
                    | Expr::Tuple(_)
                    | Expr::Set(_)
                    | Expr::Dict(_)
                    | Expr::ListComp(_)
                    | Expr::SetComp(_)
            )
        {
            let (kind, _) = self.worst_element_at_depth(
                value,
                binding.scope,
                TextSize::from(u32::MAX),
                severity,
                depth + 1,
            );
            if severity(&kind) > severity(&worst.0) {
                worst.0 = kind;
            }
            // What the code appends to it after binding it is sent too.
            for store in self
                .model
                .element_stores_of(name.id.as_str())
                .iter()
                .filter(|store| {
                    self.model.resolve(store.scope, name.id.as_str())
                        == Resolution::Scope(binding.scope)
                })
            {
                let kind =
                    self.kind_at_depth(store.value, store.scope, store.value.start(), depth + 1);
                if severity(&kind) > severity(&worst.0) {
                    worst.0 = kind;
                }
            }
            return worst;
        }
        // What a function of the file is annotated to return a list of (`-> list[Shift]`).
        if let Some(class) = self.annotated_element_class(expr, scope, offset, depth) {
            let kind = self.script_instance_kind(class, scope, depth + 1);
            if severity(&kind) > severity(&worst.0) {
                worst.0 = kind;
            }
            return worst;
        }
        let elements: Vec<&'a Expr> = match expr {
            Expr::List(list) => list.elts.iter().collect(),
            Expr::Tuple(tuple) => tuple.elts.iter().collect(),
            Expr::Set(set) => set.elts.iter().collect(),
            Expr::Dict(dict) => dict.items.iter().map(|item| &item.value).collect(),
            // A filtered copy, `[p for p in PATIENTS if p.cohort == 2]`: the elements of
            // the list it filters.
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            }) if matches!(
                (elt.as_ref(), generators.as_slice()),
                (Expr::Name(element), [generator])
                    if matches!(&generator.target, Expr::Name(target) if target.id == element.id)
            ) =>
            {
                vec![&generators[0].iter]
            }
            // A comprehension's element, where its kind does not depend on the loop's
            // variables: `[Sample(row) for row in rows]`, `[(x, 2 * x) for x in xs]`.
            Expr::ListComp(ast::ExprListComp { elt, .. })
            | Expr::SetComp(ast::ExprSetComp { elt, .. })
            | Expr::Generator(ast::ExprGenerator { elt, .. })
                if kind_is_syntactic(elt) || elt.is_tuple_expr() || elt.is_list_expr() =>
            {
                vec![elt.as_ref()]
            }
            _ => Vec::new(),
        };
        for element in elements {
            let candidate =
                self.worst_element_at_depth(element, scope, offset, severity, depth + 1);
            if severity(&candidate.0) > severity(&worst.0) {
                worst = candidate;
            }
        }
        worst
    }

    fn name_kind_at_depth(
        &self,
        name: &str,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> ValueKind {
        if depth > MAX_DEPTH {
            return ValueKind::Unknown;
        }
        match self.model.resolve(scope, name) {
            Resolution::Builtin => builtin_kind(name),
            Resolution::Unbound => ValueKind::Unknown,
            Resolution::Scope(found) => {
                // Read from an inner scope, a binding anywhere in `found` may be current.
                let offset = if found == scope {
                    offset
                } else {
                    TextSize::from(u32::MAX)
                };
                match self.model.binding_at(found, name, offset) {
                    Some(binding) => {
                        self.binding_kind(binding.kind, found, binding.range.start(), depth + 1)
                    }
                    None => ValueKind::Unknown,
                }
            }
        }
    }

    /// The values a loop variable takes, when it iterates over a literal (directly or
    /// through a name), with the scope they are evaluated in.
    pub(crate) fn loop_items(
        &self,
        name: &str,
        scope: ScopeId,
        offset: TextSize,
    ) -> Option<(Vec<&'a Expr>, ScopeId)> {
        let Resolution::Scope(found) = self.model.resolve(scope, name) else {
            return None;
        };
        let offset = if found == scope {
            offset
        } else {
            TextSize::from(u32::MAX)
        };
        let binding = self.model.binding_at(found, name, offset)?;
        let BindingKind::LoopItem { iterable, index } = binding.kind else {
            return None;
        };
        let elements = self.literal_elements(iterable, found, 0)?;
        let items = match index {
            None => elements,
            Some(index) => elements
                .into_iter()
                .map(|element| match element {
                    Expr::Tuple(tuple) => tuple.elts.get(index),
                    Expr::List(list) => list.elts.get(index),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some((items, found))
    }

    /// The elements of a list, tuple or set literal, directly or through a name.
    fn literal_elements(&self, expr: &'a Expr, scope: ScopeId, depth: u8) -> Option<Vec<&'a Expr>> {
        match expr {
            Expr::List(list) => Some(list.elts.iter().collect()),
            Expr::Tuple(tuple) => Some(tuple.elts.iter().collect()),
            Expr::Set(set) => Some(set.elts.iter().collect()),
            Expr::Name(name) if depth < MAX_DEPTH => {
                let binding = self.model.lookup(scope, name.id.as_str())?;
                match binding.kind {
                    BindingKind::Assignment(value) => {
                        self.literal_elements(value, binding.scope, depth + 1)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
        .filter(|elements: &Vec<&Expr>| !elements.iter().any(|e| e.is_starred_expr()))
    }

    fn binding_kind(
        &self,
        kind: BindingKind<'a>,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> ValueKind {
        match kind {
            BindingKind::Import { module } => ValueKind::Module(module.to_string()),
            BindingKind::FromImport { module, member } if Sdk::is_sdk_name(module) => {
                sdk_member(member)
            }
            BindingKind::FromImport { module, member } => member_kind(module, member),
            BindingKind::Function(_) => ValueKind::Function {
                sandbox: false,
                nested: scope != crate::semantic::MODULE_SCOPE,
            },
            BindingKind::Class(class) => ValueKind::Class {
                name: class.name.id.to_string(),
                in_script: true,
            },
            BindingKind::Assignment(value) => self.kind_at_depth(value, scope, offset, depth),
            BindingKind::WithItem(context) => {
                match self.kind_at_depth(context, scope, offset, depth) {
                    ValueKind::File => ValueKind::File,
                    ValueKind::Socket => ValueKind::Socket,
                    ValueKind::SdkObject("Session") => ValueKind::SdkObject("Session"),
                    _ => ValueKind::Unknown,
                }
            }
            BindingKind::LoopItem { iterable, index } => {
                // `for i in range(n)`, `for i, x in enumerate(xs)`: the counter.
                if let Expr::Call(call) = iterable
                    && let Expr::Name(callee) = call.func.as_ref()
                    && matches!(
                        (callee.id.as_str(), index),
                        ("range", None) | ("enumerate", Some(0))
                    )
                    && self.model.resolve(scope, callee.id.as_str()) == Resolution::Builtin
                {
                    return ValueKind::Int;
                }
                let Some(elements) = self.literal_elements(iterable, scope, 0) else {
                    return ValueKind::Unknown;
                };
                agreed(elements.into_iter().map(|element| match (index, element) {
                    (None, element) => self.kind_at_depth(element, scope, offset, depth + 1),
                    (Some(index), Expr::Tuple(ast::ExprTuple { elts, .. })) => {
                        elts.get(index).map_or(ValueKind::Unknown, |element| {
                            self.kind_at_depth(element, scope, offset, depth + 1)
                        })
                    }
                    _ => ValueKind::Unknown,
                }))
            }
            BindingKind::Receiver {
                class,
                class_itself: true,
            } => ValueKind::Class {
                name: class.name.id.to_string(),
                in_script: true,
            },
            BindingKind::Receiver { class, .. } => self.script_instance_kind(class, scope, depth),
            // What every call passes, when they agree (`main(as_of=date(...))`).
            BindingKind::Parameter => self.parameter_kind(scope, offset, depth),
            BindingKind::Unknown => ValueKind::Unknown,
        }
    }

    fn kind_at_depth(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> ValueKind {
        if depth > MAX_DEPTH {
            return ValueKind::Unknown;
        }
        match expr {
            Expr::NoneLiteral(_) => ValueKind::None,
            Expr::BooleanLiteral(_) => ValueKind::Bool,
            Expr::NumberLiteral(number) => match &number.value {
                Number::Int(_) => ValueKind::Int,
                Number::Float(value) if !value.is_finite() => ValueKind::NonFiniteFloat,
                Number::Float(_) => ValueKind::Float,
                Number::Complex { .. } => stdlib::kind_of_type("builtins.complex"),
            },
            Expr::StringLiteral(_) | Expr::FString(_) => ValueKind::Str,
            Expr::BytesLiteral(bytes) => {
                let bytes: Vec<u8> = bytes.value.bytes().collect();
                ValueKind::Bytes {
                    utf8: std::str::from_utf8(&bytes).is_ok(),
                }
            }
            Expr::List(_) | Expr::ListComp(_) => ValueKind::List,
            Expr::Tuple(_) => ValueKind::Tuple,
            Expr::Set(_) | Expr::SetComp(_) => ValueKind::Set,
            Expr::Dict(dict) => {
                let non_str_key = dict.items.iter().any(|item| {
                    item.key.as_ref().is_some_and(|key| {
                        !matches!(
                            self.kind_at_depth(key, scope, offset, depth + 1),
                            ValueKind::Str | ValueKind::Unknown
                        )
                    })
                });
                if non_str_key {
                    ValueKind::DictNonStrKeys
                } else {
                    ValueKind::Dict
                }
            }
            Expr::DictComp(comp) if counter_key(comp) => ValueKind::DictNonStrKeys,
            Expr::DictComp(_) => ValueKind::Dict,
            Expr::Generator(_) => ValueKind::Generator,
            Expr::Lambda(_) => ValueKind::Lambda,
            Expr::Compare(_) => ValueKind::Bool,
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => ValueKind::Bool,
            Expr::UnaryOp(unary) => {
                match self.kind_at_depth(&unary.operand, scope, offset, depth + 1) {
                    kind @ (ValueKind::Int | ValueKind::Float | ValueKind::NonFiniteFloat) => kind,
                    ValueKind::Bool => ValueKind::Int,
                    _ => ValueKind::Unknown,
                }
            }
            Expr::BinOp(binary) => {
                let left = self.kind_at_depth(&binary.left, scope, offset, depth + 1);
                let right = self.kind_at_depth(&binary.right, scope, offset, depth + 1);
                binary_kind(&left, binary.op, &right)
            }
            Expr::If(if_expr) => {
                let body = self.kind_at_depth(&if_expr.body, scope, offset, depth + 1);
                let orelse = self.kind_at_depth(&if_expr.orelse, scope, offset, depth + 1);
                if body == orelse {
                    body
                } else {
                    ValueKind::Unknown
                }
            }
            Expr::Named(named) => self.kind_at_depth(&named.value, scope, offset, depth + 1),
            Expr::Name(name) => self.name_kind_at_depth(name.id.as_str(), scope, offset, depth + 1),
            Expr::Attribute(attribute) => self.attribute_kind(attribute, scope, offset, depth),
            Expr::Call(call) => self.call_kind(call, scope, offset, depth),
            // `ROWS[0]` of a literal list or tuple.
            Expr::Subscript(subscript) => {
                let Expr::NumberLiteral(ast::ExprNumberLiteral {
                    value: Number::Int(index),
                    ..
                }) = subscript.slice.as_ref()
                else {
                    return ValueKind::Unknown;
                };
                let element = index.as_usize().and_then(|index| {
                    self.literal_elements(&subscript.value, scope, depth + 1)?
                        .into_iter()
                        .nth(index)
                });
                element.map_or(ValueKind::Unknown, |element| {
                    self.kind_at_depth(element, scope, offset, depth + 1)
                })
            }
            _ => ValueKind::Unknown,
        }
    }

    fn attribute_kind(
        &self,
        attribute: &'a ast::ExprAttribute,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> ValueKind {
        let member = attribute.attr.id.as_str();
        match self.kind_at_depth(&attribute.value, scope, offset, depth + 1) {
            ValueKind::Module(module) if Sdk::is_sdk_name(&module) => sdk_member(member),
            ValueKind::Module(module) => match stdlib::member(&module, member) {
                Some(Member::Module) => ValueKind::Module(format!("{module}.{member}")),
                Some(Member::Class) => ValueKind::Class {
                    name: format!("{module}.{member}"),
                    in_script: false,
                },
                Some(Member::Function) => ValueKind::ImportedFunction(format!("{module}.{member}")),
                Some(Member::Value(kind)) => kind,
                None => ValueKind::Unknown,
            },
            ValueKind::Class {
                name,
                in_script: true,
            } => match self.script_class(&attribute.value, scope) {
                Some(class) if is_enum_class(class) && !member.starts_with('_') => {
                    ValueKind::EnumMember {
                        class: name,
                        in_script: true,
                        scalar: is_scalar_enum(class),
                    }
                }
                _ => ValueKind::Unknown,
            },
            ValueKind::Class {
                name,
                in_script: false,
            } => {
                let class = qualified_class(&name);
                if stdlib::has_method(&class, member) {
                    stdlib::kind_of_type("builtins.method_descriptor")
                } else if (class.as_str(), member) == ("datetime.timezone", "utc") {
                    stdlib::kind_of_type("datetime.timezone")
                } else {
                    ValueKind::Unknown
                }
            }
            receiver => match receiver.type_name() {
                // A bound method such as `" ".join`.
                Some(type_name) if stdlib::has_method(type_name, member) => {
                    stdlib::kind_of_type("builtins.builtin_function_or_method")
                }
                _ => ValueKind::Unknown,
            },
        }
    }

    fn call_kind(
        &self,
        call: &'a ast::ExprCall,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> ValueKind {
        // `"é".encode()`, `datetime.now()`, `Path.cwd()`...
        if let Expr::Attribute(method) = call.func.as_ref() {
            let receiver = self.kind_at_depth(&method.value, scope, offset, depth + 1);
            // `str.maketrans(...)` keys its table by code point: int keys, unless
            // every argument is empty.
            if method.attr.id.as_str() == "maketrans"
                && matches!(&receiver, ValueKind::Class { name, in_script: false } if name == "str")
            {
                let empty = |arg: &Expr| matches!(arg, Expr::StringLiteral(text) if text.value.to_str().is_empty());
                return if call.arguments.keywords.is_empty()
                    && call.arguments.args.iter().all(empty)
                {
                    ValueKind::Dict
                } else {
                    ValueKind::DictNonStrKeys
                };
            }
            // `bytes.fromhex("9f3a...")`: whether those bytes are text is in the literal.
            if method.attr.id.as_str() == "fromhex"
                && matches!(&receiver, ValueKind::Class { name, in_script: false } if name == "bytes")
                && let [Expr::StringLiteral(hex)] = &*call.arguments.args
                && let Some(bytes) = decode_hex(hex.value.to_str())
            {
                return ValueKind::Bytes {
                    utf8: std::str::from_utf8(&bytes).is_ok(),
                };
            }
            if let Some(kind) = method_result(&receiver, method.attr.id.as_str()) {
                return kind;
            }
            // `.keys()`, `.values()`, `.items()` with no argument: a dict's view,
            // whatever the analysis knows of the receiver.
            let view = match method.attr.id.as_str() {
                "keys" => "builtins.dict_keys",
                "values" => "builtins.dict_values",
                "items" => "builtins.dict_items",
                _ => "",
            };
            if !view.is_empty() && receiver == ValueKind::Unknown && call.arguments.is_empty() {
                return stdlib::kind_of_type(view);
            }
        }
        match self.kind_at_depth(&call.func, scope, offset, depth + 1) {
            // A partial pickles its function: by reference, which the sandbox cannot
            // load for a function of the script; not at all for a lambda.
            ValueKind::Class {
                name,
                in_script: false,
            } if name == "functools.partial" => {
                let wrapped = call
                    .arguments
                    .args
                    .first()
                    .map(|function| self.kind_at_depth(function, scope, offset, depth + 1));
                stdlib::kind_of_type(match wrapped {
                    Some(ValueKind::Function { .. }) => "functools.partial[script-function]",
                    Some(ValueKind::Lambda) => "functools.partial[lambda]",
                    _ => "functools.partial",
                })
            }
            ValueKind::Class {
                name,
                in_script: false,
            } => constructed_kind(&name, call),
            ValueKind::Class {
                name,
                in_script: true,
            } => {
                let Some(class) = self.script_class(&call.func, scope) else {
                    // A class made by `namedtuple(...)`.
                    return if name == "namedtuple" {
                        ValueKind::NamedTupleInstance {
                            class: called_name(&call.func).unwrap_or("namedtuple").to_string(),
                        }
                    } else {
                        ValueKind::Unknown
                    };
                };
                self.script_instance_kind(class, scope, depth)
            }
            ValueKind::BuiltinFunction(name) => match name.as_str() {
                "open" => ValueKind::File,
                "sorted" => ValueKind::List,
                // The sum of numbers of one kind is that kind (`Decimal`s sum to a `Decimal`).
                "sum" => match call.arguments.args.first() {
                    Some(Expr::Generator(ast::ExprGenerator { elt, .. }))
                    | Some(Expr::ListComp(ast::ExprListComp { elt, .. })) => {
                        match self.kind_at_depth(elt, scope, offset, depth + 1) {
                            kind @ (ValueKind::Float | ValueKind::StringLike("Decimal")) => kind,
                            _ => ValueKind::Unknown,
                        }
                    }
                    _ => ValueKind::Unknown,
                },
                "len" | "hash" | "id" | "ord" => ValueKind::Int,
                "repr" | "ascii" | "chr" | "format" | "input" | "hex" | "oct" | "bin" => {
                    ValueKind::Str
                }
                "callable" | "isinstance" | "issubclass" | "hasattr" | "all" | "any" => {
                    ValueKind::Bool
                }
                _ => ValueKind::Unknown,
            },
            ValueKind::ImportedFunction(name) => stdlib::function_result(&name),
            ValueKind::Function { .. } => match self.script_function(&call.func, scope) {
                Some(function) if is_generator_function(self.model, function) => {
                    ValueKind::Generator
                }
                Some(function) => self.returned_kind(function, depth),
                None => ValueKind::Unknown,
            },
            _ => ValueKind::Unknown,
        }
    }

    /// The kind of an instance of a class the file defines.
    fn script_instance_kind(
        &self,
        class: &'a StmtClassDef,
        scope: ScopeId,
        depth: u8,
    ) -> ValueKind {
        let name = class.name.id.to_string();
        if is_dataclass(class) {
            return ValueKind::DataclassInstance { class: name };
        }
        if inherits(class, &["NamedTuple"]) {
            return ValueKind::NamedTupleInstance { class: name };
        }
        if is_enum_class(class) {
            return ValueKind::EnumMember {
                class: name,
                in_script: true,
                scalar: is_scalar_enum(class),
            };
        }
        if !class.keywords().is_empty() || depth > MAX_DEPTH {
            return ValueKind::Unknown;
        }
        // A subclass is what its bases make it: plain objects, exceptions, or a
        // dataclass's fields.
        let mut kind = ValueKind::Instance {
            class: name.clone(),
        };
        for base in class.bases() {
            match base {
                Expr::Name(base) if base.id.as_str() == "object" => {}
                base if self.is_pydantic_model(base, scope) => {
                    kind = ValueKind::DataclassInstance {
                        class: name.clone(),
                    };
                }
                Expr::Name(base) if is_exception_name(base.id.as_str()) => {}
                // `class Hyperparams(dict)`: what is sent is the dict.
                Expr::Name(base)
                    if base.id.as_str() == "dict" && self.model.lookup(scope, "dict").is_none() =>
                {
                    kind = ValueKind::DictInstance {
                        class: name.clone(),
                    };
                }
                base => match self.script_class(base, scope) {
                    Some(parent) => match self.script_instance_kind(parent, scope, depth + 1) {
                        ValueKind::Instance { .. } => {}
                        ValueKind::DataclassInstance { .. } => {
                            kind = ValueKind::DataclassInstance {
                                class: name.clone(),
                            };
                        }
                        ValueKind::DictInstance { .. } => {
                            kind = ValueKind::DictInstance {
                                class: name.clone(),
                            };
                        }
                        _ => return ValueKind::Unknown,
                    },
                    None => return ValueKind::Unknown,
                },
            }
        }
        kind
    }

    /// `BaseModel` imported from pydantic: its instances dump to dicts as dataclasses do.
    fn is_pydantic_model(&self, base: &Expr, scope: ScopeId) -> bool {
        let binding = match base {
            Expr::Name(name) => self.model.lookup(scope, name.id.as_str()),
            Expr::Attribute(attribute) if attribute.attr.id.as_str() == "BaseModel" => {
                return matches!(attribute.value.as_ref(), Expr::Name(module) if module.id.as_str() == "pydantic");
            }
            _ => None,
        };
        matches!(
            binding.map(|binding| binding.kind),
            Some(BindingKind::FromImport {
                module: "pydantic",
                member: "BaseModel"
            })
        )
    }

    /// What a function of the file returns, when every `return` says the same.
    fn returned_kind(&self, function: &'a ast::StmtFunctionDef, depth: u8) -> ValueKind {
        let Some(scope) = self.model.function_scope(function) else {
            return ValueKind::Unknown;
        };
        agreed(
            crate::rules::own_returns(function)
                .into_iter()
                .map(|statement| {
                    statement.value.as_deref().map_or(ValueKind::None, |value| {
                        self.kind_at_depth(value, scope, value.start(), depth + 1)
                    })
                }),
        )
    }

    /// For a call of a function the file defines, or a name bound to one, whose
    /// return annotation is a collection of a class the file defines
    /// (`list[Shift]`, `Sequence[Shift]`, `tuple[Shift, ...]`): that class.
    fn annotated_element_class(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> Option<&'a StmtClassDef> {
        if depth > MAX_DEPTH {
            return None;
        }
        let call = match expr {
            Expr::Call(call) => call,
            Expr::Name(name) => {
                let Resolution::Scope(found) = self.model.resolve(scope, name.id.as_str()) else {
                    return None;
                };
                let offset = if found == scope {
                    offset
                } else {
                    TextSize::from(u32::MAX)
                };
                let binding = self.model.binding_at(found, name.id.as_str(), offset)?;
                let BindingKind::Assignment(value @ Expr::Call(_)) = binding.kind else {
                    return None;
                };
                return self.annotated_element_class(value, found, value.start(), depth + 1);
            }
            _ => return None,
        };
        let function = self.script_function(&call.func, scope)?;
        let Expr::Subscript(annotation) = function.returns.as_deref()? else {
            return None;
        };
        let container = match annotation.value.as_ref() {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.id.as_str(),
            _ => return None,
        };
        let element = match (container, annotation.slice.as_ref()) {
            ("tuple" | "Tuple", Expr::Tuple(elements))
                if elements.elts.len() == 2 && elements.elts[1].is_ellipsis_literal_expr() =>
            {
                &elements.elts[0]
            }
            (
                "list" | "List" | "set" | "Set" | "frozenset" | "Sequence" | "Iterable"
                | "Collection",
                element,
            ) => element,
            _ => return None,
        };
        self.script_class(element, scope)
    }

    /// The values the calls of the function that opens `scope` give its parameter
    /// `name`, each with the scope it is evaluated in: the argument passed, or the
    /// default where a call passes none.
    pub(crate) fn parameter_values(&self, name: &str, scope: ScopeId) -> Vec<(&'a Expr, ScopeId)> {
        let model = self.model;
        let ScopeKind::Function(function) = model.scopes[scope].kind else {
            return Vec::new();
        };
        let parameters = &function.parameters;
        let positional: Vec<_> = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .collect();
        let position = positional
            .iter()
            .position(|parameter| parameter.parameter.name.id.as_str() == name);
        let default = positional
            .iter()
            .copied()
            .chain(&parameters.kwonlyargs)
            .find(|parameter| parameter.parameter.name.id.as_str() == name)
            .and_then(|parameter| parameter.default.as_deref());
        let definition_scope = model.scopes[scope].parent.unwrap_or(scope);
        let mut values = Vec::new();
        for record in model.direct_calls_of(function.name.id.as_str()) {
            let calls_it = matches!(
                model.lookup(record.scope, record.name).map(|binding| binding.kind),
                Some(BindingKind::Function(def)) if std::ptr::eq(def, function)
            );
            let arguments = &record.call.arguments;
            if !calls_it
                || arguments.args.iter().any(Expr::is_starred_expr)
                || arguments
                    .keywords
                    .iter()
                    .any(|keyword| keyword.arg.is_none())
            {
                continue;
            }
            let argument = arguments
                .find_keyword(name)
                .map(|keyword| &keyword.value)
                .or_else(|| position.and_then(|index| arguments.args.get(index)));
            match (argument, default) {
                (Some(argument), _) => values.push((argument, record.scope)),
                (None, Some(default)) => values.push((default, definition_scope)),
                (None, None) => {}
            }
        }
        values
    }

    /// The kind of the parameter bound at `offset` in `scope`: that of every value
    /// the calls give it, when they agree.
    fn parameter_kind(&self, scope: ScopeId, offset: TextSize, depth: u8) -> ValueKind {
        let ScopeKind::Function(function) = self.model.scopes[scope].kind else {
            return ValueKind::Unknown;
        };
        // A decorated function's calls may not reach it as written: a sandbox
        // function's parameters hold what arrived through the serializer.
        if !function.decorator_list.is_empty() {
            return ValueKind::Unknown;
        }
        let Some(parameter) = function
            .parameters
            .iter_non_variadic_params()
            .find(|parameter| parameter.parameter.name.range().start() == offset)
        else {
            return ValueKind::Unknown;
        };
        agreed(
            self.parameter_values(parameter.parameter.name.id.as_str(), scope)
                .into_iter()
                .map(|(value, value_scope)| {
                    self.kind_at_depth(value, value_scope, value.start(), depth + 1)
                }),
        )
    }

    /// The class statement a name refers to, when the file defines it.
    pub(crate) fn script_class(&self, expr: &Expr, scope: ScopeId) -> Option<&'a StmtClassDef> {
        let Expr::Name(name) = expr else { return None };
        match self.model.lookup(scope, name.id.as_str())?.kind {
            BindingKind::Class(class) => Some(class),
            _ => None,
        }
    }

    fn script_function(&self, expr: &Expr, scope: ScopeId) -> Option<&'a ast::StmtFunctionDef> {
        let Expr::Name(name) = expr else { return None };
        match self.model.lookup(scope, name.id.as_str())?.kind {
            BindingKind::Function(function) => Some(function),
            _ => None,
        }
    }
}

/// The kind all of `kinds` have; `Unknown` when they differ, or when there are none.
fn agreed(mut kinds: impl Iterator<Item = ValueKind>) -> ValueKind {
    let Some(first) = kinds.next() else {
        return ValueKind::Unknown;
    };
    if kinds.all(|kind| kind == first) {
        first
    } else {
        ValueKind::Unknown
    }
}

fn builtin_kind(name: &str) -> ValueKind {
    if is_builtin_class(name) {
        ValueKind::Class {
            name: name.to_string(),
            in_script: false,
        }
    } else if is_builtin(name) && !name.starts_with("__") {
        ValueKind::BuiltinFunction(name.to_string())
    } else {
        ValueKind::Unknown
    }
}

/// The kind of `left op right` for values whose kinds are known.
fn binary_kind(left: &ValueKind, op: Operator, right: &ValueKind) -> ValueKind {
    use ValueKind::{Bool, Float, Int, List, NonFiniteFloat, Stdlib, Str, StringLike, Tuple};
    let complex = stdlib::kind_of_type("builtins.complex");
    if (*left == complex && matches!(right, Int | Float | Bool) || *right == complex)
        && matches!(left, Int | Float | Bool | Stdlib(_))
        && op != Operator::MatMult
    {
        return complex;
    }
    match (left, op, right) {
        // A date or time moved by a `timedelta` stays one.
        (
            StringLike("datetime" | "date"),
            Operator::Add | Operator::Sub,
            StringLike("timedelta"),
        )
        | (StringLike("timedelta"), Operator::Add, StringLike("datetime" | "date")) => {
            if *left == StringLike("timedelta") {
                right.clone()
            } else {
                left.clone()
            }
        }
        // `ROOT / "train.csv"`, `ROOT / other`: a path of the left operand's class.
        (
            StringLike(path @ ("Path" | "PurePath" | "PosixPath" | "PurePosixPath")),
            Operator::Div,
            Str | StringLike("Path" | "PurePath" | "PosixPath" | "PurePosixPath"),
        ) => StringLike(path),
        (Int | Bool, Operator::Div, Int | Bool | Float)
        | (Float, Operator::Div, Int | Bool | Float) => Float,
        (Int | Bool, _, Int | Bool) if op != Operator::MatMult => Int,
        (Float, _, Int | Bool | Float) | (Int | Bool, _, Float) if op != Operator::MatMult => Float,
        (NonFiniteFloat, _, Int | Float) | (Int | Float, _, NonFiniteFloat) => NonFiniteFloat,
        (Str, Operator::Add, Str) | (Str, Operator::Mult, Int) | (Int, Operator::Mult, Str) => Str,
        (Str, Operator::Mod, _) => Str,
        (List, Operator::Add, List) | (List, Operator::Mult, Int) | (Int, Operator::Mult, List) => {
            List
        }
        (Tuple, Operator::Add, Tuple) | (Tuple, Operator::Mult, Int) => Tuple,
        // Bytes joined are text only when every part is.
        (ValueKind::Bytes { utf8: left }, Operator::Add, ValueKind::Bytes { utf8: right }) => {
            ValueKind::Bytes {
                utf8: *left && *right,
            }
        }
        (bytes @ ValueKind::Bytes { .. }, Operator::Mult, Int) => bytes.clone(),
        _ => ValueKind::Unknown,
    }
}

/// The kind a stdlib or builtin class's constructor returns.
fn constructed_kind(class: &str, call: &ast::ExprCall) -> ValueKind {
    let short = class.rsplit('.').next().unwrap_or(class);
    match short {
        "float" if is_non_finite_literal(call) => ValueKind::NonFiniteFloat,
        "defaultdict" => ValueKind::DictSubclass {
            class: "defaultdict",
            lambda_factory: matches!(call.arguments.args.first(), Some(Expr::Lambda(_))),
        },
        _ if Sdk::is_sdk_name(class) => match short {
            "Session" => ValueKind::SdkObject("Session"),
            _ => ValueKind::Unknown,
        },
        _ => match stdlib::instance_kind(short) {
            ValueKind::Unknown if class.contains('.') => {
                stdlib::returns(class).unwrap_or(ValueKind::Unknown)
            }
            ValueKind::Unknown => {
                stdlib::returns(&format!("builtins.{class}")).unwrap_or(ValueKind::Unknown)
            }
            kind => kind,
        },
    }
}

/// `float("nan")`, `float("inf")`, `float("-inf")`.
fn is_non_finite_literal(call: &ast::ExprCall) -> bool {
    match call.arguments.args.first() {
        Some(Expr::StringLiteral(text)) => {
            let text = text
                .value
                .to_str()
                .trim()
                .trim_start_matches(['+', '-'])
                .to_ascii_lowercase();
            matches!(text.as_str(), "nan" | "inf" | "infinity")
        }
        _ => false,
    }
}

/// What calling `receiver.method()` returns, for the methods users commonly use on values.
fn method_result(receiver: &ValueKind, method: &str) -> Option<ValueKind> {
    match (receiver, method) {
        (ValueKind::Function { .. }, "remote") => Some(ValueKind::SdkObject("OperationRef")),
        (ValueKind::Class { name, .. }, "session") if Sdk::is_sdk_name(name) => {
            Some(ValueKind::SdkObject("Session"))
        }
        // `encode` is `str`'s: whatever the receiver, the result is bytes.
        (_, "encode") => Some(ValueKind::Bytes { utf8: true }),
        (ValueKind::Str, "split" | "splitlines") => Some(ValueKind::List),
        (ValueKind::Str, "upper" | "lower" | "strip" | "format" | "join" | "replace" | "title") => {
            Some(ValueKind::Str)
        }
        (
            ValueKind::Class {
                name,
                in_script: false,
            },
            method,
        ) => stdlib::class_method_result(name, method)
            .or_else(|| stdlib::returns(&format!("{}.{method}", qualified_class(name)))),
        (receiver, method) => stdlib::method_returns(receiver.type_name()?, method),
    }
}

/// The bytes `bytes.fromhex` makes of `text` (pairs of hex digits, spaces between
/// pairs allowed); `None` where it would raise.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.split_ascii_whitespace().flat_map(str::bytes).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// A class name as the table spells it: builtins are `builtins.<name>`.
fn qualified_class(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("builtins.{name}")
    }
}

pub(crate) fn is_dataclass(class: &StmtClassDef) -> bool {
    class.decorator_list.iter().any(|decorator| {
        let expr = match &decorator.expression {
            Expr::Call(call) => call.func.as_ref(),
            expr => expr,
        };
        matches!(expr, Expr::Name(name) if name.id.as_str() == "dataclass")
            || matches!(expr, Expr::Attribute(attr) if attr.attr.id.as_str() == "dataclass")
    })
}

/// Whether any base class is named one of `names` (`Enum` or `enum.Enum`...).
pub(crate) fn inherits(class: &StmtClassDef, names: &[&str]) -> bool {
    class.bases().iter().any(|base| {
        let last = match base {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.id.as_str(),
            Expr::Subscript(subscript) => match subscript.value.as_ref() {
                Expr::Name(name) => name.id.as_str(),
                _ => return false,
            },
            _ => return false,
        };
        names.contains(&last)
    })
}

pub(crate) fn is_enum_class(class: &StmtClassDef) -> bool {
    inherits(class, &["Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"])
}

/// An enum whose members are ints or strs: `IntEnum`, `StrEnum`, `IntFlag`, or a
/// mixin such as `class Color(str, Enum)`.
fn is_scalar_enum(class: &StmtClassDef) -> bool {
    inherits(class, &["IntEnum", "StrEnum", "IntFlag", "int", "str"])
}

/// `Exception`, `ValueError`... as a base class.
fn is_exception_name(name: &str) -> bool {
    is_builtin_class(name) && (name.ends_with("Error") || name.ends_with("Exception"))
}

/// Whether a function's own body yields, so calling it returns a generator.
pub(crate) fn is_generator_function(
    model: &SemanticModel,
    function: &ast::StmtFunctionDef,
) -> bool {
    model
        .function_scope(function)
        .is_some_and(|scope| !model.scopes[scope].yields.is_empty())
}
