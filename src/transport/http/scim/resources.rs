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
    service::scim,
    transport::http::AppState,
};

/// The handlers of one resource type (`/Users` or `/Groups`), over `service::scim::$service`:
/// read the request, call the service, write the answer.
macro_rules! resource_handlers {
    ($($service:ident),+) => {$(
        pub(super) mod $service {
            use super::*;

            pub(in crate::transport::http::scim) async fn list(
                State(state): State<AppState>,
                Extension(scope): Scoped,
                params: Result<Query<Vec<(String, String)>>, QueryRejection>,
            ) -> Response {
                match list_query(params) {
                    Ok(query) => ok_list(scim::$service::list(&state.db, &scope, &query).await),
                    Err(e) => error(&e),
                }
            }

            pub(in crate::transport::http::scim) async fn search(
                State(state): State<AppState>,
                Extension(scope): Scoped,
                headers: HeaderMap,
                body: Bytes,
            ) -> Response {
                match search_query(&headers, &body) {
                    Ok(query) => ok_list(scim::$service::list(&state.db, &scope, &query).await),
                    Err(e) => error(&e),
                }
            }

            pub(in crate::transport::http::scim) async fn get(
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
                match scim::$service::get(&state.db, &scope, &id, &selection).await {
                    Ok(found) => resource(StatusCode::OK, found, Some(&headers)),
                    Err(f) => failure(f),
                }
            }

            pub(in crate::transport::http::scim) async fn create(
                State(state): State<AppState>,
                Extension(scope): Scoped,
                headers: HeaderMap,
                body: Bytes,
            ) -> Response {
                let body = match body_json(&headers, &body) {
                    Ok(b) => b,
                    Err(e) => return error(&e),
                };
                match scim::$service::create(&state.db, &state.write_gate, &scope, &body).await {
                    Ok(created) => resource(StatusCode::CREATED, created, None),
                    Err(f) => failure(f),
                }
            }

            pub(in crate::transport::http::scim) async fn replace(
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
                let (db, gate) = (&state.db, &state.write_gate);
                match scim::$service::replace(db, gate, &scope, &id, &body, if_match.as_deref())
                    .await
                {
                    Ok(replaced) => resource(StatusCode::OK, replaced, None),
                    Err(f) => failure(f),
                }
            }

            pub(in crate::transport::http::scim) async fn patch(
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
                let (db, gate) = (&state.db, &state.write_gate);
                match scim::$service::patch(db, gate, &scope, &id, &body, if_match.as_deref())
                    .await
                {
                    Ok(patched) => resource(StatusCode::OK, patched, None),
                    Err(f) => failure(f),
                }
            }

            pub(in crate::transport::http::scim) async fn delete(
                State(state): State<AppState>,
                Extension(scope): Scoped,
                Path(id): Path<String>,
                headers: HeaderMap,
            ) -> Response {
                let if_match = if_match(&headers);
                let (db, gate) = (&state.db, &state.write_gate);
                match scim::$service::delete(db, gate, &scope, &id, if_match.as_deref()).await {
                    Ok(()) => StatusCode::NO_CONTENT.into_response(),
                    Err(f) => failure(f),
                }
            }
        }
    )+};
}

resource_handlers!(users, groups);

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
