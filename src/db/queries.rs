//! Lookups used by the services. Each is one statement.
use entity::{
    account, api_token, brand, company, contact, credential, identity_provider,
    identity_provider_configuration as configuration, provisioning_event, role_mapping,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, JoinType, Order, PaginatorTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use uuid::Uuid;

pub async fn find<E, Db>(db: &Db, id: Uuid) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    Db: ConnectionTrait,
{
    E::find_by_id(id).one(db).await
}

pub async fn exists<E, Db>(db: &Db, id: Uuid) -> Result<bool, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    Db: ConnectionTrait,
{
    Ok(E::find_by_id(id).count(db).await? > 0)
}

/// Another brand with this name, if any.
pub async fn brand_named<Db: ConnectionTrait>(
    db: &Db,
    name: &str,
    except: Option<Uuid>,
) -> Result<Option<brand::Model>, DbErr> {
    let mut query = brand::Entity::find().filter(brand::Column::Name.eq(name));
    if let Some(id) = except {
        query = query.filter(brand::Column::Id.ne(id));
    }
    query.one(db).await
}

/// Another identity provider with this issuer, if any.
pub async fn identity_provider_with_issuer<Db: ConnectionTrait>(
    db: &Db,
    issuer: &str,
    except: Option<Uuid>,
) -> Result<Option<identity_provider::Model>, DbErr> {
    let mut query =
        identity_provider::Entity::find().filter(identity_provider::Column::Issuer.eq(issuer));
    if let Some(id) = except {
        query = query.filter(identity_provider::Column::Id.ne(id));
    }
    query.one(db).await
}

pub async fn configuration<Db: ConnectionTrait>(
    db: &Db,
    brand_id: Uuid,
    identity_provider_id: Uuid,
) -> Result<Option<configuration::Model>, DbErr> {
    configuration::Entity::find()
        .filter(configuration::Column::BrandId.eq(brand_id))
        .filter(configuration::Column::IdentityProviderId.eq(identity_provider_id))
        .one(db)
        .await
}

/// Replaces a configuration's role mappings with `mappings` (provider role, role).
pub async fn replace_role_mappings<Db: ConnectionTrait>(
    db: &Db,
    configuration_id: Uuid,
    mappings: &[(String, String)],
) -> Result<(), DbErr> {
    use sea_orm::ActiveValue::Set;
    role_mapping::Entity::delete_many()
        .filter(role_mapping::Column::ConfigurationId.eq(configuration_id))
        .exec(db)
        .await?;
    if mappings.is_empty() {
        return Ok(());
    }
    let rows = mappings
        .iter()
        .map(|(provider_role, role)| role_mapping::ActiveModel {
            id: Set(Uuid::now_v7()),
            configuration_id: Set(configuration_id),
            provider_role: Set(provider_role.clone()),
            role: Set(role.clone()),
        });
    role_mapping::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// What still refers to an entity someone wants to delete: (what, how many).
pub async fn references_to_brand<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let configurations = configuration::Entity::find()
        .filter(configuration::Column::BrandId.eq(id))
        .count(db)
        .await?;
    Ok(vec![("identity-provider configurations", configurations)])
}

pub async fn references_to_identity_provider<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let configurations = configuration::Entity::find()
        .filter(configuration::Column::IdentityProviderId.eq(id))
        .count(db)
        .await?;
    let credentials = credentials_at_identity_provider(db, id).await?;
    Ok(vec![
        ("brand configurations", configurations),
        ("contact credentials", credentials),
    ])
}

pub async fn credentials_at_identity_provider<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<u64, DbErr> {
    credential::Entity::find()
        .filter(credential::Column::IdentityProviderId.eq(id))
        .count(db)
        .await
}

pub async fn references_to_company<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let accounts = account::Entity::find()
        .filter(account::Column::CompanyId.eq(id))
        .count(db)
        .await?;
    Ok(vec![("accounts", accounts)])
}

pub async fn references_to_account<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let contacts = contact::Entity::find()
        .filter(contact::Column::AccountId.eq(id))
        .count(db)
        .await?;
    let configurations = configuration::Entity::find()
        .filter(configuration::Column::DefaultAccountId.eq(id))
        .count(db)
        .await?;
    Ok(vec![
        ("contacts", contacts),
        (
            "identity-provider configurations using it as default account",
            configurations,
        ),
    ])
}

