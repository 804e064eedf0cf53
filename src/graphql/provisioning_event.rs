//! The provisioning log: one event per call of the sign-in hook, and its query.
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{account, brand, contact, identity_provider, provisioning_event};

use super::{
    Allow,
    account::Account,
    brand::Brand,
    connection::{ProvisioningEventField, entity_queries},
    contact::Contact,
    errors::GqlResultExt,
    identity_provider::IdentityProvider,
    types::{gid, related},
};
use crate::{
    domain::{
        access::Action,
        id::NodeKind,
        stored::{AccountAssignment as DomainAssignment, Outcome},
    },
    error::AppError,
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
}

/// Which rule chose a new contact's account.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::domain::stored::AccountAssignment",
    rename_items = "camelCase"
)]
pub enum AccountAssignment {
    /// The configuration's default account.
    DefaultAccount,
    /// The first account of the company named by the company claim.
    CompanyMatch,
    /// A new individual account named after the contact.
    IndividualAccount,
}

/// One entry of the provisioning log: one call of the sign-in hook.
pub struct ProvisioningEvent(pub provisioning_event::Model);

#[Object]
impl ProvisioningEvent {
    pub async fn id(&self) -> ID {
        gid(NodeKind::ProvisioningEvent, self.0.id)
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn brand(&self, ctx: &Context<'_>) -> Result<Option<Brand>> {
        related::<brand::Entity, Brand>(ctx, self.0.brand_id).await
    }
    async fn identity_provider(&self, ctx: &Context<'_>) -> Result<Option<IdentityProvider>> {
        related::<identity_provider::Entity, IdentityProvider>(ctx, self.0.identity_provider_id)
            .await
    }
    /// The subject the identity provider asserted.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn contact(&self, ctx: &Context<'_>) -> Result<Option<Contact>> {
        related::<contact::Entity, Contact>(ctx, self.0.contact_id).await
    }
    async fn account(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        related::<account::Entity, Account>(ctx, self.0.account_id).await
    }
    async fn outcome(&self) -> Result<SignInOutcome> {
        let outcome: Outcome = AppError::decode(&self.0.outcome).gql()?;
        Ok(outcome.into())
    }
    /// For `created`: which rule chose the account.
    async fn account_assignment(&self) -> Result<Option<AccountAssignment>> {
        let Some(raw) = self.0.account_assignment.as_deref() else {
            return Ok(None);
        };
        let assignment: DomainAssignment = AppError::decode(raw).gql()?;
        Ok(Some(assignment.into()))
    }
    /// Contact attributes this call set or changed.
    async fn changed_attributes(&self) -> Result<Vec<String>> {
        AppError::decode_json(
            "provisioning_event.changed_attributes",
            &self.0.changed_attributes,
        )
        .gql()
    }
    /// Why: the account rule in words, or the reason for a denial.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

entity_queries!(
    ProvisioningEventQuery, guard = "Allow(Action::Read)";
    /// The provisioning log: one event per sign-in call, denials included; newest first
    /// unless `order` says otherwise.
    list provisioning_events: ProvisioningEventField => ProvisioningEvent
);
