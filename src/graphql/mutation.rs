//! Mutations, namespaced by entity as in Administrate. Each takes one `input` and returns a
//! payload whose `errors` carry business refusals; the entity is null when there are errors.
use std::sync::Arc;

use async_graphql::{
    Context, Guard, ID, InputObject, Json, MaybeUndefined, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};

use super::{
    Allow, db,
    errors::{ApiFieldError, GqlResultExt, ToGraphql, field_errors},
    types::{
        Account, AccountAssignment, ApiToken, ApiTokenRole, Brand, Company, CompanyMatch, Contact,
        ContactStatus, IdentityProvider, IdentityProviderConfiguration, Protocol, SignInOutcome,
    },
};
use crate::{
    db::WriteGate,
    domain::{
        access::{Action, Principal},
        configuration::AttributeMapPatch,
    },
    error::{AppError, AppResult},
    service::{
        self, accounts::AccountChanges, api_tokens::TokenCache, contacts::ContactChanges,
        identity_providers::IdentityProviderChanges, rate_limit::SignInPacer,
    },
};

/// Splits a use case's result into (entity, errors); unexpected errors go to the top level.
fn payload<T>(result: AppResult<T>) -> Result<(Option<T>, Vec<ApiFieldError>)> {
    match result {
        Ok(v) => Ok((Some(v), Vec::new())),
        Err(AppError::Invalid(errors)) => Ok((None, field_errors(errors))),
        Err(other) => Err(other.to_graphql()),
    }
}

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    #[graphql(guard = "Allow(Action::Administer)")]
    async fn brands(&self) -> BrandMutations {
        BrandMutations
    }
    #[graphql(guard = "Allow(Action::Administer)")]
    async fn identity_providers(&self) -> IdentityProviderMutations {
        IdentityProviderMutations
    }
    #[graphql(guard = "Allow(Action::Administer)")]
    async fn companies(&self) -> CompanyMutations {
        CompanyMutations
    }
    #[graphql(guard = "Allow(Action::Administer)")]
    async fn accounts(&self) -> AccountMutations {
        AccountMutations
    }
    #[graphql(guard = "Allow(Action::Administer)")]
    async fn contacts(&self) -> ContactMutations {
        ContactMutations
    }
    #[graphql(guard = "Allow(Action::ManageTokens)")]
    async fn api_tokens(&self) -> ApiTokenMutations {
        ApiTokenMutations
    }
    /// The sign-in hook; each field checks that the token may act for the input's brand.
    async fn sso(&self) -> SsoMutations {
        SsoMutations
    }
}

// ---- sign-in hook ----

#[derive(InputObject)]
pub struct SignInInput {
    pub brand_id: ID,
    pub identity_provider_id: ID,
    /// The user ID the identity provider asserts (OIDC `sub`, SAML NameID); compared exactly.
    pub subject: String,
    /// The IdP's claims or attributes: a JSON object of strings or lists of strings.
    pub claims: Json<serde_json::Value>,
}

/// A portal token reads the contact's own fields, its account's `id` and `name`, `outcome`,
/// `accountAssignment` and `errors`; the rest is for support staff (`FORBIDDEN` otherwise).
#[derive(SimpleObject)]
pub struct SignInPayload {
    pub contact: Option<Contact>,
    pub account: Option<Account>,
    pub outcome: SignInOutcome,
    /// For `created`: which rule chose the account.
    pub account_assignment: Option<AccountAssignment>,
    /// Contact attributes set or changed by this call. Not for portal tokens.
    #[graphql(guard = "Allow(Action::Read)")]
    pub changed_attributes: Vec<String>,
    /// Why this outcome and this account, as written to the provisioning log. Not for portal
    /// tokens: it says whether a contact has the claimed email.
    #[graphql(guard = "Allow(Action::Read)")]
    pub reason: String,
    pub errors: Vec<ApiFieldError>,
}

pub struct SsoMutations;

