//! What a SCIM resource type offers, whichever it is: the operations RFC 7644 §3 defines for
//! `/Users` and `/Groups`. The HTTP door serves any [`ScimResource`] with one set of generic
//! handlers, and what every resource type does alike (reading one or a page, rendering, a write
//! planned outside the write gate) is written once here: a resource type's `impl` says only
//! what is its own.
use std::future::Future;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use serde_json::Value;
use uuid::Uuid;

use super::{
    ListQuery, Paging, ScimResult, Scope, check_version, cursor_response, list_response, neighbours,
};
use crate::{
    db::scim::{Read, ScimPage, Window},
    domain::scim::{
        ScimError,
        cursor::{Binding, Cursor, Position},
        project::Selection,
        user::Meta,
    },
    error::{AppError, AppResult},
    service::App,
};

/// A resource as returned, with its `Location` and its version for the `ETag` header.
pub struct Rendered {
    pub body: Value,
    pub location: String,
    pub version: String,
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
    /// `members`), which costs a query and is loaded only when the selection keeps it.
    const LINKS: &'static str;

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

    /// What [`Self::LINKS`] shows of each of `ids`, for all at once: (id, the other
    /// resource's id, its name).
    fn links<Db: ConnectionTrait>(
        db: &Db,
        ids: &[Uuid],
    ) -> impl Future<Output = Result<Vec<(Uuid, Uuid, String)>, DbErr>> + Send;

    /// A row's representation; `links` (other id, name) is `None` when the selection leaves
    /// them out.
    fn represent(
        scope: &Scope,
        row: &Self::Row,
        links: Option<&[(Uuid, String)]>,
        meta: &Meta,
    ) -> AppResult<Value>;

    /// `POST /{type}`.
    fn create(
        app: &App,
        scope: &Scope,
        body: &Value,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

    /// `PUT` or `PATCH /{type}/{id}`.
    fn update(
        app: &App,
        scope: &Scope,
        id: &str,
        how: Update,
        body: &Value,
        if_match: Option<&str>,
    ) -> impl Future<Output = ScimResult<Rendered>> + Send;

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

/// `GET /{type}/{id}`.
pub async fn get<R: ScimResource>(
    app: &App,
    scope: &Scope,
    raw_id: &str,
    selection: &Selection,
) -> ScimResult<Rendered> {
    let row = load::<R, _>(app.db(), scope, raw_id, Read::Plain).await?;
    render_one::<R, _>(app.db(), scope, row, selection).await
}

/// `GET /{type}` and `POST /{type}/.search`: a `ListResponse` page, by index or by cursor.
pub async fn list<R: ScimResource>(
    app: &App,
    scope: &Scope,
    query: &ListQuery,
) -> ScimResult<Value> {
    let binding = Binding {
        configuration: scope.configuration.id,
        resource: R::NAME,
        filter: query.filter.as_deref(),
    };
    let paging = query.paging(&binding)?;
    let page = R::page(app.db(), scope, query, &paging.window()).await?;
    let rendered = render::<R, _>(app.db(), scope, &page.items, &query.selection).await?;
    let bodies = rendered.into_iter().map(|r| r.body).collect();
    Ok(match paging {
        Paging::Index { offset, .. } => {
            let total = page
                .total
                .ok_or_else(|| AppError::Internal(format!("a {} page was not counted", R::NAME)))?;
            list_response(total, offset, bodies)
        }
        Paging::Cursor { from, .. } => {
            let rows = page
                .items
                .first()
                .zip(page.items.last())
                .map(|(first, last)| (R::position(first), R::position(last)));
            let (previous, next) = neighbours(from, rows, page.more);
            let encode = |c: Cursor| c.encode(&binding);
            cursor_response(page.total, bodies, previous.map(encode), next.map(encode))
        }
    })
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
    let links = if selection.keeps(R::LINKS) {
        let ids: Vec<Uuid> = rows.iter().map(R::id).collect();
        Some(R::links(db, &ids).await?)
    } else {
        None
    };
    represent_all::<R>(scope, rows, links.as_deref(), selection)
}

/// Rows as their representations, with the links given (`None`: not asked for).
fn represent_all<R: ScimResource>(
    scope: &Scope,
    rows: &[R::Row],
    links: Option<&[(Uuid, Uuid, String)]>,
    selection: &Selection,
) -> ScimResult<Vec<Rendered>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id = R::id(row);
        let mine: Option<Vec<(Uuid, String)>> = links.map(|links| {
            links
                .iter()
                .filter(|(of, _, _)| *of == id)
                .map(|(_, other, name)| (*other, name.clone()))
                .collect()
        });
        let meta = R::meta(scope, row);
        let mut body = R::represent(scope, row, mine.as_deref(), &meta)?;
        selection.apply(&mut body);
        out.push(Rendered {
            body,
            version: meta.version(),
            location: meta.location,
        });
    }
    Ok(out)
}

/// A resource just written that nothing links to yet (a new user is in no group), rendered
/// without asking the database.
pub fn render_unlinked<R: ScimResource>(
    scope: &Scope,
    row: R::Row,
    selection: &Selection,
) -> ScimResult<Rendered> {
    let links = selection.keeps(R::LINKS).then_some(&[][..]);
    let mut rendered = represent_all::<R>(scope, std::slice::from_ref(&row), links, selection)?;
    let missing = || AppError::Internal(format!("rendered no {}", R::NAME)).into();
    rendered.pop().ok_or_else(missing)
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
            return render_one::<R, _>(app.db(), scope, row, &Selection::default()).await;
        }
        tracing::debug!(resource = R::NAME, %id, "SCIM resource changed while its write was planned");
    }
    let row = app
        .transaction(async |txn| {
            load::<R, _>(txn, scope, raw_id, Read::ForUpdate).await?;
            let seen = load::<R, _>(txn, scope, raw_id, Read::Plain).await?;
            R::check_if_match(scope, &seen, if_match)?;
            let plan = change.plan(txn, scope, &seen).await?;
            change.store(txn, scope, seen, &plan).await
        })
        .await?;
    render_one::<R, _>(app.db(), scope, row, &Selection::default()).await
}
