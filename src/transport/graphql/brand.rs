//! Brands: the object type, the `brand`/`brands` queries and the `brands` mutations (which also
//! hold the identity-provider configuration mutations, as in Administrate).

use super::types::Timestamp;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entity::{audit_event, brand, identity_provider_configuration};

use super::{
    Allow, app,
    audit_event::AuditEvent,
    configuration::{CompanyMatch, IdentityProviderConfiguration, MatchBy, ProofPolicy},
    connection::{BrandField, entity_queries},
    errors::ApiFieldError,
    id_or_null,
    limits::list_complexity,
    loaders::{load_children, load_newest},
    mutation::{entity_payload, payload},
    principal, text_or_null,
    types::{UNPAGED_LIST_COST, row_object},
};
use crate::{
    domain::{access::Action, configuration::AttributeMapPatch, id::NodeKind},
    error::AppResult,
    service,
};

row_object! {
    #[Object]
    Brand(brand::Model), id NodeKind::Brand;
    columns { name: String, created_at: Timestamp, updated_at: Timestamp }
    resolvers {
        /// Who changed this brand, its configurations and its portal tokens, and how: the
        /// newest `first` admin changes, newest first (`auditEvents` filters the whole log).
        #[graphql(complexity = "list_complexity(__field, Some(first), None, child_complexity)")]
        async fn audit_events(
            &self,
            ctx: &Context<'_>,
            #[graphql(default = 25, validator(minimum = 0, maximum = 100))] first: i32,
        ) -> Result<Vec<AuditEvent>> {
            load_newest::<audit_event::Entity, _>(ctx, self.0.id, first.max(0) as u64).await
        }
        /// The brand's identity providers and how each provisions learners, oldest first.
        #[graphql(complexity = "UNPAGED_LIST_COST * child_complexity")]
        async fn identity_provider_configurations(
            &self,
            ctx: &Context<'_>,
        ) -> Result<Vec<IdentityProviderConfiguration>> {
            load_children::<identity_provider_configuration::Entity, _>(ctx, self.0.id).await
        }
    }
}

entity_queries!(
    BrandQuery, guard = "Allow(Action::Read)";
    one brand: brand::Entity, NodeKind::Brand;
    list brands: BrandField => Brand
);

