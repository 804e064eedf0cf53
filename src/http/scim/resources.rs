//! The handlers of `/Users`, `/Groups` and the discovery endpoints: read the request, call the
//! service, write the answer.
use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
    error, failure, message,
    requests::{
        Scoped, body_json, if_match, list_query, ok_list, resource, search_query, selection,
    },
};
use crate::{
    domain::scim::{ScimError, discovery},
    http::AppState,
    service::scim,
};

pub(super) async fn list_users(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    match list_query(params) {
        Ok(query) => ok_list(scim::users::list(&state.db, &scope, &query).await),
        Err(e) => error(&e),
    }
}

pub(super) async fn search_users(
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

pub(super) async fn get_user(
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

pub(super) async fn create_user(
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

pub(super) async fn replace_user(
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

pub(super) async fn patch_user(
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

pub(super) async fn delete_user(
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

pub(super) async fn list_groups(
    State(state): State<AppState>,
    Extension(scope): Scoped,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    match list_query(params) {
        Ok(query) => ok_list(scim::groups::list(&state.db, &scope, &query).await),
        Err(e) => error(&e),
    }
}

pub(super) async fn search_groups(
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

pub(super) async fn get_group(
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

pub(super) async fn create_group(
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

pub(super) async fn replace_group(
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

pub(super) async fn patch_group(
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

pub(super) async fn delete_group(
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

pub(super) async fn service_provider_config(Extension(scope): Scoped) -> Response {
    message(
        StatusCode::OK,
        &discovery::service_provider_config(&scope.base),
    )
}

pub(super) fn discovery_list(resources: Vec<Value>) -> Response {
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

pub(super) async fn resource_types(Extension(scope): Scoped) -> Response {
    discovery_list(discovery::resource_types(&scope.base))
}

pub(super) async fn resource_type(Extension(scope): Scoped, Path(id): Path<String>) -> Response {
    match discovery::resource_type(&scope.base, &id) {
        Some(r) => message(StatusCode::OK, &r),
        None => error(&ScimError::not_found(format!("no resource type {id:?}"))),
    }
}

pub(super) async fn schemas(Extension(scope): Scoped) -> Response {
    discovery_list(discovery::schemas(&scope.base))
}

pub(super) async fn schema(Extension(scope): Scoped, Path(id): Path<String>) -> Response {
    match discovery::schema(&scope.base, &id) {
        Some(s) => message(StatusCode::OK, &s),
        None => error(&ScimError::not_found(format!("no schema {id:?}"))),
    }
}
