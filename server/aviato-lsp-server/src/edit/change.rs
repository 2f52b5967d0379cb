//! Following a range of the text through later edits, so that something computed
//! for one version of a document (a run's result) shows where that code is now,
//! or not at all.

use aviato_analysis::text::{TextRange, TextSize};

/// One replacement, in the offsets of the text before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TextChange {
    pub(crate) replaced: TextRange,
    pub(crate) inserted: TextSize,
}

/// Where `range` is after `changes` (each in the text the ones before it left), or
/// `None` when a change touched it: an edit inside it, or right at its end (typing
/// on after the last character extends the code the range covers). A change that
/// ends right at its start moves it: the text it covers is unchanged.
pub(crate) fn map_range(range: TextRange, changes: &[TextChange]) -> Option<TextRange> {
    changes.iter().try_fold(range, |range, change| {
        if change.replaced.end() <= range.start() {
            let start = range.start() - change.replaced.len() + change.inserted;
            Some(TextRange::at(start, range.len()))
        } else if change.replaced.start() > range.end() {
            Some(range)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u32, end: u32) -> TextRange {
        TextRange::new(TextSize::new(start), TextSize::new(end))
    }

    fn change(start: u32, end: u32, inserted: u32) -> TextChange {
        TextChange {
            replaced: range(start, end),
            inserted: TextSize::new(inserted),
        }
    }

    #[test]
    fn changes_before_move_the_range_and_after_leave_it() {
        let anchored = range(10, 20);
        assert_eq!(map_range(anchored, &[change(0, 2, 5)]), Some(range(13, 23)));
        assert_eq!(map_range(anchored, &[change(0, 9, 0)]), Some(range(1, 11)));
        assert_eq!(map_range(anchored, &[change(21, 30, 1)]), Some(anchored));
        // An insertion at the start moves it; one at the end touches it.
        assert_eq!(
            map_range(anchored, &[change(10, 10, 4)]),
            Some(range(14, 24))
        );
        assert_eq!(map_range(anchored, &[change(20, 20, 1)]), None);
    }

    #[test]
    fn changes_inside_or_across_drop_the_range() {
        let anchored = range(10, 20);
        for touching in [
            change(12, 13, 0),
            change(5, 11, 1),
            change(19, 25, 0),
            change(0, 30, 30),
        ] {
            assert_eq!(map_range(anchored, &[touching]), None, "{touching:?}");
        }
        // A replacement that ends at the start replaces the text before it, not in it.
        assert_eq!(map_range(anchored, &[change(8, 10, 0)]), Some(range(8, 18)));
    }

    #[test]
    fn changes_apply_in_sequence() {
        let anchored = range(10, 20);
        // Insert 3 bytes at 0, then delete 2 bytes at 30 (after the moved range).
        assert_eq!(
            map_range(anchored, &[change(0, 0, 3), change(30, 32, 0)]),
            Some(range(13, 23))
        );
        // Insert 3 bytes at 0, then edit at 15: inside the moved range.
        assert_eq!(
            map_range(anchored, &[change(0, 0, 3), change(15, 15, 1)]),
            None
        );
    }
}
