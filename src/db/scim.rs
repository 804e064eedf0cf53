//! SCIM storage: users (joined to their contacts) and groups of one configuration, and the
//! filters of `domain::scim::filter` run as SQL, never in memory.
use entity::{contact, credential, role_mapping, scim_group, scim_group_member, scim_user};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Value,
    sea_query::{Alias, Expr, ExprTrait, Func, IntoColumnRef, Query},
};
use uuid::Uuid;

use crate::domain::{
    scim::{
        GroupAttr, UserAttr,
        filter::{Cond, Literal, Op},
    },
    stored::{ContactStatus, CredentialKind, StoredEnum},
    validate,
};

/// A page of a SCIM list.
pub struct ScimPage<M> {
    pub total: u64,
    pub items: Vec<M>,
}

/// How one attribute is stored: the SQL expression to compare, and how a literal is shaped
/// for it.
enum Column {
    /// Text compared after the database lowercases it (and the literal is lowercased).
    Lowered(Expr),
    /// Text stored folded (NFKC + case folding); the literal is folded the same way in Rust.
    Folded(Expr),
    /// Text compared exactly.
    Exact(Expr),
    Id(Expr),
    Time(Expr),
    /// The contact's status: `active` is true.
    Status(Expr),
    /// A nullable boolean column.
    Flag(Expr),
    /// The contact's folded email; a placeholder address (a user the IdP sent no email for)
    /// counts as absent.
    Email(Expr),
}

fn col<T: IntoColumnRef>(c: T) -> Expr {
    Expr::col(c)
}

fn user_column(attr: UserAttr) -> Column {
    use scim_user::Column as U;
    let u = |c: U| col((scim_user::Entity, c));
    let c = |c: contact::Column| col((contact::Entity, c));
    match attr {
        UserAttr::Id => Column::Id(u(U::Id)),
        UserAttr::UserName => Column::Folded(u(U::UserNameFolded)),
        UserAttr::ExternalId => Column::Exact(u(U::ExternalId)),
        UserAttr::GivenName => Column::Lowered(c(contact::Column::FirstName)),
        UserAttr::FamilyName => Column::Lowered(c(contact::Column::LastName)),
        UserAttr::DisplayName => Column::Lowered(u(U::DisplayName)),
        UserAttr::Title => Column::Lowered(u(U::Title)),
        UserAttr::Email => Column::Email(c(contact::Column::EmailFolded)),
        UserAttr::EmailType => Column::Lowered(u(U::EmailType)),
        UserAttr::EmailPrimary => Column::Flag(u(U::EmailPrimary)),
        UserAttr::Active => Column::Status(c(contact::Column::Status)),
        UserAttr::Department => Column::Lowered(u(U::Department)),
        UserAttr::EmployeeNumber => Column::Lowered(u(U::EmployeeNumber)),
        UserAttr::Organization => Column::Lowered(u(U::Organization)),
        UserAttr::Manager => Column::Exact(u(U::ManagerId)),
        UserAttr::Created => Column::Time(u(U::CreatedAt)),
        UserAttr::LastModified => Column::Time(last_modified()),
    }
}

/// `meta.lastModified` of a user: the later of its SCIM row's and its contact's changes (a
/// sign-in may update the contact).
fn last_modified() -> Expr {
    let u = col((scim_user::Entity, scim_user::Column::UpdatedAt));
    let c = col((contact::Entity, contact::Column::UpdatedAt));
    Expr::case(u.clone().gt(c.clone()), u).finally(c).into()
}

