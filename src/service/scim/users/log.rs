//! A SCIM user's entries in the provisioning log: what changed, and why.
use entity::contact;
use sea_orm::{DatabaseTransaction, DbErr};

use crate::{
    db::provisioning_events::{self, NewEvent},
    domain::{
        scim::user::UserData,
        stored::{AccountAssignment, Outcome, Source},
    },
    service::{now, scim::Scope},
};

/// The attributes (as the provisioning log names them) that differ between two versions of a
/// user; a password sent counts as a change.
pub(super) fn changed_attributes(before: &UserData, after: &UserData) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |differs: bool, name: &'static str| {
        if differs {
            changed.push(name);
        }
    };
    note(before.user_name != after.user_name, "userName");
    note(before.external_id != after.external_id, "externalId");
    note(before.given_name != after.given_name, "firstName");
    note(before.family_name != after.family_name, "lastName");
    note(
        after.email.is_some() && before.email != after.email,
        "email",
    );
    note(before.emails != after.emails, "emails");
    note(before.active != after.active, "status");
    note(before.display_name != after.display_name, "displayName");
    note(before.title != after.title, "title");
    note(before.phone_numbers != after.phone_numbers, "phoneNumbers");
    note(before.department != after.department, "department");
    note(
        before.employee_number != after.employee_number,
        "employeeNumber",
    );
    note(before.organization != after.organization, "organization");
    note(before.manager != after.manager, "manager");
    note(after.password.is_some(), "password");
    changed
}

/// What a SCIM create did, for its provisioning event.
pub(super) struct Provisioned<'a> {
    pub(super) outcome: Outcome,
    pub(super) assignment: Option<AccountAssignment>,
    pub(super) changed: &'a [&'a str],
    pub(super) reason: String,
}

/// Writes the provisioning event of a SCIM change.
pub(super) async fn log_event(
    txn: &DatabaseTransaction,
    scope: &Scope,
    subject: &str,
    contact: &contact::Model,
    Provisioned {
        outcome,
        assignment,
        changed,
        reason,
    }: Provisioned<'_>,
) -> Result<(), DbErr> {
    provisioning_events::insert(
        txn,
        NewEvent {
            source: Source::Scim,
            brand_id: Some(scope.configuration.brand_id),
            identity_provider_id: Some(scope.identity_provider_id()),
            subject,
            contact_id: Some(contact.id),
            account_id: Some(contact.account_id),
            outcome,
            account_assignment: assignment,
            changed_attributes: changed,
            reason,
        },
        now(),
    )
    .await
}
