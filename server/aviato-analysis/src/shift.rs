//! Moves every offset of a syntax tree by the same amount: the statements after an
//! edit keep their nodes when the edit only changed how far into the file they are.
//! Every node with a range is reached, identifiers included; `tests` compare a
//! shifted tree with the parse of the shifted text on the whole test corpus.

use ruff_python_ast::visitor::transformer::{self, Transformer};
use ruff_python_ast::{self as ast, Expr, Identifier, Pattern, Stmt, TypeParam};
use ruff_text_size::{TextRange, TextSize};

/// Moves the ranges of `body` by `delta` bytes.
pub(crate) fn shift_body(body: &mut [Stmt], delta: i64) {
    if delta != 0 {
        Shift { delta }.visit_body(body);
    }
}

struct Shift {
    delta: i64,
}

impl Shift {
    fn offset(&self, offset: TextSize) -> TextSize {
        let moved = i64::from(u32::from(offset)) + self.delta;
        TextSize::new(u32::try_from(moved).expect("a shifted offset stays in the file"))
    }

    fn range(&self, range: &mut TextRange) {
        *range = TextRange::new(self.offset(range.start()), self.offset(range.end()));
    }

    fn identifier(&self, identifier: &mut Identifier) {
        self.range(&mut identifier.range);
    }

    fn optional_identifier(&self, identifier: &mut Option<Identifier>) {
        if let Some(identifier) = identifier {
            self.identifier(identifier);
        }
    }
}

/// Shifts the `range` field of each variant's node.
macro_rules! shift_node_range {
    ($shift:expr, $node:expr, $enum:ident, [$($variant:ident),* $(,)?] $(, $other:pat => $arm:expr)?) => {
        match $node {
            $($enum::$variant(node) => $shift.range(&mut node.range),)*
            $($other => $arm,)?
        }
    };
}

impl Transformer for Shift {
    fn visit_stmt(&self, stmt: &mut Stmt) {
        shift_node_range!(
            self,
            stmt,
            Stmt,
            [
                FunctionDef,
                ClassDef,
                Return,
                Delete,
                TypeAlias,
                Assign,
                AugAssign,
                AnnAssign,
                For,
                While,
                If,
                With,
                Match,
                Raise,
                Try,
                Assert,
                Import,
                ImportFrom,
                Global,
                Nonlocal,
                Expr,
                Pass,
                Break,
                Continue,
                IpyEscapeCommand,
            ]
        );
        match stmt {
            Stmt::FunctionDef(def) => self.identifier(&mut def.name),
            Stmt::ClassDef(class) => self.identifier(&mut class.name),
            Stmt::ImportFrom(import) => self.optional_identifier(&mut import.module),
            Stmt::Global(ast::StmtGlobal { names, .. })
            | Stmt::Nonlocal(ast::StmtNonlocal { names, .. }) => {
                names.iter_mut().for_each(|name| self.identifier(name));
            }
            _ => {}
        }
        transformer::walk_stmt(self, stmt);
    }

    fn visit_expr(&self, expr: &mut Expr) {
        shift_node_range!(
            self,
            expr,
            Expr,
            [
                    BoolOp,
                    Named,
                    BinOp,
                    UnaryOp,
                    Lambda,
                    If,
                    Dict,
                    Set,
                    ListComp,
                    SetComp,
                    DictComp,
                    Generator,
                    Await,
                    Yield,
                    YieldFrom,
                    Compare,
                    FString,
                    TString,
                    StringLiteral,
                    BytesLiteral,
                    NumberLiteral,
                    BooleanLiteral,
                    NoneLiteral,
                    EllipsisLiteral,
                    Attribute,
                    Subscript,
                    Starred,
                    Name,
                    List,
                    Tuple,
                    Slice,
                    IpyEscapeCommand,
            ],
            Expr::Call(call) => call.range_start = self.offset(call.range_start)
        );
        if let Expr::Attribute(attribute) = expr {
            self.identifier(&mut attribute.attr);
        }
        transformer::walk_expr(self, expr);
    }

    fn visit_decorator(&self, decorator: &mut ast::Decorator) {
        self.range(&mut decorator.range);
        transformer::walk_decorator(self, decorator);
    }

    fn visit_comprehension(&self, comprehension: &mut ast::Comprehension) {
        self.range(&mut comprehension.range);
        transformer::walk_comprehension(self, comprehension);
    }

    fn visit_except_handler(&self, handler: &mut ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(handler_node) = handler;
        self.range(&mut handler_node.range);
        self.optional_identifier(&mut handler_node.name);
        transformer::walk_except_handler(self, handler);
    }

