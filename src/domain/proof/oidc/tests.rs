//! Every check of [`verify`], each with the exact [`Check`] it answers, against keys made here
//! (two RSA keys, a P-256 key, an Ed25519 key): nothing is read from disk or the network.
use std::sync::OnceLock;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::{pkcs1::EncodeRsaPrivateKey, pkcs1::EncodeRsaPublicKey, traits::PublicKeyParts};
use serde_json::{Map, Value, json};

use super::*;
use crate::domain::proof::{DEFAULT_MAX_AGE_SECONDS, DEFAULT_SKEW_SECONDS};

const ISSUER: &str = "https://idp.example";
const AUDIENCE: &str = "portal";
/// The instant every token is checked at.
const NOW: i64 = 1_750_000_000;

/// A signing key and its public half as a JWK (no `kid`, no `alg`: each set adds its own).
struct Key {
    signing: EncodingKey,
    jwk: Value,
}

struct Keys {
    rsa_a: Key,
    rsa_b: Key,
    /// Key A's public key, PKCS#1 DER: what an attacker would use as an HMAC secret.
    rsa_a_public_der: Vec<u8>,
    p256: Key,
    ed25519: Key,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Made once per test binary: RSA key generation is the slow part of these tests.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = || {
            let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
            let public = private.to_public_key();
            let key = Key {
                signing: EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes()),
                jwk: json!({"kty": "RSA", "n": b64(&public.n_bytes()), "e": b64(&public.e_bytes())}),
            };
            (key, public.to_pkcs1_der().unwrap().as_bytes().to_vec())
        };
        let ((rsa_a, rsa_a_public_der), (rsa_b, _)) = (rsa(), rsa());
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let point = p256.public_key_raw();
        assert_eq!((point.len(), point[0]), (65, 4), "an uncompressed point");
        let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        Keys {
            rsa_a,
            rsa_b,
            rsa_a_public_der,
            p256: Key {
                signing: EncodingKey::from_ec_der(&p256.serialize_der()),
                jwk: json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])}),
            },
            ed25519: Key {
                signing: EncodingKey::from_ed_der(&ed25519.serialize_der()),
                jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": b64(ed25519.public_key_raw())}),
            },
        }
    })
}

/// A JWKS of `(kid, key, extra members)`.
fn set(entries: &[(&str, &Key, Value)]) -> JwkSet {
    let keys: Vec<Value> = entries
        .iter()
        .map(|(kid, key, extra)| {
            let mut jwk = key.jwk.clone();
            jwk["kid"] = json!(kid);
            if let (Some(jwk), Some(extra)) = (jwk.as_object_mut(), extra.as_object()) {
                jwk.extend(extra.clone());
            }
            jwk
        })
        .collect();
    parse_jwks(&json!({ "keys": keys }).to_string()).unwrap()
}

/// The identity provider's set: both RSA keys, the P-256 key and the Ed25519 key.
fn idp_set() -> JwkSet {
    let k = keys();
    set(&[
        ("rsa-a", &k.rsa_a, json!({})),
        ("rsa-b", &k.rsa_b, json!({})),
        ("ec-1", &k.p256, json!({})),
        ("ed-1", &k.ed25519, json!({})),
    ])
}

/// A compact JWS of `header` and `payload`, signed with `key` (empty signature without one).
fn compact(header: &Value, payload: &[u8], key: Option<(&EncodingKey, Algorithm)>) -> String {
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
    let signature = match key {
        Some((key, algorithm)) => jsonwebtoken::crypto::sign(message.as_bytes(), key, algorithm)
            .expect("the test key signs"),
        None => String::new(),
    };
    format!("{message}.{signature}")
}

/// `claims` signed with `key` by `algorithm`, the header naming `kid`.
fn signed(key: &Key, algorithm: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = json!({ "alg": algorithm, "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    compact(
        &header,
        claims.to_string().as_bytes(),
        Some((&key.signing, algorithm)),
    )
}

/// RS256 with key A, as the identity provider signs.
fn rs256(claims: &Value) -> String {
    signed(&keys().rsa_a, Algorithm::RS256, Some("rsa-a"), claims)
}

/// The claims of a good token: issued 10 s ago, expiring in 5 minutes.
fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": NOW - 10,
        "exp": NOW + 300,
        "email": "ada@example.com",
        "nonce": "n-1",
    })
}