#[derive(InputObject)]
pub struct CreateBrandInput {
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateBrandInput {
    pub brand_id: ID,
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct DeleteBrandInput {
    pub brand_id: ID,
}

entity_payload!(BrandPayload { brand: Brand });

/// Which claim feeds which contact field; omitted fields keep their current (or default) claim.
#[derive(InputObject, Default)]
pub struct AttributeMapInput {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub roles: Option<String>,
    /// The claim of a Username (Brightspace's); `null` unmaps it (not mapped by default).
    pub username: MaybeUndefined<String>,
    /// The claim of an OrgDefinedId (an organisation's own id of the person); `null` unmaps
    /// it (not mapped by default).
    pub org_defined_id: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct RoleMappingInput {
    pub provider_role: String,
    pub role: String,
}

/// A brand's configuration of one identity provider. On update, omitted fields are left
/// unchanged and `defaultAccountId: null` clears the default account.
#[derive(InputObject)]
pub struct IdentityProviderConfigurationInput {
    pub brand_id: ID,
    pub identity_provider_id: ID,
    /// Create contacts on first SSO sign-in (default false).
    pub auto_provision_learners: Option<bool>,
    pub default_account_id: MaybeUndefined<ID>,
    /// Refresh the mapped attributes at each sign-in (default false); roles too, unless
    /// `updateRolesOnLogin` says otherwise.
    pub update_attributes_on_login: Option<bool>,
    /// Refresh the roles at each sign-in, apart from the attributes. Omitted on create, or
    /// `null`: follows `updateAttributesOnLogin`.
    pub update_roles_on_login: MaybeUndefined<bool>,
    /// Link a contact found by email that has no credentials yet (default true).
    pub link_existing_contacts: Option<bool>,
    /// How the company claim is compared with company names (default exact).
    pub company_match: Option<CompanyMatch>,
    /// Which claim finds an existing contact that has no credential of the subject (default
    /// `email`). `username` and `orgDefinedId` need their claim in `attributeMap`.
    pub match_by: Option<MatchBy>,
    pub attribute_map: Option<AttributeMapInput>,
    /// Role of new contacts whose roles map to nothing (default learner).
    pub default_role: Option<String>,
    /// Replaces all role mappings when given.
    pub role_mappings: Option<Vec<RoleMappingInput>>,
    /// What a signed proof must name as its audience (OIDC client ID, SAML SP entity ID);
    /// `null` clears.
    pub audience: MaybeUndefined<String>,
    /// SAML: the assertion consumer URL proofs must be addressed to; `null` clears.
    pub recipient: MaybeUndefined<String>,
    /// `required`: only a verified proof signs anyone in (default `optional`). Needs an
    /// audience and an identity provider with a key source.
    pub proof_policy: Option<ProofPolicy>,
}

impl IdentityProviderConfigurationInput {
    fn to_service(&self) -> service::configurations::ConfigurationInput<'_> {
        service::configurations::ConfigurationInput {
            brand_id: &self.brand_id,
            identity_provider_id: &self.identity_provider_id,
            auto_provision_learners: self.auto_provision_learners,
            default_account_id: id_or_null(&self.default_account_id),
            update_attributes_on_login: self.update_attributes_on_login,
            update_roles_on_login: self.update_roles_on_login.as_opt_ref().map(|v| v.copied()),
            link_existing_contacts: self.link_existing_contacts,
            company_match: self.company_match.map(Into::into),
            match_by: self.match_by.map(Into::into),
            attribute_map: self.attribute_map.as_ref().map(|m| AttributeMapPatch {
                email: m.email.clone(),
                first_name: m.first_name.clone(),
                last_name: m.last_name.clone(),
                company_name: m.company_name.clone(),
                roles: m.roles.clone(),
                username: text_or_null(&m.username).map(|v| v.map(str::to_owned)),
                org_defined_id: text_or_null(&m.org_defined_id).map(|v| v.map(str::to_owned)),
            }),
            default_role: self.default_role.as_deref(),
            role_mappings: self.role_mappings.as_ref().map(|m| {
                m.iter()
                    .map(|r| (r.provider_role.clone(), r.role.clone()))
                    .collect()
            }),
            audience: text_or_null(&self.audience),
            recipient: text_or_null(&self.recipient),
            proof_policy: self.proof_policy.map(Into::into),
        }
    }
}

#[derive(InputObject)]
pub struct DeleteIdentityProviderConfigurationInput {
    pub brand_id: ID,
    pub identity_provider_id: ID,
}

#[derive(SimpleObject)]
pub struct IdentityProviderConfigurationPayload {
    pub brand: Option<Brand>,
    pub identity_provider_configuration: Option<IdentityProviderConfiguration>,
    pub errors: Vec<ApiFieldError>,
}

impl IdentityProviderConfigurationPayload {
    fn from(
        result: AppResult<(
            entity::brand::Model,
            entity::identity_provider_configuration::Model,
        )>,
    ) -> Result<Self> {
        let (value, errors) = payload(result)?;
        let (brand, configuration) = value.unzip();
        Ok(Self {
            brand: brand.map(Brand),
            identity_provider_configuration: configuration.map(IdentityProviderConfiguration),
            errors,
        })
    }
}

pub struct BrandMutations;

#[Object(serial)]
impl BrandMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateBrandInput) -> Result<BrandPayload> {
        BrandPayload::from(service::brands::create(app(ctx)?, principal(ctx)?, &input.name).await)
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateBrandInput) -> Result<BrandPayload> {
        BrandPayload::from(
            service::brands::update(
                app(ctx)?,
                principal(ctx)?,
                &input.brand_id,
                input.name.as_deref(),
            )
            .await,
        )
    }

    /// Deletes a brand without identity-provider configurations (delete those first).
    async fn delete(&self, ctx: &Context<'_>, input: DeleteBrandInput) -> Result<BrandPayload> {
        BrandPayload::from(
            service::brands::delete(app(ctx)?, principal(ctx)?, &input.brand_id).await,
        )
    }

    async fn create_identity_provider_configuration(
        &self,
        ctx: &Context<'_>,
        input: IdentityProviderConfigurationInput,
    ) -> Result<IdentityProviderConfigurationPayload> {
        IdentityProviderConfigurationPayload::from(
            service::configurations::create(app(ctx)?, principal(ctx)?, input.to_service()).await,
        )
    }

    async fn update_identity_provider_configuration(
        &self,
        ctx: &Context<'_>,
        input: IdentityProviderConfigurationInput,
    ) -> Result<IdentityProviderConfigurationPayload> {
        IdentityProviderConfigurationPayload::from(
            service::configurations::update(app(ctx)?, principal(ctx)?, input.to_service()).await,
        )
    }

    async fn delete_identity_provider_configuration(
        &self,
        ctx: &Context<'_>,
        input: DeleteIdentityProviderConfigurationInput,
    ) -> Result<BrandPayload> {
        BrandPayload::from(
            service::configurations::delete(
                app(ctx)?,
                principal(ctx)?,
                &input.brand_id,
                &input.identity_provider_id,
            )
            .await,
        )
    }
}
