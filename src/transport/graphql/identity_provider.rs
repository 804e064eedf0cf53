//! Identity providers: the object type, its protocol, queries and mutations.
use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, Result};
use entity::identity_provider;

use super::{
    Allow, app,
    connection::{IdentityProviderField, entity_queries},
    mutation::entity_payload,
    principal, text_or_null,
    types::row_object,
};
use crate::{
    domain::{
        access::Action, id::NodeKind, proof::settings::algorithm_names,
        stored::Protocol as DomainProtocol,
    },
    service::{
        self,
        identity_providers::{IdentityProviderChanges, ProofSettings},
    },
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
        /// Where the IdP publishes the JWKS its ID tokens are verified with; fetched sets are
        /// cached (PRODUCT §4.1).
        jwks_url: Option<String>,
        /// PEM certificates (one or two, for rollover) its SAML assertions are signed with.
        signing_certificates: Option<String>,
        /// How far its clock may be from ours when a proof's times are checked.
        clock_skew_seconds: i32,
        /// The oldest a signed proof may be (from its `iat` or `IssueInstant`).
        max_proof_age_seconds: i32,
        /// The audience proofs sent to `sso.adminSignIn` must name.
        admin_audience: Option<String>,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    stored { protocol: Protocol = DomainProtocol }
    resolvers {
        /// The JWKS its ID tokens are verified with, as stored (public keys only).
        async fn jwks(&self) -> Option<Json<serde_json::Value>> {
            let stored = self.0.jwks.as_deref()?;
            serde_json::from_str(stored).ok().map(Json)
        }
        /// The JWS algorithms its ID tokens may be signed with (`RS256` by default; `none`
        /// and HMAC never).
        async fn allowed_algorithms(&self) -> Vec<String> {
            algorithm_names(&self.0.allowed_algorithms)
        }
    }
}

/// The signed-proof settings of an identity provider's input (PRODUCT §4.1); on update,
/// omitted fields are left unchanged and `null` clears.
#[derive(InputObject)]
pub struct ProofSettingsInput {
    /// A JWKS document (a JSON object, or a string holding one) with the IdP's public keys.
    pub jwks: MaybeUndefined<Json<serde_json::Value>>,
    /// Where the IdP publishes its JWKS: `https://` (or `http://` on a loopback host).
    pub jwks_url: MaybeUndefined<String>,
    /// PEM: one or two `CERTIFICATE` blocks the IdP signs SAML assertions with.
    pub signing_certificates: MaybeUndefined<String>,
    /// JWS algorithms its ID tokens may use (default `["RS256"]`): RS256, RS384, RS512,
    /// PS256, PS384, PS512, ES256, ES384, EdDSA.
    pub allowed_algorithms: Option<Vec<String>>,
    /// Allowed clock difference, 0 to 600 seconds (default 60).
    pub clock_skew_seconds: Option<i32>,
    /// The oldest proof accepted, 1 to 86400 seconds (default 600).
    pub max_proof_age_seconds: Option<i32>,
    /// The audience of proofs sent to `sso.adminSignIn`. Owners only.
    pub admin_audience: MaybeUndefined<String>,
}

impl ProofSettingsInput {
    /// The settings of an input's `proofs` (none when omitted), with its JWKS as text.
    fn of<'a>(input: &'a Option<Self>, jwks: &'a Option<Option<String>>) -> ProofSettings<'a> {
        input
            .as_ref()
            .map(|settings| settings.to_service(jwks))
            .unwrap_or_default()
    }

    fn to_service<'a>(&'a self, jwks: &'a Option<Option<String>>) -> ProofSettings<'a> {
        ProofSettings {
            jwks: jwks.as_ref().map(Option::as_deref),
            jwks_url: text_or_null(&self.jwks_url),
            signing_certificates: text_or_null(&self.signing_certificates),
            allowed_algorithms: self.allowed_algorithms.as_deref(),
            clock_skew_seconds: self.clock_skew_seconds,
            max_proof_age_seconds: self.max_proof_age_seconds,
            admin_audience: text_or_null(&self.admin_audience),
        }
    }

    /// The JWKS as text: a string is taken as the document, an object is written out.
    fn jwks_text(&self) -> Option<Option<String>> {
        self.jwks.as_opt_ref().map(|jwks| {
            jwks.map(|Json(value)| match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            })
        })
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
    /// Whether administrators may sign in through it (`sso.adminSignIn`). Owners only.
    #[graphql(default)]
    pub admin_sign_in: bool,
    /// Whether, for `sso.adminSignIn`, an email without an `email_verified` claim counts as
    /// verified. Owners only.
    #[graphql(default)]
    pub trust_email: bool,
    /// How its signed proofs are verified (PRODUCT §4.1).
    pub proofs: Option<ProofSettingsInput>,
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
    /// How its signed proofs are verified; omitted settings are left unchanged.
    pub proofs: Option<ProofSettingsInput>,
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
        let jwks = input
            .proofs
            .as_ref()
            .and_then(ProofSettingsInput::jwks_text);
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
                    proofs: ProofSettingsInput::of(&input.proofs, &jwks),
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
        let jwks = input
            .proofs
            .as_ref()
            .and_then(ProofSettingsInput::jwks_text);
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
                    proofs: ProofSettingsInput::of(&input.proofs, &jwks),
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
