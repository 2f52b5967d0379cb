use crate::session::Session;

pub(crate) async fn shutdown(session: &Session) {
    tracing::info!("shutdown requested");
    session.request_shutdown();
    session.runs().cancel_all().await;
}
