//! API types. Each wraps a database model and chooses what of it the API shows.
use async_graphql::{Context, Enum, ID, Interface, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{
    account, api_token, brand, company, contact, credential, identity_provider,
    identity_provider_configuration as configuration, provisioning_event,
};

use super::{
    Allow,
    errors::GqlResultExt,
    limits::list_complexity,
    loaders::{
        ById, ConfigurationsOfBrand, CredentialsOfContact, RoleMappingsOfConfiguration, load,
        load_events_of_contact,
    },
};

use crate::{
    domain::{
        access::{Action, Role},
        configuration::CompanyMatch as DomainCompanyMatch,
        id::{NodeKind, encode},
        stored::{
            AccountAssignment as DomainAssignment, ContactStatus as DomainStatus,
            CredentialKind as DomainCredentialKind, Outcome, Protocol as DomainProtocol,
        },
    },
    error::AppError,
    service,
};

/// The complexity multiplier of a list without `first` (a brand's configurations, a
/// contact's credentials, role mappings): such lists hold a few items, as many as a brand has
/// identity providers, but a query that walks back and forth through them is still priced.
const UNPAGED_LIST_COST: usize = 10;

fn gid(kind: NodeKind, id: uuid::Uuid) -> ID {
    ID(encode(kind, id))
}

/// The entity `id` refers to, if any, as its API type; batched with its siblings.
async fn related<E, T>(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<T>>
where
    E: sea_orm::EntityTrait,
    E::Model: Clone + Send + Sync,
    T: From<E::Model>,
{
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(load::<ById<E>, _>(ctx, id).await?.map(T::from))
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    name = "IdentityProviderProtocol",
    remote = "crate::domain::stored::Protocol",
    rename_items = "camelCase"
)]
pub enum Protocol {
    Oidc,
    Saml,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::domain::configuration::CompanyMatch",
    rename_items = "camelCase"
)]
pub enum CompanyMatch {
    /// Byte-equal after trimming surrounding whitespace.
    Exact,
    /// Equal after trimming, ignoring case (Unicode-aware).
    CaseInsensitive,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::domain::stored::ContactStatus",
    rename_items = "camelCase"
)]
pub enum ContactStatus {
    Active,
    Inactive,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::access::Role", rename_items = "camelCase")]
pub enum ApiTokenRole {
    /// Everything, including token management.
    Owner,
    /// Everything but token management.
    Support,
    /// Queries only.
    Auditor,
    /// The sign-in hook of one brand (`sso.signIn`), nothing else.
    Portal,
}

/// Any entity with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Brand(Brand),
    IdentityProvider(IdentityProvider),
    IdentityProviderConfiguration(IdentityProviderConfiguration),
    Company(Company),
    Account(Account),
    Contact(Contact),
    ProvisioningEvent(ProvisioningEvent),
    ApiToken(ApiToken),
}

pub struct Brand(pub brand::Model);

