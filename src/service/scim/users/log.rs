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

/// What a SCIM write did to a user's contact, for its provisioning event.
pub(super) struct Provisioned<'a> {
    /// The userName.
    pub(super) subject: &'a str,
    pub(super) contact: &'a contact::Model,
    pub(super) outcome: Outcome,
    pub(super) assignment: Option<AccountAssignment>,
    pub(super) changed: &'a [&'a str],
    pub(super) reason: String,
}

impl Provisioned<'_> {
    /// Writes the provisioning event.
    pub(super) async fn log(self, txn: &DatabaseTransaction, scope: &Scope) -> Result<(), DbErr> {
        let event = NewEvent {
            source: Source::Scim,
            brand_id: Some(scope.configuration.brand_id),
            identity_provider_id: Some(scope.identity_provider_id()),
            subject: self.subject,
            contact_id: Some(self.contact.id),
            account_id: Some(self.contact.account_id),
            outcome: self.outcome,
            account_assignment: self.assignment,
            changed_attributes: self.changed,
            reason: self.reason,
        };
        provisioning_events::insert(txn, event, now()).await
    }
}
