//! Signed proofs (PRODUCT §4.1, issue 21): the sign-in hook believes the identity provider's
//! own ID token, checked against its JWKS (stored, or fetched from a local server here), and
//! nothing the portal says beside it once the configuration requires proofs.
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, http::StatusCode, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, assert_contains, spawn_app, spawn_app_with},
    sso::Portal,
};

const ISSUER: &str = "https://sso.example";
const AUDIENCE: &str = "lms-portal";

const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id email firstName credentials { subject } } outcome reason denialReason
    errors { label message value code } } } }";

/// A P-256 signing key and its public JWK.
pub struct Key {
    pub kid: String,
    pkcs8: Vec<u8>,
    pub jwk: Value,
}

impl Key {
    pub fn new(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let point = pair.public_key_raw();
        // An uncompressed point: 0x04, then x and y, 32 bytes each.
        assert_eq!(point.len(), 65);
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        });
        Self {
            kid: kid.to_owned(),
            pkcs8: pair.serialize_der(),
            jwk,
        }
    }

    /// An ES256 token over `claims`, naming `kid` in its header.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&self.pkcs8)).expect("sign")
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }
}

pub fn jwks(keys: &[&Key]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()})
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The claims of a good token for `subject`, with `extra` added or replaced.
pub fn claims(subject: &str, extra: Value) -> Value {
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now(), "exp": now() + 300,
        "email": format!("{subject}@example.com"), "given_name": "Ada", "family_name": "Lovelace",
    });
    if let (Some(base), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        base.extend(extra);
    }
    claims
}

const UPDATE_IDP: &str =
    "mutation($input: UpdateIdentityProviderInput!) { identityProviders { update(input: $input) {
    identityProvider { jwksUrl allowedAlgorithms clockSkewSeconds maxProofAgeSeconds jwks }
    errors { label message code } } } }";

/// Sets the IdP's proof settings; the payload's errors.
pub async fn set_proofs(app: &TestApp, idp: &str, proofs: Value) -> Value {
    let data = app
        .data(
            UPDATE_IDP,
            json!({"input": {"identityProviderId": idp, "proofs": proofs}}),
        )
        .await;
    data["identityProviders"]["update"].clone()
}

/// A portal whose IdP holds `key` in its stored JWKS (ES256 allowed) and whose configuration
/// names the audience, with `policy`.
async fn signed_portal(key: &Key, policy: &str) -> Portal {
    let p = Portal::new(json!({"audience": AUDIENCE})).await;
    let out = set_proofs(
        &p.app,
        &p.idp,
        json!({"jwks": jwks(&[key]), "allowedAlgorithms": ["ES256"]}),
    )
    .await;
    assert_eq!(out["errors"], json!([]), "{out}");
    p.configure(json!({"proofPolicy": policy})).await;
    p
}

impl Portal {
    fn proof_input(&self, token: &str) -> Value {
        json!({"brandId": self.brand, "identityProviderId": self.idp, "proof": {"idToken": token}})
    }

    async fn sign_in_with(&self, token: &str) -> Value {
        let input = self.proof_input(token);
        self.raw(&self.app.owner_token, SIGN_IN, input).await
    }
}

fn assert_denied(out: &Value, reason: &str, case: &str) {
    assert_eq!(out["outcome"], "denied", "{case}: {out}");
    assert_eq!(out["denialReason"], reason, "{case}: {out}");
    assert!(out["contact"].is_null(), "{case}");
}

#[tokio::test]
async fn a_signed_id_token_signs_in_once_and_its_subject_and_claims_are_the_tokens() {
    let key = Key::new("k1");
    let p = signed_portal(&key, "optional").await;
    let token = key.sign(&claims("sub-signed", json!({})));
    let out = p.sign_in_with(&token).await;
    assert_eq!(out["errors"], json!([]), "{out}");
    assert_eq!(out["outcome"], "created");
    assert_eq!(out["contact"]["email"], "sub-signed@example.com");
    assert_eq!(
        out["contact"]["credentials"][0]["subject"], "sub-signed",
        "the subject is the token's sub"
    );
    let contacts = p.app.row_count("contact").await;

    // The same token again is a replay, whoever sends it.
    let again = p.sign_in_with(&token).await;
    assert_denied(&again, "proofReplayed", "replay");
    assert_eq!(again["errors"][0]["label"], "proof");
    assert_eq!(p.app.row_count("contact").await, contacts);
    assert_eq!(p.app.row_count("proof_replay").await, 1);

    // A new token for the same subject signs in.
    let fresh = key.sign(&claims("sub-signed", json!({"jti": "2"})));
    let out = p.sign_in_with(&fresh).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    let events = p.events().await;
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["subject"] == "sub-signed"));
}

