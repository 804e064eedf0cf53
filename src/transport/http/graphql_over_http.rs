//! `/graphql` as the GraphQL-over-HTTP specification has it. `POST` takes an
//! `application/json` body; `GET` runs queries from the URL (never mutations: 405); the answer
//! is `application/graphql-response+json` when the client accepts it, `application/json`
//! otherwise. With `application/graphql-response+json`, a request that could not be executed
//! (unparsable, invalid, bad variables) is a 400 without `data`; with `application/json` it is
//! a 200, as the specification requires for legacy clients. Malformed HTTP requests (no
//! `query`, parameters of the wrong type, batches, another body type) are 4xx either way.
//! Every error carries `extensions.requestId`, the `x-request-id` of the logs.
use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::{
    Extension,
    body::Bytes,
    extract::{Query, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};
use tower_http::request_id::RequestId;

use super::{AppState, playground};
use crate::{domain::access::Principal, error::AppError, transport::graphql};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// How one answer from `/graphql` is written: its media type and the request's ID.
struct Reply {
    graphql_response: bool,
    request_id: Option<String>,
}

impl Reply {
    fn new(headers: &HeaderMap, request_id: Option<Extension<RequestId>>) -> Self {
        Self {
            graphql_response: accepts(headers, GRAPHQL_RESPONSE),
            request_id: request_id
                .and_then(|Extension(id)| id.header_value().to_str().ok().map(str::to_owned)),
        }
    }

    fn content_type(&self) -> &'static str {
        if self.graphql_response {
            "application/graphql-response+json; charset=utf-8"
        } else {
            "application/json; charset=utf-8"
        }
    }

    fn json(&self, status: StatusCode, mut body: Value) -> Response {
        let errors = body.get_mut("errors").and_then(Value::as_array_mut);
        if let (Some(id), Some(errors)) = (&self.request_id, errors) {
            for error in errors {
                if let Some(error) = error.as_object_mut() {
                    let extensions = error.entry("extensions").or_insert_with(|| json!({}));
                    if let Some(extensions) = extensions.as_object_mut() {
                        extensions.insert("requestId".into(), json!(id));
                    }
                }
            }
        }
        self.bytes(status, body.to_string().into_bytes())
    }

    fn bytes(&self, status: StatusCode, body: Vec<u8>) -> Response {
        (status, [(header::CONTENT_TYPE, self.content_type())], body).into_response()
    }

    /// One top-level error; the request was not executed.
    fn error(&self, status: StatusCode, error: &AppError) -> Response {
        let body = json!({
            "errors": [{
                "message": error.client_message(),
                "extensions": { "code": graphql::errors::code(error) },
            }],
        });
        let mut response = self.json(status, body);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }

    fn bad_request(&self, why: impl Into<String>) -> Response {
        self.error(StatusCode::BAD_REQUEST, &AppError::BadRequest(why.into()))
    }

    /// An executed (or refused at parse or validation) GraphQL request.
    fn result(&self, mut response: async_graphql::Response) -> Response {
        // Resolver errors carry a code already; parse, validation and limit errors do not.
        // A paced or overloaded call says when to come back: 429 or 503 with `Retry-After`.
        let mut retry_after = None;
        let mut status = None;
        for error in &mut response.errors {
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                extensions.set("code", "GRAPHQL_VALIDATION_FAILED");
            }
            let retried = match extensions.get("code") {
                Some(async_graphql::Value::String(code)) if code == "SERVICE_UNAVAILABLE" => {
                    Some(StatusCode::SERVICE_UNAVAILABLE)
                }
                Some(async_graphql::Value::String(code)) if code == "RATE_LIMITED" => {
                    Some(StatusCode::TOO_MANY_REQUESTS)
                }
                _ => None,
            };
            if let Some(retried) = retried {
                retry_after = extensions.get("retryAfter").map(ToString::to_string);
                status = status.max(Some(retried));
            }
            if let Some(id) = &self.request_id {
                extensions.set("requestId", id.as_str());
            }
        }
        // Errors without a path come from parsing, validation or variable coercion: nothing ran.
        let not_executed = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        let status = if let Some(status) = status {
            status
        } else if not_executed && self.graphql_response {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        // The common case is written straight from the response; only a 400 without `data`
        // goes through a JSON tree to drop the key.
        let bytes = if status == StatusCode::BAD_REQUEST {
            serde_json::to_value(&response).map(|mut body| {
                if let Some(body) = body.as_object_mut() {
                    body.shift_remove("data");
                }
                body.to_string().into_bytes()
            })
        } else {
            serde_json::to_vec(&response)
        };
        let bytes = bytes.unwrap_or_else(|e| {
            tracing::error!(error = %e, "a GraphQL response could not be serialised");
            br#"{"errors":[{"message":"internal error"}]}"#.to_vec()
        });
        let mut http = self.bytes(status, bytes);
        if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s).ok()) {
            http.headers_mut().insert(header::RETRY_AFTER, value);
        }
        http
    }
}