/// [`claims`] with `edit` applied.
fn claims_with(edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut claims = claims();
    if let Some(map) = claims.as_object_mut() {
        edit(map);
    }
    claims
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn expected(nonce: Option<&str>) -> Expected<'_> {
    Expected {
        issuer: ISSUER,
        audience: AUDIENCE,
        now: at(NOW),
        skew: Duration::seconds(DEFAULT_SKEW_SECONDS),
        max_age: Duration::seconds(DEFAULT_MAX_AGE_SECONDS),
        nonce,
        recipient: None,
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// One token and the answer it must get; the set, the allowed list and the nonce default to
/// the identity provider's set, RS256/PS256/ES256/EdDSA and none.
struct Case {
    name: &'static str,
    token: String,
    keys: Option<JwkSet>,
    allowed: &'static [&'static str],
    nonce: Option<&'static str>,
    answer: Result<(), Check>,
}

impl Case {
    fn new(name: &'static str, token: String, answer: Result<(), Check>) -> Self {
        Self {
            name,
            token,
            keys: None,
            allowed: &["RS256", "PS256", "ES256", "EdDSA"],
            nonce: None,
            answer,
        }
    }
    fn keys(self, keys: JwkSet) -> Self {
        Self {
            keys: Some(keys),
            ..self
        }
    }
    fn allowed(self, allowed: &'static [&'static str]) -> Self {
        Self { allowed, ..self }
    }
    fn nonce(self, nonce: &'static str) -> Self {
        Self {
            nonce: Some(nonce),
            ..self
        }
    }
}

fn run(cases: Vec<Case>) {
    let idp = idp_set();
    for case in cases {
        let keys = case.keys.as_ref().unwrap_or(&idp);
        let answer = verify(
            &case.token,
            keys,
            &names(case.allowed),
            &expected(case.nonce),
        );
        assert_eq!(answer.map(|_| ()), case.answer, "{}", case.name);
    }
}

#[test]
fn good_tokens_of_each_allowed_algorithm_verify() {
    let k = keys();
    let claims = claims();
    let tokens = [
        (
            "RS256",
            signed(&k.rsa_a, Algorithm::RS256, Some("rsa-a"), &claims),
        ),
        (
            "RS256 key B",
            signed(&k.rsa_b, Algorithm::RS256, Some("rsa-b"), &claims),
        ),
        (
            "PS256",
            signed(&k.rsa_a, Algorithm::PS256, Some("rsa-a"), &claims),
        ),
        (
            "ES256",
            signed(&k.p256, Algorithm::ES256, Some("ec-1"), &claims),
        ),
        (
            "EdDSA",
            signed(&k.ed25519, Algorithm::EdDSA, Some("ed-1"), &claims),
        ),
    ];
    let allowed = names(&["RS256", "PS256", "ES256", "EdDSA"]);
    for (name, token) in tokens {
        let verified = verify(&token, &idp_set(), &allowed, &expected(None))
            .unwrap_or_else(|check| panic!("{name}: {check:?}"));
        assert_eq!(verified.subject, "user-1", "{name}");
        assert_eq!(
            verified.claims.get("email"),
            Some(&json!("ada@example.com"))
        );
        assert_eq!(
            verified.claims.get("iss"),
            Some(&json!(ISSUER)),
            "every claim"
        );
        // Expires in 300 s, sooner than issued + max age (590 s): expiry plus skew.
        assert_eq!(verified.replay_until, at(NOW + 300 + DEFAULT_SKEW_SECONDS));
        assert_eq!(verified.replay_key.len(), 64);
    }
}

#[test]
fn replay_is_refused_until_the_earlier_of_expiry_and_maximum_age() {
    let token = rs256(&claims_with(|c| {
        c.insert("exp".into(), json!(NOW + 3600));
    }));
    let verified = verify(&token, &idp_set(), &names(&["RS256"]), &expected(None)).unwrap();
    let by_age = NOW - 10 + DEFAULT_MAX_AGE_SECONDS + DEFAULT_SKEW_SECONDS;
    assert_eq!(verified.replay_until, at(by_age));
}

