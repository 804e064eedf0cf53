//! Identity-provider configurations: how one brand provisions learners from one IdP.
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{account, brand, identity_provider, identity_provider_configuration as configuration};

use super::{
    account::Account,
    brand::Brand,
    errors::GqlResultExt,
    identity_provider::IdentityProvider,
    loaders::{RoleMappingsOfConfiguration, load},
    types::{UNPAGED_LIST_COST, gid, related},
};
use crate::{
    domain::{configuration::CompanyMatch as DomainCompanyMatch, id::NodeKind},
    error::AppError,
    service,
};

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
    pub async fn id(&self) -> ID {
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
