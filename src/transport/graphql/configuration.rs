//! Identity-provider configurations: how one brand provisions learners from one IdP.
use super::types::Timestamp;
use async_graphql::{Context, Description, Enum, Object, Result};
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
    domain::{
        configuration::{
            AttributeMap as DomainAttributeMap, CompanyMatch as DomainCompanyMatch,
            MatchBy as DomainMatchBy, ProofPolicy as DomainProofPolicy,
        },
        id::NodeKind,
    },
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

/// Which claim finds an existing contact that has no credential of the subject (a known
/// credential always signs in first): Brightspace's "User/Name ID mapping".
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainMatchBy", rename_items = "camelCase")]
pub enum MatchBy {
    /// The subject's credential only: no claim links an existing contact.
    Subject,
    /// The email claim (the default).
    Email,
    /// The Username claim (`attributeMap.username`), compared case-insensitively.
    Username,
    /// The OrgDefinedId claim (`attributeMap.orgDefinedId`), compared exactly.
    OrgDefinedId,
}

/// Whether the sign-in hook believes claims without the identity provider's signed proof.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainProofPolicy", rename_items = "camelCase")]
pub enum ProofPolicy {
    /// Bare subject and claims are accepted; a proof sent is still verified.
    Optional,
    /// Only a verified `proof` signs anyone in; bare claims are denied (`proofRequired`).
    Required,
}

row_object! {
    #[Object(use_type_description)]
    #[derive(Description)]
    /// Which claim feeds which contact field.
    AttributeMap(DomainAttributeMap);
    columns {
        email: String,
        first_name: String,
        last_name: String,
        company_name: String,
        roles: String,
        /// The claim of a Username; `null`: not mapped.
        username: Option<String>,
        /// The claim of an OrgDefinedId; `null`: not mapped.
        org_defined_id: Option<String>,
    }
}

row_object! {
    #[Object(use_type_description)]
    #[derive(Description)]
    /// A provider role and the platform role it grants.
    RoleMapping(role_mapping::Model);
    columns { provider_role: String, role: String }
}

row_object! {
    #[Object]
    IdentityProviderConfiguration(configuration::Model), id NodeKind::IdentityProviderConfiguration;
    columns {
        /// Create contacts on their first SSO sign-in.
        auto_provision_learners: bool,
        /// Refresh the mapped attributes at each sign-in.
        update_attributes_on_login: bool,
        link_existing_contacts: bool,
        /// The role given to a new contact whose roles claim maps to nothing.
        default_role: String,
        /// What a signed proof must name as its audience: the OIDC client ID (`aud`) or the
        /// SAML service provider's entity ID (`Audience`).
        audience: Option<String>,
        /// SAML: the assertion consumer URL a proof's `Recipient` and `Destination` must equal.
        recipient: Option<String>,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    stored {
        company_match: CompanyMatch = DomainCompanyMatch,
        proof_policy: ProofPolicy = DomainProofPolicy,
        match_by: MatchBy = DomainMatchBy,
    }
    related {
        brand: Brand = brand::Entity, brand_id,
        identity_provider: IdentityProvider = identity_provider::Entity, identity_provider_id,
        /// The account auto-provisioned learners join, before company match is tried.
        default_account: Account = account::Entity, default_account_id,
    }
    resolvers {
        /// Refresh the roles at each sign-in: as set, or (never set) as
        /// `updateAttributesOnLogin`.
        async fn update_roles_on_login(&self) -> bool {
            service::configurations::update_roles_on_login(&self.0)
        }
        async fn attribute_map(&self) -> AttributeMap {
            AttributeMap(service::configurations::attribute_map(&self.0))
        }
        #[graphql(complexity = "UNPAGED_LIST_COST * child_complexity")]
        async fn role_mappings(&self, ctx: &Context<'_>) -> Result<Vec<RoleMapping>> {
            load_children::<role_mapping::Entity, _>(ctx, self.0.id).await
        }
    }
}
