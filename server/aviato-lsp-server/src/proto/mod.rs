//! Every conversion between analysis types and protocol types, in one place.
//!
//! The analysis speaks UTF-8 byte offsets; the protocol speaks lines and columns
//! counted in the position encoding negotiated with the client.

pub(crate) mod ext;
pub(crate) mod from_proto;
pub(crate) mod to_proto;

use aviato_analysis::text::{LineIndex, PositionEncoding};

/// A text, its line index and the client's position encoding: what converting a
/// position needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineMap<'a> {
    text: &'a str,
    index: &'a LineIndex,
    encoding: PositionEncoding,
}

impl<'a> LineMap<'a> {
    pub(crate) fn new(text: &'a str, index: &'a LineIndex, encoding: PositionEncoding) -> Self {
        LineMap {
            text,
            index,
            encoding,
        }
    }
}

#[cfg(test)]
mod tests {
    use aviato_analysis::text::{TextLen, TextSize};
    use proptest::prelude::*;
    use tower_lsp_server::ls_types::Position;

    use super::*;

    const ENCODINGS: [PositionEncoding; 3] = [
        PositionEncoding::Utf8,
        PositionEncoding::Utf16,
        PositionEncoding::Utf32,
    ];

    /// Text mixing ASCII, multi-byte characters and every kind of line ending.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec!["a", " ", "é", "中", "😀", "\n", "\r\n", "\r", "\t"]),
            0..40,
        )
        .prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn offsets_round_trip_through_positions(text in text(), at in 0usize..200) {
            let index = LineIndex::from_source_text(&text);
            let offset = text.floor_char_boundary(at.min(text.len()));
            for encoding in ENCODINGS {
                let lines = LineMap::new(&text, &index, encoding);
                let offset = TextSize::try_from(offset).unwrap();
                // Inside a `\r\n` there is no position; it maps to the line's end.
                let inside_crlf = text[..offset.to_usize()].ends_with('\r')
                    && text[offset.to_usize()..].starts_with('\n');
                let round_trip = from_proto::offset(to_proto::position(offset, lines), lines);
                if inside_crlf {
                    prop_assert_eq!(round_trip + TextSize::new(1), offset);
                } else {
                    prop_assert_eq!(round_trip, offset);
                }
            }
        }

        #[test]
        fn any_position_is_a_character_boundary(text in text(), line: u32, character: u32) {
            let index = LineIndex::from_source_text(&text);
            for encoding in ENCODINGS {
                let lines = LineMap::new(&text, &index, encoding);
                for position in [Position::new(line, character), Position::new(line % 8, character % 12)] {
                    let offset = from_proto::offset(position, lines);
                    prop_assert!(offset <= text.text_len());
                    prop_assert!(text.is_char_boundary(offset.to_usize()));
                }
            }
        }
    }
}
