//! Signed proofs (issue 21): the "individual" identity provider's learners sign in again with
//! an ID token signed by a key the bench makes, next to the same learners' bare sign-in through
//! the same server, so the cost of verifying the proof is what the two cells differ by.
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{
    api::{self, Api, Setup},
    driver::{Op, op},
    scenarios::{self, Client, Learner},
};

/// What the signed tokens name as their audience, and the configuration expects.
pub const AUDIENCE: &str = "bench-portal";
const KEY_ID: &str = "bench";

/// The identity provider's Ed25519 signing key, made here: the server gets its public JWK.
pub struct IdpKey {
    /// PKCS#8 DER, as `jsonwebtoken` reads an EdDSA key.
    encoding: EncodingKey,
    pub jwk: Value,
}

impl IdpKey {
    pub fn generate() -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
            .expect("cannot generate an Ed25519 key");
        let public = pair.public_key_raw();
        assert_eq!(public.len(), 32, "an Ed25519 public key is 32 bytes");
        let jwk = json!({
            "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(public),
            "kid": KEY_ID, "alg": "EdDSA",
        });
        Self {
            encoding: EncodingKey::from_ed_der(&pair.serialize_der()),
            jwk,
        }
    }

    /// An EdDSA ID token over `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(KEY_ID.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| format!("cannot sign the ID token: {e}"))
    }
}

const FIELD_ERRORS: &str = "errors { label message value code }";

/// Through the API, as an administrator would: the "individual" identity provider gets the
/// key's JWKS with EdDSA allowed, and its configuration the audience. The policy stays
/// `optional`, so the bare sign-ins of the other cells keep working.
pub async fn setup(api: &Api, setup: &Setup, key: &IdpKey) {
    let data = api
        .must(
            &setup.owner,
            &format!(
                "mutation($input: UpdateIdentityProviderInput!) {{ identityProviders {{ \
                 update(input: $input) {{ identityProvider {{ issuer allowedAlgorithms jwks }} \
                 {FIELD_ERRORS} }} }} }}"
            ),
            json!({ "input": {
                "identityProviderId": setup.idp_individual,
                "proofs": {
                    "jwks": { "keys": [key.jwk] },
                    "allowedAlgorithms": ["EdDSA"],
                },
            }}),
        )
        .await;
    let idp = &api::payload(&data, &["identityProviders", "update"])["identityProvider"];
    assert_eq!(idp["issuer"], json!(setup.issuer_individual), "{idp}");
    assert_eq!(idp["allowedAlgorithms"], json!(["EdDSA"]), "{idp}");

    let data = api
        .must(
            &setup.owner,
            &format!(
                "mutation($input: IdentityProviderConfigurationInput!) {{ brands {{ \
                 updateIdentityProviderConfiguration(input: $input) {{ \
                 identityProviderConfiguration {{ audience proofPolicy }} {FIELD_ERRORS} }} }} }}"
            ),
            json!({ "input": {
                "brandId": setup.brand,
                "identityProviderId": setup.idp_individual,
                "audience": AUDIENCE,
            }}),
        )
        .await;
    let config = &api::payload(&data, &["brands", "updateIdentityProviderConfiguration"])["identityProviderConfiguration"];
    assert_eq!(
        *config,
        json!({ "audience": AUDIENCE, "proofPolicy": "optional" }),
        "the configuration after setting its audience"
    );
}

/// The ID token the "individual" identity provider would issue for `learner` now: its usual
/// claims, signed, with a `jti` of its own (a proof signs in once).
fn id_token(client: &Client, key: &IdpKey, learner: &Learner) -> Result<String, String> {
    let now = chrono::Utc::now().timestamp();
    let mut claims = learner.claims();
    let registered = json!({
        "iss": client.setup.issuer_individual,
        "aud": AUDIENCE,
        "sub": learner.subject,
        "iat": now,
        "exp": now + 300,
        "jti": format!("{}-{}", client.prefix, client.next()),
    });
    if let (Some(claims), Value::Object(registered)) = (claims.as_object_mut(), registered) {
        claims.extend(registered);
    }
    key.sign(&claims)
}

/// Tokens minted before the signed cells, so that the load generator's signing (which the
/// identity provider does, not the portal) does not take CPU from the server on a shared
/// machine while the cells are timed. More calls than this mint their token on the fly.
pub struct Minted {
    tokens: Vec<(usize, String)>,
    next: AtomicUsize,
}

impl Minted {
    /// `count` tokens for learners picked at random.
    pub fn new(client: &Client, key: &IdpKey, learners: &[Learner], count: usize) -> Self {
        let tokens = (0..count)
            .map(|_| {
                let at = rand::random_range(0..learners.len());
                let token = id_token(client, key, &learners[at]).expect("sign an ID token");
                (at, token)
            })
            .collect();
        Self {
            tokens,
            next: AtomicUsize::new(0),
        }
    }

    fn take(&self) -> Option<(usize, String)> {
        let at = self.next.fetch_add(1, Ordering::Relaxed);
        self.tokens.get(at).cloned()
    }
}

/// A known learner of the "individual" identity provider signs in again with an ID token
/// signed for them (one of `minted`, else signed now) instead of bare subject and claims; the
/// checks are those of the bare returning sign-in.
pub fn returning_signed(
    client: &Arc<Client>,
    key: &Arc<IdpKey>,
    learners: Vec<Learner>,
    minted: Arc<Minted>,
) -> Op {
    assert!(!learners.is_empty(), "no learners to sign in again");
    let (client, key, learners) = (client.clone(), key.clone(), Arc::new(learners));
    op(move |_| {
        let (client, key, learners, minted) = (
            client.clone(),
            key.clone(),
            learners.clone(),
            minted.clone(),
        );
        async move {
            let (learner, token) = match minted.take() {
                Some((at, token)) => (&learners[at], token),
                None => {
                    let learner = &learners[rand::random_range(0..learners.len())];
                    (learner, id_token(&client, &key, learner)?)
                }
            };
            let payload = client
                .sign_in_with(json!({
                    "brandId": client.setup.brand,
                    "identityProviderId": client.setup.idp_individual,
                    "proof": { "idToken": token },
                }))
                .await?;
            scenarios::expect_returning(&payload, learner, &learner.given, &learner.family)
        }
    })
}
