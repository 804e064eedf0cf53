//! What a SCIM resource type offers, whichever it is: the operations RFC 7644 §3 defines for
//! `/Users` and `/Groups`. The HTTP door serves any [`ScimResource`] with one set of generic
//! handlers, and what every resource type does alike (reading one or a page, rendering, a write
//! planned outside the write gate) is written once here: a resource type's `impl` says only
//! what is its own.
use std::{collections::HashMap, future::Future};

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use serde::{Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

use super::{
    ListQuery, Paging, ScimResult, Scope, check_version, cursor_head, list_head, neighbours,
};
use crate::{
    db::scim::{Read, ScimPage, Window},
    domain::scim::{
        ScimError,
        cursor::{Binding, Cursor, Position},
        group::{Members, WithMembers},
        project::Selection,
        user::Meta,
    },
    error::{AppError, AppResult},
    service::App,
};

/// A resource as returned, with its `Location` and its version for the `ETag` header.
pub struct Rendered {
    /// Its representation, the selection applied; without a group's `members`, which are
    /// written into it as it is serialized (see [`Members`]).
    pub body: Value,
    /// A group's members, when returned.
    pub members: Option<Members>,
    pub location: String,
    pub version: String,
}

/// The representation as sent: the body, with the members in it.
impl Serialize for Rendered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.members {
            None => self.body.serialize(serializer),
            Some(members) => WithMembers {
                body: &self.body,
                members,
            }
            .serialize(serializer),
        }
    }
}

/// What a `PUT` or `PATCH` answers (RFC 7644 §3.5.1, §3.5.2).
pub enum Answer {
    /// 200 with the resource.
    Resource(Rendered),
    /// 204 No Content: the resource is as the request asked and is not sent back (a
    /// membership change of a group that may have 100,000 members); its new version is.
    NoContent { version: String },
}

/// Which write of an existing resource a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// `PUT`: every attribute replaced.
    Replace,
    /// `PATCH`: the operations applied to the resource as one unit.
    Patch,
}

/// One SCIM resource type's operations, each within the token's configuration (`scope`).
pub trait ScimResource: Send + Sync + 'static {
    /// A stored resource, with what its representation is made of.
    type Row: Clone + PartialEq + Send + Sync;
    /// The `resourceType`, which errors name too.
    const NAME: &'static str;
    /// Where its resources are below the SCIM base URL.
    const ENDPOINT: &'static str;
    /// The attribute that shows resources of the other type (a user's `groups`, a group's
    /// `members`), which costs a query and is loaded only when the selection returns it.
    const LINKS: &'static str;
    /// Whether [`Self::LINKS`] is returned only when asked for (RFC 7643 §7 `returned:
    /// request`, see [`Selection::asks_for`]) rather than unless `excludedAttributes` names it.
    const LINKS_ON_REQUEST: bool;
    /// What [`Self::LINKS`] shows of one resource of the other type.
    type Link: Send;

    fn id(row: &Self::Row) -> Uuid;

    /// The row's place in the list order: the `created_at` and `id` the page index orders by,
    /// which a cursor records.
    fn position(row: &Self::Row) -> Position;

    fn meta(scope: &Scope, row: &Self::Row) -> Meta;

    /// The resource `id` of the configuration.
    fn find<Db: ConnectionTrait>(
        db: &Db,
        configuration_id: Uuid,
        id: Uuid,
        read: Read,
    ) -> impl Future<Output = Result<Option<Self::Row>, DbErr>> + Send;

    /// The rows in `window` of the list `query` filters.
    fn page(
        db: &DatabaseConnection,
        scope: &Scope,
        query: &ListQuery,
        window: &Window,
    ) -> impl Future<Output = ScimResult<ScimPage<Self::Row>>> + Send;

    /// What [`Self::LINKS`] shows of each of `ids`, for all at once, in the order shown:
    /// (id, link).
    fn links<Db: ConnectionTrait>(
        db: &Db,
        ids: &[Uuid],
    ) -> impl Future<Output = Result<Vec<(Uuid, Self::Link)>, DbErr>> + Send;

    /// A row as returned, with `selection` applied: `links` is `None` when the selection
    /// does not return them.
    fn represent(
        scope: &Scope,
        row: &Self::Row,
        links: Option<Vec<Self::Link>>,
        meta: Meta,
        selection: &Selection,
    ) -> AppResult<Rendered>;

    /// `POST /{type}`, answered with `selection` of the new resource.
    fn create(
        app: &App,
        scope: &Scope,
        body: &Value,
        selection: &Selection,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `PUT` or `PATCH /{type}/{id}`, answered with `selection` of the resource (or, for a
    /// group's membership PATCH without `attributes` or `excludedAttributes`, 204).
    fn update(
        app: &App,
        scope: &Scope,
        id: &str,
        how: Update,
        body: &Value,
        if_match: Option<&str>,
        selection: &Selection,
    ) -> impl Future<Output = ScimResult<Answer>> + Send;

    /// Deletes `row`, with what goes with it, in `DELETE`'s transaction.
    fn remove(
        txn: &DatabaseTransaction,
        scope: &Scope,
        row: Self::Row,
    ) -> impl Future<Output = ScimResult<()>> + Send;

    /// `If-Match` against the row's version.
    fn check_if_match(
        scope: &Scope,
        row: &Self::Row,
        if_match: Option<&str>,
    ) -> Result<(), ScimError> {
        check_version(if_match, &Self::meta(scope, row).version())
    }
}

/// `DELETE /{type}/{id}`.
pub async fn delete<R: ScimResource>(
    app: &App,
    scope: &Scope,
    raw_id: &str,
    if_match: Option<&str>,
) -> ScimResult<()> {
    app.transaction(async |txn| {
        let row = load::<R, _>(txn, scope, raw_id, Read::Plain).await?;
        R::check_if_match(scope, &row, if_match)?;
        R::remove(txn, scope, row).await
    })
    .await
}

/// `GET /{type}/{id}`. A read of one known resource (RFC 7644 §3.4.1) asks for its links
/// even when they are returned on request: only a query (a list, `.search`) needs
/// `attributes` to name them (RFC 7643 §7); `excludedAttributes` leaves them out here, as
/// Entra's `GET /Groups/{id}?excludedAttributes=members` does.
pub async fn get<R: ScimResource>(
    app: &App,
    scope: &Scope,
    raw_id: &str,
    selection: &Selection,
) -> ScimResult<Rendered> {
    let row = load::<R, _>(app.db(), scope, raw_id, Read::Plain).await?;
    let selection = selection.clone().requesting(R::LINKS);
    render_one::<R, _>(app.db(), scope, row, &selection).await
}

/// A `ListResponse` (RFC 7644 §3.4.2): its attributes, then its resources.
pub struct Listed {
    head: Value,
    resources: Vec<Rendered>,
}

impl Serialize for Listed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let head = self.head.as_object();
        let mut map = serializer.serialize_map(Some(head.map_or(0, |h| h.len()) + 1))?;
        for (key, value) in head.into_iter().flatten() {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("Resources", &self.resources)?;
        map.end()
    }
}

