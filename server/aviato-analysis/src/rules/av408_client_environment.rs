use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprContext};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::diagnostic::Severity;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;

/// Variables a `python` image sets by itself.
const IMAGE_VARIABLES: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "HOSTNAME",
    "PWD",
    "GPG_KEY",
    "PYTHON_VERSION",
    "PYTHON_SHA256",
];

/// AV408: the body reads an environment variable of the client's machine; the
/// sandbox has its own environment, holding only what `environment_variables=` gives.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let Some(given) = given_variables(checker, function) else {
        return;
    };
    let mut reads = Reads::default();
    reads.visit_body(&function.def.body);
    for read in reads.found {
        if IMAGE_VARIABLES.contains(&read.name) || given.contains(&read.name) {
            continue;
        }
        let name = read.name;
        let (consequence, severity) = if read.subscript {
            ("raises `KeyError` there", Severity::Error)
        } else {
            ("gives `None` (or the default) there", Severity::Warning)
        };
        let diagnostic = checker.report(
            Rule::ClientEnvironment,
            read.range,
            format!(
                "`{name}` is read from the environment, but the sandbox does not inherit the client's: it {consequence}; pass it with `environment_variables={{\"{name}\": ...}}` or as an argument"
            ),
        );
        diagnostic.severity = severity;
    }
}

/// The variables the function's sandbox gets: its decorator's
/// `environment_variables=`, and any given to a session (`SandboxDefaults(...)`).
/// `None` when one of them is not a literal dict (then any name may be set).
fn given_variables<'a>(
    checker: &Checker<'_, 'a>,
    function: &SandboxFunction<'a>,
) -> Option<Vec<&'a str>> {
    let mut given = Vec::new();
    if checker.environment_keywords().is_empty() {
        return Some(given);
    }
    let other_decorators: Vec<TextRange> = checker
        .functions
        .iter()
        .filter(|other| !std::ptr::eq(other.def, function.def))
        .map(|other| other.decorator.range())
        .collect();
    let values = checker.environment_keywords().iter().filter(|value| {
        !other_decorators
            .iter()
            .any(|range| range.contains_range(value.range()))
    });
    for &value in values {
        let Expr::Dict(dict) = value else {
            return None;
        };
        for item in &dict.items {
            match &item.key {
                Some(Expr::StringLiteral(key)) => given.push(key.value.to_str()),
                _ => return None,
            }
        }
    }
    Some(given)
}

struct Read<'a> {
    name: &'a str,
    range: TextRange,
    /// `os.environ["X"]`, which raises for a missing name.
    subscript: bool,
}

#[derive(Default)]
struct Reads<'a> {
    found: Vec<Read<'a>>,
}

/// `os.environ`, or `environ` imported from `os`.
fn is_environ(expr: &Expr) -> bool {
    match expr {
        Expr::Attribute(attribute) => {
            attribute.attr.id.as_str() == "environ"
                && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == "os")
        }
        Expr::Name(name) => name.id.as_str() == "environ",
        _ => false,
    }
}

/// `os.getenv`, or `getenv` imported from `os`.
fn is_getenv(expr: &Expr) -> bool {
    match expr {
        Expr::Attribute(attribute) => {
            attribute.attr.id.as_str() == "getenv"
                && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == "os")
        }
        Expr::Name(name) => name.id.as_str() == "getenv",
        _ => false,
    }
}

impl<'a> Visitor<'a> for Reads<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Subscript(subscript)
                if subscript.ctx == ExprContext::Load && is_environ(&subscript.value) =>
            {
                if let Expr::StringLiteral(name) = subscript.slice.as_ref() {
                    self.found.push(Read {
                        name: name.value.to_str(),
                        range: subscript.range(),
                        subscript: true,
                    });
                }
            }
            Expr::Call(call) => {
                let getter = match call.func.as_ref() {
                    Expr::Attribute(method) => {
                        method.attr.id.as_str() == "get" && is_environ(&method.value)
                    }
                    func => is_getenv(func),
                };
                if getter
                    && call.arguments.args.len() == 1
                    && let Some(Expr::StringLiteral(name)) = call.arguments.args.first()
                {
                    self.found.push(Read {
                        name: name.value.to_str(),
                        range: call.range(),
                        subscript: false,
                    });
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}
