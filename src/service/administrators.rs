//! Administrators: manual ones created and changed by hand, rule-provisioned ones only
//! read here (their role and status follow the rules: `managedByRule`), and the sign-in of an
//! administrator through SSO, which issues a short-lived token carrying their role.
use entity::{administrator, api_token, identity_provider};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{App, Problems, invalid, load, now, unique_or_internal, unless_taken};
use crate::{
    db,
    domain::{
        access::{Action, Principal, Role},
        audit::Actor,
        configuration::AttributeMap,
        employees::{AdminOrigin, AdminRole, AdminStatus, ChangeKind},
        id::NodeKind,
        sign_in::claims,
        stored::StoredEnum,
        validate,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
};

fn email_taken(raw: &str) -> FieldError {
    FieldError::new(
        "email",
        ErrorCode::AlreadyExists,
        "another administrator has this email",
        Some(raw),
    )
}

pub struct NewAdministrator<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub role: AdminRole,
}

/// Creates a manual administrator: active, never touched by a sync.
pub async fn create(
    app: &App,
    principal: &Principal,
    input: NewAdministrator<'_>,
) -> AppResult<administrator::Model> {
    let actor = app.authorize(principal, Action::ManageAdministrators)?;
    let mut problems = Problems::default();
    let email = problems.check(validate::email("email", input.email));
    let first = problems.name("firstName", input.first_name);
    let last = problems.name("lastName", input.last_name);
    let ((email, first), last) = problems.finish(email.zip(first).zip(last))?;
    app.transaction(async |txn| {
        let existing = db::administrators::with_email(txn, &validate::fold(&email)).await?;
        let new = db::administrators::NewAdministrator {
            id: Uuid::now_v7(),
            email,
            first_name: first,
            last_name: last,
            role: input.role,
            status: AdminStatus::Active,
            origin: AdminOrigin::Manual,
            rule_id: None,
            employee_id: None,
            at: now(),
        };
        let insert = db::administrators::insert(txn, new);
        let model = unless_taken(existing, || email_taken(input.email), insert).await?;
        super::audit::created(txn, &actor, "administrators.create", &model).await?;
        record(
            txn,
            &actor,
            &model,
            None,
            ChangeKind::Created,
            "created by hand",
        )
        .await?;
        Ok(model)
    })
    .await
}

/// A manual change: omitted fields stay as they are.
#[derive(Default)]
pub struct AdministratorChanges<'a> {
    pub role: Option<AdminRole>,
    pub status: Option<AdminStatus>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// Forget the (IdP, subject) the administrator is bound to, so that their next SSO
    /// sign-in binds them afresh (a move to another IdP); their tokens are revoked. Allowed for
    /// rule-provisioned administrators too: the binding is not employee data.
    pub reset_sign_in: bool,
}

pub async fn update(
    app: &App,
    principal: &Principal,
    administrator_id: &str,
    changes: AdministratorChanges<'_>,
) -> AppResult<administrator::Model> {
    let actor = app.authorize(principal, Action::ManageAdministrators)?;
    let mut problems = Problems::default();
    let email = changes
        .email
        .and_then(|e| problems.check(validate::email("email", e)));
    let first = changes
        .first_name
        .and_then(|n| problems.name("firstName", n));
    let last = changes.last_name.and_then(|n| problems.name("lastName", n));
    app.transaction(async |txn| {
        let current = problems
            .load::<administrator::Entity, _>(
                txn,
                NodeKind::Administrator,
                "administratorId",
                administrator_id,
            )
            .await?;
        if let Some(current) = &current
            && current.origin == AdminOrigin::Rule.as_str()
        {
            // The next sync would undo a manual change: refuse it, and say what to do instead.
            let managed = |label: &str, value: Option<&str>| {
                FieldError::new(
                    label,
                    ErrorCode::ManagedByRule,
                    "this administrator is provisioned by a rule from employee data; change the \
                     rule (adminProvisioningRules) or the employee file instead",
                    value,
                )
            };
            for (label, value) in [
                ("role", changes.role.map(AdminRole::as_str)),
                ("status", changes.status.map(AdminStatus::as_str)),
                ("email", changes.email),
                ("firstName", changes.first_name),
                ("lastName", changes.last_name),
            ] {
                if let Some(value) = value {
                    problems.push(managed(label, Some(value)));
                }
            }
        }
        let current = problems.finish(current)?;
        if let Some(email) = &email {
            let folded = validate::fold(email);
            if folded != current.email_folded
                && db::administrators::with_email(txn, &folded)
                    .await?
                    .is_some()
            {
                return Err(invalid(email_taken(email)));
            }
        }
        let update = db::administrators::AdministratorUpdate {
            role: changes.role,
            status: changes.status,
            rule_id: None,
            email,
            first_name: first,
            last_name: last,
            forget_sign_in: changes.reset_sign_in,
        };
        if update.is_empty() {
            return Ok(current);
        }
        let before = current;
        let model = db::administrators::update(txn, before.id, update, now())
            .await
            .map_err(|e| {
                unique_or_internal(e, || email_taken(changes.email.unwrap_or_default()))
            })?;
        if model == before {
            return Ok(before);
        }
        super::audit::updated(txn, &actor, "administrators.update", &before, &model).await?;
        let kind = if before.status != model.status {
            if model.status == AdminStatus::Inactive.as_str() {
                ChangeKind::Deactivated
            } else {
                ChangeKind::Reactivated
            }
        } else if before.role != model.role {
            ChangeKind::RoleChanged
        } else {
            ChangeKind::Updated
        };
        // A sign-in token carries the role it was issued with: a new role needs a new sign-in.
        // Forgetting the identity the tokens were issued to revokes them too.
        if matches!(kind, ChangeKind::Deactivated | ChangeKind::RoleChanged)
            || (before.sign_in_subject.is_some() && model.sign_in_subject.is_none())
        {
            db::api_tokens::revoke_all_of(txn, model.id, model.updated_at).await?;
        }
        record(txn, &actor, &model, Some(&before), kind, "changed by hand").await?;
        Ok(model)
    })
    .await
}

