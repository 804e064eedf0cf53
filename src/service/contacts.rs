//! Contacts: create and update, with the email folded and unique, and roles validated.
use crate::domain::stored::{ContactStatus, Outcome, Source, StoredEnum};
use entity::{account, contact};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{App, Problems, invalid, now, unique_or_internal};
use crate::{
    db,
    domain::{
        access::{Action, Principal},
        audit::Actor,
        configuration::role_name,
        id::NodeKind,
        validate,
    },
    error::{AppResult, ErrorCode, FieldError},
};

pub struct NewContact<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub account_id: &'a str,
    /// Platform roles; `None` gives the default role, `learner`.
    pub roles: Option<&'a [String]>,
    /// Brightspace's Username and OrgDefinedId, which a configuration may match sign-ins by.
    pub username: Option<&'a str>,
    pub org_defined_id: Option<&'a str>,
}

#[derive(Default)]
pub struct ContactChanges<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub status: Option<ContactStatus>,
    pub account_id: Option<&'a str>,
    pub roles: Option<&'a [String]>,
    /// `Some(None)` (or blank) clears it.
    pub username: Option<Option<&'a str>>,
    pub org_defined_id: Option<Option<&'a str>>,
}

/// A Username or OrgDefinedId as given: blank is none; otherwise a trimmed single line.
fn identifier(problems: &mut Problems, label: &str, raw: Option<&str>) -> Option<String> {
    raw.filter(|raw| !raw.trim().is_empty())
        .and_then(|raw| problems.name(label, raw))
}

fn email_taken(raw: &str) -> FieldError {
    FieldError::new(
        "email",
        ErrorCode::AlreadyExists,
        "a contact with this email already exists (emails are compared case-insensitively)",
        Some(raw),
    )
}

fn email_confusable(raw: &str) -> FieldError {
    FieldError::new(
        "email",
        ErrorCode::Confusable,
        "this email looks like another contact's address (it differs only in look-alike or \
         invisible characters); use the address exactly as the other contact has it, or another",
        Some(raw),
    )
}

/// Refuses an email another contact (other than `except`) has, or one that only looks like
/// another contact's.
async fn check_email_free(
    txn: &DatabaseTransaction,
    raw: &str,
    folded: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let skeleton = validate::email_skeleton(folded);
    let holders = db::queries::email_holders(txn, folded, &skeleton, except).await?;
    if holders.same.is_some() {
        return Err(invalid(email_taken(raw)));
    }
    if holders.lookalike.is_some() {
        return Err(invalid(email_confusable(raw)));
    }
    Ok(())
}

fn roles(problems: &mut Problems, raw: &[String]) -> serde_json::Value {
    let mut roles: Vec<String> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        if let Some(role) = problems.check(role_name(&format!("roles[{i}]"), r))
            && !roles.contains(&role)
        {
            roles.push(role);
        }
    }
    serde_json::Value::from(roles)
}

pub async fn create(
    app: &App,
    principal: &Principal,
    input: NewContact<'_>,
) -> AppResult<contact::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let first_name = problems.name("firstName", input.first_name);
    let last_name = problems.name("lastName", input.last_name);
    let email = problems.check(validate::email("email", input.email));
    let roles = match input.roles {
        Some(raw) => roles(&mut problems, raw),
        None => serde_json::json!([crate::domain::configuration::DEFAULT_ROLE]),
    };
    let username = identifier(&mut problems, "username", input.username);
    let org_defined_id = identifier(&mut problems, "orgDefinedId", input.org_defined_id);
    app.transaction(async |txn| {
        let account = problems
            .load::<account::Entity, _>(txn, NodeKind::Account, "accountId", input.account_id)
            .await?;
        let (account, ((first_name, last_name), email)) =
            problems.finish(account.zip(first_name.zip(last_name).zip(email)))?;
        check_email_free(txn, input.email, &validate::fold(&email), None).await?;
        let new = db::contacts::NewContact {
            first_name,
            last_name,
            email,
            account_id: account.id,
            roles,
            status: ContactStatus::Active,
            username,
            org_defined_id,
        };
        let model = db::contacts::insert(txn, new, now())
            .await
            .map_err(|e| unique_or_internal(e, || email_taken(input.email)))?;
        super::audit::created(txn, &actor, "contacts.create", &model).await?;
        let mut attributes = vec!["email", "firstName", "lastName", "roles", "status"];
        for (set, name) in [
            (model.username.is_some(), "username"),
            (model.org_defined_id.is_some(), "orgDefinedId"),
        ] {
            if set {
                attributes.push(name);
            }
        }
        log_admin_change(
            txn,
            &actor,
            &model,
            Outcome::Created,
            &attributes,
            "contacts.create",
        )
        .await?;
        Ok(model)
    })
    .await
}

