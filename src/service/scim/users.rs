//! SCIM Users: contacts seen through one identity-provider configuration.
use argon2::{Argon2, PasswordHasher, password_hash::SaltString};
use entity::{contact, scim_user};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use serde_json::Value;
use uuid::Uuid;

use super::{
    ListQuery, ScimFailure, ScimResult, Scope, check_version, list_response, parse_id,
    resource::{ScimResource, Users},
    stored_json,
};
use crate::service::App;
use crate::{
    db::{
        self,
        contacts::ContactChanges,
        credentials::{self, NewSsoCredential},
        queries,
    },
    domain::{
        scim::{
            ScimError, adoption, filter,
            patch::{self, Kind},
            project::Selection,
            user::{self, Contactable, Meta, UserData},
        },
        stored::{ContactStatus, Outcome, StoredEnum},
        validate,
    },
    error::{AppError, AppResult},
    service::now,
};

use crate::domain::scim::user::PLACEHOLDER_DOMAIN;

mod create;
mod log;

pub use create::create;
use log::{Provisioned, changed_attributes, log_event};

fn placeholder_email(user_id: Uuid) -> String {
    format!("{user_id}@{PLACEHOLDER_DOMAIN}")
}

fn is_placeholder(email: &str) -> bool {
    email.ends_with(&format!("@{PLACEHOLDER_DOMAIN}"))
}

/// A stored user as the SCIM attributes it carries (never its password).
fn data_of(u: &scim_user::Model, c: &contact::Model) -> AppResult<UserData> {
    let mut emails: Vec<Contactable> = stored_json("scim_user.emails", &u.emails)?;
    // A sign-in may have changed the contact's address since: the chosen element shows it.
    let contact_email = (!is_placeholder(&c.email)).then(|| c.email.clone());
    if let Some(current) = &contact_email
        && let Some(chosen) = user::chosen_email(&emails).map(|e| e.value.clone())
        && validate::fold(&chosen) != c.email_folded
        && let Some(element) = emails.iter_mut().find(|e| e.value == chosen)
    {
        element.value = current.clone();
    }
    let status: ContactStatus = AppError::decode(&c.status)?;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok(UserData {
        user_name: u.user_name.clone(),
        external_id: u.external_id.clone(),
        given_name: some(&c.first_name),
        family_name: some(&c.last_name),
        display_name: u.display_name.clone(),
        title: u.title.clone(),
        email: contact_email,
        emails,
        active: status == ContactStatus::Active,
        phone_numbers: stored_json("scim_user.phone_numbers", &u.phone_numbers)?,
        department: u.department.clone(),
        employee_number: u.employee_number.clone(),
        organization: u.organization.clone(),
        manager: u.manager_id.clone(),
        password: None,
    })
}

fn meta_of(scope: &Scope, u: &scim_user::Model, c: &contact::Model) -> Meta {
    Meta {
        resource_type: "User",
        created: u.created_at,
        last_modified: u.updated_at.max(c.updated_at),
        location: format!("{}/Users/{}", scope.base, u.id),
    }
}

/// A user as returned, and its version for the `ETag` header.
pub struct Rendered {
    pub body: Value,
    pub location: String,
    pub version: String,
}

/// Renders users with their groups, loaded for all of them in one query.
async fn render<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    rows: &[(scim_user::Model, contact::Model)],
    selection: &Selection,
) -> ScimResult<Vec<Rendered>> {
    let ids: Vec<Uuid> = rows.iter().map(|(u, _)| u.id).collect();
    let memberships = if selection.keeps("groups") {
        db::scim::groups_of_users(db, &ids).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(rows.len());
    for (u, c) in rows {
        let groups: Vec<(Uuid, String)> = memberships
            .iter()
            .filter(|(user, _, _)| *user == u.id)
            .map(|(_, group, name)| (*group, name.clone()))
            .collect();
        let meta = meta_of(scope, u, c);
        let mut body = user::render(u.id, &data_of(u, c)?, &groups, &scope.base, &meta);
        selection.apply(&mut body);
        out.push(Rendered {
            body,
            location: meta.location.clone(),
            version: meta.version(),
        });
    }
    Ok(out)
}

async fn load<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    raw_id: &str,
) -> ScimResult<(scim_user::Model, contact::Model)> {
    let id = parse_id(raw_id, "User")?;
    db::scim::user(db, scope.configuration.id, id)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("no User has the id {raw_id:?}")).into())
}