/// One event of a manual change, in `Administrator.events` beside the syncs' events.
async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    model: &administrator::Model,
    before: Option<&administrator::Model>,
    kind: ChangeKind,
    reason: &str,
) -> AppResult<()> {
    let event = db::administrators::NewEvent {
        administrator_id: model.id,
        employee_sync_id: None,
        kind,
        rule_id: None,
        rule_name: None,
        old_role: before.map(|b| b.role.clone()),
        new_role: model.role.clone(),
        old_status: before.map(|b| b.status.clone()),
        new_status: model.status.clone(),
        reason: reason.to_owned(),
        actor: Some(actor.name.clone()),
        at: model.updated_at,
    };
    Ok(db::administrators::insert_events(txn, vec![event]).await?)
}

/// How long an administrator's sign-in token lives (`sso.adminSignIn`): a working day.
pub const ADMIN_SESSION_HOURS: i64 = 8;

/// Where an administrator's sign-in came from: the audit log names it.
struct SignedInVia<'a> {
    identity_provider: &'a identity_provider::Model,
    subject: &'a str,
}

/// Issues an administrator's sign-in token: the administrator's role, bound to them (so the
/// audit log names the person, and the token is good only while they are active with that
/// role), recording the IdP and subject it was issued to, expiring in
/// [`ADMIN_SESSION_HOURS`].
async fn create_token(
    txn: &DatabaseTransaction,
    actor: &Actor,
    administrator: &entity::administrator::Model,
    role: Role,
    via: SignedInVia<'_>,
) -> AppResult<(api_token::Model, String)> {
    let at = now();
    let secret = super::api_tokens::new_secret();
    let name = format!(
        "{} {} <{}> (SSO: {})",
        administrator.first_name,
        administrator.last_name,
        administrator.email,
        via.identity_provider.name
    );
    let new = db::api_tokens::NewToken {
        name: name.trim().chars().take(validate::NAME_MAX).collect(),
        role,
        brand_id: None,
        identity_provider_id: None,
        configuration_id: None,
        administrator_id: Some(administrator.id),
        sign_in: Some((via.identity_provider.id, via.subject.to_owned())),
        secret_hash: super::api_tokens::hash(&secret),
        expires_at: Some(at + chrono::Duration::hours(ADMIN_SESSION_HOURS)),
        at,
    };
    let model = db::api_tokens::insert(txn, new).await?;
    super::audit::created(txn, actor, "sso.adminSignIn", &model).await?;
    Ok((model, secret))
}

/// What `sso.adminSignIn` asks: who the evidence says signed in, through which IdP.
pub struct AdminSignIn<'a> {
    pub identity_provider_id: &'a str,
    pub presented: super::sign_in::Presented<'a>,
}

/// A signed-in administrator and their token (the secret is shown once).
pub struct AdminSession {
    pub administrator: administrator::Model,
    pub token: api_token::Model,
    pub secret: String,
}

