//! Identity providers: the one place their rows are built.
use chrono::{DateTime, Utc};
use entity::identity_provider;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ConnectionTrait, DbErr,
};
use uuid::Uuid;

use super::set_some;

use crate::domain::stored::{Protocol, StoredEnum};

pub struct NewIdentityProvider {
    pub name: String,
    pub protocol: Protocol,
    pub issuer: String,
    pub admin_sign_in: bool,
    pub trust_email: bool,
    pub at: DateTime<Utc>,
}

/// Writes a new identity provider.
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewIdentityProvider,
) -> Result<identity_provider::Model, DbErr> {
    identity_provider::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        protocol: Set(new.protocol.as_str().into()),
        issuer: Set(new.issuer),
        admin_sign_in: Set(new.admin_sign_in),
        trust_email: Set(new.trust_email),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    }
    .insert(db)
    .await
}

/// The columns an identity provider's change sets; `None` leaves a column as it is.
#[derive(Default)]
pub struct IdentityProviderUpdate {
    pub name: Option<String>,
    pub protocol: Option<Protocol>,
    pub issuer: Option<String>,
    pub admin_sign_in: Option<bool>,
    pub trust_email: Option<bool>,
}

/// Writes the columns `update` sets and `updated_at`; the row as it is now.
pub async fn update<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    update: IdentityProviderUpdate,
    at: DateTime<Utc>,
) -> Result<identity_provider::Model, DbErr> {
    let mut model = identity_provider::ActiveModel {
        id: Unchanged(id),
        updated_at: Set(at),
        ..Default::default()
    };
    set_some(&mut model.name, update.name);
    set_some(
        &mut model.protocol,
        update.protocol.map(|protocol| protocol.as_str().into()),
    );
    set_some(&mut model.issuer, update.issuer);
    set_some(&mut model.admin_sign_in, update.admin_sign_in);
    set_some(&mut model.trust_email, update.trust_email);
    model.update(db).await
}
