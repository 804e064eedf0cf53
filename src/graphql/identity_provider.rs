//! Identity providers: the object type, its protocol, queries and mutations.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::identity_provider;

use super::{
    Allow,
    connection::{IdentityProviderField, entity_queries},
    db,
    errors::GqlResultExt,
    mutation::entity_payload,
    types::gid,
};
use crate::{
    domain::{access::Action, id::NodeKind, stored::Protocol as DomainProtocol},
    error::AppError,
    service::{self, identity_providers::IdentityProviderChanges},
};

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

pub struct IdentityProvider(pub identity_provider::Model);

#[Object]
impl IdentityProvider {
    pub async fn id(&self) -> ID {
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

entity_queries!(
    IdentityProviderQuery, guard = "Allow(Action::Read)";
    one identity_provider: identity_provider::Entity, NodeKind::IdentityProvider;
    list identity_providers: IdentityProviderField => IdentityProvider
);

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

entity_payload!(IdentityProviderPayload {
    identity_provider: IdentityProvider
});

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
