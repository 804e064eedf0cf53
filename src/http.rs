//! HTTP routes. `/graphql` authenticates the bearer token before anything else runs.
use std::{sync::Arc, time::Duration};

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLResponse;
use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, Request, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    db::{self, WriteGate},
    error::AppError,
    graphql::{self, AppSchema},
    service::{api_tokens::TokenCache, rate_limit::SignInPacer},
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub batch_window: Duration,
    pub tokens: Arc<TokenCache>,
    pub write_gate: WriteGate,
    pub sign_in_pacer: Arc<SignInPacer>,
}

pub fn router(state: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // A body that trickles in, or a handler stuck on the database, ends with 408.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// A response carrying one top-level GraphQL error.
fn graphql_error(status: StatusCode, error: &AppError) -> Response {
    let body = json!({
        "data": null,
        "errors": [{
            "message": graphql::errors::message(error),
            "extensions": { "code": graphql::errors::code(error) },
        }],
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let principal = match bearer(&headers) {
        None => return graphql_error(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated),
        Some(secret) => match state.tokens.authenticate(&state.db, secret).await {
            Ok(p) => p,
            Err(e @ AppError::Unauthenticated) => {
                return graphql_error(StatusCode::UNAUTHORIZED, &e);
            }
            Err(e) => return graphql_error(StatusCode::SERVICE_UNAVAILABLE, &e),
        },
    };
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let why = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "request body too large".to_owned()
            } else {
                format!("unreadable request body: {rejection}")
            };
            return graphql_error(status, &AppError::BadRequest(why));
        }
    };
    let request = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(_)) => {
            return graphql_error(
                StatusCode::BAD_REQUEST,
                &AppError::BadRequest(
                    "batched requests are not supported: send one operation per request".into(),
                ),
            );
        }
        Ok(value) => serde_json::from_value::<async_graphql::Request>(value),
        Err(e) => Err(e),
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            return graphql_error(
                StatusCode::BAD_REQUEST,
                &AppError::BadRequest(format!(
                    "the body must be a JSON object with `query` (and optional `variables`, \
                     `operationName`): {e}"
                )),
            );
        }
    };
    tracing::debug!(token_id = %principal.token_id, operation = ?request.operation_name, "graphql");
    let mut response = state
        .schema
        .execute(
            graphql::attach_loaders(request, &state.db, state.batch_window)
                .data(state.db.clone())
                .data(state.tokens.clone())
                .data(state.write_gate.clone())
                .data(state.sign_in_pacer.clone())
                .data(principal),
        )
        .await;
    // Resolver errors carry a code already; parse, validation and limit errors do not.
    let mut retry_after = None;
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "GRAPHQL_VALIDATION_FAILED");
        }
        if extensions.get("code") == Some(&async_graphql::Value::from("RATE_LIMITED")) {
            retry_after = extensions.get("retryAfter").map(ToString::to_string);
        }
    }
    let mut http_response = GraphQLResponse::from(response).into_response();
    if let Some(seconds) = retry_after {
        *http_response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(value) = HeaderValue::from_str(&seconds) {
            http_response
                .headers_mut()
                .insert(header::RETRY_AFTER, value);
        }
    }
    http_response
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("autoprov")
            .header("Authorization", "Bearer PASTE-YOUR-TOKEN-HERE")
            .finish(),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), db::ping(&state.db)).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out").into_response(),
    }
}