/// The contact whose email folds to `email_folded`, if any.
pub async fn contact_with_email<Db: ConnectionTrait>(
    db: &Db,
    email_folded: &str,
    except: Option<Uuid>,
) -> Result<Option<contact::Model>, DbErr> {
    let mut query = contact::Entity::find().filter(contact::Column::EmailFolded.eq(email_folded));
    if let Some(id) = except {
        query = query.filter(contact::Column::Id.ne(id));
    }
    query.one(db).await
}

/// Locks a contact's row until the transaction ends, so two transactions that decide on the
/// same contact take turns. On PostgreSQL it is `SELECT … FOR UPDATE`; SQLite needs nothing,
/// as a write transaction ([`super::begin`]) holds the whole database from its start.
pub async fn lock_contact<Db: ConnectionTrait>(db: &Db, contact_id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    contact::Entity::find_by_id(contact_id)
        .select_only()
        .column(contact::Column::Id)
        .lock_exclusive()
        .into_tuple::<Uuid>()
        .one(db)
        .await
        .map(|_| ())
}

pub async fn credentials_of_contact<Db: ConnectionTrait>(
    db: &Db,
    contact_id: Uuid,
) -> Result<Vec<credential::Model>, DbErr> {
    credential::Entity::find()
        .filter(credential::Column::ContactId.eq(contact_id))
        .order_by_asc(credential::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn api_token_with_hash<Db: ConnectionTrait>(
    db: &Db,
    secret_hash: &str,
) -> Result<Option<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(secret_hash))
        .one(db)
        .await
}

/// Serialises start-up work (migrations, the first owner token) across instances until the
/// transaction ends: a transaction-scoped advisory lock on PostgreSQL; on SQLite the write
/// transaction ([`super::begin`]) is already exclusive.
pub async fn lock_startup<Db: ConnectionTrait>(db: &Db) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    // Any constant works; this one is the bytes of "autoprov" as a big-endian i64.
    db.execute_unprepared("SELECT pg_advisory_xact_lock(7022647215930896246)")
        .await
        .map(|_| ())
}

pub async fn any_api_token<Db: ConnectionTrait>(db: &Db) -> Result<bool, DbErr> {
    Ok(api_token::Entity::find()
        .select_only()
        .column(api_token::Column::Id)
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

/// The first (oldest) account of the oldest company whose name matches and that has accounts.
/// `folded` compares the case-folded name instead of the exact one.
pub async fn first_account_of_company_named<Db: ConnectionTrait>(
    db: &Db,
    name: &str,
    folded: bool,
) -> Result<Option<account::Model>, DbErr> {
    let by_name = if folded {
        company::Column::NameFolded.eq(name)
    } else {
        company::Column::Name.eq(name)
    };
    account::Entity::find()
        .inner_join(company::Entity)
        .filter(by_name)
        .order_by_asc(company::Column::CreatedAt)
        .order_by_asc(company::Column::Id)
        .order_by_asc(account::Column::CreatedAt)
        .order_by_asc(account::Column::Id)
        .one(db)
        .await
}

/// The contact's provisioning events, newest first.
/// The newest `limit` events of each of these contacts, newest first, in one statement (a
/// window function numbers each contact's events).
pub async fn provisioning_events_of_contacts<Db: ConnectionTrait>(
    db: &Db,
    contact_ids: &[Uuid],
    limit: u64,
) -> Result<Vec<provisioning_event::Model>, DbErr> {
    use provisioning_event::Column;
    let ranked = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .expr_as(
            Expr::cust(
                "ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY occurred_at DESC, id DESC)",
            ),
            Alias::new("rank_in_contact"),
        )
        .from(provisioning_event::Entity)
        .and_where(Expr::col(Column::ContactId).is_in(contact_ids.iter().copied()))
        .to_owned();
    let newest = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("rank_in_contact")).lte(limit as i64))
        .order_by(Column::OccurredAt, Order::Desc)
        .order_by(Column::Id, Order::Desc)
        .to_owned();
    provisioning_event::Model::find_by_statement(db.get_database_backend().build(&newest))
        .all(db)
        .await
}

