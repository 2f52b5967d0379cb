use std::sync::Arc;

use aviato_analysis::text::{LineIndex, PositionEncoding};
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use crate::proto::{LineMap, from_proto};

/// An open document's text at one version. Cloning it is cheap, so a clone is the
/// snapshot analysis runs on while the client keeps editing.
#[derive(Clone, Debug)]
pub(crate) struct TextDocument {
    text: Arc<str>,
    index: LineIndex,
    version: i32,
}

impl TextDocument {
    pub(crate) fn new(text: String, version: i32) -> TextDocument {
        let index = LineIndex::from_source_text(&text);
        TextDocument {
            text: text.into(),
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

    /// Applies the changes in order: each change's range refers to the text left by
    /// the ones before it. A change without a range replaces the whole text.
    pub(crate) fn apply_changes(
        &mut self,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        encoding: PositionEncoding,
    ) {
        let mut text = self.text.to_string();
        let mut index = self.index.clone();
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let range =
                        from_proto::text_range(range, LineMap::new(&text, &index, encoding));
                    text.replace_range(std::ops::Range::<usize>::from(range), &change.text);
                }
            }
            index = LineIndex::from_source_text(&text);
        }
        self.text = text.into();
        self.index = index;
        self.version = version;
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
