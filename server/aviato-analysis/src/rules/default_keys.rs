//! A `Counter` or `defaultdict` arrives in the sandbox as a plain dict (JSON), so a
//! read of a key it lacks raises `KeyError` instead of giving the default. Where the
//! file fixes both the dict's keys and the key read (a literal argument at the call
//! site), the failure is certain.

use std::collections::BTreeSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Severity;
use crate::rules::CapturedByFunction;
use crate::rules::Rule;
use crate::rules::av402_call_signature_mismatch::PassedArguments;
use crate::sandbox::{SandboxFunction, Serialization};
use crate::semantic::{BindingKind, ScopeId};
use crate::value::ValueKind;

/// AV302 (error) at a call site: a string literal argument that the body uses as a
/// key of a `Counter`/`defaultdict` (captured or passed) whose keys do not hold it.
pub(crate) fn check<'a>(
    checker: &mut Checker<'_, 'a>,
    captured: &mut CapturedByFunction<'a>,
    function: &SandboxFunction<'a>,
    arguments: &PassedArguments<'a>,
    scope: ScopeId,
) {
    if !matches!(
        function.serialization,
        Serialization::Json | Serialization::StrictJson
    ) {
        return;
    }
    let parameters = &function.def.parameters;
    let positional: Vec<&str> = parameters
        .posonlyargs
        .iter()
        .chain(&parameters.args)
        .map(|parameter| parameter.parameter.name.id.as_str())
        .collect();
    // Each parameter bound at this call site, with its argument.
    let mut bound: Vec<(&str, &'a Expr)> = Vec::new();
    for (index, argument) in arguments.args.iter().enumerate() {
        if argument.is_starred_expr() {
            return;
        }
        if let Some(parameter) = positional.get(index) {
            bound.push((parameter, argument));
        }
    }
    for keyword in arguments.keywords {
        match &keyword.arg {
            Some(name) => bound.push((name.id.as_str(), &keyword.value)),
            None => return,
        }
    }
    let literal_keys: Vec<(&str, &'a Expr, String)> = bound
        .iter()
        .filter_map(|(parameter, argument)| match argument {
            Expr::StringLiteral(text) => {
                Some((*parameter, *argument, text.value.to_str().to_string()))
            }
            _ => None,
        })
        .collect();
    if literal_keys.is_empty()
        && !bound
            .iter()
            .any(|(_, argument)| matches!(argument, Expr::List(_) | Expr::Tuple(_)))
    {
        return;
    }
    // The dicts the body may read: captured globals and closures, and parameters
    // given a `Counter`/`defaultdict` here, each with the keys it holds.
    let mut dicts: Vec<(&'a str, &'static str, BTreeSet<String>)> = Vec::new();
    for capture in captured.of(checker, function) {
        if !capture.is_sent() {
            continue;
        }
        let Some(class) = default_class(&capture.kind) else {
            continue;
        };
        let Some(binding) = capture.binding else {
            continue;
        };
        let BindingKind::Assignment(value) = binding.kind else {
            continue;
        };
        if let Some(keys) = constructed_keys(checker, value, binding.scope)
            .and_then(|keys| keys_after(checker, capture.name, keys))
        {
            dicts.push((capture.name, class, keys));
        }
    }
    for (parameter, argument) in &bound {
        let kind = checker.values.kind(argument, scope, argument.start());
        if let Some(class) = default_class(&kind)
            && let Some(mut keys) = constructed_keys(checker, argument, scope)
        {
            if let Expr::Name(name) = argument {
                match keys_after(checker, name.id.as_str(), keys) {
                    Some(after) => keys = after,
                    None => continue,
                }
            }
            dicts.push((parameter, class, keys));
        }
    }
    if dicts.is_empty() {
        return;
    }
    let reads = KeyReads::of(&function.def.body);
    if reads.catches {
        return;
    }
    for &(dict, key_name) in &reads.reads {
        if reads.is_rebound(dict) || reads.tested.contains(dict) {
            continue;
        }
        let Some((_, class, keys)) = dicts.iter().find(|(name, ..)| *name == dict) else {
            continue;
        };
        // The key is a parameter given a string, or runs over a parameter given a
        // list of strings: every one of them is read.
        let candidates: Vec<(&'a Expr, String)> = if reads.is_rebound(key_name) {
            reads
                .iter_over_parameter(key_name, &bound)
                .unwrap_or_default()
        } else {
            literal_keys
                .iter()
                .filter(|(parameter, ..)| *parameter == key_name)
                .map(|(_, argument, key)| (*argument, key.clone()))
                .collect()
        };
        let Some((argument, key)) = candidates.into_iter().find(|(_, key)| !keys.contains(key))
        else {
            continue;
        };
        let diagnostic = checker.report(
            Rule::LossyJsonConversion,
            argument.range(),
            format!(
                "`{dict}` is a `{class}`, which JSON sends as a plain dict; it has no key {key:?}, so `{dict}[{key_name}]` raises `KeyError` in the sandbox instead of giving the `{class}`'s default"
            ),
        );
        diagnostic.severity = Severity::Error;
        return;
    }
}

fn default_class(kind: &ValueKind) -> Option<&'static str> {
    match kind {
        ValueKind::DictSubclass { class, .. } if matches!(*class, "Counter" | "defaultdict") => {
            Some(class)
        }
        _ => None,
    }
}

/// The keys `Counter(...)`/`defaultdict(factory, ...)` holds when built, where the
/// file fixes them.
fn constructed_keys<'a>(
    checker: &Checker<'_, 'a>,
    value: &'a Expr,
    scope: ScopeId,
) -> Option<BTreeSet<String>> {
    let Expr::Call(call) = value else {
        return None;
    };
    let callee = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.id.as_str(),
        _ => return None,
    };
    let data = match callee {
        "Counter" => call.arguments.args.first(),
        "defaultdict" => call.arguments.args.get(1),
        _ => return None,
    };
    let mut keys = match data {
        None => BTreeSet::new(),
        Some(data) => data_keys(checker, data, scope, callee == "Counter", 0)?,
    };
    for keyword in &call.arguments.keywords {
        keys.insert(keyword.arg.as_ref()?.id.to_string());
    }
    Some(keys)
}

