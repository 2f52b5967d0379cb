//! The parse of a text, and parsing a new revision of a text again only where it
//! changed.
//!
//! While the user types, an edit usually stays inside one top-level statement (a
//! function, a class, a `with` block). [`Reparser`] keeps the last text that parsed
//! without errors; when the next text differs from it only inside one top-level
//! statement and that statement, parsed alone, is again exactly one statement
//! without errors, the new tree is the old one with that statement replaced and
//! the ones after it moved ([`crate::shift`]). The full parse of the new text would
//! give the same tree and tokens: before the statement the lexer is at the start
//! of a logical line outside any bracket (the old text parsed without errors), and
//! the text after it begins where a token ended before. Anything else is parsed
//! whole.

use std::ops::Deref;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::{
    ParseError, ParseOptions, UnsupportedSyntaxError, parse_cells_unchecked, parse_unchecked,
};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::TARGET_VERSION;

/// A module's syntax tree, what `# noqa` needs of its tokens, and its syntax errors.
#[derive(Debug)]
pub(crate) struct Syntax {
    module: ModModule,
    trivia: Trivia,
    errors: Vec<ParseError>,
    unsupported_syntax_errors: Vec<UnsupportedSyntaxError>,
}

/// The comments, and the tokens that span lines (strings, f-string parts), in
/// source order.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Trivia {
    pub(crate) comments: Vec<TextRange>,
    pub(crate) multiline: Vec<TextRange>,
}

impl Trivia {
    /// The trivia of `tokens`, lexed from `source`, that start before `end`.
    fn extend(&mut self, tokens: &Tokens, source: &str, end: TextSize) {
        for token in tokens.iter().take_while(|token| token.start() < end) {
            match token.kind() {
                TokenKind::Comment => self.comments.push(token.range()),
                TokenKind::Newline | TokenKind::NonLogicalNewline => {}
                _ if source[token.range()].contains(['\n', '\r']) => {
                    self.multiline.push(token.range());
                }
                _ => {}
            }
        }
    }

    /// This trivia with `replaced` (which holds `change`) replaced by `new`'s.
    fn spliced(&self, replaced: TextRange, change: &Change, new: Trivia) -> Trivia {
        let splice = |old: &[TextRange], new: Vec<TextRange>| {
            let before = old.partition_point(|range| range.end() <= replaced.start());
            let after = old.partition_point(|range| range.start() < replaced.end());
            let mut ranges = Vec::with_capacity(before + new.len() + old.len() - after);
            ranges.extend_from_slice(&old[..before]);
            ranges.extend(new);
            ranges.extend(old[after..].iter().map(|range| {
                TextRange::new(change.moved(range.start()), change.moved(range.end()))
            }));
            ranges
        };
        Trivia {
            comments: splice(&self.comments, new.comments),
            multiline: splice(&self.multiline, new.multiline),
        }
    }
}

impl Syntax {
    pub(crate) fn module(&self) -> &ModModule {
        &self.module
    }

    pub(crate) fn trivia(&self) -> &Trivia {
        &self.trivia
    }

    pub(crate) fn errors(&self) -> &[ParseError] {
        &self.errors
    }

    pub(crate) fn unsupported_syntax_errors(&self) -> &[UnsupportedSyntaxError] {
        &self.unsupported_syntax_errors
    }

    fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.unsupported_syntax_errors.is_empty()
    }
}

fn options() -> ParseOptions {
    ParseOptions::from(PySourceType::Python).with_target_version(TARGET_VERSION)
}

/// Parses a module with error recovery: always a tree, plus the syntax errors.
pub(crate) fn parse(source: &str) -> Syntax {
    let parsed = parse_unchecked(source, options())
        .try_into_module()
        .expect("a module parse yields a module");
    let mut trivia = Trivia::default();
    trivia.extend(parsed.tokens(), source, TextSize::of(source));
    Syntax {
        trivia,
        errors: parsed.errors().to_vec(),
        unsupported_syntax_errors: parsed.unsupported_syntax_errors().to_vec(),
        module: parsed.into_syntax(),
    }
}

/// Parses the revisions of one document, each reusing the last parse without
/// errors where the text did not change.
#[derive(Debug, Default)]
pub struct Reparser {
    /// The last text that parsed without errors, and its parse.
    base: Option<(String, Syntax)>,
    /// The rules' results of the last revision analysed, by sandbox function.
    pub(crate) rules: crate::reuse::KeptRules,
}

/// A parse: the reparser's own, or one of a text with errors.
pub(crate) enum Parse<'a> {
    Kept(&'a Syntax),
    Owned(Syntax),
}

impl Deref for Parse<'_> {
    type Target = Syntax;

    fn deref(&self) -> &Syntax {
        match self {
            Parse::Kept(syntax) => syntax,
            Parse::Owned(syntax) => syntax,
        }
    }
}

impl Reparser {
    /// [`Reparser::parse`], and the rules' results kept from the last revision.
    pub(crate) fn parse_keeping_rules(
        &mut self,
        source: &str,
    ) -> (Parse<'_>, &mut crate::reuse::KeptRules) {
        let Reparser { base, rules } = self;
        (parse_with(base, source), rules)
    }

