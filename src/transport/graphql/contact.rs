//! Contacts and their credentials: object types, queries and mutations.
use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result};
use entity::{account, contact, credential, identity_provider, provisioning_event, scim_user};

use super::{
    Allow,
    account::Account,
    app,
    connection::{ContactField, entity_queries},
    identity_provider::IdentityProvider,
    limits::list_complexity,
    loaders::{load_children, load_newest},
    mutation::entity_payload,
    principal,
    provisioning_event::ProvisioningEvent,
    text_or_null,
    types::{self, UNPAGED_LIST_COST, row_object},
};
use crate::{
    domain::{
        access::Action,
        id::NodeKind,
        stored::{ContactStatus as DomainStatus, CredentialKind as DomainCredentialKind},
    },
    service::{self, contacts::ContactChanges},
};

/// Whether a contact may sign in.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainStatus", rename_items = "camelCase")]
pub enum ContactStatus {
    Active,
    Inactive,
}

row_object! {
    #[Object]
    Contact(contact::Model), id NodeKind::Contact;
    columns {
        first_name: String,
        last_name: String,
        email: String,
        /// The Username an identity provider or an administrator gave (Brightspace's); a
        /// configuration may match sign-ins by it (`matchBy: username`).
        username: Option<String>,
        /// The organisation's own id of the person (Brightspace's OrgDefinedId); a
        /// configuration may match sign-ins by it (`matchBy: orgDefinedId`).
        org_defined_id: Option<String>,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    stored { status: ContactStatus = DomainStatus }
    related {
        #[graphql(guard = "Allow(Action::Read)")]
        account: Account = account::Entity, account_id,
    }
    resolvers {
        /// Platform roles.
        async fn roles(&self) -> Result<Vec<String>> {
            types::json("contact.roles", &self.0.roles)
        }
        /// Sign-in identities, as on the contact's Credentials tab.
        #[graphql(
            guard = "Allow(Action::Read)",
            complexity = "UNPAGED_LIST_COST * child_complexity"
        )]
        async fn credentials(&self, ctx: &Context<'_>) -> Result<Vec<Credential>> {
            load_children::<credential::Entity, _>(ctx, self.0.id).await
        }
        /// The identity an identity provider pushed over SCIM for this contact (the oldest,
        /// when several IdPs did; `scimIdentities` lists them all). Null for a contact SCIM
        /// never pushed, or whose SCIM user was deleted.
        #[graphql(guard = "Allow(Action::Read)")]
        async fn scim_identity(&self, ctx: &Context<'_>) -> Result<Option<ScimIdentity>> {
            Ok(load_children::<scim_user::Entity, ScimIdentity>(ctx, self.0.id)
                .await?
                .into_iter()
                .next())
        }
        /// Every SCIM identity of this contact, oldest first.
        #[graphql(
            guard = "Allow(Action::Read)",
            complexity = "UNPAGED_LIST_COST * child_complexity"
        )]
        async fn scim_identities(&self, ctx: &Context<'_>) -> Result<Vec<ScimIdentity>> {
            load_children::<scim_user::Entity, _>(ctx, self.0.id).await
        }
        /// This contact's sign-ins, newest first.
        #[graphql(
            guard = "Allow(Action::Read)",
            complexity = "list_complexity(__field, Some(first), None, child_complexity)"
        )]
        async fn provisioning_events(
            &self,
            ctx: &Context<'_>,
            #[graphql(default = 25, validator(minimum = 0, maximum = 100))] first: i32,
        ) -> Result<Vec<ProvisioningEvent>> {
            load_newest::<provisioning_event::Entity, _>(ctx, self.0.id, first.max(0) as u64).await
        }
    }
}

/// What a credential proves: an SSO identity or a password.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainCredentialKind", rename_items = "camelCase")]
pub enum CredentialKind {
    Sso,
    Password,
}

row_object! {
    #[Object]
    Credential(credential::Model);
    columns {
        /// The subject (user ID) the identity provider asserts.
        subject: Option<String>,
        created_at: Timestamp,
        last_sign_in_at: Option<Timestamp>,
    }
    stored { kind: CredentialKind = DomainCredentialKind }
    related { identity_provider: IdentityProvider = identity_provider::Entity, identity_provider_id }
}

row_object! {
    #[Object]
    /// A contact as an identity provider's SCIM client knows it (PRODUCT §6).
    ScimIdentity(scim_user::Model);
    columns {
        /// The SCIM userName, also the subject of the contact's SSO credential at the IdP.
        user_name: String,
        /// The IdP's own id for the user.
        external_id: Option<String>,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    related { identity_provider: IdentityProvider = identity_provider::Entity, identity_provider_id }
    resolvers {
        /// The SCIM id (as in `/scim/v2/Users/{id}`).
        async fn scim_id(&self) -> String {
            self.0.id.to_string()
        }
    }
}

entity_queries!(
    ContactQuery, guard = "Allow(Action::Read)";
    one contact: contact::Entity, NodeKind::Contact;
    list contacts: ContactField => Contact
);

#[derive(InputObject)]
pub struct CreateContactInput {
    pub first_name: String,
    pub last_name: String,
    /// Unique, compared case-insensitively.
    pub email: String,
    pub account_id: ID,
    /// Platform roles (default `["learner"]`).
    pub roles: Option<Vec<String>>,
    /// Brightspace's Username (compared case-insensitively by `matchBy: username`).
    pub username: Option<String>,
    /// The organisation's own id of the person (compared exactly by `matchBy: orgDefinedId`).
    pub org_defined_id: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateContactInput {
    pub contact_id: ID,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// An inactive contact cannot sign in.
    pub status: Option<ContactStatus>,
    pub account_id: Option<ID>,
    /// Replaces the contact's roles when given.
    pub roles: Option<Vec<String>>,
    /// `null` or blank clears it.
    pub username: MaybeUndefined<String>,
    /// `null` or blank clears it.
    pub org_defined_id: MaybeUndefined<String>,
}

entity_payload!(ContactPayload { contact: Contact });

pub struct ContactMutations;

#[Object(serial)]
impl ContactMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateContactInput) -> Result<ContactPayload> {
        ContactPayload::from(
            service::contacts::create(
                app(ctx)?,
                principal(ctx)?,
                service::contacts::NewContact {
                    first_name: &input.first_name,
                    last_name: &input.last_name,
                    email: &input.email,
                    account_id: &input.account_id,
                    roles: input.roles.as_deref(),
                    username: input.username.as_deref(),
                    org_defined_id: input.org_defined_id.as_deref(),
                },
            )
            .await,
        )
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateContactInput) -> Result<ContactPayload> {
        ContactPayload::from(
            service::contacts::update(
                app(ctx)?,
                principal(ctx)?,
                &input.contact_id,
                ContactChanges {
                    first_name: input.first_name.as_deref(),
                    last_name: input.last_name.as_deref(),
                    email: input.email.as_deref(),
                    status: input.status.map(Into::into),
                    account_id: input.account_id.as_ref().map(|id| id.as_str()),
                    roles: input.roles.as_deref(),
                    username: text_or_null(&input.username),
                    org_defined_id: text_or_null(&input.org_defined_id),
                },
            )
            .await,
        )
    }
}