/// The keys a dict built from `data` holds: a dict literal's keys, or (for a
/// `Counter`) the items of a list of strings.
fn data_keys<'a>(
    checker: &Checker<'_, 'a>,
    data: &'a Expr,
    scope: ScopeId,
    counter: bool,
    depth: u8,
) -> Option<BTreeSet<String>> {
    let text = |expr: &Expr| match expr {
        Expr::StringLiteral(text) => Some(text.value.to_str().to_string()),
        _ => None,
    };
    match data {
        Expr::Dict(dict) => dict
            .items
            .iter()
            .map(|item| item.key.as_ref().and_then(text))
            .collect(),
        Expr::Name(name) if depth < 3 => {
            let binding = checker.model.lookup(scope, name.id.as_str())?;
            let BindingKind::Assignment(value) = binding.kind else {
                return None;
            };
            let keys = data_keys(checker, value, binding.scope, counter, depth + 1)?;
            // Whatever changes the data after it is bound makes its keys unknown.
            keys_after(checker, name.id.as_str(), keys)
        }
        // A `Counter` of the strings an iterable yields.
        data if counter => static_strings(checker, data, depth).map(BTreeSet::from_iter),
        _ => None,
    }
}

/// The keys of the dict (or list) `name` after the rest of the file ran, outside
/// sandbox functions: reads and writes with string literal keys add theirs
/// (a `defaultdict` read creates the key); anything else that may change it, or a
/// second binding, makes them unknown.
fn keys_after(
    checker: &Checker<'_, '_>,
    name: &str,
    mut keys: BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    let mut uses = Uses {
        checker,
        name,
        stores: 0,
        keys: &mut keys,
        unknown: false,
        loop_values: Vec::new(),
    };
    uses.visit_body(checker.model.module_body);
    (!uses.unknown && uses.stores <= 1).then_some(keys)
}

