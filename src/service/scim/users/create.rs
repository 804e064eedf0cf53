//! Creating a SCIM user: a new contact placed by the sign-in hook's account rules, or the
//! adoption of the contact the IdP's user already is.
use entity::{account, contact, scim_user};
use sea_orm::DatabaseTransaction;
use serde_json::Value;
use uuid::Uuid;

use super::{Provisioned, add_sso_identity, hash_password, placeholder_email, write_contact};
use crate::{
    db::{self, contacts::NewContact, credentials, queries, scim::write::NewUser},
    domain::{
        scim::{
            adoption,
            user::{self, UserData},
        },
        sign_in::{Lookup, Need, NewName, choose_account, claims},
        stored::{AccountAssignment, CredentialKind, Outcome, StoredEnum},
        validate,
    },
    error::AppError,
    service::{
        now,
        placement::{self, account_ref, needed_account},
        scim::{ScimResult, Scope},
        sign_in::rules_of,
    },
};

/// Places a new contact by the sign-in hook's rules: default account, company match on the
/// enterprise `organization`, else a new individual account.
async fn place(
    txn: &DatabaseTransaction,
    scope: &Scope,
    data: &UserData,
    email: &str,
) -> ScimResult<(account::Model, AccountAssignment, String)> {
    let rules = rules_of(&scope.configuration, scope.role_mappings.clone())?;
    let mut default_account = Lookup::NotLoaded;
    let mut company_account = Lookup::NotLoaded;
    let mut loaded: Vec<account::Model> = Vec::new();
    let name = NewName {
        first: data.given_name.as_deref().unwrap_or_default(),
        last: data.family_name.as_deref().unwrap_or_default(),
        email,
    };
    loop {
        match choose_account(
            &rules,
            &default_account,
            &company_account,
            data.organization.as_deref(),
            name,
        ) {
            Err(need) => {
                let account = needed_account(txn, &need).await?;
                let found = Lookup::Loaded(account.as_ref().map(account_ref));
                match need {
                    Need::DefaultAccount(_) => default_account = found,
                    _ => company_account = found,
                }
                loaded.extend(account);
            }
            Ok((choice, assignment, reason)) => {
                let account = placement::account_of(txn, choice, loaded)
                    .await?
                    .ok_or_else(|| {
                        AppError::Internal("the chosen account was not loaded".into())
                    })?;
                return Ok((account, assignment, reason));
            }
        }
    }
}

/// A new SCIM user: its contact found and adopted, or created and placed.
pub(super) async fn create_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    data: &UserData,
) -> ScimResult<(scim_user::Model, contact::Model)> {
    let idp = scope.identity_provider_id();
    let folded = validate::fold(&data.user_name);
    if db::scim::user_named(txn, idp, &folded).await?.is_some() {
        return Err(adoption::refused().into());
    }
    let id = Uuid::now_v7();
    let email = data.email_for_new_contact();
    // The same person, if we know them: by their SSO identity, else by their email (and who
    // holds an address that only looks like it, which a new contact may not take).
    let address = email.clone().unwrap_or_else(|| placeholder_email(id));
    let mut candidate = db::scim::sso_contact(txn, idp, &data.user_name).await?;
    let by_identity = candidate.is_some();
    let mut lookalike = None;
    if candidate.is_none() {
        let folded = validate::fold(&address);
        let skeleton = validate::email_skeleton(&folded);
        let holders = queries::email_holders(txn, &folded, &skeleton, None).await?;
        // A placeholder address is nobody's: only a look-alike of it matters.
        candidate = holders.same.filter(|_| email.is_some());
        lookalike = holders.lookalike;
    }
    let (contact, outcome, assignment, reason) = match candidate {
        Some(existing) => {
            let (contact, reason) = adopt(txn, scope, existing, data, by_identity).await?;
            (contact, Outcome::Linked, None, reason)
        }
        None => {
            if lookalike.is_some() {
                return Err(adoption::refused().into());
            }
            let (account, assignment, reason) = place(txn, scope, data, &address).await?;
            let roles =
                claims::map_roles(&[], &scope.role_mappings, &scope.configuration.default_role);
            let new = NewContact {
                first_name: data.given_name.clone().unwrap_or_default(),
                last_name: data.family_name.clone().unwrap_or_default(),
                email: address,
                account_id: account.id,
                roles: Value::from(roles),
                status: user::status_of(data.active),
                // SCIM's userName is the identity provider's, kept on the SCIM user; the
                // contact's Username is what sign-ins or an administrator give it.
                username: None,
                org_defined_id: None,
            };
            let contact = db::contacts::insert(txn, new, now()).await?;
            (contact, Outcome::Created, Some(assignment), reason)
        }
    };
    if !by_identity {
        // Found by email or new: no credential (IdP, userName) existed when it was looked for
        // (a concurrent create that adds one first loses on the unique constraint).
        add_sso_identity(txn, scope, contact.id, &data.user_name).await?;
    }
    if let Some(password) = &data.password {
        credentials::replace_password(txn, contact.id, hash_password(password)?, now()).await?;
    }
    let new = NewUser {
        id,
        configuration_id: scope.configuration.id,
        identity_provider_id: idp,
        contact_id: contact.id,
    };
    let row = db::scim::write::insert_user(txn, new, data, now()).await?;
    let mut changed = vec!["email", "firstName", "lastName", "status"];
    if outcome == Outcome::Created {
        changed.push("roles");
    }
    Provisioned {
        subject: &data.user_name,
        contact: &contact,
        outcome,
        assignment,
        changed: &changed,
        reason: format!("pushed by SCIM: {reason}"),
    }
    .log(txn, scope)
    .await?;
    tracing::info!(user = %row.id, contact = %contact.id, outcome = outcome.as_str(), "SCIM user created");
    Ok((row, contact))
}

/// Takes over an existing contact for a new SCIM user, when [`adoption::may_adopt`] says this
/// configuration may: the contact is unclaimed, or its SSO identity is this brand's own.
async fn adopt(
    txn: &DatabaseTransaction,
    scope: &Scope,
    existing: contact::Model,
    data: &UserData,
    by_identity: bool,
) -> ScimResult<(contact::Model, String)> {
    queries::lock_contact(txn, existing.id).await?;
    let credentials = queries::credentials_of_contact(txn, existing.id)
        .await?
        .iter()
        .map(|c| adoption::HeldCredential {
            is_sso: c.kind == CredentialKind::Sso.as_str(),
            created_via_brand_id: c.created_via_brand_id,
        })
        .collect();
    let candidate = adoption::Candidate {
        by_identity,
        credentials,
        scim_identities: db::scim::scim_identity_count(txn, existing.id).await? as usize,
        deprovisioned_here: db::scim::deprovisioned_by(txn, existing.id).await?
            == Some((
                Some(scope.configuration.brand_id),
                Some(scope.configuration.identity_provider_id),
            )),
    };
    let door = adoption::Door {
        brand_id: scope.configuration.brand_id,
        link_existing_contacts: scope.configuration.link_existing_contacts,
    };
    if !adoption::may_adopt(door, &candidate) {
        tracing::info!(
            contact = %existing.id,
            by_identity,
            "SCIM create refused: the contact is not this configuration's to adopt"
        );
        return Err(adoption::refused().into());
    }
    let updated = write_contact(txn, existing, data).await?;
    let how = if by_identity {
        "adopted the contact that already signed in with this identity through this brand"
    } else {
        "adopted the existing contact with this email, which had no credentials"
    };
    Ok((updated, format!("{how}; the account is unchanged")))
}
