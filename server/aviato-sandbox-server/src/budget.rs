//! A bound on the request bytes the server holds at once, across every connection:
//! each body takes its bytes from one budget as they arrive and gives them back when
//! it is dropped; a body that finds the budget spent is refused with
//! `resource_exhausted` (HTTP 429), so that concurrent large bodies cannot take the
//! server's memory.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bytes of request bodies in flight, shared by all connections.
#[derive(Clone)]
pub(crate) struct Budget {
    bytes: Arc<Semaphore>,
    total: usize,
}

impl Budget {
    pub(crate) fn new(total: usize) -> Self {
        Self {
            bytes: Arc::new(Semaphore::new(total.min(Semaphore::MAX_PERMITS))),
            total,
        }
    }

    /// `body`, taking its bytes from this budget as they come.
    pub(crate) fn wrap<B>(&self, body: B) -> Budgeted<B> {
        Budgeted {
            inner: body,
            budget: self.clone(),
            held: None,
        }
    }

    fn exhausted(&self) -> tonic::Status {
        tonic::Status::resource_exhausted(format!(
            "the server holds {} MiB of request bodies at once, all taken: try again later",
            self.total / (1024 * 1024)
        ))
    }
}

/// A body whose bytes count against a [`Budget`] while it lives.
pub(crate) struct Budgeted<B> {
    inner: B,
    budget: Budget,
    held: Option<OwnedSemaphorePermit>,
}

impl<B> Budgeted<B> {
    /// Keeps the bytes taken so far for as long as the returned permit lives (the
    /// body read whole, and what was decoded from it, are still in memory).
    pub(crate) fn into_held(self) -> Option<OwnedSemaphorePermit> {
        self.held
    }
}

impl<B> Body for Budgeted<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            let taken = u32::try_from(data.len())
                .ok()
                .and_then(|bytes| this.budget.bytes.clone().try_acquire_many_owned(bytes).ok());
            match (taken, &mut this.held) {
                (None, _) => return Poll::Ready(Some(Err(Box::new(this.budget.exhausted())))),
                (Some(taken), Some(held)) => held.merge(taken),
                (Some(taken), held @ None) => *held = Some(taken),
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    #[tokio::test]
    async fn bodies_past_the_budget_are_refused_and_return_their_bytes() {
        let budget = Budget::new(100);
        let mut first = budget.wrap(Full::new(Bytes::from(vec![0u8; 60])));
        assert!(first.frame().await.unwrap().is_ok());
        let mut second = budget.wrap(Full::new(Bytes::from(vec![0u8; 60])));
        let refused = second.frame().await.unwrap().unwrap_err();
        let status = refused.downcast_ref::<tonic::Status>().unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        drop(first);
        let mut third = budget.wrap(Full::new(Bytes::from(vec![0u8; 60])));
        assert!(third.frame().await.unwrap().is_ok());
    }
}
