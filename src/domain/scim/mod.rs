//! SCIM v2 (RFC 7643/7644, PRODUCT §6) as pure rules: the protocol's errors, the attributes we
//! store and publish, reading and writing resources as JSON (`user`, `group`), PATCH applied to
//! one resource's representation (`patch`), filters turned into conditions over our attributes
//! (`filter`, which the `db` layer turns into SQL) and attribute selection (`project`).
//!
//! The grammars (filters and PATCH paths) are the `scim_v2` crate's; what they mean for our
//! storage is decided here.
pub mod adoption;
pub mod cursor;
pub mod discovery;
pub mod filter;
pub mod group;
pub mod patch;
pub mod project;
pub mod user;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The most resources one page returns (`ServiceProviderConfig.filter.maxResults`).
pub const MAX_RESULTS: u64 = 1000;
/// The page size when the client does not say.
pub const DEFAULT_COUNT: u64 = 100;
/// The longest filter we parse, in bytes.
pub const FILTER_MAX: usize = 4096;

/// The `scimType` of an RFC 7644 §3.12 error.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
    /// RFC 9865 §2.1: a `cursor` this server did not issue for the list asked for.
    InvalidCursor,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
        }
    }
}

/// A SCIM error response: HTTP status, `scimType` (for 400 and 409) and a detail that names
/// the attribute at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with a `scimType`.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidValue, detail)
    }

    pub fn invalid_cursor(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidCursor, detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidFilter, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidSyntax, detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidPath, detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::NoTarget, detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::Mutability, detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }

    /// The RFC 7644 §3.12 error body.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = t.as_str().into();
        }
        body
    }
}

/// The attributes of a User we store, as filters name them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserAttr {
    Id,
    UserName,
    ExternalId,
    GivenName,
    FamilyName,
    DisplayName,
    Title,
    /// `emails.value`: the contact's email, the chosen element of `emails`.
    Email,
    /// `emails.type` of that element.
    EmailType,
    /// `emails.primary` of that element.
    EmailPrimary,
    Active,
    Department,
    EmployeeNumber,
    Organization,
    /// The enterprise extension's `manager.value`.
    Manager,
    Created,
    LastModified,
}

/// The attributes of a Group we store, as filters name them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupAttr {
    Id,
    DisplayName,
    ExternalId,
    /// `members.value`: a member's SCIM user id.
    Member,
    Created,
    LastModified,
}

/// How an attribute's values compare (RFC 7643 §2.3, and `caseExact`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// Compared ignoring case.
    Text,
    /// Compared byte for byte.
    ExactText,
    /// A UUID, compared exactly; a value that is not one matches nothing.
    Id,
    Boolean,
    DateTime,
}

impl UserAttr {
    pub fn attr_type(self) -> AttrType {
        match self {
            Self::Id => AttrType::Id,
            Self::ExternalId | Self::Manager => AttrType::ExactText,
            Self::Active | Self::EmailPrimary => AttrType::Boolean,
            Self::Created | Self::LastModified => AttrType::DateTime,
            _ => AttrType::Text,
        }
    }
}

impl GroupAttr {
    pub fn attr_type(self) -> AttrType {
        match self {
            Self::Id | Self::Member => AttrType::Id,
            Self::ExternalId => AttrType::ExactText,
            Self::Created | Self::LastModified => AttrType::DateTime,
            Self::DisplayName => AttrType::Text,
        }
    }
}

/// Reads a SCIM boolean leniently: JSON booleans, and the strings `"True"`/`"False"` (any
/// case) that Microsoft Entra ID sends.
pub fn boolean(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_booleans_are_read() {
        assert_eq!(boolean(&"True".into()), Some(true));
        assert_eq!(boolean(&"false".into()), Some(false));
        assert_eq!(boolean(&true.into()), Some(true));
        assert_eq!(boolean(&"yes".into()), None);
        assert_eq!(boolean(&1.into()), None);
    }

    #[test]
    fn errors_are_scim_messages() {
        let e = ScimError::invalid_filter("bad");
        let body = e.to_json();
        assert_eq!(body["status"], "400");
        assert_eq!(body["scimType"], "invalidFilter");
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
        assert!(
            ScimError::not_found("x")
                .to_json()
                .get("scimType")
                .is_none()
        );
    }
}