/// The SQL of one condition over `column_of`'s attributes.
fn sql<A: Copy>(
    cond: &Cond<A>,
    backend: DbBackend,
    column_of: &dyn Fn(A) -> Result<Column, Expr>,
) -> Expr {
    match cond {
        Cond::Always(true) => Expr::cust("1 = 1"),
        Cond::Always(false) => Expr::cust("1 = 0"),
        Cond::Not(inner) => sql(inner, backend, column_of).not(),
        Cond::And(items) => items
            .iter()
            .fold(Condition::all(), |all, c| {
                all.add(sql(c, backend, column_of))
            })
            .into(),
        Cond::Or(items) => items
            .iter()
            .fold(Condition::any(), |any, c| {
                any.add(sql(c, backend, column_of))
            })
            .into(),
        Cond::Present(attr) => match column_of(*attr) {
            Err(special) => special,
            Ok(Column::Lowered(e) | Column::Folded(e) | Column::Exact(e)) => {
                e.clone().is_not_null().and(e.ne(""))
            }
            Ok(Column::Id(e) | Column::Time(e) | Column::Status(e) | Column::Flag(e)) => {
                e.is_not_null()
            }
            Ok(Column::Email(e)) => e.not_like(placeholder_pattern()),
        },
        Cond::Compare(attr, op, literal) => match column_of(*attr) {
            Err(special) => special,
            Ok(column) => compare(column, op, literal, backend),
        },
    }
}

fn compare(column: Column, op: &Op, literal: &Literal, backend: DbBackend) -> Expr {
    match (column, literal) {
        (Column::Lowered(e), Literal::Text(v)) => {
            text(Expr::expr(Func::lower(e)), op, v.to_lowercase(), backend)
        }
        (Column::Folded(e), Literal::Text(v)) => text(e, op, validate::fold(v), backend),
        // Equality keeps the unique index; other operators must not see placeholders.
        (Column::Email(e), Literal::Text(v)) if *op == Op::Eq => e.eq(validate::fold(v)),
        (Column::Email(e), Literal::Text(v)) => {
            let real: Expr = Expr::case(
                e.clone().like(placeholder_pattern()),
                Expr::val(Option::<String>::None),
            )
            .finally(e)
            .into();
            text(real, op, validate::fold(v), backend)
        }
        (Column::Flag(e), Literal::Bool(b)) => ordered(e, op, Value::from(*b)),
        (Column::Exact(e), Literal::Text(v)) => text(e, op, v.clone(), backend),
        (Column::Id(e), Literal::Id(id)) => ordered(e, op, Value::from(*id)),
        (Column::Time(e), Literal::DateTime(at)) => ordered(e, op, Value::from(*at)),
        (Column::Status(e), Literal::Bool(b)) => {
            let status = if *b {
                ContactStatus::Active
            } else {
                ContactStatus::Inactive
            };
            let is = e.eq(status.as_str());
            if *op == Op::Ne { is.not() } else { is }
        }
        // The filter module types every literal for its attribute; anything else matches
        // nothing rather than everything.
        _ => Expr::cust("1 = 0"),
    }
}

fn ordered(e: Expr, op: &Op, v: Value) -> Expr {
    match op {
        Op::Eq => e.eq(v),
        Op::Ne => e.clone().ne(v).or(e.is_null()),
        Op::Gt => e.gt(v),
        Op::Ge => e.gte(v),
        Op::Lt => e.lt(v),
        Op::Le => e.lte(v),
        // Substring operators on ids and times are refused by the filter module.
        Op::Co | Op::Sw | Op::Ew => Expr::cust("1 = 0"),
    }
}

/// A text comparison; substring tests use `substr` and `instr`/`strpos` rather than LIKE, so
/// `%` and `_` in a value mean themselves and case rules are the column's own on both
/// databases.
fn text(e: Expr, op: &Op, v: String, backend: DbBackend) -> Expr {
    // 32-bit, so that PostgreSQL finds `substr(text, int, int)`.
    let n = v.chars().count().min(i32::MAX as usize) as i32;
    match op {
        Op::Co => {
            let position = if backend == DbBackend::Postgres {
                "strpos"
            } else {
                "instr"
            };
            Expr::expr(Func::cust(position).arg(e).arg(Expr::val(v))).gt(0)
        }
        Op::Sw => Expr::expr(
            Func::cust("substr")
                .arg(e)
                .arg(Expr::val(1))
                .arg(Expr::val(n)),
        )
        .eq(v),
        Op::Ew => {
            let start = Expr::expr(Func::cust("length").arg(e.clone())).sub(Expr::val(n - 1));
            Expr::expr(Func::cust("substr").arg(e).arg(start)).eq(v)
        }
        other => ordered(e, other, Value::from(v)),
    }
}

