//! Static evaluation: turns an expression the file fixes at write time into a
//! self-contained Python expression (literals, containers, arithmetic, other
//! constants by value, stdlib constructors), or says why it cannot.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextSize};

use crate::sandbox::Finder;
use crate::semantic::{BindingKind, Resolution, ScopeId, SemanticModel};

/// Stdlib constructors and constants a literal may use, by qualified name.
const STATIC_CALLS: &[&str] = &[
    "builtins.set",
    "builtins.frozenset",
    "builtins.tuple",
    "builtins.list",
    "builtins.dict",
    "builtins.float",
    "builtins.int",
    "builtins.str",
    "builtins.bytes",
    "builtins.bool",
    "builtins.complex",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "pathlib.Path",
    "pathlib.PurePath",
    "pathlib.PosixPath",
    "pathlib.PurePosixPath",
    "uuid.UUID",
    "collections.OrderedDict",
    "collections.Counter",
    "collections.deque",
];

const STATIC_CONSTANTS: &[&str] = &[
    "math.pi",
    "math.e",
    "math.tau",
    "math.inf",
    "math.nan",
    "datetime.timezone.utc",
    "sys.maxsize",
];

const MAX_DEPTH: u8 = 16;

pub(crate) struct Emitter<'m, 'a> {
    pub(crate) model: &'m SemanticModel<'a>,
    pub(crate) source: &'a str,
    /// JSON mode: instances of the file's dataclasses and enums are sent as what
    /// pydantic turns them into (a dict, the member's value).
    pub(crate) json: bool,
}

