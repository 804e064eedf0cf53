//! `/scim/v2` (RFC 7644): routes, bearer authentication for SCIM tokens, media types, ETags
//! and errors. Every answer, errors included, is a SCIM message in `application/scim+json`;
//! requests may be `application/scim+json` or `application/json`.
use std::sync::Arc;

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{Path, Query, Request, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use serde_json::Value;

use super::AppState;
use crate::{
    domain::scim::{ScimError, discovery, project::Selection},
    error::AppError,
    service::scim::{self as scim, ListQuery, ScimFailure, Scope, users::Rendered},
};

pub const SCIM_JSON: &str = "application/scim+json";

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/Users",
            get(list_users)
                .post(create_user)
                .fallback(method_not_allowed),
        )
        .route(
            "/Users/.search",
            post(search_users).fallback(method_not_allowed),
        )
        .route(
            "/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user)
                .fallback(method_not_allowed),
        )
        .route(
            "/Groups",
            get(list_groups)
                .post(create_group)
                .fallback(method_not_allowed),
        )
        .route(
            "/Groups/.search",
            post(search_groups).fallback(method_not_allowed),
        )
        .route(
            "/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group)
                .fallback(method_not_allowed),
        )
        .route(
            "/ServiceProviderConfig",
            get(service_provider_config).fallback(method_not_allowed),
        )
        .route(
            "/ResourceTypes",
            get(resource_types).fallback(method_not_allowed),
        )
        .route(
            "/ResourceTypes/{id}",
            get(resource_type).fallback(method_not_allowed),
        )
        .route("/Schemas", get(schemas).fallback(method_not_allowed))
        .route("/Schemas/{id}", get(schema).fallback(method_not_allowed))
        .route("/Me", any(not_implemented))
        .route("/Bulk", any(not_implemented))
        .route("/.search", any(not_implemented))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state, authenticate))
        .layer(middleware::map_response(as_scim_message))
        .layer(middleware::from_fn(log_traffic))
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

/// A SCIM message.
fn message(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        body.to_string(),
    )
        .into_response()
}

fn error(e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = message(status, &e.to_json());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"autoprov-scim\""),
        );
    }
    response
}

fn failure(f: ScimFailure) -> Response {
    match f {
        ScimFailure::Protocol(e) => {
            tracing::info!(status = e.status, detail = %e.detail, "SCIM request refused");
            error(&e)
        }
        ScimFailure::Internal(e) => {
            tracing::error!(error = %e, "SCIM request failed");
            error(&ScimError::new(
                500,
                None,
                "the server could not complete the request; the server log has the cause under \
                 this response's x-request-id",
            ))
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
    let mut rewritten = error(&ScimError::new(status.as_u16(), None, detail));
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
    let unauthenticated = |detail: &str| error(&ScimError::new(401, None, detail));
    let principal = match super::principal(&state, request.headers()).await {
        Ok(p) => p,
        Err(AppError::Unauthenticated) => {
            return unauthenticated(
                "a SCIM token is required: Authorization: Bearer <secret> with a live token of \
                 role scim",
            );
        }
        Err(e) => return failure(ScimFailure::Internal(e)),
    };
    let Some((brand, idp)) = principal.scim_scope() else {
        return error(&ScimError::new(
            403,
            None,
            format!(
                "this token has role {}; /scim/v2 takes only tokens of role scim",
                crate::domain::stored::StoredEnum::as_str(principal.role)
            ),
        ));
    };
    let base = base_url(request.headers());
    match scim::scope(&state.db, brand, idp, base).await {
        Ok(Some(scope)) => {
            tracing::debug!(token = %principal.token_name, "SCIM request authenticated");
            request.extensions_mut().insert(Arc::new(scope));
            next.run(request).await
        }
        Ok(None) => unauthenticated(
            "the identity-provider configuration this token was issued for no longer exists",
        ),
        Err(e) => failure(ScimFailure::Internal(e)),
    }
}

async fn not_found(request: Request) -> Response {
    error(&ScimError::not_found(format!(
        "no SCIM endpoint at {}",
        request.uri().path()
    )))
}

async fn method_not_allowed(method: Method) -> Response {
    error(&ScimError::new(
        405,
        None,
        format!("{method} is not supported on this endpoint"),
    ))
}

async fn not_implemented(request: Request) -> Response {
    error(&ScimError::new(
        501,
        None,
        format!(
            "{} is not implemented (ServiceProviderConfig lists what is)",
            request.uri().path()
        ),
    ))
}

type Scoped = Extension<Arc<Scope>>;

/// A request body: `application/scim+json` or `application/json` (or no type), and JSON.
fn body_json(headers: &HeaderMap, body: &Bytes) -> Result<Value, ScimError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let essence = content_type
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence != SCIM_JSON && essence != "application/json" {
            return Err(ScimError::new(
                415,
                None,
                format!("Content-Type must be {SCIM_JSON} or application/json, not {essence}"),
            ));
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the request body is not JSON: {e}")))
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// 200 (or 201 with `Location`) with the resource and its `ETag`; a GET whose
/// `If-None-Match` names the current version is 304.
fn resource(status: StatusCode, rendered: Rendered, headers: Option<&HeaderMap>) -> Response {
    let not_modified = headers
        .and_then(|h| h.get(header::IF_NONE_MATCH))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|t| t.trim() == rendered.version));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        message(status, &rendered.body)
    };
    if let Ok(etag) = HeaderValue::from_str(&rendered.version) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&rendered.location)
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn integer(name: &str, raw: Option<&str>) -> Result<Option<i64>, ScimError> {
    raw.map(|v| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| ScimError::invalid_value(format!("{name}: must be an integer, not {v:?}")))
    })
    .transpose()
}

