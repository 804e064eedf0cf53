//! Reads and small writes used by the services, each one statement unless its doc says
//! otherwise. What the sign-in hook reads and writes in its own shapes is in [`super::sign_in`].
use entity::{
    account, api_token, brand, company, contact, credential, identity_provider,
    identity_provider_configuration as configuration,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, Order, PaginatorTrait,
    PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Query},
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

/// Deletes the row `id` of `E` (the caller has checked that nothing refers to it).
pub async fn delete<E, Db>(db: &Db, id: Uuid) -> Result<(), DbErr>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    Db: ConnectionTrait,
{
    E::delete_by_id(id).exec(db).await.map(|_| ())
}

/// The first row of `query`, leaving out the row `except` (the one being changed) if given.
async fn first_except<E, Db>(
    db: &Db,
    query: sea_orm::Select<E>,
    id: E::Column,
    except: Option<Uuid>,
) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    Db: ConnectionTrait,
{
    match except {
        Some(except) => query.filter(id.ne(except)).one(db).await,
        None => query.one(db).await,
    }
}

/// How many rows of the column's entity hold `id` in `column`.
async fn count_where<C, Db>(db: &Db, column: C, id: Uuid) -> Result<u64, DbErr>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait<Model: Sync>,
    Db: ConnectionTrait,
{
    C::EntityName::find().filter(column.eq(id)).count(db).await
}

/// Another brand with this name, if any.
pub async fn brand_named<Db: ConnectionTrait>(
    db: &Db,
    name: &str,
    except: Option<Uuid>,
) -> Result<Option<brand::Model>, DbErr> {
    let query = brand::Entity::find().filter(brand::Column::Name.eq(name));
    first_except(db, query, brand::Column::Id, except).await
}

/// Another identity provider with this issuer, if any.
pub async fn identity_provider_with_issuer<Db: ConnectionTrait>(
    db: &Db,
    issuer: &str,
    except: Option<Uuid>,
) -> Result<Option<identity_provider::Model>, DbErr> {
    let query =
        identity_provider::Entity::find().filter(identity_provider::Column::Issuer.eq(issuer));
    first_except(db, query, identity_provider::Column::Id, except).await
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

/// What still refers to an entity someone wants to delete: (what, how many).
pub async fn references_to_brand<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let configurations = count_where(db, configuration::Column::BrandId, id).await?;
    Ok(vec![("identity-provider configurations", configurations)])
}

pub async fn references_to_identity_provider<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let configurations = count_where(db, configuration::Column::IdentityProviderId, id).await?;
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
    count_where(db, credential::Column::IdentityProviderId, id).await
}

pub async fn references_to_company<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let accounts = count_where(db, account::Column::CompanyId, id).await?;
    Ok(vec![("accounts", accounts)])
}

pub async fn references_to_account<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let contacts = count_where(db, contact::Column::AccountId, id).await?;
    let configurations = count_where(db, configuration::Column::DefaultAccountId, id).await?;
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
    let query = contact::Entity::find().filter(contact::Column::EmailFolded.eq(email_folded));
    first_except(db, query, contact::Column::Id, except).await
}

/// Up to two contacts whose Username folds to `key` (`by_username`) or whose OrgDefinedId is
/// `key`: two are enough to tell that the claim names no one person.
pub async fn contacts_holding<Db: ConnectionTrait>(
    db: &Db,
    by_username: bool,
    key: &str,
) -> Result<Vec<contact::Model>, DbErr> {
    let column = match by_username {
        true => contact::Column::UsernameFolded,
        false => contact::Column::OrgDefinedId,
    };
    contact::Entity::find()
        .filter(column.eq(key))
        .order_by_asc(contact::Column::Id)
        .limit(2)
        .all(db)
        .await
}

/// A contact (other than `except`) whose email looks like this one (the same confusable
/// skeleton) without being the same address, if any.
pub async fn contact_looking_like<Db: ConnectionTrait>(
    db: &Db,
    email_skeleton: &str,
    email_folded: &str,
    except: Option<Uuid>,
) -> Result<Option<contact::Model>, DbErr> {
    let query = contact::Entity::find()
        .filter(contact::Column::EmailSkeleton.eq(email_skeleton))
        .filter(contact::Column::EmailFolded.ne(email_folded));
    first_except(db, query, contact::Column::Id, except).await
}

/// Who holds an email, other than `except`: the contact with this very address, and one whose
/// address only looks like it (the same confusable skeleton), in one statement.
pub struct EmailHolders {
    pub same: Option<contact::Model>,
    pub lookalike: Option<contact::Model>,
}

pub async fn email_holders<Db: ConnectionTrait>(
    db: &Db,
    email_folded: &str,
    email_skeleton: &str,
    except: Option<Uuid>,
) -> Result<EmailHolders, DbErr> {
    // The address itself first (it is unique), then at most one look-alike.
    let exact_first: Expr = Expr::case(contact::Column::EmailFolded.eq(email_folded), 0)
        .finally(1)
        .into();
    let mut query = contact::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(contact::Column::EmailFolded.eq(email_folded))
                .add(contact::Column::EmailSkeleton.eq(email_skeleton)),
        )
        .order_by(exact_first, Order::Asc)
        .limit(2);
    if let Some(except) = except {
        query = query.filter(contact::Column::Id.ne(except));
    }
    let (same, others): (Vec<_>, Vec<_>) = query
        .all(db)
        .await?
        .into_iter()
        .partition(|c| c.email_folded == email_folded);
    Ok(EmailHolders {
        same: same.into_iter().next(),
        lookalike: others.into_iter().next(),
    })
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

/// The newest `limit` rows of `E` for each of `parents` (by `time`, then ID, newest first):
/// one statement with a window function, however many parents.
pub async fn newest_children<E, Db>(
    db: &Db,
    parent: E::Column,
    time: E::Column,
    parents: &[Uuid],
    limit: u64,
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    Db: ConnectionTrait,
{
    // Column names come from the entity, never from a client.
    let ranked = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .expr_as(
            Expr::cust(format!(
                "ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {} DESC, id DESC)",
                parent.as_str(),
                time.as_str()
            )),
            Alias::new("rank_in_parent"),
        )
        .from(E::default())
        .and_where(Expr::col(parent).is_in(parents.iter().copied()))
        .to_owned();
    let newest = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("rank_in_parent")).lte(limit as i64))
        .order_by(time, Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .to_owned();
    E::find()
        .from_raw_sql(db.get_database_backend().build(&newest))
        .all(db)
        .await
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

/// The rows of `E` whose `parent` column holds one of `parents`, in `order` (each ascending).
pub async fn children<E, Db>(
    db: &Db,
    parent: E::Column,
    order: &[E::Column],
    parents: &[Uuid],
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    Db: ConnectionTrait,
{
    let mut query = E::find().filter(parent.is_in(parents.iter().copied()));
    for column in order {
        query = query.order_by_asc(*column);
    }
    query.all(db).await
}