/// Signs an administrator in through SSO (PRODUCT §7). The identity provider must be one
/// marked for administrators (`adminSignIn`); it must vouch for the email affirmatively
/// (`email_verified` a clear yes in every spelling of the claim's name, or, missing, an IdP
/// marked `trustEmail`); an active administrator with that email gets a token with their
/// role. The first sign-in binds the administrator to its (IdP, subject); later ones must
/// come from the same. Unknown, inactive and bound-elsewhere get the same refusal, so the
/// answer does not tell who administers the platform (the log says which).
pub async fn sign_in(
    app: &super::App,
    principal: &crate::domain::access::Principal,
    input: AdminSignIn<'_>,
) -> AppResult<AdminSession> {
    let actor = &app.authorize(principal, crate::domain::access::Action::AdminSignIn)?;
    app.pace(principal)?;
    let evidence = super::sign_in::proof::admin_evidence(app, &input).await?;
    let mut problems = Problems::default();
    let subject = problems.check(claims::subject(&evidence.subject));
    let attributes = problems.check_all(claims::read_claims(
        &evidence.claims,
        &AttributeMap::default(),
    ));
    app.transaction(async |txn| {
        let identity_provider = problems.loaded(
            load::<identity_provider::Entity, _>(
                txn,
                NodeKind::IdentityProvider,
                "identityProviderId",
                input.identity_provider_id,
            )
            .await,
        )?;
        let (identity_provider, (subject, attributes)) =
            problems.finish(identity_provider.zip(subject.zip(attributes)))?;
        if !identity_provider.admin_sign_in {
            return Err(AppError::field(
                "identityProviderId",
                ErrorCode::Denied,
                "administrators do not sign in through this identity provider; an owner can \
                 allow it (identityProviders.update with adminSignIn: true)",
                Some(input.identity_provider_id),
            ));
        }
        if let Some(replay) = &evidence.replay
            && !db::proofs::claim(txn, replay.identity_provider_id, &replay.key, replay.until)
                .await?
        {
            return Err(AppError::field(
                "proof",
                ErrorCode::Denied,
                "this signed proof was accepted before; a proof signs in once",
                None,
            ));
        }
        if !claims::admin_email_verified(&evidence.claims, identity_provider.trust_email) {
            return Err(AppError::field(
                "claims.email_verified",
                ErrorCode::Denied,
                "the identity provider does not vouch for this email: an administrator's sign-in \
                 needs `email_verified: true` (in every spelling of the claim), unless the \
                 identity provider is marked trustEmail",
                None,
            ));
        }
        let Some(email) = attributes.email else {
            return Err(AppError::field(
                "claims.email",
                ErrorCode::Blank,
                "the claims carry no email",
                None,
            ));
        };
        let denied = || {
            AppError::field(
                "claims.email",
                ErrorCode::Denied,
                "no active administrator has this email",
                Some(&email),
            )
        };
        let Some(found) = db::administrators::with_email(txn, &validate::fold(&email)).await?
        else {
            return Err(denied());
        };
        let Some(administrator) = db::administrators::locked(txn, found.id).await? else {
            return Err(denied());
        };
        if administrator.email_folded != found.email_folded {
            // The email moved to someone else while we waited for the lock.
            return Err(denied());
        }
        if administrator.status != AdminStatus::Active.as_str() {
            return Err(denied());
        }
        let administrator =
            match bound(txn, actor, administrator, &identity_provider, &subject).await? {
                Some(administrator) => administrator,
                None => return Err(denied()),
            };
        let role = match AppError::decode::<AdminRole>(&administrator.role)? {
            AdminRole::Owner => Role::Owner,
            AdminRole::Support => Role::Support,
            AdminRole::Auditor => Role::Auditor,
        };
        let via = SignedInVia {
            identity_provider: &identity_provider,
            subject: &subject,
        };
        let (token, secret) = create_token(txn, actor, &administrator, role, via).await?;
        Ok(AdminSession {
            administrator,
            token,
            secret,
        })
    })
    .await
}

/// The administrator, bound to (IdP, subject): bound now at its first sign-in, or already
/// bound to the same. `None` when it is bound to another identity, or this identity to
/// another administrator.
async fn bound(
    txn: &DatabaseTransaction,
    actor: &Actor,
    administrator: administrator::Model,
    identity_provider: &identity_provider::Model,
    subject: &str,
) -> AppResult<Option<administrator::Model>> {
    let matches = |a: &administrator::Model| {
        a.sign_in_identity_provider_id == Some(identity_provider.id)
            && a.sign_in_subject.as_deref() == Some(subject)
    };
    if administrator.sign_in_subject.is_some() {
        if matches(&administrator) {
            return Ok(Some(administrator));
        }
        tracing::warn!(
            administrator = %administrator.id, identity_provider = %identity_provider.id,
            "administrator sign-in refused: the administrator is bound to another identity"
        );
        return Ok(None);
    }
    let bound =
        db::administrators::bind_sign_in(txn, administrator.id, identity_provider.id, subject)
            .await;
    let rows = match bound {
        Ok(rows) => rows,
        Err(e) if db::is_unique_violation(&e) => {
            tracing::warn!(
                administrator = %administrator.id, identity_provider = %identity_provider.id,
                "administrator sign-in refused: this identity is bound to another administrator"
            );
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    // Bound by this call or by a concurrent first sign-in: read which.
    let Some(after) = db::queries::find::<administrator::Entity, _>(txn, administrator.id).await?
    else {
        return Ok(None);
    };
    if !matches(&after) {
        return Ok(None);
    }
    if rows > 0 {
        super::audit::updated(txn, actor, "sso.adminSignIn", &administrator, &after).await?;
    }
    Ok(Some(after))
}
