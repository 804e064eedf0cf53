//! API tokens: the object type, the `apiTokens` query and mutations (owners only).

use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::{administrator, api_token, brand, identity_provider};

use super::{
    Allow,
    administrator::Administrator,
    app,
    brand::Brand,
    connection::{ApiTokenField, entity_queries},
    errors::ApiFieldError,
    identity_provider::IdentityProvider,
    mutation::{entity_payload, payload},
    principal,
    types::row_object,
};
use crate::{
    domain::{
        access::{Action, Role},
        id::NodeKind,
    },
    service,
};

/// The role of an API token.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::access::Role", rename_items = "camelCase")]
pub enum ApiTokenRole {
    /// Everything, including token management.
    Owner,
    /// Everything but token management.
    Support,
    /// Queries only.
    Auditor,
    /// The LMS portal of one brand: the sign-in hook for that brand, nothing else.
    Portal,
    /// An identity provider's SCIM client: `/scim/v2` for one identity-provider
    /// configuration (brand and IdP), and no GraphQL at all.
    Scim,
    /// The administration dashboard: signs administrators in through SSO
    /// (`sso.adminSignIn`), nothing else.
    Dashboard,
}

row_object! {
    #[Object]
    /// An admin API token. Its secret was shown once, at creation, and is not stored.
    ApiToken(api_token::Model), id NodeKind::ApiToken;
    columns {
        name: String,
        expires_at: Option<Timestamp>,
        revoked_at: Option<Timestamp>,
        created_at: Timestamp,
    }
    stored { role: ApiTokenRole = Role }
    related {
        /// The brand a portal or SCIM token acts for.
        brand: Brand = brand::Entity, brand_id,
        /// The identity provider a SCIM token acts for.
        identity_provider: IdentityProvider = identity_provider::Entity, identity_provider_id,
        /// The administrator the token stands on: its sign-in token, or a token created from
        /// its session. Such a token is good only while the administrator is active and holds
        /// at least the token's role.
        administrator: Administrator = administrator::Entity, administrator_id,
    }
    resolvers {
        /// Neither revoked nor expired.
        async fn active(&self) -> bool {
            self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > chrono::Utc::now())
        }
    }
}

entity_queries!(
    ApiTokenQuery, guard = "Allow(Action::ManageTokens)";
    /// API tokens (owner only). Secrets are never shown after creation.
    list api_tokens: ApiTokenField => ApiToken
);

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub name: String,
    pub role: ApiTokenRole,
    /// The brand of a portal or SCIM token (required for `portal` and `scim`, refused for
    /// other roles).
    pub brand_id: Option<ID>,
    /// The identity provider of a SCIM token (required for `scim`, refused for other roles):
    /// the token serves the brand's configuration for it.
    pub identity_provider_id: Option<ID>,
    /// Without it the token does not expire, except a `scim` token: 365 days.
    pub expires_at: Option<Timestamp>,
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

entity_payload!(RevokeApiTokenPayload {
    api_token: ApiToken
});

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
                app(ctx)?,
                principal(ctx)?,
                service::api_tokens::NewApiToken {
                    name: &input.name,
                    role: input.role.into(),
                    brand_id: input.brand_id.as_ref().map(|id| id.as_str()),
                    identity_provider_id: input.identity_provider_id.as_ref().map(|id| id.as_str()),
                    expires_at: input.expires_at.map(|at| at.0),
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
        let revoked =
            service::api_tokens::revoke(app(ctx)?, principal(ctx)?, &input.api_token_id).await;
        RevokeApiTokenPayload::from(revoked)
    }
}
