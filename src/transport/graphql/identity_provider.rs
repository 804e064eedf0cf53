//! Identity providers: the object type, its protocol, queries and mutations.
use super::types::Timestamp;
use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::identity_provider;

use async_graphql::Guard;

use super::{
    Allow, actor,
    connection::{IdentityProviderField, entity_queries},
    mutation::entity_payload,
    pool,
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
        /// Administrators may sign in through this IdP (`sso.adminSignIn`); false by default.
        admin_sign_in: bool,
        /// For `sso.adminSignIn`: an email without an `email_verified` claim counts as
        /// verified (an explicit no still denies); false by default.
        trust_email: bool,
        created_at: Timestamp,
        updated_at: Timestamp,
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
    /// Whether administrators may sign in through it (`sso.adminSignIn`). Owners only.
    #[graphql(default)]
    pub admin_sign_in: bool,
    /// Whether, for `sso.adminSignIn`, an email without an `email_verified` claim counts as
    /// verified. Owners only.
    #[graphql(default)]
    pub trust_email: bool,
}

#[derive(InputObject)]
pub struct UpdateIdentityProviderInput {
    pub identity_provider_id: ID,
    pub name: Option<String>,
    pub protocol: Option<Protocol>,
    pub issuer: Option<String>,
    /// Owners only.
    pub admin_sign_in: Option<bool>,
    /// Owners only.
    pub trust_email: Option<bool>,
}

#[derive(InputObject)]
pub struct DeleteIdentityProviderInput {
    pub identity_provider_id: ID,
}

entity_payload!(IdentityProviderPayload {
    identity_provider: IdentityProvider
});

pub struct IdentityProviderMutations;

/// Who an identity provider may sign in as an administrator, and whether its emails are taken
/// on trust, decide who runs the platform: owners only (`FORBIDDEN` otherwise), as for the
/// administrators themselves.
async fn admin_trust(ctx: &Context<'_>) -> Result<()> {
    Allow(Action::ManageAdministrators).check(ctx).await
}

#[Object(serial)]
impl IdentityProviderMutations {
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateIdentityProviderInput,
    ) -> Result<IdentityProviderPayload> {
        if input.admin_sign_in || input.trust_email {
            admin_trust(ctx).await?;
        }
        IdentityProviderPayload::from(
            service::identity_providers::create(
                pool(ctx)?,
                &actor(ctx)?,
                service::identity_providers::NewIdentityProvider {
                    name: &input.name,
                    protocol: input.protocol.into(),
                    issuer: &input.issuer,
                    admin_sign_in: input.admin_sign_in,
                    trust_email: input.trust_email,
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
        if input.admin_sign_in.is_some() || input.trust_email.is_some() {
            admin_trust(ctx).await?;
        }
        IdentityProviderPayload::from(
            service::identity_providers::update(
                pool(ctx)?,
                &actor(ctx)?,
                &input.identity_provider_id,
                IdentityProviderChanges {
                    name: input.name.as_deref(),
                    protocol: input.protocol.map(Into::into),
                    issuer: input.issuer.as_deref(),
                    admin_sign_in: input.admin_sign_in,
                    trust_email: input.trust_email,
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
                pool(ctx)?,
                &actor(ctx)?,
                &input.identity_provider_id,
            )
            .await,
        )
    }
}
