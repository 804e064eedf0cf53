//! A sign-in's evidence (PRODUCT §4.1): bare subject and claims, believed on the portal
//! token's word unless the configuration requires proofs, or the identity provider's signed
//! proof, verified here, before the decision, outside any transaction (a JWKS fetch must not
//! hold the write lock). The token is never logged or stored: only which check failed, and the
//! proof's replay key once accepted.
use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};
use entity::{identity_provider, identity_provider_key_set as key_set};
use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;
use uuid::Uuid;

use super::{Denial, Scope, SignInInput};
use crate::{
    db,
    domain::{
        proof::{Check, Expected, PROOF_MAX, Proof, Verified, oidc, saml, settings},
        sign_in::{DenialReason, Refusal},
    },
    error::{AppError, ErrorCode, FieldError},
    service::App,
};

/// A verified proof, to be claimed in the sign-in's transaction so it is accepted once.
pub(crate) struct Replay {
    pub identity_provider_id: Uuid,
    pub key: String,
    pub until: DateTime<Utc>,
}

/// What the decision believes.
pub(crate) struct Evidence<'a> {
    /// As sent or as the proof says; checked by the decision like any subject.
    pub subject: Cow<'a, str>,
    pub claims: Cow<'a, Value>,
    /// `Some` when a verified proof says them.
    pub replay: Option<Replay>,
}

fn invalid(label: &str, message: &str) -> FieldError {
    FieldError::new(label, ErrorCode::Invalid, message, None)
}

/// What a call presents as evidence: bare `subject` and `claims`, or the IdP's signed `proof`
/// (with the `nonce` or SAML request ID it must carry); never both.
#[derive(Clone, Copy, Default)]
pub struct Presented<'a> {
    pub subject: Option<&'a str>,
    pub claims: Option<&'a Value>,
    pub proof: Option<&'a Proof>,
    pub nonce: Option<&'a str>,
}

/// A call's evidence before verification.
enum Split<'a> {
    Bare(Evidence<'a>),
    Proof(&'a Proof),
}

impl<'a> Presented<'a> {
    /// Bare evidence or the proof to verify; the errors of a call that presents neither alone.
    fn split(self) -> Result<Split<'a>, Vec<FieldError>> {
        match (self.proof, self.subject, self.claims, self.nonce) {
            (None, Some(subject), Some(claims), None) => Ok(Split::Bare(Evidence {
                subject: Cow::Borrowed(subject),
                claims: Cow::Borrowed(claims),
                replay: None,
            })),
            (Some(proof), None, None, _) => Ok(Split::Proof(proof)),
            (proof, subject, claims, nonce) => {
                let with_proof = "must not be sent with a proof: the subject and claims come \
                                  from the verified proof only";
                let without = "is required without a proof";
                let problems = match proof {
                    Some(_) => vec![
                        ("subject", subject.is_some(), with_proof),
                        ("claims", claims.is_some(), with_proof),
                    ],
                    None => vec![
                        ("subject", subject.is_none(), without),
                        ("claims", claims.is_none(), without),
                        (
                            "nonce",
                            nonce.is_some(),
                            "is only checked in a proof: send it with `proof`",
                        ),
                    ],
                };
                Err(problems
                    .into_iter()
                    .filter(|(_, wrong, _)| *wrong)
                    .map(|(label, _, message)| invalid(label, message))
                    .collect())
            }
        }
    }
}

/// The evidence of `input`: its bare claims, or what its proof says once verified.
pub(super) async fn evidence<'a>(
    app: &App,
    input: &SignInInput<'a>,
    scope: Scope,
) -> Result<Evidence<'a>, Stop> {
    let proof = match input.presented.split() {
        Ok(Split::Bare(evidence)) => return Ok(evidence),
        Ok(Split::Proof(proof)) => proof,
        Err(errors) => return Err(Stop::Denied(Denial::invalid(scope, errors))),
    };
    let (brand_id, idp_id) = match super::ids(input) {
        Ok(ids) => ids,
        Err(errors) => return Err(Stop::Denied(Denial::invalid(scope, errors))),
    };
    let context = app
        .proof_contexts()
        .get((brand_id, idp_id), async || {
            db::proofs::proof_context(app.db(), brand_id, idp_id).await
        })
        .await
        .map_err(|e| Stop::Failed(e.into()))?;
    let Some(context) = context else {
        return Err(Stop::Denied(Denial::refused(
            scope,
            super::not_configured(input.identity_provider_id),
        )));
    };
    let idp = &context.identity_provider;
    let Some(audience) = context.configuration.audience.as_deref() else {
        return Err(Stop::Denied(failed(scope, Check::Audience)));
    };
    let expected = Expected {
        issuer: &idp.issuer,
        audience,
        now: Utc::now(),
        skew: Duration::seconds(i64::from(idp.clock_skew_seconds)),
        max_age: Duration::seconds(i64::from(idp.max_proof_age_seconds)),
        nonce: input.presented.nonce,
        recipient: context.configuration.recipient.as_deref(),
    };
    let verified = verify(app, idp, context.fetched.as_ref(), proof, &expected)
        .await
        .map_err(|check| Stop::Denied(failed(scope, check)))?;
    Ok(evidence_of(idp.id, verified))
}

