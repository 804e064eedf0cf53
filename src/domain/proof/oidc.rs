//! OpenID Connect ID tokens: a JWS (compact form) checked against the identity provider's JWKS.
//!
//! The checks run in a fixed order, so a token that fails several is always refused for the
//! same one: its form (size, three base64url parts, JSON header and payload), its algorithm,
//! the key, the signature, then the claims (issuer, audience, authorized party, times, nonce,
//! subject). jsonwebtoken checks the signature only: its own time, audience and issuer checks
//! are off, as they would read the system clock and answer in its terms rather than ours.
//!
//! Keys come from the JWKS the service hands in, never from the token: its `jwk`, `jku`,
//! `x5c` and `x5u` headers are ignored.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{
    Algorithm, DecodingKey, Header, Validation,
    errors::ErrorKind,
    jwk::{
        AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
    },
};
use serde_json::{Map, Value};

use super::{Check, Expected, PROOF_MAX, Verified, check_times, digest, replay_until};

#[cfg(test)]
mod tests;

/// The algorithms an identity provider may allow, as stored and shown. `none` and the HMAC
/// family are never among them: an HMAC "signature" made with a public key proves nothing.
pub const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// The allowed list when an identity provider names none.
pub const DEFAULT_ALGORITHMS: &[&str] = &["RS256"];

/// The longest `sub` believed, in characters (OpenID Connect asks for at most 255 ASCII
/// characters; some providers send longer opaque identifiers).
pub const SUBJECT_MAX: usize = 1024;

/// The latest instant a NumericDate claim may name: 9999-12-31T23:59:59Z. Later ones are
/// refused as unreadable, which also keeps the time arithmetic (plus skew, plus maximum age)
/// far from chrono's limits.
const NUMERIC_DATE_MAX: i64 = 253_402_300_799;

/// A JWKS document as stored or fetched; the error says what is wrong with it.
pub fn parse_jwks(json: &str) -> Result<JwkSet, String> {
    serde_json::from_str(json).map_err(|e| format!("is not a JWKS document: {e}"))
}

/// Refuses a set with a key of a known type that no algorithm of [`ALGORITHMS`] could use: an
/// RSA, EC or OKP key whose parameters are missing or malformed, a curve we do not verify, or
/// coordinates of the wrong size. jsonwebtoken reads such a key as a key of an unknown type
/// rather than refusing it, so [`parse_jwks`] alone would store it, and every token it signed
/// would then fail as [`Check::UnknownKey`]. Keys of unknown types (and HMAC secrets) are
/// left alone: they are never used.
pub fn check_keys(set: &JwkSet) -> Result<(), String> {
    for (i, jwk) in set.keys.iter().enumerate() {
        let kty = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => "RSA",
            AlgorithmParameters::EllipticCurve(_) => "EC",
            AlgorithmParameters::OctetKeyPair(_) => "OKP",
            AlgorithmParameters::OctetKey(_) => continue,
            AlgorithmParameters::Other(other) => match other.fields.get("kty") {
                Some(Value::String(kty)) if ["RSA", "EC", "OKP"].contains(&kty.as_str()) => {
                    kty.as_str()
                }
                _ => continue,
            },
            _ => continue,
        };
        let usable = ALGORITHMS
            .iter()
            .filter_map(|name| name.parse().ok())
            .any(|algorithm| material(jwk, algorithm).is_some());
        if !usable {
            return Err(format!(
                "key {i} ({kty}) has missing or malformed parameters, or a curve other than \
                 P-256, P-384 and Ed25519"
            ));
        }
    }
    Ok(())
}

/// The `kid` of a token's header, if it has one and parses.
pub fn key_id(token: &str) -> Option<String> {
    if token.len() > PROOF_MAX {
        return None;
    }
    jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid)
}

/// Verifies `token` against `keys` with one of `allowed` (names from [`ALGORITHMS`]).
///
/// Pure: the clock is `expected.now`. The answer's `replay_key` digests the signed payload's
/// bytes, so the same token in another encoding (an ECDSA signature's other valid `s`, a PSS
/// signature made again) is the same proof.
pub fn verify(
    token: &str,
    keys: &JwkSet,
    allowed: &[String],
    expected: &Expected<'_>,
) -> Result<Verified, Check> {
    let parts = Parts::read(token)?;
    let algorithm = algorithm(&parts.header, allowed)?;
    let header: Header =
        serde_json::from_value(Value::Object(parts.header)).map_err(|_| Check::Malformed)?;
    let candidates = candidates(keys, header.kid.as_deref(), algorithm)?;
    let claims = signed_claims(token, &candidates, algorithm)?;
    let times = believe(&claims, expected)?;
    let subject = subject(&claims)?;
    Ok(Verified {
        subject,
        claims,
        replay_until: replay_until(Some(times.expires), times.issued, expected),
        replay_key: digest(&[b"oidc", &parts.payload]),
    })
}