#[tokio::test]
async fn a_proof_with_subject_or_claims_beside_it_is_refused_naming_them() {
    let key = Key::new("k1");
    let p = signed_portal(&key, "optional").await;
    let token = key.sign(&claims("sub-1", json!({})));
    let mut input = p.proof_input(&token);
    input["subject"] = json!("someone-else");
    input["claims"] = json!({"email": "boss@example.com"});
    let out = p.raw(&p.app.owner_token, SIGN_IN, input).await;
    assert_denied(&out, "invalidInput", "subject and claims with a proof");
    let labels: Vec<&str> = out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["subject", "claims"]);
    // Neither proof nor subject.
    let input = json!({"brandId": p.brand, "identityProviderId": p.idp});
    let out = p.raw(&p.app.owner_token, SIGN_IN, input).await;
    assert_denied(&out, "invalidInput", "no evidence");
    assert_eq!(out["errors"][0]["label"], "subject");
    // Both kinds of proof: GraphQL's oneOf refuses the document.
    let body = p
        .app
        .gql(
            SIGN_IN,
            json!({"input": {"brandId": p.brand, "identityProviderId": p.idp,
                "proof": {"idToken": token, "samlResponse": "x"}}}),
        )
        .await;
    assert!(body["errors"].is_array(), "{body}");
    assert_eq!(p.app.row_count("contact").await, 0);
}

#[tokio::test]
async fn required_needs_an_audience_and_a_key_source_then_denies_bare_claims() {
    let p = Portal::new(json!({})).await;
    let save = |input: Value| {
        let app = &p.app;
        async move {
            let data = app
                .data(
                    "mutation($input: IdentityProviderConfigurationInput!) { brands { updateIdentityProviderConfiguration(input: $input) {
                        identityProviderConfiguration { proofPolicy audience } errors { label message code } } } }",
                    json!({"input": input}),
                )
                .await;
            data["brands"]["updateIdentityProviderConfiguration"].clone()
        }
    };
    let ids = json!({"brandId": p.brand, "identityProviderId": p.idp});
    let mut input = ids.clone();
    input["proofPolicy"] = json!("required");
    let out = save(input.clone()).await;
    assert_eq!(out["errors"][0]["label"], "proofPolicy", "{out}");
    assert_contains(&out["errors"][0]["message"], "audience");
    input["audience"] = json!(AUDIENCE);
    let out = save(input.clone()).await;
    assert_eq!(out["errors"][0]["label"], "proofPolicy", "{out}");
    assert_contains(&out["errors"][0]["message"], "key source");

    let key = Key::new("k1");
    let set = set_proofs(&p.app, &p.idp, json!({"jwks": jwks(&[&key])})).await;
    assert_eq!(set["errors"], json!([]));
    let out = save(input).await;
    assert_eq!(out["errors"], json!([]), "{out}");
    assert_eq!(
        out["identityProviderConfiguration"]["proofPolicy"],
        "required"
    );

    // The key source cannot go while a configuration requires proofs.
    let out = set_proofs(&p.app, &p.idp, json!({"jwks": null})).await;
    assert_eq!(out["errors"][0]["code"], "inUse", "{out}");

    // Bare claims create, link and sign in nobody, whatever token sends them.
    let (portal, _) = p.portal_token().await;
    let existing = p.app.create_account("Acme", None).await;
    p.app.create_contact("ada@example.com", &existing).await;
    let before = p.app.row_counts().await;
    for (case, subject, email) in [
        ("create", "new-sub", "new@example.com"),
        ("link", "ada-sub", "ada@example.com"),
    ] {
        let input = p.input(subject, json!({"email": email}));
        let out = p.raw(&portal, SIGN_IN_PORTAL, input).await;
        assert_eq!(out["outcome"], "denied", "{case}: {out}");
        assert_eq!(out["errors"][0]["label"], "proof", "{case}");
    }
    let after = p.app.row_counts().await;
    for ((table, b), (_, a)) in before.iter().zip(&after) {
        let expected = if table == "provisioning_event" {
            b + 2
        } else {
            *b
        };
        assert_eq!(*a, expected, "{table}");
    }
    let events = p.events().await;
    assert!(events.iter().all(|e| e["outcome"] == "denied"));
    assert_contains(&events[0]["reason"], "signed proof");
    // With the proof, the same person signs in.
    let token = key.sign(&claims("ada-sub", json!({"email": "ada@example.com"})));
    let mut input = p.proof_input(&token);
    input["brandId"] = json!(p.brand);
    // Default algorithms: RS256 only, so this ES256 token is refused until ES256 is allowed.
    let out = p.raw(&portal, SIGN_IN_PORTAL, input.clone()).await;
    assert_eq!(out["outcome"], "denied", "{out}");
    let set = set_proofs(&p.app, &p.idp, json!({"allowedAlgorithms": ["ES256"]})).await;
    assert_eq!(set["errors"], json!([]));
    let out = p.raw(&portal, SIGN_IN_PORTAL, input).await;
    assert_eq!(out["outcome"], "linked", "{out}");
}

