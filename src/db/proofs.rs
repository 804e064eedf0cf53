//! Signed proofs (PRODUCT §4.1): what a proof is verified with, the key sets fetched from
//! identity providers, and the proofs already accepted.
use chrono::{DateTime, Utc};
use entity::{
    identity_provider, identity_provider_configuration as configuration,
    identity_provider_key_set as key_set, proof_replay,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use super::sign_in::{joined, select_all_of};

/// What a proof sent to one brand through one identity provider is verified with.
pub struct ProofContext {
    pub configuration: configuration::Model,
    pub identity_provider: identity_provider::Model,
    /// The JWKS last fetched from the IdP's `jwks_url`, if any.
    pub fetched: Option<key_set::Model>,
}

/// The configuration of (brand, IdP), the IdP and its fetched key set, in one statement.
pub async fn proof_context<Db: ConnectionTrait>(
    db: &Db,
    brand_id: Uuid,
    identity_provider_id: Uuid,
) -> Result<Option<ProofContext>, DbErr> {
    let (c, i, k) = ("c", "i", "k");
    let mut query = Query::select();
    select_all_of::<configuration::Entity>(&mut query, c);
    select_all_of::<identity_provider::Entity>(&mut query, i);
    select_all_of::<key_set::Entity>(&mut query, k);
    query
        .from_as(configuration::Entity, Alias::new(c))
        .join_as(
            JoinType::InnerJoin,
            identity_provider::Entity,
            Alias::new(i),
            Expr::col((Alias::new(i), identity_provider::Column::Id))
                .equals((Alias::new(c), configuration::Column::IdentityProviderId)),
        )
        .join_as(
            JoinType::LeftJoin,
            key_set::Entity,
            Alias::new(k),
            Expr::col((Alias::new(k), key_set::Column::IdentityProviderId))
                .equals((Alias::new(i), identity_provider::Column::Id)),
        )
        .and_where(Expr::col((Alias::new(c), configuration::Column::BrandId)).eq(brand_id))
        .and_where(
            Expr::col((Alias::new(c), configuration::Column::IdentityProviderId))
                .eq(identity_provider_id),
        );
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let (Some(configuration), Some(identity_provider)) = (
        joined::<configuration::Model>(&row, c)?,
        joined::<identity_provider::Model>(&row, i)?,
    ) else {
        return Ok(None);
    };
    let fetched = match row.try_get::<Option<Uuid>>("k_", "identity_provider_id")? {
        Some(_) => Some(key_set::Model::from_query_result(&row, "k_")?),
        None => None,
    };
    Ok(Some(ProofContext {
        configuration,
        identity_provider,
        fetched,
    }))
}

/// An identity provider and its fetched key set, for `sso.adminSignIn` (which has no brand).
pub async fn identity_provider_keys<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
) -> Result<Option<(identity_provider::Model, Option<key_set::Model>)>, DbErr> {
    let Some(identity_provider) = identity_provider::Entity::find_by_id(identity_provider_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let fetched = key_set::Entity::find_by_id(identity_provider_id)
        .one(db)
        .await?;
    Ok(Some((identity_provider, fetched)))
}

/// Keeps `jwks` as the last good set fetched from the IdP's URL (replacing the one before).
pub async fn save_key_set<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    jwks: String,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = key_set::ActiveModel {
        identity_provider_id: Set(identity_provider_id),
        jwks: Set(jwks),
        fetched_at: Set(at),
    };
    key_set::Entity::insert(row)
        .on_conflict(
            OnConflict::column(key_set::Column::IdentityProviderId)
                .update_columns([key_set::Column::Jwks, key_set::Column::FetchedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records a proof as accepted; `false` when it already was (a replay). Race-safe: of two
/// transactions claiming one key, the second waits for the first (PostgreSQL's unique index;
/// SQLite's single writer) and then finds it taken.
pub async fn claim<Db: ConnectionTrait>(
    db: &Db,
    identity_provider_id: Uuid,
    replay_key: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = proof_replay::ActiveModel {
        identity_provider_id: Set(identity_provider_id),
        replay_key: Set(replay_key.to_owned()),
        expires_at: Set(expires_at),
    };
    let inserted = proof_replay::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                proof_replay::Column::IdentityProviderId,
                proof_replay::Column::ReplayKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Forgets the accepted proofs that expired before `now` (they fail their time checks anyway).
pub async fn prune<Db: ConnectionTrait>(db: &Db, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = proof_replay::Entity::delete_many()
        .filter(proof_replay::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