/// A token taken apart: the header as JSON and the payload's bytes (the signed claims).
struct Parts {
    header: Map<String, Value>,
    payload: Vec<u8>,
}

impl Parts {
    /// Every part of the form is checked here, before anything else, so a token that is
    /// malformed *and* names a refused algorithm is refused as [`Check::Malformed`].
    fn read(token: &str) -> Result<Self, Check> {
        if token.len() > PROOF_MAX {
            return Err(Check::Malformed);
        }
        let mut split = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (split.next(), split.next(), split.next(), split.next())
        else {
            return Err(Check::Malformed);
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Check::Malformed);
        let header: Map<String, Value> =
            serde_json::from_slice(&decode(header)?).map_err(|_| Check::Malformed)?;
        let payload = decode(payload)?;
        serde_json::from_slice::<Map<String, Value>>(&payload).map_err(|_| Check::Malformed)?;
        decode(signature)?;
        // `crit` names extensions the recipient must understand, and we understand none
        // (RFC 7515 §4.1.11); `b64: false` would sign the payload unencoded (RFC 7797).
        if header.contains_key("crit") || header.get("b64").is_some_and(|b| b != true) {
            return Err(Check::Malformed);
        }
        // An OAuth access token in JWT form says so (RFC 9068 §2.1): it is not an ID token,
        // whatever audience it names.
        if let Some(typ) = header.get("typ") {
            let typ = typ.as_str().ok_or(Check::Malformed)?.to_ascii_lowercase();
            if typ == "at+jwt" || typ == "application/at+jwt" {
                return Err(Check::Malformed);
            }
        }
        Ok(Self { header, payload })
    }
}

/// The header's algorithm, when the identity provider allows it. `none` and HMAC never pass,
/// whatever the stored list says: only names of [`ALGORITHMS`] count.
fn algorithm(header: &Map<String, Value>, allowed: &[String]) -> Result<Algorithm, Check> {
    let name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(Check::Malformed)?;
    if !ALGORITHMS.contains(&name) || !allowed.iter().any(|a| a == name) {
        return Err(Check::Algorithm);
    }
    name.parse().map_err(|_| Check::Algorithm)
}

/// The keys that may have signed the token: the set's keys with the token's `kid` that fit
/// `algorithm`; with no `kid`, the set's only key that fits. Keys that appear twice (the
/// stored set and the fetched one often overlap) count once.
fn candidates(
    keys: &JwkSet,
    kid: Option<&str>,
    algorithm: Algorithm,
) -> Result<Vec<DecodingKey>, Check> {
    let mut seen: Vec<&AlgorithmParameters> = Vec::new();
    let mut found = Vec::new();
    for jwk in &keys.keys {
        if kid.is_some_and(|kid| jwk.common.key_id.as_deref() != Some(kid)) {
            continue;
        }
        if seen.contains(&&jwk.algorithm) {
            continue;
        }
        if let Some(key) = fitting(jwk, algorithm) {
            seen.push(&jwk.algorithm);
            found.push(key);
        }
    }
    match (kid, found.len()) {
        (_, 0) => Err(Check::UnknownKey),
        // A token without a `kid` may only pick when there is nothing to pick from.
        (None, 1) | (Some(_), _) => Ok(found),
        (None, _) => Err(Check::UnknownKey),
    }
}

/// The key `jwk` holds, when it may verify `algorithm`: meant for signatures (its `use` and
/// `key_ops`, when set), made for this algorithm (its `alg`, when set), and of a type
/// [`material`] reads for it.
fn fitting(jwk: &Jwk, algorithm: Algorithm) -> Option<DecodingKey> {
    let common = &jwk.common;
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
        || common
            .key_operations
            .as_ref()
            .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
        || common
            .key_algorithm
            .is_some_and(|a| a != KeyAlgorithm::from(algorithm))
    {
        return None;
    }
    material(jwk, algorithm)
}