impl<'a> Emitter<'_, 'a> {
    /// The Python source of `expr`'s value, evaluated in `scope` at `offset`.
    pub(crate) fn emit(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
    ) -> Result<String, String> {
        self.emit_at_depth(expr, scope, offset, 0)
    }

    fn emit_at_depth(
        &self,
        expr: &'a Expr,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> Result<String, String> {
        if depth > MAX_DEPTH {
            return Err("its definition is too deeply nested".into());
        }
        let emit = |expr: &'a Expr| self.emit_at_depth(expr, scope, offset, depth + 1);
        let emit_all = |elements: &'a [Expr]| -> Result<Vec<String>, String> {
            elements
                .iter()
                .map(|element| match element {
                    Expr::Starred(_) => Err("it unpacks another value with `*`".to_string()),
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
            Expr::FString(fstring) => {
                let has_substitution = fstring
                    .value
                    .elements()
                    .any(|element| element.is_interpolation());
                if has_substitution {
                    return Err("it is an f-string with substitutions".into());
                }
                format!("({})", &self.source[expr.range()])
            }
            Expr::List(list) => format!("[{}]", emit_all(&list.elts)?.join(", ")),
            Expr::Tuple(tuple) => match emit_all(&tuple.elts)?.as_slice() {
                [single] => format!("({single},)"),
                elements => format!("({})", elements.join(", ")),
            },
            Expr::Set(set) => format!("{{{}}}", emit_all(&set.elts)?.join(", ")),
            Expr::Dict(dict) => {
                let mut items = Vec::new();
                for item in &dict.items {
                    let Some(key) = &item.key else {
                        return Err("it unpacks another dict with `**`".into());
                    };
                    items.push(format!("{}: {}", emit(key)?, emit(&item.value)?));
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
            Expr::Name(name) => self.emit_name(name.id.as_str(), scope, offset, depth)?,
            Expr::Attribute(attribute)
                if self.json && self.script_enum(&attribute.value, scope).is_some() =>
            {
                let class = self
                    .script_enum(&attribute.value, scope)
                    .expect("checked by the guard");
                let member = attribute.attr.id.as_str();
                let value = class_assignment(class, member).ok_or_else(|| {
                    format!("`{member}` has no literal value in `{}`", class.name.id)
                })?;
                self.emit_at_depth(
                    value,
                    crate::semantic::MODULE_SCOPE,
                    TextSize::from(u32::MAX),
                    depth + 1,
                )?
            }
            Expr::Attribute(_) => {
                let qualified = self.qualified_name(expr, scope);
                match qualified {
                    Some(name) if STATIC_CONSTANTS.contains(&name.as_str()) => {
                        import_reference(&name)
                    }
                    _ => {
                        return Err(format!(
                            "`{}` is not a constant the analysis knows",
                            &self.source[expr.range()]
                        ));
                    }
                }
            }
            Expr::Call(call) if self.json && self.script_dataclass(&call.func, scope).is_some() => {
                let class = self
                    .script_dataclass(&call.func, scope)
                    .expect("checked by the guard");
                self.emit_dataclass_as_dict(class, call, scope, offset, depth)?
            }
            Expr::Call(call) => {
                let callee = &self.source[call.func.range()];
                let qualified = self.qualified_name(&call.func, scope);
                let Some(qualified) =
                    qualified.filter(|name| STATIC_CALLS.contains(&name.as_str()))
                else {
                    return Err(format!("it is computed by calling `{callee}`"));
                };
                let mut arguments = emit_all(&call.arguments.args)?;
                for keyword in &call.arguments.keywords {
                    let Some(name) = &keyword.arg else {
                        return Err("it unpacks keyword arguments with `**`".into());
                    };
                    arguments.push(format!("{}={}", name.id, emit(&keyword.value)?));
                }
                format!("{}({})", import_reference(&qualified), arguments.join(", "))
            }
            Expr::Lambda(_) => return Err("it is a lambda".into()),
            Expr::Generator(_) => return Err("it is a generator".into()),
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) => {
                return Err("it is a comprehension".into());
            }
            Expr::Await(_) => return Err("it is awaited at run time".into()),
            _ => {
                return Err(format!(
                    "`{}` is computed at run time",
                    &self.source[expr.range()]
                ));
            }
        })
    }

    fn emit_name(
        &self,
        name: &str,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> Result<String, String> {
        let found = match self.model.resolve(scope, name) {
            Resolution::Scope(found) => found,
            Resolution::Builtin => return Err(format!("`{name}` is a builtin")),
            Resolution::Unbound => return Err(format!("`{name}` is not defined")),
        };
        // Read from an inner scope, the enclosing scope's last binding is current.
        let offset = if found == scope {
            offset
        } else {
            TextSize::from(u32::MAX)
        };
        let Some(binding) = self.model.binding_at(found, name, offset) else {
            return Err(format!("`{name}` has no value"));
        };
        match binding.kind {
            BindingKind::Assignment(value) => self
                .emit_at_depth(value, found, binding.range.start(), depth + 1)
                .map_err(|reason| format!("`{name}` cannot be evaluated statically: {reason}")),
            BindingKind::FromImport { module, member } if !module.is_empty() => {
                Ok(import_reference(&format!("{module}.{member}")))
            }
            BindingKind::Import { .. } => Err(format!("`{name}` is a module")),
            BindingKind::Function(_) => Err(format!("`{name}` is a function")),
            BindingKind::Class(_) => Err(format!("`{name}` is a class defined in this file")),
            BindingKind::Parameter | BindingKind::Receiver { .. } => {
                Err(format!("`{name}` is a parameter, known only at run time"))
            }
            BindingKind::WithItem(_)
            | BindingKind::LoopItem { .. }
            | BindingKind::FromImport { .. }
            | BindingKind::Unknown => Err(format!("`{name}` is bound at run time")),
        }
    }

    fn script_class(&self, expr: &Expr, scope: ScopeId) -> Option<&'a ast::StmtClassDef> {
        crate::value::Values { model: self.model }.script_class(expr, scope)
    }

    fn script_enum(&self, expr: &Expr, scope: ScopeId) -> Option<&'a ast::StmtClassDef> {
        self.script_class(expr, scope)
            .filter(|class| crate::value::is_enum_class(class))
    }

    fn script_dataclass(&self, expr: &Expr, scope: ScopeId) -> Option<&'a ast::StmtClassDef> {
        self.script_class(expr, scope)
            .filter(|class| crate::value::is_dataclass(class))
    }

    /// `Point(1, y=2)` as pydantic sends a dataclass in JSON mode: `{"x": 1, "y": 2}`.
    fn emit_dataclass_as_dict(
        &self,
        class: &'a ast::StmtClassDef,
        call: &'a ast::ExprCall,
        scope: ScopeId,
        offset: TextSize,
        depth: u8,
    ) -> Result<String, String> {
        let fields: Vec<(&str, Option<&'a Expr>)> = class
            .body
            .iter()
            .filter_map(|statement| match statement {
                ast::Stmt::AnnAssign(field) => match field.target.as_ref() {
                    Expr::Name(name) => Some((name.id.as_str(), field.value.as_deref())),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if call.arguments.args.len() > fields.len() {
            return Err(format!("`{}` takes {} fields", class.name.id, fields.len()));
        }
        let mut items = Vec::new();
        for (index, (field, default)) in fields.iter().enumerate() {
            let keyword = call
                .arguments
                .find_keyword(field)
                .map(|keyword| &keyword.value);
            let (value, value_scope) = match (call.arguments.args.get(index), keyword, default) {
                (Some(value), _, _) | (None, Some(value), _) => (value, scope),
                (None, None, Some(default)) => (*default, crate::semantic::MODULE_SCOPE),
                (None, None, None) => {
                    return Err(format!("`{field}` of `{}` is not given", class.name.id));
                }
            };
            let value = self.emit_at_depth(value, value_scope, offset, depth + 1)?;
            items.push(format!("{field:?}: {value}"));
        }
        Ok(format!("{{{}}}", items.join(", ")))
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
}

/// The qualified name as literal source: the sandbox's runner resolves stdlib
/// module names (`datetime.datetime`, `math.sqrt`); builtins go by their own name.
fn import_reference(qualified: &str) -> String {
    qualified
        .strip_prefix("builtins.")
        .unwrap_or(qualified)
        .to_string()
}

/// The value assigned to `name` in a class body (an enum member's value).
fn class_assignment<'a>(class: &'a ast::StmtClassDef, name: &str) -> Option<&'a Expr> {
    class.body.iter().find_map(|statement| match statement {
        ast::Stmt::Assign(assign) => match assign.targets.as_slice() {
            [Expr::Name(target)] if target.id.as_str() == name => Some(assign.value.as_ref()),
            _ => None,
        },
        _ => None,
    })
}
