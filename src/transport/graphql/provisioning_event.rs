//! The provisioning log: one event per call of the sign-in hook, and its query.
use super::types::Timestamp;
use async_graphql::{Enum, Object, Result};
use entity::{account, brand, contact, identity_provider, provisioning_event};

use super::{
    Allow,
    account::Account,
    brand::Brand,
    connection::{ProvisioningEventField, entity_queries},
    contact::Contact,
    identity_provider::IdentityProvider,
    types::{json, row_object, stored_or_null},
};
use crate::domain::{
    access::Action,
    id::NodeKind,
    stored::{AccountAssignment as DomainAssignment, Outcome, Source},
};

/// What a sign-in did.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::stored::Outcome", rename_items = "camelCase")]
pub enum SignInOutcome {
    /// A new contact was provisioned.
    Created,
    /// An existing contact without credentials got this SSO credential.
    Linked,
    /// A known credential signed in.
    SignedIn,
    /// Refused; `errors` (or the event's `reason`) says why. Nothing but the event was written.
    Denied,
    /// (SCIM) The identity provider changed the contact's attributes.
    Updated,
    /// (SCIM) The identity provider deactivated the contact: its sign-ins are denied.
    Deactivated,
    /// (SCIM) The identity provider reactivated the contact.
    Reactivated,
    /// (SCIM) The identity provider deleted its user: the SCIM identity is gone and the
    /// contact is inactive.
    Deprovisioned,
}

/// Which door a provisioning event came through.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::stored::Source", rename_items = "camelCase")]
pub enum ProvisioningSource {
    /// The sign-in hook.
    Sso,
    /// The SCIM endpoint (the identity provider pushed the change).
    Scim,
    /// The admin API.
    Admin,
}

/// Which rule chose a new contact's account.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainAssignment", rename_items = "camelCase")]
pub enum AccountAssignment {
    /// The configuration's default account.
    DefaultAccount,
    /// The first account of the company named by the company claim.
    CompanyMatch,
    /// A new individual account named after the contact.
    IndividualAccount,
}

row_object! {
    #[Object]
    /// One entry of the provisioning log: one call of the sign-in hook.
    ProvisioningEvent(provisioning_event::Model), id NodeKind::ProvisioningEvent;
    columns {
        occurred_at: Timestamp,
        /// The subject the identity provider asserted.
        subject: String,
        /// Why: the account rule in words, or the reason for a denial.
        reason: Option<String>,
    }
    stored {
        outcome: SignInOutcome = Outcome,
        /// Which door: the sign-in hook (`sso`), the SCIM endpoint (`scim`) or the admin API.
        source: ProvisioningSource = Source,
    }
    related {
        brand: Brand = brand::Entity, brand_id,
        identity_provider: IdentityProvider = identity_provider::Entity, identity_provider_id,
        contact: Contact = contact::Entity, contact_id,
        account: Account = account::Entity, account_id,
    }
    resolvers {
        /// For `created`: which rule chose the account.
        async fn account_assignment(&self) -> Result<Option<AccountAssignment>> {
            stored_or_null::<DomainAssignment, _>(self.0.account_assignment.as_deref())
        }
        /// Contact attributes this call set or changed.
        async fn changed_attributes(&self) -> Result<Vec<String>> {
            json("provisioning_event.changed_attributes", &self.0.changed_attributes)
        }
    }
}

entity_queries!(
    ProvisioningEventQuery, guard = "Allow(Action::Read)";
    /// The provisioning log: one event per sign-in call, denials included; newest first
    /// unless `order` says otherwise.
    list provisioning_events: ProvisioningEventField => ProvisioningEvent
);
