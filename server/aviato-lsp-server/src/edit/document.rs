use std::sync::Arc;

use aviato_analysis::text::{LineIndex, PositionEncoding, TextLen, TextRange, TextSize};
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use super::TextChange;
use crate::proto::{LineMap, from_proto};

/// An open document's text at one version. Cloning it is cheap, so a clone is the
/// snapshot analysis runs on while the client keeps editing. An edit changes the
/// text in place unless a snapshot shares it: a keystroke does not copy the file.
#[derive(Clone, Debug)]
pub(crate) struct TextDocument {
    text: Arc<String>,
    index: LineIndex,
    version: i32,
}

impl TextDocument {
    pub(crate) fn new(text: String, version: i32) -> TextDocument {
        let index = LineIndex::from_source_text(&text);
        TextDocument {
            text: Arc::new(text),
            index,
            version,
        }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn version(&self) -> i32 {
        self.version
    }

    pub(crate) fn line_map(&self, encoding: PositionEncoding) -> LineMap<'_> {
        LineMap::new(&self.text, &self.index, encoding)
    }

    /// The 1-based line of `offset`.
    pub(crate) fn line_number(&self, offset: TextSize) -> u32 {
        u32::try_from(self.index.line_index(offset).get()).unwrap_or(u32::MAX)
    }

    /// The text of the 1-based `line` without its indentation, trailing blanks
    /// and line ending; `None` past the end.
    pub(crate) fn line_content(&self, line: u32) -> Option<TextRange> {
        let starts = self.index.line_starts();
        let zero_based = usize::try_from(line.checked_sub(1)?).ok()?;
        let start = starts.get(zero_based)?.to_usize();
        let end = starts
            .get(zero_based + 1)
            .map_or(self.text.len(), |next| next.to_usize());
        let line_text = &self.text[start..end];
        let content_end = start + line_text.trim_end().len();
        let content_start =
            (start + line_text.len() - line_text.trim_start().len()).min(content_end);
        Some(TextRange::new(
            TextSize::try_from(content_start).ok()?,
            TextSize::try_from(content_end).ok()?,
        ))
    }

    /// Where the line holding `offset` ends, before its line ending.
    pub(crate) fn line_end(&self, offset: TextSize) -> TextSize {
        let start = offset.to_usize().min(self.text.len());
        let end = self.text[start..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |at| start + at);
        TextSize::try_from(end).unwrap_or(offset)
    }

    /// Applies the changes in order: each change's range refers to the text left by
    /// the ones before it. A change without a range replaces the whole text.
    /// Returns the changes as byte ranges, in the same order.
    pub(crate) fn apply_changes(
        &mut self,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        encoding: PositionEncoding,
    ) -> Vec<TextChange> {
        let text = Arc::make_mut(&mut self.text);
        let mut applied = Vec::with_capacity(changes.len());
        for change in changes {
            let inserted = change.text.text_len();
            let replaced = match change.range {
                None => {
                    let replaced = TextRange::up_to(text.text_len());
                    *text = change.text;
                    replaced
                }
                Some(range) => {
                    let replaced =
                        from_proto::text_range(range, LineMap::new(text, &self.index, encoding));
                    text.replace_range(std::ops::Range::<usize>::from(replaced), &change.text);
                    replaced
                }
            };
            applied.push(TextChange { replaced, inserted });
            self.index = LineIndex::from_source_text(text);
        }
        self.version = version;
        applied
    }
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::{Position, Range};

