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
    let tuples = tuple_names(body);
    let mut finder = Finder {
        name,
        element: false,
        kind,
        arrives_as,
        tuples: &tuples,
        found: None,
    };
    finder.visit_body(body);
    finder.found
}

/// The first use of an element of the list `name` holds, every element of which is
/// of kind `kind`, that fails once `mode` has converted it: `items[0].qty`, or
/// `p.x` for `p` a loop variable over `name`.
pub(crate) fn failing_element_use(
    body: &[Stmt],
    name: &str,
    kind: &ValueKind,
    mode: Serialization,
) -> Option<(TextRange, String)> {
    let arrives_as = arrives_as(kind, mode)?;
    let tuples = tuple_names(body);
    let mut loops = LoopTargets {
        iterable: name,
        targets: Vec::new(),
    };
    loops.visit_body(body);
    let mut finder = Finder {
        name,
        element: true,
        kind,
        arrives_as,
        tuples: &tuples,
        found: None,
    };
    finder.visit_body(body);
    for target in loops.targets {
        if finder.found.is_some() {
            break;
        }
        let mut alias = Finder {
            name: target,
            element: false,
            kind,
            arrives_as,
            tuples: &tuples,
            found: None,
        };
        alias.visit_body(body);
        finder.found = alias.found;
    }
    finder.found
}

/// The names `body` binds to a tuple display or a `tuple(...)` call, outside nested
/// functions and classes.
fn tuple_names(body: &[Stmt]) -> Vec<&str> {
    #[derive(Default)]
    struct Tuples<'a>(Vec<&'a str>);
    impl<'a> Visitor<'a> for Tuples<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
                Stmt::Assign(assign) => {
                    if let [Expr::Name(target)] = assign.targets.as_slice()
                        && is_tuple(&assign.value)
                    {
                        self.0.push(target.id.as_str());
                    }
                }
                _ => {}
            }
            visitor::walk_stmt(self, stmt);
        }
    }
    let mut tuples = Tuples::default();
    tuples.visit_body(body);
    tuples.0
}

/// A tuple display or a `tuple(...)` call.
fn is_tuple(expr: &Expr) -> bool {
    expr.is_tuple_expr()
        || matches!(expr, Expr::Call(call) if matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "tuple"))
}

/// The names bound to each element of `iterable` by a `for` loop or a comprehension.
struct LoopTargets<'n, 'a> {
    iterable: &'n str,
    targets: Vec<&'a str>,
}

impl<'a> LoopTargets<'_, 'a> {
    fn add(&mut self, target: &'a Expr, iter: &'a Expr) {
        if let (Expr::Name(target), Expr::Name(iter)) = (target, iter)
            && iter.id.as_str() == self.iterable
            && target.id.as_str() != self.iterable
        {
            self.targets.push(target.id.as_str());
        }
    }
}

impl<'a> Visitor<'a> for LoopTargets<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::For(for_stmt) => self.add(&for_stmt.target, &for_stmt.iter),
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    /// `max(readings, key=lambda r: r.value)`: the key function's parameter takes
    /// each element in turn.
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && matches!(call.arguments.args.first(), Some(Expr::Name(iter)) if iter.id.as_str() == self.iterable)
            && let Some(key) = call.arguments.find_keyword("key")
            && let Expr::Lambda(lambda) = &key.value
            && let Some(parameters) = &lambda.parameters
            && let [parameter] = &*parameters.args
            && parameters.posonlyargs.is_empty()
        {
            self.targets.push(parameter.parameter.name.id.as_str());
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_comprehension(&mut self, comprehension: &'a ast::Comprehension) {
        self.add(&comprehension.target, &comprehension.iter);
        visitor::walk_comprehension(self, comprehension);
    }
}

