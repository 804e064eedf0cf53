//! API tokens: the one place their rows are built (tokens created by hand and administrators'
//! sign-in tokens) and revoked.
use chrono::{DateTime, Utc};
use entity::api_token;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::{access::Role, stored::StoredEnum};

/// A new token: only the hash of its secret is stored.
pub struct NewToken {
    pub name: String,
    pub role: Role,
    pub brand_id: Option<Uuid>,
    pub identity_provider_id: Option<Uuid>,
    pub configuration_id: Option<Uuid>,
    pub administrator_id: Option<Uuid>,
    /// The (IdP, subject) an administrator's sign-in token was issued to.
    pub sign_in: Option<(Uuid, String)>,
    pub secret_hash: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// Writes a new, unrevoked token.
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewToken,
) -> Result<api_token::Model, DbErr> {
    let (sign_in_identity_provider_id, sign_in_subject) = new.sign_in.unzip();
    api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        role: Set(new.role.as_str().into()),
        brand_id: Set(new.brand_id),
        identity_provider_id: Set(new.identity_provider_id),
        configuration_id: Set(new.configuration_id),
        administrator_id: Set(new.administrator_id),
        sign_in_identity_provider_id: Set(sign_in_identity_provider_id),
        sign_in_subject: Set(sign_in_subject),
        secret_hash: Set(new.secret_hash),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        created_at: Set(new.at),
    }
    .insert(db)
    .await
}

/// Writes the revocation time of one token; the row as it is now.
pub async fn revoke<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<api_token::Model, DbErr> {
    api_token::ActiveModel {
        id: Unchanged(id),
        revoked_at: Set(Some(at)),
        ..Default::default()
    }
    .update(db)
    .await
}

/// Revokes every live token of an administrator: their sign-in tokens and the tokens created
/// from their sessions.
pub async fn revoke_all_of<Db: ConnectionTrait>(
    db: &Db,
    administrator_id: Uuid,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(at))
        .filter(api_token::Column::AdministratorId.eq(administrator_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}
