//! `/scim/v2` (RFC 7644): routes, bearer authentication for SCIM tokens, media types, ETags
//! and errors. Every answer, errors included, is a SCIM message in `application/scim+json`;
//! requests may be `application/scim+json` or `application/json`.
use std::sync::Arc;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};

use super::AppState;
use crate::{
    domain::{access::Role, scim::ScimError},
    error::AppError,
    service::scim::{
        self as scim, ScimFailure,
        resource::{Groups, ScimResource, Users},
    },
};

mod requests;
mod resources;

use resources::*;

pub const SCIM_JSON: &str = "application/scim+json";

pub fn router(state: AppState) -> Router<AppState> {
    let mut router = endpoints_of::<Groups>(endpoints_of::<Users>(Router::new()));
    for (path, discovery) in [
        ("/ServiceProviderConfig", get(service_provider_config)),
        ("/ResourceTypes", get(resource_types)),
        ("/ResourceTypes/{id}", get(resource_type)),
        ("/Schemas", get(schemas)),
        ("/Schemas/{id}", get(schema)),
    ] {
        router = router.route(path, discovery.fallback(method_not_allowed));
    }
    for path in ["/Me", "/Bulk", "/.search"] {
        router = router.route(path, any(not_implemented));
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state, authenticate))
        .layer(middleware::map_response(as_scim_message))
        .layer(middleware::from_fn(log_traffic))
}

/// A resource type's endpoints (RFC 7644 §3.2): its list, its `.search` and its resources.
fn endpoints_of<R: ScimResource>(router: Router<AppState>) -> Router<AppState> {
    let path = R::ENDPOINT;
    router
        .route(
            path,
            get(list::<R>)
                .post(create::<R>)
                .fallback(method_not_allowed),
        )
        .route(
            &format!("{path}/.search"),
            post(search::<R>).fallback(method_not_allowed),
        )
        .route(
            &format!("{path}/{{id}}"),
            get(read::<R>)
                .put(update::<R>)
                .patch(update::<R>)
                .delete(delete::<R>)
                .fallback(method_not_allowed),
        )
}

/// One log line per SCIM request, in the request's span (so with its `x-request-id`): IdPs
/// retry silently, and support needs to see what Okta or Entra actually sent and got.
async fn log_traffic(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "autoprov::scim",
        %method,
        path,
        query = query.as_deref().unwrap_or(""),
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "SCIM request"
    );
    response
}

/// A SCIM message. A body that cannot be written (it never happens: every key is a string)
/// is our failure, a bare 500.
fn message(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(json) => (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
            json,
        )
            .into_response(),
        Err(e) => ScimFailure::Internal(AppError::Internal(format!(
            "a SCIM answer could not be written: {e}"
        )))
        .into_response(),
    }
}

/// A refused request answers with its SCIM error, so handlers can `?` one.
impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = message(status, &self.to_json());
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"autoprov-scim\""),
            );
        }
        response
    }
}

/// A failed use case answers with its SCIM error, or a bare 500 for our own failure.
impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        match self {
            ScimFailure::Protocol(e) => {
                tracing::info!(status = e.status, detail = %e.detail, "SCIM request refused");
                e.into_response()
            }
            ScimFailure::Internal(AppError::Unavailable(cause)) => {
                tracing::warn!(%cause, "SCIM request: the database is unavailable");
                super::deadline::unavailable(true, "the database is busy")
            }
            ScimFailure::Internal(e) => {
                tracing::error!(error = %e, "SCIM request failed");
                ScimError::new(
                    500,
                    None,
                    "the server could not complete the request; the server log has the cause \
                     under this response's x-request-id",
                )
                .into_response()
            }
        }
    }
}

/// Whatever the router answered without a SCIM body (a rejected extractor, a body over the
/// size limit, a timeout) becomes a SCIM error with the same status.
async fn as_scim_message(response: Response) -> Response {
    let is_scim = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(SCIM_JSON));
    if is_scim || response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        return response;
    }
    let status = response.status();
    let allow = response.headers().get(header::ALLOW).cloned();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        StatusCode::REQUEST_TIMEOUT => "the request took too long".to_owned(),
        other => other
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned(),
    };
    let mut rewritten = ScimError::new(status.as_u16(), None, detail).into_response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    rewritten
}

/// The SCIM base URL as the client reached it (behind a proxy: `X-Forwarded-Proto` and
/// `X-Forwarded-Host`).
fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let scheme = get("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}/scim/v2")
}

/// Only a live SCIM token opens `/scim/v2`, for the configuration it was issued for.
async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let unauthenticated = |detail: &str| ScimError::new(401, None, detail).into_response();
    let principal = match super::principal(&state, request.headers()).await {
        Ok(p) => p,
        Err(AppError::Unauthenticated(_)) => {
            return unauthenticated(
                "a SCIM token is required: Authorization: Bearer <secret> with a live token of \
                 role scim",
            );
        }
        Err(e) => return ScimFailure::Internal(e).into_response(),
    };
    let gone = "the identity-provider configuration this token was issued for no longer exists";
    let Some(binding) = principal.scim_scope() else {
        if principal.role == Role::Scim {
            // A SCIM token of a configuration that was replaced before tokens were bound to
            // configuration rows (see the migration m20261202_000006).
            return unauthenticated(gone);
        }
        let role = crate::domain::stored::StoredEnum::as_str(principal.role);
        let detail = format!("this token has role {role}; /scim/v2 takes only tokens of role scim");
        return ScimError::new(403, None, detail).into_response();
    };
    let base = base_url(request.headers());
    match scim::scope(&state.app, binding, base).await {
        Ok(Some(scope)) => {
            tracing::debug!(token = %principal.token_name, "SCIM request authenticated");
            request.extensions_mut().insert(Arc::new(scope));
            next.run(request).await
        }
        Ok(None) => unauthenticated(gone),
        Err(e) => ScimFailure::Internal(e).into_response(),
    }
}

async fn not_found(request: Request) -> ScimError {
    ScimError::not_found(format!("no SCIM endpoint at {}", request.uri().path()))
}

async fn method_not_allowed(method: Method) -> ScimError {
    let detail = format!("{method} is not supported on this endpoint");
    ScimError::new(405, None, detail)
}

async fn not_implemented(request: Request) -> ScimError {
    let path = request.uri().path();
    let detail = format!("{path} is not implemented (ServiceProviderConfig lists what is)");
    ScimError::new(501, None, detail)
}
