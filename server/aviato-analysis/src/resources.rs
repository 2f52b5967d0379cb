//! cwsandbox's `resources=` option, normalised and validated as the SDK does before
//! it creates a sandbox (`cwsandbox._resources.normalize_resources` and
//! `_quantity.validate_resource_quantities`): a flat dict (`{"cpu": "2", "memory":
//! "4Gi"}`) becomes equal requests and limits, a nested one (`{"requests": ...,
//! "limits": ...}`) gets its missing side copied from the other, `gpu` may be a
//! count or a dict. A value the SDK refuses raises on the client when the function is
//! called, before any sandbox starts.

use ruff_python_ast::{Expr, Number, UnaryOp};

use crate::semantic::{BindingKind, ScopeId, SemanticModel};

/// What the SDK sends as the container's `resource_requirements`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `(cpu | memory, quantity)`, as written.
    pub requests: Vec<(String, String)>,
    pub limits: Vec<(String, String)>,
    pub gpu: Option<Gpu>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gpu {
    pub count: Option<i64>,
    /// The GPU model (`"A100"`): the `type` key.
    pub model: Option<String>,
    pub memory_gb: Option<i64>,
}

/// The exception the SDK raises on the client for a `resources=` it refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub exception: &'static str,
    pub message: String,
}

/// The SDK's verdict on a `resources=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid(Resources),
    Refused(Refusal),
    /// Not known before run time (a value computed by the program), or a shape whose
    /// fate the model does not know.
    Unknown,
}

/// A value as far as the file fixes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Int(i64),
    Float,
    Bool,
    None,
    Dict(Vec<(Literal, Literal)>),
    /// Known to be something else (a list, a call...): its Python type when known.
    Other(Option<&'static str>),
    Unknown,
}

impl Literal {
    /// `expr` as a literal, following names bound once to a literal.
    pub(crate) fn of(model: &SemanticModel, expr: &Expr, scope: ScopeId) -> Literal {
        Self::of_at_depth(model, expr, scope, 0)
    }

    fn of_at_depth(model: &SemanticModel, expr: &Expr, scope: ScopeId, depth: u8) -> Literal {
        if depth > 8 {
            return Literal::Unknown;
        }
        match expr {
            Expr::StringLiteral(text) => Literal::Str(text.value.to_str().to_owned()),
            Expr::NumberLiteral(number) => match &number.value {
                Number::Int(int) => int.as_i64().map_or(Literal::Unknown, Literal::Int),
                Number::Float(_) => Literal::Float,
                Number::Complex { .. } => Literal::Other(Some("complex")),
            },
            Expr::UnaryOp(unary) if unary.op == UnaryOp::USub => {
                match Self::of_at_depth(model, &unary.operand, scope, depth + 1) {
                    Literal::Int(int) => Literal::Int(-int),
                    Literal::Float => Literal::Float,
                    _ => Literal::Unknown,
                }
            }
            Expr::BooleanLiteral(_) => Literal::Bool,
            Expr::NoneLiteral(_) => Literal::None,
            Expr::Dict(dict) => {
                let mut items = Vec::with_capacity(dict.items.len());
                for item in &dict.items {
                    let Some(key) = &item.key else {
                        return Literal::Unknown;
                    };
                    items.push((
                        Self::of_at_depth(model, key, scope, depth + 1),
                        Self::of_at_depth(model, &item.value, scope, depth + 1),
                    ));
                }
                Literal::Dict(items)
            }
            Expr::List(_) | Expr::ListComp(_) => Literal::Other(Some("list")),
            Expr::Tuple(_) => Literal::Other(Some("tuple")),
            Expr::Name(name) => {
                let Some(binding) = model.lookup(scope, name.id.as_str()) else {
                    return Literal::Unknown;
                };
                let single = model.bindings_in(binding.scope, name.id.as_str()).count() == 1;
                match binding.kind {
                    BindingKind::Assignment(value) if single => {
                        Self::of_at_depth(model, value, binding.scope, depth + 1)
                    }
                    _ => Literal::Unknown,
                }
            }
            _ => Literal::Unknown,
        }
    }