    use super::*;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(start.0, start.1),
                Position::new(end.0, end.1),
            )),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn changes_apply_in_order() {
        let mut document = TextDocument::new("a = 1\nb = 2\n".to_string(), 1);
        document.apply_changes(
            vec![
                change((0, 4), (0, 5), "10"),
                change((1, 0), (1, 0), "# x\n"),
                change((2, 4), (2, 5), "20"),
            ],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(document.text(), "a = 10\n# x\nb = 20\n");
        assert_eq!(document.version(), 2);
    }

    #[test]
    fn utf16_and_utf8_columns_after_multibyte_characters() {
        let source = "s = 'é😀中'\n";
        // Insert `!` just before the closing quote.
        let mut utf16 = TextDocument::new(source.to_string(), 1);
        utf16.apply_changes(
            vec![change((0, 9), (0, 9), "!")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(utf16.text(), "s = 'é😀中!'\n");

        let mut utf8 = TextDocument::new(source.to_string(), 1);
        utf8.apply_changes(
            vec![change((0, 14), (0, 14), "!")],
            2,
            PositionEncoding::Utf8,
        );
        assert_eq!(utf8.text(), "s = 'é😀中!'\n");
    }

    #[test]
    fn bad_positions_are_clamped() {
        let source = "x = '😀'\ny = 1\n";
        let cases = [
            // Past the end of a line: the line's end, before its newline.
            (
                change((0, 99), (0, 99), "#"),
                PositionEncoding::Utf16,
                "x = '😀'#\ny = 1\n",
            ),
            // Past the end of the file: the end of the text.
            (
                change((9, 0), (9, 4), "z"),
                PositionEncoding::Utf16,
                "x = '😀'\ny = 1\nz",
            ),
            // Inside a surrogate pair: before the character.
            (
                change((0, 6), (0, 6), "#"),
                PositionEncoding::Utf16,
                "x = '#😀'\ny = 1\n",
            ),
            // Inside a UTF-8 sequence: before the character.
            (
                change((0, 7), (0, 7), "#"),
                PositionEncoding::Utf8,
                "x = '#😀'\ny = 1\n",
            ),
            // An end before the start: the range between them.
            (
                change((1, 5), (1, 0), "w = 2"),
                PositionEncoding::Utf8,
                "x = '😀'\nw = 2\n",
            ),
        ];
        for (change, encoding, expected) in cases {
            let mut document = TextDocument::new(source.to_string(), 1);
            document.apply_changes(vec![change], 2, encoding);
            assert_eq!(document.text(), expected);
        }
    }

    #[test]
    fn applied_changes_are_byte_ranges_in_order() {
        let mut document = TextDocument::new("é = 1\nb = 2\n".to_string(), 1);
        let changes = document.apply_changes(
            vec![
                change((0, 4), (0, 5), "10"),
                change((1, 0), (1, 0), "# x\n"),
            ],
            2,
            PositionEncoding::Utf16,
        );
        let at = |start: u32, end: u32, inserted: u32| TextChange {
            replaced: TextRange::new(TextSize::new(start), TextSize::new(end)),
            inserted: TextSize::new(inserted),
        };
        // `é` is two bytes: UTF-16 column 4 is byte 5.
        assert_eq!(changes, [at(5, 6, 2), at(8, 8, 4)]);
    }

    #[test]
    fn lines() {
        let document = TextDocument::new("a\n    b = 1  \r\n\nlast".to_string(), 1);
        let text = |range: TextRange| &document.text()[range];
        assert_eq!(document.line_content(2).map(text), Some("b = 1"));
        assert_eq!(document.line_content(3).map(text), Some(""));
        assert_eq!(document.line_content(4).map(text), Some("last"));
        assert_eq!(document.line_content(5), None);
        assert_eq!(document.line_content(0), None);
        assert_eq!(document.line_number(TextSize::new(6)), 2);
        assert_eq!(document.line_end(TextSize::new(6)), TextSize::new(13));
        assert_eq!(document.line_end(TextSize::new(17)), TextSize::new(20));
    }

    #[test]
    fn full_replacement() {
        let mut document = TextDocument::new("old".to_string(), 1);
        document.apply_changes(
            vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "new\n".to_string(),
            }],
            5,
            PositionEncoding::Utf8,
        );
        assert_eq!(document.text(), "new\n");
        assert_eq!(document.version(), 5);
    }
}