struct Uses<'c, 'm, 'a, 'k> {
    checker: &'c Checker<'m, 'a>,
    name: &'c str,
    stores: usize,
    keys: &'k mut BTreeSet<String>,
    unknown: bool,
    /// The names the enclosing `for` loops bind, with every string they take when
    /// the loop's iterable is fixed by the file.
    loop_values: Vec<(&'a str, Vec<String>)>,
}

impl<'a> Uses<'_, '_, 'a, '_> {
    /// Every key `slice` takes: a string literal, a loop variable over fixed strings,
    /// or one character of it (`word[0]`).
    fn keys_of(&self, slice: &Expr) -> Option<Vec<String>> {
        let values_of = |name: &str| {
            self.loop_values
                .iter()
                .rev()
                .find(|(bound, _)| *bound == name)
                .map(|(_, values)| values.clone())
        };
        match slice {
            Expr::StringLiteral(text) => Some(vec![text.value.to_str().to_string()]),
            Expr::Name(name) => values_of(name.id.as_str()),
            Expr::Subscript(inner) => {
                let Expr::Name(name) = inner.value.as_ref() else {
                    return None;
                };
                let index = match inner.slice.as_ref() {
                    Expr::NumberLiteral(number) => number.value.as_int()?.as_i64()?,
                    Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::USub => {
                        let Expr::NumberLiteral(number) = unary.operand.as_ref() else {
                            return None;
                        };
                        -number.value.as_int()?.as_i64()?
                    }
                    _ => return None,
                };
                values_of(name.id.as_str())?
                    .iter()
                    .map(|value| {
                        let chars: Vec<char> = value.chars().collect();
                        let at = if index < 0 {
                            chars.len().checked_sub(index.unsigned_abs() as usize)?
                        } else {
                            usize::try_from(index).ok()?
                        };
                        chars.get(at).map(char::to_string)
                    })
                    .collect()
            }
            _ => None,
        }
    }

    /// What a module-level `for` binds, when its iterable is fixed strings:
    /// `for w in ["a", "b"]`, `for w in TEXT.split()`, `for i, w in enumerate(WORDS)`.
    fn loop_bindings(&self, target: &'a Expr, iter: &'a Expr) -> Vec<(&'a str, Vec<String>)> {
        let (target, iter) = match (target, iter) {
            (Expr::Tuple(pair), Expr::Call(call))
                if pair.elts.len() == 2
                    && matches!(call.func.as_ref(), Expr::Name(func) if func.id.as_str() == "enumerate")
                    && call.arguments.args.len() == 1 =>
            {
                (&pair.elts[1], &call.arguments.args[0])
            }
            (target, iter) => (target, iter),
        };
        let Expr::Name(name) = target else {
            return Vec::new();
        };
        match static_strings(self.checker, iter, 0) {
            Some(values) => vec![(name.id.as_str(), values)],
            None => Vec::new(),
        }
    }
}

/// The strings an iterable yields, where the file fixes them: a list or tuple of
/// string literals, a string's characters, `"a b".split()`, or a name bound once to
/// one of those.
fn static_strings(checker: &Checker, iter: &Expr, depth: u8) -> Option<Vec<String>> {
    let text = |expr: &Expr| match expr {
        Expr::StringLiteral(text) => Some(text.value.to_str().to_string()),
        _ => None,
    };
    match iter {
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            elts.iter().map(text).collect()
        }
        Expr::StringLiteral(literal) => {
            Some(literal.value.to_str().chars().map(String::from).collect())
        }
        Expr::Call(call)
            if call.arguments.is_empty()
                && matches!(call.func.as_ref(), Expr::Attribute(method) if method.attr.id.as_str() == "split") =>
        {
            let Expr::Attribute(method) = call.func.as_ref() else {
                return None;
            };
            let whole = match method.value.as_ref() {
                Expr::Name(name) if depth < 3 => text(bound_once(checker, name.id.as_str())?)?,
                other => text(other)?,
            };
            Some(whole.split_whitespace().map(String::from).collect())
        }
        Expr::Name(name) if depth < 3 => {
            static_strings(checker, bound_once(checker, name.id.as_str())?, depth + 1)
        }
        _ => None,
    }
}

/// The value a module-level name is bound to, when it is bound once.
fn bound_once<'a>(checker: &Checker<'_, 'a>, name: &str) -> Option<&'a Expr> {
    let binding = checker.model.lookup(crate::semantic::MODULE_SCOPE, name)?;
    if checker.model.bindings_in(binding.scope, name).count() != 1 {
        return None;
    }
    match binding.kind {
        BindingKind::Assignment(value) => Some(value),
        _ => None,
    }
}

const MUTATORS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "update",
    "setdefault",
    "pop",
    "popitem",
    "clear",
    "subtract",
    "remove",
    "add",
    "__setitem__",
    "sort",
];

