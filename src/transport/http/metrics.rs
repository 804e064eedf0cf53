//! `GET /metrics` (Prometheus text format) and the middleware that counts and times every HTTP
//! request by route. On the main address only tokens of `--metrics-roles` may read it; with
//! `--metrics-bind` a second, tokenless listener serves it alone, for a Prometheus on a
//! private network.
use std::time::Instant;

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};

use super::AppState;
use crate::{error::AppError, service::health};

const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

fn exposition(state: &AppState) -> Response {
    let pool = health::pool_usage(state.app.db());
    let body = state.app.metrics().render(pool, state.app.statements_run());
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], body).into_response()
}

/// `GET /metrics` on the main address: a token of one of the configured roles.
pub async fn scrape(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    match super::principal(&state, &headers).await {
        Ok(principal) if state.metrics_roles.contains(&principal.role) => exposition(&state),
        Ok(_) => (
            StatusCode::FORBIDDEN,
            "this token's role may not read /metrics (see --metrics-roles)\n",
        )
            .into_response(),
        Err(AppError::Unauthenticated(_)) => {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                "send `Authorization: Bearer <token>` (see --metrics-roles), or scrape the \
                 --metrics-bind address\n",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: token lookup failed");
            (StatusCode::SERVICE_UNAVAILABLE, "token store unavailable\n").into_response()
        }
    }
}

/// The router of the `--metrics-bind` listener: `/metrics` without a token, nothing else.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { exposition(&state) }),
        )
        .with_state(state)
}

/// The method label: one of the standard methods, else `other`. Clients may send any token
/// as a method (hyper accepts 60 KB ones), and a label per invented method would let anyone
/// grow the scrape without bound.
fn method_label(method: &Method) -> &'static str {
    let standard = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    let known = standard.into_iter().find(|name| *name == method.as_str());
    known.unwrap_or("other")
}

/// Counts and times each request under its route pattern (not its raw path, which clients
/// choose) and a known method: requests that match no route share the label `unmatched`,
/// invented methods the label `other`. The status is one the server chose.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    state.app.metrics().http_request(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