    fn visit_arguments(&self, arguments: &mut ast::Arguments) {
        self.range(&mut arguments.range);
        transformer::walk_arguments(self, arguments);
    }

    fn visit_parameters(&self, parameters: &mut ast::Parameters) {
        self.range(&mut parameters.range);
        for with_default in parameters
            .posonlyargs
            .iter_mut()
            .chain(&mut parameters.args)
            .chain(&mut parameters.kwonlyargs)
        {
            self.range(&mut with_default.range);
        }
        transformer::walk_parameters(self, parameters);
    }

    fn visit_parameter(&self, parameter: &mut ast::Parameter) {
        self.range(&mut parameter.range);
        self.identifier(&mut parameter.name);
        transformer::walk_parameter(self, parameter);
    }

    fn visit_keyword(&self, keyword: &mut ast::Keyword) {
        self.range(&mut keyword.range);
        self.optional_identifier(&mut keyword.arg);
        transformer::walk_keyword(self, keyword);
    }

    fn visit_alias(&self, alias: &mut ast::Alias) {
        self.range(&mut alias.range);
        self.identifier(&mut alias.name);
        self.optional_identifier(&mut alias.asname);
    }

    fn visit_with_item(&self, with_item: &mut ast::WithItem) {
        self.range(&mut with_item.range);
        transformer::walk_with_item(self, with_item);
    }

    fn visit_type_params(&self, type_params: &mut ast::TypeParams) {
        self.range(&mut type_params.range);
        transformer::walk_type_params(self, type_params);
    }

    fn visit_type_param(&self, type_param: &mut TypeParam) {
        let (range, name) = match type_param {
            TypeParam::TypeVar(node) => (&mut node.range, &mut node.name),
            TypeParam::TypeVarTuple(node) => (&mut node.range, &mut node.name),
            TypeParam::ParamSpec(node) => (&mut node.range, &mut node.name),
        };
        self.range(range);
        self.identifier(name);
        transformer::walk_type_param(self, type_param);
    }

    fn visit_match_case(&self, match_case: &mut ast::MatchCase) {
        self.range(&mut match_case.range);
        transformer::walk_match_case(self, match_case);
    }

    fn visit_pattern(&self, pattern: &mut Pattern) {
        shift_node_range!(
            self,
            pattern,
            Pattern,
            [
                MatchValue,
                MatchSingleton,
                MatchSequence,
                MatchMapping,
                MatchClass,
                MatchStar,
                MatchAs,
                MatchOr,
            ]
        );
        match pattern {
            Pattern::MatchMapping(mapping) => self.optional_identifier(&mut mapping.rest),
            Pattern::MatchStar(star) => self.optional_identifier(&mut star.name),
            Pattern::MatchAs(capture) => self.optional_identifier(&mut capture.name),
            _ => {}
        }
        transformer::walk_pattern(self, pattern);
    }

    fn visit_pattern_arguments(&self, arguments: &mut ast::PatternArguments) {
        self.range(&mut arguments.range);
        transformer::walk_pattern_arguments(self, arguments);
    }

    fn visit_pattern_keyword(&self, keyword: &mut ast::PatternKeyword) {
        self.range(&mut keyword.range);
        self.identifier(&mut keyword.attr);
        transformer::walk_pattern_keyword(self, keyword);
    }

    fn visit_elif_else_clause(&self, clause: &mut ast::ElifElseClause) {
        self.range(&mut clause.range);
        transformer::walk_elif_else_clause(self, clause);
    }

    fn visit_f_string(&self, f_string: &mut ast::FString) {
        self.range(&mut f_string.range);
        transformer::walk_f_string(self, f_string);
    }

    fn visit_t_string(&self, t_string: &mut ast::TString) {
        self.range(&mut t_string.range);
        transformer::walk_t_string(self, t_string);
    }

    fn visit_interpolated_string_element(&self, element: &mut ast::InterpolatedStringElement) {
        match element {
            ast::InterpolatedStringElement::Interpolation(interpolation) => {
                self.range(&mut interpolation.range);
                if let Some(format_spec) = &mut interpolation.format_spec {
                    self.range(&mut format_spec.range);
                }
            }
            ast::InterpolatedStringElement::Literal(literal) => self.range(&mut literal.range),
        }
        transformer::walk_interpolated_string_element(self, element);
    }

    fn visit_string_literal(&self, literal: &mut ast::StringLiteral) {
        self.range(&mut literal.range);
    }

    fn visit_bytes_literal(&self, literal: &mut ast::BytesLiteral) {
        self.range(&mut literal.range);
    }
}