async fn render_one<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    row: (scim_user::Model, contact::Model),
    selection: &Selection,
) -> ScimResult<Rendered> {
    render(db, scope, &[row], selection)
        .await?
        .pop()
        .ok_or_else(|| ScimFailure::Internal(AppError::Internal("rendered no user".into())))
}

impl ScimResource for Users {
    async fn get(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        selection: &Selection,
    ) -> ScimResult<Rendered> {
        let db = app.db();
        let row = load(db, scope, raw_id).await?;
        render_one(db, scope, row, selection).await
    }

    async fn list(app: &App, scope: &Scope, query: &ListQuery) -> ScimResult<Value> {
        let db = app.db();
        let cond = query.condition(filter::users)?;
        let (offset, limit) = query.window();
        let page = db::scim::list_users(
            db,
            (scope.configuration.id, scope.identity_provider_id()),
            &cond,
            offset,
            limit,
        )
        .await?;
        let rendered = render(db, scope, &page.items, &query.selection).await?;
        Ok(list_response(
            page.total,
            offset,
            rendered.into_iter().map(|r| r.body).collect(),
        ))
    }

    /// `PUT /Users/{id}`: the body replaces every attribute (an omitted one is cleared; an omitted
    /// password keeps the current one). Parsing and the password's hash happen before the write
    /// gate is taken.
    async fn replace(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        let db = app.db();
        let data = user::parse(body)?;
        let hash = data.password.as_deref().map(hash_password).transpose()?;
        let row = app
            .transaction(async |txn| {
                let id = parse_id(raw_id, "User")?;
                let row = locked(txn, scope, raw_id, id).await?;
                check_version(if_match, &meta_of(scope, &row.0, &row.1).version())?;
                replace_in(txn, scope, row, &data, hash).await
            })
            .await?;
        render_one(db, scope, row, &Selection::default()).await
    }

    /// `PATCH /Users/{id}`: the operations are applied to the user's representation, all or
    /// none, and the result is stored as a PUT.
    ///
    /// The limits are checked on the message first; then the user is read, patched, parsed and
    /// its new password hashed without the write gate, which is taken only to check that the user
    /// is still the version patched and to write. A user that keeps changing meanwhile is patched
    /// under the gate at last, which always finishes.
    async fn patch(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        let db = app.db();
        patch::check(body, Kind::User)?;
        for _ in 0..OPTIMISTIC_ATTEMPTS {
            let (seen, data) = patched(db, scope, raw_id, body, if_match).await?;
            let hash = data.password.as_deref().map(hash_password).transpose()?;
            let id = seen.0.id;
            let written = app
                .transaction(async |txn| {
                    let current = locked(txn, scope, raw_id, id).await?;
                    if current != seen {
                        return Ok(None);
                    }
                    replace_in(txn, scope, current, &data, hash).await.map(Some)
                })
                .await?;
            if let Some(row) = written {
                return render_one(db, scope, row, &Selection::default()).await;
            }
            tracing::debug!(user = %id, "SCIM user changed while its PATCH was worked out");
        }
        let row = app
            .transaction(async |txn| {
                let id = parse_id(raw_id, "User")?;
                locked(txn, scope, raw_id, id).await?;
                let (seen, data) = patched(txn, scope, raw_id, body, if_match).await?;
                let hash = data.password.as_deref().map(hash_password).transpose()?;
                replace_in(txn, scope, seen, &data, hash).await
            })
            .await?;
        render_one(db, scope, row, &Selection::default()).await
    }

