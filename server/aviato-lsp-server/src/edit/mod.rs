//! Documents as the client edits them, and the edits themselves, so that results
//! computed on an older revision can be carried to the current one.

mod change;
mod document;
mod history;

pub(crate) use change::{TextChange, map_range};
pub(crate) use document::TextDocument;
pub(crate) use history::EditHistory;
