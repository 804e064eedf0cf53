//! SCIM storage: users (joined to their contacts) and groups of one configuration, and the
//! filters of `domain::scim::filter` run as SQL, never in memory. Their rows are inserted and
//! updated only by [`write`].
use entity::{
    contact, credential, provisioning_event, role_mapping, scim_group, scim_group_member, scim_user,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, ExprTrait, LockType},
};
use uuid::Uuid;

use crate::domain::{
    scim::{
        GroupAttr, UserAttr,
        cursor::{Cursor, Direction},
        filter::Cond,
    },
    stored::{Outcome, Source, StoredEnum},
};

mod conditions;
pub mod write;

use conditions::{group_column, mentions, on_contact, sql, user_column};

/// Which rows of a list a page holds.
#[derive(Clone, Copy, Debug)]
pub enum Window {
    /// `startIndex` (RFC 7644 §3.4.2.4): `limit` rows from `offset`, and the count of all.
    Index { offset: u64, limit: u64 },
    /// A cursor (RFC 9865): up to `limit` rows on the cursor's side of its position (from the
    /// start without one), found by a keyset seek on the page index, never an `OFFSET`, so
    /// every page costs the same however deep the walk. All rows are counted only when
    /// `count` says so: the count reads every matching row, and one per page would make a
    /// walk quadratic.
    Seek {
        from: Option<Cursor>,
        limit: u64,
        count: bool,
    },
}

/// A page of a SCIM list.
pub struct ScimPage<M> {
    /// The count of all matching rows, when the window asked for it.
    pub total: Option<u64>,
    pub items: Vec<M>,
    /// For a seek: whether rows lie beyond the page in the direction walked.
    pub more: bool,
}

/// `query` limited to `window`'s rows, ordered as the list is (or the reverse, for a seek
/// before a position: the caller reverses the rows), with one row more than a seek's page
/// to learn whether the walk goes on without a second statement.
fn windowed<E: EntityTrait>(
    query: Select<E>,
    (created_at, id): (E::Column, E::Column),
    window: &Window,
) -> Select<E> {
    let key = || {
        Expr::tuple([
            Expr::col((E::default(), created_at)),
            Expr::col((E::default(), id)),
        ])
    };
    match *window {
        Window::Index { offset, limit } => query
            .order_by_asc(created_at)
            .order_by_asc(id)
            .offset(offset)
            .limit(limit),
        Window::Seek { from, limit, .. } => {
            let limit = limit.saturating_add(1);
            let Some(Cursor {
                direction,
                position,
            }) = from
            else {
                return query.order_by_asc(created_at).order_by_asc(id).limit(limit);
            };
            let at = Expr::tuple([Expr::val(position.created_at), Expr::val(position.id)]);
            match direction {
                Direction::After => query
                    .filter(key().gt(at))
                    .order_by_asc(created_at)
                    .order_by_asc(id)
                    .limit(limit),
                Direction::Before => query
                    .filter(key().lt(at))
                    .order_by_desc(created_at)
                    .order_by_desc(id)
                    .limit(limit),
            }
        }
    }
}

/// `rows` as fetched for `window` made into its page: a seek's probe row dropped (and noted in
/// `more`), and a seek before a position put back into list order.
fn page_of<M>(mut rows: Vec<M>, total: Option<u64>, window: &Window) -> ScimPage<M> {
    let Window::Seek { from, limit, .. } = *window else {
        return ScimPage {
            total,
            items: rows,
            more: false,
        };
    };
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if from.is_some_and(|c| c.direction == Direction::Before) {
        rows.reverse();
    }
    ScimPage {
        total,
        items: rows,
        more,
    }
}

impl Window {
    fn limit(&self) -> u64 {
        match *self {
            Window::Index { limit, .. } | Window::Seek { limit, .. } => limit,
        }
    }

    fn counts(&self) -> bool {
        match *self {
            Window::Index { .. } => true,
            Window::Seek { count, .. } => count,
        }
    }
}