impl<'a> Visitor<'a> for Uses<'_, '_, 'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) if self.checker.is_sandbox_function(def) => return,
            Stmt::Global(ast::StmtGlobal { names: global, .. })
            | Stmt::Nonlocal(ast::StmtNonlocal { names: global, .. })
                if global.iter().any(|name| name.id.as_str() == self.name) =>
            {
                self.unknown = true;
            }
            Stmt::For(for_stmt) => {
                let bound = self.loop_bindings(&for_stmt.target, &for_stmt.iter);
                let pushed = bound.len();
                self.loop_values.extend(bound);
                visitor::walk_stmt(self, stmt);
                self.loop_values.truncate(self.loop_values.len() - pushed);
                return;
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if name.id.as_str() == self.name && name.ctx != ExprContext::Load => {
                self.stores += 1;
            }
            Expr::Subscript(subscript) if matches!(subscript.value.as_ref(), Expr::Name(name) if name.id.as_str() == self.name) =>
            {
                match self.keys_of(&subscript.slice) {
                    Some(keys) => self.keys.extend(keys),
                    None => self.unknown = true,
                }
                self.visit_expr(&subscript.slice);
                return;
            }
            Expr::Attribute(attribute)
                if MUTATORS.contains(&attribute.attr.id.as_str())
                    && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == self.name) =>
            {
                self.unknown = true;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// `DICT[key]` reads (and `DICT[key] += 1`) in a body, both plain names; the loop
/// variables that run over a plain name (`for t in tokens`, `[... for t in tokens]`);
/// and how often the body binds each name.
struct KeyReads<'a> {
    reads: Vec<(&'a str, &'a str)>,
    elements: Vec<(&'a str, &'a str)>,
    stores: std::collections::BTreeMap<&'a str, usize>,
    /// Dicts the body tests with `in`: a read may be guarded.
    tested: BTreeSet<&'a str>,
    /// The body catches exceptions: a `KeyError` may not escape.
    catches: bool,
}

impl<'a> KeyReads<'a> {
    fn of(body: &'a [Stmt]) -> Self {
        let mut reads = KeyReads {
            reads: Vec::new(),
            elements: Vec::new(),
            stores: std::collections::BTreeMap::new(),
            tested: BTreeSet::new(),
            catches: false,
        };
        reads.visit_body(body);
        reads
    }

    fn is_rebound(&self, name: &str) -> bool {
        self.stores.contains_key(name)
    }

    /// The name `variable` runs over, when the body binds it only as that loop's
    /// variable.
    fn iterable_of(&self, variable: &str) -> Option<&'a str> {
        let loops: Vec<&str> = self
            .elements
            .iter()
            .filter(|(bound, _)| *bound == variable)
            .map(|(_, iterable)| *iterable)
            .collect();
        match loops.as_slice() {
            [iterable] if self.stores.get(variable) == Some(&1) => Some(iterable),
            _ => None,
        }
    }

    /// The string items of the argument a parameter was given, when `variable` runs
    /// over that parameter.
    fn iter_over_parameter<'e>(
        &self,
        variable: &str,
        bound: &[(&str, &'e Expr)],
    ) -> Option<Vec<(&'e Expr, String)>> {
        let iterable = self.iterable_of(variable)?;
        if self.is_rebound(iterable) {
            return None;
        }
        let (_, argument) = bound.iter().find(|(parameter, _)| *parameter == iterable)?;
        let (Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. })) =
            argument
        else {
            return None;
        };
        elts.iter()
            .map(|element| match element {
                Expr::StringLiteral(text) => Some((element, text.value.to_str().to_string())),
                _ => None,
            })
            .collect()
    }

    fn element(&mut self, target: &'a Expr, iter: &'a Expr) {
        if let (Expr::Name(target), Expr::Name(iter)) = (target, iter) {
            self.elements.push((target.id.as_str(), iter.id.as_str()));
        }
    }
}

