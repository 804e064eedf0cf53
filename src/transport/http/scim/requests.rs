//! Reading SCIM requests (bodies, list parameters, `.search` bodies, `If-Match`) and writing
//! resources with their `ETag` and `Location`.
use axum::{
    Extension,
    body::Bytes,
    extract::{Query, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;
use std::sync::Arc;

use super::{SCIM_JSON, message};
use crate::{
    domain::{
        scim::{ScimError, project::Selection, user},
        validate,
    },
    service::scim::{
        ListQuery, ScimResult, Scope,
        resource::{Answer, Listed, Rendered},
    },
};

pub(super) type Scoped = Extension<Arc<Scope>>;

/// The query string's parameters, or why they could not be read.
pub(super) type QueryParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A request body: `application/scim+json` or `application/json` (or no type), and JSON.
pub(super) fn body_json(headers: &HeaderMap, body: &Bytes) -> Result<Value, ScimError> {
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
    let json = serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the request body is not JSON: {e}")))?;
    match validate::control_character_at(&json, &[]) {
        Some(attribute) => Err(ScimError::invalid_value(format!(
            "{attribute}: must not contain control characters"
        ))),
        None => Ok(json),
    }
}

pub(super) fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// 200 (or 201 with `Location`) with the resource and its `ETag`; a GET whose
/// `If-None-Match` names the current version is 304. A failure answers as itself.
pub(super) fn resource(
    status: StatusCode,
    rendered: ScimResult<Rendered>,
    headers: Option<&HeaderMap>,
) -> Response {
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(f) => return f.into_response(),
    };
    let not_modified = headers
        .and_then(|h| h.get(header::IF_NONE_MATCH))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|t| t.trim() == rendered.version));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        message(status, &rendered)
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

/// A PUT's or PATCH's answer: 200 with the resource, or 204 with only its `ETag`.
pub(super) fn answer(answered: ScimResult<Answer>) -> Response {
    match answered {
        Ok(Answer::Resource(rendered)) => resource(StatusCode::OK, Ok(rendered), None),
        Ok(Answer::NoContent { version }) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(etag) = HeaderValue::from_str(&version) {
                response.headers_mut().insert(header::ETAG, etag);
            }
            response
        }
        Err(f) => f.into_response(),
    }
}

/// The `attributes` and `excludedAttributes` of a request's query string (RFC 7644 §3.9: a
/// POST, PUT or PATCH may ask for part of the resource it answers with, as a GET may).
pub(super) fn selection(params: QueryParams) -> Result<Selection, ScimError> {
    Ok(list_query(params)?.selection)
}

pub(super) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(super) fn integer(name: &str, raw: Option<&str>) -> Result<Option<i64>, ScimError> {
    raw.map(|v| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| ScimError::invalid_value(format!("{name}: must be an integer, not {v:?}")))
    })
    .transpose()
}

/// The query string's list parameters (RFC 7644 §3.4.2, RFC 9865 §2); unknown parameters are
/// ignored.
pub(super) fn list_query(params: QueryParams) -> Result<ListQuery, ScimError> {
    let Query(params) = params
        .map_err(|e| ScimError::invalid_syntax(format!("the query string is malformed: {e}")))?;
    if let Some((name, _)) = params
        .iter()
        .find(|(name, value)| name.chars().chain(value.chars()).any(char::is_control))
    {
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        return Err(ScimError::invalid_value(format!(
            "{name}: must not contain control characters"
        )));
    }
    Ok(ListQuery {
        filter: param(&params, "filter").map(str::to_owned),
        start_index: integer("startIndex", param(&params, "startIndex"))?,
        // `?cursor` alone (RFC 9865's own example) reads as empty: the first page.
        cursor: param(&params, "cursor").map(str::to_owned),
        count: integer("count", param(&params, "count"))?,
        selection: Selection::parse(
            param(&params, "attributes"),
            param(&params, "excludedAttributes"),
        )?,
    })
}

/// A `.search` body (RFC 7644 §3.4.3, with RFC 9865 §3's `cursor`).
pub(super) fn search_query(headers: &HeaderMap, body: &Bytes) -> Result<ListQuery, ScimError> {
    let body = body_json(headers, body)?;
    let body = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
    let get = |name: &str| user::member(body, name);
    let names = |name: &str| -> Result<Option<String>, ScimError> {
        let refused = || ScimError::invalid_value(format!("{name}: must be a list of strings"));
        match get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().ok_or_else(refused))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| Some(v.join(","))),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(refused()),
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
    let cursor = match get("cursor") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(ScimError::invalid_cursor(format!(
                "cursor: must be a string, not {v}"
            )));
        }
    };
    let attributes = names("attributes")?;
    let excluded = names("excludedAttributes")?;
    Ok(ListQuery {
        filter,
        start_index: number("startIndex")?,
        cursor,
        count: number("count")?,
        selection: Selection::parse(attributes.as_deref(), excluded.as_deref())?,
    })
}

/// A `ListResponse`, or the failure that stopped it.
pub(super) fn listed(result: ScimResult<Listed>) -> Response {
    result
        .map(|list| message(StatusCode::OK, &list))
        .into_response()
}
