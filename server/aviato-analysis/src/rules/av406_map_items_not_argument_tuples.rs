use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::rules::av402_call_signature_mismatch::{self, PassedArguments};
use crate::rules::{CapturedByFunction, check_argument_values};
use crate::sandbox::SandboxFunction;
use crate::semantic::{BindingKind, CallRecord, ScopeId};
use crate::value::{ValueKind, kind_is_syntactic};

/// AV406: `f.map(items)` calls `f.remote(*item)` for each item, so every item must be
/// a tuple (or list) of positional arguments. Also AV402 and the argument values of
/// each literal item.
pub(crate) fn check<'a>(
    checker: &mut Checker<'_, 'a>,
    captured: &mut CapturedByFunction<'a>,
    function: &SandboxFunction<'a>,
    record: &CallRecord<'a>,
) {
    let Some(items) = record.call.arguments.args.first() else {
        return;
    };
    let Some(Items {
        elements,
        scope,
        comprehension,
    }) = literal_items(checker, items, record.scope)
    else {
        // `f.map(text)`: the items are what iterating the value gives.
        let kind = checker.values.kind(items, record.scope, items.start());
        let each = match kind {
            ValueKind::Str => "each character is one item, splatted into one argument",
            ValueKind::Dict | ValueKind::DictNonStrKeys | ValueKind::DictSubclass { .. } => {
                "each key is one item, splatted into arguments"
            }
            _ => return,
        };
        let name = record.name;
        checker.report(
            Rule::MapItemsNotArgumentTuples,
            items.range(),
            format!(
                "`{name}.map` iterates {}: {each}; pass a list of argument tuples",
                kind.describe()
            ),
        );
        return;
    };
    for item in elements {
        match item {
            // A comprehension's element reads its loop variables: only its shape is known.
            Expr::Tuple(tuple) if comprehension => arity(checker, function, item, &tuple.elts),
            Expr::List(list) if comprehension => arity(checker, function, item, &list.elts),
            Expr::Tuple(tuple) => {
                item_arguments(checker, captured, function, item, &tuple.elts, scope);
            }
            Expr::List(list) => {
                item_arguments(checker, captured, function, item, &list.elts, scope);
            }
            // A comprehension's element whose kind its syntax shows: `[f"x{i}" for ...]`.
            item if comprehension && !kind_is_syntactic(item) => {}
            Expr::Starred(_) => {}
            item => {
                let kind = checker.values.kind(item, scope, item.start());
                let Some(fate) = splat_fate(&kind) else {
                    continue;
                };
                let fix = (scope == record.scope).then(|| Edit {
                    range: item.range(),
                    content: format!("({},)", checker.text(item)),
                });
                let name = record.name;
                checker
                    .report(
                        Rule::MapItemsNotArgumentTuples,
                        item.range(),
                        format!(
                            "`{name}.map` calls `{name}.remote(*item)`: this item is {}, {fate}; write each item as a tuple of arguments, `({},)`",
                            kind.describe(),
                            checker.text(item)
                        ),
                    )
                    .with_fix("Wrap the item in a tuple", fix.into_iter().collect());
            }
        }
    }
}

fn item_arguments<'a>(
    checker: &mut Checker<'_, 'a>,
    captured: &mut CapturedByFunction<'a>,
    function: &SandboxFunction<'a>,
    item: &'a Expr,
    args: &'a [Expr],
    scope: ScopeId,
) {
    arity(checker, function, item, args);
    let arguments = PassedArguments {
        args,
        keywords: &[],
        range: item.range(),
    };
    check_argument_values(checker, captured, function, &arguments, scope);
}

/// AV402 for one item's positional arguments.
fn arity(checker: &mut Checker, function: &SandboxFunction, item: &Expr, args: &[Expr]) {
    av402_call_signature_mismatch::check(
        checker,
        function,
        &PassedArguments {
            args,
            keywords: &[],
            range: item.range(),
        },
    );
}

struct Items<'a> {
    elements: Vec<&'a Expr>,
    /// The scope the elements are evaluated in.
    scope: ScopeId,
    /// Whether the one element is a comprehension's.
    comprehension: bool,
}

/// The items of a literal list, tuple or comprehension (its element), directly or
/// through a name bound to one.
fn literal_items<'a>(
    checker: &Checker<'_, 'a>,
    items: &'a Expr,
    scope: ScopeId,
) -> Option<Items<'a>> {
    let literal = |elements: &'a [Expr]| Items {
        elements: elements.iter().collect(),
        scope,
        comprehension: false,
    };
    let comprehension = |elt: &'a Expr| Items {
        elements: vec![elt],
        scope,
        comprehension: true,
    };
    match items {
        Expr::List(list) => Some(literal(&list.elts)),
        Expr::Tuple(tuple) => Some(literal(&tuple.elts)),
        Expr::ListComp(comp) => Some(comprehension(&comp.elt)),
        Expr::Generator(comp) => Some(comprehension(&comp.elt)),
        // Iterating a dict gives its keys.
        Expr::Dict(dict) => Some(Items {
            elements: dict
                .items
                .iter()
                .map(|item| item.key.as_ref())
                .collect::<Option<Vec<_>>>()?,
            scope,
            comprehension: false,
        }),
        // `sorted(SHARDS)`, `list(ROWS)`: the same elements.
        Expr::Call(call)
            if call.arguments.keywords.is_empty()
                && call.arguments.args.len() == 1
                && matches!(call.func.as_ref(), Expr::Name(name)
                    if matches!(name.id.as_str(), "sorted" | "list" | "tuple")
                        && checker.model.lookup(scope, name.id.as_str()).is_none()) =>
        {
            literal_items(checker, &call.arguments.args[0], scope)
        }
        Expr::Name(name) => {
            let binding = checker.model.lookup(scope, name.id.as_str())?;
            let BindingKind::Assignment(value) = binding.kind else {
                return None;
            };
            match value {
                Expr::Name(_) => None,
                value => literal_items(checker, value, binding.scope),
            }
        }
        _ => None,
    }
}

/// What `*item` does to a value that is not a tuple or list of arguments.
fn splat_fate(kind: &ValueKind) -> Option<&'static str> {
    Some(match kind {
        ValueKind::Str => "which `*` splats into its characters, one argument each",
        ValueKind::Dict | ValueKind::DictNonStrKeys => {
            "which `*` splats into its keys, one argument each"
        }
        ValueKind::Int | ValueKind::Float | ValueKind::Bool | ValueKind::None => {
            "which `*` cannot splat: `TypeError` in `map`"
        }
        ValueKind::Set | ValueKind::FrozenSet => {
            "which `*` splats in no fixed order, one argument per element"
        }
        _ => return None,
    })
}