#[test]
fn malformed_tokens_are_refused_before_anything_else() {
    let k = keys();
    let rsa = |header: Value, payload: &[u8]| {
        compact(&header, payload, Some((&k.rsa_a.signing, Algorithm::RS256)))
    };
    let good = rs256(&claims());
    let (message, _) = good.rsplit_once('.').unwrap();
    let header = json!({"alg": "RS256", "kid": "rsa-a"});
    let payload = claims().to_string();
    let padding = "x".repeat(PROOF_MAX);
    run(vec![
        Case::new("empty", String::new(), Err(Check::Malformed)),
        Case::new("one part", "abc".into(), Err(Check::Malformed)),
        Case::new("two parts", message.into(), Err(Check::Malformed)),
        Case::new("four parts", format!("{good}.e30"), Err(Check::Malformed)),
        Case::new(
            "header not base64url",
            format!("!!{good}"),
            Err(Check::Malformed),
        ),
        Case::new(
            "padded base64",
            good.replacen('.', "=.", 1),
            Err(Check::Malformed),
        ),
        Case::new(
            "header not JSON",
            format!("{}.{}", b64(b"{\"alg\":"), good.split_once('.').unwrap().1),
            Err(Check::Malformed),
        ),
        Case::new(
            "header a JSON array",
            rsa(json!(["RS256"]), payload.as_bytes()),
            Err(Check::Malformed),
        ),
        Case::new(
            "payload not JSON, signed",
            rsa(header.clone(), b"not json"),
            Err(Check::Malformed),
        ),
        Case::new(
            "payload a JSON string, signed",
            rsa(header.clone(), b"\"claims\""),
            Err(Check::Malformed),
        ),
        Case::new(
            "signature not base64url",
            format!("{message}.***"),
            Err(Check::Malformed),
        ),
        Case::new(
            "no alg",
            rsa(json!({"kid": "rsa-a"}), payload.as_bytes()),
            Err(Check::Malformed),
        ),
        Case::new(
            "alg not a string",
            rsa(json!({"alg": 256, "kid": "rsa-a"}), payload.as_bytes()),
            Err(Check::Malformed),
        ),
        Case::new(
            "kid not a string",
            rsa(json!({"alg": "RS256", "kid": 1}), payload.as_bytes()),
            Err(Check::Malformed),
        ),
        Case::new(
            "a critical extension",
            rsa(
                json!({"alg": "RS256", "kid": "rsa-a", "crit": ["exp"], "exp": 1}),
                payload.as_bytes(),
            ),
            Err(Check::Malformed),
        ),
        Case::new(
            "an unencoded payload",
            rsa(
                json!({"alg": "RS256", "kid": "rsa-a", "b64": false}),
                payload.as_bytes(),
            ),
            Err(Check::Malformed),
        ),
        Case::new(
            "an access token",
            rsa(
                json!({"alg": "RS256", "kid": "rsa-a", "typ": "at+JWT"}),
                payload.as_bytes(),
            ),
            Err(Check::Malformed),
        ),
        Case::new(
            "malformed and alg none: malformed first",
            compact(&json!({"alg": "none"}), b"not json", None),
            Err(Check::Malformed),
        ),
        Case::new(
            "over the size limit, validly signed",
            rs256(&claims_with(|c| {
                c.insert("padding".into(), json!(padding));
            })),
            Err(Check::Malformed),
        ),
        Case::new(
            "large but under the limit",
            rs256(&claims_with(|c| {
                c.insert("padding".into(), json!("x".repeat(PROOF_MAX / 2)));
            })),
            Ok(()),
        ),
    ]);
}

