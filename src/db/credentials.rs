//! The one write path of `credential` rows: a contact's SSO identities (IdP, subject) and its
//! password, whichever door (sign-in hook or SCIM) writes them.
use chrono::{DateTime, Utc};
use entity::credential;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::stored::{CredentialKind, StoredEnum};

/// An SSO identity as created.
pub struct NewSsoCredential<'a> {
    pub contact_id: Uuid,
    pub identity_provider_id: Uuid,
    pub subject: &'a str,
    /// The brand whose configuration for the IdP created it (a sign-in or a SCIM create): only
    /// that brand's SCIM may later adopt the contact by this identity.
    pub created_via_brand_id: Uuid,
    /// Created by a sign-in, which is then its last sign-in.
    pub signing_in: bool,
}

/// Inserts the SSO credential (IdP, subject) of a contact, created at `at`.
pub async fn insert_sso<C: ConnectionTrait>(
    db: &C,
    new: NewSsoCredential<'_>,
    at: DateTime<Utc>,
) -> Result<credential::Model, DbErr> {
    credential::ActiveModel {
        id: Set(Uuid::now_v7()),
        contact_id: Set(new.contact_id),
        kind: Set(CredentialKind::Sso.as_str().into()),
        identity_provider_id: Set(Some(new.identity_provider_id)),
        subject: Set(Some(new.subject.to_owned())),
        password_hash: Set(None),
        created_at: Set(at),
        last_sign_in_at: Set(new.signing_in.then_some(at)),
        created_via_brand_id: Set(Some(new.created_via_brand_id)),
    }
    .insert(db)
    .await
}

/// Replaces the contact's password credentials with one of `hash` (argon2id), created at
/// `at`.
pub async fn replace_password<C: ConnectionTrait>(
    db: &C,
    contact_id: Uuid,
    hash: String,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    delete_passwords(db, contact_id).await?;
    credential::ActiveModel {
        id: Set(Uuid::now_v7()),
        contact_id: Set(contact_id),
        kind: Set(CredentialKind::Password.as_str().into()),
        identity_provider_id: Set(None),
        subject: Set(None),
        password_hash: Set(Some(hash)),
        created_at: Set(at),
        last_sign_in_at: Set(None),
        // A password carries no door: only SCIM writes one, beside the SSO identity that does.
        created_via_brand_id: Set(None),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Stamps a credential's last sign-in at `at`.
pub async fn record_sign_in<C: ConnectionTrait>(
    db: &C,
    credential: credential::Model,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut active = credential.into_active_model();
    active.last_sign_in_at = Set(Some(at));
    active.update(db).await.map(|_| ())
}

/// Moves a contact's SSO credential at an identity provider from one subject to another (a
/// SCIM userName change); `false` when there was none to move.
pub async fn rename_sso_subject<C: ConnectionTrait>(
    db: &C,
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

/// Deletes a contact's SSO credential (IdP, subject), if it has it.
pub async fn delete_sso<C: ConnectionTrait>(
    db: &C,
    contact_id: Uuid,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<(), DbErr> {
    credential::Entity::delete_many()
        .filter(credential::Column::ContactId.eq(contact_id))
        .filter(credential::Column::IdentityProviderId.eq(identity_provider_id))
        .filter(credential::Column::Subject.eq(subject))
        .exec(db)
        .await
        .map(|_| ())
}

/// Deletes a contact's password credentials.
pub async fn delete_passwords<C: ConnectionTrait>(db: &C, contact_id: Uuid) -> Result<(), DbErr> {
    credential::Entity::delete_many()
        .filter(credential::Column::ContactId.eq(contact_id))
        .filter(credential::Column::Kind.eq(CredentialKind::Password.as_str()))
        .exec(db)
        .await
        .map(|_| ())
}