/// The query string's list parameters (RFC 7644 §3.4.2); unknown parameters are ignored.
fn list_query(
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<ListQuery, ScimError> {
    let Query(params) = params
        .map_err(|e| ScimError::invalid_syntax(format!("the query string is malformed: {e}")))?;
    Ok(ListQuery {
        filter: param(&params, "filter").map(str::to_owned),
        start_index: integer("startIndex", param(&params, "startIndex"))?,
        count: integer("count", param(&params, "count"))?,
        selection: Selection::parse(
            param(&params, "attributes"),
            param(&params, "excludedAttributes"),
        )?,
    })
}

/// A `.search` body (RFC 7644 §3.4.3).
fn search_query(headers: &HeaderMap, body: &Bytes) -> Result<ListQuery, ScimError> {
    let body = body_json(headers, body)?;
    let body = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
    let get = |name: &str| {
        body.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    };
    let names = |name: &str| -> Result<Option<String>, ScimError> {
        match get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_owned).ok_or_else(|| {
                        ScimError::invalid_value(format!("{name}: must be a list of strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| Some(v.join(","))),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ScimError::invalid_value(format!(
                "{name}: must be a list of strings"
            ))),
        }
    };
    let number = |name: &str| -> Result<Option<i64>, ScimError> {
        match get(name) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| {
                ScimError::invalid_value(format!("{name}: must be an integer, not {v}"))
            }),
        }
    };
    let filter = match get("filter") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(ScimError::invalid_filter(format!(
                "filter: must be a string, not {v}"
            )));
        }
    };
    let attributes = names("attributes")?;
    let excluded = names("excludedAttributes")?;
    Ok(ListQuery {
        filter,
        start_index: number("startIndex")?,
        count: number("count")?,
        selection: Selection::parse(attributes.as_deref(), excluded.as_deref())?,
    })
}