/// The key material of `jwk` for `algorithm`: of the algorithm's type and curve, with
/// coordinates of the curve's size.
fn material(jwk: &Jwk, algorithm: Algorithm) -> Option<DecodingKey> {
    let sized = |part: &str, len: usize| URL_SAFE_NO_PAD.decode(part).is_ok_and(|b| b.len() == len);
    match (&jwk.algorithm, algorithm) {
        (
            AlgorithmParameters::RSA(rsa),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok(),
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256 | Algorithm::ES384) => {
            let (curve, len) = match algorithm {
                Algorithm::ES256 => (EllipticCurve::P256, 32),
                _ => (EllipticCurve::P384, 48),
            };
            (ec.curve == curve && sized(&ec.x, len) && sized(&ec.y, len))
                .then(|| DecodingKey::from_ec_components(&ec.x, &ec.y).ok())
                .flatten()
        }
        // jsonwebtoken 12 slices the first 32 bytes of an Ed25519 key without checking its
        // length (a panic on a shorter `x`), so the size is checked here.
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            (okp.curve == EllipticCurve::Ed25519 && sized(&okp.x, 32))
                .then(|| DecodingKey::from_ed_components(&okp.x).ok())
                .flatten()
        }
        _ => None,
    }
}

/// The claims, once one of `candidates` verifies the signature.
fn signed_claims(
    token: &str,
    candidates: &[DecodingKey],
    algorithm: Algorithm,
) -> Result<Map<String, Value>, Check> {
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    for key in candidates {
        match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
            Ok(data) => return Ok(data.claims),
            Err(e) => match e.kind() {
                // The form was checked before: these only come from what jsonwebtoken reads
                // more strictly (a header field of the wrong type, a claim named twice).
                ErrorKind::InvalidToken
                | ErrorKind::Base64(_)
                | ErrorKind::Json(_)
                | ErrorKind::Utf8(_)
                | ErrorKind::InvalidClaimFormat(_) => return Err(Check::Malformed),
                // A signature that does not verify, or a key that cannot verify anything
                // (an RSA modulus out of bounds, a point off the curve): the next key.
                _ => {}
            },
        }
    }
    Err(Check::Signature)
}

/// The instants a token was issued at and expires at.
struct Times {
    issued: DateTime<Utc>,
    expires: DateTime<Utc>,
}

/// The checks of what the token says, in order: issuer, audience, authorized party, times,
/// nonce.
fn believe(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<Times, Check> {
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(Check::Issuer);
    }
    let audience: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many
            .iter()
            .map(Value::as_str)
            .collect::<Option<_>>()
            .ok_or(Check::Audience)?,
        _ => return Err(Check::Audience),
    };
    if !audience.contains(&expected.audience) {
        return Err(Check::Audience);
    }
    // OpenID Connect Core §3.1.3.7: with several audiences the token must say which party it
    // was issued to, and whenever it says so, that party must be us.
    match optional(claims, "azp") {
        None if audience.len() > 1 => return Err(Check::AuthorizedParty),
        Some(azp) if azp.as_str() != Some(expected.audience) => {
            return Err(Check::AuthorizedParty);
        }
        _ => {}
    }
    let issued = optional(claims, "iat")
        .and_then(instant)
        .ok_or(Check::TooOld)?;
    let expires = optional(claims, "exp")
        .and_then(instant)
        .ok_or(Check::Expired)?;
    let not_before = match optional(claims, "nbf") {
        Some(nbf) => Some(instant(nbf).ok_or(Check::NotYetValid)?),
        None => None,
    };
    check_times(issued, not_before, Some(expires), expected)?;
    if let Some(nonce) = expected.nonce
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce)
    {
        return Err(Check::Nonce);
    }
    Ok(Times { issued, expires })
}

/// The subject: a non-empty string of at most [`SUBJECT_MAX`] characters.
fn subject(claims: &Map<String, Value>) -> Result<String, Check> {
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if !sub.is_empty() && sub.chars().count() <= SUBJECT_MAX => Ok(sub.to_owned()),
        _ => Err(Check::Subject),
    }
}

/// An optional claim: absent or `null` are the same.
fn optional<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|v| !v.is_null())
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional, from the epoch
/// to [`NUMERIC_DATE_MAX`].
fn instant(value: &Value) -> Option<DateTime<Utc>> {
    if let Some(seconds) = value.as_i64() {
        return (0..=NUMERIC_DATE_MAX)
            .contains(&seconds)
            .then(|| DateTime::from_timestamp(seconds, 0))
            .flatten();
    }
    let seconds = value.as_f64()?;
    if !(0.0..=NUMERIC_DATE_MAX as f64).contains(&seconds) {
        return None;
    }
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9) as u32;
    DateTime::from_timestamp(whole as i64, nanos.min(999_999_999))
}