    fn type_name(&self) -> Option<&'static str> {
        match self {
            Literal::Str(_) => Some("str"),
            Literal::Int(_) => Some("int"),
            Literal::Float => Some("float"),
            Literal::Bool => Some("bool"),
            Literal::None => Some("NoneType"),
            Literal::Dict(_) => Some("dict"),
            Literal::Other(name) => *name,
            Literal::Unknown => None,
        }
    }

    fn dict(&self) -> Option<&[(Literal, Literal)]> {
        match self {
            Literal::Dict(items) => Some(items),
            _ => None,
        }
    }
}

/// The SDK's verdict on `resources=<value>`.
pub(crate) fn normalize(value: &Literal) -> Verdict {
    match normalized(value) {
        Ok(Some(resources)) => Verdict::Valid(resources),
        Ok(None) => Verdict::Unknown,
        Err(refusal) => Verdict::Refused(refusal),
    }
}

/// `Ok(None)`: not known.
fn normalized(value: &Literal) -> Result<Option<Resources>, Refusal> {
    let Some(items) = value.dict() else {
        return match value {
            Literal::None => Ok(Some(Resources::default())),
            Literal::Unknown | Literal::Other(None) => Ok(None),
            other => Err(type_error(format!(
                "resources must be ResourceOptions, dict, or None, got {}",
                other.type_name().unwrap_or("object")
            ))),
        };
    };
    let mut keys = Vec::with_capacity(items.len());
    for (key, _) in items {
        match key {
            Literal::Str(key) => keys.push(key.as_str()),
            _ => return Ok(None),
        }
    }
    let get = |wanted: &str| {
        items
            .iter()
            .find(|(key, _)| matches!(key, Literal::Str(key) if key == wanted))
            .map(|(_, value)| value)
    };
    let nested = keys.iter().any(|key| matches!(*key, "requests" | "limits"));
    let mut resources = Resources::default();
    if nested {
        unknown_keys(
            &keys,
            &["requests", "limits", "gpu"],
            "unrecognized resource keys",
        )?;
        let mut sides = [None, None];
        for (side, slot) in ["requests", "limits"].into_iter().zip(&mut sides) {
            match get(side) {
                None | Some(Literal::None) => {}
                Some(Literal::Dict(inner)) => {
                    let mut quantities = Vec::with_capacity(inner.len());
                    let mut inner_keys = Vec::with_capacity(inner.len());
                    for (key, quantity) in inner {
                        let Literal::Str(key) = key else {
                            return Ok(None);
                        };
                        inner_keys.push(key.as_str());
                        quantities.push((key.clone(), quantity.clone()));
                    }
                    unknown_keys(
                        &inner_keys,
                        &["cpu", "memory"],
                        &format!("unrecognized keys in {side}"),
                    )?;
                    *slot = Some(quantities);
                }
                Some(_) => return Ok(None),
            }
        }
        match get("gpu") {
            None | Some(Literal::None) => {}
            Some(gpu @ Literal::Dict(_)) => resources.gpu = gpu_options(gpu)?,
            Some(_) => return Ok(None),
        }
        // The side left out is a copy of the other (Guaranteed QoS).
        let [requests, limits] = sides;
        let (requests, limits) = match (requests, limits) {
            (Some(requests), None) => (Some(requests.clone()), Some(requests)),
            (None, Some(limits)) => (Some(limits.clone()), Some(limits)),
            sides => sides,
        };
        return finish(resources, requests, limits);
    }
    if !keys
        .iter()
        .any(|key| matches!(*key, "cpu" | "memory" | "gpu"))
    {
        return Err(type_error(format!(
            "unrecognized resources dict keys: {}",
            python_set(&keys)
        )));
    }
    unknown_keys(
        &keys,
        &["cpu", "memory", "gpu"],
        "unrecognized resource keys",
    )?;
    match get("gpu") {
        None | Some(Literal::None) => {}
        Some(gpu @ Literal::Dict(_)) => resources.gpu = gpu_options(gpu)?,
        Some(Literal::Int(count)) if *count >= 1 => {
            resources.gpu = Some(Gpu {
                count: Some(*count),
                ..Gpu::default()
            });
        }
        Some(Literal::Int(count)) => {
            return Err(value_error(format!(
                "gpu count must be a positive int, got {count}"
            )));
        }
        Some(Literal::Unknown) => return Ok(None),
        Some(other) => {
            return Err(value_error(format!(
                "gpu count must be a positive int, got {}",
                other.type_name().unwrap_or("object")
            )));
        }
    }
    let quantities: Vec<(String, Literal)> = ["cpu", "memory"]
        .into_iter()
        .filter_map(|key| Some((key.to_owned(), get(key)?.clone())))
        .collect();
    let quantities = (!quantities.is_empty()).then_some(quantities);
    finish(resources, quantities.clone(), quantities)
}

