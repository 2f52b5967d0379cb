use crate::session::Session;

pub(crate) fn shutdown(session: &Session) {
    tracing::info!("shutdown requested");
    session.request_shutdown();
}