/// The type the sandbox sees, for conversions whose result has fewer abilities.
fn arrives_as(kind: &ValueKind, mode: Serialization) -> Option<&'static str> {
    Some(match (mode, kind) {
        (
            Serialization::Json | Serialization::StrictJson,
            ValueKind::Tuple | ValueKind::NamedTupleInstance { .. },
        ) => "list",
        (
            Serialization::Json | Serialization::StrictJson,
            ValueKind::DictSubclass { .. } | ValueKind::DictInstance { .. },
        ) => "dict",
        (Serialization::Json | Serialization::StrictJson, ValueKind::EnumMember { .. }) => {
            "enum value"
        }
        (Serialization::Json, ValueKind::Set | ValueKind::FrozenSet | ValueKind::Deque) => "list",
        (Serialization::Json, ValueKind::DataclassInstance { .. }) => "dict",
        (Serialization::Json, ValueKind::DictNonStrKeys) => "dict with str keys",
        (Serialization::Json, ValueKind::StringLike(_) | ValueKind::Bytes { utf8: true }) => "str",
        (Serialization::Json, ValueKind::Generator) => "list",
        (Serialization::Json, ValueKind::NonFiniteFloat) => "None",
        (Serialization::Json, kind) => match kind.json_conversion()? {
            "a str" => "str",
            "a list" => "list",
            "a dict" => "dict",
            _ => return None,
        },
        _ => return None,
    })
}

/// A number: a numeric literal, or arithmetic that only numbers (or other values
/// that are never strings) do: `1`, `-2.5`, `a - b`, `x / 2`.
fn is_number(expr: &Expr) -> bool {
    match expr {
        Expr::NumberLiteral(_) => true,
        Expr::UnaryOp(unary) => is_number(&unary.operand),
        Expr::BinOp(binary) => {
            matches!(
                binary.op,
                Operator::Sub | Operator::Div | Operator::FloorDiv | Operator::Pow
            ) || (is_number(&binary.left) && is_number(&binary.right))
        }
        Expr::Call(call) => matches!(
            call.func.as_ref(),
            Expr::Name(name) if matches!(name.id.as_str(), "int" | "float" | "len" | "abs")
        ),
        _ => false,
    }
}

/// A call of `timedelta` (`timedelta(hours=2)`, `datetime.timedelta(days=1)`).
fn is_timedelta(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str() == "timedelta",
        Expr::Attribute(attribute) => attribute.attr.id.as_str() == "timedelta",
        _ => false,
    }
}

/// A float literal.
fn is_float(expr: &Expr) -> bool {
    match expr {
        Expr::NumberLiteral(number) => matches!(number.value, ast::Number::Float(_)),
        Expr::UnaryOp(unary) => is_float(&unary.operand),
        _ => false,
    }
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
    /// Uses of `name[i]`, an element, rather than of `name` itself.
    element: bool,
    kind: &'n ValueKind,
    arrives_as: &'static str,
    /// The names the body binds to a tuple (`parts = tuple(...)`).
    tuples: &'n [&'n str],
    found: Option<(TextRange, String)>,
}

