//! The request deadline (`--request-timeout-seconds`): whose fault a late answer is decides its
//! status. A body still arriving when time runs out is the client's (408); a request that was
//! received whole and is still not answered is ours, overloaded or waiting on the database, and
//! is answered 503 with `Retry-After`, which Entra, Okta and portals retry.
use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use crate::{domain::scim::ScimError, error::UNAVAILABLE_RETRY_AFTER_SECONDS};

/// Answers `request` within `limit`, or says why not.
pub async fn enforce(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let scim = request.uri().path().starts_with("/scim/");
    let received = Arc::new(AtomicBool::new(request.body().is_end_stream()));
    let request = request.map(|body| {
        Body::new(Watched {
            inner: body,
            received: received.clone(),
        })
    });
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) if received.load(Ordering::Acquire) => {
            tracing::warn!(
                limit_seconds = limit.as_secs(),
                "a request was not answered in time; answered 503"
            );
            unavailable(scim, "the server could not answer in time")
        }
        Err(_) => late(
            scim,
            StatusCode::REQUEST_TIMEOUT,
            "the request took too long",
        ),
    }
}

/// 503 with `Retry-After`: in a SCIM error message on `/scim/v2`, in plain text elsewhere.
pub fn unavailable(scim: bool, why: &str) -> Response {
    let detail = format!("{why}; retry after {UNAVAILABLE_RETRY_AFTER_SECONDS} s");
    let mut response = late(scim, StatusCode::SERVICE_UNAVAILABLE, &detail);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECONDS),
    );
    response
}

fn late(scim: bool, status: StatusCode, detail: &str) -> Response {
    if scim {
        ScimError::new(status.as_u16(), None, detail).into_response()
    } else {
        (status, detail.to_owned()).into_response()
    }
}

/// A request body that notes when it has been read to its end.
struct Watched {
    inner: Body,
    received: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = <Body as HttpBody>::Data;
    type Error = <Body as HttpBody>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.received.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