impl SsoMutations {
    async fn run(
        ctx: &Context<'_>,
        input: &SignInInput,
        mode: service::sso::Mode,
    ) -> Result<SignInPayload> {
        let brand_id = crate::domain::id::decode(
            crate::domain::id::NodeKind::Brand,
            "brandId",
            &input.brand_id,
        )
        .ok();
        let action = match mode {
            service::sso::Mode::Commit => Action::SignIn { brand_id },
            // The preview tells whether a contact has an email: support staff only.
            service::sso::Mode::Preview => Action::Administer,
        };
        Allow(action).check(ctx).await?;
        if mode == service::sso::Mode::Commit {
            let missing = |what: &str| {
                AppError::Internal(format!("no {what} in the request context")).to_graphql()
            };
            let pacer = ctx
                .data::<Arc<SignInPacer>>()
                .map_err(|_| missing("sign-in pacer"))?;
            let principal = ctx.data::<Principal>().map_err(|_| missing("principal"))?;
            pacer.admit(principal.token_id).gql()?;
        }
        let gate = ctx.data::<WriteGate>().map_err(|_| {
            AppError::Internal("no write gate in the request context".into()).to_graphql()
        })?;
        let result = service::sso::sign_in(
            db(ctx)?,
            gate,
            &service::sso::SignInInput {
                brand_id: &input.brand_id,
                identity_provider_id: &input.identity_provider_id,
                subject: &input.subject,
                claims: &input.claims.0,
            },
            mode,
        )
        .await
        .gql()?;
        let errors = if result.discloses_contact && may_not_read(ctx) {
            vec![service::sso::neutral_denial(&input.subject)]
        } else {
            result.errors
        };
        let errors = field_errors(errors);
        Ok(SignInPayload {
            contact: result.contact.map(Contact),
            account: result.account.map(Account),
            outcome: result.outcome.into(),
            account_assignment: result.account_assignment.map(Into::into),
            changed_attributes: result
                .changed_attributes
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            reason: result.reason,
            errors,
        })
    }
}

/// Whether the caller is one that may not read the admin API (a portal token).
fn may_not_read(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Principal>()
        .is_none_or(|p| p.authorize(Action::Read).is_err())
}

#[Object(serial)]
impl SsoMutations {
    /// Called by the LMS portal at each SSO sign-in: finds or creates the contact and
    /// chooses its account. Every call, denials included, writes one provisioning event.
    async fn sign_in(&self, ctx: &Context<'_>, input: SignInInput) -> Result<SignInPayload> {
        Self::run(ctx, &input, service::sso::Mode::Commit).await
    }

    /// The same decision as `signIn` for the same input, writing nothing (no event either).
    /// A contact or account it would create is shown with an ID that does not exist.
    async fn preview_sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> Result<SignInPayload> {
        Self::run(ctx, &input, service::sso::Mode::Preview).await
    }
}

// ---- brands ----

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

#[derive(SimpleObject)]
pub struct BrandPayload {
    pub brand: Option<Brand>,
    pub errors: Vec<ApiFieldError>,
}

impl BrandPayload {
    fn from(result: AppResult<entity::brand::Model>) -> Result<Self> {
        let (brand, errors) = payload(result)?;
        Ok(Self {
            brand: brand.map(Brand),
            errors,
        })
    }
}

/// Which claim feeds which contact field; omitted fields keep their current (or default) claim.
#[derive(InputObject, Default)]
pub struct AttributeMapInput {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub roles: Option<String>,
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
    /// Refresh mapped attributes and roles at each sign-in (default false).
    pub update_attributes_on_login: Option<bool>,
    /// Link a contact found by email that has no credentials yet (default true).
    pub link_existing_contacts: Option<bool>,
    /// How the company claim is compared with company names (default exact).
    pub company_match: Option<CompanyMatch>,
    pub attribute_map: Option<AttributeMapInput>,
    /// Role of new contacts whose roles map to nothing (default learner).
    pub default_role: Option<String>,
    /// Replaces all role mappings when given.
    pub role_mappings: Option<Vec<RoleMappingInput>>,
}

impl IdentityProviderConfigurationInput {
    fn to_service(&self) -> service::configurations::ConfigurationInput<'_> {
        service::configurations::ConfigurationInput {
            brand_id: &self.brand_id,
            identity_provider_id: &self.identity_provider_id,
            auto_provision_learners: self.auto_provision_learners,
            default_account_id: match &self.default_account_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(id.as_str())),
            },
            update_attributes_on_login: self.update_attributes_on_login,
            link_existing_contacts: self.link_existing_contacts,
            company_match: self.company_match.map(Into::into),
            attribute_map: self.attribute_map.as_ref().map(|m| AttributeMapPatch {
                email: m.email.clone(),
                first_name: m.first_name.clone(),
                last_name: m.last_name.clone(),
                company_name: m.company_name.clone(),
                roles: m.roles.clone(),
            }),
            default_role: self.default_role.as_deref(),
            role_mappings: self.role_mappings.as_ref().map(|m| {
                m.iter()
                    .map(|r| (r.provider_role.clone(), r.role.clone()))
                    .collect()
            }),
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
        BrandPayload::from(service::brands::create(db(ctx)?, &input.name).await)
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateBrandInput) -> Result<BrandPayload> {
        BrandPayload::from(
            service::brands::update(db(ctx)?, &input.brand_id, input.name.as_deref()).await,
        )
    }

    /// Deletes a brand without identity-provider configurations (delete those first).
    async fn delete(&self, ctx: &Context<'_>, input: DeleteBrandInput) -> Result<BrandPayload> {
        BrandPayload::from(service::brands::delete(db(ctx)?, &input.brand_id).await)
    }

    async fn create_identity_provider_configuration(
        &self,
        ctx: &Context<'_>,
        input: IdentityProviderConfigurationInput,
    ) -> Result<IdentityProviderConfigurationPayload> {
        IdentityProviderConfigurationPayload::from(
            service::configurations::create(db(ctx)?, input.to_service()).await,
        )
    }

    async fn update_identity_provider_configuration(
        &self,
        ctx: &Context<'_>,
        input: IdentityProviderConfigurationInput,
    ) -> Result<IdentityProviderConfigurationPayload> {
        IdentityProviderConfigurationPayload::from(
            service::configurations::update(db(ctx)?, input.to_service()).await,
        )
    }

    async fn delete_identity_provider_configuration(
        &self,
        ctx: &Context<'_>,
        input: DeleteIdentityProviderConfigurationInput,
    ) -> Result<BrandPayload> {
        BrandPayload::from(
            service::configurations::delete(db(ctx)?, &input.brand_id, &input.identity_provider_id)
                .await,
        )
    }
}

