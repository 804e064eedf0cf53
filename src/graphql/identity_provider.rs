//! Identity providers: the object type, its protocol, queries and mutations.
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::identity_provider;

use super::{
    Allow, actor,
    connection::{IdentityProviderField, entity_queries},
    db,
    mutation::entity_payload,
    types::api_enum,
    types::row_object,
};
use crate::{
    domain::{access::Action, id::NodeKind, stored::Protocol as DomainProtocol},
    service::{self, identity_providers::IdentityProviderChanges},
};

crate::domain::stored::protocol_variants! { api_enum { #[graphql(name = "IdentityProviderProtocol")] Protocol = "crate::domain::stored::Protocol" } }

row_object! {
    #[Object]
    IdentityProvider(identity_provider::Model), id NodeKind::IdentityProvider;
    columns {
        name: String,
        /// The OIDC issuer URL or SAML entity ID; unique.
        issuer: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
    stored { protocol: Protocol = DomainProtocol }
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
                &actor(ctx)?,
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
                &actor(ctx)?,
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
            service::identity_providers::delete(
                db(ctx)?,
                &actor(ctx)?,
                &input.identity_provider_id,
            )
            .await,
        )
    }
}
