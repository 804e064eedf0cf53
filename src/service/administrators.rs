//! Administrators: manual ones created and changed by hand, rule-provisioned ones only
//! read here (their role and status follow the rules: `managedByRule`), and the sign-in of an
//! administrator through SSO, which issues a short-lived token carrying their role.
use entity::{administrator, administrator_event, api_token};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction};
use serde_json::Value;
use uuid::Uuid;

use super::{Problems, load, now, unique_or_internal};
use crate::{
    db,
    domain::{
        access::Role,
        audit::Actor,
        configuration::AttributeMap,
        employees::{AdminOrigin, AdminRole, AdminStatus, ChangeKind},
        id::NodeKind,
        signin,
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
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAdministrator<'_>,
) -> AppResult<administrator::Model> {
    let mut problems = Problems::default();
    let email = problems.check(validate::email("email", input.email));
    let first = problems.check(validate::required_text(
        "firstName",
        input.first_name,
        validate::NAME_MAX,
    ));
    let last = problems.check(validate::required_text(
        "lastName",
        input.last_name,
        validate::NAME_MAX,
    ));
    problems.into_result()?;
    let (Some(email), Some(first), Some(last)) = (email, first, last) else {
        return Err(AppError::Internal("validated administrator missing".into()));
    };
    let txn = db::begin(db).await?;
    let folded = validate::fold(&email);
    if db::employees::administrator_with_email(&txn, &folded)
        .await?
        .is_some()
    {
        return Err(AppError::Invalid(vec![email_taken(input.email)]));
    }
    let at = now();
    let model = administrator::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        email_folded: Set(folded),
        first_name: Set(first),
        last_name: Set(last),
        role: Set(input.role.as_str().to_owned()),
        status: Set(AdminStatus::Active.as_str().to_owned()),
        origin: Set(AdminOrigin::Manual.as_str().to_owned()),
        rule_id: Set(None),
        employee_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_or_internal(e, || email_taken(input.email)))?;
    super::audit::created(&txn, actor, "administrators.create", &model).await?;
    record(
        &txn,
        actor,
        &model,
        None,
        ChangeKind::Created,
        "created by hand",
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// A manual change: omitted fields stay as they are.
#[derive(Default)]
pub struct AdministratorChanges<'a> {
    pub role: Option<AdminRole>,
    pub status: Option<AdminStatus>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    administrator_id: &str,
    changes: AdministratorChanges<'_>,
) -> AppResult<administrator::Model> {
    let mut problems = Problems::default();
    let email = changes
        .email
        .and_then(|e| problems.check(validate::email("email", e)));
    let first = changes
        .first_name
        .and_then(|n| problems.check(validate::required_text("firstName", n, validate::NAME_MAX)));
    let last = changes
        .last_name
        .and_then(|n| problems.check(validate::required_text("lastName", n, validate::NAME_MAX)));
    let txn = db::begin(db).await?;
    let current = problems.loaded(
        load::<administrator::Entity, _>(
            &txn,
            NodeKind::Administrator,
            "administratorId",
            administrator_id,
        )
        .await,
    )?;
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
        if let Some(role) = changes.role {
            problems.push(managed("role", Some(role.as_str())));
        }
        if let Some(status) = changes.status {
            problems.push(managed("status", Some(status.as_str())));
        }
        for (label, value) in [
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
            && db::employees::administrator_with_email(&txn, &folded)
                .await?
                .is_some()
        {
            return Err(AppError::Invalid(vec![email_taken(email)]));
        }
    }
    let before = current.clone();
    let mut active: administrator::ActiveModel = current.into();
    if let Some(role) = changes.role {
        active.role = Set(role.as_str().to_owned());
    }
    if let Some(status) = changes.status {
        active.status = Set(status.as_str().to_owned());
    }
    if let Some(first) = first {
        active.first_name = Set(first);
    }
    if let Some(last) = last {
        active.last_name = Set(last);
    }
    if let Some(email) = email {
        active.email_folded = Set(validate::fold(&email));
        active.email = Set(email);
    }
    if !active.is_changed() {
        return Ok(before);
    }
    active.updated_at = Set(now());
    let model = active
        .update(&txn)
        .await
        .map_err(|e| unique_or_internal(e, || email_taken(changes.email.unwrap_or_default())))?;
    if model == before {
        return Ok(before);
    }
    super::audit::updated(&txn, actor, "administrators.update", &before, &model).await?;
    let kind = if before.status != model.status {
        if model.status == AdminStatus::Inactive.as_str() {
            db::employees::revoke_tokens_of(&txn, model.id, model.updated_at).await?;
            ChangeKind::Deactivated
        } else {
            ChangeKind::Reactivated
        }
    } else if before.role != model.role {
        // A sign-in token carries the role it was issued with: a new role needs a new sign-in.
        db::employees::revoke_tokens_of(&txn, model.id, model.updated_at).await?;
        ChangeKind::RoleChanged
    } else {
        ChangeKind::Updated
    };
    record(&txn, actor, &model, Some(&before), kind, "changed by hand").await?;
    txn.commit().await?;
    Ok(model)
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
    administrator_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        administrator_id: Set(model.id),
        employee_sync_id: Set(None),
        kind: Set(kind.as_str().to_owned()),
        rule_id: Set(None),
        rule_name: Set(None),
        old_role: Set(before.map(|b| b.role.clone())),
        new_role: Set(model.role.clone()),
        old_status: Set(before.map(|b| b.status.clone())),
        new_status: Set(model.status.clone()),
        reason: Set(reason.to_owned()),
        actor: Set(Some(actor.name.clone())),
        occurred_at: Set(model.updated_at),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// How long an administrator's sign-in token lives (`sso.adminSignIn`): a working day.
pub const ADMIN_SESSION_HOURS: i64 = 8;

/// Issues an administrator's sign-in token: the administrator's role, bound to them (so the
/// audit log names the person, and deactivating them revokes it), expiring in
/// [`ADMIN_SESSION_HOURS`].
async fn create_token(
    txn: &DatabaseTransaction,
    actor: &Actor,
    administrator: &entity::administrator::Model,
    role: Role,
) -> AppResult<(api_token::Model, String)> {
    let at = now();
    let secret = super::api_tokens::new_secret();
    let name = format!(
        "{} {} <{}> (SSO)",
        administrator.first_name, administrator.last_name, administrator.email
    );
    let model = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.trim().chars().take(validate::NAME_MAX).collect()),
        role: Set(role.as_str().into()),
        brand_id: Set(None),
        identity_provider_id: Set(None),
        configuration_id: Set(None),
        administrator_id: Set(Some(administrator.id)),
        secret_hash: Set(super::api_tokens::hash(&secret)),
        expires_at: Set(Some(at + chrono::Duration::hours(ADMIN_SESSION_HOURS))),
        revoked_at: Set(None),
        created_at: Set(at),
    }
    .insert(txn)
    .await?;
    super::audit::created(txn, actor, "sso.adminSignIn", &model).await?;
    Ok((model, secret))
}

