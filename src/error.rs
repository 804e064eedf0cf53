//! The one error type of the core, with no transport in it: codes and field paths that every
//! transport maps in its own module (GraphQL in `transport::graphql::errors`). Clients tell
//! errors apart by code and label, never by message. Internal causes are logged with tracing
//! and never shown.

use crate::domain::stored::StoredEnum;

/// Why a field was refused. Each code's meaning is written once, where clients read it: on
/// the GraphQL `ErrorCode` enum (`transport::graphql::errors`), which mirrors this one.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Blank,
    TooLong,
    Invalid,
    MalformedId,
    WrongType,
    NotFound,
    AlreadyExists,
    InUse,
    Denied,
    ManagedByRule,
    Confusable,
}

/// One problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The path of the input field at fault, e.g. `defaultAccountId`, `claims.email`.
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

/// Why a request is not authenticated; the answer says which, so that a caller knows whether
/// to add a header or to get another token. Unknown, revoked and expired secrets are one case,
/// so that a caller cannot tell which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization: Bearer <secret>` header (none, another scheme, or an empty secret).
    Missing,
    /// A bearer secret that is not a live token: unknown, revoked or expired.
    Refused,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input refused by a business rule; nothing was written.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("authentication required: {0:?}")]
    Unauthenticated(Credentials),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A malformed or over-limit request (e.g. `first` above 100) outside any payload.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Too many calls of a paced operation (`sso.signIn`) by one token: HTTP 429.
    #[error("rate limited; retry after {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    /// The database could not take the request in time (every pooled connection busy past
    /// the acquire timeout, or the database unreachable): HTTP 503 with `Retry-After`, which
    /// SCIM clients (Entra, Okta) and portals retry. The cause is logged, never shown.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything unexpected: logged in full, shown as a bare "internal error".
    #[error("internal error: {0}")]
    Internal(String),
}

/// The `Retry-After` of a 503: long enough for a queue of requests to drain, short enough
/// that a retrying IdP or portal does not notice.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 2;

impl AppError {
    pub fn field(
        label: impl Into<String>,
        code: ErrorCode,
        message: impl Into<String>,
        value: Option<&str>,
    ) -> Self {
        Self::Invalid(vec![FieldError::new(label, code, message, value)])
    }

    /// What a client is shown for this error, whatever the door: an internal cause never.
    pub fn client_message(&self) -> String {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .map(|e| match &e.label {
                    Some(label) => format!("{label}: {}", e.message),
                    None => e.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            Self::Unauthenticated(Credentials::Missing) => {
                "a valid API token is required: send `Authorization: Bearer <secret>`".into()
            }
            Self::Unauthenticated(Credentials::Refused) => {
                "this API token is unknown, revoked or expired: send `Authorization: Bearer <secret>` \
                 with a live token"
                    .into()
            }
            Self::Forbidden(why) | Self::BadRequest(why) => why.clone(),
            Self::RateLimited {
                retry_after_seconds,
            } => format!("too many sign-ins from this token; retry after {retry_after_seconds} s"),
            Self::Unavailable(_) => format!(
                "the service is busy; retry after {UNAVAILABLE_RETRY_AFTER_SECONDS} s"
            ),
            Self::Internal(_) => "internal error".into(),
        }
    }

    /// A stored value this version cannot read (an unknown enum value, malformed JSON): the
    /// load fails closed, as an internal error, and the cause is logged. Never a default: an
    /// unknown status read as `active` would let a blocked contact sign in.
    pub fn corrupt(column: &str, value: impl std::fmt::Display) -> Self {
        tracing::error!(column, value = %value, "unreadable stored value");
        Self::Internal(format!("unreadable stored value in {column}: {value}"))
    }

    /// Reads a stored enum, failing closed through [`AppError::corrupt`].
    pub fn decode<T: StoredEnum>(raw: &str) -> AppResult<T> {
        T::parse(raw).ok_or_else(|| Self::corrupt(T::COLUMN, raw))
    }

    /// Reads a stored JSON column into `T`, failing closed through [`AppError::corrupt`].
    pub fn decode_json<T: serde::de::DeserializeOwned>(
        column: &str,
        raw: &serde_json::Value,
    ) -> AppResult<T> {
        serde_json::from_value(raw.clone()).map_err(|_| Self::corrupt(column, raw))
    }
}

pub type AppResult<T> = Result<T, AppError>;
