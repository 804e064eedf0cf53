//! SCIM v2 use cases (PRODUCT §6): the users and groups an identity provider pushes into one
//! identity-provider configuration. Users are contacts: they are placed in accounts by the
//! sign-in hook's rules, carry the SSO identity (IdP, userName), and are logged as provisioning
//! events with `source: scim`.
//!
//! Each write is one transaction. PATCH is applied to the resource's representation and the
//! result is stored as a PUT would store it, so the two cannot drift apart.
pub mod groups;
pub mod resource;
pub mod users;

use entity::identity_provider_configuration as configuration;
use sea_orm::DbErr;
use uuid::Uuid;

use crate::{
    db,
    domain::{
        access::ScimBinding,
        scim::{DEFAULT_COUNT, MAX_RESULTS, ScimError, filter::Cond, project::Selection},
    },
    error::{AppError, AppResult},
    service::App,
};

/// Why a SCIM call failed: the client's request (a SCIM error) or our side (logged, shown as a
/// bare 500).
#[derive(Debug)]
pub enum ScimFailure {
    Protocol(ScimError),
    Internal(AppError),
}

impl From<ScimError> for ScimFailure {
    fn from(e: ScimError) -> Self {
        Self::Protocol(e)
    }
}

impl From<AppError> for ScimFailure {
    fn from(e: AppError) -> Self {
        Self::Internal(e)
    }
}

impl From<DbErr> for ScimFailure {
    fn from(e: DbErr) -> Self {
        // A unique constraint that a check before the write did not see: a concurrent request
        // took the userName, email or display name first.
        if db::is_unique_violation(&e) {
            tracing::info!(error = %e, "SCIM write lost a race on a unique constraint");
            Self::Protocol(ScimError::uniqueness(
                "a concurrent request created the same userName, email or displayName first",
            ))
        } else {
            Self::Internal(e.into())
        }
    }
}

pub type ScimResult<T> = Result<T, ScimFailure>;

/// The configuration a SCIM token serves, and how this request addresses it.
pub struct Scope {
    pub configuration: configuration::Model,
    pub role_mappings: Vec<(String, String)>,
    /// The SCIM base URL as the client reached it, for `meta.location` and `$ref`.
    pub base: String,
}

impl Scope {
    pub fn identity_provider_id(&self) -> Uuid {
        self.configuration.identity_provider_id
    }
}

/// The configuration a SCIM token serves and its role mappings, as [`App`] keeps them between
/// requests (see `service::recent`): every request needs them, admins rarely change them.
pub struct ScimSettings {
    pub configuration: configuration::Model,
    pub role_mappings: Vec<(String, String)>,
}

/// The configuration a SCIM token was issued for, or `None` when that row no longer exists
/// (a configuration deleted and created again is another row) or is no longer for the token's
/// brand and IdP.
pub async fn scope(app: &App, binding: ScimBinding, base: String) -> AppResult<Option<Scope>> {
    let db = app.db();
    let settings = app
        .scim_settings()
        .get(binding.configuration_id, async || {
            let Some(configuration) =
                db::queries::find::<configuration::Entity, _>(db, binding.configuration_id).await?
            else {
                return Ok::<_, AppError>(None);
            };
            let role_mappings = db::scim::role_mappings(db, configuration.id).await?;
            Ok(Some(ScimSettings {
                configuration,
                role_mappings,
            }))
        })
        .await?;
    let Some(settings) = settings else {
        return Ok(None);
    };
    if settings.configuration.brand_id != binding.brand_id
        || settings.configuration.identity_provider_id != binding.identity_provider_id
    {
        return Ok(None);
    }
    Ok(Some(Scope {
        configuration: settings.configuration.clone(),
        role_mappings: settings.role_mappings.clone(),
        base,
    }))
}

/// A list request: `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`, from
/// the query string or a `.search` body.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub selection: Selection,
}

impl ListQuery {
    /// (offset, limit): `startIndex` below 1 reads as 1; `count` below 0 as 0, above
    /// `MAX_RESULTS` as `MAX_RESULTS` (RFC 7644 §3.4.2.4).
    fn window(&self) -> (u64, u64) {
        let start = self.start_index.unwrap_or(1).max(1) as u64;
        let count = self
            .count
            .map(|c| c.clamp(0, MAX_RESULTS as i64) as u64)
            .unwrap_or(DEFAULT_COUNT);
        (start - 1, count)
    }

    /// The filter as a condition; no filter keeps every resource.
    fn condition<A>(
        &self,
        parse: fn(&str) -> Result<Cond<A>, ScimError>,
    ) -> Result<Cond<A>, ScimError> {
        self.filter.as_deref().map_or(Ok(Cond::Always(true)), parse)
    }
}

/// A ListResponse message.
pub fn list_response(
    total: u64,
    start: u64,
    resources: Vec<serde_json::Value>,
) -> serde_json::Value {
    serde_json::json!({
        "schemas": [crate::domain::scim::LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start + 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// `If-Match` (RFC 7644 §3.14): `*` or the current version, else 412.
fn check_version(if_match: Option<&str>, current: &str) -> Result<(), ScimError> {
    let Some(sent) = if_match else {
        return Ok(());
    };
    let matches = sent.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag == current
            || tag.trim_start_matches("W/") == current.trim_start_matches("W/")
    });
    if matches {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(format!(
            "If-Match {sent} does not match the current version {current}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_clamped() {
        let q = |start, count| ListQuery {
            start_index: start,
            count,
            ..Default::default()
        };
        assert_eq!(q(None, None).window(), (0, DEFAULT_COUNT));
        assert_eq!(q(Some(0), Some(-5)).window(), (0, 0));
        assert_eq!(q(Some(-3), Some(5000)).window(), (0, MAX_RESULTS));
        assert_eq!(q(Some(11), Some(10)).window(), (10, 10));
    }

    #[test]
    fn if_match_takes_star_and_the_current_version() {
        let v = "W/\"abc\"";
        assert!(check_version(None, v).is_ok());
        assert!(check_version(Some("*"), v).is_ok());
        assert!(check_version(Some(v), v).is_ok());
        assert!(check_version(Some("\"abc\""), v).is_ok());
        assert_eq!(check_version(Some("W/\"old\""), v).unwrap_err().status, 412);
    }
}