/// Everything a sign-in needs to decide, read in one statement: the brand's configuration for
/// the identity provider, its role mappings, and the credential of the subject (if any) with
/// its contact and the contact's account.
pub struct SignInContext {
    pub configuration: configuration::Model,
    /// (provider role, role), ordered by provider role.
    pub role_mappings: Vec<(String, String)>,
    pub known: Option<KnownSubject>,
}

pub struct KnownSubject {
    pub credential: credential::Model,
    pub contact: contact::Model,
    pub account: Option<account::Model>,
}

/// Selects every column of `E` from the table aliased `table`, each aliased `{table}_{column}`.
fn select_all_of<E: EntityTrait>(query: &mut SelectStatement, table: &str) {
    for column in E::Column::iter() {
        query.expr_as(
            Expr::col((Alias::new(table), column)),
            Alias::new(format!("{table}_{}", column.as_str())),
        );
    }
}

/// The model of `E` in columns prefixed `{table}_`, or `None` when the outer join found no row.
fn joined<M: FromQueryResult>(row: &QueryResult, table: &str) -> Result<Option<M>, DbErr> {
    let prefix = format!("{table}_");
    match row.try_get::<Option<Uuid>>(&prefix, "id")? {
        Some(_) => M::from_query_result(row, &prefix).map(Some),
        None => Ok(None),
    }
}

pub async fn sign_in_context<Db: ConnectionTrait>(
    db: &Db,
    brand_id: Uuid,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<Option<SignInContext>, DbErr> {
    let (c, r, p, a, m) = ("c", "r", "p", "a", "m");
    let mut query = Query::select();
    select_all_of::<configuration::Entity>(&mut query, c);
    select_all_of::<credential::Entity>(&mut query, r);
    select_all_of::<contact::Entity>(&mut query, p);
    select_all_of::<account::Entity>(&mut query, a);
    query
        .expr_as(
            Expr::col((Alias::new(m), role_mapping::Column::ProviderRole)),
            Alias::new("m_provider_role"),
        )
        .expr_as(
            Expr::col((Alias::new(m), role_mapping::Column::Role)),
            Alias::new("m_role"),
        )
        .from_as(configuration::Entity, Alias::new(c))
        .join_as(
            JoinType::LeftJoin,
            credential::Entity,
            Alias::new(r),
            Condition::all()
                .add(
                    Expr::col((Alias::new(r), credential::Column::IdentityProviderId))
                        .equals((Alias::new(c), configuration::Column::IdentityProviderId)),
                )
                .add(Expr::col((Alias::new(r), credential::Column::Subject)).eq(subject)),
        )
        .join_as(
            JoinType::LeftJoin,
            contact::Entity,
            Alias::new(p),
            Expr::col((Alias::new(p), contact::Column::Id))
                .equals((Alias::new(r), credential::Column::ContactId)),
        )
        .join_as(
            JoinType::LeftJoin,
            account::Entity,
            Alias::new(a),
            Expr::col((Alias::new(a), account::Column::Id))
                .equals((Alias::new(p), contact::Column::AccountId)),
        )
        .join_as(
            JoinType::LeftJoin,
            role_mapping::Entity,
            Alias::new(m),
            Expr::col((Alias::new(m), role_mapping::Column::ConfigurationId))
                .equals((Alias::new(c), configuration::Column::Id)),
        )
        .and_where(Expr::col((Alias::new(c), configuration::Column::BrandId)).eq(brand_id))
        .and_where(
            Expr::col((Alias::new(c), configuration::Column::IdentityProviderId))
                .eq(identity_provider_id),
        )
        .order_by(
            (Alias::new(m), role_mapping::Column::ProviderRole),
            Order::Asc,
        );
    // One row per role mapping (at least one row): the other columns repeat.
    let rows = db.query_all(&query).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let Some(configuration) = joined::<configuration::Model>(first, c)? else {
        return Ok(None);
    };
    let known = match (
        joined::<credential::Model>(first, r)?,
        joined::<contact::Model>(first, p)?,
    ) {
        (Some(credential), Some(contact)) => Some(KnownSubject {
            credential,
            contact,
            account: joined::<account::Model>(first, a)?,
        }),
        _ => None,
    };
    let mut role_mappings = Vec::new();
    for row in &rows {
        let provider_role: Option<String> = row.try_get("m_", "provider_role")?;
        let role: Option<String> = row.try_get("m_", "role")?;
        if let (Some(provider_role), Some(role)) = (provider_role, role) {
            role_mappings.push((provider_role, role));
        }
    }
    Ok(Some(SignInContext {
        configuration,
        role_mappings,
        known,
    }))
}

/// The attributes a sign-in writes to an existing contact.
pub struct ContactUpdate<'a> {
    pub email: &'a str,
    pub email_folded: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub roles: serde_json::Value,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Updates a contact in one statement and returns it as updated. The email changes only if
/// no other contact has it (the check is inside the statement); the caller compares the
/// returned email with the one it asked for. `None` when the contact does not exist.
pub async fn update_contact<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    update: ContactUpdate<'_>,
) -> Result<Option<contact::Model>, DbErr> {
    let other = Alias::new("other");
    let taken = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(contact::Entity, other.clone())
            .and_where(
                Expr::col((other.clone(), contact::Column::EmailFolded)).eq(update.email_folded),
            )
            .and_where(Expr::col((other, contact::Column::Id)).ne(id))
            .to_owned(),
    );
    let unless_taken = |column: contact::Column, value: &str| -> Expr {
        Expr::case(taken.clone(), Expr::col(column))
            .finally(Expr::val(value))
            .into()
    };
    let updated = contact::Entity::update_many()
        .col_expr(
            contact::Column::Email,
            unless_taken(contact::Column::Email, update.email),
        )
        .col_expr(
            contact::Column::EmailFolded,
            unless_taken(contact::Column::EmailFolded, update.email_folded),
        )
        .col_expr(contact::Column::FirstName, Expr::val(update.first_name))
        .col_expr(contact::Column::LastName, Expr::val(update.last_name))
        .col_expr(contact::Column::Roles, Expr::val(update.roles))
        .col_expr(contact::Column::UpdatedAt, Expr::val(update.updated_at))
        .filter(contact::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next())
}

