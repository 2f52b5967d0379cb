//! Text positions, re-exported so the layers above need no parser crate.

pub use ruff_source_file::{LineIndex, OneIndexed, PositionEncoding, SourceLocation};
pub use ruff_text_size::{Ranged, TextLen, TextRange, TextSize};
