//! Every conversion between analysis types and protocol types, in one place.
//!
//! The analysis speaks UTF-8 byte offsets; the protocol speaks lines and columns
//! counted in the position encoding negotiated with the client.

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