const SIGN_IN_PORTAL: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id } outcome errors { label message code } } } }";

#[tokio::test]
async fn every_failed_check_is_denied_and_the_event_names_the_check() {
    let key = Key::new("k1");
    let other = Key::new("k1");
    let p = signed_portal(&key, "required").await;
    let good = |extra: Value| claims("sub-x", extra);
    let hs256 = {
        // An HMAC "signature" keyed with the public key, the classic confusion.
        let secret = serde_json::to_vec(&key.jwk).unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(
            &header,
            &good(json!({})),
            &EncodingKey::from_secret(&secret).unwrap(),
        )
        .unwrap()
    };
    let none = {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#);
        let body = URL_SAFE_NO_PAD.encode(good(json!({})).to_string());
        format!("{header}.{body}.")
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("wrong key", other.sign(&good(json!({}))), "signature"),
        (
            "wrong issuer",
            key.sign(&good(json!({"iss": "https://evil.example"}))),
            "issuer",
        ),
        (
            "wrong audience",
            key.sign(&good(json!({"aud": "another-app"}))),
            "audience",
        ),
        (
            "extra audience without azp",
            key.sign(&good(json!({"aud": [AUDIENCE, "another-app"]}))),
            "authorizedParty",
        ),
        (
            "expired",
            key.sign(&good(json!({"iat": now() - 400, "exp": now() - 120}))),
            "expired",
        ),
        (
            "not yet valid",
            key.sign(&good(json!({"nbf": now() + 600}))),
            "notYetValid",
        ),
        (
            "too old",
            key.sign(&good(json!({"iat": now() - 3600, "exp": now() + 300}))),
            "tooOld",
        ),
        ("alg none", none, "algorithm"),
        ("HS256 with the public key", hs256, "algorithm"),
        (
            "unknown kid",
            key.sign_as("k9", &good(json!({}))),
            "unknownKey",
        ),
        ("not a token", "not.a.token".into(), "malformed"),
    ];
    for (case, token, check) in &cases {
        let out = p.sign_in_with(token).await;
        assert_denied(&out, "proofInvalid", case);
        assert_eq!(out["errors"][0]["label"], "proof", "{case}");
        assert_contains(&out["errors"][0]["message"], &format!("`{check}`"));
    }
    let events = p.events().await;
    assert_eq!(events.len(), cases.len());
    for ((case, _, check), event) in cases.iter().rev().zip(&events) {
        assert_eq!(event["outcome"], "denied", "{case}");
        assert_contains(&event["reason"], &format!("`{check}`"));
    }
    assert_eq!(p.app.row_count("contact").await, 0);
    assert_eq!(p.app.row_count("proof_replay").await, 0);
    // The nonce: checked when the call sends one.
    let token = key.sign(&good(json!({"nonce": "n-1"})));
    let mut input = p.proof_input(&token);
    input["nonce"] = json!("n-2");
    let out = p.raw(&p.app.owner_token, SIGN_IN, input.clone()).await;
    assert_denied(&out, "proofInvalid", "nonce");
    input["nonce"] = json!("n-1");
    let out = p.raw(&p.app.owner_token, SIGN_IN, input).await;
    assert_eq!(out["outcome"], "created", "{out}");
}