/// The users of a configuration matching `cond`, in creation order, with their contacts.
///
/// A page that skips no rows (the first, or any cursor page) is one statement joined to the
/// contacts. A deep `startIndex` finds the page's ids in `scim_user` alone (unless the filter
/// reads the contact), so it walks the page index rather than a million-row join; only the
/// page's own rows are then joined. The total is counted only when the window asks for it and
/// the page cannot tell it: a page that is not full, and skipped no rows or found some, ends
/// the list (a `userName eq` filter never counts).
pub async fn list_users<Db: ConnectionTrait>(
    db: &Db,
    (configuration_id, identity_provider_id): (Uuid, Uuid),
    cond: &Cond<UserAttr>,
    window: &Window,
) -> Result<ScimPage<(scim_user::Model, contact::Model)>, DbErr> {
    let backend = db.get_database_backend();
    let filter = sql(cond, backend, &user_column);
    let mut query = scim_user::Entity::find()
        .filter(scim_user::Column::ConfigurationId.eq(configuration_id))
        .filter(filter);
    let reads_contact = mentions(cond, &on_contact);
    if reads_contact {
        query = query.inner_join(contact::Entity);
    }
    if mentions(cond, &|a| a == UserAttr::UserName) {
        // The IdP is implied by the configuration, but naming it lets `userName eq` seek the
        // (IdP, userName) unique index instead of walking the configuration's users.
        query = query.filter(scim_user::Column::IdentityProviderId.eq(identity_provider_id));
    }
    let keys = (scim_user::Column::CreatedAt, scim_user::Column::Id);
    let skipped = match *window {
        Window::Index { offset, .. } => offset,
        Window::Seek { .. } => 0,
    };
    let rows: Vec<(scim_user::Model, contact::Model)> = if window.limit() == 0 {
        Vec::new()
    } else if skipped == 0 && !reads_contact {
        windowed(query.clone(), keys, window)
            .find_also_related(contact::Entity)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(u, c)| c.map(|c| (u, c)))
            .collect()
    } else {
        let ids: Vec<Uuid> = windowed(query.clone(), keys, window)
            .select_only()
            .column(scim_user::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let mut rows: Vec<(scim_user::Model, contact::Model)> = scim_user::Entity::find()
            .filter(scim_user::Column::Id.is_in(ids.iter().copied()))
            .find_also_related(contact::Entity)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(u, c)| c.map(|c| (u, c)))
            .collect();
        rows.sort_by_key(|(u, _)| ids.iter().position(|id| *id == u.id));
        rows
    };
    let page = page_of(rows, None, window);
    let total = match window.counts() {
        false => None,
        true => match known_total(window, page.items.len() as u64, page.more) {
            Some(total) => Some(total),
            None => Some(query.count(db).await?),
        },
    };
    Ok(ScimPage { total, ..page })
}

/// The total a page tells by itself: none past a full page, or past an empty one that skipped
/// rows (they may all have gone), or before a cursor's position.
fn known_total(window: &Window, found: u64, more: bool) -> Option<u64> {
    match *window {
        Window::Index { offset, limit } => {
            (limit > 0 && found < limit && (offset == 0 || found > 0)).then_some(offset + found)
        }
        Window::Seek { from, limit, .. } => (limit > 0 && from.is_none() && !more).then_some(found),
    }
}

/// Whether a read locks the row it finds until the transaction ends, on PostgreSQL (so two
/// writers of one resource take turns; SQLite's write transaction already holds the database).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    Plain,
    ForUpdate,
}

impl Read {
    fn locks<Db: ConnectionTrait>(self, db: &Db) -> bool {
        self == Read::ForUpdate && db.get_database_backend() == DbBackend::Postgres
    }
}

/// One user of a configuration, with its contact.
pub async fn user<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    id: Uuid,
    read: Read,
) -> Result<Option<(scim_user::Model, contact::Model)>, DbErr> {
    let mut query = scim_user::Entity::find_by_id(id)
        .filter(scim_user::Column::ConfigurationId.eq(configuration_id))
        .find_also_related(contact::Entity);
    if read.locks(db) {
        // `OF scim_user`: PostgreSQL refuses to lock the nullable side of an outer join, and
        // the user's row is what writers of one resource take turns on. One statement, where
        // a separate locking read would cost a round trip.
        QueryTrait::query(&mut query).lock_with_tables(LockType::Update, [scim_user::Entity]);
    }
    Ok(query.one(db).await?.and_then(|(u, c)| c.map(|c| (u, c))))
}

/// The SCIM user of an identity provider with this userName (folded), if any.
pub async fn user_named<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    user_name_folded: &str,
) -> Result<Option<scim_user::Model>, DbErr> {
    scim_user::Entity::find()
        .filter(scim_user::Column::IdentityProviderId.eq(identity_provider_id))
        .filter(scim_user::Column::UserNameFolded.eq(user_name_folded))
        .one(db)
        .await
}