/// The placeholder addresses of users without email (see `service::scim::users`).
fn placeholder_pattern() -> String {
    format!("%@{}", crate::domain::scim::user::PLACEHOLDER_DOMAIN)
}

/// Whether a condition reads any attribute of `pred` (a cheaper plan is possible when not).
fn mentions<A: Copy>(cond: &Cond<A>, pred: &dyn Fn(A) -> bool) -> bool {
    match cond {
        Cond::Always(_) => false,
        Cond::Present(a) | Cond::Compare(a, _, _) => pred(*a),
        Cond::Not(inner) => mentions(inner, pred),
        Cond::And(items) | Cond::Or(items) => items.iter().any(|c| mentions(c, pred)),
    }
}

fn on_contact(attr: UserAttr) -> bool {
    matches!(
        attr,
        UserAttr::GivenName
            | UserAttr::FamilyName
            | UserAttr::Email
            | UserAttr::Active
            | UserAttr::LastModified
    )
}

/// The users of a configuration matching `cond`, in creation order, with their contacts.
///
/// The count and the page's ids are found in `scim_user` alone unless the filter reads the
/// contact, so a deep `startIndex` walks the page index rather than a million-row join; only
/// the page's own rows are then joined to their contacts.
pub async fn list_users<Db: ConnectionTrait>(
    db: &Db,
    (configuration_id, identity_provider_id): (Uuid, Uuid),
    cond: &Cond<UserAttr>,
    offset: u64,
    limit: u64,
) -> Result<ScimPage<(scim_user::Model, contact::Model)>, DbErr> {
    let backend = db.get_database_backend();
    let filter = sql(cond, backend, &|a| Ok(user_column(a)));
    let mut query = scim_user::Entity::find()
        .filter(scim_user::Column::ConfigurationId.eq(configuration_id))
        .filter(filter);
    if mentions(cond, &on_contact) {
        query = query.inner_join(contact::Entity);
    }
    if mentions(cond, &|a| a == UserAttr::UserName) {
        // The IdP is implied by the configuration, but naming it lets `userName eq` seek the
        // (IdP, userName) unique index instead of walking the configuration's users.
        query = query.filter(scim_user::Column::IdentityProviderId.eq(identity_provider_id));
    }
    let total = query.clone().count(db).await?;
    if limit == 0 {
        return Ok(ScimPage {
            total,
            items: Vec::new(),
        });
    }
    let ids: Vec<Uuid> = query
        .select_only()
        .column(scim_user::Column::Id)
        .order_by_asc(scim_user::Column::CreatedAt)
        .order_by_asc(scim_user::Column::Id)
        .offset(offset)
        .limit(limit)
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
    Ok(ScimPage { total, items: rows })
}

/// One user of a configuration, with its contact.
pub async fn user<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    id: Uuid,
) -> Result<Option<(scim_user::Model, contact::Model)>, DbErr> {
    Ok(scim_user::Entity::find_by_id(id)
        .filter(scim_user::Column::ConfigurationId.eq(configuration_id))
        .find_also_related(contact::Entity)
        .one(db)
        .await?
        .and_then(|(u, c)| c.map(|c| (u, c))))
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

/// The SCIM identity a contact has through an identity provider, if any.
pub async fn user_of_contact<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    contact_id: Uuid,
) -> Result<Option<scim_user::Model>, DbErr> {
    scim_user::Entity::find()
        .filter(scim_user::Column::IdentityProviderId.eq(identity_provider_id))
        .filter(scim_user::Column::ContactId.eq(contact_id))
        .one(db)
        .await
}

/// The groups of each of `users`, as (user, group id, display name).
pub async fn groups_of_users<Db: ConnectionTrait>(
    db: &Db,
    users: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String)>, DbErr> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let rows = scim_group_member::Entity::find()
        .filter(scim_group_member::Column::UserId.is_in(users.iter().copied()))
        .all(db)
        .await?;
    let groups = scim_group::Entity::find()
        .filter(scim_group::Column::Id.is_in(rows.iter().map(|r| r.group_id)))
        .order_by_asc(scim_group::Column::DisplayNameFolded)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for g in &groups {
        for r in rows.iter().filter(|r| r.group_id == g.id) {
            out.push((r.user_id, g.id, g.display_name.clone()));
        }
    }
    Ok(out)
}

