//! `# noqa` and `# noqa: AV201, AV202` comments: what they suppress, the codes in
//! them that name no rule, and the edits that add one (`check --add-noqa`, the
//! editor's "Ignore AVxxx on this line").
//!
//! A diagnostic belongs to the line it starts on, or, when that line ends inside a
//! string that spans lines, to the line the string ends on: a comment can only go
//! there. Adding and reading comments use the same mapping.

use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::diagnostic::{Diagnostic, Edit};
use crate::rules::{Rule, av002_unknown_noqa_code, av003_unused_noqa_code};
use crate::syntax::Trivia;

/// What one `# noqa` comment suppresses.
enum Directive {
    /// `# noqa`, or `# noqa:` without codes.
    All,
    /// `# noqa: AV201, F821`: each code, with its range in the source.
    Codes(Vec<TextRange>),
}

struct NoqaComment {
    /// The end of the line the comment applies to.
    line_end: TextSize,
    /// The comment token.
    range: TextRange,
    directive: Directive,
}

/// The `# noqa` comments of a file.
pub(crate) struct Suppressions {
    comments: Vec<NoqaComment>,
    lines: NoqaLines,
}

impl Suppressions {
    pub(crate) fn new(trivia: &Trivia, source: &str) -> Suppressions {
        let comments = trivia
            .comments
            .iter()
            .filter_map(|&range| {
                let directive = parse_directive(source, range)?;
                Some(NoqaComment {
                    line_end: line_end(source, range.start()),
                    range,
                    directive,
                })
            })
            .collect();
        Suppressions {
            comments,
            lines: NoqaLines::new(trivia),
        }
    }

    /// Removes the diagnostics a `# noqa` comment suppresses, and returns the codes
    /// that suppressed one.
    pub(crate) fn remove_suppressed(
        &self,
        diagnostics: &mut Vec<Diagnostic>,
        source: &str,
    ) -> Vec<TextRange> {
        let mut used = Vec::new();
        if self.comments.is_empty() {
            return used;
        }
        diagnostics.retain(|diagnostic| {
            let end = self.lines.line_end(source, diagnostic.range.start());
            let mut suppressed = false;
            for comment in self
                .comments
                .iter()
                .filter(|comment| comment.line_end == end)
            {
                match &comment.directive {
                    Directive::All => suppressed = true,
                    Directive::Codes(codes) => {
                        for &code in codes {
                            if Rule::from_code(&source[code]) == Some(diagnostic.rule) {
                                used.push(code);
                                suppressed = true;
                            }
                        }
                    }
                }
            }
            !suppressed
        });
        used
    }

    /// AV002 for each code of ours (`AV...`) that names no rule.
    pub(crate) fn unknown_codes<'s>(
        &'s self,
        source: &'s str,
    ) -> impl Iterator<Item = Diagnostic> + 's {
        self.comments
            .iter()
            .flat_map(move |comment| match &comment.directive {
                Directive::Codes(codes) => {
                    av002_unknown_noqa_code::check(source, comment.range, codes)
                }
                Directive::All => Vec::new(),
            })
    }

    /// AV003 for each code of a rule that suppressed nothing, `used` being the
    /// codes that did.
    pub(crate) fn unused_codes<'s>(
        &'s self,
        source: &'s str,
        used: &'s [TextRange],
    ) -> impl Iterator<Item = Diagnostic> + 's {
        self.comments
            .iter()
            .flat_map(move |comment| match &comment.directive {
                Directive::Codes(codes) => {
                    av003_unused_noqa_code::check(source, comment.range, codes, used)
                }
                Directive::All => Vec::new(),
            })
    }
}

