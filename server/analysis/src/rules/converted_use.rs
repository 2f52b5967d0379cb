//! Uses of a converted value that only the original type supports: after JSON turns
//! a tuple into a list, `HYPER.epochs` raises `AttributeError`; after it turns a
//! `defaultdict` into a dict, `GROUPS[key].append(x)` raises `KeyError` for a new key.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::sandbox::Serialization;
use crate::value::ValueKind;

const LIST_ATTRIBUTES: &[&str] = &[
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse",
    "sort",
];
const DICT_ATTRIBUTES: &[&str] = &[
    "clear",
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];
const STR_ATTRIBUTES: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
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
];

/// The first use of `name` in `body` that fails once `mode` has converted its value
/// of kind `kind`, with what it raises.
pub(crate) fn failing_use(
    body: &[Stmt],
    name: &str,
    kind: &ValueKind,
    mode: Serialization,
) -> Option<(TextRange, String)> {
    let arrives_as = arrives_as(kind, mode)?;
    let mut finder = Finder {
        name,
        kind,
        arrives_as,
        found: None,
    };
    finder.visit_body(body);
    finder.found
}

/// The type the sandbox sees, for conversions whose result has fewer abilities.
fn arrives_as(kind: &ValueKind, mode: Serialization) -> Option<&'static str> {
    Some(match (mode, kind) {
        (
            Serialization::Json | Serialization::StrictJson,
            ValueKind::Tuple | ValueKind::NamedTupleInstance { .. },
        ) => "list",
        (Serialization::Json | Serialization::StrictJson, ValueKind::DictSubclass { .. }) => "dict",
        (Serialization::Json | Serialization::StrictJson, ValueKind::EnumMember { .. }) => {
            "enum value"
        }
        (Serialization::Json, ValueKind::Set | ValueKind::FrozenSet | ValueKind::Deque) => "list",
        (Serialization::Json, ValueKind::DataclassInstance { .. }) => "dict",
        (Serialization::Json, ValueKind::DictNonStrKeys) => "dict with str keys",
        (Serialization::Json, ValueKind::StringLike(_) | ValueKind::Bytes { utf8: true }) => "str",
        (Serialization::Json, ValueKind::Generator) => "list",
        (Serialization::Json, kind) => match kind.json_conversion()? {
            "a str" => "str",
            "a list" => "list",
            "a dict" => "dict",
            _ => return None,
        },
        _ => return None,
    })
}

/// A string literal, an f-string or `str(...)`: a key that is a string.
fn is_text(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_) | Expr::FString(_) => true,
        Expr::Call(call) => {
            matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "str")
        }
        _ => false,
    }
}

struct Finder<'n> {
    name: &'n str,
    kind: &'n ValueKind,
    arrives_as: &'static str,
    found: Option<(TextRange, String)>,
}

impl Finder<'_> {
    fn is_name(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Name(name) if name.id.as_str() == self.name)
    }

    fn report(&mut self, range: TextRange, message: String) {
        if self.found.is_none() {
            self.found = Some((range, message));
        }
    }

    fn attribute(&mut self, attribute: &ast::ExprAttribute) {
        let attr = attribute.attr.id.as_str();
        let missing = match self.arrives_as {
            "list" => !LIST_ATTRIBUTES.contains(&attr),
            "dict" => !DICT_ATTRIBUTES.contains(&attr),
            "str" => !STR_ATTRIBUTES.contains(&attr),
            "enum value" => matches!(attr, "name" | "value"),
            _ => false,
        };
        if missing {
            let arrived = match self.arrives_as {
                "enum value" => "its plain value",
                other => other,
            };
            self.report(
                attribute.range(),
                format!(
                    "`{}.{attr}` then raises `AttributeError`: the sandbox gets {arrived}, which has no `{attr}`",
                    self.name
                ),
            );
        }
    }

    fn binary(&mut self, binary: &ast::ExprBinOp) {
        let operand_is_name = self.is_name(&binary.left) || self.is_name(&binary.right);
        if !operand_is_name {
            return;
        }
        let is_tuple = |expr: &Expr| {
            expr.is_tuple_expr()
                || matches!(expr, Expr::Call(call) if matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "tuple"))
        };
        let fails = match (self.arrives_as, binary.op, self.kind) {
            ("list", Operator::Add, ValueKind::Tuple | ValueKind::NamedTupleInstance { .. }) => {
                is_tuple(&binary.left) || is_tuple(&binary.right)
            }
            // Dates and times arrive as strings: their arithmetic fails.
            ("str", Operator::Sub, ValueKind::StringLike(_)) => true,
            (
                "list",
                Operator::BitOr | Operator::BitAnd | Operator::Sub | Operator::BitXor,
                ValueKind::Set | ValueKind::FrozenSet,
            ) => true,
            ("str", Operator::Div, _) => true,
            _ => false,
        };
        if fails {
            self.report(
                binary.range(),
                format!(
                    "this operation then raises `TypeError`: the sandbox gets `{}` as a {}",
                    self.name, self.arrives_as
                ),
            );
        }
    }

    /// `COUNTS[word] += 1` or `GROUPS[key].append(x)` on a `Counter` or `defaultdict`
    /// that arrives as a plain dict: code that relies on the default for a new key
    /// raises `KeyError`. (A plain read may find the key; only the arguments say.)
    fn relies_on_default(&mut self, subscript: &ast::ExprSubscript) {
        let ValueKind::DictSubclass { class, .. } = self.kind else {
            return;
        };
        if *class == "OrderedDict" || subscript.slice.is_string_literal_expr() {
            return;
        }
        self.report(
            subscript.range(),
            format!(
                "`{}` arrives as a plain dict, so a key it lacks raises `KeyError` here instead of getting the `{class}`'s default",
                self.name
            ),
        );
    }
}

impl<'a> Visitor<'a> for Finder<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // A nested scope that rebinds the name reads its own value.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::AugAssign(assign) => {
                if let Expr::Subscript(subscript) = assign.target.as_ref()
                    && self.is_name(&subscript.value)
                {
                    self.relies_on_default(subscript);
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Attribute(attribute) if self.is_name(&attribute.value) => {
                self.attribute(attribute);
            }
            Expr::BinOp(binary) => self.binary(binary),
            // `next(tokens)` on a generator that arrived as a list.
            Expr::Call(call)
                if self.arrives_as == "list"
                    && matches!(self.kind, ValueKind::Generator)
                    && matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "next")
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|arg| self.is_name(arg)) =>
            {
                self.report(
                    call.range(),
                    format!(
                        "`next({})` then raises `TypeError`: the generator arrives consumed, as a list, which is not an iterator",
                        self.name
                    ),
                );
            }
            // `LABELS[i]` on a dict whose int keys arrived as strings.
            Expr::Subscript(subscript)
                if self.arrives_as == "dict with str keys"
                    && subscript.ctx == ast::ExprContext::Load
                    && self.is_name(&subscript.value)
                    && !is_text(&subscript.slice) =>
            {
                self.report(
                    subscript.range(),
                    format!(
                        "`{}`'s keys arrive as strings, so looking one up with a value that is not a string raises `KeyError`",
                        self.name
                    ),
                );
            }
            Expr::Call(call) => {
                if let Expr::Attribute(method) = call.func.as_ref()
                    && matches!(
                        method.attr.id.as_str(),
                        "append" | "extend" | "add" | "update"
                    )
                    && let Expr::Subscript(subscript) = method.value.as_ref()
                    && self.is_name(&subscript.value)
                {
                    self.relies_on_default(subscript);
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}
