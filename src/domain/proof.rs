//! Signed proofs (PRODUCT §4.1): the identity provider's own id_token or SAML response, verified
//! before the sign-in hook believes a subject or a claim.
//!
//! Verification is pure: the service hands in the key material it holds (a JWKS, signing
//! certificates) and what the proof must say ([`Expected`]); the verifier answers the subject
//! and claims the proof carries ([`Verified`]), or the one check that failed ([`Check`]). The
//! service writes the replay record and the provisioning event; the token itself is never
//! logged or stored, only its [`Verified::replay_key`].
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

pub mod oidc;
pub mod saml;
pub mod settings;

/// A proof as the portal forwards it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// An OpenID Connect ID token (a JWS in compact form).
    IdToken(String),
    /// A SAML 2.0 `<samlp:Response>`, base64 as the IdP posted it.
    SamlResponse(String),
}

/// The most a proof may weigh before it is parsed (bytes as sent): a SAML response with two
/// certificates and a large attribute statement stays well below this.
pub const PROOF_MAX: usize = 256 * 1024;

/// What a proof must say to be believed, from the identity provider and the configuration.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    /// The IdP's issuer: OIDC `iss`, SAML `<Issuer>`.
    pub issuer: &'a str,
    /// OIDC: a member of `aud` (and `azp` when `aud` has several); SAML: the `<Audience>` of
    /// the assertion's `<AudienceRestriction>` (the SP entity ID).
    pub audience: &'a str,
    /// The instant the proof is checked at.
    pub now: DateTime<Utc>,
    /// How far the IdP's clock may be from ours (default 60 s).
    pub skew: Duration,
    /// The oldest a proof may be (OIDC `iat`, SAML `IssueInstant`), skew aside (default 600 s).
    pub max_age: Duration,
    /// OIDC: the `nonce` the call sends (the token must carry it); SAML: the request ID the call
    /// sends (`InResponseTo` must equal it). `None`: not checked.
    pub nonce: Option<&'a str>,
    /// SAML only: the `Recipient` of the bearer `<SubjectConfirmationData>` and the response's
    /// `Destination` (when present) must equal this. `None`: not checked.
    pub recipient: Option<&'a str>,
}

/// Defaults for [`Expected::skew`] and [`Expected::max_age`], in seconds.
pub const DEFAULT_SKEW_SECONDS: i64 = 60;
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 600;

/// A proof that passed every check.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// OIDC `sub`; SAML `<NameID>` of the assertion's subject (its text, comments refused).
    pub subject: String,
    /// OIDC: every claim of the token; SAML: one entry per `<Attribute Name>` of the assertion's
    /// attribute statement, a string when it has one value and a list of strings otherwise.
    pub claims: Map<String, Value>,
    /// Until when a replay must be refused: past this the proof fails its time checks anyway
    /// (the earlier of its expiry and its issue instant plus `max_age`, each plus `skew`).
    pub replay_until: DateTime<Utc>,
    /// What identifies this proof whatever its encoding (lowercase hex SHA-256): OIDC the signed
    /// payload's bytes, SAML the issuer and the assertion's `ID`. Unique per IdP.
    pub replay_key: String,
}

/// Which check a proof failed: recorded on the provisioning event (never the token itself).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// Not a JWS / not base64 / not well-formed XML / too large / a required part missing.
    Malformed,
    /// SAML: a `<!DOCTYPE>` (entity expansion, XXE) or a processing instruction.
    Doctype,
    /// The IdP has no key source (no JWKS, no URL, no certificate).
    NoKeySource,
    /// The header's algorithm is not in the IdP's allowed list (`none` and HMAC never are).
    Algorithm,
    /// No key of the set has the token's `kid` (after a refetch, when the IdP has a URL).
    UnknownKey,
    /// The signature does not verify, or (SAML) it does not cover the assertion read, or the
    /// assertion is unsigned, or its reference uses a transform other than the allowed ones.
    Signature,
    Issuer,
    Audience,
    /// OIDC: `aud` has several values and `azp` is not the expected audience.
    AuthorizedParty,
    /// Past `exp` / `NotOnOrAfter`, skew aside.
    Expired,
    /// Before `nbf` / `NotBefore` (or issued in the future), skew aside.
    NotYetValid,
    /// Issued longer ago than `max_age`, or no issue instant.
    TooOld,
    /// OIDC `nonce` or SAML `InResponseTo` differs from what the call sent.
    Nonce,
    /// SAML `Recipient` or `Destination` differs from the configured one.
    Recipient,
    /// No subject (`sub`, `<NameID>`), or one with a comment inside or over the subject limit.
    Subject,
}