pub async fn update(
    app: &App,
    principal: &Principal,
    contact_id: &str,
    changes: ContactChanges<'_>,
) -> AppResult<contact::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let first_name = changes
        .first_name
        .and_then(|v| problems.name("firstName", v));
    let last_name = changes.last_name.and_then(|v| problems.name("lastName", v));
    let email = changes
        .email
        .and_then(|v| problems.check(validate::email("email", v)));
    let new_roles = changes.roles.map(|raw| roles(&mut problems, raw));
    let username = changes
        .username
        .map(|raw| identifier(&mut problems, "username", raw));
    let org_defined_id = changes
        .org_defined_id
        .map(|raw| identifier(&mut problems, "orgDefinedId", raw));
    app.transaction(async |txn| {
        let current = problems
            .load::<contact::Entity, _>(txn, NodeKind::Contact, "contactId", contact_id)
            .await?;
        let account = problems
            .load::<account::Entity, _>(txn, NodeKind::Account, "accountId", changes.account_id)
            .await?;
        let current = problems.finish(current)?;
        let email_raw = changes.email.unwrap_or_default();
        if let Some(email) = &email {
            check_email_free(txn, email_raw, &validate::fold(email), Some(current.id)).await?;
        }
        let written = db::contacts::ContactChanges {
            first_name,
            last_name,
            email,
            status: changes.status,
            account_id: account.map(|a| a.id),
            roles: new_roles,
            username,
            org_defined_id,
        };
        let model = db::contacts::update(txn, current.clone(), written, now())
            .await
            .map_err(|e| unique_or_internal(e, || email_taken(email_raw)))?;
        super::audit::updated(txn, &actor, "contacts.update", &current, &model).await?;
        let changed = changed_attributes(&current, &model);
        if !changed.is_empty() {
            let outcome = match (current.status.as_str(), model.status.as_str()) {
                (before, after) if before == after => Outcome::Updated,
                (_, after) if after == ContactStatus::Inactive.as_str() => Outcome::Deactivated,
                _ => Outcome::Reactivated,
            };
            log_admin_change(txn, &actor, &model, outcome, &changed, "contacts.update").await?;
        }
        Ok(model)
    })
    .await
}

/// The contact attributes (as the provisioning log names them) an update changed.
fn changed_attributes(before: &contact::Model, after: &contact::Model) -> Vec<&'static str> {
    [
        (before.email != after.email, "email"),
        (before.first_name != after.first_name, "firstName"),
        (before.last_name != after.last_name, "lastName"),
        (before.status != after.status, "status"),
        (before.account_id != after.account_id, "account"),
        (before.roles != after.roles, "roles"),
        (before.username != after.username, "username"),
        (
            before.org_defined_id != after.org_defined_id,
            "orgDefinedId",
        ),
    ]
    .into_iter()
    .filter_map(|(changed, name)| changed.then_some(name))
    .collect()
}

/// The provisioning log's entry for an administrator's change of a contact (`source: admin`),
/// so a contact's history shows every door, not only sign-ins and SCIM.
async fn log_admin_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    contact: &contact::Model,
    outcome: Outcome,
    changed: &[&str],
    operation: &str,
) -> AppResult<()> {
    db::provisioning_events::insert(
        txn,
        db::provisioning_events::NewEvent {
            source: Source::Admin,
            brand_id: None,
            identity_provider_id: None,
            subject: &contact.email,
            contact_id: Some(contact.id),
            account_id: Some(contact.account_id),
            outcome,
            account_assignment: None,
            changed_attributes: changed,
            reason: format!("{operation} by {} through the admin API", actor.name),
        },
        now(),
    )
    .await?;
    Ok(())
}