#[test]
fn only_allowed_asymmetric_algorithms_pass() {
    let k = keys();
    let claims = claims();
    let payload = claims.to_string();
    // HMAC keyed with the RSA public key, the classic confusion: a verifier that took the
    // algorithm from the header would check it with the public key's bytes as secret.
    let hmac_with_public_key = |der: &[u8]| {
        compact(
            &json!({"alg": "HS256", "kid": "rsa-a"}),
            payload.as_bytes(),
            Some((&EncodingKey::from_secret(der).unwrap(), Algorithm::HS256)),
        )
    };
    let k_n = k.rsa_a.jwk["n"].as_str().unwrap().to_owned();
    run(vec![
        Case::new(
            "alg none, no signature",
            compact(&json!({"alg": "none"}), payload.as_bytes(), None),
            Err(Check::Algorithm),
        ),
        Case::new(
            "alg none with the kid of a key",
            compact(
                &json!({"alg": "none", "kid": "rsa-a"}),
                payload.as_bytes(),
                None,
            ),
            Err(Check::Algorithm),
        ),
        Case::new(
            "alg none even when the stored list names it",
            compact(&json!({"alg": "none"}), payload.as_bytes(), None),
            Err(Check::Algorithm),
        )
        .allowed(&["RS256", "none"]),
        Case::new(
            "HS256 keyed with the RSA public key (DER)",
            hmac_with_public_key(&k.rsa_a_public_der),
            Err(Check::Algorithm),
        ),
        Case::new(
            "HS256 keyed with the RSA public key (DER), even when the stored list names it",
            hmac_with_public_key(&k.rsa_a_public_der),
            Err(Check::Algorithm),
        )
        .allowed(&["RS256", "HS256"]),
        Case::new(
            "HS256 keyed with the JWK's modulus text",
            hmac_with_public_key(k_n.as_bytes()),
            Err(Check::Algorithm),
        )
        .allowed(&["RS256", "HS256"]),
        Case::new(
            "an unknown algorithm",
            compact(
                &json!({"alg": "RS1", "kid": "rsa-a"}),
                payload.as_bytes(),
                None,
            ),
            Err(Check::Algorithm),
        ),
        Case::new(
            "names are case-sensitive",
            compact(
                &json!({"alg": "rs256", "kid": "rsa-a"}),
                payload.as_bytes(),
                None,
            ),
            Err(Check::Algorithm),
        ),
        Case::new(
            "ES256 when only RS256 is allowed",
            signed(&k.p256, Algorithm::ES256, Some("ec-1"), &claims),
            Err(Check::Algorithm),
        )
        .allowed(&["RS256"]),
        Case::new(
            "EdDSA when only RS256 is allowed",
            signed(&k.ed25519, Algorithm::EdDSA, Some("ed-1"), &claims),
            Err(Check::Algorithm),
        )
        .allowed(&["RS256"]),
        Case::new(
            "PS256 when only RS256 is allowed",
            signed(&k.rsa_a, Algorithm::PS256, Some("rsa-a"), &claims),
            Err(Check::Algorithm),
        )
        .allowed(&["RS256"]),
        Case::new(
            "RS256 when only ES256 is allowed",
            rs256(&claims),
            Err(Check::Algorithm),
        )
        .allowed(&["ES256"]),
        Case::new("nothing allowed", rs256(&claims), Err(Check::Algorithm)).allowed(&[]),
        Case::new(
            "ES256 when allowed",
            signed(&k.p256, Algorithm::ES256, Some("ec-1"), &claims),
            Ok(()),
        )
        .allowed(&["ES256"]),
        Case::new(
            "EdDSA when allowed",
            signed(&k.ed25519, Algorithm::EdDSA, Some("ed-1"), &claims),
            Ok(()),
        )
        .allowed(&["EdDSA"]),
    ]);
}

