//! OpenID Connect ID tokens: a JWS checked against the identity provider's JWKS.
//! (Being written: see the item 2.)
use jsonwebtoken::jwk::JwkSet;

use super::{Check, Expected, Verified};

/// The algorithms an identity provider may allow, as stored and shown. `none` and the HMAC
/// family are never among them: an HMAC "signature" made with a public key proves nothing.
pub const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// The allowed list when an identity provider names none.
pub const DEFAULT_ALGORITHMS: &[&str] = &["RS256"];

/// A JWKS document as stored or fetched; the error says what is wrong with it.
pub fn parse_jwks(json: &str) -> Result<JwkSet, String> {
    serde_json::from_str(json).map_err(|e| format!("is not a JWKS document: {e}"))
}

/// The `kid` of a token's header, if it has one and parses.
pub fn key_id(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid)
}

/// Verifies `token` against `keys` with one of `allowed` (names from [`ALGORITHMS`]).
pub fn verify(
    _token: &str,
    _keys: &JwkSet,
    _allowed: &[String],
    _expected: &Expected<'_>,
) -> Result<Verified, Check> {
    Err(Check::Malformed)
}
