//! A finished run's result, kept with the document where its function is.

use std::sync::Arc;

use aviato_analysis::SandboxFunctionFacts;
use aviato_analysis::text::TextRange;
use aviato_exec::{Outcome, OutcomeKind};

use crate::edit::{TextChange, TextDocument, map_range};

/// The last run of one function, its ranges in the document's current revision.
#[derive(Clone, Debug)]
pub(crate) struct RunRecord {
    pub(crate) function: String,
    /// The function's `def`, decorators included. An edit in it drops the record:
    /// the result is of code that is no longer there.
    pub(crate) function_range: TextRange,
    pub(crate) name_range: TextRange,
    /// The name and the parameters, to the return annotation.
    pub(crate) signature_range: TextRange,
    /// The call site whose arguments were used.
    pub(crate) call_site: Option<TextRange>,
    /// The line that raised, innermost frame in the file.
    pub(crate) raised_at: Option<TextRange>,
    /// The traceback frames in the file, outermost first.
    pub(crate) frames: Vec<FrameLine>,
    pub(crate) outcome: Arc<Outcome>,
}

#[derive(Clone, Debug)]
pub(crate) struct FrameLine {
    pub(crate) range: TextRange,
    pub(crate) function: String,
}

impl RunRecord {
    /// The record of `outcome` for `function` in `document`. Traceback frames of
    /// `file_name` outside the function are left out: only the function runs in
    /// the sandbox, so they cannot be lines of this document.
    pub(crate) fn new(
        document: &TextDocument,
        file_name: &str,
        function: &SandboxFunctionFacts,
        call_site: Option<TextRange>,
        outcome: Arc<Outcome>,
    ) -> RunRecord {
        let function_range = function.statement_range;
        let frames: Vec<FrameLine> = outcome
            .traceback
            .iter()
            .filter(|frame| frame.file == file_name)
            .filter_map(|frame| {
                let range = document.line_content(frame.line)?;
                function_range.contains_range(range).then(|| FrameLine {
                    range,
                    function: frame.function.clone(),
                })
            })
            .collect();
        let raised_at = (outcome.outcome == OutcomeKind::Raised)
            .then(|| frames.last().map(|frame| frame.range))
            .flatten();
        RunRecord {
            function: function.name.clone(),
            function_range,
            name_range: function.name_range,
            signature_range: function.signature_range,
            call_site,
            raised_at,
            frames,
            outcome,
        }
    }

    /// This record after `changes`; `None` when they touched the function. Other
    /// ranges a change touched are dropped on their own.
    pub(crate) fn map(&self, changes: &[TextChange]) -> Option<RunRecord> {
        if changes.is_empty() {
            return Some(self.clone());
        }
        let map = |range: TextRange| map_range(range, changes);
        Some(RunRecord {
            function: self.function.clone(),
            function_range: map(self.function_range)?,
            name_range: map(self.name_range)?,
            signature_range: map(self.signature_range)?,
            call_site: self.call_site.and_then(map),
            raised_at: self.raised_at.and_then(map),
            frames: self
                .frames
                .iter()
                .filter_map(|frame| {
                    Some(FrameLine {
                        range: map(frame.range)?,
                        function: frame.function.clone(),
                    })
                })
                .collect(),
            outcome: self.outcome.clone(),
        })
    }

    /// Whether this is the record of the function at `function_range`.
    pub(crate) fn is_of(&self, function: &str, function_range: TextRange) -> bool {
        self.function == function && self.function_range == function_range
    }
}

#[cfg(test)]
mod tests {
    use aviato_analysis::text::TextSize;
    use aviato_exec::Frame;

    use super::*;

    const SOURCE: &str = "import x\n\n@s.function()\ndef f(v):\n    if v:\n        raise ValueError(v)\n    return g(v)\n";

    fn raised(lines: &[(u32, &str)]) -> Arc<Outcome> {
        Arc::new(Outcome {
            exception_type: Some("ValueError".to_string()),
            traceback: lines
                .iter()
                .map(|(line, function)| Frame {
                    file: "app.py".to_string(),
                    line: *line,
                    function: function.to_string(),
                })
                .collect(),
            ..Outcome::new(OutcomeKind::Raised)
        })
    }

    fn record(outcome: Arc<Outcome>) -> RunRecord {
        let document = TextDocument::new(SOURCE.to_string(), 1);
        let function = SandboxFunctionFacts {
            name: "f".to_string(),
            name_range: TextRange::at(
                TextSize::try_from(SOURCE.find("f(").unwrap()).unwrap(),
                TextSize::new(1),
            ),
            signature_range: TextRange::at(
                TextSize::try_from(SOURCE.find("f(").unwrap()).unwrap(),
                TextSize::new(4),
            ),
            statement_range: TextRange::new(
                TextSize::try_from(SOURCE.find('@').unwrap()).unwrap(),
                TextSize::try_from(SOURCE.trim_end().len()).unwrap(),
            ),
            stripped_decorators: Vec::new(),
            is_async: false,
            serialization: aviato_analysis::Serialization::Json,
            container_image: None,
            temp_dir: None,
            working_dir: None,
            resources: None,
            parameters: vec!["v".to_string()],
            kept_decorators: Vec::new(),
            shipped_wrapper: None,
            captures: Vec::new(),
            call_sites: Vec::new(),
        };
        RunRecord::new(&document, "app.py", &function, None, outcome)
    }

    #[test]
    fn the_raising_line_is_the_innermost_frame_in_the_function() {
        // Line 1 is outside the function; line 9 is past the end of the file.
        let record = record(raised(&[(4, "f"), (6, "f"), (1, "<module>"), (9, "h")]));
        assert_eq!(&SOURCE[record.raised_at.unwrap()], "raise ValueError(v)");
        assert_eq!(record.frames.len(), 2);
        assert_eq!(&SOURCE[record.frames[0].range], "def f(v):");
    }

    #[test]
    fn no_raising_line_without_a_frame_or_a_raise() {
        assert_eq!(record(raised(&[])).raised_at, None);
        assert_eq!(
            record(Arc::new(Outcome::new(OutcomeKind::Ok))).raised_at,
            None
        );
    }

    #[test]
    fn edits_move_or_drop_the_record() {
        let record = record(raised(&[(6, "f")]));
        let insert_line_at_top = TextChange {
            replaced: TextRange::empty(TextSize::new(0)),
            inserted: TextSize::new(5),
        };
        let moved = record.map(&[insert_line_at_top]).unwrap();
        assert_eq!(
            moved.raised_at.unwrap(),
            record.raised_at.unwrap() + TextSize::new(5)
        );
        let edit_body = TextChange {
            replaced: TextRange::empty(record.raised_at.unwrap().start()),
            inserted: TextSize::new(1),
        };
        assert!(record.map(&[edit_body]).is_none());
    }
}
