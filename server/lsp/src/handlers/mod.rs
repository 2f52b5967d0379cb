//! One module per request or notification. Notification handlers change the
//! session before their first `await`, so edits apply in the order they arrive.

pub(crate) mod did_change;
pub(crate) mod did_change_configuration;
pub(crate) mod did_close;
pub(crate) mod did_open;
pub(crate) mod initialize;
pub(crate) mod initialized;
pub(crate) mod shutdown;
