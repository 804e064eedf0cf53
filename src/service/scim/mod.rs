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
    db::{self, scim::Window},
    domain::{
        access::ScimBinding,
        scim::{
            DEFAULT_COUNT, MAX_RESULTS, ScimError,
            cursor::{Binding, Cursor, Direction, Position},
            filter::Cond,
            project::Selection,
        },
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

/// A list request: `filter`, `startIndex` or `cursor`, `count`, `attributes`,
/// `excludedAttributes`, from the query string or a `.search` body.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    /// RFC 9865's `cursor`: empty for the first page of a cursor walk, else a `nextCursor` or
    /// `previousCursor` we returned. Without it (and without `startIndex`) a list pages by
    /// index, as it always has (`defaultPaginationMethod: index`).
    pub cursor: Option<String>,
    pub count: Option<i64>,
    pub selection: Selection,
}

/// How a list request pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Paging {
    Index {
        offset: u64,
        limit: u64,
    },
    /// From the start (`from: None`, an empty `cursor`) or from a cursor.
    Cursor {
        from: Option<Cursor>,
        limit: u64,
    },
}

impl Paging {
    fn window(self) -> Window {
        match self {
            Paging::Index { offset, limit } => Window::Index { offset, limit },
            // All rows are counted on a walk's first page only (and for `count=0`, which asks
            // for nothing else): RFC 9865 §2 lets a cursor page omit `totalResults`, and a
            // count on every page would read every matching row per page, making a walk of a
            // million users quadratic. The first page gives a client its progress total for
            // the price of one index page.
            Paging::Cursor { from, limit } => Window::Seek {
                from,
                limit,
                count: from.is_none() || limit == 0,
            },
        }
    }
}

impl ListQuery {
    /// (offset, limit): `startIndex` below 1 reads as 1; `count` below 0 as 0, above
    /// `MAX_RESULTS` as `MAX_RESULTS` (RFC 7644 §3.4.2.4, RFC 9865 §2).
    fn window(&self) -> (u64, u64) {
        let start = self.start_index.unwrap_or(1).max(1) as u64;
        let count = self
            .count
            .map(|c| c.clamp(0, MAX_RESULTS as i64) as u64)
            .unwrap_or(DEFAULT_COUNT);
        (start - 1, count)
    }

    /// How this request pages, its cursor checked against the list it is for (`binding`)
    /// before anything is read.
    fn paging(&self, binding: &Binding) -> Result<Paging, ScimError> {
        let (offset, limit) = self.window();
        match (self.cursor.as_deref(), self.start_index) {
            (None, _) => Ok(Paging::Index { offset, limit }),
            (Some(_), Some(_)) => Err(ScimError::invalid_value(
                "startIndex, cursor: a list pages by startIndex or by cursor, not both",
            )),
            (Some(""), None) => Ok(Paging::Cursor { from: None, limit }),
            (Some(text), None) => Ok(Paging::Cursor {
                from: Some(Cursor::decode(text, binding)?),
                limit,
            }),
        }
    }

    /// The filter as a condition; no filter keeps every resource.
    fn condition<A>(
        &self,
        parse: fn(&str) -> Result<Cond<A>, ScimError>,
    ) -> Result<Cond<A>, ScimError> {
        self.filter.as_deref().map_or(Ok(Cond::Always(true)), parse)
    }
}

/// The cursors of the pages around a cursor page that came `from` a cursor (or the start),
/// whose rows run from `first` to `last` and which has rows beyond it in the direction
/// walked when `more`: (previous, next).
///
/// RFC 9865 §2: `nextCursor` on every page but the last, `previousCursor` never on the
/// first. Walking forward, there were rows before a cursor (its page came from them), and
/// walking back there are rows after it.
fn neighbours(
    from: Option<Cursor>,
    rows: Option<(Position, Position)>,
    more: bool,
) -> (Option<Cursor>, Option<Cursor>) {
    let before = |position| Cursor {
        direction: Direction::Before,
        position,
    };
    let after = |position| Cursor {
        direction: Direction::After,
        position,
    };
    let first = rows.map(|(first, _)| first);
    let last = rows.map(|(_, last)| last);
    match from {
        None => (None, last.filter(|_| more).map(after)),
        // An empty page after a cursor (its rows were deleted since) has nothing to be before,
        // and `previousCursor` is optional: it is left out.
        Some(Cursor {
            direction: Direction::After,
            ..
        }) => (first.map(before), last.filter(|_| more).map(after)),
        // An empty page before a cursor (every row before it was deleted since) still has the
        // cursor's own row and those after it to go to.
        Some(Cursor {
            direction: Direction::Before,
            position,
        }) => (
            first.filter(|_| more).map(before),
            Some(after(last.unwrap_or_else(|| position.predecessor()))),
        ),
    }
}

