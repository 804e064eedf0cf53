//! Contacts and their credentials: object types, queries and mutations.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::{account, contact, credential, identity_provider};

use super::{
    Allow,
    account::Account,
    connection::{ContactField, entity_queries},
    db,
    errors::GqlResultExt,
    identity_provider::IdentityProvider,
    limits::list_complexity,
    loaders::{CredentialsOfContact, load, load_events_of_contact},
    mutation::entity_payload,
    provisioning_event::ProvisioningEvent,
    types::{UNPAGED_LIST_COST, gid, related},
};
use crate::{
    domain::{
        access::Action,
        id::NodeKind,
        stored::{ContactStatus as DomainStatus, CredentialKind as DomainCredentialKind},
    },
    error::AppError,
    service::{self, contacts::ContactChanges},
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::domain::stored::ContactStatus",
    rename_items = "camelCase"
)]
pub enum ContactStatus {
    Active,
    Inactive,
}

pub struct Contact(pub contact::Model);

#[Object]
impl Contact {
    pub async fn id(&self) -> ID {
        gid(NodeKind::Contact, self.0.id)
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn status(&self) -> Result<ContactStatus> {
        let status: DomainStatus = AppError::decode(&self.0.status).gql()?;
        Ok(status.into())
    }
    /// Platform roles.
    async fn roles(&self) -> Result<Vec<String>> {
        AppError::decode_json("contact.roles", &self.0.roles).gql()
    }
    #[graphql(guard = "Allow(Action::Read)")]
    async fn account(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        related::<account::Entity, Account>(ctx, Some(self.0.account_id)).await
    }
    /// Sign-in identities, as on the contact's Credentials tab.
    #[graphql(
        guard = "Allow(Action::Read)",
        complexity = "UNPAGED_LIST_COST * child_complexity"
    )]
    async fn credentials(&self, ctx: &Context<'_>) -> Result<Vec<Credential>> {
        let rows = load::<CredentialsOfContact, _>(ctx, self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Credential)
            .collect())
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
        let rows = load_events_of_contact(ctx, self.0.id, first.max(0) as u64).await?;
        Ok(rows.into_iter().map(ProvisioningEvent).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::domain::stored::CredentialKind",
    rename_items = "camelCase"
)]
pub enum CredentialKind {
    Sso,
    Password,
}

pub struct Credential(pub credential::Model);

#[Object]
impl Credential {
    async fn kind(&self) -> Result<CredentialKind> {
        let kind: DomainCredentialKind = AppError::decode(&self.0.kind).gql()?;
        Ok(kind.into())
    }
    async fn identity_provider(&self, ctx: &Context<'_>) -> Result<Option<IdentityProvider>> {
        related::<identity_provider::Entity, IdentityProvider>(ctx, self.0.identity_provider_id)
            .await
    }
    /// The subject (user ID) the identity provider asserts.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_sign_in_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_sign_in_at
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
}

entity_payload!(ContactPayload { contact: Contact });

pub struct ContactMutations;

#[Object(serial)]
impl ContactMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateContactInput) -> Result<ContactPayload> {
        ContactPayload::from(
            service::contacts::create(
                db(ctx)?,
                service::contacts::NewContact {
                    first_name: &input.first_name,
                    last_name: &input.last_name,
                    email: &input.email,
                    account_id: &input.account_id,
                    roles: input.roles.as_deref(),
                },
            )
            .await,
        )
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateContactInput) -> Result<ContactPayload> {
        ContactPayload::from(
            service::contacts::update(
                db(ctx)?,
                &input.contact_id,
                ContactChanges {
                    first_name: input.first_name.as_deref(),
                    last_name: input.last_name.as_deref(),
                    email: input.email.as_deref(),
                    status: input.status.map(Into::into),
                    account_id: input.account_id.as_ref().map(|id| id.as_str()),
                    roles: input.roles.as_deref(),
                },
            )
            .await,
        )
    }
}
