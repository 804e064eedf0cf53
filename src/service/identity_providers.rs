//! Identity providers: create, update (the issuer is pinned while credentials exist) and
//! delete (refused while configured or holding credentials).
use entity::{identity_provider, identity_provider_configuration as configuration};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter};

use super::{
    App, Deletion, Problems, delete_unreferenced, invalid, now, unique_or_internal, unless_taken,
};
use crate::{
    db::{self, queries::references_to_identity_provider},
    domain::{
        access::{Action, Principal},
        audit::Actor,
        configuration::ProofPolicy,
        id::NodeKind,
        proof::settings::{self, MAX_AGE_RANGE, SKEW_RANGE},
        stored::{Protocol, StoredEnum},
        validate,
    },
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
    pub proofs: ProofSettings<'a>,
}

/// What an identity provider's signed proofs are verified with (PRODUCT §4.1); `None` leaves a
/// setting as it is (on create: its default), `Some(None)` clears it.
#[derive(Default)]
pub struct ProofSettings<'a> {
    pub jwks: Option<Option<&'a str>>,
    pub jwks_url: Option<Option<&'a str>>,
    pub signing_certificates: Option<Option<&'a str>>,
    pub allowed_algorithms: Option<&'a [String]>,
    pub clock_skew_seconds: Option<i32>,
    pub max_proof_age_seconds: Option<i32>,
    /// Decides who signs in as an administrator: owners only, like `admin_sign_in`.
    pub admin_audience: Option<Option<&'a str>>,
}

impl ProofSettings<'_> {
    /// The columns these settings write, each checked; every problem is reported.
    fn checked(&self, problems: &mut Problems) -> db::identity_providers::ProofColumns {
        fn text(
            problems: &mut Problems,
            value: Option<Option<&str>>,
            check: impl FnOnce(&str) -> Result<String, FieldError>,
        ) -> Option<Option<String>> {
            match value? {
                Some(raw) if !raw.trim().is_empty() => problems.check(check(raw)).map(Some),
                // Empty clears, like an explicit null.
                _ => Some(None),
            }
        }
        db::identity_providers::ProofColumns {
            jwks: text(problems, self.jwks, |r| settings::jwks("jwks", r)),
            jwks_url: text(problems, self.jwks_url, |r| {
                settings::jwks_url("jwksUrl", r)
            }),
            signing_certificates: text(problems, self.signing_certificates, |r| {
                settings::signing_certificates("signingCertificates", r)
            }),
            allowed_algorithms: self.allowed_algorithms.and_then(|names| {
                problems.check(settings::allowed_algorithms("allowedAlgorithms", names))
            }),
            clock_skew_seconds: self
                .clock_skew_seconds
                .and_then(|s| problems.check(settings::seconds("clockSkewSeconds", s, SKEW_RANGE))),
            max_proof_age_seconds: self.max_proof_age_seconds.and_then(|s| {
                problems.check(settings::seconds("maxProofAgeSeconds", s, MAX_AGE_RANGE))
            }),
            admin_audience: text(problems, self.admin_audience, |r| {
                settings::audience("adminAudience", r)
            }),
        }
    }
}

/// Whether an identity provider has what its protocol's proofs are verified with.
pub fn has_key_source(idp: &identity_provider::Model) -> bool {
    match Protocol::parse(&idp.protocol) {
        Some(Protocol::Saml) => idp.signing_certificates.is_some(),
        _ => idp.jwks.is_some() || idp.jwks_url.is_some(),
    }
}

/// An identity provider may not lose its key source while a configuration requires proofs:
/// every sign-in through it would be denied.
async fn keep_key_source(
    txn: &DatabaseTransaction,
    after: &identity_provider::Model,
) -> AppResult<()> {
    if has_key_source(after) {
        return Ok(());
    }
    let requiring = configuration::Entity::find()
        .filter(configuration::Column::IdentityProviderId.eq(after.id))
        .filter(configuration::Column::ProofPolicy.eq(ProofPolicy::Required.as_str()))
        .count(txn)
        .await?;
    if requiring == 0 {
        return Ok(());
    }
    let label = match Protocol::parse(&after.protocol) {
        Some(Protocol::Saml) => "signingCertificates",
        _ => "jwks",
    };
    Err(AppError::field(
        label,
        ErrorCode::InUse,
        format!(
            "{requiring} configuration(s) require signed proofs from this identity provider; \
             it needs a key source for its {} proofs (set proofPolicy: optional first)",
            after.protocol
        ),
        None,
    ))
}

#[derive(Default)]
pub struct IdentityProviderChanges<'a> {
    pub name: Option<&'a str>,
    pub protocol: Option<Protocol>,
    pub issuer: Option<&'a str>,
    pub admin_sign_in: Option<bool>,
    pub trust_email: Option<bool>,
    pub proofs: ProofSettings<'a>,
}