/// A diagnostic about code number `index` of the `# noqa:` comment at `comment`,
/// with a fix that removes the code.
pub(crate) fn code_diagnostic(
    rule: Rule,
    message: String,
    source: &str,
    comment: TextRange,
    codes: &[TextRange],
    index: usize,
) -> Diagnostic {
    let mut diagnostic = Diagnostic {
        rule,
        severity: rule.default_severity(),
        message,
        range: codes[index],
        related: Vec::new(),
        function: None,
        fix: None,
    };
    diagnostic.with_fix(
        format!(
            "Remove `{}` from the `# noqa` comment",
            &source[codes[index]]
        ),
        vec![removal(source, comment, codes, index)],
    );
    diagnostic
}

/// The edit that removes code number `index` of a directive, with its separator; a
/// directive's only code goes with the directive, since `# noqa:` alone would
/// suppress every rule.
fn removal(source: &str, comment: TextRange, codes: &[TextRange], index: usize) -> Edit {
    let range = match (index, codes.len()) {
        (_, 1) => {
            let after = &source[TextRange::new(codes[0].end(), comment.end())];
            if after.trim().is_empty() {
                // The whole comment, and the spaces that separated it from the code.
                let before = &source[..comment.start().to_usize()];
                let spaces = before.len() - before.trim_end_matches([' ', '\t']).len();
                TextRange::new(comment.start() - text_size(spaces), comment.end())
            } else {
                // `# noqa: AV999 because`: keep `# because`.
                let directive_start = comment.start()
                    + text_size(
                        source[comment].len()
                            - source[comment].trim_start_matches('#').trim_start().len(),
                    );
                let spaces = after.len() - after.trim_start().len();
                TextRange::new(directive_start, codes[0].end() + text_size(spaces))
            }
        }
        (0, _) => TextRange::new(codes[0].start(), codes[1].start()),
        (index, _) => TextRange::new(codes[index - 1].end(), codes[index].end()),
    };
    Edit {
        range,
        content: String::new(),
    }
}

/// The edits that add `# noqa: CODE` for each diagnostic to the line it belongs to,
/// one edit per line: codes are appended to a `# noqa:` comment already there, a
/// directive goes before another comment, or a comment is added at the end of the
/// line. A line whose `# noqa` already suppresses every rule gets no edit.
pub fn noqa_edits(source: &str, diagnostics: &[Diagnostic]) -> Vec<Edit> {
    let parsed = crate::parse(source);
    let lines = NoqaLines::new(parsed.trivia());
    let mut by_line: Vec<(TextSize, Vec<&str>)> = Vec::new();
    for diagnostic in diagnostics {
        let end = lines.line_end(source, diagnostic.range.start());
        match by_line.iter_mut().find(|(line, _)| *line == end) {
            Some((_, codes)) => codes.push(diagnostic.rule.code()),
            None => by_line.push((end, vec![diagnostic.rule.code()])),
        }
    }
    by_line
        .into_iter()
        .filter_map(|(end, mut codes)| {
            codes.sort_unstable();
            codes.dedup();
            let codes = codes.join(", ");
            let start = line_start(source, end);
            let comment = parsed
                .trivia()
                .comments
                .iter()
                .find(|comment| comment.start() >= start && comment.end() <= end)
                .copied();
            let (at, content) = match comment {
                Some(comment) => match parse_directive(source, comment) {
                    Some(Directive::All) => return None,
                    Some(Directive::Codes(present)) => {
                        let last = present.last().expect("a directive has codes");
                        (last.end(), format!(", {codes}"))
                    }
                    None => (comment.start(), format!("# noqa: {codes} ")),
                },
                None => {
                    let line = &source[TextRange::new(start, end)];
                    let code_end = start + text_size(line.trim_end().len());
                    (code_end, format!("  # noqa: {codes}"))
                }
            };
            Some(Edit {
                range: TextRange::empty(at),
                content,
            })
        })
        .collect()
}

/// The tokens that span lines (strings, f-string parts): a diagnostic on one of
/// their lines belongs to the line they end on.
struct NoqaLines {
    multiline: Vec<TextRange>,
}

impl NoqaLines {
    fn new(trivia: &Trivia) -> NoqaLines {
        NoqaLines {
            multiline: trivia.multiline.clone(),
        }
    }

