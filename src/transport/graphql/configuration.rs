//! Identity-provider configurations: how one brand provisions learners from one IdP.
use super::types::Timestamp;
use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use entity::{
    account, brand, identity_provider, identity_provider_configuration as configuration,
    role_mapping,
};

use super::{
    account::Account,
    brand::Brand,
    identity_provider::IdentityProvider,
    loaders::load_children,
    types::{UNPAGED_LIST_COST, row_object},
};
use crate::{
    domain::{configuration::CompanyMatch as DomainCompanyMatch, id::NodeKind},
    service,
};

/// How the company claim is compared with company names.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainCompanyMatch", rename_items = "camelCase")]
pub enum CompanyMatch {
    /// Byte-equal after trimming surrounding whitespace.
    Exact,
    /// Equal after trimming and folding (NFKC and Unicode case folding).
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

impl From<role_mapping::Model> for RoleMapping {
    fn from(m: role_mapping::Model) -> Self {
        Self {
            provider_role: m.provider_role,
            role: m.role,
        }
    }
}

row_object! {
    #[Object]
    IdentityProviderConfiguration(configuration::Model), id NodeKind::IdentityProviderConfiguration;
    columns {
        /// Create contacts on their first SSO sign-in.
        auto_provision_learners: bool,
        update_attributes_on_login: bool,
        link_existing_contacts: bool,
        /// The role given to a new contact whose roles claim maps to nothing.
        default_role: String,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    stored { company_match: CompanyMatch = DomainCompanyMatch }
    related {
        brand: Brand = brand::Entity, brand_id,
        identity_provider: IdentityProvider = identity_provider::Entity, identity_provider_id,
        /// The account auto-provisioned learners join, before company match is tried.
        default_account: Account = account::Entity, default_account_id,
    }
    resolvers {
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
        #[graphql(complexity = "UNPAGED_LIST_COST * child_complexity")]
        async fn role_mappings(&self, ctx: &Context<'_>) -> Result<Vec<RoleMapping>> {
            load_children::<role_mapping::Entity, _>(ctx, self.0.id).await
        }
    }
}
