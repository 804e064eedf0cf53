//! The sign-in hook's mutations (`sso.signIn`, `sso.previewSignIn`) and what portal tokens see.
use super::types::Timestamp;
use async_graphql::{
    Context, Enum, ID, InputObject, Json, Object, OneofObject, Result, SimpleObject,
};

use super::{
    Allow,
    account::Account,
    administrator::Administrator,
    app,
    contact::Contact,
    errors::{ApiFieldError, GqlResultExt, field_errors},
    mutation::payload,
    principal,
    provisioning_event::{AccountAssignment, SignInOutcome},
};
use crate::{
    domain::{access::Action, proof::Proof},
    service,
};

/// The identity provider's own signed proof of the sign-in, as the portal received it
/// (PRODUCT §4.1): exactly one of the two.
#[derive(OneofObject)]
pub enum ProofInput {
    /// The OIDC ID token (compact JWS), verified against the IdP's JWKS.
    IdToken(String),
    /// The SAML `SAMLResponse` form value (base64), verified against the IdP's signing
    /// certificates.
    SamlResponse(String),
}

impl From<&ProofInput> for Proof {
    fn from(input: &ProofInput) -> Self {
        match input {
            ProofInput::IdToken(token) => Proof::IdToken(token.clone()),
            ProofInput::SamlResponse(response) => Proof::SamlResponse(response.clone()),
        }
    }
}

/// Who signed in: `subject` and `claims` as the portal read them, or the IdP's signed `proof`
/// (then subject and claims come from the verified proof only, and sending them too is an
/// error).
#[derive(InputObject)]
pub struct PresentedInput {
    /// The user ID the identity provider asserts (OIDC `sub`, SAML NameID); compared exactly.
    /// Required without a proof.
    pub subject: Option<String>,
    /// The IdP's claims or attributes: a JSON object of strings or lists of strings.
    /// Required without a proof.
    pub claims: Option<Json<serde_json::Value>>,
    /// The IdP's signed ID token or SAML response.
    pub proof: Option<ProofInput>,
    /// With a proof: the OIDC `nonce` (or SAML request ID, `InResponseTo`) the portal sent
    /// with its authentication request; the proof must carry it.
    pub nonce: Option<String>,
}

impl PresentedInput {
    fn to_service<'a>(&'a self, proof: &'a Option<Proof>) -> service::sign_in::Presented<'a> {
        service::sign_in::Presented {
            subject: self.subject.as_deref(),
            claims: self.claims.as_ref().map(|c| &c.0),
            proof: proof.as_ref(),
            nonce: self.nonce.as_deref(),
        }
    }
}

/// Who signed in, through which brand and IdP: `subject` and `claims` as the portal read
/// them, or the IdP's signed `proof` (then subject and claims come from the verified proof
/// only, and sending them too is an error).
#[derive(InputObject)]
pub struct SignInInput {
    pub brand_id: ID,
    pub identity_provider_id: ID,
    #[graphql(flatten)]
    pub presented: PresentedInput,
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
    /// For `denied`: why, as a code to branch on (the messages in `errors` are for people).
    /// Not for portal tokens, for the same reason as `reason`.
    #[graphql(guard = "Allow(Action::Read)")]
    pub denial_reason: Option<DenialReason>,
    pub errors: Vec<ApiFieldError>,
}

/// Why a sign-in was denied, for machines: clients, tests and metrics tell denials apart
/// by this, never by the message.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::domain::sign_in::DenialReason",
    rename_items = "camelCase"
)]
#[graphql(name = "SignInDenialReason")]
pub enum DenialReason {
    /// The input or the claims are malformed (a bad ID, a missing or invalid email).
    InvalidInput,
    /// The brand has no configuration for this identity provider.
    NotConfigured,
    /// The contact is inactive.
    ContactInactive,
    /// The identity provider does not say the email is verified.
    EmailUnverified,
    /// A contact has the email (or the claim the configuration matches by), and the
    /// configuration does not link it: `linkExistingContacts` is off, or it matches contacts
    /// by another claim (`matchBy`).
    LinkingDisabled,
    /// A contact has the email (or the Username or OrgDefinedId the configuration matches
    /// by) and already has sign-in credentials.
    ContactHasCredentials,
    /// The configuration matches by Username or OrgDefinedId, and more than one contact
    /// holds the claimed one.
    MatchAmbiguous,
    /// Nobody has the subject or the email, and auto-provisioning is off.
    ProvisioningDisabled,
    /// The email would be a new contact's, but it looks like another contact's address
    /// (the same confusable skeleton, Unicode TS #39) without being it.
    EmailConfusable,
    /// The configuration's `proofPolicy` is `required` and the call sent bare `subject` and
    /// `claims` instead of a `proof`.
    ProofRequired,
    /// The signed proof failed a check (signature, issuer, audience, time, nonce…); the
    /// provisioning event says which.
    ProofInvalid,
    /// The signed proof was accepted before: a proof signs in once.
    ProofReplayed,
}

