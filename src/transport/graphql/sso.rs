//! The sign-in hook's mutations (`sso.signIn`, `sso.previewSignIn`) and what portal tokens see.
use std::sync::Arc;

use super::types::Timestamp;
use async_graphql::{Context, Guard, ID, InputObject, Json, Object, Result, SimpleObject};

use super::{
    Allow,
    account::Account,
    administrator::Administrator,
    contact::Contact,
    errors::{ApiFieldError, GqlResultExt, ToGraphql, field_errors},
    mutation::payload,
    pool,
    provisioning_event::{AccountAssignment, SignInOutcome},
    types::api_enum,
};
use crate::{
    domain::{
        access::{Action, Principal},
        decision::DenialReason as CoreDenialReason,
        stored::StoredEnum,
    },
    error::AppError,
    metrics::Metrics,
    service::{self, rate_limit::SignInPacer},
};

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
    /// For `denied`: why, as a code to branch on (the messages in `errors` are for people).
    /// Not for portal tokens, for the same reason as `reason`.
    #[graphql(guard = "Allow(Action::Read)")]
    pub denial_reason: Option<DenialReason>,
    pub errors: Vec<ApiFieldError>,
}

crate::domain::decision::denial_reason_variants! { api_enum { #[graphql(name = "SignInDenialReason")] DenialReason = "crate::domain::decision::DenialReason" } }

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
            pace(ctx)?;
        }
        let gate = ctx.data::<service::WriteGate>().map_err(|_| {
            AppError::Internal("no write gate in the request context".into()).to_graphql()
        })?;
        let result = service::sso::sign_in(
            pool(ctx)?,
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
        if mode == service::sso::Mode::Commit
            && let Ok(metrics) = ctx.data::<Arc<Metrics>>()
        {
            metrics.sign_in(
                result.outcome.as_str(),
                result.account_assignment.map(StoredEnum::as_str),
                result.denial_reason.map(CoreDenialReason::code),
            );
        }
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
            denial_reason: result.denial_reason.map(Into::into),
            errors,
        })
    }
}

/// Admits one sign-in of the request's token through the sign-in pacer (`--sign-in-rate`,
/// `--sign-in-burst`), or refuses it with `RATE_LIMITED`.
fn pace(ctx: &Context<'_>) -> Result<()> {
    let missing =
        |what: &str| AppError::Internal(format!("no {what} in the request context")).to_graphql();
    let pacer = ctx
        .data::<Arc<SignInPacer>>()
        .map_err(|_| missing("sign-in pacer"))?;
    let principal = ctx.data::<Principal>().map_err(|_| missing("principal"))?;
    pacer.admit(principal.token_id).gql()
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

    /// Signs an administrator in through SSO (dashboard tokens), paced per token like
    /// `signIn`. Only identity providers marked `adminSignIn` are accepted; the email must be
    /// affirmatively verified (`email_verified` true, however the claim's name is cased)
    /// unless the IdP is marked `trustEmail`; the administrator's first sign-in binds them to
    /// its (IdP, subject) and later ones must match. An active administrator gets a token with
    /// their role, valid for 8 hours and only while they stay active with that role, that the
    /// audit log attributes to them. Unknown, inactive and mismatched people are refused
    /// alike. The payload shows a dashboard token the administrator's own fields only.
    #[graphql(guard = "Allow(Action::AdminSignIn)")]
    async fn admin_sign_in(
        &self,
        ctx: &Context<'_>,
        input: AdminSignInInput,
    ) -> Result<AdminSignInPayload> {
        pace(ctx)?;
        let result = service::administrators::sign_in(
            pool(ctx)?,
            &super::actor(ctx)?,
            service::administrators::AdminSignIn {
                identity_provider_id: &input.identity_provider_id,
                subject: &input.subject,
                claims: &input.claims.0,
            },
        )
        .await;
        let (session, errors) = payload(result)?;
        Ok(match session {
            Some(s) => AdminSignInPayload {
                administrator: Some(Administrator(s.administrator)),
                token: Some(s.secret),
                expires_at: s.token.expires_at.map(Timestamp),
                errors,
            },
            None => AdminSignInPayload {
                administrator: None,
                token: None,
                expires_at: None,
                errors,
            },
        })
    }
}

#[derive(InputObject)]
pub struct AdminSignInInput {
    pub identity_provider_id: ID,
    /// The user ID the identity provider asserts.
    pub subject: String,
    /// The IdP's claims: `email` names the administrator, and must be verified in so many
    /// words (`email_verified` true in every spelling of the name), unless the IdP is marked
    /// `trustEmail`.
    pub claims: Json<serde_json::Value>,
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

    use super::{CoreDenialReason, DenialReason};

    #[test]
    fn denial_codes_in_logs_and_metrics_are_the_api_spellings() {
        let items = <DenialReason as EnumType>::items();
        assert_eq!(items.len(), 8);
        for item in items {
            let core: CoreDenialReason = item.value.into();
            assert_eq!(core.code(), item.name);
        }
    }
}
