//! The handlers of `/Users`, `/Groups` and the discovery endpoints: read the request, call the
//! service, write the answer.
use axum::{
    Extension,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
    message,
    requests::{
        QueryParams, Scoped, answer, body_json, if_match, list_query, listed, resource,
        search_query, selection,
    },
};
use crate::{
    domain::scim::{ScimError, discovery},
    service::scim::{
        list_response,
        resource::{self as resources, ScimResource, Update},
    },
    transport::http::AppState,
};

// The handlers of any resource type (`/Users`, `/Groups`): read the request, call the
// service's [`ScimResource`], write the answer. Routed as `list::<Users>` and so on.

pub(super) async fn list<R: ScimResource>(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    params: QueryParams,
) -> Result<Response, ScimError> {
    let query = list_query(params)?;
    Ok(listed(
        resources::list::<R>(&state.app, &scope, &query).await,
    ))
}

pub(super) async fn search<R: ScimResource>(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let query = search_query(&headers, &body)?;
    Ok(listed(
        resources::list::<R>(&state.app, &scope, &query).await,
    ))
}

pub(super) async fn read<R: ScimResource>(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ScimError> {
    let selection = selection(params)?;
    let found = resources::get::<R>(&state.app, &scope, &id, &selection).await;
    Ok(resource(StatusCode::OK, found, Some(&headers)))
}

pub(super) async fn create<R: ScimResource>(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    headers: HeaderMap,
    params: QueryParams,
    body: Bytes,
) -> Result<Response, ScimError> {
    let selection = selection(params)?;
    let body = body_json(&headers, &body)?;
    let created = R::create(&state.app, &scope, &body, &selection).await;
    Ok(resource(StatusCode::CREATED, created, None))
}

/// `PUT` and `PATCH`.
pub(super) async fn update<R: ScimResource>(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
    params: QueryParams,
    body: Bytes,
) -> Result<Response, ScimError> {
    let selection = selection(params)?;
    let body = body_json(&headers, &body)?;
    let how = if method == Method::PATCH {
        Update::Patch
    } else {
        Update::Replace
    };
    let if_match = if_match(&headers);
    let if_match = if_match.as_deref();
    let updated = R::update(&state.app, &scope, &id, how, &body, if_match, &selection).await;
    Ok(answer(updated))
}

pub(super) async fn delete<R: ScimResource>(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let if_match = if_match(&headers);
    let deleted = resources::delete::<R>(&state.app, &scope, &id, if_match.as_deref()).await;
    deleted.map(|()| StatusCode::NO_CONTENT).into_response()
}

pub(super) async fn service_provider_config(Extension(scope): Scoped) -> Response {
    let config = discovery::service_provider_config(&scope.base);
    message(StatusCode::OK, &config)
}

/// All of a discovery endpoint's resources, as one `ListResponse` page.
fn discovery_list(resources: Vec<Value>) -> Response {
    let total = resources.len() as u64;
    message(StatusCode::OK, &list_response(total, 0, resources))
}

pub(super) async fn resource_types(Extension(scope): Scoped) -> Response {
    discovery_list(discovery::resource_types(&scope.base))
}

pub(super) async fn resource_type(
    Extension(scope): Scoped,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    discovered(
        discovery::resource_type(&scope.base, &id),
        "resource type",
        &id,
    )
}

pub(super) async fn schemas(Extension(scope): Scoped) -> Response {
    discovery_list(discovery::schemas(&scope.base))
}

pub(super) async fn schema(
    Extension(scope): Scoped,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    discovered(discovery::schema(&scope.base, &id), "schema", &id)
}

/// One discovery resource, or 404 naming what was asked for.
fn discovered(found: Option<Value>, what: &str, id: &str) -> Result<Response, ScimError> {
    let found = found.ok_or_else(|| ScimError::not_found(format!("no {what} {id:?}")))?;
    Ok(message(StatusCode::OK, &found))
}