#[test]
fn the_key_is_the_one_the_kid_names_and_fits_the_algorithm() {
    let k = keys();
    let claims = claims();
    let a = |kid| signed(&k.rsa_a, Algorithm::RS256, kid, &claims);
    let short_ed = parse_jwks(
        &json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": b64(&[7; 16])}]})
            .to_string(),
    )
    .unwrap();
    let p384_named_ec1 = parse_jwks(
        &json!({"keys": [{"kty": "EC", "crv": "P-384", "kid": "ec-1",
            "x": k.p256.jwk["x"], "y": k.p256.jwk["y"]}]})
        .to_string(),
    )
    .unwrap();
    run(vec![
        Case::new("an unknown kid", a(Some("nope")), Err(Check::UnknownKey)),
        Case::new("an empty set", a(Some("rsa-a")), Err(Check::UnknownKey)).keys(set(&[])),
        Case::new(
            "the kid names a key of another type",
            signed(&k.p256, Algorithm::ES256, Some("rsa-a"), &claims),
            Err(Check::UnknownKey),
        ),
        Case::new(
            "the kid names an EC key of another curve",
            signed(&k.p256, Algorithm::ES256, Some("ec-1"), &claims),
            Err(Check::UnknownKey),
        )
        .keys(p384_named_ec1),
        Case::new(
            "the key's alg differs from the header's",
            a(Some("rsa-a")),
            Err(Check::UnknownKey),
        )
        .keys(set(&[("rsa-a", &k.rsa_a, json!({"alg": "RS384"}))])),
        Case::new("the key's alg is the header's", a(Some("rsa-a")), Ok(())).keys(set(&[(
            "rsa-a",
            &k.rsa_a,
            json!({"alg": "RS256"}),
        )])),
        Case::new(
            "an encryption key",
            a(Some("rsa-a")),
            Err(Check::UnknownKey),
        )
        .keys(set(&[("rsa-a", &k.rsa_a, json!({"use": "enc"}))])),
        Case::new(
            "a key whose operations exclude verify",
            a(Some("rsa-a")),
            Err(Check::UnknownKey),
        )
        .keys(set(&[("rsa-a", &k.rsa_a, json!({"key_ops": ["encrypt"]}))])),
        Case::new(
            "a signature key with verify among its operations",
            a(Some("rsa-a")),
            Ok(()),
        )
        .keys(set(&[(
            "rsa-a",
            &k.rsa_a,
            json!({"use": "sig", "key_ops": ["verify"]}),
        )])),
        Case::new(
            "an Ed25519 key too short (no panic)",
            signed(&k.ed25519, Algorithm::EdDSA, Some("ed-1"), &claims),
            Err(Check::UnknownKey),
        )
        .keys(short_ed),
        Case::new("no kid, several keys", a(None), Err(Check::UnknownKey)),
        Case::new("no kid, several keys of which one fits", a(None), Ok(())).keys(set(&[
            ("rsa-a", &k.rsa_a, json!({})),
            ("ec-1", &k.p256, json!({})),
        ])),
        Case::new("no kid, one key", a(None), Ok(())).keys(set(&[("rsa-a", &k.rsa_a, json!({}))])),
        Case::new("no kid, the same key stored and fetched", a(None), Ok(())).keys(set(&[
            ("rsa-a", &k.rsa_a, json!({})),
            ("rsa-a", &k.rsa_a, json!({"use": "sig"})),
        ])),
        Case::new(
            "a kid the set has twice, the second the signer",
            a(Some("rsa-a")),
            Ok(()),
        )
        .keys(set(&[
            ("rsa-a", &k.rsa_b, json!({})),
            ("rsa-a", &k.rsa_a, json!({})),
        ])),
    ]);
}

/// The token with its payload replaced and its signature kept.
fn with_payload(token: &str, claims: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims.to_string().as_bytes());
    parts.join(".")
}

/// The token with its signature's last byte flipped.
fn with_bad_signature(token: &str) -> String {
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    if let Some(last) = signature.last_mut() {
        *last ^= 1;
    }
    format!("{message}.{}", b64(&signature))
}

#[test]
fn only_the_named_key_signature_verifies() {
    let k = keys();
    let claims = claims();
    let only_a = set(&[("rsa-a", &k.rsa_a, json!({}))]);
    let es = signed(&k.p256, Algorithm::ES256, Some("ec-1"), &claims);
    let (es_message, es_signature) = es.rsplit_once('.').unwrap();
    let es_short = b64(&URL_SAFE_NO_PAD.decode(es_signature).unwrap()[..60]);
    run(vec![
        Case::new(
            "another key under the kid (wrong key)",
            signed(&k.rsa_b, Algorithm::RS256, Some("rsa-a"), &claims),
            Err(Check::Signature),
        )
        .keys(only_a),
        Case::new(
            "kid swap: the kid names key A, key B signed",
            signed(&k.rsa_b, Algorithm::RS256, Some("rsa-a"), &claims),
            Err(Check::Signature),
        ),
        Case::new(
            "the payload changed after signing",
            with_payload(
                &rs256(&claims),
                &claims_with(|c| {
                    c.insert("sub".into(), json!("admin"));
                }),
            ),
            Err(Check::Signature),
        ),
        Case::new(
            "a flipped RS256 signature bit",
            with_bad_signature(&rs256(&claims)),
            Err(Check::Signature),
        ),
        Case::new(
            "a flipped ES256 signature bit",
            with_bad_signature(&es),
            Err(Check::Signature),
        ),
        Case::new(
            "a flipped EdDSA signature bit",
            with_bad_signature(&signed(&k.ed25519, Algorithm::EdDSA, Some("ed-1"), &claims)),
            Err(Check::Signature),
        ),
        Case::new(
            "a truncated ES256 signature",
            format!("{es_message}.{es_short}"),
            Err(Check::Signature),
        ),
        Case::new(
            "an empty RS256 signature",
            format!("{}.", rs256(&claims).rsplit_once('.').unwrap().0),
            Err(Check::Signature),
        ),
        Case::new(
            "RS256 header, PS256 signature",
            {
                let ps = signed(&k.rsa_a, Algorithm::PS256, Some("rsa-a"), &claims);
                let signature = ps.rsplit_once('.').unwrap().1.to_owned();
                format!("{}.{signature}", rs256(&claims).rsplit_once('.').unwrap().0)
            },
            Err(Check::Signature),
        ),
    ]);
}

