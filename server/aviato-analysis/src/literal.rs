//! Static evaluation: turns an expression the file fixes at write time into a
//! self-contained Python expression, or says why it cannot.
//!
//! What counts as static: literals and containers, arithmetic, names whose value is
//! itself static, comprehensions and lambdas over static values, and calls of
//! standard-library functions and methods that depend on nothing but their arguments
//! (no clock, no randomness, no environment, no file system). The sandbox's runner
//! evaluates the result, so that the value it builds is the one the client built.

use std::cell::OnceCell;

use ruff_python_ast::{self as ast, Expr};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashMap;

use crate::sandbox::Finder;
use crate::semantic::{BindingKind, Resolution, ScopeId, SemanticModel};

/// Builtins that depend on their arguments only.
const PURE_BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "complex",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "hex",
    "int",
    "isinstance",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "oct",
    "ord",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "slice",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
];

/// Standard-library modules whose functions and classes depend on their arguments
/// only (less the names of `IMPURE_MEMBERS`).
const PURE_MODULES: &[&str] = &[
    "base64",
    "binascii",
    "bisect",
    "cmath",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "html",
    "ipaddress",
    "itertools",
    "json",
    "math",
    "operator",
    "pathlib",
    "re",
    "shlex",
    "statistics",
    "string",
    "struct",
    "textwrap",
    "types",
    "unicodedata",
    "urllib.parse",
    "uuid",
    "zlib",
];

/// Members of `PURE_MODULES` that read the clock, randomness, the environment or the
/// file system, or have effects.
const IMPURE_MEMBERS: &[&str] = &[
    "now",
    "today",
    "utcnow",
    "fromtimestamp",
    "utcfromtimestamp",
    "timestamp",
    "astimezone",
    "uuid1",
    "uuid4",
    "getnode",
    "cwd",
    "home",
    "expanduser",
    "resolve",
    "absolute",
    "exists",
    "is_dir",
    "is_file",
    "stat",
    "lstat",
    "iterdir",
    "glob",
    "rglob",
    "open",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "touch",
    "mkdir",
    "unlink",
    "rmdir",
    "rename",
    "replace_file",
    "samefile",
    "owner",
    "group",
    "readlink",
    "load",
    "dump",
    "getcontext",
    "setcontext",
    "localcontext",
    "lru_cache",
    "cache",
];

/// Other standard-library functions that depend on their arguments only.
const PURE_FUNCTIONS: &[&str] = &[
    "io.StringIO",
    "io.BytesIO",
    "csv.reader",
    "csv.DictReader",
    "os.path.join",
    "os.path.basename",
    "os.path.dirname",
    "os.path.splitext",
    "os.path.split",
    "os.path.normpath",
    "posixpath.join",
    "posixpath.basename",
    "posixpath.dirname",
    "posixpath.splitext",
    "posixpath.split",
    "sys.maxsize",
];

/// Methods of values of builtin and standard-library types that depend on the value
/// and their arguments only.
const PURE_METHODS: &[&str] = &[
    // str, bytes
    "capitalize",
    "casefold",
    "center",
    "count",
    "decode",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "fromhex",
    "hex",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
    // numbers
    "as_integer_ratio",
    "bit_length",
    "conjugate",
    "from_bytes",
    "is_integer",
    "to_bytes",
    // containers
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "values",
    "difference",
    "intersection",
    "isdisjoint",
    "issubset",
    "issuperset",
    "symmetric_difference",
    "union",
    "most_common",
    "elements",
    "total",
    // dates, decimals, paths, patterns, digests
    "date",
    "time",
    "isoformat",
    "isocalendar",
    "isoweekday",
    "weekday",
    "toordinal",
    "fromisoformat",
    "fromordinal",
    "combine",
    "strftime",
    "strptime",
    "total_seconds",
    "quantize",
    "normalize",
    "to_integral_value",
    "as_posix",
    "joinpath",
    "relative_to",
    "with_name",
    "with_stem",
    "with_suffix",
    "match",
    "fullmatch",
    "search",
    "findall",
    "finditer",
    "sub",
    "subn",
    "group",
    "groups",
    "groupdict",
    "span",
    "start",
    "end",
    "digest",
    "hexdigest",
    "_asdict",
    "_replace",
];

const MAX_DEPTH: u8 = 24;

pub(crate) struct Emitter<'m, 'a> {
    pub(crate) model: &'m SemanticModel<'a>,
    pub(crate) flow: &'m Flow<'a>,
    pub(crate) source: &'a str,
    /// Where the lines of `source` start, found on the first message that names a
    /// line and shared by the emitters of one file.
    pub(crate) lines: &'m OnceCell<LineIndex>,
    /// aviato's JSON mode: an enum member the analysis cannot rebuild whole may be
    /// sent as its value, which is what pydantic sends.
    pub(crate) json: bool,
    /// aviato's PICKLE mode.
    pub(crate) pickle: bool,
    /// While a module-level value right after `random.seed(...)` is emitted: it may
    /// draw from `random`, whose sequence the seed fixes.
    pub(crate) seeded: std::cell::Cell<bool>,
    /// Whether the value being emitted drew from `random`.
    pub(crate) drew_random: std::cell::Cell<bool>,
    /// While set, a `for` loop's variable read inside its loop is not the first item
    /// but `_aviato_loop_<offset>[...]`, an index into the loop's items, and the loop
    /// (its range and items) is recorded in `iterated`.
    pub(crate) iterate: std::cell::Cell<bool>,
    pub(crate) iterated: std::cell::RefCell<Vec<(TextRange, String)>>,
}

/// The name of the iteration index of the loop that starts at `start`, in the
/// arguments emitted while [`Emitter::iterate`] is set.
pub(crate) fn loop_index_name(start: TextSize) -> String {
    format!("_aviato_loop_{}", start.to_u32())
}

/// Where an expression is evaluated: its scope, the offset its names are read at,
/// and the names bound by the comprehensions and lambdas around it, which stay names.
#[derive(Clone, Copy)]
struct At<'l> {
    scope: ScopeId,
    offset: TextSize,
    depth: u8,
    locals: &'l [String],
}