    /// `DELETE /Users/{id}`: the SCIM identity goes (with its SSO credential, password and group
    /// memberships, and the roles those granted); the contact stays, inactive, with its history.
    async fn delete(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        if_match: Option<&str>,
    ) -> ScimResult<()> {
        app.transaction(async |txn| {
            let (u, c) = load(txn, scope, raw_id).await?;
            check_version(if_match, &meta_of(scope, &u, &c).version())?;
            let idp = scope.identity_provider_id();
            credentials::delete_sso(txn, c.id, idp, &u.user_name).await?;
            credentials::delete_passwords(txn, c.id).await?;
            let granted: Vec<String> = stored_json("scim_user.group_roles", &u.group_roles)?;
            let before: Vec<String> = stored_json("contact.roles", &c.roles)?;
            let mut roles = before.clone();
            roles.retain(|r| !granted.contains(r));
            if roles.is_empty() {
                roles.push(scope.configuration.default_role.clone());
            }
            // The event names what the delete changed, compared, not assumed.
            let mut changed = Vec::new();
            if c.status != ContactStatus::Inactive.as_str() {
                changed.push("status");
            }
            if roles != before {
                changed.push("roles");
            }
            let (user_id, user_name) = (u.id, u.user_name.clone());
            db::scim::write::delete_user(txn, user_id).await?;
            let changes = ContactChanges {
                status: Some(ContactStatus::Inactive),
                roles: Some(Value::from(roles)),
                ..Default::default()
            };
            let contact = db::contacts::update(txn, c, changes, now()).await?;
            log_event(
                txn,
                scope,
                &user_name,
                &contact,
                Provisioned {
                    outcome: Outcome::Deprovisioned,
                    assignment: None,
                    changed: &changed,
                    reason: "deleted by the identity provider (SCIM): the SCIM identity, its SSO \
                             credential and password are removed, the contact is inactive and its \
                             history kept"
                        .to_owned(),
                },
            )
            .await?;
            tracing::info!(user = %user_id, "SCIM user deleted; contact deactivated");
            Ok(())
        })
        .await
    }

    /// `POST /Users`: in `create`, with the adoption rules.
    async fn create(app: &App, scope: &Scope, body: &Value) -> ScimResult<Rendered> {
        create::create(app, scope, body).await
    }
}

fn hash_password(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hash: {e}")))
}

/// Replaces the contact's password credential (argon2id) with one for `password`.
async fn set_password(
    txn: &DatabaseTransaction,
    contact_id: Uuid,
    password: &str,
) -> ScimResult<()> {
    let hash = hash_password(password)?;
    credentials::replace_password(txn, contact_id, hash, now()).await?;
    Ok(())
}

/// The SSO identity (IdP, userName) that makes the user's sign-ins land on this contact,
/// created through this configuration's brand (which may later adopt the contact by it).
async fn add_sso_identity(
    txn: &DatabaseTransaction,
    scope: &Scope,
    contact_id: Uuid,
    user_name: &str,
) -> Result<(), DbErr> {
    let new = NewSsoCredential {
        contact_id,
        identity_provider_id: scope.identity_provider_id(),
        subject: user_name,
        created_via_brand_id: scope.configuration.brand_id,
        signing_in: false,
    };
    credentials::insert_sso(txn, new, now()).await.map(|_| ())
}

/// Moves a SCIM user's SSO identity from its old userName to `new`. The identity (IdP, new)
/// may already exist only as this contact's own, created through this brand (it is then kept
/// and the old one goes); another contact's identity, on an IdP several brands share or not,
/// is refused like an adoption would be.
async fn move_sso_identity(
    txn: &DatabaseTransaction,
    scope: &Scope,
    contact_id: Uuid,
    old: &str,
    new: &str,
) -> ScimResult<()> {
    let idp = scope.identity_provider_id();
    let holder = db::scim::sso_credential(txn, idp, new).await?;
    if !adoption::may_take_identity(
        scope.configuration.brand_id,
        contact_id,
        holder
            .as_ref()
            .map(|c| (c.contact_id, c.created_via_brand_id)),
    ) {
        return Err(adoption::refused().into());
    }
    if holder.is_some() {
        credentials::delete_sso(txn, contact_id, idp, old).await?;
    } else if !credentials::rename_sso_subject(txn, contact_id, idp, old, new).await? {
        add_sso_identity(txn, scope, contact_id, new).await?;
    }
    Ok(())
}

