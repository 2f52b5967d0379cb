//! Protocol values to analysis values. Bad positions are clamped, never trusted.

use aviato_analysis::text::{PositionEncoding, TextLen, TextRange, TextSize};
use tower_lsp_server::ls_types::{ClientCapabilities, Position, PositionEncodingKind, Range};

use super::LineMap;

/// UTF-8 when the client offers it (no conversion at all), else the protocol's
/// mandatory UTF-16.
pub(crate) fn position_encoding(capabilities: &ClientCapabilities) -> PositionEncoding {
    let offered = capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_deref())
        .unwrap_or_default();
    if offered.contains(&PositionEncodingKind::UTF8) {
        PositionEncoding::Utf8
    } else {
        PositionEncoding::Utf16
    }
}

/// The byte offset of `position`. A line past the end is the end of the text; a
/// column past the end of its line is the line's end (before the newline); a
/// column inside a character (a UTF-8 sequence, a surrogate pair) is that
/// character's start.
pub(crate) fn offset(position: Position, lines: LineMap<'_>) -> TextSize {
    let LineMap {
        text,
        index,
        encoding,
    } = lines;
    let starts = index.line_starts();
    let line = usize::try_from(position.line).unwrap_or(usize::MAX);
    let Some(&line_start) = starts.get(line) else {
        return text.text_len();
    };
    let line_end = starts
        .get(line + 1)
        .map_or(text.len(), |next| next.to_usize());
    let line_text = text[line_start.to_usize()..line_end].trim_end_matches(['\n', '\r']);
    let column = usize::try_from(position.character).unwrap_or(usize::MAX);
    let within_line = match encoding {
        PositionEncoding::Utf8 => line_text.floor_char_boundary(column),
        PositionEncoding::Utf16 => byte_of_column(line_text, column, char::len_utf16),
        PositionEncoding::Utf32 => byte_of_column(line_text, column, |_| 1),
    };
    line_start + line_text[..within_line].text_len()
}

/// The byte offset in `line` of the character at `column`, counting each
/// character as `width` units.
fn byte_of_column(line: &str, column: usize, width: impl Fn(char) -> usize) -> usize {
    let mut units = 0;
    for (byte, character) in line.char_indices() {
        units += width(character);
        if units > column {
            return byte;
        }
    }
    line.len()
}

/// The byte range of `range`; a range whose end comes before its start covers the
/// text between the two.
pub(crate) fn text_range(range: Range, lines: LineMap<'_>) -> TextRange {
    let start = offset(range.start, lines);
    let end = offset(range.end, lines);
    TextRange::new(start.min(end), start.max(end))
}

#[cfg(test)]
mod tests {
    use aviato_analysis::text::LineIndex;
    use tower_lsp_server::ls_types::GeneralClientCapabilities;

    use super::*;

    fn offset_in(text: &str, line: u32, character: u32, encoding: PositionEncoding) -> u32 {
        let index = LineIndex::from_source_text(text);
        offset(
            Position::new(line, character),
            LineMap::new(text, &index, encoding),
        )
        .into()
    }

    #[test]
    fn negotiates_utf8_only_when_offered() {
        let with = |encodings: Option<Vec<PositionEncodingKind>>| ClientCapabilities {
            general: Some(GeneralClientCapabilities {
                position_encodings: encodings,
                ..GeneralClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        assert!(matches!(
            position_encoding(&with(Some(vec![
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ]))),
            PositionEncoding::Utf8
        ));
        assert!(matches!(
            position_encoding(&with(Some(vec![PositionEncodingKind::UTF32]))),
            PositionEncoding::Utf16
        ));
        assert!(matches!(
            position_encoding(&with(None)),
            PositionEncoding::Utf16
        ));
        assert!(matches!(
            position_encoding(&ClientCapabilities::default()),
            PositionEncoding::Utf16
        ));
    }

    #[test]
    fn columns_in_each_encoding() {
        let text = "é😀中x\n";
        for (encoding, column) in [
            (PositionEncoding::Utf8, 9),
            (PositionEncoding::Utf16, 4),
            (PositionEncoding::Utf32, 3),
        ] {
            assert_eq!(offset_in(text, 0, column, encoding), 9, "{encoding:?}");
        }
    }

    #[test]
    fn crlf_and_cr_line_endings() {
        let text = "ab\r\ncd\ref";
        assert_eq!(offset_in(text, 0, 9, PositionEncoding::Utf16), 2);
        assert_eq!(offset_in(text, 1, 1, PositionEncoding::Utf16), 5);
        assert_eq!(offset_in(text, 1, 9, PositionEncoding::Utf16), 6);
        assert_eq!(offset_in(text, 2, 2, PositionEncoding::Utf16), 9);
    }

    #[test]
    fn extreme_positions_do_not_panic() {
        for text in ["", "\n", "😀", "a\r\n😀\r", "中\n\n"] {
            for encoding in [
                PositionEncoding::Utf8,
                PositionEncoding::Utf16,
                PositionEncoding::Utf32,
            ] {
                for line in [0, 1, 2, u32::MAX] {
                    for character in [0, 1, 2, 3, u32::MAX] {
                        let offset = offset_in(text, line, character, encoding) as usize;
                        assert!(text.is_char_boundary(offset));
                    }
                }
            }
        }
    }
}
