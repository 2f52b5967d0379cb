//! AV306: cwsandbox refuses a payload holding a dict with a non-`str` key at any
//! depth. Reported where AV301 looks at captures and call arguments.

/// The message for `what` (a capture's name in backticks, or "this argument").
pub(crate) fn message(what: &str) -> String {
    format!(
        "{what} holds a dict with a key that is not a `str`; cwsandbox checks the payload before sending it, so `.result()` raises `TypeError: Function payload contains a dict with non-string keys` before any sandbox starts"
    )
}