fn group_column(attr: GroupAttr) -> Result<Column, Expr> {
    use scim_group::Column as G;
    let g = |c: G| col((scim_group::Entity, c));
    Ok(match attr {
        GroupAttr::Id => Column::Id(g(G::Id)),
        GroupAttr::DisplayName => Column::Folded(g(G::DisplayNameFolded)),
        GroupAttr::ExternalId => Column::Exact(g(G::ExternalId)),
        GroupAttr::Created => Column::Time(g(G::CreatedAt)),
        GroupAttr::LastModified => Column::Time(g(G::UpdatedAt)),
        // Membership is a subquery; see `member_condition`.
        GroupAttr::Member => return Err(Expr::cust("1 = 0")),
    })
}

/// `members[value eq ...]` and `members pr` as EXISTS subqueries.
fn group_sql(cond: &Cond<GroupAttr>, backend: DbBackend) -> Expr {
    let members = |user: Option<Uuid>| {
        let m = Alias::new("m");
        let mut q = Query::select();
        q.expr(Expr::val(1))
            .from_as(scim_group_member::Entity, m.clone())
            .and_where(
                Expr::col((m.clone(), scim_group_member::Column::GroupId))
                    .equals((scim_group::Entity, scim_group::Column::Id)),
            );
        if let Some(user) = user {
            q.and_where(Expr::col((m, scim_group_member::Column::UserId)).eq(user));
        }
        q.to_owned()
    };
    match cond {
        Cond::Present(GroupAttr::Member) => Expr::exists(members(None)),
        Cond::Compare(GroupAttr::Member, Op::Eq, Literal::Id(id)) => {
            Expr::exists(members(Some(*id)))
        }
        Cond::Compare(GroupAttr::Member, Op::Ne, Literal::Id(id)) => {
            Expr::not_exists(members(Some(*id)))
        }
        Cond::Not(inner) => group_sql(inner, backend).not(),
        Cond::And(items) => items
            .iter()
            .fold(Condition::all(), |all, c| all.add(group_sql(c, backend)))
            .into(),
        Cond::Or(items) => items
            .iter()
            .fold(Condition::any(), |any, c| any.add(group_sql(c, backend)))
            .into(),
        other => sql(other, backend, &group_column),
    }
}

/// The groups of a configuration matching `cond`, in creation order.
pub async fn list_groups<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    cond: &Cond<GroupAttr>,
    offset: u64,
    limit: u64,
) -> Result<ScimPage<scim_group::Model>, DbErr> {
    let backend = db.get_database_backend();
    let query = scim_group::Entity::find()
        .filter(scim_group::Column::ConfigurationId.eq(configuration_id))
        .filter(group_sql(cond, backend));
    let total = query.clone().count(db).await?;
    let items = if limit == 0 {
        Vec::new()
    } else {
        query
            .order_by_asc(scim_group::Column::CreatedAt)
            .order_by_asc(scim_group::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(db)
            .await?
    };
    Ok(ScimPage { total, items })
}

pub async fn group<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    id: Uuid,
) -> Result<Option<scim_group::Model>, DbErr> {
    scim_group::Entity::find_by_id(id)
        .filter(scim_group::Column::ConfigurationId.eq(configuration_id))
        .one(db)
        .await
}

pub async fn group_named<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    display_name_folded: &str,
) -> Result<Option<scim_group::Model>, DbErr> {
    scim_group::Entity::find()
        .filter(scim_group::Column::ConfigurationId.eq(configuration_id))
        .filter(scim_group::Column::DisplayNameFolded.eq(display_name_folded))
        .one(db)
        .await
}

