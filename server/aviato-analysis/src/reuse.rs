//! The rules' results of each sandbox function, kept from one revision of a
//! document to the next. While the user types inside one function, the others'
//! results still hold: the rules of a function read its own text and the module
//! around it, and an edit inside another function's body changes neither, unless
//! that body reaches out of itself (a `global`, a store into a module-level dict,
//! `globals()`, a call of a sandbox function, an `environment_variables=`). So a
//! revision reuses every function's results but the edited one's when:
//! - the text outside the functions is the same, and so is the SDK;
//! - the functions' decorators and `def` lines are the same, and so are their
//!   bodies but one;
//! - that one's body changed without changing its number of lines (messages
//!   quote line numbers), and reaches out of itself neither before nor after.
//!
//! The kept results are moved by the edit's length where they lie after it; a
//! result that points into the edited function is not reused. A randomized test
//! compares the results with a full analysis after thousands of edits of the
//! repository's Python files.

use std::hash::{DefaultHasher, Hash, Hasher};

use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::diagnostic::Diagnostic;
use crate::sandbox::SandboxFunction;
use crate::sdk::SdkChoice;

/// The last revision's results, by sandbox function.
#[derive(Debug, Default)]
pub(crate) struct KeptRules {
    revision: Option<Revision>,
    /// Revisions that reused some function's results.
    #[cfg(test)]
    reused: usize,
}

#[derive(Debug)]
struct Revision {
    sdk: SdkChoice,
    outside: u64,
    functions: Vec<Kept>,
}

#[derive(Debug)]
struct Kept {
    shape: Shape,
    diagnostics: Vec<Diagnostic>,
}

/// What decides whether a function's results carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// From the first decorator to the end of the `def`.
    range: TextRange,
    /// The decorators and the `def` line, up to the body.
    header: u64,
    body: u64,
    lines: usize,
    /// Whether the body reaches out of itself (see the module's documentation).
    reaches_out: bool,
}

impl Shape {
    pub(crate) fn of(source: &str, function: &SandboxFunction, reaches_out: bool) -> Shape {
        let def = function.def;
        let start = def
            .decorator_list
            .first()
            .map_or(def.start(), Ranged::start);
        let range = TextRange::new(start, def.end());
        let body_start = def.body.first().map_or(def.end(), Stmt::start);
        let header = TextRange::new(start, body_start);
        let body = TextRange::new(body_start, def.end());
        Shape {
            range,
            header: hash(&source[header]),
            body: hash(&source[body]),
            lines: source[range].matches('\n').count(),
            reaches_out,
        }
    }
}

/// For each function of a revision, its results kept from the last revision,
/// moved to it; `None` where its rules must run.
pub(crate) type Carried = Vec<Option<Vec<Diagnostic>>>;

impl KeptRules {
    /// What of the kept results holds for a revision of `source` whose functions
    /// have `shapes`.
    pub(crate) fn reuse(&mut self, source: &str, sdk: SdkChoice, shapes: &[Shape]) -> Carried {
        match self.carried(source, sdk, shapes) {
            Some(carried) => {
                #[cfg(test)]
                {
                    self.reused += 1;
                }
                carried
            }
            None => vec![None; shapes.len()],
        }
    }

    /// Takes the kept results: until [`KeptRules::keep`] is given the new ones, a
    /// revision runs every rule (so an analysis cut short leaves none behind).
    fn carried(&mut self, source: &str, sdk: SdkChoice, shapes: &[Shape]) -> Option<Carried> {
        let last = self.revision.take()?;
        if last.sdk != sdk
            || last.functions.len() != shapes.len()
            || outside_hash(source, shapes) != Some(last.outside)
        {
            return None;
        }
        let mut changed = None;
        for (index, (kept, shape)) in last.functions.iter().zip(shapes).enumerate() {
            if kept.shape.header != shape.header {
                return None;
            }
            if kept.shape.body != shape.body {
                if changed.is_some() {
                    return None;
                }
                changed = Some(index);
            }
        }
        let Some(edited) = changed else {
            // The same text.
            let all = last.functions.into_iter();
            return Some(all.map(|kept| Some(kept.diagnostics)).collect());
        };
        let (before, after) = (&last.functions[edited].shape, &shapes[edited]);
        if before.lines != after.lines || before.reaches_out || after.reaches_out {
            return None;
        }
        let moved = Move {
            edited: before.range,
            delta: i64::from(after.range.len().to_u32()) - i64::from(before.range.len().to_u32()),
        };
        let carried = last
            .functions
            .into_iter()
            .enumerate()
            .map(|(index, kept)| {
                if index == edited {
                    return None;
                }
                kept.diagnostics
                    .into_iter()
                    .map(|diagnostic| moved.diagnostic(diagnostic))
                    .collect()
            })
            .collect();
        Some(carried)
    }

    /// Keeps the results of a revision of `source`, each function's given in order.
    pub(crate) fn keep(
        &mut self,
        source: &str,
        sdk: SdkChoice,
        shapes: Vec<Shape>,
        diagnostics: Vec<Vec<Diagnostic>>,
    ) {
        let Some(outside) = outside_hash(source, &shapes) else {
            self.revision = None;
            return;
        };
        self.revision = Some(Revision {
            sdk,
            outside,
            functions: shapes
                .into_iter()
                .zip(diagnostics)
                .map(|(shape, diagnostics)| Kept { shape, diagnostics })
                .collect(),
        });
    }

