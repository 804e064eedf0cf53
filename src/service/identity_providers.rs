//! Identity providers: create, update (the issuer is pinned while credentials exist) and
//! delete (refused while configured or holding credentials).
use crate::domain::stored::Protocol;
use entity::identity_provider;
use sea_orm::DatabaseConnection;

use super::{Deletion, Problems, delete_unreferenced, load, now, unique_or_internal};
use crate::domain::audit::Actor;
use crate::{
    db,
    domain::{id::NodeKind, validate},
    error::{AppError, AppResult, ErrorCode, FieldError},
};

pub struct NewIdentityProvider<'a> {
    pub name: &'a str,
    pub protocol: Protocol,
    pub issuer: &'a str,
    /// Administrators may sign in through it (`sso.adminSignIn`).
    pub admin_sign_in: bool,
    /// Its emails count as verified for `sso.adminSignIn` without an `email_verified` claim.
    pub trust_email: bool,
}

#[derive(Default)]
pub struct IdentityProviderChanges<'a> {
    pub name: Option<&'a str>,
    pub protocol: Option<Protocol>,
    pub issuer: Option<&'a str>,
    pub admin_sign_in: Option<bool>,
    pub trust_email: Option<bool>,
}

fn issuer_taken(raw: &str) -> FieldError {
    FieldError::new(
        "issuer",
        ErrorCode::AlreadyExists,
        "an identity provider with this issuer already exists",
        Some(raw),
    )
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewIdentityProvider<'_>,
) -> AppResult<identity_provider::Model> {
    let mut problems = Problems::default();
    let name = problems.check(validate::required_text(
        "name",
        input.name,
        validate::NAME_MAX,
    ));
    let issuer = problems.check(validate::required_text(
        "issuer",
        input.issuer,
        validate::ISSUER_MAX,
    ));
    let (name, issuer) = problems.finish(name.zip(issuer))?;
    let txn = db::begin(db).await?;
    if db::queries::identity_provider_with_issuer(&txn, &issuer, None)
        .await?
        .is_some()
    {
        return Err(AppError::Invalid(vec![issuer_taken(input.issuer)]));
    }
    let new = db::identity_providers::NewIdentityProvider {
        name,
        protocol: input.protocol,
        issuer,
        admin_sign_in: input.admin_sign_in,
        trust_email: input.trust_email,
        at: now(),
    };
    let model = db::identity_providers::insert(&txn, new)
        .await
        .map_err(|e| unique_or_internal(e, || issuer_taken(input.issuer)))?;
    super::audit::created(&txn, actor, "identityProviders.create", &model).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    identity_provider_id: &str,
    changes: IdentityProviderChanges<'_>,
) -> AppResult<identity_provider::Model> {
    let mut problems = Problems::default();
    let name = changes
        .name
        .and_then(|n| problems.check(validate::required_text("name", n, validate::NAME_MAX)));
    let issuer = changes
        .issuer
        .and_then(|i| problems.check(validate::required_text("issuer", i, validate::ISSUER_MAX)));
    let txn = db::begin(db).await?;
    let current = problems.loaded(
        load::<identity_provider::Entity, _>(
            &txn,
            NodeKind::IdentityProvider,
            "identityProviderId",
            identity_provider_id,
        )
        .await,
    )?;
    let current = problems.finish(current)?;
    let issuer_raw = changes.issuer.unwrap_or_default();
    if let Some(issuer) = &issuer
        && db::queries::identity_provider_with_issuer(&txn, issuer, Some(current.id))
            .await?
            .is_some()
    {
        return Err(AppError::Invalid(vec![issuer_taken(issuer_raw)]));
    }
    // A subject is only unique within its issuer: moving credentials to another issuer would
    // let that issuer's users sign in as these contacts.
    if let Some(issuer) = &issuer
        && *issuer != current.issuer
    {
        let credentials = db::queries::credentials_at_identity_provider(&txn, current.id).await?;
        if credentials > 0 {
            return Err(AppError::field(
                "issuer",
                ErrorCode::InUse,
                format!(
                    "{credentials} contact credential(s) were issued by the current issuer; a \
                     new issuer needs a new identity provider"
                ),
                Some(issuer_raw),
            ));
        }
    }
    let update = db::identity_providers::IdentityProviderUpdate {
        name,
        protocol: changes.protocol,
        issuer,
        admin_sign_in: changes.admin_sign_in,
        trust_email: changes.trust_email,
    };
    let model = db::identity_providers::update(&txn, current.id, update, now())
        .await
        .map_err(|e| unique_or_internal(e, || issuer_taken(issuer_raw)))?;
    super::audit::updated(&txn, actor, "identityProviders.update", &current, &model).await?;
    txn.commit().await?;
    Ok(model)
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::IdentityProvider,
    label: "identityProviderId",
    operation: "identityProviders.delete",
};

pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    identity_provider_id: &str,
) -> AppResult<identity_provider::Model> {
    delete_unreferenced::<identity_provider::Entity>(
        db,
        actor,
        &DELETE,
        identity_provider_id,
        async |txn, id| db::queries::references_to_identity_provider(txn, id).await,
    )
    .await
}