#[test]
fn the_claims_are_checked_in_order() {
    let with = |edit: fn(&mut Map<String, Value>)| rs256(&claims_with(edit));
    run(vec![
        Case::new(
            "another issuer",
            with(|c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
            Err(Check::Issuer),
        ),
        Case::new(
            "the issuer with a trailing slash",
            with(|c| {
                c.insert("iss".into(), json!("https://idp.example/"));
            }),
            Err(Check::Issuer),
        ),
        Case::new(
            "no issuer",
            with(|c| {
                c.remove("iss");
            }),
            Err(Check::Issuer),
        ),
        Case::new(
            "issuer and audience wrong: issuer first",
            with(|c| {
                c.insert("iss".into(), json!("https://evil.example"));
                c.insert("aud".into(), json!("other"));
            }),
            Err(Check::Issuer),
        ),
        Case::new(
            "another audience",
            with(|c| {
                c.insert("aud".into(), json!("other"));
            }),
            Err(Check::Audience),
        ),
        Case::new(
            "no audience",
            with(|c| {
                c.remove("aud");
            }),
            Err(Check::Audience),
        ),
        Case::new(
            "an audience list without ours",
            with(|c| {
                c.insert("aud".into(), json!(["other", "third"]));
            }),
            Err(Check::Audience),
        ),
        Case::new(
            "an audience list with a number",
            with(|c| {
                c.insert("aud".into(), json!([AUDIENCE, 7]));
            }),
            Err(Check::Audience),
        ),
        Case::new(
            "an audience list of ours alone",
            with(|c| {
                c.insert("aud".into(), json!([AUDIENCE]));
            }),
            Ok(()),
        ),
        Case::new(
            "an extra audience without azp",
            with(|c| {
                c.insert("aud".into(), json!([AUDIENCE, "other"]));
            }),
            Err(Check::AuthorizedParty),
        ),
        Case::new(
            "an extra audience with azp us",
            with(|c| {
                c.insert("aud".into(), json!([AUDIENCE, "other"]));
                c.insert("azp".into(), json!(AUDIENCE));
            }),
            Ok(()),
        ),
        Case::new(
            "an extra audience with azp the other",
            with(|c| {
                c.insert("aud".into(), json!([AUDIENCE, "other"]));
                c.insert("azp".into(), json!("other"));
            }),
            Err(Check::AuthorizedParty),
        ),
        Case::new(
            "one audience, azp differing",
            with(|c| {
                c.insert("azp".into(), json!("other"));
            }),
            Err(Check::AuthorizedParty),
        ),
        Case::new(
            "one audience, azp us",
            with(|c| {
                c.insert("azp".into(), json!(AUDIENCE));
            }),
            Ok(()),
        ),
        Case::new(
            "expired past the skew",
            with(|c| {
                c.insert("iat".into(), json!(NOW - 400));
                c.insert("exp".into(), json!(NOW - 61));
            }),
            Err(Check::Expired),
        ),
        Case::new(
            "expired within the skew",
            with(|c| {
                c.insert("exp".into(), json!(NOW - 59));
            }),
            Ok(()),
        ),
        Case::new(
            "no expiry",
            with(|c| {
                c.remove("exp");
            }),
            Err(Check::Expired),
        ),
        Case::new(
            "an expiry as text",
            with(|c| {
                c.insert("exp".into(), json!("1750000300"));
            }),
            Err(Check::Expired),
        ),
        Case::new(
            "an expiry past year 9999 (no overflow)",
            with(|c| {
                c.insert("exp".into(), json!(i64::MAX));
            }),
            Err(Check::Expired),
        ),
        Case::new(
            "an expiry of 1e300 (no overflow)",
            with(|c| {
                c.insert("exp".into(), json!(1e300));
            }),
            Err(Check::Expired),
        ),
        Case::new(
            "fractional times",
            with(|c| {
                c.insert("iat".into(), json!(NOW as f64 - 10.5));
                c.insert("exp".into(), json!(NOW as f64 + 300.25));
            }),
            Ok(()),
        ),
        Case::new(
            "not yet valid (nbf)",
            with(|c| {
                c.insert("nbf".into(), json!(NOW + 120));
            }),
            Err(Check::NotYetValid),
        ),
        Case::new(
            "nbf within the skew",
            with(|c| {
                c.insert("nbf".into(), json!(NOW + 30));
            }),
            Ok(()),
        ),
        Case::new(
            "nbf null",
            with(|c| {
                c.insert("nbf".into(), Value::Null);
            }),
            Ok(()),
        ),
        Case::new(
            "nbf as text",
            with(|c| {
                c.insert("nbf".into(), json!("soon"));
            }),
            Err(Check::NotYetValid),
        ),
        Case::new(
            "issued in the future",
            with(|c| {
                c.insert("iat".into(), json!(NOW + 120));
            }),
            Err(Check::NotYetValid),
        ),
        Case::new(
            "too old",
            with(|c| {
                c.insert("iat".into(), json!(NOW - 700));
            }),
            Err(Check::TooOld),
        ),
        Case::new(
            "no issue instant",
            with(|c| {
                c.remove("iat");
            }),
            Err(Check::TooOld),
        ),
        Case::new(
            "a negative issue instant",
            with(|c| {
                c.insert("iat".into(), json!(-1));
            }),
            Err(Check::TooOld),
        ),
        Case::new(
            "expired and too old: expired first",
            with(|c| {
                c.insert("iat".into(), json!(NOW - 7200));
                c.insert("exp".into(), json!(NOW - 3600));
            }),
            Err(Check::Expired),
        ),
        Case::new(
            "no subject",
            with(|c| {
                c.remove("sub");
            }),
            Err(Check::Subject),
        ),
        Case::new(
            "an empty subject",
            with(|c| {
                c.insert("sub".into(), json!(""));
            }),
            Err(Check::Subject),
        ),
        Case::new(
            "a numeric subject",
            with(|c| {
                c.insert("sub".into(), json!(42));
            }),
            Err(Check::Subject),
        ),
        Case::new(
            "a subject over the limit",
            with(|c| {
                c.insert("sub".into(), json!("é".repeat(SUBJECT_MAX + 1)));
            }),
            Err(Check::Subject),
        ),
        Case::new(
            "a subject at the limit (characters, not bytes)",
            with(|c| {
                c.insert("sub".into(), json!("é".repeat(SUBJECT_MAX)));
            }),
            Ok(()),
        ),
        Case::new(
            "no subject and expired: expired first",
            with(|c| {
                c.remove("sub");
                c.insert("exp".into(), json!(NOW - 3600));
            }),
            Err(Check::Expired),
        ),
    ]);
}

#[test]
fn the_nonce_must_be_the_one_sent() {
    let with = |edit: fn(&mut Map<String, Value>)| rs256(&claims_with(edit));
    run(vec![
        Case::new("the nonce sent", rs256(&claims()), Ok(())).nonce("n-1"),
        Case::new("another nonce", rs256(&claims()), Err(Check::Nonce)).nonce("n-2"),
        Case::new(
            "no nonce in the token",
            with(|c| {
                c.remove("nonce");
            }),
            Err(Check::Nonce),
        )
        .nonce("n-1"),
        Case::new(
            "a numeric nonce",
            with(|c| {
                c.insert("nonce".into(), json!(1));
            }),
            Err(Check::Nonce),
        )
        .nonce("1"),
        Case::new("none sent: not checked", rs256(&claims()), Ok(())),
        Case::new(
            "none sent, none in the token",
            with(|c| {
                c.remove("nonce");
            }),
            Ok(()),
        ),
        Case::new(
            "nonce wrong and subject missing: nonce first",
            with(|c| {
                c.remove("sub");
            }),
            Err(Check::Nonce),
        )
        .nonce("n-2"),
    ]);
}

/// P-256's group order n, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// The ES256 token with its signature's `s` replaced by `n - s`: the other signature of the
/// same message under the same key, which anyone holding the token can make.
fn malleated(token: &str) -> String {
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let s = &mut signature[32..];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let difference = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(difference < 0);
        s[i] = difference.rem_euclid(256) as u8;
    }
    format!("{message}.{}", b64(&signature))
}