/// Checks each quantity present on both sides as the SDK does (a `str` that parses,
/// the request not above the limit) and keeps them.
fn finish(
    mut resources: Resources,
    requests: Option<Vec<(String, Literal)>>,
    limits: Option<Vec<(String, Literal)>>,
) -> Result<Option<Resources>, Refusal> {
    let (requests, limits) = (requests.unwrap_or_default(), limits.unwrap_or_default());
    for key in ["cpu", "memory"] {
        let find = |side: &[(String, Literal)]| {
            side.iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        };
        let (Some(request), Some(limit)) = (find(&requests), find(&limits)) else {
            continue;
        };
        let request = quantity_text(&request, key, "request")?;
        let limit = quantity_text(&limit, key, "limit")?;
        let (Some(request), Some(limit)) = (request, limit) else {
            return Ok(None);
        };
        if parse_quantity(&request)? > parse_quantity(&limit)? {
            return Err(value_error(format!(
                "resource request for {key} ({request}) exceeds limit ({limit})"
            )));
        }
    }
    let texts = |side: Vec<(String, Literal)>| -> Option<Vec<(String, String)>> {
        side.into_iter()
            .map(|(key, value)| match value {
                Literal::Str(text) => Some((key, text)),
                _ => None,
            })
            .collect()
    };
    let (Some(requests), Some(limits)) = (texts(requests), texts(limits)) else {
        // A quantity on one side only is not checked by the SDK: unknown here.
        return Ok(None);
    };
    resources.requests = requests;
    resources.limits = limits;
    Ok(Some(resources))
}

/// `Ok(None)` when the value is not known.
fn quantity_text(value: &Literal, key: &str, side: &str) -> Result<Option<String>, Refusal> {
    match value {
        Literal::Str(text) => Ok(Some(text.clone())),
        Literal::Unknown | Literal::Other(None) => Ok(None),
        other => Err(type_error(format!(
            "resource value for {key} {side} must be a string, got {}",
            other.type_name().unwrap_or("object")
        ))),
    }
}

fn gpu_options(gpu: &Literal) -> Result<Option<Gpu>, Refusal> {
    let Some(items) = gpu.dict() else {
        return Ok(None);
    };
    let mut keys = Vec::with_capacity(items.len());
    for (key, _) in items {
        let Literal::Str(key) = key else {
            return Ok(None);
        };
        keys.push(key.as_str());
    }
    unknown_keys(
        &keys,
        &["count", "type", "memory_gb"],
        "unrecognized GPU keys",
    )?;
    let mut options = Gpu::default();
    for (key, value) in items {
        let Literal::Str(key) = key else { continue };
        match (key.as_str(), value) {
            (_, Literal::Unknown) => return Ok(None),
            ("count" | "memory_gb", Literal::Int(number)) if *number >= 1 => {
                if key == "count" {
                    options.count = Some(*number);
                } else {
                    options.memory_gb = Some(*number);
                }
            }
            ("count" | "memory_gb", Literal::Int(number)) => {
                return Err(value_error(format!(
                    "gpu '{key}' must be a positive int, got {number}"
                )));
            }
            ("count" | "memory_gb", other) => {
                return Err(value_error(format!(
                    "gpu '{key}' must be a positive int, got {}",
                    other.type_name().unwrap_or("object")
                )));
            }
            ("type", Literal::Str(model)) => options.model = Some(model.clone()),
            ("type", other) => {
                return Err(value_error(format!(
                    "gpu 'type' must be a str, got {}",
                    other.type_name().unwrap_or("object")
                )));
            }
            _ => {}
        }
    }
    Ok(Some(options))
}

