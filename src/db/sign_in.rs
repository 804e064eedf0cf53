//! The sign-in hook's own read: everything it decides by, in one statement. (Its update on
//! login is `contacts::update_on_sign_in`, beside every other write of a contact.)
use entity::{
    account, contact, credential, identity_provider_configuration as configuration, role_mapping,
};
use sea_orm::{
    Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    JoinType, Order, QueryResult,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use uuid::Uuid;

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
pub(super) fn select_all_of<E: EntityTrait>(query: &mut SelectStatement, table: &str) {
    for column in E::Column::iter() {
        query.expr_as(
            Expr::col((Alias::new(table), column)),
            Alias::new(format!("{table}_{}", column.as_str())),
        );
    }
}

/// The model of `E` in columns prefixed `{table}_`, or `None` when the outer join found no row.
pub(super) fn joined<M: FromQueryResult>(
    row: &QueryResult,
    table: &str,
) -> Result<Option<M>, DbErr> {
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
