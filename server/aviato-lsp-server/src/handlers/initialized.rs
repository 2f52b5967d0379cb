use crate::session::Session;

pub(crate) async fn initialized(session: &Session) {
    if let Some(problem) = session.take_deferred_problem() {
        session.show_problem(problem).await;
    }
}