fn selection(
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Selection, ScimError> {
    Ok(list_query(params)?.selection)
}

fn ok_list(result: Result<Value, ScimFailure>) -> Response {
    match result {
        Ok(list) => message(StatusCode::OK, &list),
        Err(f) => failure(f),
    }
}

async fn list_users(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    match list_query(params) {
        Ok(query) => ok_list(scim::users::list(&state.db, &scope, &query).await),
        Err(e) => error(&e),
    }
}

async fn search_users(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match search_query(&headers, &body) {
        Ok(query) => ok_list(scim::users::list(&state.db, &scope, &query).await),
        Err(e) => error(&e),
    }
}

async fn get_user(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let selection = match selection(params) {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    match scim::users::get(&state.db, &scope, &id, &selection).await {
        Ok(user) => resource(StatusCode::OK, user, Some(&headers)),
        Err(f) => failure(f),
    }
}

async fn create_user(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match body_json(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    match scim::users::create(&state.db, &state.write_gate, &scope, &body).await {
        Ok(user) => resource(StatusCode::CREATED, user, None),
        Err(f) => failure(f),
    }
}

async fn replace_user(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match body_json(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let if_match = if_match(&headers);
    match scim::users::replace(
        &state.db,
        &state.write_gate,
        &scope,
        &id,
        &body,
        if_match.as_deref(),
    )
    .await
    {
        Ok(user) => resource(StatusCode::OK, user, None),
        Err(f) => failure(f),
    }
}

async fn patch_user(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match body_json(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let if_match = if_match(&headers);
    match scim::users::patch(
        &state.db,
        &state.write_gate,
        &scope,
        &id,
        &body,
        if_match.as_deref(),
    )
    .await
    {
        Ok(user) => resource(StatusCode::OK, user, None),
        Err(f) => failure(f),
    }
}

async fn delete_user(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let if_match = if_match(&headers);
    match scim::users::delete(
        &state.db,
        &state.write_gate,
        &scope,
        &id,
        if_match.as_deref(),
    )
    .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(f) => failure(f),
    }
}

async fn list_groups(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    match list_query(params) {
        Ok(query) => ok_list(scim::groups::list(&state.db, &scope, &query).await),
        Err(e) => error(&e),
    }
}

async fn search_groups(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match search_query(&headers, &body) {
        Ok(query) => ok_list(scim::groups::list(&state.db, &scope, &query).await),
        Err(e) => error(&e),
    }
}

async fn get_group(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let selection = match selection(params) {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    match scim::groups::get(&state.db, &scope, &id, &selection).await {
        Ok(group) => resource(StatusCode::OK, group, Some(&headers)),
        Err(f) => failure(f),
    }
}

async fn create_group(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match body_json(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    match scim::groups::create(&state.db, &state.write_gate, &scope, &body).await {
        Ok(group) => resource(StatusCode::CREATED, group, None),
        Err(f) => failure(f),
    }
}

async fn replace_group(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match body_json(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let if_match = if_match(&headers);
    match scim::groups::replace(
        &state.db,
        &state.write_gate,
        &scope,
        &id,
        &body,
        if_match.as_deref(),
    )
    .await
    {
        Ok(group) => resource(StatusCode::OK, group, None),
        Err(f) => failure(f),
    }
}

async fn patch_group(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match body_json(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let if_match = if_match(&headers);
    match scim::groups::patch(
        &state.db,
        &state.write_gate,
        &scope,
        &id,
        &body,
        if_match.as_deref(),
    )
    .await
    {
        Ok(group) => resource(StatusCode::OK, group, None),
        Err(f) => failure(f),
    }
}

async fn delete_group(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let if_match = if_match(&headers);
    match scim::groups::delete(
        &state.db,
        &state.write_gate,
        &scope,
        &id,
        if_match.as_deref(),
    )
    .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(f) => failure(f),
    }
}

async fn service_provider_config(Extension(scope): Scoped) -> Response {
    message(
        StatusCode::OK,
        &discovery::service_provider_config(&scope.base),
    )
}

fn discovery_list(resources: Vec<Value>) -> Response {
    message(
        StatusCode::OK,
        &serde_json::json!({
            "schemas": [crate::domain::scim::LIST_SCHEMA],
            "totalResults": resources.len(),
            "startIndex": 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

async fn resource_types(Extension(scope): Scoped) -> Response {
    discovery_list(discovery::resource_types(&scope.base))
}

async fn resource_type(Extension(scope): Scoped, Path(id): Path<String>) -> Response {
    match discovery::resource_type(&scope.base, &id) {
        Some(r) => message(StatusCode::OK, &r),
        None => error(&ScimError::not_found(format!("no resource type {id:?}"))),
    }
}

async fn schemas(Extension(scope): Scoped) -> Response {
    discovery_list(discovery::schemas(&scope.base))
}

async fn schema(Extension(scope): Scoped, Path(id): Path<String>) -> Response {
    match discovery::schema(&scope.base, &id) {
        Some(s) => message(StatusCode::OK, &s),
        None => error(&ScimError::not_found(format!("no schema {id:?}"))),
    }
}