fn status_of(active: bool) -> ContactStatus {
    if active {
        ContactStatus::Active
    } else {
        ContactStatus::Inactive
    }
}

/// Writes a user's contact attributes: names, status and (when it is free) the email.
async fn write_contact(
    txn: &DatabaseTransaction,
    contact: contact::Model,
    data: &UserData,
) -> ScimResult<contact::Model> {
    let mut changes = ContactChanges {
        first_name: Some(data.given_name.clone().unwrap_or_default()),
        last_name: Some(data.family_name.clone().unwrap_or_default()),
        status: Some(status_of(data.active)),
        ..Default::default()
    };
    if let Some(email) = &data.email {
        let folded = validate::fold(email);
        if folded != contact.email_folded {
            if queries::contact_with_email(txn, &folded, Some(contact.id))
                .await?
                .is_some()
            {
                return Err(adoption::refused().into());
            }
            let skeleton = validate::email_skeleton(&folded);
            if queries::contact_looking_like(txn, &skeleton, &folded, Some(contact.id))
                .await?
                .is_some()
            {
                return Err(adoption::refused().into());
            }
            changes.email = Some(email.clone());
        }
    }
    Ok(db::contacts::update(txn, contact, changes, now()).await?)
}

async fn locked(
    txn: &DatabaseTransaction,
    scope: &Scope,
    raw_id: &str,
    id: Uuid,
) -> ScimResult<(scim_user::Model, contact::Model)> {
    db::scim::user_for_update(txn, scope.configuration.id, id)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("no User has the id {raw_id:?}")).into())
}

/// How often a PATCH worked out outside the write gate is worked out again because the user
/// changed meanwhile, before it is worked out under the gate.
const OPTIMISTIC_ATTEMPTS: usize = 3;

/// The user as read through `db`, and what `body` makes of it.
async fn patched<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    raw_id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<((scim_user::Model, contact::Model), UserData)> {
    let row = load(db, scope, raw_id).await?;
    let current = render_one(db, scope, row.clone(), &Selection::default()).await?;
    check_version(if_match, &current.version)?;
    let patched = patch::apply(&current.body, body, Kind::User)?;
    Ok((row, user::parse(&patched)?))
}

/// Stores `data` over the user (`password_hash`: the hash of `data.password`, made before).
async fn replace_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    (u, c): (scim_user::Model, contact::Model),
    data: &UserData,
    password_hash: Option<String>,
) -> ScimResult<(scim_user::Model, contact::Model)> {
    let idp = scope.identity_provider_id();
    let folded = validate::fold(&data.user_name);
    if folded != u.user_name_folded && db::scim::user_named(txn, idp, &folded).await?.is_some() {
        return Err(adoption::refused().into());
    }
    if data.user_name != u.user_name {
        move_sso_identity(txn, scope, c.id, &u.user_name, &data.user_name).await?;
    }
    let before = data_of(&u, &c)?;
    let changed = changed_attributes(&before, data);
    let contact = write_contact(txn, c, data).await?;
    if let Some(hash) = password_hash {
        credentials::replace_password(txn, contact.id, hash, now()).await?;
    }
    let row = db::scim::write::update_user(txn, u, data, now()).await?;
    if !changed.is_empty() {
        let (outcome, reason) = match (before.active, data.active) {
            (true, false) => (
                Outcome::Deactivated,
                "deactivated by the identity provider (SCIM): sign-ins are denied",
            ),
            (false, true) => (
                Outcome::Reactivated,
                "reactivated by the identity provider (SCIM)",
            ),
            _ => (Outcome::Updated, "updated by the identity provider (SCIM)"),
        };
        log_event(
            txn,
            scope,
            &data.user_name,
            &contact,
            Provisioned {
                outcome,
                assignment: None,
                changed: &changed,
                reason: reason.to_owned(),
            },
        )
        .await?;
        tracing::info!(user = %row.id, outcome = outcome.as_str(), ?changed, "SCIM user changed");
    }
    Ok((row, contact))
}