/// The rows of `E` with these primary keys, in no particular order (for batch loaders).
pub async fn find_many<E, Db>(db: &Db, ids: &[Uuid]) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    Db: ConnectionTrait,
{
    let Some(key) = E::PrimaryKey::iter().next() else {
        return Ok(Vec::new());
    };
    E::find()
        .filter(key.into_column().is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The configurations of these brands, oldest first.
pub async fn configurations_of_brands<Db: ConnectionTrait>(
    db: &Db,
    brand_ids: &[Uuid],
) -> Result<Vec<configuration::Model>, DbErr> {
    configuration::Entity::find()
        .filter(configuration::Column::BrandId.is_in(brand_ids.iter().copied()))
        .order_by_asc(configuration::Column::CreatedAt)
        .order_by_asc(configuration::Column::Id)
        .all(db)
        .await
}

/// The role mappings of these configurations, by provider role.
pub async fn role_mappings_of_configurations<Db: ConnectionTrait>(
    db: &Db,
    configuration_ids: &[Uuid],
) -> Result<Vec<role_mapping::Model>, DbErr> {
    role_mapping::Entity::find()
        .filter(role_mapping::Column::ConfigurationId.is_in(configuration_ids.iter().copied()))
        .order_by_asc(role_mapping::Column::ProviderRole)
        .all(db)
        .await
}

/// The credentials of these contacts, oldest first.
pub async fn credentials_of_contacts<Db: ConnectionTrait>(
    db: &Db,
    contact_ids: &[Uuid],
) -> Result<Vec<credential::Model>, DbErr> {
    credential::Entity::find()
        .filter(credential::Column::ContactId.is_in(contact_ids.iter().copied()))
        .order_by_asc(credential::Column::CreatedAt)
        .order_by_asc(credential::Column::Id)
        .all(db)
        .await
}