pub struct SsoMutations;

impl SsoMutations {
    async fn run(
        ctx: &Context<'_>,
        input: &SignInInput,
        mode: service::sign_in::Mode,
    ) -> Result<SignInPayload> {
        let proof = input.presented.proof.as_ref().map(Proof::from);
        let result = service::sign_in::sign_in(
            app(ctx)?,
            principal(ctx)?,
            &service::sign_in::SignInInput {
                brand_id: &input.brand_id,
                identity_provider_id: &input.identity_provider_id,
                presented: input.presented.to_service(&proof),
            },
            mode,
        )
        .await
        .gql()?;
        Ok(SignInPayload {
            contact: result.contact.map(Contact),
            account: result.account.map(Account),
            outcome: result.outcome.into(),
            account_assignment: result.account_assignment.map(Into::into),
            changed_attributes: result
                .changed_attributes
                .into_iter()
                .map(Into::into)
                .collect(),
            reason: result.reason,
            denial_reason: result.denial_reason.map(Into::into),
            errors: field_errors(result.errors),
        })
    }
}

#[Object(serial)]
impl SsoMutations {
    /// Called by the LMS portal at each SSO sign-in: finds or creates the contact and
    /// chooses its account. Every call, denials included, writes one provisioning event.
    async fn sign_in(&self, ctx: &Context<'_>, input: SignInInput) -> Result<SignInPayload> {
        Self::run(ctx, &input, service::sign_in::Mode::Commit).await
    }

    /// The same decision as `signIn` for the same input, writing nothing (no event either).
    /// A contact or account it would create is shown with an ID that does not exist.
    async fn preview_sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> Result<SignInPayload> {
        Self::run(ctx, &input, service::sign_in::Mode::Preview).await
    }

    /// Signs an administrator in through SSO (dashboard tokens), paced per token like
    /// `signIn`. Only identity providers marked `adminSignIn` are accepted; the email must be
    /// affirmatively verified (`email_verified` true, however the claim's name is cased)
    /// unless the IdP is marked `trustEmail`; the administrator's first sign-in binds them to
    /// its (IdP, subject) and later ones must match. An active administrator gets a token with
    /// their role, valid for 8 hours and only while they stay active with that role, that the
    /// audit log attributes to them. Unknown, inactive and mismatched people are refused
    /// alike. The payload shows a dashboard token the administrator's own fields only. A
    /// `proof` must name the IdP's `adminAudience`.
    async fn admin_sign_in(
        &self,
        ctx: &Context<'_>,
        input: AdminSignInInput,
    ) -> Result<AdminSignInPayload> {
        let proof = input.presented.proof.as_ref().map(Proof::from);
        let result = service::administrators::sign_in(
            app(ctx)?,
            principal(ctx)?,
            service::administrators::AdminSignIn {
                identity_provider_id: &input.identity_provider_id,
                presented: input.presented.to_service(&proof),
            },
        )
        .await;
        let (session, errors) = payload(result)?;
        Ok(AdminSignInPayload {
            token: session.as_ref().map(|s| s.secret.clone()),
            expires_at: session
                .as_ref()
                .and_then(|s| s.token.expires_at.map(Timestamp)),
            administrator: session.map(|s| Administrator(s.administrator)),
            errors,
        })
    }
}

#[derive(InputObject)]
pub struct AdminSignInInput {
    pub identity_provider_id: ID,
    /// The claims' `email` names the administrator; a proof must name the IdP's
    /// `adminAudience`.
    #[graphql(flatten)]
    pub presented: PresentedInput,
}

/// An administrator signed in: a bearer token with their role, shown once.
#[derive(SimpleObject)]
pub struct AdminSignInPayload {
    pub administrator: Option<Administrator>,
    /// `Authorization: Bearer <token>` for the admin API, as this administrator.
    pub token: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub errors: Vec<ApiFieldError>,
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;

    use super::DenialReason;
    use crate::domain::sign_in::DenialReason as CoreDenialReason;

    #[test]
    fn denial_codes_in_logs_and_metrics_are_the_api_spellings() {
        let items = <DenialReason as EnumType>::items();
        assert_eq!(items.len(), 12);
        for item in items {
            let core: CoreDenialReason = item.value.into();
            assert_eq!(core.code(), item.name);
        }
    }
}
