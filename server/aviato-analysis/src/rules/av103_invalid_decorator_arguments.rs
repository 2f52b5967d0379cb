use ruff_python_ast::{Expr, ExprCall, Keyword};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::diagnostic::{Edit, Related};
use crate::facts::{declared_resources, defaults_keyword};
use crate::resources::{Literal, Verdict};
use crate::rules::Rule;
use crate::sandbox::{DecoratorForm, SandboxFunction};
use crate::sdk::Sdk;
use crate::semantic::{BindingKind, MODULE_SCOPE, Resolution};

/// The keywords `session.function()` takes: its own, then what it passes on to the
/// sandbox (`Sandbox(...)` and the start request's fields).
const KNOWN_KEYWORDS: &[&str] = &[
    "container_image",
    "serialization",
    "temp_dir",
    "tags",
    "base_url",
    "request_timeout_seconds",
    "max_lifetime_seconds",
    "runway_ids",
    "tower_ids",
    "resources",
    "environment_variables",
    "ports",
    "mounted_files",
    "s3_mount",
    "network",
    "max_timeout_seconds",
];

/// cwsandbox's `session.function(...)` options; any other keyword raises `TypeError`
/// when the decorator is applied.
const CWSANDBOX_KEYWORDS: &[&str] = &[
    "container_image",
    "temp_dir",
    "runner_ids",
    "resources",
    "mounted_files",
    "network",
    "services",
    "volumes",
    "file_system_snapshot",
    "placement_mode",
    "placement_spillover",
    "runtime_class",
    "security_context",
    "working_dir",
    "object_storage_access",
    "environment_variables",
    "annotations",
    "request_timeout_seconds",
    "data_plane_mode",
];

/// AV103: positional arguments, a `serialization=` that is not a `Serialization`
/// member, a keyword the SDK does not take, or `resources=` the SDK refuses.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    if function.sdk == Sdk::Cwsandbox {
        check_resources(checker, function);
        check_option_values(checker, function);
    }
    let call = match function.form {
        DecoratorForm::Call(call)
        | DecoratorForm::Alias {
            call: Some(call), ..
        } => call,
        _ => return,
    };
    if let (Some(first), Some(last)) = (call.arguments.args.first(), call.arguments.args.last()) {
        checker.report(
            Rule::InvalidDecoratorArguments,
            TextRange::new(first.start(), last.end()),
            "`session.function()` takes keyword arguments only; positional arguments raise `TypeError` when the function is defined"
                .to_string(),
        );
    }
    for keyword in &call.arguments.keywords {
        let Some(name) = &keyword.arg else { continue };
        let name = name.id.as_str();
        if function.sdk == Sdk::Cwsandbox {
            if !CWSANDBOX_KEYWORDS.contains(&name) {
                let removed = if name == "serialization" {
                    " (cwsandbox sends JSON only; `serialization=` was removed)"
                } else {
                    ""
                };
                let edits = remove_keyword(checker, call, keyword);
                checker
                    .report(
                        Rule::InvalidDecoratorArguments,
                        keyword.range(),
                        format!(
                            "`session.function()` has no option `{name}`{removed}; the decorator raises `TypeError: session.function() got unexpected keyword argument(s): {name}` when the function is defined"
                        ),
                    )
                    .with_fix(format!("Remove `{name}=`"), edits);
            }
        } else if name == "serialization" {
            check_serialization(checker, function, &keyword.value);
        } else if !KNOWN_KEYWORDS.contains(&name) {
            checker.report(
                Rule::InvalidDecoratorArguments,
                keyword.range(),
                format!(
                    "`session.function()` has no option `{name}`; the SDK passes it on to the sandbox request, which fails when the function is called"
                ),
            );
        }
    }
}

/// cwsandbox validates `resources=` (the decorator's, else the session's defaults)
/// on the client each time the function is called, before it creates a sandbox.
fn check_resources(checker: &mut Checker, function: &SandboxFunction) {
    let Some(declared) = declared_resources(checker.model, function) else {
        return;
    };
    let Verdict::Refused(refusal) = declared.verdict(checker.model) else {
        return;
    };
    let raised = format!("`{}: {}`", refusal.exception, refusal.message);
    if declared.from_defaults {
        let keyword = declared.keyword.range();
        checker
            .report(
                Rule::InvalidDecoratorArguments,
                function.decorator.expression.range(),
                format!(
                    "the session's `SandboxDefaults(resources=...)` is refused by the SDK: each call of `{}` raises {raised} before any sandbox starts",
                    function.def.name.id
                ),
            )
            .with_related(Some(Related {
                range: keyword,
                message: "`resources=` is given here".to_owned(),
            }));
        return;
    }
    let edits = quoted_cpu_counts(checker, declared.keyword);
    checker
        .report(
            Rule::InvalidDecoratorArguments,
            declared.keyword.value.range(),
            format!(
                "`resources=` is refused by the SDK: calling `{}` raises {raised} before any sandbox starts",
                function.def.name.id
            ),
        )
        .with_fix("Write CPU counts as strings", edits);
}