// ---- identity providers ----

#[derive(InputObject)]
pub struct CreateIdentityProviderInput {
    pub name: String,
    pub protocol: Protocol,
    /// OIDC issuer URL or SAML entity ID; unique.
    pub issuer: String,
}

#[derive(InputObject)]
pub struct UpdateIdentityProviderInput {
    pub identity_provider_id: ID,
    pub name: Option<String>,
    pub protocol: Option<Protocol>,
    pub issuer: Option<String>,
}

#[derive(InputObject)]
pub struct DeleteIdentityProviderInput {
    pub identity_provider_id: ID,
}

#[derive(SimpleObject)]
pub struct IdentityProviderPayload {
    pub identity_provider: Option<IdentityProvider>,
    pub errors: Vec<ApiFieldError>,
}

impl IdentityProviderPayload {
    fn from(result: AppResult<entity::identity_provider::Model>) -> Result<Self> {
        let (v, errors) = payload(result)?;
        Ok(Self {
            identity_provider: v.map(IdentityProvider),
            errors,
        })
    }
}

pub struct IdentityProviderMutations;

#[Object(serial)]
impl IdentityProviderMutations {
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateIdentityProviderInput,
    ) -> Result<IdentityProviderPayload> {
        IdentityProviderPayload::from(
            service::identity_providers::create(
                db(ctx)?,
                service::identity_providers::NewIdentityProvider {
                    name: &input.name,
                    protocol: input.protocol.into(),
                    issuer: &input.issuer,
                },
            )
            .await,
        )
    }

    async fn update(
        &self,
        ctx: &Context<'_>,
        input: UpdateIdentityProviderInput,
    ) -> Result<IdentityProviderPayload> {
        IdentityProviderPayload::from(
            service::identity_providers::update(
                db(ctx)?,
                &input.identity_provider_id,
                IdentityProviderChanges {
                    name: input.name.as_deref(),
                    protocol: input.protocol.map(Into::into),
                    issuer: input.issuer.as_deref(),
                },
            )
            .await,
        )
    }

    /// Deletes an identity provider no brand uses and no contact signs in with.
    async fn delete(
        &self,
        ctx: &Context<'_>,
        input: DeleteIdentityProviderInput,
    ) -> Result<IdentityProviderPayload> {
        IdentityProviderPayload::from(
            service::identity_providers::delete(db(ctx)?, &input.identity_provider_id).await,
        )
    }
}

// ---- companies ----

#[derive(InputObject)]
pub struct CreateCompanyInput {
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateCompanyInput {
    pub company_id: ID,
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct DeleteCompanyInput {
    pub company_id: ID,
}

#[derive(SimpleObject)]
pub struct CompanyPayload {
    pub company: Option<Company>,
    pub errors: Vec<ApiFieldError>,
}

impl CompanyPayload {
    fn from(result: AppResult<entity::company::Model>) -> Result<Self> {
        let (v, errors) = payload(result)?;
        Ok(Self {
            company: v.map(Company),
            errors,
        })
    }
}

pub struct CompanyMutations;

#[Object(serial)]
impl CompanyMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateCompanyInput) -> Result<CompanyPayload> {
        CompanyPayload::from(service::companies::create(db(ctx)?, &input.name).await)
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateCompanyInput) -> Result<CompanyPayload> {
        CompanyPayload::from(
            service::companies::update(db(ctx)?, &input.company_id, input.name.as_deref()).await,
        )
    }