/// `GET /{type}` and `POST /{type}/.search`: a `ListResponse` page, by index or by cursor.
pub async fn list<R: ScimResource>(
    app: &App,
    scope: &Scope,
    query: &ListQuery,
) -> ScimResult<Listed> {
    let binding = Binding {
        configuration: scope.configuration.id,
        resource: R::NAME,
        filter: query.filter.as_deref(),
    };
    let paging = query.paging(&binding)?;
    let page = R::page(app.db(), scope, query, &paging.window()).await?;
    let resources = render::<R, _>(app.db(), scope, &page.items, &query.selection).await?;
    let count = resources.len();
    let head = match paging {
        Paging::Index { offset, .. } => {
            let total = page
                .total
                .ok_or_else(|| AppError::Internal(format!("a {} page was not counted", R::NAME)))?;
            list_head(total, offset, count)
        }
        Paging::Cursor { from, .. } => {
            let rows = page
                .items
                .first()
                .zip(page.items.last())
                .map(|(first, last)| (R::position(first), R::position(last)));
            let (previous, next) = neighbours(from, rows, page.more);
            let encode = |c: Cursor| c.encode(&binding);
            cursor_head(page.total, count, previous.map(encode), next.map(encode))
        }
    };
    Ok(Listed { head, resources })
}

/// The resource a URL names; an id we never issued (not a UUID) is simply not found.
pub async fn load<R: ScimResource, Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    raw_id: &str,
    read: Read,
) -> ScimResult<R::Row> {
    let found = match Uuid::parse_str(raw_id) {
        Ok(id) => R::find(db, scope.configuration.id, id, read).await?,
        Err(_) => None,
    };
    Ok(found
        .ok_or_else(|| ScimError::not_found(format!("no {} has the id {raw_id:?}", R::NAME)))?)
}

/// Renders rows with their links, loaded for all of them in one query.
async fn render<R: ScimResource, Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    rows: &[R::Row],
    selection: &Selection,
) -> ScimResult<Vec<Rendered>> {
    let mut links = if shows_links::<R>(selection) {
        let ids: Vec<Uuid> = rows.iter().map(R::id).collect();
        // Grouped by resource in one pass, in the order loaded: never a scan of all the links
        // for each row.
        let mut by_row: HashMap<Uuid, Vec<R::Link>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        for (of, link) in R::links(db, &ids).await? {
            if let Some(mine) = by_row.get_mut(&of) {
                mine.push(link);
            }
        }
        Some(by_row)
    } else {
        None
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mine = links
            .as_mut()
            .map(|links| links.remove(&R::id(row)).unwrap_or_default());
        out.push(R::represent(
            scope,
            row,
            mine,
            R::meta(scope, row),
            selection,
        )?);
    }
    Ok(out)
}