/// The options cwsandbox converts when the function is called: string maps go
/// into protobuf maps (`TypeError: bad argument type for built-in operation` for
/// anything but `str`), mode names into its enums (`ValueError: 'x' is not a valid
/// PlacementMode`), the request timeout into arithmetic with a float.
fn check_option_values(checker: &mut Checker, function: &SandboxFunction) {
    let decorator_keywords = ["environment_variables", "annotations"]
        .into_iter()
        .filter_map(|name| function.keyword(name));
    // The session's environment is merged into every function's.
    let defaults_keywords = (!function.has_unpacked_options())
        .then(|| defaults_keyword(checker.model, function, "environment_variables"))
        .flatten();
    for keyword in decorator_keywords.chain(defaults_keywords) {
        let Literal::Dict(items) = Literal::of(checker.model, &keyword.value, function.enclosing)
        else {
            continue;
        };
        let not_str = |literal: &Literal| {
            !matches!(
                literal,
                Literal::Str(_) | Literal::Unknown | Literal::Other(None)
            )
        };
        let Some(bad) = items
            .iter()
            .find(|(key, value)| not_str(key) || not_str(value))
        else {
            continue;
        };
        let name = keyword.arg.as_ref().map_or("", |arg| arg.id.as_str());
        let what = if not_str(&bad.0) { "a key" } else { "a value" };
        let raised = format!(
            "calling `{}` raises `TypeError: bad argument type for built-in operation` before any sandbox starts",
            function.def.name.id
        );
        let own = function
            .keyword(name)
            .is_some_and(|own| own.range() == keyword.range());
        if own {
            let edits = quoted_numbers(checker, &keyword.value);
            checker
                .report(
                    Rule::InvalidDecoratorArguments,
                    keyword.value.range(),
                    format!("`{name}=` has {what} that is not a `str`: {raised}"),
                )
                .with_fix("Write the values as strings", edits);
        } else {
            checker
                .report(
                    Rule::InvalidDecoratorArguments,
                    function.decorator.expression.range(),
                    format!(
                        "the session's `SandboxDefaults({name}=...)` has {what} that is not a `str`: {raised}"
                    ),
                )
                .with_related(Some(Related {
                    range: keyword.range(),
                    message: format!("`{name}=` is given here"),
                }));
        }
    }
    for (name, enum_name, members) in [
        (
            "placement_mode",
            "PlacementMode",
            &["unspecified", "serverless", "cks"][..],
        ),
        (
            "placement_spillover",
            "PlacementSpillover",
            &["strict", "cks_then_serverless", "serverless_then_cks"][..],
        ),
        (
            "data_plane_mode",
            "DataPlaneMode",
            &["auto", "gateway", "direct"][..],
        ),
    ] {
        let Some(keyword) = function.keyword(name) else {
            continue;
        };
        let Literal::Str(mode) = Literal::of(checker.model, &keyword.value, function.enclosing)
        else {
            continue;
        };
        let mode = mode.to_lowercase();
        if members.contains(&mode.as_str()) {
            continue;
        }
        checker.report(
            Rule::InvalidDecoratorArguments,
            keyword.value.range(),
            format!(
                "`{name}=` is not a {enum_name} ({}): calling `{}` raises `ValueError: '{mode}' is not a valid {enum_name}` before any sandbox starts",
                members
                    .iter()
                    .map(|member| format!("`\"{member}\"`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                function.def.name.id
            ),
        );
    }
    if let Some(keyword) = function.keyword("request_timeout_seconds")
        && let Literal::Str(_) = Literal::of(checker.model, &keyword.value, function.enclosing)
    {
        let edits = match &keyword.value {
            Expr::StringLiteral(text) if text.value.to_str().trim().parse::<f64>().is_ok() => {
                vec![Edit {
                    range: keyword.value.range(),
                    content: text.value.to_str().trim().to_owned(),
                }]
            }
            _ => Vec::new(),
        };
        checker
            .report(
                Rule::InvalidDecoratorArguments,
                keyword.value.range(),
                format!(
                    "`request_timeout_seconds=` is a string: calling `{}` raises `TypeError: unsupported operand type(s) for +: 'float' and 'str'`",
                    function.def.name.id
                ),
            )
            .with_fix("Write the timeout as a number", edits);
    }
}

/// `{"WORKERS": 4}` to `{"WORKERS": "4"}`: the numbers among a dict literal's values.
fn quoted_numbers(checker: &Checker, value: &Expr) -> Vec<Edit> {
    let Expr::Dict(dict) = value else {
        return Vec::new();
    };
    dict.items
        .iter()
        .filter(|item| item.value.is_number_literal_expr())
        .map(|item| Edit {
            range: item.value.range(),
            content: format!("\"{}\"", checker.text(item.value.range())),
        })
        .collect()
}

/// `{"cpu": 2}` to `{"cpu": "2"}`: quantities are strings (`"500m"`, `"4Gi"`). Only
/// CPU counts: a bare memory number would be bytes, rarely what was meant.
fn quoted_cpu_counts(checker: &Checker, keyword: &Keyword) -> Vec<Edit> {
    let Expr::Dict(dict) = &keyword.value else {
        return Vec::new();
    };
    let flat = dict.items.iter().map(|item| (item, &item.value));
    let nested = dict
        .items
        .iter()
        .filter_map(|item| item.value.as_dict_expr())
        .flat_map(|inner| inner.items.iter().map(|item| (item, &item.value)));
    flat.chain(nested)
        .filter(|(item, value)| {
            matches!(&item.key, Some(Expr::StringLiteral(key)) if key.value.to_str() == "cpu")
                && value.is_number_literal_expr()
        })
        .map(|(_, value)| Edit {
            range: value.range(),
            content: format!("\"{}\"", checker.text(value.range())),
        })
        .collect()
}

fn check_serialization(checker: &mut Checker, function: &SandboxFunction, value: &Expr) {
    let Some(Expr::StringLiteral(text)) = static_value(checker, value, function.enclosing, 0)
    else {
        return;
    };
    let member = match text.value.to_str().to_ascii_lowercase().as_str() {
        "pickle" => Some("PICKLE"),
        "json" => Some("JSON"),
        _ => None,
    };
    let edits = member
        .filter(|_| value.is_string_literal_expr())
        .map(|member| serialization_edits(checker, function, value, member))
        .unwrap_or_default();
    checker
        .report(
            Rule::InvalidDecoratorArguments,
            value.range(),
            format!(
                "`serialization={}` is a string, not a `Serialization` member; the SDK raises `AttributeError` when the function is called",
                checker.text(value)
            ),
        )
        .with_fix(format!("Use `Serialization.{}`", member.unwrap_or_default()), edits);
}

/// Replaces `value` with `Serialization.MEMBER`, importing `Serialization` next to the
/// file's other `from aviato import ...` when it is not bound yet.
fn serialization_edits(
    checker: &Checker,
    function: &SandboxFunction,
    value: &Expr,
    member: &str,
) -> Vec<Edit> {
    let mut edits = vec![Edit {
        range: value.range(),
        content: format!("Serialization.{member}"),
    }];
    if checker.model.resolve(function.enclosing, "Serialization") != Resolution::Unbound {
        return edits;
    }
    let aviato_import = checker.model.bindings.iter().find(|binding| {
        binding.scope == MODULE_SCOPE
            && matches!(
                binding.kind,
                BindingKind::FromImport {
                    module: "aviato",
                    ..
                }
            )
    });
    match aviato_import {
        Some(binding) => edits.push(Edit {
            range: TextRange::empty(binding.statement.end()),
            content: "\nfrom aviato import Serialization".into(),
        }),
        None => return Vec::new(),
    }
    edits
}

/// Deletes `keyword` and the comma that separates it from its neighbour.
fn remove_keyword(checker: &Checker, call: &ExprCall, keyword: &Keyword) -> Vec<Edit> {
    let arguments = &call.arguments;
    let all: Vec<TextRange> = arguments
        .args
        .iter()
        .map(Ranged::range)
        .chain(arguments.keywords.iter().map(Ranged::range))
        .collect();
    let Some(index) = all.iter().position(|range| *range == keyword.range()) else {
        return Vec::new();
    };
    let range = match (index.checked_sub(1).map(|i| all[i]), all.get(index + 1)) {
        (Some(previous), _) => TextRange::new(previous.end(), keyword.end()),
        (None, Some(next)) => TextRange::new(keyword.start(), next.start()),
        (None, None) => keyword.range(),
    };
    // Only a comma and blanks may lie between the neighbours and the keyword.
    let between = checker.text(range).replace(checker.text(keyword), "");
    if !between.chars().all(|c| c == ',' || c.is_whitespace()) {
        return Vec::new();
    }
    vec![Edit {
        range,
        content: String::new(),
    }]
}

/// The expression a value stands for: itself, or what a name or a literal dict's
/// entry holds (`SETTINGS["serialization"]`).
fn static_value<'a>(
    checker: &Checker<'_, 'a>,
    value: &'a Expr,
    scope: crate::semantic::ScopeId,
    depth: u8,
) -> Option<&'a Expr> {
    if depth > 8 {
        return None;
    }
    match value {
        Expr::Name(name) => {
            let binding = checker.model.lookup(scope, name.id.as_str())?;
            match binding.kind {
                BindingKind::Assignment(bound) => {
                    static_value(checker, bound, binding.scope, depth + 1)
                }
                _ => None,
            }
        }
        Expr::Subscript(subscript) => {
            let Expr::StringLiteral(key) = subscript.slice.as_ref() else {
                return None;
            };
            let Expr::Dict(dict) = static_value(checker, &subscript.value, scope, depth + 1)?
            else {
                return None;
            };
            let entry = dict.items.iter().find(|item| {
                matches!(&item.key, Some(Expr::StringLiteral(k)) if k.value.to_str() == key.value.to_str())
            })?;
            static_value(checker, &entry.value, scope, depth + 1)
        }
        value => Some(value),
    }
}