fn unknown_keys(keys: &[&str], known: &[&str], what: &str) -> Result<(), Refusal> {
    let unknown: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|key| !known.contains(key))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(value_error(format!("{what}: {}", python_set(&unknown))))
}

/// A set of strings as Python prints it (in the order given: a set's order of
/// several strings depends on their hashes).
fn python_set(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
    format!("{{{}}}", quoted.join(", "))
}

/// A Kubernetes quantity as the SDK parses it (`_quantity.parse_quantity`): a
/// number, with `m`, a binary (`Ki`...`Ei`) or a decimal (`k`...`E`) suffix.
fn parse_quantity(text: &str) -> Result<f64, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(value_error("empty quantity string".to_owned()));
    }
    if text.starts_with('-') {
        return Err(value_error(format!(
            "negative quantities are not allowed: {}",
            python_repr(text)
        )));
    }
    const BINARY: [(&str, f64); 6] = [
        ("Ki", 1024f64),
        ("Mi", 1_048_576f64),
        ("Gi", 1_073_741_824f64),
        ("Ti", 1_099_511_627_776f64),
        ("Pi", 1_125_899_906_842_624f64),
        ("Ei", 1_152_921_504_606_846_976f64),
    ];
    const DECIMAL: [(char, f64); 6] = [
        ('k', 1e3),
        ('M', 1e6),
        ('G', 1e9),
        ('T', 1e12),
        ('P', 1e15),
        ('E', 1e18),
    ];
    let with_suffix = |number: &str, scale: f64| {
        if number.contains(['e', 'E']) {
            return Err(value_error(format!(
                "scientific notation with suffix is not allowed: {}",
                python_repr(text)
            )));
        }
        python_decimal(number)
            .map(|value| value * scale)
            .ok_or_else(|| unrecognized(text))
    };
    if let Some(number) = text.strip_suffix('m') {
        return with_suffix(number, 1e-3);
    }
    if text.len() >= 3
        && let Some((number, scale)) = BINARY
            .iter()
            .find_map(|(suffix, scale)| Some((text.strip_suffix(suffix)?, *scale)))
    {
        return with_suffix(number, scale);
    }
    if let Some((number, scale)) = DECIMAL
        .iter()
        .find_map(|(suffix, scale)| Some((text.strip_suffix(*suffix)?, *scale)))
    {
        return with_suffix(number, scale);
    }
    python_decimal(text).ok_or_else(|| unrecognized(text))
}

/// What Python's `Decimal(text)` accepts of finite numbers: a sign, digits with
/// `_` between them, a fraction, an exponent.
fn python_decimal(text: &str) -> Option<f64> {
    let digits_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('_')
            && !part.ends_with('_')
            && !part.contains("__")
            && part.chars().all(|c| c.is_ascii_digit() || c == '_')
    };
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    if let Some(exponent) = exponent {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if !digits_ok(exponent) {
            return None;
        }
    }
    let valid = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || digits_ok(whole))
                && (fraction.is_empty() || digits_ok(fraction))
                && !(whole.is_empty() && fraction.is_empty())
        }
        None => digits_ok(mantissa),
    };
    valid.then(|| text.replace('_', "").parse().ok()).flatten()
}

fn unrecognized(text: &str) -> Refusal {
    value_error(format!(
        "unrecognized quantity format: {}",
        python_repr(text)
    ))
}

fn python_repr(text: &str) -> String {
    if text.contains('\'') && !text.contains('"') {
        format!("\"{text}\"")
    } else {
        format!("'{}'", text.replace('\'', "\\'"))
    }
}

fn type_error(message: String) -> Refusal {
    Refusal {
        exception: "TypeError",
        message,
    }
}