#[Object]
impl Brand {
    async fn id(&self) -> ID {
        gid(NodeKind::Brand, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The brand's identity providers and how each provisions learners, oldest first.
    #[graphql(complexity = "UNPAGED_LIST_COST * child_complexity")]
    async fn identity_provider_configurations(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<IdentityProviderConfiguration>> {
        let rows = load::<ConfigurationsOfBrand, _>(ctx, self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(IdentityProviderConfiguration)
            .collect())
    }
}

pub struct IdentityProvider(pub identity_provider::Model);

#[Object]
impl IdentityProvider {
    async fn id(&self) -> ID {
        gid(NodeKind::IdentityProvider, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn protocol(&self) -> Result<Protocol> {
        let protocol: DomainProtocol = AppError::decode(&self.0.protocol).gql()?;
        Ok(protocol.into())
    }
    /// The OIDC issuer URL or SAML entity ID; unique.
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Which claim feeds which contact field.
#[derive(SimpleObject)]
pub struct AttributeMap {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub roles: String,
}

/// A provider role and the platform role it grants.
#[derive(SimpleObject)]
pub struct RoleMapping {
    pub provider_role: String,
    pub role: String,
}

pub struct IdentityProviderConfiguration(pub configuration::Model);

#[Object]
impl IdentityProviderConfiguration {
    async fn id(&self) -> ID {
        gid(NodeKind::IdentityProviderConfiguration, self.0.id)
    }
    async fn brand(&self, ctx: &Context<'_>) -> Result<Option<Brand>> {
        related::<brand::Entity, Brand>(ctx, Some(self.0.brand_id)).await
    }
    async fn identity_provider(&self, ctx: &Context<'_>) -> Result<Option<IdentityProvider>> {
        related::<identity_provider::Entity, IdentityProvider>(
            ctx,
            Some(self.0.identity_provider_id),
        )
        .await
    }
    /// Create contacts on their first SSO sign-in.
    async fn auto_provision_learners(&self) -> bool {
        self.0.auto_provision_learners
    }
    /// The account auto-provisioned learners join, before company match is tried.
    async fn default_account(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        related::<account::Entity, Account>(ctx, self.0.default_account_id).await
    }
    async fn update_attributes_on_login(&self) -> bool {
        self.0.update_attributes_on_login
    }
    async fn link_existing_contacts(&self) -> bool {
        self.0.link_existing_contacts
    }
    async fn company_match(&self) -> Result<CompanyMatch> {
        let company_match: DomainCompanyMatch = AppError::decode(&self.0.company_match).gql()?;
        Ok(company_match.into())
    }
    async fn attribute_map(&self) -> AttributeMap {
        let map = service::configurations::attribute_map(&self.0);
        AttributeMap {
            email: map.email,
            first_name: map.first_name,
            last_name: map.last_name,
            company_name: map.company_name,
            roles: map.roles,
        }
    }
    /// The role given to a new contact whose roles claim maps to nothing.
    async fn default_role(&self) -> &str {
        &self.0.default_role
    }
    #[graphql(complexity = "UNPAGED_LIST_COST * child_complexity")]
    async fn role_mappings(&self, ctx: &Context<'_>) -> Result<Vec<RoleMapping>> {
        let rows = load::<RoleMappingsOfConfiguration, _>(ctx, self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|m| RoleMapping {
                provider_role: m.provider_role,
                role: m.role,
            })
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Company(pub company::Model);

#[Object]
impl Company {
    async fn id(&self) -> ID {
        gid(NodeKind::Company, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        gid(NodeKind::Account, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// An account of one person rather than of an organisation.
    #[graphql(guard = "Allow(Action::Read)")]
    async fn is_individual(&self) -> bool {
        self.0.is_individual
    }
    #[graphql(guard = "Allow(Action::Read)")]
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        related::<company::Entity, Company>(ctx, self.0.company_id).await
    }
    #[graphql(guard = "Allow(Action::Read)")]
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Contact(pub contact::Model);

#[Object]
impl Contact {
    async fn id(&self) -> ID {
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
    async fn id(&self) -> ID {
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

/// An admin API token. Its secret was shown once, at creation, and is not stored.
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        gid(NodeKind::ApiToken, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Result<Option<ApiTokenRole>> {
        let role: Role = AppError::decode(&self.0.role).gql()?;
        Ok(Some(role.into()))
    }
    /// The brand a portal token acts for.
    async fn brand(&self, ctx: &Context<'_>) -> Result<Option<Brand>> {
        related::<brand::Entity, Brand>(ctx, self.0.brand_id).await
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// Neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > Utc::now())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

macro_rules! from_model {
    ($($ty:ident: $model:path),+) => {
        $(impl From<$model> for $ty {
            fn from(m: $model) -> Self { Self(m) }
        })+
    };
}

from_model!(
    IdentityProviderConfiguration: configuration::Model,
    Brand: brand::Model,
    IdentityProvider: identity_provider::Model,
    Company: company::Model,
    Account: account::Model,
    Contact: contact::Model,
    ApiToken: api_token::Model,
    ProvisioningEvent: provisioning_event::Model
);