/// What a proof is verified with is kept between calls (`service::recent`); a change made
/// through the instance holds at its next sign-in all the same.
#[tokio::test]
async fn a_rotated_key_or_a_new_audience_holds_at_the_next_sign_in() {
    let (old, new) = (Key::new("k1"), Key::new("k2"));
    let p = signed_portal(&old, "optional").await;
    let out = p
        .sign_in_with(&old.sign(&claims("sub-r", json!({"jti": "t1"}))))
        .await;
    assert_eq!(out["outcome"], "created", "{out}");

    let out = set_proofs(&p.app, &p.idp, json!({"jwks": jwks(&[&new])})).await;
    assert_eq!(out["errors"], json!([]), "{out}");
    let out = p
        .sign_in_with(&old.sign(&claims("sub-r", json!({"jti": "t2"}))))
        .await;
    assert_denied(&out, "proofInvalid", "a key no longer listed");
    assert_contains(&out["errors"][0]["message"], "`unknownKey`");
    let out = p
        .sign_in_with(&new.sign(&claims("sub-r", json!({"jti": "t3"}))))
        .await;
    assert_eq!(out["outcome"], "signedIn", "{out}");

    p.configure(json!({"audience": "another-portal"})).await;
    let out = p
        .sign_in_with(&new.sign(&claims("sub-r", json!({"jti": "t4"}))))
        .await;
    assert_denied(&out, "proofInvalid", "the old audience");
    assert_contains(&out["errors"][0]["message"], "`audience`");
    let token = new.sign(&claims(
        "sub-r",
        json!({"aud": "another-portal", "jti": "t9"}),
    ));
    assert_eq!(p.sign_in_with(&token).await["outcome"], "signedIn");
}