/// A ListResponse message of `resources` (the discovery endpoints').
pub fn list_response(
    total: u64,
    start: u64,
    resources: Vec<serde_json::Value>,
) -> serde_json::Value {
    let mut body = list_head(total, start, resources.len());
    body["Resources"] = resources.into();
    body
}

/// A ListResponse's attributes before its `Resources`, for `count` of them from `start`.
fn list_head(total: u64, start: u64, count: usize) -> serde_json::Value {
    serde_json::json!({
        "schemas": [crate::domain::scim::LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start + 1,
        "itemsPerPage": count,
    })
}

/// A cursor page's ListResponse attributes before its `count` resources (RFC 9865 §2): no
/// `startIndex` (a cursor page has no index), `totalResults` when the page was counted, and
/// each cursor when the walk goes on that way.
fn cursor_head(
    total: Option<u64>,
    count: usize,
    previous: Option<String>,
    next: Option<String>,
) -> serde_json::Value {
    let mut body = serde_json::json!({ "schemas": [crate::domain::scim::LIST_SCHEMA] });
    if let Some(total) = total {
        body["totalResults"] = total.into();
    }
    body["itemsPerPage"] = count.into();
    if let Some(previous) = previous {
        body["previousCursor"] = previous.into();
    }
    if let Some(next) = next {
        body["nextCursor"] = next.into();
    }
    body
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
    use crate::domain::scim::ScimType;

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

    fn binding() -> Binding<'static> {
        Binding {
            configuration: Uuid::from_u128(1),
            resource: "User",
            filter: None,
        }
    }

    fn at(n: i64) -> Position {
        Position {
            created_at: chrono::DateTime::from_timestamp(n, 0).unwrap_or_default(),
            id: Uuid::from_u128(n as u128),
        }
    }

    #[test]
    fn a_cursor_or_a_start_index_chooses_the_paging() {
        let q = |start, cursor: Option<&str>| ListQuery {
            start_index: start,
            cursor: cursor.map(str::to_owned),
            count: Some(7),
            ..Default::default()
        };
        assert_eq!(
            q(None, None).paging(&binding()),
            Ok(Paging::Index {
                offset: 0,
                limit: 7
            })
        );
        assert_eq!(
            q(None, Some("")).paging(&binding()),
            Ok(Paging::Cursor {
                from: None,
                limit: 7
            })
        );
        let c = Cursor {
            direction: Direction::Before,
            position: at(5),
        };
        assert_eq!(
            q(None, Some(&c.encode(&binding()))).paging(&binding()),
            Ok(Paging::Cursor {
                from: Some(c),
                limit: 7
            })
        );
        let both = q(Some(1), Some("")).paging(&binding()).unwrap_err();
        assert_eq!(both.scim_type, Some(ScimType::InvalidValue));
        assert!(both.detail.starts_with("startIndex, cursor:"), "{both:?}");
        let bad = q(None, Some("nope")).paging(&binding()).unwrap_err();
        assert_eq!(bad.scim_type, Some(ScimType::InvalidCursor));
    }

    #[test]
    fn a_walk_is_counted_on_its_first_page_only() {
        let counted = |from, limit| match (Paging::Cursor { from, limit }).window() {
            Window::Seek { count, .. } => count,
            Window::Index { .. } => false,
        };
        let c = Cursor {
            direction: Direction::After,
            position: at(5),
        };
        assert!(counted(None, 7));
        assert!(!counted(Some(c), 7));
        assert!(counted(Some(c), 0));
    }

    #[test]
    fn neighbours_follow_rfc_9865() {
        let after = |n| Cursor {
            direction: Direction::After,
            position: at(n),
        };
        let before = |n| Cursor {
            direction: Direction::Before,
            position: at(n),
        };
        let rows = Some((at(1), at(3)));
        // The first page: never a previousCursor; a next one while rows remain.
        assert_eq!(neighbours(None, rows, true), (None, Some(after(3))));
        assert_eq!(neighbours(None, rows, false), (None, None));
        assert_eq!(neighbours(None, None, false), (None, None));
        // Forward: back to before the first row; on while rows remain.
        assert_eq!(
            neighbours(Some(after(0)), rows, true),
            (Some(before(1)), Some(after(3)))
        );
        assert_eq!(
            neighbours(Some(after(0)), rows, false),
            (Some(before(1)), None)
        );
        assert_eq!(neighbours(Some(after(0)), None, false), (None, None));
        // Backward: on to after the last row always; back while rows remain.
        assert_eq!(
            neighbours(Some(before(4)), rows, true),
            (Some(before(1)), Some(after(3)))
        );
        assert_eq!(
            neighbours(Some(before(4)), rows, false),
            (None, Some(after(3)))
        );
        let (previous, next) = neighbours(Some(before(4)), None, false);
        assert_eq!(previous, None);
        assert_eq!(next.map(|c| c.position), Some(at(4).predecessor()));
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
