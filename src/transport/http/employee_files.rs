//! `POST /employee-files`: an employee file (PRODUCT §7) sent as a `text/csv` body by an owner
//! or support token. `?dryRun=true` plans and records the sync without changing anything;
//! `?fileName=` names the file in the sync's record. The answer is the recorded sync:
//! 200 when applied (or a dry run), 202 when held for `employeeSyncs.apply`, 422 when the
//! file was rejected. Every other answer is `{"error": "..."}`.
//!
//! The route has its own body limit (`--max-employee-file-bytes`), set on the route so the
//! router-wide `--max-body-bytes` does not cap it, and the body is read only once the caller
//! is authenticated and authorised: an anonymous client cannot make the server buffer 64 MiB.
use axum::{
    body::Bytes,
    extract::{FromRequest, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use entity::employee_sync;
use serde_json::{Map, Value, json};

use super::AppState;
use crate::{
    domain::{
        employees::{SyncSource, SyncStatus},
        id::{self, NodeKind},
    },
    error::AppError,
    service::employees::{self, Body, FILE_NAME_MAX, Import, Sender, Synced},
};

/// What the query string asks for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    dry_run: bool,
    file_name: Option<String>,
}

/// `{"error": message}` with `status` (and the `WWW-Authenticate` challenge on a 401).
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = (status, axum::Json(json!({ "error": message.into() }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// A core error as an HTTP answer, with the message GraphQL gives it; internal causes are
/// logged, never shown.
fn app_error(e: AppError) -> Response {
    let status = match &e {
        AppError::Unauthenticated(_) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "send `Authorization: Bearer <token>` with an owner or support token",
            );
        }
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        // Nothing paces employee files today.
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(cause) => {
            tracing::warn!(%cause, "employee file import: the database is unavailable");
            return super::deadline::unavailable(false, "the database is busy");
        }
        AppError::Internal(cause) => {
            tracing::error!(%cause, "employee file import failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error(status, e.client_message())
}

/// The body must be `text/csv` (in UTF-8, the only encoding the importer reads); parameters
/// such as `charset=utf-8` or `header=present` are allowed.
fn csv_content_type(headers: &HeaderMap) -> Result<(), String> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or("send the employee file as `Content-Type: text/csv`")?;
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !essence.eq_ignore_ascii_case("text/csv") {
        return Err(format!(
            "unsupported body type `{essence}`: send the employee file as `text/csv`"
        ));
    }
    for part in parts {
        if let Some((name, charset)) = part.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
        {
            let charset = charset.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("us-ascii") {
                return Err(format!("unsupported charset `{charset}`: send UTF-8"));
            }
        }
    }
    Ok(())
}

/// Reads `dryRun` and `fileName`. Unknown or repeated parameters are refused: a misspelt
/// `dryrun=true` silently applying a file would be the worst way to fail.
fn options(pairs: &[(String, String)]) -> Result<Options, String> {
    let mut dry_run = None;
    let mut file_name = None;
    for (name, value) in pairs {
        match name.as_str() {
            "dryRun" if dry_run.is_some() => return Err("`dryRun` is given twice".into()),
            "dryRun" => {
                dry_run = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("`dryRun` must be `true` or `false`, not `{value}`")),
                });
            }
            "fileName" if file_name.is_some() => return Err("`fileName` is given twice".into()),
            "fileName" => {
                let value = value.trim();
                if value.chars().count() > FILE_NAME_MAX {
                    return Err(format!(
                        "`fileName` is longer than {FILE_NAME_MAX} characters"
                    ));
                }
                file_name = Some((!value.is_empty()).then(|| value.to_owned()));
            }
            other => {
                return Err(format!(
                    "unknown query parameter `{other}`: only `dryRun` and `fileName` are read"
                ));
            }
        }
    }
    Ok(Options {
        dry_run: dry_run.unwrap_or(false),
        file_name: file_name.flatten(),
    })
}

/// The sync as the API shows it, with its global ID.
fn sync_json(sync: &employee_sync::Model) -> Value {
    let mut fields = Map::new();
    fields.insert(
        "id".into(),
        id::encode(NodeKind::EmployeeSync, sync.id).into(),
    );
    fields.insert("status".into(), sync.status.clone().into());
    fields.extend(employees::counts(sync));
    fields.extend(
        [
            ("rejectedRows", sync.rejected_rows.clone()),
            ("rejectedRowCount", sync.rejected_row_count.into()),
            ("notes", sync.notes.clone()),
            ("changes", sync.changes.clone()),
            ("reason", sync.reason.clone().into()),
            ("holdReason", sync.hold_reason.clone().into()),
        ]
        .map(|(name, value)| (name.to_owned(), value)),
    );
    Value::Object(fields)
}

/// The recorded sync as the answer, its HTTP status from what became of it.
fn reply(
    Synced {
        status,
        record: sync,
    }: &Synced,
) -> Response {
    let status = match status {
        SyncStatus::Applied | SyncStatus::DryRun => StatusCode::OK,
        SyncStatus::Held => StatusCode::ACCEPTED,
        SyncStatus::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        // An import never records a superseded sync; answering 200 would claim success.
        SyncStatus::Superseded => {
            return app_error(AppError::Internal(format!(
                "an import returned sync {} as superseded",
                sync.id
            )));
        }
    };
    let mut body = json!({ "employeeSync": sync_json(sync) });
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        body["error"] = json!(sync.reason.as_deref().unwrap_or("the file was rejected"));
    }
    (status, axum::Json(body)).into_response()
}