impl Check {
    /// The check's name, as the provisioning event and the logs spell it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Doctype => "doctype",
            Self::NoKeySource => "noKeySource",
            Self::Algorithm => "algorithm",
            Self::UnknownKey => "unknownKey",
            Self::Signature => "signature",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::AuthorizedParty => "authorizedParty",
            Self::Expired => "expired",
            Self::NotYetValid => "notYetValid",
            Self::TooOld => "tooOld",
            Self::Nonce => "nonce",
            Self::Recipient => "recipient",
            Self::Subject => "subject",
        }
    }
}

/// The instant until which a proof must be refused as a replay: see [`Verified::replay_until`].
pub fn replay_until(
    expires: Option<DateTime<Utc>>,
    issued: DateTime<Utc>,
    expected: &Expected<'_>,
) -> DateTime<Utc> {
    let by_age = issued + expected.max_age;
    expires.map_or(by_age, |e| e.min(by_age)) + expected.skew
}

/// The time checks both kinds share: not before `not_before`, not at or after `expires`, not
/// issued in the future, not older than `max_age`; each with the skew.
pub fn check_times(
    issued: DateTime<Utc>,
    not_before: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
    expected: &Expected<'_>,
) -> Result<(), Check> {
    let now = expected.now;
    if let Some(expires) = expires
        && now >= expires + expected.skew
    {
        return Err(Check::Expired);
    }
    if not_before.is_some_and(|nbf| now + expected.skew < nbf) || now + expected.skew < issued {
        return Err(Check::NotYetValid);
    }
    if now - expected.skew > issued + expected.max_age {
        return Err(Check::TooOld);
    }
    Ok(())
}

/// Lowercase hex SHA-256 of the parts, each length-prefixed so no two lists collide.
pub fn digest(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(now: DateTime<Utc>) -> Expected<'static> {
        Expected {
            issuer: "https://idp.example",
            audience: "portal",
            now,
            skew: Duration::seconds(DEFAULT_SKEW_SECONDS),
            max_age: Duration::seconds(DEFAULT_MAX_AGE_SECONDS),
            nonce: None,
            recipient: None,
        }
    }

    #[test]
    fn time_checks_allow_the_skew_and_no_more() {
        let now = Utc::now();
        let e = expected(now);
        let s = Duration::seconds;
        let cases = [
            // (issued, not_before, expires, answer)
            (now, None, Some(now + s(300)), Ok(())),
            (now - s(30), None, Some(now - s(30)), Ok(())),
            (now - s(70), None, Some(now - s(60)), Err(Check::Expired)),
            (now, Some(now + s(59)), None, Ok(())),
            (now, Some(now + s(61)), None, Err(Check::NotYetValid)),
            (now + s(61), None, None, Err(Check::NotYetValid)),
            (now - s(660), None, None, Ok(())),
            (now - s(661), None, None, Err(Check::TooOld)),
        ];
        for (issued, nbf, exp, answer) in cases {
            assert_eq!(
                check_times(issued, nbf, exp, &e),
                answer,
                "{issued} {nbf:?} {exp:?}"
            );
        }
    }

    #[test]
    fn a_replay_is_refused_until_the_proof_would_fail_its_time_checks() {
        let now = Utc::now();
        let e = expected(now);
        let s = Duration::seconds;
        assert_eq!(replay_until(Some(now + s(300)), now, &e), now + s(360));
        assert_eq!(replay_until(Some(now + s(3600)), now, &e), now + s(660));
        assert_eq!(replay_until(None, now, &e), now + s(660));
    }

    #[test]
    fn digests_are_length_prefixed() {
        assert_ne!(digest(&[b"ab", b"c"]), digest(&[b"a", b"bc"]));
        assert_eq!(digest(&[b"x"]).len(), 64);
    }
}