/// A JWKS server on 127.0.0.1: serves `keys` (or 503 while `down`), counting requests.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<Value>>,
    down: Arc<Mutex<bool>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(keys: Value) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        let down = Arc::new(Mutex::new(false));
        let hits = Arc::new(AtomicUsize::new(0));
        let (k, d, h) = (keys.clone(), down.clone(), hits.clone());
        let router = Router::new().route(
            "/jwks",
            get(move || {
                let (k, d, h) = (k.clone(), d.clone(), h.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    // A slow answer, so concurrent callers overlap with the fetch.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if *d.lock().unwrap() {
                        return (StatusCode::SERVICE_UNAVAILABLE, String::new());
                    }
                    (StatusCode::OK, k.lock().unwrap().to_string())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url: format!("http://{addr}/jwks"),
            keys,
            down,
            hits,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_jwks_url_is_fetched_on_unknown_keys_at_most_once_an_interval_and_outages_keep_the_cache()
{
    let a = Key::new("a");
    let b = Key::new("b");
    let server = JwksServer::start(jwks(&[&a])).await;
    let app = spawn_app_with(|s| s.jwks_refetch_seconds = 2).await;
    let p = Portal::on(
        app,
        json!({"audience": AUDIENCE, "linkExistingContacts": true}),
    )
    .await;
    let out = set_proofs(
        &p.app,
        &p.idp,
        json!({"jwksUrl": server.url, "allowedAlgorithms": ["ES256"]}),
    )
    .await;
    assert_eq!(out["errors"], json!([]), "{out}");
    assert_eq!(out["identityProvider"]["jwksUrl"], server.url.as_str());
    let mut n = 0;
    let mut token = |key: &Key, kid: &str| {
        n += 1;
        key.sign_as(kid, &claims("sub-url", json!({"jti": n.to_string()})))
    };

    // No set yet: fetched at the first token.
    let out = p.sign_in_with(&token(&a, "a")).await;
    assert_eq!(out["outcome"], "created", "{out}");
    assert_eq!(server.hits(), 1);
    // A known key: no fetch.
    let out = p.sign_in_with(&token(&a, "a")).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    assert_eq!(server.hits(), 1);

    // Rotation: the IdP now signs with b. Within the interval, no refetch: unknown key.
    *server.keys.lock().unwrap() = jwks(&[&b]);
    let out = p.sign_in_with(&token(&b, "b")).await;
    assert_denied(&out, "proofInvalid", "within the interval");
    assert_contains(&out["errors"][0]["message"], "unknownKey");
    assert_eq!(server.hits(), 1);
    // After it, one fetch for several concurrent callers.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let calls = (0..4).map(|_| token(&b, "b")).collect::<Vec<_>>();
    let answers = futures::future::join_all(calls.iter().map(|t| p.sign_in_with(t))).await;
    for out in &answers {
        assert_eq!(out["outcome"], "signedIn", "{out}");
    }
    assert_eq!(server.hits(), 2, "one fetch in flight");
    assert_eq!(p.app.row_count("identity_provider_key_set").await, 1);

    // Outage: a kid it never had fails; the cached set keeps verifying b.
    *server.down.lock().unwrap() = true;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let out = p.sign_in_with(&token(&b, "c")).await;
    assert_denied(&out, "proofInvalid", "outage, unknown kid");
    assert_eq!(server.hits(), 3);
    let out = p.sign_in_with(&token(&b, "b")).await;
    assert_eq!(out["outcome"], "signedIn", "outage, cached key: {out}");
}

#[tokio::test]
async fn key_settings_are_checked_and_named() {
    let app = spawn_app().await;
    let idp = app.create_identity_provider(ISSUER).await;
    let cases = [
        (json!({"jwks": {"keys": []}}), "jwks"),
        (json!({"jwks": "not json"}), "jwks"),
        (json!({"jwksUrl": "http://idp.example/jwks"}), "jwksUrl"),
        (
            json!({"allowedAlgorithms": ["HS256"]}),
            "allowedAlgorithms[0]",
        ),
        (
            json!({"allowedAlgorithms": ["none"]}),
            "allowedAlgorithms[0]",
        ),
        (json!({"allowedAlgorithms": []}), "allowedAlgorithms"),
        (json!({"clockSkewSeconds": 3600}), "clockSkewSeconds"),
        (json!({"maxProofAgeSeconds": 0}), "maxProofAgeSeconds"),
        (
            json!({"signingCertificates": "not a certificate"}),
            "signingCertificates",
        ),
    ];
    for (proofs, label) in cases {
        let out = set_proofs(&app, &idp, proofs.clone()).await;
        assert_eq!(out["errors"][0]["label"], label, "{proofs}: {out}");
        assert!(out["identityProvider"].is_null());
    }
    let out = set_proofs(&app, &idp, json!({})).await;
    let shown = &out["identityProvider"];
    assert_eq!(shown["allowedAlgorithms"], json!(["RS256"]));
    assert_eq!(shown["clockSkewSeconds"], 60);
    assert_eq!(shown["maxProofAgeSeconds"], 600);
}

#[tokio::test]
async fn an_administrator_signs_in_with_a_proof_naming_the_admin_audience() {
    let key = Key::new("k1");
    let app = spawn_app().await;
    let idp = app
        .create(
            "identityProviders",
            "identityProvider",
            json!({"name": "Staff", "protocol": "oidc", "issuer": ISSUER, "adminSignIn": true,
                "proofs": {"jwks": jwks(&[&key]), "allowedAlgorithms": ["ES256"],
                    "adminAudience": "dashboard"}}),
        )
        .await;
    let data = app
        .data(
            "mutation { administrators { create(input: {email: \"boss@example.com\", firstName: \"B\", lastName: \"O\", role: support}) { errors { message } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["administrators"]["create"]["errors"], json!([]));
    let dashboard = app.create_token("dashboard").await;
    let query = "mutation($input: AdminSignInInput!) { sso { adminSignIn(input: $input) {
        administrator { role } token errors { label message code } } } }";
    let admin_claims = |aud: &str| {
        claims(
            "boss-sub",
            json!({"aud": aud, "email": "boss@example.com", "email_verified": true}),
        )
    };
    let sign_in = |token: String| {
        let (app, dashboard, idp) = (&app, &dashboard, &idp);
        async move {
            let body = app
                .gql_as(
                    dashboard,
                    query,
                    json!({"input": {"identityProviderId": idp, "proof": {"idToken": token}}}),
                )
                .await;
            body["data"]["sso"]["adminSignIn"].clone()
        }
    };
    let out = sign_in(key.sign(&admin_claims(AUDIENCE))).await;
    assert_eq!(out["errors"][0]["label"], "proof", "{out}");
    assert_contains(&out["errors"][0]["message"], "`audience`");
    let token = key.sign(&admin_claims("dashboard"));
    let out = sign_in(token.clone()).await;
    assert_eq!(out["errors"], json!([]), "{out}");
    assert_eq!(out["administrator"]["role"], "support");
    let out = sign_in(token).await;
    assert_eq!(out["errors"][0]["label"], "proof", "replayed: {out}");
    assert!(out["token"].is_null());
}

/// A SAML identity provider for the tests: a P-256 key and its self-signed certificate.
struct SamlIdp {
    key: xml_sec::xmldsig::EcdsaP256SigningKey,
    pem: String,
}

impl SamlIdp {
    fn new() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["idp.example".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Self {
            key: xml_sec::xmldsig::EcdsaP256SigningKey::from_pkcs8_der(&key.serialize_der())
                .unwrap(),
            pem: certificate.pem(),
        }
    }

    /// A base64 SAMLResponse for `subject`, to `audience`, its assertion `id` signed unless
    /// `signed` is false.
    fn response(&self, id: &str, subject: &str, audience: &str, signed: bool) -> String {
        use xml_sec::{
            c14n::{C14nAlgorithm, C14nMode},
            xmldsig::{
                DigestAlgorithm, ReferenceBuilder, SignContext, SignatureAlgorithm,
                SignatureBuilder, Transform,
            },
        };
        let now = chrono::Utc::now();
        let iso =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (issued, expires) = (iso(now), iso(now + chrono::Duration::seconds(300)));
        let assertion = format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{ISSUER}</saml:Issuer><!--SIGNATURE--><saml:Subject><saml:NameID>{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{expires}" Recipient="https://lms.example/acs"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{expires}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>{subject}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="given_name"><saml:AttributeValue>Grace</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>"#
        );
        let assertion = if signed {
            let c14n = C14nAlgorithm::new(C14nMode::Exclusive1_0, false);
            let template = SignatureBuilder::new(c14n.clone(), SignatureAlgorithm::EcdsaSha256)
                .add_reference(
                    ReferenceBuilder::new(DigestAlgorithm::Sha256)
                        .uri(format!("#{id}"))
                        .transform(Transform::Enveloped)
                        .transform(Transform::C14n(c14n)),
                )
                .build_template()
                .unwrap();
            SignContext::new(&self.key)
                .sign_template(&assertion.replacen("<!--SIGNATURE-->", &template, 1))
                .unwrap()
        } else {
            assertion.replacen("<!--SIGNATURE-->", "", 1)
        };
        let response = format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r-{id}" Version="2.0" IssueInstant="{issued}" Destination="https://lms.example/acs"><saml:Issuer>{ISSUER}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{assertion}</samlp:Response>"#
        );
        base64::engine::general_purpose::STANDARD.encode(response)
    }
}

