//! Writing a sign-in decision: the credential, the contact and its account, and an update on
//! login. Each function runs inside the call's transaction.
use entity::{account, contact};
use sea_orm::DatabaseTransaction;
use serde_json::Value;
use uuid::Uuid;

use super::{SignInResult, Stop, missing};
use crate::{
    db::{
        contacts::{self, NewContact, SignInUpdate},
        credentials::{self, NewSsoCredential},
        queries, sign_in,
    },
    domain::{
        sign_in::{NewPerson, Update},
        stored::{ContactStatus, Outcome},
    },
    service::{now, placement},
};

/// Writes an update on login; returns the contact as it now is, the changed attribute names,
/// and a note when the email was not changed because another contact has it.
async fn apply_update(
    txn: &DatabaseTransaction,
    contact: contact::Model,
    update: Option<Update>,
) -> Result<(contact::Model, Vec<&'static str>, Option<String>), Stop> {
    let Some(Update { next, mut changed }) = update else {
        return Ok((contact, Vec::new(), None));
    };
    let updated = contacts::update_on_sign_in(
        txn,
        contact.id,
        SignInUpdate {
            email: &next.email,
            first_name: &next.first_name,
            last_name: &next.last_name,
            roles: Value::from(next.roles.clone()),
            username: next.username.as_deref(),
            org_defined_id: next.org_defined_id.as_deref(),
            updated_at: now(),
        },
    )
    .await?
    .ok_or_else(|| missing("the contact, which vanished"))?;
    let mut note = None;
    if updated.email != next.email {
        note = Some(format!(
            "email not updated to {}: another contact has it, or an address that looks like it",
            next.email
        ));
        changed.retain(|c| *c != "email");
    }
    Ok((updated, changed, note))
}

/// A sign-in that went through, with the note of [`apply_update`] if any.
fn admitted(
    outcome: Outcome,
    (contact, changed, note): (contact::Model, Vec<&'static str>, Option<String>),
    account: Option<account::Model>,
    reason: &str,
) -> SignInResult {
    let reason = match note {
        Some(note) => format!("{reason}; {note}"),
        None => reason.to_owned(),
    };
    SignInResult {
        outcome,
        account_assignment: None,
        contact: Some(contact),
        account,
        changed_attributes: changed,
        reason,
        errors: Vec::new(),
        denial_reason: None,
        discloses_contact: false,
    }
}

pub(super) async fn signed_in(
    txn: &DatabaseTransaction,
    known: sign_in::KnownSubject,
    update: Option<Update>,
    reason: &str,
) -> Result<SignInResult, Stop> {
    let sign_in::KnownSubject {
        credential,
        contact,
        account,
    } = known;
    credentials::record_sign_in(txn, credential, now()).await?;
    let updated = apply_update(txn, contact, update).await?;
    Ok(admitted(Outcome::SignedIn, updated, account, reason))
}

pub(super) async fn linked(
    txn: &DatabaseTransaction,
    contact: contact::Model,
    door: (Uuid, Uuid),
    subject: &str,
    update: Option<Update>,
    reason: &str,
) -> Result<SignInResult, Stop> {
    insert_credential(txn, contact.id, door, subject).await?;
    let account = queries::find::<account::Entity, _>(txn, contact.account_id).await?;
    let updated = apply_update(txn, contact, update).await?;
    Ok(admitted(Outcome::Linked, updated, account, reason))
}

/// The SSO credential (IdP, subject) of the contact, created by this sign-in through the
/// configuration of `door` = (brand, IdP).
async fn insert_credential(
    txn: &DatabaseTransaction,
    contact_id: Uuid,
    (brand_id, idp_id): (Uuid, Uuid),
    subject: &str,
) -> Result<(), Stop> {
    let new = NewSsoCredential {
        contact_id,
        identity_provider_id: idp_id,
        subject,
        created_via_brand_id: brand_id,
        signing_in: true,
    };
    credentials::insert_sso(txn, new, now()).await?;
    Ok(())
}

pub(super) async fn created(
    txn: &DatabaseTransaction,
    person: NewPerson,
    accounts: Vec<account::Model>,
    door: (Uuid, Uuid),
    subject: &str,
    reason: String,
) -> Result<SignInResult, Stop> {
    let account = placement::account_of(txn, person.account, accounts)
        .await?
        .ok_or_else(|| missing("the chosen account"))?;
    let new = NewContact {
        first_name: person.first_name,
        last_name: person.last_name,
        email: person.email,
        account_id: account.id,
        roles: Value::from(person.roles),
        status: ContactStatus::Active,
        username: person.username,
        org_defined_id: person.org_defined_id,
    };
    let contact = contacts::insert(txn, new, now()).await?;
    insert_credential(txn, contact.id, door, subject).await?;
    let written = (contact, person.changed, None);
    Ok(SignInResult {
        account_assignment: Some(person.assignment),
        ..admitted(Outcome::Created, written, Some(account), &reason)
    })
}