/// Whether `selection` returns the resource type's links.
pub(super) fn shows_links<R: ScimResource>(selection: &Selection) -> bool {
    if R::LINKS_ON_REQUEST {
        selection.asks_for(R::LINKS)
    } else {
        selection.keeps(R::LINKS)
    }
}

/// A resource just written whose links are known without asking the database: `links` (a
/// new user is in no group; a group's members are those just written), shown when the
/// selection returns them.
pub fn render_known<R: ScimResource>(
    scope: &Scope,
    row: R::Row,
    links: Vec<R::Link>,
    selection: &Selection,
) -> ScimResult<Rendered> {
    let links = shows_links::<R>(selection).then_some(links);
    let meta = R::meta(scope, &row);
    Ok(R::represent(scope, &row, links, meta, selection)?)
}

pub async fn render_one<R: ScimResource, Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    row: R::Row,
    selection: &Selection,
) -> ScimResult<Rendered> {
    let mut rendered = render::<R, _>(db, scope, std::slice::from_ref(&row), selection).await?;
    let missing = || AppError::Internal(format!("rendered no {}", R::NAME)).into();
    rendered.pop().ok_or_else(missing)
}

/// `/Users`: learners, each a contact (`service::scim::users`).
pub struct Users;

/// `/Groups`: groups of one configuration's users, mapped to roles (`service::scim::groups`).
pub struct Groups;

/// A PUT or PATCH worked out from one version of a resource (`plan`) and then written
/// (`store`), for [`write_planned`].
pub(super) trait Planned<R: ScimResource>: Sync {
    type Plan: Send + Sync;

    /// Works out the change from `row` (reading what else it needs through `db`).
    fn plan<Db: ConnectionTrait>(
        &self,
        db: &Db,
        scope: &Scope,
        row: &R::Row,
    ) -> impl Future<Output = ScimResult<Self::Plan>> + Send;

    /// Writes the change planned from `row`.
    fn store(
        &self,
        txn: &DatabaseTransaction,
        scope: &Scope,
        row: R::Row,
        plan: &Self::Plan,
    ) -> impl Future<Output = ScimResult<R::Row>> + Send;

    /// The resource's links as read when planning, when the write cannot change them (a
    /// user's groups are read-only): the answer shows them without reading them again. `None`
    /// reads them after the write.
    fn known_links(&self, _plan: &Self::Plan) -> Option<Vec<R::Link>> {
        None
    }
}

/// How often a write planned outside the write gate is planned again because the resource
/// changed meanwhile, before it is planned under the gate.
const OPTIMISTIC_ATTEMPTS: usize = 3;

/// Plans `change` from the resource as read without the write gate (parsing, patching, hashing
/// and reading what it needs), then takes the gate only to check that the resource is still the
/// version planned from and to write. A resource that keeps changing meanwhile is planned under
/// the gate at last, which always finishes.
pub(super) async fn write_planned<R: ScimResource>(
    app: &App,
    scope: &Scope,
    raw_id: &str,
    if_match: Option<&str>,
    change: &impl Planned<R>,
    selection: &Selection,
) -> ScimResult<Rendered> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let seen = load::<R, _>(app.db(), scope, raw_id, Read::Plain).await?;
        R::check_if_match(scope, &seen, if_match)?;
        let plan = change.plan(app.db(), scope, &seen).await?;
        let id = R::id(&seen);
        let written = app
            .transaction(async |txn| {
                match R::find(txn, scope.configuration.id, id, Read::ForUpdate).await? {
                    Some(current) if current == seen => {
                        change.store(txn, scope, current, &plan).await.map(Some)
                    }
                    _ => Ok(None),
                }
            })
            .await?;
        if let Some(row) = written {
            return answer::<R>(app, scope, row, change.known_links(&plan), selection).await;
        }
        tracing::debug!(resource = R::NAME, %id, "SCIM resource changed while its write was planned");
    }
    let (row, links) = app
        .transaction(async |txn| -> ScimResult<_> {
            let seen = load::<R, _>(txn, scope, raw_id, Read::ForUpdate).await?;
            R::check_if_match(scope, &seen, if_match)?;
            let plan = change.plan(txn, scope, &seen).await?;
            let row = change.store(txn, scope, seen, &plan).await?;
            Ok((row, change.known_links(&plan)))
        })
        .await?;
    answer::<R>(app, scope, row, links, selection).await
}

/// A written resource as returned: with the links its plan read, or reading them.
async fn answer<R: ScimResource>(
    app: &App,
    scope: &Scope,
    row: R::Row,
    links: Option<Vec<R::Link>>,
    selection: &Selection,
) -> ScimResult<Rendered> {
    match links {
        Some(links) => render_known::<R>(scope, row, links, selection),
        None => render_one::<R, _>(app.db(), scope, row, selection).await,
    }
}