/// The groups of each of `users`, as (user, group id, display name), by display name: one
/// statement however many groups they are in.
pub async fn groups_of_users<Db: ConnectionTrait>(
    db: &Db,
    users: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String)>, DbErr> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let to_group = scim_group_member::Entity::belongs_to(scim_group::Entity)
        .from(scim_group_member::Column::GroupId)
        .to(scim_group::Column::Id)
        .into();
    scim_group_member::Entity::find()
        .select_only()
        .column(scim_group_member::Column::UserId)
        .column(scim_group_member::Column::GroupId)
        .column(scim_group::Column::DisplayName)
        .join(JoinType::InnerJoin, to_group)
        .filter(scim_group_member::Column::UserId.is_in(users.iter().copied()))
        .order_by_asc(scim_group::Column::DisplayNameFolded)
        .order_by_asc(scim_group_member::Column::GroupId)
        .into_tuple()
        .all(db)
        .await
}

/// The groups of a configuration matching `cond`, in creation order.
pub async fn list_groups<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    cond: &Cond<GroupAttr>,
    window: &Window,
) -> Result<ScimPage<scim_group::Model>, DbErr> {
    let backend = db.get_database_backend();
    let query = scim_group::Entity::find()
        .filter(scim_group::Column::ConfigurationId.eq(configuration_id))
        .filter(sql(cond, backend, &group_column));
    let total = match window.counts() {
        true => Some(query.clone().count(db).await?),
        false => None,
    };
    let rows = if window.limit() == 0 {
        Vec::new()
    } else {
        let keys = (scim_group::Column::CreatedAt, scim_group::Column::Id);
        windowed(query, keys, window).all(db).await?
    };
    Ok(page_of(rows, total, window))
}

/// One group of a configuration.
pub async fn group<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    id: Uuid,
    read: Read,
) -> Result<Option<scim_group::Model>, DbErr> {
    let mut query = scim_group::Entity::find_by_id(id)
        .filter(scim_group::Column::ConfigurationId.eq(configuration_id));
    if read.locks(db) {
        query = query.lock_exclusive();
    }
    query.one(db).await
}

/// The members of each of `groups`, as (group, user id), by group and then user id: one
/// statement that reads the membership key alone (no join, no sort), however many members
/// the groups have.
pub async fn member_ids_of_groups<Db: ConnectionTrait>(
    db: &Db,
    groups: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    scim_group_member::Entity::find()
        .select_only()
        .column(scim_group_member::Column::GroupId)
        .column(scim_group_member::Column::UserId)
        .filter(scim_group_member::Column::GroupId.is_in(groups.iter().copied()))
        .order_by_asc(scim_group_member::Column::GroupId)
        .order_by_asc(scim_group_member::Column::UserId)
        .into_tuple()
        .all(db)
        .await
}

/// The members of a group, sorted by user id: one statement on the membership key.
pub async fn member_ids<Db: ConnectionTrait>(db: &Db, group_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    scim_group_member::Entity::find()
        .select_only()
        .column(scim_group_member::Column::UserId)
        .filter(scim_group_member::Column::GroupId.eq(group_id))
        .order_by_asc(scim_group_member::Column::UserId)
        .into_tuple::<Uuid>()
        .all(db)
        .await
}

/// Which of `ids` are members of the group: a statement per [`ID_CHUNK`] ids asked about,
/// whatever the group's size.
pub async fn members_among<Db: ConnectionTrait>(
    db: &Db,
    group_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    let group =
        scim_group_member::Entity::find().filter(scim_group_member::Column::GroupId.eq(group_id));
    ids_among(db, group, scim_group_member::Column::UserId, ids).await
}