/// What `sso.adminSignIn` asks.
pub struct AdminSignIn<'a> {
    pub identity_provider_id: &'a str,
    pub subject: &'a str,
    pub claims: &'a Value,
}

/// A signed-in administrator and their token (the secret is shown once).
pub struct AdminSession {
    pub administrator: administrator::Model,
    pub token: api_token::Model,
    pub secret: String,
}

/// Signs an administrator in through SSO: the identity provider vouches for an email (a
/// verified one, PRODUCT §4 "Email trust"); an active administrator with that email gets a
/// token with their role. Unknown and inactive get the same refusal, so the answer does not
/// tell who administers the platform.
pub async fn sign_in(
    db: &DatabaseConnection,
    actor: &Actor,
    input: AdminSignIn<'_>,
) -> AppResult<AdminSession> {
    let mut problems = Problems::default();
    problems.check(signin::subject(input.subject));
    let attributes =
        problems.check_all(signin::read_claims(input.claims, &AttributeMap::default()));
    let txn = db::begin(db).await?;
    problems.loaded(
        load::<entity::identity_provider::Entity, _>(
            &txn,
            NodeKind::IdentityProvider,
            "identityProviderId",
            input.identity_provider_id,
        )
        .await,
    )?;
    let attributes = problems.finish(attributes)?;
    if !attributes.email_verified {
        return Err(AppError::field(
            "claims.email_verified",
            ErrorCode::Denied,
            "the identity provider does not vouch for this email",
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
    let Some(administrator) =
        db::employees::administrator_with_email(&txn, &validate::fold(&email)).await?
    else {
        return Err(denied());
    };
    if administrator.status != AdminStatus::Active.as_str() {
        return Err(denied());
    }
    let role = match AppError::decode::<AdminRole>(&administrator.role)? {
        AdminRole::Owner => Role::Owner,
        AdminRole::Support => Role::Support,
        AdminRole::Auditor => Role::Auditor,
    };
    let (token, secret) = create_token(&txn, actor, &administrator, role).await?;
    txn.commit().await?;
    Ok(AdminSession {
        administrator,
        token,
        secret,
    })
}
