//! Identity providers: the object type, its protocol, queries and mutations.
use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entity::identity_provider;

use super::{
    Allow, app,
    connection::{IdentityProviderField, entity_queries},
    mutation::entity_payload,
    principal,
    types::row_object,
};
use crate::{
    domain::{access::Action, id::NodeKind, stored::Protocol as DomainProtocol},
    service::{self, identity_providers::IdentityProviderChanges},
};

/// The SSO protocol an identity provider speaks.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::stored::Protocol", rename_items = "camelCase")]
#[graphql(name = "IdentityProviderProtocol")]
pub enum Protocol {
    Oidc,
    Saml,
}

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

#[Object(serial)]
impl IdentityProviderMutations {
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateIdentityProviderInput,
    ) -> Result<IdentityProviderPayload> {
        IdentityProviderPayload::from(
            service::identity_providers::create(
                app(ctx)?,
                principal(ctx)?,
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
        IdentityProviderPayload::from(
            service::identity_providers::update(
                app(ctx)?,
                principal(ctx)?,
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
                app(ctx)?,
                principal(ctx)?,
                &input.identity_provider_id,
            )
            .await,
        )
    }
}