/// Which of `ids` the rows of `query` hold in `column`: a statement per [`ID_CHUNK`] ids.
async fn ids_among<Db: ConnectionTrait, E: EntityTrait>(
    db: &Db,
    query: Select<E>,
    column: E::Column,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    let mut found = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            query
                .clone()
                .select_only()
                .column(column)
                .filter(column.is_in(chunk.iter().copied()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// The groups of a configuration whose folded display names are among `names_folded`.
pub async fn groups_named<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    names_folded: &[String],
) -> Result<Vec<scim_group::Model>, DbErr> {
    if names_folded.is_empty() {
        return Ok(Vec::new());
    }
    scim_group::Entity::find()
        .filter(scim_group::Column::ConfigurationId.eq(configuration_id))
        .filter(scim_group::Column::DisplayNameFolded.is_in(names_folded.iter().cloned()))
        .all(db)
        .await
}

/// The members of any of `groups` (a user in several of them comes once for each).
pub async fn members_of<Db: ConnectionTrait>(db: &Db, groups: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    scim_group_member::Entity::find()
        .select_only()
        .column(scim_group_member::Column::UserId)
        .filter(scim_group_member::Column::GroupId.is_in(groups.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await
}

/// How many ids one statement sends at most.
const ID_CHUNK: usize = 500;

/// Which of `ids` are users of the configuration.
pub async fn existing_users<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    let users =
        scim_user::Entity::find().filter(scim_user::Column::ConfigurationId.eq(configuration_id));
    ids_among(db, users, scim_user::Column::Id, ids).await
}

/// The users among `ids` with their contacts; callers send at most 500 ids at a time.
pub async fn users_with_contacts<Db: ConnectionTrait>(
    db: &Db,
    ids: &[Uuid],
) -> Result<Vec<(scim_user::Model, Option<contact::Model>)>, DbErr> {
    scim_user::Entity::find()
        .filter(scim_user::Column::Id.is_in(ids.iter().copied()))
        .find_also_related(contact::Entity)
        .all(db)
        .await
}

/// The SSO credential (IdP, subject), if any.
pub async fn sso_credential<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<Option<credential::Model>, DbErr> {
    credential::Entity::find()
        .filter(credential::Column::IdentityProviderId.eq(identity_provider_id))
        .filter(credential::Column::Subject.eq(subject))
        .one(db)
        .await
}

/// The contact of the SSO credential (IdP, subject), if any.
pub async fn sso_contact<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<Option<contact::Model>, DbErr> {
    let Some(credential) = sso_credential(db, identity_provider_id, subject).await? else {
        return Ok(None);
    };
    contact::Entity::find_by_id(credential.contact_id)
        .one(db)
        .await
}

/// How many SCIM identities a contact has, at any identity provider.
pub async fn scim_identity_count<Db: ConnectionTrait>(
    db: &Db,
    contact_id: Uuid,
) -> Result<u64, DbErr> {
    scim_user::Entity::find()
        .filter(scim_user::Column::ContactId.eq(contact_id))
        .count(db)
        .await
}

/// The (brand, identity provider) whose SCIM last deprovisioned the contact (a DELETE), when
/// that is the newest thing its provisioning log records of it.
pub async fn deprovisioned_by<Db: ConnectionTrait>(
    db: &Db,
    contact_id: Uuid,
) -> Result<Option<(Option<Uuid>, Option<Uuid>)>, DbErr> {
    let newest = provisioning_event::Entity::find()
        .filter(provisioning_event::Column::ContactId.eq(contact_id))
        .order_by_desc(provisioning_event::Column::OccurredAt)
        .order_by_desc(provisioning_event::Column::Id)
        .one(db)
        .await?;
    Ok(newest
        .filter(|e| {
            e.source == Source::Scim.as_str() && e.outcome == Outcome::Deprovisioned.as_str()
        })
        .map(|e| (e.brand_id, e.identity_provider_id)))
}

/// A configuration's role mappings as (provider role, role).
pub async fn role_mappings<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
) -> Result<Vec<(String, String)>, DbErr> {
    Ok(role_mapping::Entity::find()
        .filter(role_mapping::Column::ConfigurationId.eq(configuration_id))
        .order_by_asc(role_mapping::Column::ProviderRole)
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.provider_role, m.role))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scim::cursor::Position;

    #[test]
    fn a_page_tells_the_total_only_when_it_ends_the_list() {
        let index = |offset, limit| Window::Index { offset, limit };
        assert_eq!(known_total(&index(0, 100), 1, false), Some(1));
        assert_eq!(known_total(&index(0, 100), 0, false), Some(0));
        assert_eq!(known_total(&index(200, 100), 37, false), Some(237));
        // A full page, an empty page past skipped rows, or `count=0`: counted.
        assert_eq!(known_total(&index(0, 100), 100, false), None);
        assert_eq!(known_total(&index(200, 100), 0, false), None);
        assert_eq!(known_total(&index(0, 0), 0, false), None);

        let seek = |from, more| {
            let window = Window::Seek {
                from,
                limit: 7,
                count: true,
            };
            known_total(&window, 4, more)
        };
        let position = Position {
            created_at: chrono::Utc::now(),
            id: Uuid::now_v7(),
        };
        let after = Cursor {
            direction: Direction::After,
            position,
        };
        assert_eq!(seek(None, false), Some(4));
        assert_eq!(seek(None, true), None);
        assert_eq!(seek(Some(after), false), None);
    }
}