fn value_error(message: String) -> Refusal {
    Refusal {
        exception: "ValueError",
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(source: &str) -> Verdict {
        let parsed = crate::parse(&format!("resources = {source}\n"));
        let module = parsed.module();
        let model = SemanticModel::build(&module.body);
        let ruff_python_ast::Stmt::Assign(assign) = &module.body[0] else {
            unreachable!()
        };
        normalize(&Literal::of(
            &model,
            &assign.value,
            crate::semantic::MODULE_SCOPE,
        ))
    }

    fn refusal(source: &str) -> (String, String) {
        match verdict(source) {
            Verdict::Refused(refusal) => (refusal.exception.to_owned(), refusal.message),
            other => panic!("{source}: {other:?}"),
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_flat_dict_is_both_requests_and_limits() {
        let Verdict::Valid(resources) =
            verdict(r#"{"cpu": "2", "memory": "4Gi", "gpu": {"count": 1, "type": "A100"}}"#)
        else {
            panic!()
        };
        assert_eq!(
            resources.requests,
            pairs(&[("cpu", "2"), ("memory", "4Gi")])
        );
        assert_eq!(resources.limits, resources.requests);
        assert_eq!(
            resources.gpu,
            Some(Gpu {
                count: Some(1),
                model: Some("A100".into()),
                memory_gb: None
            })
        );
        let Verdict::Valid(resources) = verdict(r#"{"gpu": 2}"#) else {
            panic!()
        };
        assert_eq!(resources.gpu.and_then(|gpu| gpu.count), Some(2));
    }

    #[test]
    fn a_nested_dict_copies_the_missing_side() {
        let Verdict::Valid(resources) = verdict(r#"{"limits": {"cpu": "500m"}}"#) else {
            panic!()
        };
        assert_eq!(resources.requests, pairs(&[("cpu", "500m")]));
        assert_eq!(resources.limits, pairs(&[("cpu", "500m")]));
    }

    // Each message is the one `cwsandbox==1.22.0` raised on the client.
    #[test]
    fn what_the_sdk_refuses() {
        let cases = [
            (
                r#"{"cpu": 2}"#,
                "TypeError",
                "resource value for cpu request must be a string, got int",
            ),
            (
                r#"{"memory": 4096}"#,
                "TypeError",
                "resource value for memory request must be a string, got int",
            ),
            (
                r#"{"cpu": "1", "disk": "3Gi"}"#,
                "ValueError",
                "unrecognized resource keys: {'disk'}",
            ),
            (
                r#"{"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}"#,
                "ValueError",
                "resource request for cpu (2) exceeds limit (1)",
            ),
            (
                r#"{"gpu": 0}"#,
                "ValueError",
                "gpu count must be a positive int, got 0",
            ),
            (
                r#"{"cpu": "1", "memory": "2gb"}"#,
                "ValueError",
                "unrecognized quantity format: '2gb'",
            ),
            (
                r#"{"memory": "8GB"}"#,
                "ValueError",
                "unrecognized quantity format: '8GB'",
            ),
            (
                r#"{"disk": "1Gi"}"#,
                "TypeError",
                "unrecognized resources dict keys: {'disk'}",
            ),
            (
                r#"{"cpu": "1.5e3m"}"#,
                "ValueError",
                "scientific notation with suffix is not allowed: '1.5e3m'",
            ),
            (
                r#""2""#,
                "TypeError",
                "resources must be ResourceOptions, dict, or None, got str",
            ),
        ];
        for (source, exception, message) in cases {
            assert_eq!(
                refusal(source),
                (exception.to_owned(), message.to_owned()),
                "{source}"
            );
        }
    }

    #[test]
    fn quantities_the_sdk_accepts() {
        for quantity in ["2", "0.5", "500m", "1_000", "4Gi", "2G", "1e3", ".5", "3."] {
            assert!(
                matches!(
                    verdict(&format!(r#"{{"cpu": "{quantity}"}}"#)),
                    Verdict::Valid(_)
                ),
                "{quantity}"
            );
        }
    }

    #[test]
    fn values_computed_at_run_time_are_unknown() {
        assert_eq!(verdict(r#"{"cpu": str(2)}"#), Verdict::Unknown);
        assert_eq!(verdict("load()"), Verdict::Unknown);
    }
}