/// Whether `Accept` lists `media` (or, for HTML, a browser's `text/html`) with a non-zero q.
fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let matches = parts.next().is_some_and(|m| m.eq_ignore_ascii_case(media));
            let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
            matches && !refused
        })
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    reply: &Reply,
) -> Result<Principal, Response> {
    super::principal(state, headers).await.map_err(|e| match e {
        AppError::Unauthenticated(_) => reply.error(StatusCode::UNAUTHORIZED, &e),
        e => {
            tracing::error!(error = %e, "GraphQL request: the token could not be checked");
            let mut response = reply.error(StatusCode::SERVICE_UNAVAILABLE, &e);
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::error::UNAVAILABLE_RETRY_AFTER_SECONDS),
            );
            response
        }
    })
}

/// The GraphQL request in `params` (`query`, `operationName`, `variables`, `extensions`), or
/// why it is not one.
fn request_from(params: Map<String, Value>) -> Result<async_graphql::Request, String> {
    match params.get("query") {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) => return Err("`query` is required".into()),
        Some(_) => return Err("`query` must be a string".into()),
    }
    for (name, object) in [
        ("operationName", false),
        ("variables", true),
        ("extensions", true),
    ] {
        match params.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(_)) if !object => {}
            Some(Value::Object(_)) if object => {}
            Some(_) if object => return Err(format!("`{name}` must be a JSON object")),
            Some(_) => return Err(format!("`{name}` must be a string")),
        }
    }
    serde_json::from_value(Value::Object(params)).map_err(|e| format!("unreadable request: {e}"))
}

/// Whether the operation `request` would run is a mutation (unparsable documents are left to
/// the executor, which reports them).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match (&document.operations, &request.operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, operation)| operation),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        _ => None,
    };
    operation.is_some_and(|o| o.node.ty == OperationType::Mutation)
}

async fn execute(
    state: &AppState,
    principal: Principal,
    request: async_graphql::Request,
    reply: &Reply,
) -> Response {
    tracing::debug!(token_id = %principal.token_id, operation = ?request.operation_name, "graphql");
    let response = state
        .schema
        .execute(
            graphql::attach_loaders(request, state.app.db(), state.batch_window)
                .data(state.app.clone())
                .data(principal),
        )
        .await;
    reply.result(response)
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request_id: Option<Extension<RequestId>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let reply = Reply::new(&headers, request_id);
    let principal = match authenticate(&state, &headers, &reply).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    if let Err(why) = json_content_type(&headers) {
        return reply.error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &AppError::BadRequest(why),
        );
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let why = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "request body too large".to_owned()
            } else {
                format!("unreadable request body: {rejection}")
            };
            return reply.error(status, &AppError::BadRequest(why));
        }
    };
    let params = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(params)) => params,
        Ok(Value::Array(_)) => {
            return reply
                .bad_request("batched requests are not supported: send one operation per request");
        }
        Ok(_) | Err(_) => {
            return reply.bad_request(
                "the body must be a JSON object with `query` (and optional `variables`, \
                 `operationName`, `extensions`)",
            );
        }
    };
    match request_from(params) {
        Ok(request) => execute(&state, principal, request, &reply).await,
        Err(why) => reply.bad_request(why),
    }
}

/// `POST` bodies must be `application/json` in UTF-8 (the only body type this server reads).
fn json_content_type(headers: &HeaderMap) -> Result<(), String> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or("send the body as `Content-Type: application/json`")?;
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(format!(
            "unsupported body type `{essence}`: send `application/json`"
        ));
    }
    for part in parts {
        if let Some((name, charset)) = part.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8")
        {
            return Err(format!("unsupported charset `{charset}`: send UTF-8"));
        }
    }
    Ok(())
}

/// `GET /graphql`: the playground for a browser that asks for a page, otherwise a query from
/// the URL's `query`, `operationName`, `variables` and `extensions` (the last two as JSON).
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request_id: Option<Extension<RequestId>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !query.contains_key("query") && accepts(&headers, "text/html") {
        return playground::page();
    }
    let reply = Reply::new(&headers, request_id);
    let principal = match authenticate(&state, &headers, &reply).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let mut params = Map::new();
    for (name, value) in query {
        let value = match name.as_str() {
            "variables" | "extensions" => match serde_json::from_str::<Value>(&value) {
                Ok(v) => v,
                Err(_) => return reply.bad_request(format!("`{name}` must be a JSON object")),
            },
            _ => Value::String(value),
        };
        params.insert(name, value);
    }
    let request = match request_from(params) {
        Ok(request) => request,
        Err(why) => return reply.bad_request(why),
    };
    if is_mutation(&request) {
        let mut response = reply.error(
            StatusCode::METHOD_NOT_ALLOWED,
            &AppError::BadRequest("mutations are sent with POST, not GET".into()),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, principal, request, &reply).await
}
