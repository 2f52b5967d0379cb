use std::collections::VecDeque;

use super::TextChange;

/// How many revisions back a result computed on an older revision can be carried
/// forward; older results are dropped rather than guessed at.
const KEPT_REVISIONS: usize = 1024;

/// The changes that led from each of a document's recent revisions to the next.
#[derive(Debug, Default)]
pub(crate) struct EditHistory {
    steps: VecDeque<Step>,
}

#[derive(Debug)]
struct Step {
    from: u64,
    to: u64,
    changes: Vec<TextChange>,
}

impl EditHistory {
    pub(crate) fn record(&mut self, from: u64, to: u64, changes: Vec<TextChange>) {
        if self.steps.len() == KEPT_REVISIONS {
            self.steps.pop_front();
        }
        self.steps.push_back(Step { from, to, changes });
    }

    /// The changes from revision `from` to revision `to`, in order; `None` when
    /// the history no longer reaches back to `from`.
    pub(crate) fn between(&self, from: u64, to: u64) -> Option<Vec<TextChange>> {
        if from == to {
            return Some(Vec::new());
        }
        let first = self.steps.iter().position(|step| step.from == from)?;
        let mut changes = Vec::new();
        for step in self.steps.range(first..) {
            changes.extend_from_slice(&step.changes);
            if step.to == to {
                return Some(changes);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use aviato_analysis::text::{TextRange, TextSize};

    use super::*;

    fn insert(at: u32, length: u32) -> TextChange {
        TextChange {
            replaced: TextRange::empty(TextSize::new(at)),
            inserted: TextSize::new(length),
        }
    }

    #[test]
    fn changes_between_revisions() {
        let mut history = EditHistory::default();
        // Revisions of one document are increasing, not consecutive.
        history.record(1, 4, vec![insert(0, 1)]);
        history.record(4, 9, vec![insert(5, 2), insert(7, 1)]);
        assert_eq!(history.between(9, 9), Some(vec![]));
        assert_eq!(
            history.between(4, 9),
            Some(vec![insert(5, 2), insert(7, 1)])
        );
        assert_eq!(
            history.between(1, 9),
            Some(vec![insert(0, 1), insert(5, 2), insert(7, 1)])
        );
        assert_eq!(history.between(1, 4), Some(vec![insert(0, 1)]));
        assert_eq!(history.between(2, 9), None);
        assert_eq!(history.between(1, 5), None);
    }

    #[test]
    fn old_revisions_are_forgotten() {
        let mut history = EditHistory::default();
        for revision in 0..KEPT_REVISIONS as u64 + 1 {
            history.record(revision, revision + 1, vec![insert(0, 1)]);
        }
        assert_eq!(history.between(0, 1), None);
        assert_eq!(history.between(1, 2), Some(vec![insert(0, 1)]));
    }
}
