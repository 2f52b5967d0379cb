//! One module per request or notification.
//!
//! The transport runs each notification to completion before it reads the next
//! message, so edits apply in order. A notification handler must therefore never
//! wait for a reply from the client: it would wait for a message that is not read.

pub(crate) mod code_action;
pub(crate) mod code_lens;
pub(crate) mod did_change;
pub(crate) mod did_change_configuration;
pub(crate) mod did_close;
pub(crate) mod did_open;
pub(crate) mod execute_command;
pub(crate) mod hover;
pub(crate) mod initialize;
pub(crate) mod initialized;
pub(crate) mod inlay_hint;
pub(crate) mod sandbox_functions;
pub(crate) mod shutdown;
pub(crate) mod work_done_progress_cancel;