impl<'a> Visitor<'a> for KeyReads<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::For(for_stmt) => self.element(&for_stmt.target, &for_stmt.iter),
            Stmt::Try(_) => self.catches = true,
            Stmt::AugAssign(assign) => {
                if let Expr::Subscript(subscript) = assign.target.as_ref()
                    && let (Expr::Name(dict), Expr::Name(key)) =
                        (subscript.value.as_ref(), subscript.slice.as_ref())
                {
                    self.reads.push((dict.id.as_str(), key.id.as_str()));
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_comprehension(&mut self, comprehension: &'a ast::Comprehension) {
        self.element(&comprehension.target, &comprehension.iter);
        visitor::walk_comprehension(self, comprehension);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Subscript(subscript) if subscript.ctx == ExprContext::Load => {
                if let (Expr::Name(dict), Expr::Name(key)) =
                    (subscript.value.as_ref(), subscript.slice.as_ref())
                {
                    self.reads.push((dict.id.as_str(), key.id.as_str()));
                }
            }
            Expr::Name(name) if name.ctx != ExprContext::Load => {
                *self.stores.entry(name.id.as_str()).or_default() += 1;
            }
            Expr::Compare(compare) => {
                for (op, right) in compare.ops.iter().zip(&compare.comparators) {
                    if matches!(op, ast::CmpOp::In | ast::CmpOp::NotIn)
                        && let Expr::Name(dict) = right
                    {
                        self.tested.insert(dict.id.as_str());
                    }
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

    fn key_errors(globals: &str, body: &str, call: &str) -> Vec<String> {
        let source = format!(
            "import asyncio\nfrom collections import Counter, defaultdict\nfrom aviato import Sandbox, SandboxDefaults\n{globals}\n\n\
             async def main():\n    async with Sandbox.session(SandboxDefaults()) as session:\n\n        \
             @session.function()\n        def f(d, key):\n{body}\n\n        print(await {call})\n"
        );
        check(&source, &Settings::default())
            .into_iter()
            .filter(|d| d.rule == Rule::LossyJsonConversion && d.severity == Severity::Error)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn a_captured_defaultdict_lacks_the_literal_key() {
        let globals = "TALLY = defaultdict(int, {'q1': 2})";
        let errors = key_errors(globals, "            return TALLY[key] + 1", "f(0, 'q3')");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("\"q3\""), "{}", errors[0]);
        assert_eq!(
            key_errors(globals, "            return TALLY[key] + 1", "f(0, 'q1')"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_counter_argument_built_from_words_lacks_the_word() {
        let globals = "WORDS = 'the cat the end'.split()";
        let body = "            return d[key]";
        assert_eq!(
            key_errors(globals, body, "f(Counter(WORDS), 'dog')").len(),
            1
        );
        assert_eq!(
            key_errors(globals, body, "f(Counter(WORDS), 'cat')"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn keys_added_later_or_unknown_are_not_guessed() {
        // A read on the client creates the key.
        let globals = "GROUPS = defaultdict(list)\nGROUPS['a'].append(1)";
        let body = "            return len(GROUPS[key])";
        assert_eq!(key_errors(globals, body, "f(0, 'b')").len(), 1);
        assert_eq!(key_errors(globals, body, "f(0, 'a')"), Vec::<String>::new());
        // A loop fills it with keys the analysis does not compute.
        let globals =
            "GROUPS = defaultdict(list)\nfor w in open('words.txt'):\n    GROUPS[w[0]].append(w)";
        assert_eq!(key_errors(globals, body, "f(0, 'z')"), Vec::<String>::new());
    }

    #[test]
    fn keys_filled_by_a_loop_over_fixed_strings_and_read_for_each_item() {
        let globals = "VOCAB = defaultdict(int)\nfor i, token in enumerate(['<pad>', 'hello']):\n    VOCAB[token] = i";
        let body = "            return [VOCAB[t] for t in d]";
        let errors = key_errors(globals, body, "f(['hello', 'there'], 0)");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("\"there\""), "{}", errors[0]);
        assert_eq!(
            key_errors(globals, body, "f(['hello'], 0)"),
            Vec::<String>::new()
        );
        // First letters of the words of a fixed text.
        let globals = "TEXT = 'the cat sat'\nBY_LETTER = defaultdict(list)\nfor word in TEXT.split():\n    BY_LETTER[word[0]].append(word)";
        let body = "            return {k: BY_LETTER[k] for k in d}";
        assert_eq!(key_errors(globals, body, "f(['t', 'z'], 0)").len(), 1);
        assert_eq!(
            key_errors(globals, body, "f(['t', 'c'], 0)"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_guarded_or_caught_read_is_not_certain() {
        let globals = "VOCAB = defaultdict(int, {'a': 1})";
        for body in [
            "            return [VOCAB[t] for t in d if t in VOCAB]",
            "            try:\n                return [VOCAB[t] for t in d]\n            except KeyError:\n                return []",
        ] {
            assert_eq!(
                key_errors(globals, body, "f(['b'], 0)"),
                Vec::<String>::new(),
                "{body}"
            );
        }
    }
}
