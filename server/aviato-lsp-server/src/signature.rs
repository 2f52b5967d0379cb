//! A sandbox function's parameters as a caller sees them: kinds, annotations and
//! defaults, whether a call must pass anything, and an example argument list that
//! fits the annotations. Read from the header the analysis located
//! ([`aviato_analysis::SandboxFunctionFacts::signature_range`]).

use aviato_analysis::{CallSite, CallSiteKind, SandboxFunctionFacts, Serialization};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ParameterKind {
    /// Before `/`.
    PositionalOnly,
    PositionalOrKeyword,
    /// `*args`.
    VarPositional,
    /// After `*` or `*args`.
    KeywordOnly,
    /// `**kwargs`.
    VarKeyword,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parameter {
    pub name: String,
    pub kind: ParameterKind,
    /// The annotation as written, e.g. `list[float]`.
    pub annotation: Option<String>,
    /// The default as written, e.g. `2`.
    pub default: Option<String>,
}

impl Parameter {
    /// Whether a call must pass this parameter.
    pub fn required(&self) -> bool {
        self.default.is_none()
            && !matches!(
                self.kind,
                ParameterKind::VarPositional | ParameterKind::VarKeyword
            )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub parameters: Vec<Parameter>,
}

impl Signature {
    /// Reads `header`: a function's name and parameters, and possibly its return
    /// annotation, as in `scale(values: list[float], factor: float) -> list[float]`.
    /// `None` when it does not parse.
    pub fn parse(header: &str) -> Option<Signature> {
        let source = format!("def {header}:\n    pass\n");
        let parsed = ruff_python_parser::parse_module(&source).ok()?;
        let Some(Stmt::FunctionDef(def)) = parsed.syntax().body.first() else {
            return None;
        };
        let text = |expr: &Expr| source[expr.range()].to_string();
        let parameters = &def.parameters;
        let mut out = Vec::new();
        let mut push = |kind, parameter: &ruff_python_ast::Parameter, default: Option<&Expr>| {
            out.push(Parameter {
                name: parameter.name.id.to_string(),
                kind,
                annotation: parameter.annotation.as_deref().map(text),
                default: default.map(text),
            });
        };
        for parameter in &parameters.posonlyargs {
            push(
                ParameterKind::PositionalOnly,
                &parameter.parameter,
                parameter.default.as_deref(),
            );
        }
        for parameter in &parameters.args {
            push(
                ParameterKind::PositionalOrKeyword,
                &parameter.parameter,
                parameter.default.as_deref(),
            );
        }
        if let Some(parameter) = &parameters.vararg {
            push(ParameterKind::VarPositional, parameter, None);
        }
        for parameter in &parameters.kwonlyargs {
            push(
                ParameterKind::KeywordOnly,
                &parameter.parameter,
                parameter.default.as_deref(),
            );
        }
        if let Some(parameter) = &parameters.kwarg {
            push(ParameterKind::VarKeyword, parameter, None);
        }
        Some(Signature {
            name: def.name.id.to_string(),
            parameters: out,
        })
    }

    /// Whether a call must pass at least one argument.
    pub fn needs_arguments(&self) -> bool {
        self.parameters.iter().any(Parameter::required)
    }

    /// `scale(values: list[float], factor: float = 2.0)`, on one line, comments
    /// and the return annotation left out.
    pub fn display(&self) -> String {
        let mut parts = Vec::new();
        let mut star_written = false;
        for (index, parameter) in self.parameters.iter().enumerate() {
            let mut part = String::new();
            match parameter.kind {
                ParameterKind::VarPositional => {
                    part.push('*');
                    star_written = true;
                }
                ParameterKind::VarKeyword => part.push_str("**"),
                ParameterKind::KeywordOnly if !star_written => {
                    parts.push("*".to_string());
                    star_written = true;
                }
                _ => {}
            }
            part.push_str(&parameter.name);
            if let Some(annotation) = &parameter.annotation {
                part.push_str(": ");
                part.push_str(annotation);
            }
            if let Some(default) = &parameter.default {
                part.push_str(if parameter.annotation.is_some() {
                    " = "
                } else {
                    "="
                });
                part.push_str(default);
            }
            parts.push(part);
            let next_kind = self.parameters.get(index + 1).map(|next| next.kind);
            if parameter.kind == ParameterKind::PositionalOnly
                && next_kind != Some(ParameterKind::PositionalOnly)
            {
                parts.push("/".to_string());
            }
        }
        format!("{}({})", self.name, parts.join(", "))
    }

    /// An argument list for the required parameters, in Python call syntax, each
    /// value fitting its annotation: `[1.0], 2.0` for `(values: list[float],
    /// factor: float)`. Keyword-only ones are passed by name.
    pub fn example_arguments(&self) -> String {
        self.parameters
            .iter()
            .filter(|parameter| parameter.required())
            .map(|parameter| {
                let value = parameter
                    .annotation
                    .as_deref()
                    .map_or_else(|| "1".to_string(), example_value);
                if parameter.kind == ParameterKind::KeywordOnly {
                    format!("{}={value}", parameter.name)
                } else {
                    value
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a run can take its arguments from `site`: they are static, and the
/// call gives the SDK's client a value (a cwsandbox `RemoteFunction` called
/// directly does not).
pub fn usable_call_site(function: &SandboxFunctionFacts, site: &CallSite) -> bool {
    site.arguments.is_ok()
        && !(site.kind == CallSiteKind::Direct
            && function.serialization == Serialization::StrictJson)
}

/// A literal of the type an annotation names; `1` when the annotation says
/// nothing usable.
pub fn example_value(annotation: &str) -> String {
    let Ok(parsed) = ruff_python_parser::parse_expression(annotation.trim()) else {
        return "1".to_string();
    };
    example_of(parsed.expr(), annotation.trim(), 0)
}

fn example_of(expr: &Expr, source: &str, depth: usize) -> String {
    if depth > 4 {
        return "1".to_string();
    }
    let nested = |expr: &Expr| example_of(expr, source, depth + 1);
    match expr {
        // A quoted annotation: the type inside the string.
        Expr::StringLiteral(literal) => example_value(literal.value.to_str()),
        Expr::NoneLiteral(_) => "None".to_string(),
        Expr::Name(name) => simple(name.id.as_str()).to_string(),
        Expr::Attribute(attribute) => simple(attribute.attr.id.as_str()).to_string(),
        // `int | None`: the first alternative that is not None.
        Expr::BinOp(binop) => match binop.left.as_ref() {
            Expr::NoneLiteral(_) => nested(&binop.right),
            left => nested(left),
        },
        Expr::Subscript(subscript) => {
            let base = match subscript.value.as_ref() {
                Expr::Name(name) => name.id.as_str(),
                Expr::Attribute(attribute) => attribute.attr.id.as_str(),
                _ => return "1".to_string(),
            };
            let items: Vec<&Expr> = match subscript.slice.as_ref() {
                Expr::Tuple(tuple) => tuple.elts.iter().collect(),
                slice => vec![slice],
            };
            match base.to_ascii_lowercase().as_str() {
                "list" | "sequence" | "iterable" | "collection" | "mutablesequence" => {
                    format!(
                        "[{}]",
                        items.first().map_or("1".to_string(), |item| nested(item))
                    )
                }
                "set" | "frozenset" | "abstractset" | "mutableset" => {
                    format!(
                        "{{{}}}",
                        items.first().map_or("1".to_string(), |item| nested(item))
                    )
                }
                "dict" | "mapping" | "mutablemapping" => {
                    let key = items
                        .first()
                        .map_or("\"key\"".to_string(), |item| nested(item));
                    let value = items.get(1).map_or("1".to_string(), |item| nested(item));
                    format!("{{{key}: {value}}}")
                }
                "tuple" => {
                    let values: Vec<String> = items
                        .iter()
                        .filter(|item| !matches!(item, Expr::EllipsisLiteral(_)))
                        .map(|item| nested(item))
                        .collect();
                    match values.as_slice() {
                        [] => "()".to_string(),
                        [one] => format!("({one},)"),
                        _ => format!("({})", values.join(", ")),
                    }
                }
                "optional" => items
                    .first()
                    .map_or("None".to_string(), |item| nested(item)),
                "union" => items
                    .iter()
                    .find(|item| !matches!(item, Expr::NoneLiteral(_)))
                    .map_or("None".to_string(), |item| nested(item)),
                "literal" => items
                    .first()
                    .map_or("None".to_string(), |item| source[item.range()].to_string()),
                "annotated" => items.first().map_or("1".to_string(), |item| nested(item)),
                _ => "1".to_string(),
            }
        }
        _ => "1".to_string(),
    }
}

fn simple(name: &str) -> &'static str {
    match name {
        "int" => "1",
        "float" => "1.0",
        "complex" => "1j",
        "str" => "\"text\"",
        "bytes" | "bytearray" => "b\"data\"",
        "bool" => "True",
        "list" | "List" | "Sequence" | "Iterable" => "[1, 2]",
        "dict" | "Dict" | "Mapping" => "{\"key\": 1}",
        "tuple" | "Tuple" => "(1, 2)",
        "set" | "Set" => "{1, 2}",
        "None" => "None",
        _ => "1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(header: &str) -> Signature {
        Signature::parse(header).unwrap()
    }

    #[test]
    fn kinds_annotations_and_defaults() {
        let parsed = signature("f(a, /, b: int = 2, *rest, c, d: str = 'x', **kw) -> int");
        let kinds: Vec<_> = parsed.parameters.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ParameterKind::PositionalOnly,
                ParameterKind::PositionalOrKeyword,
                ParameterKind::VarPositional,
                ParameterKind::KeywordOnly,
                ParameterKind::KeywordOnly,
                ParameterKind::VarKeyword,
            ]
        );
        assert_eq!(parsed.parameters[1].annotation.as_deref(), Some("int"));
        assert_eq!(parsed.parameters[1].default.as_deref(), Some("2"));
        assert_eq!(
            parsed.display(),
            "f(a, /, b: int = 2, *rest, c, d: str = 'x', **kw)"
        );
        assert!(parsed.needs_arguments());
        assert_eq!(parsed.example_arguments(), "1, c=1");
    }

    #[test]
    fn multi_line_headers_with_comments() {
        let parsed =
            signature("scale(\n    values: list[float],  # the data\n    factor: float,\n)");
        assert_eq!(
            parsed.display(),
            "scale(values: list[float], factor: float)"
        );
        assert_eq!(parsed.example_arguments(), "[1.0], 1.0");
    }

    #[test]
    fn nothing_needed() {
        assert!(!signature("f()").needs_arguments());
        assert!(!signature("f(x=1, *args, **kwargs)").needs_arguments());
        assert!(!signature("f(*, verbose=False)").needs_arguments());
        assert_eq!(
            signature("f(*, verbose=False)").display(),
            "f(*, verbose=False)"
        );
    }

    #[test]
    fn examples_fit_the_annotations() {
        for (annotation, example) in [
            ("int", "1"),
            ("str", "\"text\""),
            ("dict[str, list[int]]", "{\"text\": [1]}"),
            ("tuple[int, str]", "(1, \"text\")"),
            ("tuple[float, ...]", "(1.0,)"),
            ("Optional[int]", "1"),
            ("int | None", "1"),
            ("None | str", "\"text\""),
            ("typing.List[bool]", "[True]"),
            ("'float'", "1.0"),
            ("Literal['a', 'b']", "'a'"),
            ("MyClass", "1"),
        ] {
            assert_eq!(example_value(annotation), example, "{annotation}");
        }
    }

    #[test]
    fn broken_header() {
        assert!(Signature::parse("f(").is_none());
    }
}
