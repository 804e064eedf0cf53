//! How core errors ([`crate::error`]) look to a GraphQL client, in this one place: business
//! errors become a payload's `errors: [FieldError!]!`; everything else a top-level error with
//! an `extensions.code`.
use async_graphql::{Enum, ErrorExtensions, SimpleObject};

use crate::error::{AppError, ErrorCode, FieldError};

/// Why a field was refused.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::error::ErrorCode", rename_items = "camelCase")]
#[graphql(name = "ErrorCode")]
pub enum ApiErrorCode {
    /// A required value is missing or empty.
    Blank,
    /// A value is longer than allowed.
    TooLong,
    /// A value is not in an accepted form.
    Invalid,
    /// An ID could not be decoded.
    MalformedId,
    /// An ID names an entity of another type.
    WrongType,
    /// An ID is well formed but names nothing.
    NotFound,
    /// The value must be unique and is already taken.
    AlreadyExists,
    /// The entity is still referenced and cannot be deleted.
    InUse,
    /// The operation was refused by a rule (e.g. a denied sign-in).
    Denied,
    /// The administrator is provisioned by a rule from employee data: its role and
    /// status follow the rules, not manual changes.
    ManagedByRule,
    /// An email looks like another contact's (the same confusable skeleton, Unicode
    /// TS #39) but is not the same address.
    Confusable,
}

/// One problem with one input field of a mutation.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "FieldError")]
pub struct ApiFieldError {
    /// The input field at fault, e.g. `defaultAccountId`.
    pub label: Option<String>,
    pub message: String,
    /// The offending value as sent.
    pub value: Option<String>,
    pub code: ApiErrorCode,
}

impl From<FieldError> for ApiFieldError {
    fn from(e: FieldError) -> Self {
        Self {
            label: e.label,
            message: e.message,
            value: e.value,
            code: ErrorCode::into(e.code),
        }
    }
}

/// A payload's `errors` list.
pub fn field_errors(errors: Vec<FieldError>) -> Vec<ApiFieldError> {
    errors.into_iter().map(Into::into).collect()
}

/// The `extensions.code` of a top-level error.
pub fn code(error: &AppError) -> &'static str {
    match error {
        AppError::Invalid(_) | AppError::BadRequest(_) => "BAD_USER_INPUT",
        AppError::Unauthenticated(_) => "UNAUTHENTICATED",
        AppError::Forbidden(_) => "FORBIDDEN",
        AppError::RateLimited { .. } => "RATE_LIMITED",
        AppError::Unavailable(_) => "SERVICE_UNAVAILABLE",
        AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
    }
}

/// A core error as a top-level GraphQL error.
pub trait ToGraphql {
    fn to_graphql(&self) -> async_graphql::Error;
}

impl ToGraphql for AppError {
    fn to_graphql(&self) -> async_graphql::Error {
        // The one place a GraphQL answer's internal cause is logged (the answer says only
        // "internal error"; the log line carries the request's span and x-request-id).
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "GraphQL request failed"),
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "GraphQL request: the database is unavailable");
            }
            _ => {}
        }
        async_graphql::Error::new(self.client_message()).extend_with(|_, ext| {
            ext.set("code", code(self));
            match self {
                AppError::RateLimited {
                    retry_after_seconds,
                } => ext.set("retryAfter", *retry_after_seconds),
                AppError::Unavailable(_) => {
                    ext.set("retryAfter", crate::error::UNAVAILABLE_RETRY_AFTER_SECONDS);
                }
                _ => {}
            }
        })
    }
}

/// Turns any error a resolver meets into a client-facing GraphQL error through [`AppError`],
/// so database text never leaks (async-graphql's blanket `From<Display>` would show it).
pub trait GqlResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<AppError>> GqlResultExt<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().to_graphql())
    }
}