impl<'a> Emitter<'_, 'a> {
    /// The Python source of `expr`'s value, evaluated in `scope` at `offset`.
    pub(crate) fn emit(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
    ) -> Result<String, String> {
        self.emit_in(
            expr,
            At {
                scope,
                offset,
                depth: 0,
                locals: &[],
            },
        )
    }

    fn emit_in(&self, expr: &'a Expr, at: At<'_>) -> Result<String, String> {
        if at.depth > MAX_DEPTH {
            return Err("its definition is too deeply nested".into());
        }
        let inner = At {
            depth: at.depth + 1,
            ..at
        };
        let emit = |expr: &'a Expr| self.emit_in(expr, inner);
        let emit_all = |elements: &'a [Expr]| -> Result<Vec<String>, String> {
            elements
                .iter()
                .map(|element| match element {
                    Expr::Starred(starred) => Ok(format!("*{}", emit(&starred.value)?)),
                    element => emit(element),
                })
                .collect()
        };
        Ok(match expr {
            Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_) => format!("({})", &self.source[expr.range()]),
            Expr::FString(fstring) => self.emit_fstring(fstring, inner)?,
            Expr::List(list) => format!("[{}]", emit_all(&list.elts)?.join(", ")),
            Expr::Tuple(tuple) => match emit_all(&tuple.elts)?.as_slice() {
                [single] => format!("({single},)"),
                elements => format!("({})", elements.join(", ")),
            },
            Expr::Set(set) => format!("{{{}}}", emit_all(&set.elts)?.join(", ")),
            Expr::Dict(dict) => {
                let mut items = Vec::new();
                for item in &dict.items {
                    match &item.key {
                        Some(key) => items.push(format!("{}: {}", emit(key)?, emit(&item.value)?)),
                        None => items.push(format!("**{}", emit(&item.value)?)),
                    }
                }
                format!("{{{}}}", items.join(", "))
            }
            Expr::BinOp(binary) => format!(
                "({} {} {})",
                emit(&binary.left)?,
                binary.op.as_str(),
                emit(&binary.right)?
            ),
            Expr::UnaryOp(unary) => {
                let op = match unary.op {
                    ast::UnaryOp::Not => "not ",
                    op => op.as_str(),
                };
                format!("({op}{})", emit(&unary.operand)?)
            }
            Expr::BoolOp(boolean) => {
                let operands = emit_all(&boolean.values)?;
                format!("({})", operands.join(&format!(" {} ", boolean.op.as_str())))
            }
            Expr::Compare(compare) => {
                let mut text = emit(&compare.left)?;
                for (op, comparator) in compare.ops.iter().zip(&compare.comparators) {
                    text = format!("{text} {} {}", op.as_str(), emit(comparator)?);
                }
                format!("({text})")
            }
            Expr::If(if_expr) => {
                format!(
                    "({} if {} else {})",
                    emit(&if_expr.body)?,
                    emit(&if_expr.test)?,
                    emit(&if_expr.orelse)?
                )
            }
            Expr::Name(name) => self.emit_name(name.id.as_str(), at)?,
            Expr::Subscript(subscript) => {
                format!(
                    "({})[{}]",
                    emit(&subscript.value)?,
                    self.emit_slice(&subscript.slice, inner)?
                )
            }
            Expr::Attribute(attribute) => self.emit_attribute(expr, attribute, at)?,
            Expr::Call(call) => self.emit_call(call, at)?,
            Expr::ListComp(comp) => {
                let (generators, locals) = self.emit_generators(&comp.generators, inner)?;
                let element = self.emit_in(
                    &comp.elt,
                    At {
                        locals: &locals,
                        ..inner
                    },
                )?;
                format!("[{element} {generators}]")
            }
            Expr::SetComp(comp) => {
                let (generators, locals) = self.emit_generators(&comp.generators, inner)?;
                let element = self.emit_in(
                    &comp.elt,
                    At {
                        locals: &locals,
                        ..inner
                    },
                )?;
                format!("{{{element} {generators}}}")
            }
            Expr::Generator(comp) => {
                let (generators, locals) = self.emit_generators(&comp.generators, inner)?;
                let element = self.emit_in(
                    &comp.elt,
                    At {
                        locals: &locals,
                        ..inner
                    },
                )?;
                format!("({element} {generators})")
            }
            Expr::DictComp(comp) => {
                let (generators, locals) = self.emit_generators(&comp.generators, inner)?;
                let local = At {
                    locals: &locals,
                    ..inner
                };
                let value = self.emit_in(&comp.value, local)?;
                match &comp.key {
                    Some(key) => {
                        format!("{{{}: {value} {generators}}}", self.emit_in(key, local)?)
                    }
                    None => return Err("it is a dict comprehension without a key".into()),
                }
            }
            Expr::Lambda(lambda) => self.emit_lambda(lambda, inner)?,
            Expr::Starred(starred) => format!("*{}", emit(&starred.value)?),
            Expr::Await(_) => return Err("it is awaited at run time".into()),
            _ => {
                return Err(format!(
                    "`{}` is computed at run time",
                    &self.source[expr.range()]
                ));
            }
        })
    }

    fn emit_slice(&self, slice: &'a Expr, at: At<'_>) -> Result<String, String> {
        let part = |part: &'a Option<Box<Expr>>| -> Result<String, String> {
            part.as_deref()
                .map_or(Ok(String::new()), |expr| self.emit_in(expr, at))
        };
        match slice {
            Expr::Slice(slice) => {
                let mut text = format!("{}:{}", part(&slice.lower)?, part(&slice.upper)?);
                if slice.step.is_some() {
                    text = format!("{text}:{}", part(&slice.step)?);
                }
                Ok(text)
            }
            slice => self.emit_in(slice, at),
        }
    }

    /// `for x in ... if ...` clauses; the names they bind stay names.
    fn emit_generators(
        &self,
        generators: &'a [ast::Comprehension],
        at: At<'_>,
    ) -> Result<(String, Vec<String>), String> {
        let mut locals: Vec<String> = at.locals.to_vec();
        let mut clauses = Vec::new();
        for generator in generators {
            if generator.is_async {
                return Err("it is an async comprehension".into());
            }
            let iterable = self.emit_in(
                &generator.iter,
                At {
                    locals: &locals,
                    ..at
                },
            )?;
            let target = self.target(&generator.target, &mut locals)?;
            let mut clause = format!("for {target} in {iterable}");
            for condition in &generator.ifs {
                let condition = self.emit_in(
                    condition,
                    At {
                        locals: &locals,
                        ..at
                    },
                )?;
                clause.push_str(&format!(" if {condition}"));
            }
            clauses.push(clause);
        }
        Ok((clauses.join(" "), locals))
    }

    /// A comprehension's target (`x`, `k, v`, `(a, (b, c))`), adding its names.
    fn target(&self, target: &Expr, locals: &mut Vec<String>) -> Result<String, String> {
        match target {
            Expr::Name(name) => {
                locals.push(name.id.to_string());
                Ok(name.id.to_string())
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                let names = elts
                    .iter()
                    .map(|element| self.target(element, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(format!("({},)", names.join(", ")))
            }
            Expr::Starred(starred) => Ok(format!("*{}", self.target(&starred.value, locals)?)),
            _ => Err("a comprehension assigns to something other than names".into()),
        }
    }

    fn emit_lambda(&self, lambda: &'a ast::ExprLambda, at: At<'_>) -> Result<String, String> {
        let mut locals: Vec<String> = at.locals.to_vec();
        let mut parameters = Vec::new();
        if let Some(list) = &lambda.parameters {
            if !list.posonlyargs.is_empty() || !list.kwonlyargs.is_empty() {
                return Err(
                    "it is a lambda with positional-only or keyword-only parameters".into(),
                );
            }
            for parameter in &list.args {
                let name = parameter.name().id.to_string();
                let text = match parameter.default() {
                    Some(default) => format!("{name}={}", self.emit_in(default, at)?),
                    None => name.clone(),
                };
                parameters.push(text);
                locals.push(name);
            }
            if let Some(vararg) = &list.vararg {
                parameters.push(format!("*{}", vararg.name.id));
                locals.push(vararg.name.id.to_string());
            }
            if let Some(kwarg) = &list.kwarg {
                parameters.push(format!("**{}", kwarg.name.id));
                locals.push(kwarg.name.id.to_string());
            }
        }
        let body = self.emit_in(
            &lambda.body,
            At {
                locals: &locals,
                ..at
            },
        )?;
        Ok(format!("(lambda {}: {body})", parameters.join(", ")))
    }

    /// An f-string as `"".join(...)` of its parts, each formatted as the f-string does.
    fn emit_fstring(&self, fstring: &'a ast::ExprFString, at: At<'_>) -> Result<String, String> {
        let mut parts = Vec::new();
        for part in fstring.value.iter() {
            match part {
                ast::FStringPart::Literal(literal) => parts.push(python_string(&literal.value)),
                ast::FStringPart::FString(inner) => {
                    parts.push(self.emit_elements(&inner.elements, at)?);
                }
            }
        }
        Ok(format!("''.join(({},))", parts.join(", ")))
    }

    fn emit_elements(
        &self,
        elements: &'a ast::InterpolatedStringElements,
        at: At<'_>,
    ) -> Result<String, String> {
        let mut parts = Vec::new();
        for element in elements {
            match element {
                ast::InterpolatedStringElement::Literal(literal) => {
                    parts.push(python_string(&literal.value));
                }
                ast::InterpolatedStringElement::Interpolation(interpolation) => {
                    if interpolation.debug_text.is_some() {
                        return Err("it is an f-string with `=`".into());
                    }
                    let value = self.emit_in(&interpolation.expression, at)?;
                    let value = match interpolation.conversion {
                        ast::ConversionFlag::None => value,
                        ast::ConversionFlag::Str => format!("str({value})"),
                        ast::ConversionFlag::Repr => format!("repr({value})"),
                        ast::ConversionFlag::Ascii => format!("ascii({value})"),
                    };
                    let spec = match &interpolation.format_spec {
                        Some(spec) => self.emit_elements(&spec.elements, at)?,
                        None => "''".to_owned(),
                    };
                    parts.push(format!("format({value}, {spec})"));
                }
            }
        }
        Ok(format!("''.join(({},))", parts.join(", ")))
    }

    fn emit_attribute(
        &self,
        expr: &'a Expr,
        attribute: &'a ast::ExprAttribute,
        at: At<'_>,
    ) -> Result<String, String> {
        let inner = At {
            depth: at.depth + 1,
            ..at
        };
        let member = attribute.attr.id.as_str();
        if !self.is_local(&attribute.value, at) {
            // `math.pi`, `string.ascii_lowercase`, `operator.add`.
            if let Some(qualified) = self.qualified_name(expr, at.scope) {
                if is_pure_reference(&qualified) {
                    return Ok(import_reference(&qualified));
                }
                if self.module_of(&qualified) {
                    return Err(format!(
                        "`{}` is not a constant the analysis knows",
                        &self.source[expr.range()]
                    ));
                }
            }
            // A member of one of the file's enums: `Stage.EVAL`, and its `.value`.
            if let Some(class) = self.script_enum(&attribute.value, at.scope) {
                return self.emit_enum_member(class, member, inner);
            }
            if let Expr::Attribute(owner) = attribute.value.as_ref()
                && let Some(class) = self.script_enum(&owner.value, at.scope)
                && matches!(member, "value" | "name")
            {
                let name = owner.attr.id.as_str();
                return if member == "name" {
                    Ok(python_string(name))
                } else {
                    self.enum_member_value(class, name, inner)
                };
            }
            if self.script_class(&attribute.value, at.scope).is_some() {
                return Err(format!(
                    "`{}` is an attribute of a class defined in this file",
                    &self.source[expr.range()]
                ));
            }
        }
        if member.starts_with('_') {
            return Err(format!(
                "`{}` is computed at run time",
                &self.source[expr.range()]
            ));
        }
        // An attribute of a static value: `POINT.x`, `PATH.suffix`, `WHEN.year`.
        let receiver = self
            .emit_in(&attribute.value, inner)
            .map_err(|reason| reason_for(self.source, expr, reason))?;
        if is_stand_in(&receiver) {
            return Err(format!(
                "`{}` is an attribute of an instance of a class defined in this file, known only by running the file",
                &self.source[expr.range()]
            ));
        }
        Ok(format!("({receiver}).{member}"))
    }

    fn emit_call(&self, call: &'a ast::ExprCall, at: At<'_>) -> Result<String, String> {
        let inner = At {
            depth: at.depth + 1,
            ..at
        };
        let callee = &self.source[call.func.range()];
        let arguments = self.emit_call_arguments(call, inner)?;
        if !self.is_local(&call.func, at) {
            if let Some(class) = self.script_class(&call.func, at.scope) {
                return self.emit_class_instance(
                    class,
                    &call.arguments.args,
                    &call.arguments.keywords,
                    inner,
                );
            }
            if let Some((name, fields)) = self.script_namedtuple(&call.func, at.scope) {
                return Ok(format!(
                    "namedtuple({}, [{}])({})",
                    python_string(&name),
                    fields
                        .iter()
                        .map(|field| python_string(field))
                        .collect::<Vec<_>>()
                        .join(", "),
                    arguments.join(", ")
                ));
            }
            if let Some(def) = self.inlinable(&call.func, at.scope) {
                return self.emit_inlined(def, &arguments, inner);
            }
            if let Some(qualified) = self.qualified_name(&call.func, at.scope) {
                if qualified.starts_with("random.") && qualified != "random.seed" {
                    if !self.seeded.get() {
                        return Err(format!(
                            "it draws from `random` (`{callee}`), whose state is known only by running the file"
                        ));
                    }
                    self.drew_random.set(true);
                    return Ok(format!("{qualified}({})", arguments.join(", ")));
                }
                if is_pure_callable(&qualified) {
                    return Ok(format!(
                        "{}({})",
                        import_reference(&qualified),
                        arguments.join(", ")
                    ));
                }
                if qualified.starts_with("builtins.") || self.module_of(&qualified) {
                    return Err(format!("it is computed by calling `{callee}`"));
                }
            }
        }
        // A pydantic model's `model_dump()`: its fields as a dict.
        if let Expr::Attribute(method) = call.func.as_ref()
            && matches!(method.attr.id.as_str(), "model_dump" | "dict")
            && call.arguments.is_empty()
            && self
                .instance_class(&method.value, at.scope)
                .is_some_and(|class| self.is_pydantic_model(class))
        {
            let receiver = self.emit_in(&method.value, inner)?;
            return Ok(format!("dataclasses.asdict({receiver})"));
        }
        // A method of a static value: `",".join(NAMES)`, `WHEN.isoformat()`.
        if let Expr::Attribute(method) = call.func.as_ref()
            && PURE_METHODS.contains(&method.attr.id.as_str())
            && let Ok(receiver) = self.emit_in(&method.value, inner)
            && !is_stand_in(&receiver)
        {
            return Ok(format!(
                "({receiver}).{}({})",
                method.attr.id,
                arguments.join(", ")
            ));
        }
        // A lambda or comprehension variable called: `(lambda f: f(2))(abs)`.
        if let Expr::Name(name) = call.func.as_ref()
            && at.locals.iter().any(|local| local == name.id.as_str())
        {
            return Ok(format!("{}({})", name.id, arguments.join(", ")));
        }
        Err(format!("it is computed by calling `{callee}`"))
    }

    /// A function of the file whose body is only `return <expression>` (and maybe a
    /// docstring): its call is that expression.
    fn inlinable(&self, func: &Expr, scope: ScopeId) -> Option<&'a ast::StmtFunctionDef> {
        let Expr::Name(name) = func else { return None };
        let BindingKind::Function(def) = self.model.lookup(scope, name.id.as_str())?.kind else {
            return None;
        };
        self.inlinable_def(def)
    }

    fn inlinable_def(&self, def: &'a ast::StmtFunctionDef) -> Option<&'a ast::StmtFunctionDef> {
        if def.is_async || !def.decorator_list.is_empty() || self.flow.in_sandbox(def.range) {
            return None;
        }
        let body = match def.body.as_slice() {
            [ast::Stmt::Expr(docstring), rest @ ..] if docstring.value.is_string_literal_expr() => {
                rest
            }
            body => body,
        };
        match body {
            [ast::Stmt::Return(ret)] if ret.value.is_some() => Some(def),
            _ => None,
        }
    }

    /// `(lambda a, b=2: <body>)(<arguments>)`.
    fn emit_inlined(
        &self,
        def: &'a ast::StmtFunctionDef,
        arguments: &[String],
        at: At<'_>,
    ) -> Result<String, String> {
        Ok(format!(
            "{}({})",
            self.emit_inlined_lambda(def, at)?,
            arguments.join(", ")
        ))
    }

    /// `(lambda a, b=2: <body>)` for a function whose body is `return <body>`.
    fn emit_inlined_lambda(
        &self,
        def: &'a ast::StmtFunctionDef,
        at: At<'_>,
    ) -> Result<String, String> {
        let scope = self
            .model
            .function_scope(def)
            .ok_or_else(|| format!("`{}` has no scope", def.name.id))?;
        let parent = self.model.scopes[scope]
            .parent
            .unwrap_or(crate::semantic::MODULE_SCOPE);
        let parameters = &def.parameters;
        if !parameters.posonlyargs.is_empty() {
            return Err(format!("`{}` has positional-only parameters", def.name.id));
        }
        let mut names = Vec::new();
        let mut listed = Vec::new();
        let at_def = At {
            scope: parent,
            offset: def.start(),
            depth: at.depth + 1,
            locals: &[],
        };
        for parameter in &parameters.args {
            let name = parameter.name().id.to_string();
            listed.push(match parameter.default() {
                Some(default) => format!("{name}={}", self.emit_in(default, at_def)?),
                None => name.clone(),
            });
            names.push(name);
        }
        if let Some(vararg) = &parameters.vararg {
            listed.push(format!("*{}", vararg.name.id));
            names.push(vararg.name.id.to_string());
        }
        if !parameters.kwonlyargs.is_empty() {
            if parameters.vararg.is_none() {
                listed.push("*".to_owned());
            }
            for parameter in &parameters.kwonlyargs {
                let name = parameter.name().id.to_string();
                listed.push(match parameter.default() {
                    Some(default) => format!("{name}={}", self.emit_in(default, at_def)?),
                    None => name.clone(),
                });
                names.push(name);
            }
        }
        if let Some(kwarg) = &parameters.kwarg {
            listed.push(format!("**{}", kwarg.name.id));
            names.push(kwarg.name.id.to_string());
        }
        let Some(ast::Stmt::Return(ret)) = def.body.last() else {
            return Err(format!("`{}` returns nothing", def.name.id));
        };
        let value = ret.value.as_deref().expect("checked by `inlinable`");
        let body = self
            .emit_in(
                value,
                At {
                    scope,
                    offset: TextSize::from(u32::MAX),
                    depth: at.depth + 1,
                    locals: &names,
                },
            )
            .map_err(|reason| format!("it calls `{}`, and {reason}", def.name.id))?;
        Ok(format!("(lambda {}: {body})", listed.join(", ")))
    }

    fn emit_call_arguments(
        &self,
        call: &'a ast::ExprCall,
        at: At<'_>,
    ) -> Result<Vec<String>, String> {
        let mut arguments = Vec::new();
        for argument in &call.arguments.args {
            arguments.push(self.emit_in(argument, at)?);
        }
        for keyword in &call.arguments.keywords {
            let value = self.emit_in(&keyword.value, at)?;
            arguments.push(match &keyword.arg {
                Some(name) => format!("{}={value}", name.id),
                None => format!("**{value}"),
            });
        }
        Ok(arguments)
    }

    /// Whether `expr` names a comprehension or lambda variable.
    fn is_local(&self, expr: &Expr, at: At<'_>) -> bool {
        match expr {
            Expr::Name(name) => at.locals.iter().any(|local| local == name.id.as_str()),
            Expr::Attribute(attribute) => self.is_local(&attribute.value, at),
            Expr::Subscript(subscript) => self.is_local(&subscript.value, at),
            Expr::Call(call) => self.is_local(&call.func, at),
            _ => false,
        }
    }

    fn emit_name(&self, name: &str, at: At<'_>) -> Result<String, String> {
        if at.locals.iter().any(|local| local == name) {
            return Ok(name.to_owned());
        }
        let found = match self.model.resolve(at.scope, name) {
            Resolution::Scope(found) => found,
            Resolution::Builtin if PURE_BUILTINS.contains(&name) || is_builtin_class(name) => {
                return Ok(name.to_owned());
            }
            Resolution::Builtin => return Err(format!("`{name}` is a builtin")),
            Resolution::Unbound => return Err(self.unbound(name)),
        };
        // Read from an inner scope, the enclosing scope has run to its end; a
        // comprehension binds its variables before its element runs.
        let comprehension = matches!(
            self.model.scopes[found].kind,
            crate::semantic::ScopeKind::Comprehension
        );
        let read = if found == at.scope && !comprehension {
            at.offset
        } else {
            TextSize::from(u32::MAX)
        };
        self.emit_value_at(name, found, read, at.depth)
    }

    /// Why a name bound nowhere has no value.
    pub(crate) fn unbound(&self, name: &str) -> String {
        match self.flow.dynamic_globals {
            Some(range) => format!(
                "`{name}` is bound by no statement, and the file writes its globals at run time (`{}`, line {})",
                &self.source[range],
                self.line(range.start())
            ),
            None => format!("`{name}` is not defined"),
        }
    }

    /// The value `name`, bound in `scope`, has when read at `read`: the binding that
    /// reaches it in the order of the statements, unless a statement that may or may
    /// not run decides it, or the value is changed in place before the read.
    pub(crate) fn emit_value_at(
        &self,
        name: &str,
        scope: ScopeId,
        read: TextSize,
        depth: u8,
    ) -> Result<String, String> {
        if depth > MAX_DEPTH {
            return Err("its definition is too deeply nested".into());
        }
        let bindings: Vec<_> = self.model.bindings_in(scope, name).collect();
        // `global NAME; NAME = ...` in a function: it changes whenever that runs.
        if let Some(write) = bindings
            .iter()
            .find(|binding| binding.in_function && !self.flow.in_sandbox(binding.range))
        {
            return Err(format!(
                "`{name}` is also assigned by a function that declares it `global` (line {}): its value when the call runs is known only by running the file",
                self.line(write.range.start())
            ));
        }
        // What the sandbox function itself assigns happens in the sandbox.
        let bindings: Vec<_> = bindings
            .into_iter()
            .filter(|binding| !binding.in_function)
            .collect();
        let Some(binding) = bindings.iter().find(|binding| binding.range.start() < read) else {
            return Err(match bindings.last() {
                Some(first) if scope != crate::semantic::MODULE_SCOPE => format!(
                    "`{name}` is assigned only at line {}, after the call: its closure cell is empty when the call runs (the SDK raises `ValueError: Cell is empty`)",
                    self.line(first.range.start())
                ),
                Some(first) => format!(
                    "`{name}` is assigned only at line {}, after the call",
                    self.line(first.range.start())
                ),
                None => format!("`{name}` has no value"),
            });
        };
        if let Some((range, what)) = self.flow.uncertain(scope, binding.range, read) {
            // A loop variable is the loop's own business (below).
            let loop_variable = matches!(binding.kind, BindingKind::LoopItem { .. })
                && range.start() == binding.statement.start();
            if !loop_variable {
                return Err(format!(
                    "`{name}` is bound at line {} inside {what} (line {}): which value it has when the call runs is known only by running the file",
                    self.line(binding.range.start()),
                    self.line(range.start())
                ));
            }
        }
        if let Some(mutation) = self.mutation_before(name, scope, binding.range.start(), read) {
            return Err(format!(
                "`{name}` is changed at line {} (`{}`) after it is bound at line {}: its value when the call runs is known only by running the file",
                self.line(mutation.range.start()),
                clip_source(&self.source[mutation.range]),
                self.line(binding.range.start())
            ));
        }
        let at_binding = At {
            scope,
            offset: binding.range.start(),
            depth: depth + 1,
            locals: &[],
        };
        match binding.kind {
            BindingKind::Assignment(value) => {
                let seed = (scope == crate::semantic::MODULE_SCOPE)
                    .then(|| self.flow.seed_before(binding.statement))
                    .flatten();
                let outer = self.seeded.replace(seed.is_some());
                let drew = self.drew_random.replace(false);
                let emitted = self.emit_in(value, at_binding);
                let drew = self.drew_random.replace(drew);
                self.seeded.set(outer);
                let text = emitted.map_err(|reason| {
                    format!("`{name}` cannot be evaluated statically: {reason}")
                })?;
                match seed {
                    Some(call) if drew => {
                        let arguments = self.emit_call_arguments(call, at_binding)?;
                        Ok(format!(
                            "(random.seed({}), {text})[1]",
                            arguments.join(", ")
                        ))
                    }
                    _ => Ok(text),
                }
            }
            BindingKind::LoopItem { iterable, index } => {
                self.emit_loop_item(name, binding, iterable, index, read, at_binding)
            }
            BindingKind::FromImport { module, member } if !module.is_empty() => {
                let qualified = format!("{module}.{member}");
                if is_pure_reference(&qualified) || is_pure_callable(&qualified) {
                    Ok(import_reference(&qualified))
                } else {
                    Err(format!(
                        "`{name}` is `{qualified}`, which the analysis does not evaluate"
                    ))
                }
            }
            BindingKind::Import { .. } => Err(format!("`{name}` is a module")),
            // A function of the script: whatever it does, no serializer carries it.
            // It also behaves as the function when the value is built with it
            // (`sorted(rows, key=by_id)`), when its body is one static expression.
            BindingKind::Function(def)
                if scope == crate::semantic::MODULE_SCOPE && !self.flow.in_sandbox(def.range) =>
            {
                let implementation = self
                    .inlinable_def(def)
                    .and_then(|def| self.emit_inlined_lambda(def, at_binding).ok());
                Ok(match implementation {
                    Some(lambda) => format!("script_function({}, {lambda})", python_string(name)),
                    None => format!("script_function({})", python_string(name)),
                })
            }
            BindingKind::Function(_) => Err(format!("`{name}` is a function")),
            BindingKind::Class(class) if enum_base(class).is_some() => {
                self.emit_enum_class(class, at_binding)
            }
            BindingKind::Class(_) => Err(format!("`{name}` is a class defined in this file")),
            BindingKind::Parameter => self.parameter_value(name, scope, depth),
            BindingKind::Receiver { .. } => {
                Err(format!("`{name}` is a parameter, known only at run time"))
            }
            // A comprehension's variable.
            BindingKind::Unknown
                if matches!(
                    self.model.scopes[scope].kind,
                    crate::semantic::ScopeKind::Comprehension
                ) =>
            {
                let (iterable, index) = self
                    .flow
                    .generators
                    .iter()
                    .find_map(|generator| {
                        let index = match &generator.target {
                            Expr::Name(target) if target.range == binding.range => None,
                            Expr::Tuple(tuple) => Some(tuple.elts.iter().position(
                                |element| matches!(element, Expr::Name(target) if target.range == binding.range),
                            )?),
                            _ => return None,
                        };
                        Some((&generator.iter, index))
                    })
                    .ok_or_else(|| format!("`{name}` is bound at run time"))?;
                self.emit_loop_item(name, binding, iterable, index, read, at_binding)
            }
            BindingKind::WithItem(_) | BindingKind::FromImport { .. } | BindingKind::Unknown => {
                Err(format!("`{name}` is bound at run time"))
            }
        }
    }

    /// A parameter of a function the file calls exactly once, by its name: the value
    /// that call passes, or the default.
    fn parameter_value(&self, name: &str, scope: ScopeId, depth: u8) -> Result<String, String> {
        let unknown = || format!("`{name}` is a parameter, known only at run time");
        let crate::semantic::ScopeKind::Function(def) = self.model.scopes[scope].kind else {
            return Err(unknown());
        };
        let Some(parent) = self.model.scopes[scope].parent else {
            return Err(unknown());
        };
        if matches!(
            self.model.scopes[parent].kind,
            crate::semantic::ScopeKind::Class(_)
        ) {
            return self.method_parameter_value(name, def, parent, depth);
        }
        let function = def.name.id.as_str();
        let is_this = |use_scope: ScopeId| {
            matches!(
                self.model.lookup(use_scope, function).map(|binding| binding.kind),
                Some(BindingKind::Function(found)) if std::ptr::eq(found, def)
            )
        };
        // Every read of the function's name must be that one call.
        let reads = self
            .model
            .scopes
            .iter()
            .enumerate()
            .flat_map(|(use_scope, scope)| scope.uses.iter().map(move |&id| (use_scope, id)))
            .filter(|&(use_scope, id)| {
                let name_use = &self.model.uses[id];
                name_use.name == function
                    && name_use.ctx == ast::ExprContext::Load
                    && is_this(use_scope)
            })
            .count();
        let calls: Vec<_> = self
            .model
            .calls
            .iter()
            .filter(|record| {
                record.kind == crate::semantic::CallKind::Direct
                    && record.name == function
                    && is_this(record.scope)
            })
            .collect();
        let [call] = calls.as_slice() else {
            return Err(format!(
                "`{name}` is a parameter of `{function}`, which the file calls {} times",
                calls.len()
            ));
        };
        if reads != 1 {
            return Err(format!(
                "`{name}` is a parameter of `{function}`, whose name is also used other than in its call"
            ));
        }
        let parameters = &def.parameters;
        let position = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .position(|parameter| parameter.name().id.as_str() == name);
        let arguments = &call.call.arguments;
        if arguments.args.iter().any(Expr::is_starred_expr)
            || arguments
                .keywords
                .iter()
                .any(|keyword| keyword.arg.is_none())
        {
            return Err(format!(
                "`{name}` is a parameter of `{function}`, whose call unpacks its arguments"
            ));
        }
        let passed = position
            .and_then(|index| arguments.args.get(index))
            .or_else(|| arguments.find_keyword(name).map(|keyword| &keyword.value));
        let at_call = At {
            scope: call.scope,
            offset: call.call.start(),
            depth: depth + 1,
            locals: &[],
        };
        match passed {
            Some(value) => self.emit_in(value, at_call),
            None => {
                let default = parameters
                    .iter_non_variadic_params()
                    .find(|parameter| parameter.name().id.as_str() == name)
                    .and_then(|parameter| parameter.default())
                    .ok_or_else(unknown)?;
                self.emit_in(
                    default,
                    At {
                        scope: parent,
                        offset: def.start(),
                        ..at_call
                    },
                )
            }
        }
        .map_err(|reason| format!("`{name}` is what `{function}` is called with, and {reason}"))
    }

    /// A parameter of a method the file calls exactly once, through an instance
    /// (`runner.run(trials)`), which binds the first parameter.
    fn method_parameter_value(
        &self,
        name: &str,
        def: &'a ast::StmtFunctionDef,
        class_scope: ScopeId,
        depth: u8,
    ) -> Result<String, String> {
        let method = def.name.id.as_str();
        let unknown =
            || format!("`{name}` is a parameter of the method `{method}`, known only at run time");
        if def.decorator_list.iter().any(|decorator| {
            matches!(&decorator.expression, Expr::Name(name) if matches!(name.id.as_str(), "staticmethod" | "classmethod"))
        }) {
            return Err(unknown());
        }
        let class_name = match self.model.scopes[class_scope].kind {
            crate::semantic::ScopeKind::Class(class) => class.name.id.as_str(),
            _ => return Err(unknown()),
        };
        let calls: Vec<_> = self
            .flow
            .attribute_calls
            .iter()
            .filter(|(_, call)| {
                matches!(call.func.as_ref(), Expr::Attribute(attribute) if attribute.attr.id.as_str() == method
                    && !matches!(attribute.value.as_ref(), Expr::Name(owner) if owner.id.as_str() == class_name))
            })
            .collect();
        let [(call_scope, call)] = calls.as_slice() else {
            return Err(unknown());
        };
        let arguments = &call.arguments;
        if arguments.args.iter().any(Expr::is_starred_expr)
            || arguments
                .keywords
                .iter()
                .any(|keyword| keyword.arg.is_none())
        {
            return Err(unknown());
        }
        // The instance takes the first parameter.
        let position = def
            .parameters
            .args
            .iter()
            .position(|parameter| parameter.name().id.as_str() == name)
            .filter(|index| *index > 0)
            .map(|index| index - 1);
        let passed = position
            .and_then(|index| arguments.args.get(index))
            .or_else(|| arguments.find_keyword(name).map(|keyword| &keyword.value));
        let Some(value) = passed else {
            return Err(unknown());
        };
        self.emit_in(
            value,
            At {
                scope: *call_scope,
                offset: call.start(),
                depth: depth + 1,
                locals: &[],
            },
        )
        .map_err(|reason| format!("`{name}` is what `{method}` is called with, and {reason}"))
    }

    /// A loop variable: the first item while the loop runs, the last one after it.
    fn emit_loop_item(
        &self,
        name: &str,
        binding: &crate::semantic::Binding<'a>,
        iterable: &'a Expr,
        index: Option<usize>,
        read: TextSize,
        at: At<'_>,
    ) -> Result<String, String> {
        // A comprehension's variable, read by a call in its element: the first item,
        // for the first call.
        if matches!(
            self.model.scopes[at.scope].kind,
            crate::semantic::ScopeKind::Comprehension
        ) {
            let items = self.emit_in(iterable, at).map_err(|reason| {
                format!("`{name}` is a comprehension variable over values not known statically: {reason}")
            })?;
            return Ok(match index {
                Some(index) => format!("(list({items})[0])[{index}]"),
                None => format!("(list({items})[0])"),
            });
        }
        let Some((loop_range, breaks)) = self.flow.enclosing_loop(at.scope, binding.range) else {
            return Err(format!("`{name}` is bound at run time"));
        };
        let items = self.emit_in(iterable, at).map_err(|reason| {
            format!("`{name}` is a loop variable over values not known statically: {reason}")
        })?;
        let position = if loop_range.contains(read) {
            if self.iterate.get() && !breaks {
                let mut iterated = self.iterated.borrow_mut();
                if !iterated.iter().any(|(range, _)| *range == loop_range) {
                    iterated.push((loop_range, items.clone()));
                }
                let position = loop_index_name(loop_range.start());
                return Ok(match index {
                    Some(index) => format!("(list({items})[{position}])[{index}]"),
                    None => format!("(list({items})[{position}])"),
                });
            }
            "0"
        } else if breaks {
            return Err(format!(
                "`{name}` is the variable of a loop that may `break` (line {}): which item it holds is known only by running the file",
                self.line(loop_range.start())
            ));
        } else {
            "-1"
        };
        Ok(match index {
            Some(index) => format!("(list({items})[{position}])[{index}]"),
            None => format!("(list({items})[{position}])"),
        })
    }

    /// A change in place of `name` (bound in `scope` at `bound`) that may happen
    /// before it is read at `read`: in `scope` between the two, or in another
    /// function of the client, which may run at any time.
    fn mutation_before(
        &self,
        name: &str,
        scope: ScopeId,
        bound: TextSize,
        read: TextSize,
    ) -> Option<&Mutation> {
        self.flow.mutations.get(name)?.iter().find(|mutation| {
            !self.flow.in_sandbox(mutation.range)
                && self.model.resolve(mutation.scope, name) == Resolution::Scope(scope)
                && (mutation.scope != scope
                    || (mutation.range.start() > bound && mutation.range.start() < read))
        })
    }

    /// The 1-based line of an offset.
    pub(crate) fn line(&self, offset: TextSize) -> usize {
        let offset = offset.min(TextSize::of(self.source));
        self.lines
            .get_or_init(|| LineIndex::from_source_text(self.source))
            .line_index(offset)
            .get()
    }

    fn script_class(&self, expr: &Expr, scope: ScopeId) -> Option<&'a ast::StmtClassDef> {
        crate::value::Values { model: self.model }.script_class(expr, scope)
    }

    fn script_enum(&self, expr: &Expr, scope: ScopeId) -> Option<&'a ast::StmtClassDef> {
        self.script_class(expr, scope)
            .filter(|class| crate::value::is_enum_class(class))
    }

    /// `Point = namedtuple("Point", "x y")` or `class Point(NamedTuple)`: the name and
    /// the fields.
    fn script_namedtuple(&self, expr: &'a Expr, scope: ScopeId) -> Option<(String, Vec<String>)> {
        let Expr::Name(name) = expr else { return None };
        let binding = self.model.lookup(scope, name.id.as_str())?;
        match binding.kind {
            BindingKind::Class(class) if has_base(class, &["NamedTuple"]) => {
                if class
                    .body
                    .iter()
                    .any(|statement| matches!(statement, ast::Stmt::AnnAssign(field) if field.value.is_some()))
                {
                    return None;
                }
                Some((class.name.id.to_string(), class_fields(class)))
            }
            BindingKind::Assignment(Expr::Call(call)) => {
                let qualified = self.qualified_name(&call.func, binding.scope)?;
                if !matches!(
                    qualified.as_str(),
                    "collections.namedtuple" | "typing.NamedTuple"
                ) || !call.arguments.keywords.is_empty()
                {
                    return None;
                }
                let [Expr::StringLiteral(type_name), fields] = &call.arguments.args[..] else {
                    return None;
                };
                let fields = match fields {
                    Expr::StringLiteral(text) => text
                        .value
                        .to_str()
                        .replace(',', " ")
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                    Expr::List(ast::ExprList { elts, .. })
                    | Expr::Tuple(ast::ExprTuple { elts, .. }) => elts
                        .iter()
                        .map(|element| match element {
                            Expr::StringLiteral(text) => Some(text.value.to_str().to_owned()),
                            Expr::Tuple(pair) => match pair.elts.first() {
                                Some(Expr::StringLiteral(text)) => {
                                    Some(text.value.to_str().to_owned())
                                }
                                _ => None,
                            },
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()?,
                    _ => return None,
                };
                Some((type_name.value.to_str().to_owned(), fields))
            }
            _ => None,
        }
    }

    /// An instance of one of the file's classes, `Class(args)`: a dataclass (rebuilt
    /// with `make_dataclass`), a pydantic model built from its defaults, an instance
    /// of a subclass of `dict` or `list`, or a stand-in for any other class, which no
    /// serializer can carry (JSON refuses it, PICKLE fails to find the class in the
    /// sandbox's `__main__`) whatever its attributes.
    fn emit_class_instance(
        &self,
        class: &'a ast::StmtClassDef,
        args: &'a [Expr],
        keywords: &'a [ast::Keyword],
        at: At<'_>,
    ) -> Result<String, String> {
        let name = class.name.id.as_str();
        if crate::value::is_dataclass(class) || self.is_pydantic_model(class) {
            if self.is_pydantic_model(class) && !(args.is_empty() && keywords.is_empty()) {
                return Err(format!(
                    "it is a `{name}` built from arguments, which pydantic validates at run time"
                ));
            }
            let fields = self.dataclass_fields(class, args, keywords, at)?;
            let names: Vec<String> = fields
                .iter()
                .map(|(field, _)| python_string(field))
                .collect();
            let values: Vec<String> = fields
                .iter()
                .map(|(field, value)| format!("{field}={value}"))
                .collect();
            return Ok(format!(
                "make_dataclass({}, [{}])({})",
                python_string(name),
                names.join(", "),
                values.join(", ")
            ));
        }
        if crate::value::is_enum_class(class) {
            return Err(format!("it is a member of `{name}` looked up by value"));
        }
        let defines = |method: &str| {
            class.body.iter().any(|statement| {
                matches!(statement, ast::Stmt::FunctionDef(def) if def.name.id.as_str() == method)
            })
        };
        // `class Params(dict)` without a constructor of its own: a dict to JSON.
        if let Some(base @ ("dict" | "list")) = self.builtin_base(class)
            && !defines("__init__")
            && !defines("__new__")
            && !self.pickle
        {
            let mut arguments = Vec::new();
            for argument in args {
                arguments.push(self.emit_in(argument, at)?);
            }
            for keyword in keywords {
                let value = self.emit_in(&keyword.value, at)?;
                arguments.push(match &keyword.arg {
                    Some(arg) => format!("{arg}={value}"),
                    None => format!("**{value}"),
                });
            }
            return Ok(format!("{base}({})", arguments.join(", ")));
        }
        if self.is_plain_class(class, 0)
            && class
                .arguments
                .as_ref()
                .is_none_or(|arguments| arguments.keywords.is_empty())
        {
            return Ok(format!("script_object({})", python_string(name)));
        }
        Err(format!(
            "it is an instance of `{name}`, a class defined in this file"
        ))
    }

    /// A class of the file whose bases are only other such classes (or none).
    fn is_plain_class(&self, class: &ast::StmtClassDef, depth: u8) -> bool {
        if depth > 8 || crate::value::is_dataclass(class) || crate::value::is_enum_class(class) {
            return false;
        }
        class.bases().iter().all(|base| match base {
            Expr::Name(name) if name.id.as_str() == "object" => true,
            Expr::Name(name) => match self
                .model
                .lookup(crate::semantic::MODULE_SCOPE, name.id.as_str())
                .map(|binding| binding.kind)
            {
                Some(BindingKind::Class(parent)) => self.is_plain_class(parent, depth + 1),
                _ => false,
            },
            _ => false,
        })
    }

    /// `dict` for `class Params(dict)`.
    fn builtin_base(&self, class: &ast::StmtClassDef) -> Option<&'static str> {
        let [Expr::Name(base)] = class.bases() else {
            return None;
        };
        ["dict", "list"]
            .into_iter()
            .find(|known| *known == base.id.as_str())
            .filter(|_| {
                self.model
                    .resolve(crate::semantic::MODULE_SCOPE, base.id.as_str())
                    == Resolution::Builtin
            })
    }

    /// The class of the file `expr` is an instance of: `Config(...)`, or a name bound
    /// to that.
    fn instance_class(&self, expr: &'a Expr, scope: ScopeId) -> Option<&'a ast::StmtClassDef> {
        match expr {
            Expr::Call(call) => self.script_class(&call.func, scope),
            Expr::Name(name) => {
                let Resolution::Scope(found) = self.model.resolve(scope, name.id.as_str()) else {
                    return None;
                };
                match self.model.bindings_in(found, name.id.as_str()).next()?.kind {
                    BindingKind::Assignment(value) => self.instance_class(value, found),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn is_pydantic_model(&self, class: &ast::StmtClassDef) -> bool {
        class.bases().iter().any(|base| {
            self.qualified_name(base, crate::semantic::MODULE_SCOPE)
                .is_some_and(|name| name == "pydantic.BaseModel")
        })
    }

    /// Each field of a dataclass instance `Point(1, y=2)`, with its value.
    fn dataclass_fields(
        &self,
        class: &'a ast::StmtClassDef,
        args: &'a [Expr],
        keywords: &'a [ast::Keyword],
        at: At<'_>,
    ) -> Result<Vec<(String, String)>, String> {
        let fields: Vec<(&str, Option<&'a Expr>)> = class
            .body
            .iter()
            .filter_map(|statement| match statement {
                ast::Stmt::AnnAssign(field) => match field.target.as_ref() {
                    Expr::Name(name) if !is_class_var(&field.annotation) => {
                        Some((name.id.as_str(), field.value.as_deref()))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if args.iter().any(Expr::is_starred_expr)
            || keywords.iter().any(|keyword| keyword.arg.is_none())
        {
            return Err(format!("`{}(...)` unpacks its arguments", class.name.id));
        }
        if args.len() > fields.len() {
            return Err(format!("`{}` takes {} fields", class.name.id, fields.len()));
        }
        let mut values = Vec::new();
        for (index, (field, default)) in fields.iter().enumerate() {
            let keyword = keywords
                .iter()
                .find(|keyword| {
                    keyword
                        .arg
                        .as_ref()
                        .is_some_and(|arg| arg.id.as_str() == *field)
                })
                .map(|keyword| &keyword.value);
            let value = match (args.get(index), keyword, default) {
                (Some(value), _, _) | (None, Some(value), _) => self.emit_in(value, at)?,
                (None, None, Some(default)) => self.emit_default(default, at)?,
                (None, None, None) => {
                    return Err(format!("`{field}` of `{}` is not given", class.name.id));
                }
            };
            values.push((field.to_string(), value));
        }
        Ok(values)
    }

    /// A dataclass field's default: a value, or `field(default=...)` /
    /// `field(default_factory=list)`.
    fn emit_default(&self, default: &'a Expr, at: At<'_>) -> Result<String, String> {
        let module_level = At {
            scope: crate::semantic::MODULE_SCOPE,
            offset: TextSize::from(u32::MAX),
            ..at
        };
        if let Expr::Call(call) = default
            && self
                .qualified_name(&call.func, module_level.scope)
                .as_deref()
                == Some("dataclasses.field")
        {
            if let Some(value) = call.arguments.find_keyword("default") {
                return self.emit_in(&value.value, module_level);
            }
            if let Some(factory) = call.arguments.find_keyword("default_factory") {
                if let Some(class) = self.script_class(&factory.value, module_level.scope) {
                    return self.emit_class_instance(class, &[], &[], module_level);
                }
                return Ok(format!("{}()", self.emit_in(&factory.value, module_level)?));
            }
            return Err("a dataclass field has no default".into());
        }
        self.emit_in(default, module_level)
    }

    /// `Priority.HIGH`: the member itself, or its value as pydantic sends it in JSON
    /// mode.
    fn emit_enum_member(
        &self,
        class: &'a ast::StmtClassDef,
        member: &str,
        at: At<'_>,
    ) -> Result<String, String> {
        // In JSON mode pydantic sends the member's value: the value alone will do.
        if enum_base(class).is_none() {
            return if self.json {
                self.enum_member_value(class, member, at)
            } else {
                Err(format!(
                    "`{}` mixes in a type the analysis does not rebuild",
                    class.name.id
                ))
            };
        }
        if !enum_members(class).any(|(name, _)| name == member) {
            return Err(format!("`{member}` is not a member of `{}`", class.name.id));
        }
        Ok(format!("{}.{member}", self.emit_enum_class(class, at)?))
    }

    /// One of the file's enums, rebuilt with the functional API:
    /// `IntEnum('Level', [('LOW', enum.auto())])`.
    fn emit_enum_class(&self, class: &'a ast::StmtClassDef, at: At<'_>) -> Result<String, String> {
        let base = enum_base(class).ok_or_else(|| {
            format!(
                "`{}` mixes in a type the analysis does not rebuild",
                class.name.id
            )
        })?;
        let mut members = Vec::new();
        for (name, value) in enum_members(class) {
            let value = match value {
                Expr::Call(call) if self.is_enum_auto(call) => "enum.auto()".to_owned(),
                value => self.emit_in(
                    value,
                    At {
                        scope: crate::semantic::MODULE_SCOPE,
                        offset: TextSize::from(u32::MAX),
                        depth: at.depth + 1,
                        locals: &[],
                    },
                )?,
            };
            members.push(format!("({}, {value})", python_string(name)));
        }
        Ok(format!(
            "{base}({}, [{}])",
            python_string(&class.name.id),
            members.join(", ")
        ))
    }

    /// The value of an enum member, `auto()` counted as the enum counts it.
    fn enum_member_value(
        &self,
        class: &'a ast::StmtClassDef,
        member: &str,
        at: At<'_>,
    ) -> Result<String, String> {
        let module_level = At {
            scope: crate::semantic::MODULE_SCOPE,
            offset: TextSize::from(u32::MAX),
            ..at
        };
        let string_enum = has_base(class, &["StrEnum"]);
        let flag = has_base(class, &["Flag", "IntFlag"]);
        let mut last: Option<i64> = None;
        for (name, value) in enum_members(class) {
            let text = match value {
                Expr::Call(call) if self.is_enum_auto(call) => {
                    if string_enum {
                        python_string(&name.to_lowercase())
                    } else {
                        let next = match (last, flag) {
                            (None, _) => 1,
                            (Some(previous), false) => previous + 1,
                            (Some(previous), true) => {
                                1_i64 << (64 - previous.max(1).leading_zeros())
                            }
                        };
                        last = Some(next);
                        format!("({next})")
                    }
                }
                value => {
                    if let Expr::NumberLiteral(number) = value
                        && let ast::Number::Int(int) = &number.value
                    {
                        last = int.as_i64();
                    }
                    if name != member {
                        continue;
                    }
                    self.emit_in(value, module_level)?
                }
            };
            if name == member {
                return Ok(text);
            }
        }
        Err(format!(
            "`{member}` has no literal value in `{}`",
            class.name.id
        ))
    }

    fn is_enum_auto(&self, call: &ast::ExprCall) -> bool {
        call.arguments.is_empty()
            && self
                .qualified_name(&call.func, crate::semantic::MODULE_SCOPE)
                .is_some_and(|name| name == "enum.auto")
    }

    fn qualified_name(&self, expr: &'a Expr, scope: ScopeId) -> Option<String> {
        if let Expr::Name(name) = expr
            && self.model.resolve(scope, name.id.as_str()) == Resolution::Builtin
        {
            return Some(format!("builtins.{}", name.id));
        }
        Finder {
            model: self.model,
            sdk: None,
        }
        .qualified_name(expr, scope, 0)
    }

    /// Whether a qualified name is a member of a module (not of a value).
    fn module_of(&self, qualified: &str) -> bool {
        let root = qualified.split('.').next().unwrap_or(qualified);
        crate::stdlib::is_module(root)
    }
}

/// A stand-in for an instance of a class of the script, which only travels.
fn is_stand_in(source: &str) -> bool {
    source.starts_with("script_object(") || source.starts_with("(script_object(")
}

/// A statement's text, on one line and short.
fn clip_source(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 60 {
        format!("{}...", line.chars().take(57).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// What to say when a value's part is not static.
fn reason_for(source: &str, expr: &Expr, reason: String) -> String {
    if reason.contains("computed") || reason.contains("cannot be evaluated") {
        reason
    } else {
        format!(
            "`{}` is computed at run time ({reason})",
            &source[expr.range()]
        )
    }
}

/// A module member that is a value of its own: a constant, a function, a class.
fn is_pure_reference(qualified: &str) -> bool {
    is_pure_callable(qualified) || matches!(qualified, "sys.maxsize" | "datetime.timezone.utc")
}

/// A standard-library function or class that depends on its arguments only.
fn is_pure_callable(qualified: &str) -> bool {
    if let Some(name) = qualified.strip_prefix("builtins.") {
        return PURE_BUILTINS.contains(&name) || is_builtin_class(name);
    }
    if PURE_FUNCTIONS.contains(&qualified) {
        return true;
    }
    let Some(module) = PURE_MODULES.iter().find(|module| {
        qualified
            .strip_prefix(**module)
            .is_some_and(|rest| rest.starts_with('.'))
    }) else {
        return false;
    };
    let members = &qualified[module.len() + 1..];
    !members
        .split('.')
        .any(|member| member.starts_with('_') || IMPURE_MEMBERS.contains(&member))
}

/// Builtin classes a literal may name: exceptions and the basic types.
fn is_builtin_class(name: &str) -> bool {
    name.ends_with("Error")
        || name.ends_with("Exception")
        || matches!(name, "object" | "type" | "memoryview")
}

/// The qualified name as literal source: the sandbox's runner resolves stdlib
/// module names (`datetime.datetime`, `math.sqrt`); builtins go by their own name.
fn import_reference(qualified: &str) -> String {
    qualified
        .strip_prefix("builtins.")
        .unwrap_or(qualified)
        .to_string()
}

/// A Python string literal for `text`.
pub(crate) fn python_string(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('\'');
    for c in text.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("\\'"),
            '\n' => literal.push_str("\\n"),
            '\r' => literal.push_str("\\r"),
            '\t' => literal.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                literal.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => literal.push(c),
        }
    }
    literal.push('\'');
    literal
}

/// Whether a class lists one of `names` among its bases (`Enum`, `enum.Enum`).
fn has_base(class: &ast::StmtClassDef, names: &[&str]) -> bool {
    class.bases().iter().any(|base| {
        let name = match base {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.id.as_str(),
            _ => return false,
        };
        names.contains(&name)
    })
}

/// The functional-API factory that rebuilds an enum: `IntEnum` for `class P(IntEnum)`.
fn enum_base(class: &ast::StmtClassDef) -> Option<&'static str> {
    let bases = class.bases();
    let [base] = bases else { return None };
    let name = match base {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.id.as_str(),
        _ => return None,
    };
    ["Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"]
        .into_iter()
        .find(|known| *known == name)
}

/// `NAME = value` members of an enum's body, in order.
fn enum_members(class: &ast::StmtClassDef) -> impl Iterator<Item = (&str, &Expr)> {
    class.body.iter().filter_map(|statement| match statement {
        ast::Stmt::Assign(assign) => match assign.targets.as_slice() {
            [Expr::Name(target)] if !target.id.starts_with('_') => {
                Some((target.id.as_str(), assign.value.as_ref()))
            }
            _ => None,
        },
        _ => None,
    })
}

/// The annotated fields of a class body (`x: float`).
fn class_fields(class: &ast::StmtClassDef) -> Vec<String> {
    class
        .body
        .iter()
        .filter_map(|statement| match statement {
            ast::Stmt::AnnAssign(field) => match field.target.as_ref() {
                Expr::Name(name) => Some(name.id.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn is_class_var(annotation: &Expr) -> bool {
    let name = match annotation {
        Expr::Subscript(subscript) => subscript.value.as_ref(),
        other => other,
    };
    match name {
        Expr::Name(name) => name.id.as_str() == "ClassVar",
        Expr::Attribute(attribute) => attribute.attr.id.as_str() == "ClassVar",
        _ => false,
    }
}

/// Methods that change the value they are called on.
const MUTATING_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "popitem",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "sort",
    "reverse",
    "appendleft",
    "extendleft",
    "popleft",
    "rotate",
    "difference_update",
    "intersection_update",
    "symmetric_difference_update",
    "subtract",
    "__setitem__",
    "__delitem__",
];

/// Standard-library functions that change their first argument.
const MUTATING_FUNCTIONS: &[&str] = &[
    "random.shuffle",
    "heapq.heappush",
    "heapq.heappop",
    "heapq.heapify",
    "heapq.heappushpop",
    "heapq.heapreplace",
    "bisect.insort",
    "bisect.insort_left",
    "bisect.insort_right",
];

/// A place where the file changes a value in place: `d[k] = v`, `items.append(x)`.
#[derive(Clone, Debug)]
pub(crate) struct Mutation {
    /// The scope the statement runs in.
    pub(crate) scope: ScopeId,
    pub(crate) range: TextRange,
}

/// What the file does to its names besides binding them, as far as the order of
/// statements says: the changes in place, the statements that may run zero or many
/// times, the writes through `globals()`.
#[derive(Default)]
pub(crate) struct Flow<'a> {
    /// By the name they change, in source order. (The flow is asked by name or by
    /// scope, for every value a call site reads: a large file has thousands of
    /// each.)
    mutations: FxHashMap<&'a str, Vec<Mutation>>,
    /// `if`, loops, `except`/`else`/`finally` clauses, `match`, by scope, in source
    /// order: whether their statements run is decided at run time.
    conditional: FxHashMap<ScopeId, Vec<(TextRange, &'static str)>>,
    /// Loop statements, by scope, and whether they `break`.
    loops: FxHashMap<ScopeId, Vec<(TextRange, bool)>>,
    /// The first `globals()` of the file.
    pub(crate) dynamic_globals: Option<TextRange>,
    /// Sandbox functions' statements: what their bodies do happens in the sandbox.
    sandboxed: Vec<TextRange>,
    /// Calls through an attribute (`runner.run(trials)`), with their scope.
    attribute_calls: Vec<(ScopeId, &'a ast::ExprCall)>,
    /// The `for` clauses of the file's comprehensions.
    generators: Vec<&'a ast::Comprehension>,
    /// Module-level statements, in order, that use the `random` module's shared
    /// state, and whether they seed it (`random.seed(0)`).
    random_statements: Vec<(TextRange, Option<&'a ast::ExprCall>)>,
}

impl<'a> Flow<'a> {
    pub(crate) fn build(
        model: &SemanticModel<'a>,
        body: &'a [ast::Stmt],
        sandboxed: Vec<TextRange>,
    ) -> Flow<'a> {
        let mut walker = FlowWalker {
            model,
            scope: crate::semantic::MODULE_SCOPE,
            flow: Flow {
                sandboxed,
                ..Flow::default()
            },
            statement: None,
        };
        for statement in body {
            walker.statement = Some(statement.range());
            ruff_python_ast::visitor::Visitor::visit_stmt(&mut walker, statement);
        }
        walker.flow
    }

    /// The `random.seed(...)` call that fixes the state of `random` for the module-level
    /// statement `statement`: the last use of `random` before it, when it seeds.
    pub(crate) fn seed_before(&self, statement: TextRange) -> Option<&'a ast::ExprCall> {
        self.random_statements
            .iter()
            .rfind(|(range, _)| range.end() <= statement.start())
            .and_then(|(_, seed)| *seed)
    }

    pub(crate) fn in_sandbox(&self, range: TextRange) -> bool {
        self.sandboxed
            .iter()
            .any(|sandboxed| sandboxed.contains_range(range))
    }

    /// The conditional statement of `scope` that holds `inner` but not `read`.
    fn uncertain(
        &self,
        scope: ScopeId,
        inner: TextRange,
        read: TextSize,
    ) -> Option<(TextRange, &'static str)> {
        self.conditional
            .get(&scope)?
            .iter()
            .find(|(range, _)| range.contains_range(inner) && !range.contains(read))
            .copied()
    }

    /// The innermost loop of `scope` that holds `inner`.
    fn enclosing_loop(&self, scope: ScopeId, inner: TextRange) -> Option<(TextRange, bool)> {
        self.loops
            .get(&scope)?
            .iter()
            .filter(|(range, _)| range.contains_range(inner))
            .min_by_key(|(range, _)| range.len())
            .copied()
    }
}

struct FlowWalker<'m, 'a> {
    model: &'m SemanticModel<'a>,
    scope: ScopeId,
    flow: Flow<'a>,
    /// The module-level statement being walked.
    statement: Option<TextRange>,
}

impl<'a> FlowWalker<'_, 'a> {
    fn mutate(&mut self, target: &'a Expr, range: TextRange) {
        if let Some(name) = root_name(target) {
            let mutation = Mutation {
                scope: self.scope,
                range,
            };
            self.flow.mutations.entry(name).or_default().push(mutation);
        }
    }

    fn conditional(&mut self, range: TextRange, what: &'static str) {
        let conditional = self.flow.conditional.entry(self.scope).or_default();
        conditional.push((range, what));
    }

    fn enter_loop(&mut self, range: TextRange, breaks: bool) {
        self.conditional(range, "a loop");
        let loops = self.flow.loops.entry(self.scope).or_default();
        loops.push((range, breaks));
    }

    fn class_scope(&self, class: &ast::StmtClassDef) -> Option<ScopeId> {
        self.model.scopes.iter().position(|scope| {
            matches!(scope.kind, crate::semantic::ScopeKind::Class(found) if std::ptr::eq(found, class))
        })
    }
}

impl<'a> ruff_python_ast::visitor::Visitor<'a> for FlowWalker<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a ast::Stmt) {
        use ruff_python_ast::visitor::walk_stmt;
        match stmt {
            ast::Stmt::FunctionDef(function) => {
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
            ast::Stmt::ClassDef(class) => {
                let outer = self.scope;
                if let Some(scope) = self.class_scope(class) {
                    self.scope = scope;
                }
                walk_stmt(self, stmt);
                self.scope = outer;
                return;
            }
            ast::Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if matches!(target, Expr::Subscript(_) | Expr::Attribute(_)) {
                        self.mutate(target, stmt.range());
                    }
                }
            }
            ast::Stmt::AugAssign(assign) => {
                if matches!(
                    assign.target.as_ref(),
                    Expr::Subscript(_) | Expr::Attribute(_)
                ) {
                    self.mutate(&assign.target, stmt.range());
                }
            }
            ast::Stmt::AnnAssign(assign) if assign.value.is_some() => {
                if matches!(
                    assign.target.as_ref(),
                    Expr::Subscript(_) | Expr::Attribute(_)
                ) {
                    self.mutate(&assign.target, stmt.range());
                }
            }
            ast::Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if matches!(target, Expr::Subscript(_) | Expr::Attribute(_)) {
                        self.mutate(target, stmt.range());
                    }
                }
            }
            ast::Stmt::If(if_stmt) if !is_main_guard(&if_stmt.test) => {
                self.conditional(stmt.range(), "an `if`");
            }
            ast::Stmt::For(for_stmt) => {
                self.enter_loop(stmt.range(), for_stmt.body.iter().any(has_break));
            }
            ast::Stmt::While(while_stmt) => {
                self.enter_loop(stmt.range(), while_stmt.body.iter().any(has_break));
            }
            ast::Stmt::Match(_) => self.conditional(stmt.range(), "a `match`"),
            ast::Stmt::Try(try_stmt) => {
                for handler in &try_stmt.handlers {
                    self.conditional(handler.range(), "an `except` clause");
                }
                for clause in [&try_stmt.orelse, &try_stmt.finalbody] {
                    if let (Some(first), Some(last)) = (clause.first(), clause.last()) {
                        self.conditional(
                            TextRange::new(first.start(), last.end()),
                            "an `else`/`finally` clause",
                        );
                    }
                }
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::ListComp(ast::ExprListComp { generators, .. })
            | Expr::SetComp(ast::ExprSetComp { generators, .. })
            | Expr::DictComp(ast::ExprDictComp { generators, .. })
            | Expr::Generator(ast::ExprGenerator { generators, .. }) => {
                self.flow.generators.extend(generators.iter());
            }
            _ => {}
        }
        if let Expr::Call(call) = expr {
            if call.func.is_attribute_expr() {
                self.flow.attribute_calls.push((self.scope, call));
            }
            // The module's own statements that draw from `random` (or seed it).
            if self.scope == crate::semantic::MODULE_SCOPE
                && let Some(statement) = self.statement
                && let Some(qualified) = (Finder {
                    model: self.model,
                    sdk: None,
                })
                .qualified_name(&call.func, self.scope, 0)
                && qualified.starts_with("random.")
            {
                let seeds = (qualified == "random.seed").then_some(call);
                self.flow.random_statements.push((statement, seeds));
            }
            match call.func.as_ref() {
                Expr::Attribute(method) if MUTATING_METHODS.contains(&method.attr.id.as_str()) => {
                    self.mutate(&method.value, expr.range());
                }
                Expr::Name(name) if name.id.as_str() == "globals" => {
                    self.flow.dynamic_globals.get_or_insert(expr.range());
                }
                func => {
                    let qualified = Finder {
                        model: self.model,
                        sdk: None,
                    }
                    .qualified_name(func, self.scope, 0);
                    if qualified.is_some_and(|name| MUTATING_FUNCTIONS.contains(&name.as_str()))
                        && let Some(first) = call.arguments.args.first()
                    {
                        self.mutate(first, expr.range());
                    }
                }
            }
        }
        ruff_python_ast::visitor::walk_expr(self, expr);
    }
}

/// `x` of `x`, `x[k]`, `x.a.b`, `x[k].append`.
fn root_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Subscript(subscript) => root_name(&subscript.value),
        Expr::Attribute(attribute) => root_name(&attribute.value),
        _ => None,
    }
}

/// `if __name__ == "__main__":`, which a script always runs.
fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(compare) = test else {
        return false;
    };
    let is_name = |expr: &Expr| matches!(expr, Expr::Name(name) if name.id.as_str() == "__name__");
    let is_main = |expr: &Expr| matches!(expr, Expr::StringLiteral(text) if text.value.to_str() == "__main__");
    matches!((compare.left.as_ref(), compare.comparators.first()), (left, Some(right)) if (is_name(left) && is_main(right)) || (is_main(left) && is_name(right)))
}

/// Whether a statement breaks out of the loop it is in (not out of a nested one).
fn has_break(stmt: &ast::Stmt) -> bool {
    match stmt {
        ast::Stmt::Break(_) => true,
        ast::Stmt::If(if_stmt) => {
            if_stmt.body.iter().any(has_break)
                || if_stmt
                    .elif_else_clauses
                    .iter()
                    .any(|clause| clause.body.iter().any(has_break))
        }
        ast::Stmt::With(with) => with.body.iter().any(has_break),
        ast::Stmt::Try(try_stmt) => {
            try_stmt.body.iter().any(has_break)
                || try_stmt.orelse.iter().any(has_break)
                || try_stmt.finalbody.iter().any(has_break)
                || try_stmt.handlers.iter().any(|handler| {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    handler.body.iter().any(has_break)
                })
        }
        ast::Stmt::Match(match_stmt) => match_stmt
            .cases
            .iter()
            .any(|case| case.body.iter().any(has_break)),
        _ => false,
    }
}