    /// The parse of `source`: the kept one moved to `source` where that is exact,
    /// else a full parse (kept for next time when it has no errors).
    #[cfg(test)]
    pub(crate) fn parse(&mut self, source: &str) -> Parse<'_> {
        parse_with(&mut self.base, source)
    }
}

/// The parse of `source`: `base` moved to `source` where that is exact, else a
/// full parse (kept in `base` when it has no errors).
fn parse_with<'b>(base: &'b mut Option<(String, Syntax)>, source: &str) -> Parse<'b> {
    let reparsed = match base {
        Some((text, syntax)) => reparse(text, syntax, source),
        None => false,
    };
    if !reparsed {
        let syntax = parse(source);
        if !syntax.is_valid() {
            return Parse::Owned(syntax);
        }
        *base = Some((source.to_string(), syntax));
    }
    let (_, syntax) = base.as_ref().expect("kept above");
    Parse::Kept(syntax)
}

/// Moves `syntax`, the parse of `old`, to `new` when the change lies inside one
/// top-level statement (see the module's documentation); `false` when it does
/// not, leaving both as they were.
fn reparse(old: &mut String, syntax: &mut Syntax, new: &str) -> bool {
    let Some(change) = Change::between(old, new) else {
        return true;
    };
    let body = &syntax.module.body;
    let index = body.partition_point(|stmt| stmt.end() < change.old.end());
    let Some(statement) = body.get(index) else {
        return false;
    };
    if statement.start() > change.old.start() {
        return false;
    }
    let replaced = statement.range();
    let slice = TextRange::new(replaced.start(), change.moved(replaced.end()));
    let parsed = parse_cells_unchecked(new, [slice], &options());
    if parsed.has_syntax_errors() || parsed.syntax().body.len() != 1 {
        return false;
    }
    let mut trivia = Trivia::default();
    trivia.extend(parsed.tokens(), new, slice.end());
    syntax.trivia = syntax.trivia.spliced(replaced, &change, trivia);
    let [statement] = <[_; 1]>::try_from(parsed.into_syntax().body).expect("checked above");
    let module = &mut syntax.module;
    module.body[index] = statement;
    crate::shift::shift_body(&mut module.body[index + 1..], change.delta());
    module.range = TextRange::up_to(TextSize::of(new));
    old.clear();
    old.push_str(new);
    true
}

/// Compared a block at a time: the texts of a large file are compared on every
/// edit.
const BLOCK: usize = 256;

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let blocks = a
        .chunks(BLOCK)
        .zip(b.chunks(BLOCK))
        .take_while(|(x, y)| x == y)
        .count();
    // Equal last blocks are as short as both texts.
    let start = (blocks * BLOCK).min(a.len()).min(b.len());
    let rest = a[start..]
        .iter()
        .zip(&b[start..])
        .take_while(|(x, y)| x == y)
        .count();
    start + rest
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let blocks = a
        .rchunks(BLOCK)
        .zip(b.rchunks(BLOCK))
        .take_while(|(x, y)| x == y)
        .count();
    let matched = (blocks * BLOCK).min(a.len()).min(b.len());
    let rest = a[..a.len() - matched]
        .iter()
        .rev()
        .zip(b[..b.len() - matched].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    matched + rest
}

/// Where two texts differ: the same bytes before `old.start()` and after
/// `old.end()` in the old text, `new_len` bytes in between in the new one.
struct Change {
    old: TextRange,
    new_len: TextSize,
}

impl Change {
    /// `None` when the texts are equal.
    fn between(old: &str, new: &str) -> Option<Change> {
        let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
        let mut prefix = common_prefix(old_bytes, new_bytes);
        if prefix == old.len() && prefix == new.len() {
            return None;
        }
        while !new.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let longest_suffix = old.len().min(new.len()) - prefix;
        let mut suffix =
            common_suffix(&old_bytes[prefix..], &new_bytes[prefix..]).min(longest_suffix);
        while !new.is_char_boundary(new.len() - suffix) || !old.is_char_boundary(old.len() - suffix)
        {
            suffix -= 1;
        }
        let at = |offset: usize| TextSize::try_from(offset).expect("a text under 4 GiB");
        Some(Change {
            old: TextRange::new(at(prefix), at(old.len() - suffix)),
            new_len: at(new.len() - suffix - prefix),
        })
    }

    fn delta(&self) -> i64 {
        i64::from(u32::from(self.new_len)) - i64::from(u32::from(self.old.len()))
    }

