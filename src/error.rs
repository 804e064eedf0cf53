//! The one error type of the service, and the single place it becomes what a client sees.
//!
//! Business errors ([`AppError::Invalid`]) go into a mutation payload's `errors` list; everything
//! else becomes a top-level GraphQL error with an `extensions.code`. Internal causes are logged
//! with tracing and never shown.
use async_graphql::{Enum, ErrorExtensions, SimpleObject};

/// Why a field was refused. Values are lowerCamelCase, as in Administrate.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "camelCase")]
pub enum ErrorCode {
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
}

/// One problem with one input field of a mutation.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The input field at fault, e.g. `defaultAccountId`.
    pub label: Option<String>,
    pub message: String,
    /// The offending value as sent.
    pub value: Option<String>,
    pub code: ErrorCode,
}

impl FieldError {
    pub fn new(
        label: impl Into<String>,
        code: ErrorCode,
        message: impl Into<String>,
        value: Option<&str>,
    ) -> Self {
        Self {
            label: Some(label.into()),
            message: message.into(),
            value: value.map(str::to_owned),
            code,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input refused by a business rule; nothing was written.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A malformed or over-limit request (e.g. `first` above 100) outside any payload.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Too many calls of a paced operation (`sso.signIn`) by one token: HTTP 429.
    #[error("rate limited; retry after {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    /// Anything unexpected: logged in full, shown as a bare "internal error".
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(
        label: impl Into<String>,
        code: ErrorCode,
        message: impl Into<String>,
        value: Option<&str>,
    ) -> Self {
        Self::Invalid(vec![FieldError::new(label, code, message, value)])
    }

    /// A stored value this version cannot read (an unknown enum value, malformed JSON): the
    /// load fails closed, as an internal error, and the cause is logged. Never a default: an
    /// unknown status read as `active` would let a blocked contact sign in.
    pub fn corrupt(column: &str, value: impl std::fmt::Display) -> Self {
        tracing::error!(column, value = %value, "unreadable stored value");
        Self::Internal(format!("unreadable stored value in {column}: {value}"))
    }

    /// Reads a stored value with `parse`, failing closed through [`AppError::corrupt`].
    pub fn decode<T>(
        column: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> AppResult<T> {
        parse(raw).ok_or_else(|| Self::corrupt(column, raw))
    }

    /// Reads a stored JSON column into `T`, failing closed through [`AppError::corrupt`].
    pub fn decode_json<T: serde::de::DeserializeOwned>(
        column: &str,
        raw: &serde_json::Value,
    ) -> AppResult<T> {
        serde_json::from_value(raw.clone()).map_err(|_| Self::corrupt(column, raw))
    }

    /// The client-facing `extensions.code` of a top-level error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) | Self::BadRequest(_) => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The top-level GraphQL error a client sees for this error.
    pub fn to_graphql(&self) -> async_graphql::Error {
        let message = match self {
            Self::Invalid(errors) => errors
                .iter()
                .map(|e| match &e.label {
                    Some(label) => format!("{label}: {}", e.message),
                    None => e.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            Self::Unauthenticated => {
                "a valid API token is required: send `Authorization: Bearer <secret>`".into()
            }
            Self::Forbidden(why) => why.clone(),
            Self::BadRequest(why) => why.clone(),
            Self::RateLimited {
                retry_after_seconds,
            } => format!("too many sign-ins from this token; retry after {retry_after_seconds} s"),
            Self::Internal(_) => "internal error".into(),
        };
        let code = self.code();
        let retry_after = match self {
            Self::RateLimited {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            _ => None,
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(seconds) = retry_after {
                ext.set("retryAfter", seconds);
            }
        })
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        tracing::error!(error = %err, "database error");
        Self::Internal(err.to_string())
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

pub type AppResult<T> = Result<T, AppError>;
