//! HTTP routes: `/graphql` (GraphQL over HTTP, in `graphql_over_http`; the bearer token is
//! checked before anything else runs), the playground's assets (`playground`), `/metrics`
//! (`metrics`), `/healthz`, `/readyz`, `POST /employee-files` (`employee_files`), `/scim/v2`
//! (`scim`); the request deadline (`deadline`), the accept loop (`server`) and HTTPS (`tls`).
mod deadline;
mod employee_files;
mod graphql_over_http;
pub mod metrics;
pub mod playground;
mod scim;
pub(crate) mod server;
pub(crate) mod tls;

use std::{ops::Deref, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, Request, StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    domain::access::{Principal, Role},
    error::{AppError, Credentials},
    service::{
        App,
        health::{self, NotReady},
    },
    transport::graphql::AppSchema,
};

/// What the routes share, behind one `Arc`: axum clones the state for each extractor and
/// middleware of every request, and cloning the fields one by one (an `Arc` each, and a `Vec`)
/// showed in the server's profile under SCIM load.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The application the use cases run on, and what only HTTP needs.
pub struct Shared {
    pub app: App,
    pub schema: AppSchema,
    pub batch_window: Duration,
    /// Roles whose tokens may read `/metrics` here.
    pub metrics_roles: Vec<Role>,
    /// The body limit of `POST /employee-files`, in place of the router-wide one.
    pub max_employee_file_bytes: usize,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

/// The caller of a request, from its bearer token: `Unauthenticated` without a valid one,
/// another error when the token store cannot be read.
async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, AppError> {
    let secret = bearer(headers)
        .filter(|secret| !secret.is_empty())
        .ok_or(AppError::Unauthenticated(Credentials::Missing))?;
    state.app.authenticate(secret).await
}

pub fn router(state: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    // A route's own `DefaultBodyLimit` is applied after (inside) the router-wide one, so it
    // wins for that route.
    let employee_files =
        post(employee_files::post).layer(DefaultBodyLimit::max(state.max_employee_file_bytes));
    Router::new()
        .route(
            "/graphql",
            get(graphql_over_http::get).post(graphql_over_http::post),
        )
        .route("/graphql/assets/{*path}", get(playground::asset))
        .route("/metrics", get(metrics::scrape))
        .nest("/scim/v2", scim::router(state.clone()))
        .route("/employee-files", employee_files)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // A body that trickles in ends with 408; a handler stuck on the database with 503.
        .layer(middleware::from_fn_with_state(
            request_timeout,
            deadline::enforce,
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

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match health::database_ready(state.app.db(), Duration::from_secs(2)).await {
        Ok(()) => "ready".into_response(),
        Err(NotReady::Unreachable) => {
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(NotReady::TimedOut) => {
            (StatusCode::SERVICE_UNAVAILABLE, "database timed out").into_response()
        }
    }
}