impl Finder<'_> {
    fn is_name(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(name) => !self.element && name.id.as_str() == self.name,
            Expr::Subscript(subscript) => {
                self.element
                    && !subscript.slice.is_slice_expr()
                    && matches!(subscript.value.as_ref(), Expr::Name(name) if name.id.as_str() == self.name)
            }
            _ => false,
        }
    }

    /// A tuple on the client, hashable and accepted where a tuple is asked for.
    fn was_tuple(&self) -> bool {
        matches!(
            self.kind,
            ValueKind::Tuple | ValueKind::NamedTupleInstance { .. }
        )
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
            "None" => true,
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
        let fails = match (self.arrives_as, binary.op, self.kind) {
            // NaN arrives as `None`, which takes part in no arithmetic.
            ("None", _, _) => true,
            ("list", Operator::Add, ValueKind::Tuple | ValueKind::NamedTupleInstance { .. }) => {
                is_tuple(&binary.left) || is_tuple(&binary.right)
            }
            // Dates, times, decimals arrive as strings: a str has no `-`, `/`, `**`...
            (
                "str",
                Operator::Sub
                | Operator::Div
                | Operator::FloorDiv
                | Operator::Pow
                | Operator::MatMult
                | Operator::BitAnd
                | Operator::BitOr
                | Operator::BitXor
                | Operator::LShift
                | Operator::RShift,
                _,
            ) => true,
            // ... and adding a number or a `timedelta(...)` to a str, or multiplying it
            // by a float, fails.
            ("str", Operator::Add, _) => {
                is_number(&binary.left)
                    || is_number(&binary.right)
                    || is_timedelta(&binary.left)
                    || is_timedelta(&binary.right)
                    || binary.left.is_bytes_literal_expr()
                    || binary.right.is_bytes_literal_expr()
            }
            ("str", Operator::Mult, _) => is_float(&binary.left) || is_float(&binary.right),
            (
                "list",
                Operator::BitOr | Operator::BitAnd | Operator::Sub | Operator::BitXor,
                ValueKind::Set | ValueKind::FrozenSet,
            ) => true,
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

    /// `WINDOW < elapsed` where the value arrived as a str and the other side is a
    /// number: ordering a str against a number raises `TypeError`.
    fn compare(&mut self, compare: &ast::ExprCompare) {
        if self.arrives_as == "None" {
            let ordered = compare.ops.iter().any(|op| {
                matches!(
                    op,
                    ast::CmpOp::Lt | ast::CmpOp::LtE | ast::CmpOp::Gt | ast::CmpOp::GtE
                )
            });
            let operand =
                self.is_name(&compare.left) || compare.comparators.iter().any(|c| self.is_name(c));
            if ordered && operand {
                self.report(
                    compare.range(),
                    format!(
                        "this comparison then raises `TypeError`: the sandbox gets `{}` as `None`",
                        self.name
                    ),
                );
            }
            return;
        }
        if self.arrives_as == "list" && self.was_tuple() {
            self.tuple_ordering(compare);
            return;
        }
        if self.arrives_as != "str" {
            return;
        }
        let operands: Vec<&Expr> = std::iter::once(compare.left.as_ref())
            .chain(compare.comparators.iter())
            .collect();
        for (pair, op) in operands.windows(2).zip(compare.ops.iter()) {
            // `b"..." in header` on bytes that arrived as a str.
            if matches!(op, ast::CmpOp::In | ast::CmpOp::NotIn)
                && pair[0].is_bytes_literal_expr()
                && self.is_name(pair[1])
            {
                self.report(
                    compare.range(),
                    format!(
                        "this test then raises `TypeError`: the sandbox gets `{}` as a str, and `in` on a str takes no bytes",
                        self.name
                    ),
                );
                return;
            }
            if !matches!(
                op,
                ast::CmpOp::Lt | ast::CmpOp::LtE | ast::CmpOp::Gt | ast::CmpOp::GtE
            ) {
                continue;
            }
            let (left, right) = (pair[0], pair[1]);
            if (self.is_name(left) && is_number(right)) || (self.is_name(right) && is_number(left))
            {
                self.report(
                    compare.range(),
                    format!(
                        "this comparison then raises `TypeError`: the sandbox gets `{}` as a str",
                        self.name
                    ),
                );
                return;
            }
        }
    }

    /// `parts >= MIN_VERSION` where the tuple arrived as a list and the other side
    /// is a tuple: ordering a tuple against a list raises `TypeError`.
    fn tuple_ordering(&mut self, compare: &ast::ExprCompare) {
        let operands: Vec<&Expr> = std::iter::once(compare.left.as_ref())
            .chain(compare.comparators.iter())
            .collect();
        let is_tuple = |expr: &Expr| {
            is_tuple(expr)
                || matches!(expr, Expr::Name(name) if self.tuples.contains(&name.id.as_str()))
        };
        for (pair, op) in operands.windows(2).zip(compare.ops.iter()) {
            let ordered = matches!(
                op,
                ast::CmpOp::Lt | ast::CmpOp::LtE | ast::CmpOp::Gt | ast::CmpOp::GtE
            );
            let (left, right) = (pair[0], pair[1]);
            if ordered
                && ((self.is_name(left) && is_tuple(right))
                    || (self.is_name(right) && is_tuple(left)))
            {
                self.report(
                    compare.range(),
                    format!(
                        "this comparison then raises `TypeError`: the sandbox gets `{}` as a list, and a tuple does not order against a list",
                        self.name
                    ),
                );
                return;
            }
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
            Expr::Compare(compare) => self.compare(compare),
            // `start.replace(minute=0)` on a date or time that arrived as a str.
            Expr::Call(call)
                if self.arrives_as == "str"
                    && matches!(call.func.as_ref(), Expr::Attribute(method) if method.attr.id.as_str() == "replace" && self.is_name(&method.value))
                    && !call.arguments.keywords.is_empty() =>
            {
                self.report(
                    call.range(),
                    format!(
                        "this call then raises `TypeError: str.replace() takes no keyword arguments`: the sandbox gets `{}` as a str",
                        self.name
                    ),
                );
            }
            // `header.startswith(b"...")` on bytes that arrived as a str.
            Expr::Call(call)
                if self.arrives_as == "str"
                    && matches!(call.func.as_ref(), Expr::Attribute(method) if self.is_name(&method.value))
                    && call.arguments.args.iter().any(Expr::is_bytes_literal_expr) =>
            {
                self.report(
                    call.range(),
                    format!(
                        "this call then raises `TypeError`: the sandbox gets `{}` as a str, and a str method does not take bytes",
                        self.name
                    ),
                );
            }
            // `math.isnan(MISSING)` on a NaN that arrived as `None`.
            Expr::Call(call)
                if self.arrives_as == "None"
                    && matches!(
                        call.func.as_ref(),
                        Expr::Attribute(function) if matches!(function.value.as_ref(), Expr::Name(module) if module.id.as_str() == "math")
                    )
                    && call.arguments.args.iter().any(|arg| self.is_name(arg)) =>
            {
                self.report(
                    call.range(),
                    format!(
                        "this call then raises `TypeError`: the sandbox gets `{}` as `None`, not a float",
                        self.name
                    ),
                );
            }
            // `abs(PRICE)`, `round(PRICE, 2)` on a number that arrived as a str.
            Expr::Call(call)
                if matches!(self.arrives_as, "str" | "None")
                    && matches!(
                        call.func.as_ref(),
                        Expr::Name(function) if matches!(function.id.as_str(), "abs" | "round" | "divmod" | "pow")
                    )
                    && call.arguments.args.iter().any(|arg| self.is_name(arg)) =>
            {
                self.report(
                    call.range(),
                    format!(
                        "this call then raises `TypeError`: the sandbox gets `{}` as {}",
                        self.name,
                        if self.arrives_as == "None" {
                            "`None`"
                        } else {
                            "a str"
                        }
                    ),
                );
            }
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
            // `path.startswith(PREFIXES)` on a tuple that arrived as a list: the str
            // methods take a tuple of prefixes, never a list.
            Expr::Call(call)
                if self.arrives_as == "list"
                    && self.was_tuple()
                    && matches!(call.func.as_ref(), Expr::Attribute(method) if matches!(method.attr.id.as_str(), "startswith" | "endswith"))
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|arg| self.is_name(arg)) =>
            {
                self.report(
                    call.range(),
                    format!(
                        "this call then raises `TypeError`: `startswith` and `endswith` take a str or a tuple of str, and the sandbox gets `{}` as a list",
                        self.name
                    ),
                );
            }
            // `set(POINTS)` of tuples that arrived as lists: a list is unhashable.
            Expr::Call(call)
                if self.element
                    && self.arrives_as == "list"
                    && self.was_tuple()
                    && matches!(call.func.as_ref(), Expr::Name(function) if matches!(function.id.as_str(), "set" | "frozenset" | "Counter"))
                    && matches!(call.arguments.args.first(), Some(Expr::Name(arg)) if arg.id.as_str() == self.name) =>
            {
                self.report(
                    call.range(),
                    format!(
                        "this call then raises `TypeError: unhashable type: 'list'`: the elements of `{}` arrive as lists",
                        self.name
                    ),
                );
            }
            // `TABLE[KEY]` with a tuple key that arrived as a list.
            Expr::Subscript(subscript)
                if self.arrives_as == "list"
                    && self.was_tuple()
                    && self.is_name(&subscript.slice) =>
            {
                self.report(
                    subscript.range(),
                    format!(
                        "this lookup then raises `TypeError`: the sandbox gets `{}` as a list, which is neither hashable nor an index",
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

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, Severity, check};

    /// The messages of the AV302 errors `source` gets.
    fn conversion_errors(source: &str) -> Vec<String> {
        check(source, &Settings::default())
            .into_iter()
            .filter(|d| d.rule == Rule::LossyJsonConversion && d.severity == Severity::Error)
            .map(|d| d.message)
            .collect()
    }

    fn program(globals: &str, body: &str, call: &str) -> String {
        format!(
            "import asyncio\nfrom aviato import Sandbox, SandboxDefaults\n{globals}\n\n\
             async def main():\n    async with Sandbox.session(SandboxDefaults()) as session:\n\n        \
             @session.function()\n        def f(x):\n{body}\n\n        print(await {call})\n"
        )
    }

    /// Recorded with the cwsandbox oracle: `TypeError: startswith first arg must be
    /// str or a tuple of str, not list`, and `TypeError: unhashable type: 'list'`.
    #[test]
    fn a_tuple_that_arrives_as_a_list_is_no_prefix_tuple_and_no_key() {
        let prefixes = program(
            "PREFIXES = ('/static', '/health')",
            "            return not x.startswith(PREFIXES)",
            "f('/api')",
        );
        let errors = conversion_errors(&prefixes);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("as a list"), "{}", errors[0]);
        let key = program(
            "KEY = ('eu', 'prod')",
            "            return {('eu', 'prod'): 5}[KEY]",
            "f(1)",
        );
        assert_eq!(conversion_errors(&key).len(), 1);
        // Iterated or tested with `in`, a list does what the tuple did.
        let iterated = program(
            "PREFIXES = ('/static', '/health')",
            "            return any(x.startswith(p) for p in PREFIXES) or x in PREFIXES",
            "f('/api')",
        );
        assert_eq!(conversion_errors(&iterated), Vec::<String>::new());
    }

    /// Recorded with the aviato oracle (heldout4 `password_audit.py`): `TypeError:
    /// unsupported operand type(s) for &: 'list' and 'set'`.
    #[test]
    fn an_argument_passed_through_a_parameter_is_what_the_callers_pass() {
        let source = "import asyncio\nfrom aviato import Sandbox, SandboxDefaults\n\n\
             async def audit(digests, known_hashes):\n    async with Sandbox.session(SandboxDefaults()) as session:\n\n        \
             @session.function()\n        def breached(digests, known):\n            return sorted(known & set(digests))\n\n        \
             print(await breached(digests, known_hashes))\n\n\
             asyncio.run(audit(['a1'], {'a1', 'b2'}))\n";
        let errors = conversion_errors(source);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("raises `TypeError`"), "{}", errors[0]);
        let list = source.replace("{'a1', 'b2'}", "['a1', 'b2']");
        assert_eq!(conversion_errors(&list), Vec::<String>::new());
    }

    /// Recorded with the aviato oracle: JSON turns the int keys into strings, and
    /// the lookup by an int raises `KeyError: 2`.
    #[test]
    fn a_dict_filled_with_int_keys_after_it_is_bound_arrives_with_str_keys() {
        let source = program(
            "",
            "            return x[2]",
            "f(CODES)",
        )
        .replace(
            "        print(await f(CODES))",
            "        CODES = {}\n        for code, name in [(1, 'ops'), (2, 'eng')]:\n            CODES[code] = name\n        print(await f(CODES))",
        );
        let errors = conversion_errors(&source);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    /// Recorded with the aviato oracle (heldout4 `parcel_geometry.py`): `TypeError:
    /// unhashable type: 'list'`.
    #[test]
    fn a_set_of_tuples_that_arrived_as_lists_cannot_be_made() {
        let hull = program(
            "RING = [[0, 0], [4, 0], [4, 3]]",
            "            return sorted(set(x))",
            "f([tuple(p) for p in RING])",
        );
        let errors = conversion_errors(&hull);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("unhashable"), "{}", errors[0]);
        let sorted_only = hull.replace("sorted(set(x))", "sorted(x)");
        assert_eq!(conversion_errors(&sorted_only), Vec::<String>::new());
    }

    /// Recorded with the aviato oracle (heldout3 `timeseries_resample.py`):
    /// `AttributeError: 'list' object has no attribute 'value'` and `TypeError:
    /// str.replace() takes no keyword arguments`.
    #[test]
    fn key_functions_and_replace_with_keywords_use_the_converted_value() {
        let globals = "from collections import namedtuple\nfrom datetime import datetime\n\nReading = namedtuple('Reading', ['ts', 'value'])\nREADINGS = [Reading(t, v) for t, v in [('a', 1), ('b', 2)]]\nT0 = datetime(2024, 1, 2, 3, 4)";
        let key = program(
            globals,
            "            return max(x, key=lambda r: r.value).ts",
            "f(READINGS)",
        );
        assert_eq!(
            conversion_errors(&key).len(),
            1,
            "{:?}",
            conversion_errors(&key)
        );
        let by_index = program(
            globals,
            "            return max(x, key=lambda r: r[1])[0]",
            "f(READINGS)",
        );
        assert_eq!(conversion_errors(&by_index), Vec::<String>::new());
        let replace = program(
            globals,
            "            return x.replace(minute=0).isoformat()",
            "f(T0)",
        );
        assert_eq!(conversion_errors(&replace).len(), 1);
        let text_replace = program(globals, "            return x.replace('-', '/')", "f(T0)");
        assert_eq!(conversion_errors(&text_replace), Vec::<String>::new());
    }

    /// Recorded with the oracles (heldout5 `firmware_manifests.py`, cwsandbox:
    /// `TypeError: '>=' not supported between instances of 'tuple' and 'list'`;
    /// `clinical_dosing.py`, aviato: `TypeError: can only concatenate str (not
    /// "datetime.timedelta") to str`).
    #[test]
    fn a_tuple_orders_against_no_list_and_a_str_takes_no_timedelta() {
        let ordering = program(
            "MIN_SUPPORTED = (2, 1, 0)",
            "            parts = tuple(int(p) for p in x.split('.'))\n            return parts >= MIN_SUPPORTED",
            "f('2.3.1')",
        );
        assert_eq!(conversion_errors(&ordering).len(), 1);
        let equality = ordering.replace("parts >= MIN_SUPPORTED", "parts == MIN_SUPPORTED");
        assert_eq!(conversion_errors(&equality), Vec::<String>::new());
        let moved = program(
            "from datetime import datetime\nLAST = datetime(2025, 1, 2, 8, 0)",
            "            from datetime import timedelta\n            return (x + timedelta(hours=6)).isoformat()",
            "f(LAST)",
        );
        assert_eq!(conversion_errors(&moved).len(), 1);
    }

    /// Recorded with the aviato oracle (heldout5 `fleet_fuel.py`, functions a factory
    /// defines and returns): `KeyError: 101`.
    #[test]
    fn calls_of_functions_a_factory_returns_are_checked() {
        let source = "import asyncio\nfrom aviato import Sandbox, SandboxDefaults\n\nCAPACITY = {101: 60, 102: 70}\n\n\
             def build(session):\n    @session.function()\n    def limit(capacity, vehicle):\n        return capacity[vehicle]\n\n    \
             @session.function()\n    def other(x):\n        return x\n\n    return limit, other\n\n\
             async def main():\n    async with Sandbox.session(SandboxDefaults()) as session:\n        \
             limit, other = build(session)\n        print(await limit(CAPACITY, 101))\n\nasyncio.run(main())\n";
        let errors = conversion_errors(source);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("KeyError"), "{}", errors[0]);
    }

    #[test]
    fn a_dict_subclass_instance_arrives_without_its_attributes() {
        let source = program(
            "class Hyperparams(dict):\n    def lr(self):\n        return self['lr']\n\nHP = Hyperparams(lr=0.1, depth=4)",
            "            return x.depth * 2",
            "f(HP)",
        );
        let errors = conversion_errors(&source);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("`x.depth`"), "{}", errors[0]);
        // Used as a dict, it runs.
        let source = program(
            "class Hyperparams(dict):\n    pass\n\nHP = Hyperparams(lr=0.1, depth=4)",
            "            return x['depth'] * 2",
            "f(HP)",
        );
        assert_eq!(conversion_errors(&source), Vec::<String>::new());
    }

    #[test]
    fn elements_of_a_list_of_dataclasses_arrive_as_dicts() {
        let globals = "from dataclasses import dataclass\n\n@dataclass\nclass Item:\n    qty: int\n    unit: float\n\nITEMS = [Item(2, 9.5), Item(1, 100.0)]";
        let loop_use = program(
            globals,
            "            return sum(i.qty * i.unit for i in x)",
            "f(ITEMS)",
        );
        assert_eq!(conversion_errors(&loop_use).len(), 1);
        let index_use = program(globals, "            return x[0].qty", "f(ITEMS)");
        assert_eq!(conversion_errors(&index_use).len(), 1);
        let dict_use = program(
            globals,
            "            return sum(i['qty'] for i in x)",
            "f(ITEMS)",
        );
        assert_eq!(conversion_errors(&dict_use), Vec::<String>::new());
        // A list that mixes kinds says nothing about one element.
        let mixed = program(
            "from dataclasses import dataclass\n\n@dataclass\nclass Item:\n    qty: int\n\nITEMS = [Item(2), {'qty': 1}]",
            "            return [i.qty for i in x]",
            "f(ITEMS)",
        );
        assert_eq!(conversion_errors(&mixed), Vec::<String>::new());
    }

    #[test]
    fn numbers_that_arrive_as_strings_fail_in_arithmetic_and_comparisons() {
        let decimal = program(
            "from decimal import Decimal\nTAX = Decimal('0.2')",
            "            return float(x * (1 + TAX))",
            "f(10.0)",
        );
        assert_eq!(conversion_errors(&decimal).len(), 1);
        let window = program(
            "from datetime import timedelta\nWINDOW = timedelta(minutes=1)",
            "            return [t for t in x if t - 3 < WINDOW]",
            "f([1, 2])",
        );
        assert_eq!(conversion_errors(&window).len(), 1);
        let magnitude = program(
            "IMPEDANCE = complex(3, 4)",
            "            return x / abs(IMPEDANCE)",
            "f(10.0)",
        );
        assert_eq!(conversion_errors(&magnitude).len(), 1);
        // Bytes that arrive as a str do not meet bytes.
        let header = program(
            "",
            "            return x.startswith(b'ftyp') or b'moov' in x",
            "f(b'ftypmp42')",
        );
        assert_eq!(conversion_errors(&header).len(), 1);
        let text = program(
            "",
            "            return x.startswith('ftyp')",
            "f(b'ftypmp42')",
        );
        assert_eq!(conversion_errors(&text), Vec::<String>::new());
        // NaN arrives as None.
        let nan = program(
            "import math\nMISSING = float('nan')",
            "            import math\n            return math.isnan(MISSING) or x",
            "f(1)",
        );
        assert_eq!(conversion_errors(&nan).len(), 1);
        let nan = program(
            "MISSING = float('nan')",
            "            return MISSING is None or x",
            "f(1)",
        );
        assert_eq!(conversion_errors(&nan), Vec::<String>::new());
        // Joining it to text, or repeating it, runs.
        let text = program(
            "from decimal import Decimal\nTAX = Decimal('0.2')",
            "            return 'rate ' + TAX + ' ' + TAX * 2",
            "f(1)",
        );
        assert_eq!(conversion_errors(&text), Vec::<String>::new());
    }

    #[test]
    fn a_dict_filled_later_with_int_keys_is_read_with_an_int() {
        let globals = "CLASSES = ['cat', 'dog']\nLABELS = {}\nfor i, name in enumerate(CLASSES):\n    LABELS[i] = name";
        let source = program(
            globals,
            "            return [LABELS[i] for i in x]",
            "f([0, 1])",
        );
        let errors = conversion_errors(&source);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("`LABELS`'s keys arrive as strings"),
            "{}",
            errors[0]
        );
        // Filled with string keys, it arrives as it is.
        let globals = "CLASSES = ['cat', 'dog']\nIDS = {}\nfor i, name in enumerate(CLASSES):\n    IDS[name] = i";
        let source = program(
            globals,
            "            return [IDS[n] for n in x]",
            "f(['cat'])",
        );
        assert_eq!(conversion_errors(&source), Vec::<String>::new());
    }
}