/// The members of each of `groups`, as (group, user id, userName), by userName.
pub async fn members_of_groups<Db: ConnectionTrait>(
    db: &Db,
    groups: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String)>, DbErr> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let rows = scim_group_member::Entity::find()
        .filter(scim_group_member::Column::GroupId.is_in(groups.iter().copied()))
        .all(db)
        .await?;
    let mut users = Vec::new();
    for chunk in rows.chunks(500) {
        users.extend(
            scim_user::Entity::find()
                .filter(scim_user::Column::Id.is_in(chunk.iter().map(|r| r.user_id)))
                .all(db)
                .await?,
        );
    }
    users.sort_by(|a, b| a.user_name_folded.cmp(&b.user_name_folded));
    let mut out = Vec::new();
    for u in &users {
        for r in rows.iter().filter(|r| r.user_id == u.id) {
            out.push((r.group_id, u.id, u.user_name.clone()));
        }
    }
    Ok(out)
}

/// Which of `ids` are users of the configuration.
pub async fn existing_users<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        found.extend(
            scim_user::Entity::find()
                .select_only()
                .column(scim_user::Column::Id)
                .filter(scim_user::Column::ConfigurationId.eq(configuration_id))
                .filter(scim_user::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// Replaces a group's members.
pub async fn set_members<Db: ConnectionTrait>(
    db: &Db,
    group_id: Uuid,
    members: &[Uuid],
) -> Result<(), DbErr> {
    scim_group_member::Entity::delete_many()
        .filter(scim_group_member::Column::GroupId.eq(group_id))
        .exec(db)
        .await?;
    for chunk in members.chunks(500) {
        scim_group_member::Entity::insert_many(chunk.iter().map(|user| {
            scim_group_member::ActiveModel {
                group_id: sea_orm::ActiveValue::Set(group_id),
                user_id: sea_orm::ActiveValue::Set(*user),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// The members of one group.
pub async fn member_ids<Db: ConnectionTrait>(db: &Db, group_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    scim_group_member::Entity::find()
        .select_only()
        .column(scim_group_member::Column::UserId)
        .filter(scim_group_member::Column::GroupId.eq(group_id))
        .into_tuple::<Uuid>()
        .all(db)
        .await
}

/// The contact of the SSO credential (IdP, subject), if any.
pub async fn sso_contact<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<Option<contact::Model>, DbErr> {
    let Some(credential) = credential::Entity::find()
        .filter(credential::Column::IdentityProviderId.eq(identity_provider_id))
        .filter(credential::Column::Subject.eq(subject))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    contact::Entity::find_by_id(credential.contact_id)
        .one(db)
        .await
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

/// Moves a contact's SSO credential at an identity provider from one subject to another (a
/// SCIM userName change); `false` when there was none to move.
pub async fn rename_sso_subject<Db: ConnectionTrait>(
    db: &Db,
    contact_id: Uuid,
    identity_provider_id: Uuid,
    from: &str,
    to: &str,
) -> Result<bool, DbErr> {
    let moved = credential::Entity::update_many()
        .col_expr(credential::Column::Subject, Expr::val(to))
        .filter(credential::Column::ContactId.eq(contact_id))
        .filter(credential::Column::IdentityProviderId.eq(identity_provider_id))
        .filter(credential::Column::Subject.eq(from))
        .exec(db)
        .await?;
    Ok(moved.rows_affected > 0)
}

/// Deletes a contact's credentials of `kind`, or only its SSO credential (IdP, subject).
pub async fn delete_credentials<Db: ConnectionTrait>(
    db: &Db,
    contact_id: Uuid,
    sso: Option<(Uuid, &str)>,
    passwords: bool,
) -> Result<(), DbErr> {
    if let Some((idp, subject)) = sso {
        credential::Entity::delete_many()
            .filter(credential::Column::ContactId.eq(contact_id))
            .filter(credential::Column::IdentityProviderId.eq(idp))
            .filter(credential::Column::Subject.eq(subject))
            .exec(db)
            .await?;
    }
    if passwords {
        credential::Entity::delete_many()
            .filter(credential::Column::ContactId.eq(contact_id))
            .filter(credential::Column::Kind.eq(CredentialKind::Password.as_str()))
            .exec(db)
            .await?;
    }
    Ok(())
}