fn issuer_taken(raw: &str) -> FieldError {
    FieldError::new(
        "issuer",
        ErrorCode::AlreadyExists,
        "an identity provider with this issuer already exists",
        Some(raw),
    )
}

/// Who an identity provider may sign in as an administrator, and whether its emails are taken
/// on trust, decide who runs the platform: owners only, as for the administrators themselves.
fn authorize(app: &App, principal: &Principal, admin_trust: bool) -> AppResult<Actor> {
    let actor = app.authorize(principal, Action::Administer)?;
    if admin_trust {
        app.authorize(principal, Action::ManageAdministrators)?;
    }
    Ok(actor)
}

pub async fn create(
    app: &App,
    principal: &Principal,
    input: NewIdentityProvider<'_>,
) -> AppResult<identity_provider::Model> {
    let admin_trust = input.admin_sign_in || input.trust_email;
    let actor = authorize(
        app,
        principal,
        admin_trust || input.proofs.admin_audience.is_some(),
    )?;
    let mut problems = Problems::default();
    let proofs = input.proofs.checked(&mut problems);
    let name = problems.name("name", input.name);
    let issuer = problems.check(validate::required_text(
        "issuer",
        input.issuer,
        validate::ISSUER_MAX,
    ));
    let (name, issuer) = problems.finish(name.zip(issuer))?;
    app.transaction(async |txn| {
        let existing = db::queries::identity_provider_with_issuer(txn, &issuer, None).await?;
        let new = db::identity_providers::NewIdentityProvider {
            name,
            protocol: input.protocol,
            issuer,
            admin_sign_in: input.admin_sign_in,
            trust_email: input.trust_email,
            proofs,
            at: now(),
        };
        let insert = db::identity_providers::insert(txn, new);
        let model = unless_taken(existing, || issuer_taken(input.issuer), insert).await?;
        super::audit::created(txn, &actor, "identityProviders.create", &model).await?;
        Ok(model)
    })
    .await
}

pub async fn update(
    app: &App,
    principal: &Principal,
    identity_provider_id: &str,
    changes: IdentityProviderChanges<'_>,
) -> AppResult<identity_provider::Model> {
    let admin_trust = changes.admin_sign_in.is_some()
        || changes.trust_email.is_some()
        || changes.proofs.admin_audience.is_some();
    let actor = authorize(app, principal, admin_trust)?;
    let mut problems = Problems::default();
    let proofs = changes.proofs.checked(&mut problems);
    let name = changes.name.and_then(|n| problems.name("name", n));
    let issuer = changes
        .issuer
        .and_then(|i| problems.check(validate::required_text("issuer", i, validate::ISSUER_MAX)));
    let changed = app.transaction(async |txn| {
        let current = problems
            .load::<identity_provider::Entity, _>(
                txn,
                NodeKind::IdentityProvider,
                "identityProviderId",
                identity_provider_id,
            )
            .await?;
        let current = problems.finish(current)?;
        let issuer_raw = changes.issuer.unwrap_or_default();
        if let Some(issuer) = &issuer
            && db::queries::identity_provider_with_issuer(txn, issuer, Some(current.id))
                .await?
                .is_some()
        {
            return Err(invalid(issuer_taken(issuer_raw)));
        }
        // A subject is only unique within its issuer: moving credentials to another issuer
        // would let that issuer's users sign in as these contacts.
        if let Some(issuer) = &issuer
            && *issuer != current.issuer
        {
            let credentials =
                db::queries::credentials_at_identity_provider(txn, current.id).await?;
            if credentials > 0 {
                return Err(AppError::field(
                    "issuer",
                    ErrorCode::InUse,
                    format!(
                        "{credentials} contact credential(s) were issued by the current issuer; \
                         a new issuer needs a new identity provider"
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
            proofs,
        };
        let model = db::identity_providers::update(txn, current.id, update, now())
            .await
            .map_err(|e| unique_or_internal(e, || issuer_taken(issuer_raw)))?;
        keep_key_source(txn, &model).await?;
        super::audit::updated(txn, &actor, "identityProviders.update", &current, &model).await?;
        Ok(model)
    })
    .await;
    if changed.is_ok() {
        app.settings_changed();
    }
    changed
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::IdentityProvider,
    label: "identityProviderId",
    operation: "identityProviders.delete",
};

pub async fn delete(
    app: &App,
    principal: &Principal,
    id: &str,
) -> AppResult<identity_provider::Model> {
    delete_unreferenced::<identity_provider::Entity>(
        app,
        principal,
        &DELETE,
        id,
        references_to_identity_provider,
    )
    .await
}
