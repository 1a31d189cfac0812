//! Reading what the client still sends after an early answer.
//!
//! When a handler answers before reading the whole request body — a 413 for
//! a body over its limit, a 403 for a bad signature — the client is usually
//! still writing. Closing the connection then makes the client's write fail
//! and many clients (browsers, curl, reqwest) report that failure instead of
//! the answer. So, like a web server's "lingering close", this middleware
//! reads and discards what is left of the body (at most [`DRAIN_LIMIT`]
//! bytes, for at most [`DRAIN_TIME`]) before the response goes out.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use http_body::{Frame, SizeHint};

/// Most bytes read and thrown away after an early answer.
pub const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
/// Longest time spent reading them.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The middleware: hands the handler a body it shares with us, then drains
/// whatever the handler left unread.
pub async fn drain_unread_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let shared = Shared(Arc::new(Mutex::new(Some(body))));
    let handed = Body::new(shared.clone());
    let response = next.run(Request::from_parts(parts, handed)).await;
    let rest = shared.lock().take();
    if let Some(rest) = rest {
        drain(rest).await;
    }
    response
}

async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    })
    .await;
}

/// A request body two owners share: the handler reads from it, and
/// afterwards the middleware takes what is left.
#[derive(Clone)]
struct Shared(Arc<Mutex<Option<Body>>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Option<Body>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl http_body::Body for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut guard = self.lock();
        match guard.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.lock()
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        // Keeps Content-Length visible, so limits can refuse a body early.
        self.lock()
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    #[tokio::test]
    async fn what_the_handler_left_unread_is_drained_and_its_answer_kept() {
        let app = Router::new()
            .route(
                "/",
                post(|| async { (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "too large") }),
            )
            .layer(axum::middleware::from_fn(drain_unread_body));
        let read = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = read.clone();
        let chunks = futures::stream::iter(0..100).map(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1024]))
        });
        let response = app
            .oneshot(Request::post("/").body(Body::from_stream(chunks)).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        // Every chunk the client sent was read before the answer went out.
        assert_eq!(read.load(std::sync::atomic::Ordering::SeqCst), 100);
    }

    #[tokio::test]
    async fn a_handler_reading_the_body_gets_all_of_it() {
        let app = Router::new()
            .route(
                "/",
                post(|body: String| async move { body.len().to_string() }),
            )
            .layer(axum::middleware::from_fn(drain_unread_body));
        let response = app
            .oneshot(
                Request::post("/")
                    .body(Body::from("x".repeat(5000)))
                    .unwrap(),
            )
            .await
            .unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), 100)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"5000");
    }
}
