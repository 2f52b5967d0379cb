//! Documents as the client edits them.

mod document;

pub(crate) use document::TextDocument;
