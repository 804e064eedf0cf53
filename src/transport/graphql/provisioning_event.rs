//! The provisioning log: one event per call of the sign-in hook, and its query.
use super::types::Timestamp;
use async_graphql::{Object, Result};
use entity::{account, brand, contact, identity_provider, provisioning_event};

use super::{
    Allow,
    account::Account,
    brand::Brand,
    connection::{ProvisioningEventField, entity_queries},
    contact::Contact,
    errors::GqlResultExt,
    identity_provider::IdentityProvider,
    types::{api_enum, row_object, stored},
};
use crate::{
    domain::{
        access::Action,
        id::NodeKind,
        stored::{AccountAssignment as DomainAssignment, Outcome, Source},
    },
    error::AppError,
};

crate::domain::stored::outcome_variants! { api_enum { SignInOutcome = "crate::domain::stored::Outcome" } }

crate::domain::stored::source_variants! { api_enum { ProvisioningSource = "crate::domain::stored::Source" } }

crate::domain::stored::account_assignment_variants! { api_enum { AccountAssignment = "crate::domain::stored::AccountAssignment" } }

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
            self.0
                .account_assignment
                .as_deref()
                .map(stored::<DomainAssignment, _>)
                .transpose()
        }
        /// Contact attributes this call set or changed.
        async fn changed_attributes(&self) -> Result<Vec<String>> {
            AppError::decode_json(
                "provisioning_event.changed_attributes",
                &self.0.changed_attributes,
            )
            .gql()
        }
    }
}

entity_queries!(
    ProvisioningEventQuery, guard = "Allow(Action::Read)";
    /// The provisioning log: one event per sign-in call, denials included; newest first
    /// unless `order` says otherwise.
    list provisioning_events: ProvisioningEventField => ProvisioningEvent
);