    /// Deletes a company without accounts.
    async fn delete(&self, ctx: &Context<'_>, input: DeleteCompanyInput) -> Result<CompanyPayload> {
        CompanyPayload::from(service::companies::delete(db(ctx)?, &input.company_id).await)
    }
}

// ---- accounts ----

#[derive(InputObject)]
pub struct CreateAccountInput {
    pub name: String,
    pub company_id: Option<ID>,
    /// An account of one person (default false).
    #[graphql(default)]
    pub is_individual: bool,
}

#[derive(InputObject)]
pub struct UpdateAccountInput {
    pub account_id: ID,
    pub name: Option<String>,
    /// `null` detaches the account from its company.
    pub company_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct DeleteAccountInput {
    pub account_id: ID,
}

#[derive(SimpleObject)]
pub struct AccountPayload {
    pub account: Option<Account>,
    pub errors: Vec<ApiFieldError>,
}

impl AccountPayload {
    fn from(result: AppResult<entity::account::Model>) -> Result<Self> {
        let (v, errors) = payload(result)?;
        Ok(Self {
            account: v.map(Account),
            errors,
        })
    }
}

pub struct AccountMutations;

#[Object(serial)]
impl AccountMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateAccountInput) -> Result<AccountPayload> {
        AccountPayload::from(
            service::accounts::create(
                db(ctx)?,
                service::accounts::NewAccount {
                    name: &input.name,
                    company_id: input.company_id.as_ref().map(|id| id.as_str()),
                    is_individual: input.is_individual,
                },
            )
            .await,
        )
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateAccountInput) -> Result<AccountPayload> {
        AccountPayload::from(
            service::accounts::update(
                db(ctx)?,
                &input.account_id,
                AccountChanges {
                    name: input.name.as_deref(),
                    company_id: match &input.company_id {
                        MaybeUndefined::Undefined => None,
                        MaybeUndefined::Null => Some(None),
                        MaybeUndefined::Value(id) => Some(Some(id.as_str())),
                    },
                },
            )
            .await,
        )
    }

    /// Deletes an account without contacts that no configuration uses as default account.
    async fn delete(&self, ctx: &Context<'_>, input: DeleteAccountInput) -> Result<AccountPayload> {
        AccountPayload::from(service::accounts::delete(db(ctx)?, &input.account_id).await)
    }
}

// ---- contacts ----

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

#[derive(SimpleObject)]
pub struct ContactPayload {
    pub contact: Option<Contact>,
    pub errors: Vec<ApiFieldError>,
}

impl ContactPayload {
    fn from(result: AppResult<entity::contact::Model>) -> Result<Self> {
        let (v, errors) = payload(result)?;
        Ok(Self {
            contact: v.map(Contact),
            errors,
        })
    }
}

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

// ---- API tokens ----

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub name: String,
    pub role: ApiTokenRole,
    /// The brand of a portal token (required for `portal`, refused for other roles).
    pub brand_id: Option<ID>,
    /// Without it the token does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    pub api_token_id: ID,
}

#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    pub api_token: Option<ApiToken>,
    /// The bearer secret. Shown this once; only its hash is stored.
    pub secret: Option<String>,
    pub errors: Vec<ApiFieldError>,
}

#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    pub api_token: Option<ApiToken>,
    pub errors: Vec<ApiFieldError>,
}

pub struct ApiTokenMutations;

#[Object(serial)]
impl ApiTokenMutations {
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreateApiTokenPayload> {
        let (v, errors) = payload(
            service::api_tokens::create(
                db(ctx)?,
                service::api_tokens::NewApiToken {
                    name: &input.name,
                    role: input.role.into(),
                    brand_id: input.brand_id.as_ref().map(|id| id.as_str()),
                    expires_at: input.expires_at,
                },
            )
            .await,
        )?;
        let (token, secret) = v.unzip();
        Ok(CreateApiTokenPayload {
            api_token: token.map(ApiToken),
            secret,
            errors,
        })
    }

    /// Revokes a token: requests bearing it get HTTP 401 from then on (on other instances of
    /// the service, within their token cache time, 5 seconds by default).
    async fn revoke(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiTokenInput,
    ) -> Result<RevokeApiTokenPayload> {
        let revoked = service::api_tokens::revoke(db(ctx)?, &input.api_token_id).await;
        if let Ok(token) = &revoked {
            match ctx.data::<Arc<TokenCache>>() {
                Ok(cache) => cache.forget(token.id),
                Err(_) => tracing::error!("no token cache in the request context"),
            }
        }
        let (v, errors) = payload(revoked)?;
        Ok(RevokeApiTokenPayload {
            api_token: v.map(ApiToken),
            errors,
        })
    }
}
