//! Writing a sign-in decision: the credential, the contact and its account, and an update on
//! login. Each function runs inside the call's transaction.
use entity::{account, contact, credential};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, DbErr};
use serde_json::Value;
use uuid::Uuid;

use super::{SignInResult, Stop, missing};
use crate::{
    db::{queries, sign_in},
    domain::{
        decision::{AccountChoice, NewPerson, Update},
        stored::{ContactStatus, CredentialKind, Outcome, StoredEnum},
        validate,
    },
    service::now,
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
    let email_folded = validate::fold(&next.email);
    let email_skeleton = validate::email_skeleton(&email_folded);
    let updated = sign_in::update_contact(
        txn,
        contact.id,
        sign_in::ContactUpdate {
            email: &next.email,
            email_folded: &email_folded,
            email_skeleton: &email_skeleton,
            first_name: &next.first_name,
            last_name: &next.last_name,
            roles: Value::from(next.roles.clone()),
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

/// The result for a contact that already existed (`signedIn`, `linked`): its account is
/// whatever it was.
fn existing_contact(
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
    let mut active: credential::ActiveModel = credential.into();
    active.last_sign_in_at = Set(Some(now()));
    active.update(txn).await?;
    let updated = apply_update(txn, contact, update).await?;
    Ok(existing_contact(
        Outcome::SignedIn,
        updated,
        account,
        reason,
    ))
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
    Ok(existing_contact(Outcome::Linked, updated, account, reason))
}

/// The SSO credential (IdP, subject) of a contact, created through the configuration of
/// `door` = (brand, IdP), which it records: only that brand's SCIM may later adopt the contact
/// by this identity.
async fn insert_credential(
    txn: &DatabaseTransaction,
    contact_id: Uuid,
    (brand_id, idp_id): (Uuid, Uuid),
    subject: &str,
) -> Result<credential::Model, DbErr> {
    let at = now();
    credential::ActiveModel {
        id: Set(Uuid::now_v7()),
        contact_id: Set(contact_id),
        kind: Set(CredentialKind::Sso.as_str().into()),
        identity_provider_id: Set(Some(idp_id)),
        subject: Set(Some(subject.to_owned())),
        password_hash: Set(None),
        created_at: Set(at),
        last_sign_in_at: Set(Some(at)),
        created_via_brand_id: Set(Some(brand_id)),
    }
    .insert(txn)
    .await
}

pub(super) async fn created(
    txn: &DatabaseTransaction,
    person: NewPerson,
    accounts: Vec<account::Model>,
    door: (Uuid, Uuid),
    subject: &str,
    reason: String,
) -> Result<SignInResult, Stop> {
    let account = match person.account {
        AccountChoice::Existing(chosen) => accounts
            .into_iter()
            .find(|a| a.id == chosen.id)
            .ok_or_else(|| missing("the chosen account"))?,
        AccountChoice::Individual(name) => {
            account::ActiveModel {
                id: Set(Uuid::now_v7()),
                name: Set(name),
                is_individual: Set(true),
                company_id: Set(None),
                created_at: Set(now()),
            }
            .insert(txn)
            .await?
        }
    };
    let at = now();
    let email_folded = validate::fold(&person.email);
    let contact = contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        first_name: Set(person.first_name),
        last_name: Set(person.last_name),
        email_skeleton: Set(validate::email_skeleton(&email_folded)),
        email_folded: Set(email_folded),
        email: Set(person.email),
        account_id: Set(account.id),
        roles: Set(Value::from(person.roles)),
        status: Set(ContactStatus::Active.as_str().into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await?;
    insert_credential(txn, contact.id, door, subject).await?;
    Ok(SignInResult {
        outcome: Outcome::Created,
        account_assignment: Some(person.assignment),
        contact: Some(contact),
        account: Some(account),
        changed_attributes: person.changed,
        reason,
        errors: Vec::new(),
        denial_reason: None,
        discloses_contact: false,
    })
}