    /// Forgets the kept results: the next revision runs every rule.
    pub(crate) fn forget(&mut self) {
        self.revision = None;
    }
}

/// The text outside the functions; `None` when they are not one after the other
/// (a sandbox function inside another).
fn outside_hash(source: &str, shapes: &[Shape]) -> Option<u64> {
    let mut hasher = DefaultHasher::new();
    let mut at = TextSize::default();
    for shape in shapes {
        if shape.range.start() < at {
            return None;
        }
        source[TextRange::new(at, shape.range.start())].hash(&mut hasher);
        at = shape.range.end();
    }
    source[TextRange::new(at, TextSize::of(source))].hash(&mut hasher);
    Some(hasher.finish())
}

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// An edit inside `edited` that changed its length by `delta`.
struct Move {
    edited: TextRange,
    delta: i64,
}

impl Move {
    /// The diagnostic in the new revision; `None` when it points into the edited
    /// function.
    fn diagnostic(&self, mut diagnostic: Diagnostic) -> Option<Diagnostic> {
        diagnostic.range = self.range(diagnostic.range)?;
        for related in &mut diagnostic.related {
            related.range = self.range(related.range)?;
        }
        if let Some(function) = &mut diagnostic.function {
            function.name_range = self.range(function.name_range)?;
        }
        if let Some(fix) = &mut diagnostic.fix {
            for edit in &mut fix.edits {
                edit.range = self.range(edit.range)?;
            }
        }
        Some(diagnostic)
    }

    fn range(&self, range: TextRange) -> Option<TextRange> {
        if range.end() <= self.edited.start() {
            return Some(range);
        }
        if range.start() < self.edited.end() {
            return None;
        }
        let start = i64::from(range.start().to_u32()) + self.delta;
        let start = TextSize::new(u32::try_from(start).ok()?);
        Some(TextRange::at(start, range.len()))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{Seed, corpus};
    use crate::{Analysis, Reparser, SdkChoice};

    /// Statements put before a line's code: they keep the number of lines and,
    /// before a simple statement, the syntax. Some reach out of the function.
    const STATEMENTS: &[&str] = &[
        "x = 1; ",
        "print(len(data)); ",
        "import os; ",
        "os.environ['HOME']; ",
        "globals(); ",
        "global RESULTS; ",
        "CACHE['k'] = 1; ",
        "seen = {}; seen['k'] = 1; ",
        "items.append(1); ",
        "pass; ",
    ];

    /// Text put anywhere in a line: mostly breaks the syntax, or changes a name.
    const ANYWHERE: &[&str] = &["x", "1", " ", "_", "(", "'", "é😀", ""];

    /// A revision of `text`: an edit in a line indented by eight columns or more
    /// (in the corpus, most are in the body of a sandbox function defined in a
    /// session's block); any line when there is none.
    fn edit(seed: &mut Seed, text: &str) -> String {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .filter(|&start| text[start..].starts_with("        "))
            .collect();
        let mut edited = text.to_string();
        if starts.is_empty() {
            let at = seed.offset_in(text);
            edited.insert_str(at, ANYWHERE[seed.below(ANYWHERE.len())]);
            return edited;
        }
        let start = starts[seed.below(starts.len())];
        let line = text[start..].split('\n').next().unwrap_or_default();
        let code = start + line.len() - line.trim_start().len();
        match seed.below(3) {
            0 => edited.insert_str(code, STATEMENTS[seed.below(STATEMENTS.len())]),
            1 => edited.insert_str(start + line.len(), "  # a note"),
            _ => {
                let mut at = code + seed.below(line.len() - (code - start) + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + seed.below(4)).min(start + line.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                edited.replace_range(at..end, ANYWHERE[seed.below(ANYWHERE.len())]);
            }
        }
        edited
    }

    #[test]
    fn reused_results_equal_a_full_analysis() {
        let mut seed = Seed(0x2545_f491_4f6c_dd1d);
        let mut revisions = 0;
        let mut reused = 0;
        for (path, text) in corpus() {
            let mut reparser = Reparser::default();
            let analyse = |reparser: &mut Reparser, current: &str| {
                Analysis::of_revision(current, SdkChoice::Auto, reparser, |_| {}, || false)
            };
            let mut current = text.clone();
            analyse(&mut reparser, &current);
            for _ in 0..24 {
                current = edit(&mut seed, &current);
                let before = reparser.rules.reused;
                let got = analyse(&mut reparser, &current);
                revisions += 1;
                reused += reparser.rules.reused - before;
                let expected = Analysis::new(&current, SdkChoice::Auto);
                assert_eq!(
                    got.diagnostics,
                    expected.diagnostics,
                    "{} after the edit to\n{current}",
                    path.display()
                );
                // Back to the start now and then, and away from broken text.
                let broken = expected
                    .diagnostics
                    .iter()
                    .any(|diagnostic| diagnostic.rule == crate::Rule::SyntaxError);
                if seed.below(4) == 0 || (broken && seed.below(2) == 0) {
                    current.clone_from(&text);
                }
            }
        }
        // Enough revisions took the path this test is about.
        assert!(
            reused * 20 > revisions,
            "{reused} of {revisions} revisions reused results"
        );
    }
}