#[test]
fn the_replay_key_names_the_signed_claims_not_the_encoding() {
    let k = keys();
    let claims = claims();
    let allowed = names(&["RS256", "PS256", "ES256"]);
    let key_of = |token: &str| {
        verify(token, &idp_set(), &allowed, &expected(None))
            .map(|v| v.replay_key)
            .unwrap_or_else(|check| panic!("{check:?}"))
    };

    let token = rs256(&claims);
    assert_eq!(key_of(&token), key_of(&token), "the same token");
    assert_eq!(
        key_of(&token),
        digest(&[b"oidc", claims.to_string().as_bytes()])
    );

    // PSS signatures are randomised: two signatures of the same claims are two strings, one
    // proof.
    let (first, second) = (
        signed(&k.rsa_a, Algorithm::PS256, Some("rsa-a"), &claims),
        signed(&k.rsa_a, Algorithm::PS256, Some("rsa-a"), &claims),
    );
    assert_ne!(first, second);
    assert_eq!(key_of(&first), key_of(&second));

    // ECDSA signature malleability: (r, n - s) verifies as well as (r, s); it must not make
    // the token a new one.
    let es = signed(&k.p256, Algorithm::ES256, Some("ec-1"), &claims);
    let other = malleated(&es);
    assert_ne!(es, other);
    assert_eq!(key_of(&es), key_of(&other));

    // Different claims are different proofs.
    let later = rs256(&claims_with(|c| {
        c.insert("iat".into(), json!(NOW - 9));
    }));
    assert_ne!(key_of(&token), key_of(&later));
    let elsewhere = rs256(&claims_with(|c| {
        c.insert("nonce".into(), json!("n-2"));
    }));
    assert_ne!(key_of(&token), key_of(&elsewhere));
}