/// `POST /employee-files`.
pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    answer(&state, request)
        .await
        .unwrap_or_else(|refusal| refusal)
}

/// The answer to a file, or the refusal of the request, in the order the checks are made:
/// the caller, the body's type, the query, then the body itself.
async fn answer(state: &AppState, request: Request) -> Result<Response, Response> {
    let principal = super::principal(state, request.headers())
        .await
        .map_err(|e| match e {
            AppError::Unauthenticated(_) => app_error(e),
            e => {
                tracing::warn!(error = %e, "employee files: token lookup failed");
                error(StatusCode::SERVICE_UNAVAILABLE, "token store unavailable")
            }
        })?;
    let sender = Sender::admit(&state.app, &principal).map_err(app_error)?;
    csv_content_type(request.headers())
        .map_err(|why| error(StatusCode::UNSUPPORTED_MEDIA_TYPE, why))?;
    let Query(pairs) =
        Query::<Vec<(String, String)>>::try_from_uri(request.uri()).map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                format!("unreadable query string: {e}"),
            )
        })?;
    let options = options(&pairs).map_err(|why| error(StatusCode::BAD_REQUEST, why))?;
    // Read through `Bytes` so the route's `DefaultBodyLimit` applies (413 past it).
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            let why = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the employee file is larger than {} bytes (--max-employee-file-bytes)",
                    state.max_employee_file_bytes
                )
            } else {
                format!("unreadable request body: {rejection}")
            };
            error(status, why)
        })?;
    let import = Import {
        source: SyncSource::Upload,
        hris_connection: None,
        file_name: options.file_name.as_deref(),
        dry_run: options.dry_run,
        answer_changes: true,
    };
    let synced = sender.import(&state.app, import, Body::Bytes(&body)).await;
    Ok(reply(&synced.map_err(app_error)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        headers
    }

    /// The options of a query string of these (name, value) pairs.
    fn read(raw: &[(&str, &str)]) -> Result<Options, String> {
        let pairs: Vec<_> = raw
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        options(&pairs)
    }

    #[test]
    fn csv_is_accepted_with_parameters_and_in_any_case() {
        for value in [
            "text/csv",
            "TEXT/CSV",
            "text/csv; charset=utf-8",
            "text/csv;charset=\"UTF-8\"; header=present",
        ] {
            assert_eq!(csv_content_type(&content_type(value)), Ok(()), "{value}");
        }
    }

    #[test]
    fn other_types_and_charsets_are_refused_by_name() {
        let err = csv_content_type(&content_type("application/json")).unwrap_err();
        assert!(err.contains("application/json"), "{err}");
        let err = csv_content_type(&content_type("text/csv; charset=latin1")).unwrap_err();
        assert!(err.contains("latin1"), "{err}");
        assert!(csv_content_type(&content_type("text/csvx")).is_err());
        assert!(csv_content_type(&HeaderMap::new()).is_err());
    }

    #[test]
    fn dry_run_is_true_or_false_and_defaults_to_false() {
        assert_eq!(
            read(&[]),
            Ok(Options {
                dry_run: false,
                file_name: None
            })
        );
        assert!(read(&[("dryRun", "true")]).unwrap().dry_run);
        assert!(!read(&[("dryRun", "false")]).unwrap().dry_run);
        for bad in ["maybe", "", "1", "TRUE"] {
            let err = read(&[("dryRun", bad)]).unwrap_err();
            assert!(err.contains("dryRun"), "{bad}: {err}");
        }
        let err = read(&[("dryRun", "true"), ("dryRun", "false")]).unwrap_err();
        assert!(err.contains("dryRun"), "{err}");
    }

    #[test]
    fn file_name_is_trimmed_and_unknown_parameters_are_refused() {
        assert_eq!(
            read(&[("fileName", " hr.csv "), ("dryRun", "true")]),
            Ok(Options {
                dry_run: true,
                file_name: Some("hr.csv".into())
            })
        );
        assert_eq!(read(&[("fileName", "  ")]).unwrap().file_name, None);
        assert!(read(&[("fileName", &"x".repeat(256))]).is_err());
        let err = read(&[("dryrun", "true")]).unwrap_err();
        assert!(err.contains("`dryrun`"), "{err}");
    }
}