#[tokio::test]
async fn a_signed_saml_response_signs_in_once_and_bad_ones_name_their_check() {
    let idp = SamlIdp::new();
    let app = spawn_app().await;
    let brand = app.create_brand("Portal").await;
    let idp_id = app
        .create(
            "identityProviders",
            "identityProvider",
            json!({"name": "SAML IdP", "protocol": "saml", "issuer": ISSUER,
                "proofs": {"signingCertificates": idp.pem}}),
        )
        .await;
    let p = Portal {
        app,
        brand,
        idp: idp_id,
    };
    p.app
        .data(
            "mutation($input: IdentityProviderConfigurationInput!) { brands { createIdentityProviderConfiguration(input: $input) { errors { label message } } } }",
            json!({"input": {"brandId": p.brand, "identityProviderId": p.idp,
                "autoProvisionLearners": true, "audience": "https://lms.example/sp",
                "recipient": "https://lms.example/acs", "proofPolicy": "required"}}),
        )
        .await;
    let saml = |response: String| json!({"brandId": p.brand, "identityProviderId": p.idp, "proof": {"samlResponse": response}});
    let good = idp.response("_a1", "grace@example.com", "https://lms.example/sp", true);
    let out = p.raw(&p.app.owner_token, SIGN_IN, saml(good.clone())).await;
    assert_eq!(out["outcome"], "created", "{out}");
    assert_eq!(out["contact"]["email"], "grace@example.com");
    assert_eq!(out["contact"]["firstName"], "Grace");
    assert_eq!(
        out["contact"]["credentials"][0]["subject"],
        "grace@example.com"
    );
    let again = p.raw(&p.app.owner_token, SIGN_IN, saml(good)).await;
    assert_denied(&again, "proofReplayed", "SAML replay");

    let other = SamlIdp::new();
    let cases = [
        (
            "wrong audience",
            idp.response("_a2", "eve@example.com", "https://other.example/sp", true),
            "audience",
        ),
        (
            "unsigned",
            idp.response("_a3", "eve@example.com", "https://lms.example/sp", false),
            "signature",
        ),
        (
            "another key",
            other.response("_a4", "eve@example.com", "https://lms.example/sp", true),
            "signature",
        ),
        ("not base64", "%%%".to_owned(), "malformed"),
    ];
    for (case, response, check) in cases {
        let out = p.raw(&p.app.owner_token, SIGN_IN, saml(response)).await;
        assert_denied(&out, "proofInvalid", case);
        assert_contains(&out["errors"][0]["message"], &format!("`{check}`"));
    }
    assert_eq!(p.app.row_count("contact").await, 1);
}