#[test]
fn key_id_reads_the_header_only() {
    assert_eq!(key_id(&rs256(&claims())).as_deref(), Some("rsa-a"));
    assert_eq!(key_id("not a token"), None);
    let big = format!("{}{}", rs256(&claims()), "x".repeat(PROOF_MAX));
    assert_eq!(key_id(&big), None);
}

#[test]
fn jwks_documents_parse_or_say_why_not() {
    let k = keys();
    let text = json!({"keys": [k.rsa_a.jwk, k.p256.jwk, k.ed25519.jwk]}).to_string();
    let set = parse_jwks(&text).unwrap();
    assert_eq!(set.keys.len(), 3);
    assert_eq!(check_keys(&set), Ok(()));
    // Keys of types we never use are kept and left alone.
    let unknown = json!({"keys": [
        {"kty": "AKP", "alg": "ML-DSA-44", "pub": "AAAA"},
        {"kty": "oct", "k": "c2VjcmV0"},
    ]});
    let set = parse_jwks(&unknown.to_string()).unwrap();
    assert_eq!((set.keys.len(), check_keys(&set)), (2, Ok(())));
    for bad in ["", "[]", "{\"keys\": 1}", "{\"keys\": [1]}"] {
        let error = parse_jwks(bad).unwrap_err();
        assert!(
            error.starts_with("is not a JWKS document"),
            "{bad}: {error}"
        );
    }
    // jsonwebtoken reads a known key type with missing or malformed parameters as a key of an
    // unknown type; check_keys names it.
    let x = k.p256.jwk["x"].clone();
    let broken = [
        json!({"kty": "RSA", "n": k.rsa_a.jwk["n"]}),
        json!({"kty": "RSA", "n": "not base64!", "e": "AQAB"}),
        json!({"kty": "EC", "crv": "P-256", "x": x}),
        json!({"kty": "EC", "crv": "P-521", "x": x, "y": x}),
        json!({"kty": "EC", "crv": "P-384", "x": x, "y": x}),
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&[7; 16])}),
        json!({"kty": "OKP", "crv": "Ed448", "x": b64(&[7; 57])}),
    ];
    for key in broken {
        let text = json!({"keys": [k.rsa_a.jwk, key]}).to_string();
        let set = parse_jwks(&text).unwrap();
        let error = check_keys(&set).unwrap_err();
        assert!(error.starts_with("key 1 ("), "{key}: {error}");
    }
}