    /// Where an old offset at or after the change is in the new text.
    fn moved(&self, offset: TextSize) -> TextSize {
        let moved = i64::from(u32::from(offset)) + self.delta();
        TextSize::new(u32::try_from(moved).expect("an offset after the change stays in the text"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::testing::Seed;

    /// Syntax the test corpus may not hold: every node kind with a range or a name.
    const EVERY_NODE: &str = r#"
from . import sibling as s
from ..pkg.mod import (a as b, c)
import os.path, sys as system
type Alias[T: int = str, *Ts, **P] = list[T]
@decorator(x=1)
class C[T](Base, metaclass=Meta):
    attr: int = 0
    def method[U](self, /, a, b=1, *args, c, d=2, **kwargs) -> U:
        global G
        def inner():
            nonlocal a
        return lambda x, /, y=3, *z, w, **v: (x, y)
async def coroutine():
    async with open(p) as (f, g), other():
        async for i in aiter():
            await f(*i, **{'k': i})
    try:
        pass
    except* (ValueError, TypeError) as group:
        raise RuntimeError("x") from group
    else:
        yield
    finally:
        yield from range(3)
def literals():
    print(f"{x!r:>{width}.{precision}} {y=} {{}}" f'{z:%Y-%m-%d}' "plain" 'x')
    print(t"{name}!", b"bytes" b'more', 1_000, 0x1F, 1.5j, True, None, ...)
    values = [*a, *b], {**c, 'k': v}, {1, 2}, (i for i in j if i), {k: v for k, v in d.items()}
    print(x if y else z, not x, -x, x @ y, x < y <= z, a[1:2:3], a[::], (w := 1))
    del a[0], b.c
    assert x, "message"
    while x:
        break
    else:
        continue
    if a:
        pass
    elif b:
        pass
    else:
        pass
    for i, (j, k) in enumerate(pairs):
        x += i
    with a as b:
        pass
    match command.split():
        case [action, *rest] if rest:
            pass
        case {"key": value, **others}:
            pass
        case Point(x=0, y=yy) | Point(1, 2) as p:
            pass
        case None | True | -1 | 1 + 2j | "s" | a.b:
            pass
        case _:
            pass
x = 1; y = [
    1,
]  # trailing
"#;

    fn corpus() -> Vec<(PathBuf, String)> {
        let mut files = vec![(PathBuf::from("EVERY_NODE"), EVERY_NODE.to_string())];
        files.extend(crate::testing::corpus());
        files
    }

    #[test]
    fn common_prefixes_and_suffixes_across_blocks() {
        for (a, b) in [
            ("x".repeat(300), "x".repeat(300)),
            ("x".repeat(300), "x".repeat(700)),
            (
                "x".repeat(513),
                format!("{}y{}", "x".repeat(256), "x".repeat(256)),
            ),
            (String::new(), "abc".into()),
        ] {
            let naive_prefix = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let naive_suffix = (a.bytes().rev())
                .zip(b.bytes().rev())
                .take_while(|(x, y)| x == y)
                .count();
            assert_eq!(common_prefix(a.as_bytes(), b.as_bytes()), naive_prefix);
            assert_eq!(common_suffix(a.as_bytes(), b.as_bytes()), naive_suffix);
        }
    }

    #[test]
    fn every_node_of_the_corpus_is_shifted() {
        for (path, text) in corpus() {
            let parsed = parse(&text);
            if path == Path::new("EVERY_NODE") {
                assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            }
            for delta in [3_usize, 17] {
                let mut body = parsed.module.body.clone();
                crate::shift::shift_body(&mut body, delta as i64);
                let moved = parse(&format!("{}{text}", "\n".repeat(delta)));
                assert!(
                    body == moved.module.body,
                    "{}: a node kept its offset",
                    path.display()
                );
            }
        }
    }

    const INSERTIONS: &[&str] = &[
        "x",
        "1",
        " ",
        "\n",
        "\n    y = 2",
        "\nz = 3\n",
        "(",
        ")",
        "'",
        "\"\"\"",
        "# noqa: AV201",
        "é中😀",
        "\\",
        ":",
        "\n\n@session.function()\ndef added():\n    return 1\n",
        "",
    ];

    #[test]
    fn a_reparse_equals_the_parse_of_the_whole_new_text() {
        let mut seed = Seed(0x9e37_79b9_7f4a_7c15);
        let mut reparsed = 0;
        let mut edits = 0;
        for (path, text) in corpus() {
            let mut reparser = Reparser::default();
            let mut current = text.clone();
            reparser.parse(&current);
            for _ in 0..12 {
                let at = seed.offset_in(&current);
                let mut end = (at + seed.below(12)).min(current.len());
                while !current.is_char_boundary(end) {
                    end -= 1;
                }
                let inserted = INSERTIONS[seed.below(INSERTIONS.len())];
                current.replace_range(at..end, inserted);
                let was_kept = reparser.base.is_some();
                let expected = parse(&current);
                let got = reparser.parse(&current);
                edits += 1;
                if was_kept && matches!(got, Parse::Kept(_)) && expected.is_valid() {
                    reparsed += 1;
                }
                let context = || format!("{} after an edit at {at}..{end}", path.display());
                assert!(got.module == expected.module, "{}", context());
                assert_eq!(got.trivia, expected.trivia, "{}", context());
                assert_eq!(got.errors, expected.errors, "{}", context());
                // Undo now and then, back to text that parses.
                if seed.below(3) == 0 {
                    current.clone_from(&text);
                }
            }
        }
        // Most random edits break the syntax; enough of them do not.
        assert!(
            reparsed * 20 > edits,
            "{reparsed} of {edits} edits reparsed"
        );
    }
}
