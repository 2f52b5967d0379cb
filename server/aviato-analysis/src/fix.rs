//! Applying edits to a text: the quick fixes of diagnostics and `# noqa` comments,
//! for `check --fix`, `--diff` and `--add-noqa` and for the editor's code actions.
//!
//! As in Ruff, the fixes of one round are applied together where they do not
//! overlap, and the text is checked again; the fixes skipped because they
//! overlapped come back in the next round, until nothing is left to fix.

use ruff_text_size::{TextLen, TextSize};

use crate::diagnostic::{Diagnostic, Edit};
use crate::rules::Rule;
use crate::settings::Settings;

/// Rounds of fixing before giving up: a fix that keeps bringing back what it
/// fixes must not loop forever.
const MAX_ROUNDS: usize = 100;

/// A text with edits applied.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    /// How many groups of edits were applied.
    pub applied: usize,
}

/// Applies each group of edits (one fix's) whole or not at all, in order of
/// position: a group whose edits overlap each other, touch or overlap an edit
/// applied before it, or fall outside the text is skipped.
pub fn apply_edits<'e>(source: &str, groups: impl IntoIterator<Item = &'e [Edit]>) -> Applied {
    let mut groups: Vec<Vec<&Edit>> = groups
        .into_iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            let mut sorted: Vec<&Edit> = group.iter().collect();
            sorted.sort_by_key(|edit| (edit.range.start(), edit.range.end()));
            sorted
        })
        .collect();
    groups.sort_by_key(|group| (group[0].range.start(), group[0].range.end()));

    let mut text = String::with_capacity(source.len());
    let mut applied = 0;
    // The end of the last edit applied; `None` before the first.
    let mut last_end: Option<TextSize> = None;
    for group in groups {
        let fits = last_end.is_none_or(|end| end < group[0].range.start())
            && group
                .windows(2)
                .all(|pair| pair[0].range.end() <= pair[1].range.start())
            && group.iter().all(|edit| {
                edit.range.end() <= source.text_len()
                    && source.is_char_boundary(edit.range.start().to_usize())
                    && source.is_char_boundary(edit.range.end().to_usize())
            });
        if !fits {
            continue;
        }
        for edit in group {
            let from = last_end.map_or(0, |end| end.to_usize());
            text.push_str(&source[from..edit.range.start().to_usize()]);
            text.push_str(&edit.content);
            last_end = Some(edit.range.end());
        }
        applied += 1;
    }
    text.push_str(&source[last_end.map_or(0, |end| end.to_usize())..]);
    Applied { text, applied }
}

/// Whether `edits`, applied to `source` whose diagnostics are `diagnostics`, leave
/// fewer diagnostics like `diagnostic` (same rule, same function) and no more
/// syntax errors: what makes a fix safe to offer or to apply.
pub fn removes_diagnostic(
    source: &str,
    diagnostics: &[Diagnostic],
    diagnostic: &Diagnostic,
    edits: &[Edit],
    settings: &Settings,
) -> bool {
    let edited = apply_edits(source, [edits]);
    if edited.applied == 0 {
        return false;
    }
    let after = crate::check(&edited.text, settings);
    let like = |candidate: &&Diagnostic| {
        candidate.rule == diagnostic.rule
            && candidate.function.as_ref().map(|function| &function.name)
                == diagnostic.function.as_ref().map(|function| &function.name)
    };
    after.iter().filter(like).count() < diagnostics.iter().filter(like).count()
        && syntax_errors(&after) <= syntax_errors(diagnostics)
}

/// A text after every safe fix was applied.
#[derive(Debug)]
pub struct Fixed {
    pub text: String,
    /// How many fixes were applied.
    pub fixed: usize,
    /// The diagnostics of `text`.
    pub remaining: Vec<Diagnostic>,
}

/// Applies the safe fixes (see [`removes_diagnostic`]) of `source`'s diagnostics,
/// round after round until none is left. A round that would add a syntax error is
/// undone, so no text is lost to a broken combination of fixes.
pub fn fix_all(source: &str, settings: &Settings) -> Fixed {
    let mut text = source.to_string();
    let mut diagnostics = crate::check(&text, settings);
    let mut fixed = 0;
    for _ in 0..MAX_ROUNDS {
        let safe: Vec<&[Edit]> = diagnostics
            .iter()
            .filter_map(|diagnostic| Some((diagnostic, diagnostic.fix.as_ref()?)))
            .filter(|(diagnostic, fix)| {
                removes_diagnostic(&text, &diagnostics, diagnostic, &fix.edits, settings)
            })
            .map(|(_, fix)| fix.edits.as_slice())
            .collect();
        let round = apply_edits(&text, safe);
        if round.applied == 0 {
            break;
        }
        let after = crate::check(&round.text, settings);
        if syntax_errors(&after) > syntax_errors(&diagnostics) {
            break;
        }
        text = round.text;
        diagnostics = after;
        fixed += round.applied;
    }
    Fixed {
        text,
        fixed,
        remaining: diagnostics,
    }
}

fn syntax_errors(diagnostics: &[Diagnostic]) -> usize {
    diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule == Rule::SyntaxError)
        .count()
}

#[cfg(test)]
mod tests {
    use ruff_text_size::TextRange;

    use super::*;

    fn edit(start: u32, end: u32) -> Edit {
        Edit {
            range: TextRange::new(TextSize::new(start), TextSize::new(end)),
            content: "-".to_string(),
        }
    }

    #[test]
    fn overlapping_and_touching_groups_are_skipped() {
        let applied = |groups: &[&[Edit]]| {
            let applied = apply_edits("abcdef", groups.iter().copied());
            (applied.text, applied.applied)
        };
        assert_eq!(
            applied(&[&[edit(4, 5)], &[edit(0, 1)]]),
            ("-bcd-f".into(), 2)
        );
        assert_eq!(applied(&[&[edit(0, 3)], &[edit(2, 4)]]), ("-def".into(), 1));
        assert_eq!(
            applied(&[&[edit(0, 1)], &[edit(1, 2)]]),
            ("-bcdef".into(), 1)
        );
        // A group goes whole or not at all.
        assert_eq!(
            applied(&[&[edit(0, 1)], &[edit(3, 4), edit(0, 2)]]),
            ("-bcdef".into(), 1)
        );
        assert_eq!(applied(&[&[edit(2, 9)]]), ("abcdef".into(), 0));
    }

    const NOT_CALLED: &str = "from cwsandbox import Session\n\nwith Session() as session:\n\n    @session.function\n    def double(x):\n        return x * 2\n\n    @session.function\n    def triple(x):\n        return x * 3\n\n    print(double.remote(2).result(), triple.remote(2).result())\n";

    #[test]
    fn fix_all_applies_every_safe_fix_and_is_stable() {
        let settings = Settings::default();
        let fixed = fix_all(NOT_CALLED, &settings);
        assert_eq!(fixed.fixed, 2, "{fixed:?}");
        assert_eq!(fixed.text.matches("@session.function()\n").count(), 2);
        assert!(
            fixed
                .remaining
                .iter()
                .all(|diagnostic| diagnostic.rule != Rule::DecoratorNotCalled)
        );
        let again = fix_all(&fixed.text, &settings);
        assert_eq!((again.fixed, again.text), (0, fixed.text));
    }
}