    /// The end of the line a diagnostic starting at `offset` belongs to.
    fn line_end(&self, source: &str, offset: TextSize) -> TextSize {
        let mut end = line_end(source, offset);
        // Tokens are in source order, so one pass follows a chain of them.
        for token in &self.multiline {
            if token.start() <= end && end < token.end() {
                end = line_end(source, token.end());
            }
        }
        end
    }
}

fn line_end(source: &str, offset: TextSize) -> TextSize {
    let start = offset.to_usize().min(source.len());
    let end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    text_size(end)
}

fn line_start(source: &str, offset: TextSize) -> TextSize {
    let end = offset.to_usize().min(source.len());
    text_size(source[..end].rfind(['\n', '\r']).map_or(0, |i| i + 1))
}

fn text_size(offset: usize) -> TextSize {
    TextSize::try_from(offset).unwrap_or_default()
}

/// Reads the comment at `range` as `# noqa`, `# noqa: AV201` or
/// `# noqa:AV201,AV202 because` (case-insensitive `noqa`): the codes are the words
/// up to the first that is not a code.
fn parse_directive(source: &str, range: TextRange) -> Option<Directive> {
    let comment = &source[range];
    let body_start = comment.len() - comment.trim_start_matches('#').trim_start().len();
    let body = &comment[body_start..];
    if !body
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("noqa"))
    {
        return None;
    }
    let Some(list) = body[4..].strip_prefix(':') else {
        return body[4..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
            .then_some(Directive::All);
    };
    let list_start = range.start() + text_size(body_start + 5);
    let mut codes = Vec::new();
    let mut offset = 0;
    for word in list.split([',', ' ', '\t']) {
        let start = list_start + text_size(offset);
        offset += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        if !(word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.ends_with(|c: char| c.is_ascii_digit()))
        {
            break;
        }
        codes.push(TextRange::at(start, text_size(word.len())));
    }
    if codes.is_empty() {
        Some(Directive::All)
    } else {
        Some(Directive::Codes(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::fix::apply_edits;

    fn codes(comment: &str) -> Option<Vec<&str>> {
        let range = TextRange::up_to(text_size(comment.len()));
        match parse_directive(comment, range)? {
            Directive::All => Some(Vec::new()),
            Directive::Codes(codes) => Some(codes.iter().map(|&code| &comment[code]).collect()),
        }
    }

    #[test]
    fn directives() {
        assert_eq!(codes("# noqa"), Some(vec![]));
        assert_eq!(codes("# NOQA: AV201"), Some(vec!["AV201"]));
        assert_eq!(
            codes("# noqa:AV201,AV202 because AV203"),
            Some(vec!["AV201", "AV202"])
        );
        assert_eq!(codes("# noqa: F821"), Some(vec!["F821"]));
        assert_eq!(codes("# noqa:"), Some(vec![]));
        assert_eq!(codes("# noqanything"), None);
        assert_eq!(codes("# a comment"), None);
    }

    fn suppressions(source: &str) -> Suppressions {
        Suppressions::new(crate::parse(source).trivia(), source)
    }

    #[test]
    fn unknown_av_codes_only_and_their_removal() {
        let source = "import math  # noqa: AV201, AV999,F821 because\nx = 1  # NOQA:AV21\ny = 2  # noqa\nz = 3  # noqa: AV000 why: AV998\ns = '# noqa: AV997'\n";
        let found: Vec<Diagnostic> = suppressions(source).unknown_codes(source).collect();
        let codes: Vec<&str> = found.iter().map(|d| &source[d.range]).collect();
        assert_eq!(codes, ["AV999", "AV21", "AV000"]);
        let fixed = |index: usize| {
            let edits = &found[index].fix.as_ref().unwrap().edits;
            apply_edits(source, [edits.as_slice()]).text
        };
        assert!(fixed(0).starts_with("import math  # noqa: AV201,F821 because\n"));
        assert!(fixed(1).contains("\nx = 1\n"));
        assert!(fixed(2).contains("\nz = 3  # why: AV998\n"));
    }

    fn with_noqa(source: &str, at: &str, rule: Rule) -> String {
        let diagnostic = Diagnostic {
            rule,
            severity: rule.default_severity(),
            message: String::new(),
            range: TextRange::empty(text_size(source.find(at).unwrap())),
            related: Vec::new(),
            function: None,
            fix: None,
        };
        let edits = noqa_edits(source, &[diagnostic]);
        apply_edits(source, edits.iter().map(std::slice::from_ref)).text
    }

    #[test]
    fn noqa_comments_are_added_or_extended() {
        let cases = [
            ("x = math.pi\n", "x = math.pi  # noqa: AV201\n"),
            ("x = math.pi   \r\ny", "x = math.pi  # noqa: AV201   \r\ny"),
            (
                "x = math.pi  # noqa: AV202\n",
                "x = math.pi  # noqa: AV202, AV201\n",
            ),
            (
                "x = math.pi  # noqa:AV202,F401 because\n",
                "x = math.pi  # noqa:AV202,F401, AV201 because\n",
            ),
            ("x = math.pi  # why\n", "x = math.pi  # noqa: AV201 # why\n"),
            ("x = '#' + math.pi\n", "x = '#' + math.pi  # noqa: AV201\n"),
            (
                "x = \"\"\"a#\"\"\" + math.pi # c\n",
                "x = \"\"\"a#\"\"\" + math.pi # noqa: AV201 # c\n",
            ),
            (
                "x = 'it\\'s #' + math.pi\n",
                "x = 'it\\'s #' + math.pi  # noqa: AV201\n",
            ),
            // The line ends inside a string: the comment goes where it ends.
            (
                "x = (math.pi, \"\"\"a\nb\"\"\")\n",
                "x = (math.pi, \"\"\"a\nb\"\"\")  # noqa: AV201\n",
            ),
            ("x = math.pi  # noqa\n", "x = math.pi  # noqa\n"),
            ("x = math.pi  # NOQA:\n", "x = math.pi  # NOQA:\n"),
        ];
        for (line, expected) in cases {
            let edited = with_noqa(line, "math", Rule::ModuleNotInSandbox);
            assert_eq!(edited, expected, "{line:?}");
            let suppressions = suppressions(&edited);
            let diagnostic = Diagnostic {
                range: TextRange::empty(text_size(edited.find("math").unwrap())),
                rule: Rule::ModuleNotInSandbox,
                severity: Severity::Error,
                message: String::new(),
                related: Vec::new(),
                function: None,
                fix: None,
            };
            let mut diagnostics = vec![diagnostic];
            suppressions.remove_suppressed(&mut diagnostics, &edited);
            assert!(diagnostics.is_empty(), "{edited:?}");
        }
    }

    #[test]
    fn unused_codes_of_our_rules_only() {
        let source = "from cwsandbox import Session\nimport math\n\nwith Session() as session:\n\n    @session.function()\n    def area(r):\n        return math.pi * r  # noqa: AV201, AV202, F821\n\n    x = 1  # noqa: AV201\n    y = 2  # noqa: AV201, AV003\n    z = 3  # noqa\n\n    print(area.remote(1.0).result())\n";
        let unused = |source: &str| -> Vec<(usize, String)> {
            crate::check(source, &crate::Settings::default())
                .iter()
                .filter(|diagnostic| diagnostic.rule == Rule::UnusedNoqaCode)
                .map(|diagnostic| {
                    let start = diagnostic.range.start().to_usize();
                    let line = source[..start].matches('\n').count() + 1;
                    (line, source[diagnostic.range].to_string())
                })
                .collect()
        };
        assert_eq!(
            unused(source),
            [(8, "AV202".to_string()), (10, "AV201".to_string())]
        );
        // A function the parser could not read is not analysed: nothing is unused.
        assert_eq!(unused(&format!("{source}\ndef broken(:\n")), []);
    }
}