/// The evidence of an administrator's sign-in (`sso.adminSignIn`): bare claims, or a proof
/// verified with the IdP's keys and its `adminAudience` (administrators sign in to no brand).
/// Its problems are the call's errors, not denials: the admin hook writes no provisioning event.
pub(crate) async fn admin_evidence<'a>(
    app: &App,
    input: &crate::service::administrators::AdminSignIn<'a>,
) -> Result<Evidence<'a>, AppError> {
    let proof = match input.presented.split().map_err(AppError::Invalid)? {
        Split::Bare(evidence) => return Ok(evidence),
        Split::Proof(proof) => proof,
    };
    let idp_id = crate::domain::id::decode(
        crate::domain::id::NodeKind::IdentityProvider,
        "identityProviderId",
        input.identity_provider_id,
    )
    .map_err(|e| AppError::Invalid(vec![e]))?;
    let Some((idp, fetched)) = db::proofs::identity_provider_keys(app.db(), idp_id).await? else {
        return Err(AppError::Invalid(vec![crate::service::not_found(
            crate::domain::id::NodeKind::IdentityProvider,
            "identityProviderId",
            input.identity_provider_id,
        )]));
    };
    let refused = |check: Check| {
        tracing::info!(check = check.code(), "signed proof refused (admin sign-in)");
        AppError::field(
            "proof",
            ErrorCode::Denied,
            format!("the signed proof failed its `{}` check", check.code()),
            None,
        )
    };
    let audience = idp
        .admin_audience
        .as_deref()
        .ok_or(refused(Check::Audience))?;
    let expected = Expected {
        issuer: &idp.issuer,
        audience,
        now: Utc::now(),
        skew: Duration::seconds(i64::from(idp.clock_skew_seconds)),
        max_age: Duration::seconds(i64::from(idp.max_proof_age_seconds)),
        nonce: input.presented.nonce,
        recipient: None,
    };
    let verified = verify(app, &idp, fetched.as_ref(), proof, &expected)
        .await
        .map_err(refused)?;
    Ok(evidence_of(idp.id, verified))
}

fn evidence_of<'a>(identity_provider_id: Uuid, verified: Verified) -> Evidence<'a> {
    Evidence {
        subject: Cow::Owned(verified.subject),
        claims: Cow::Owned(Value::Object(verified.claims)),
        replay: Some(Replay {
            identity_provider_id,
            key: verified.replay_key,
            until: verified.replay_until,
        }),
    }
}

/// Why the evidence stopped the call.
pub(super) enum Stop {
    Denied(Denial),
    Failed(AppError),
}

/// The denial of a proof that failed `check`; the event's reason names the check.
fn failed(scope: Scope, check: Check) -> Denial {
    let refusal = Refusal::new(
        DenialReason::ProofInvalid,
        "proof",
        &format!("the signed proof failed its `{}` check", check.code()),
        None,
    );
    tracing::info!(check = check.code(), "signed proof refused");
    Denial::refused(scope, refusal)
}

/// Verifies `proof` with what `idp` holds: its certificates, or its JWKS (stored, and fetched
/// from its URL: again when the token names a key we do not hold).
pub(crate) async fn verify(
    app: &App,
    idp: &identity_provider::Model,
    fetched: Option<&key_set::Model>,
    proof: &Proof,
    expected: &Expected<'_>,
) -> Result<Verified, Check> {
    match proof {
        Proof::SamlResponse(response) => {
            let pem = idp
                .signing_certificates
                .as_deref()
                .ok_or(Check::NoKeySource)?;
            let certificates = saml::parse_certificates(pem).map_err(|e| {
                tracing::error!(identity_provider = %idp.id, error = e, "stored certificates unreadable");
                Check::NoKeySource
            })?;
            saml::verify(response, &certificates, expected)
        }
        Proof::IdToken(token) => {
            if token.len() > PROOF_MAX {
                return Err(Check::Malformed);
            }
            if idp.jwks.is_none() && idp.jwks_url.is_none() {
                return Err(Check::NoKeySource);
            }
            let allowed = settings::algorithm_names(&idp.allowed_algorithms);
            let verify_with = |fetched: Option<&str>| {
                let keys = key_set(idp.jwks.as_deref(), fetched);
                oidc::verify(token, &keys, &allowed, expected)
            };
            match verify_with(fetched.map(|f| f.jwks.as_str())) {
                Err(Check::UnknownKey) if idp.jwks_url.is_some() => {
                    match app.key_sets().refresh(app, idp).await {
                        Some(fresh) => verify_with(Some(&fresh)),
                        None => Err(Check::UnknownKey),
                    }
                }
                answer => answer,
            }
        }
    }
}

/// The keys of the stored JWKS and of the fetched one, together (unreadable sets are skipped:
/// both were checked when they were saved).
fn key_set(stored: Option<&str>, fetched: Option<&str>) -> JwkSet {
    let mut keys = Vec::new();
    for text in [stored, fetched].into_iter().flatten() {
        match oidc::parse_jwks(text) {
            Ok(set) => keys.extend(set.keys),
            Err(e) => tracing::error!(error = e, "a stored JWKS is unreadable"),
        }
    }
    JwkSet { keys }
}

/// Forgets the accepted proofs past their expiry: they fail their time checks anyway, so the
/// replay table holds at most the proofs of the last `maxProofAgeSeconds` (plus skew).
pub async fn forget_expired(app: &App) -> Result<u64, AppError> {
    app.transaction(async |txn| Ok(db::proofs::prune(txn, Utc::now()).await?))
        .await
}
