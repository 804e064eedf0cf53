use entity::api_token;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_message, only_error, spawn_app};

const LIST: &str = "{ brands { pageInfo { totalRecords } } }";
const MUTATE: &str =
    r#"mutation { brands { create(input: {name: "X"}) { brand { id } errors { message } } } }"#;

fn assert_unauthenticated(status: u16, body: &Value) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(body["data"], json!(null));
}

/// Asserts that a request with `token` is refused as unauthenticated.
async fn assert_refused(app: &TestApp, token: &str) {
    let (status, body) = app.post_graphql(Some(token), &json!({"query": LIST})).await;
    assert_unauthenticated(status, &body);
}

/// How many brands `token` sees: none, as long as the refused calls created nothing.
async fn brand_total(app: &TestApp, token: &str) -> Value {
    let body = app.gql_as(token, LIST, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["brands"]["pageInfo"]["totalRecords"].clone()
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401_with_www_authenticate() {
    let app = spawn_app().await;
    let body = json!({"query": LIST});
    for auth in [
        None,
        Some("Bearer"),
        Some("Bearer apt_0000"),
        Some("Basic dXNlcjpwYXNz"),
        Some("Bearer not-ours"),
    ] {
        let mut request = app.request(None).json(&body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.expect("request");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("Bearer"),
            "{auth:?}"
        );
        let status = response.status().as_u16();
        let json: Value = response.json().await.expect("json");
        assert_unauthenticated(status, &json);
    }
    // Nothing was created by the refused requests.
    let (status, body) = app.post_graphql(None, &json!({"query": MUTATE})).await;
    assert_unauthenticated(status, &body);
    assert_eq!(brand_total(&app, &app.owner_token).await, 0);
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    let app = spawn_app().await;
    let support = app.create_token("support").await;
    let (status, _) = app
        .post_graphql(Some(&support), &json!({"query": LIST}))
        .await;
    assert_eq!(status, 200);

    let tokens = app
        .data(
            "{ apiTokens { edges { node { id name role active } } } }",
            json!({}),
        )
        .await;
    let id = tokens["apiTokens"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["role"] == "support")
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
        .expect("support token listed");
    let revoked = app
        .data(
            "mutation($id: ID!) { apiTokens { revoke(input: {apiTokenId: $id}) { apiToken { active revokedAt } errors { label } } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(revoked["apiTokens"]["revoke"]["apiToken"]["active"], false);
    assert_refused(&app, &support).await;

    // Expiry is enforced at request time: move an existing token's expiry into the past.
    let auditor = app.create_token("auditor").await;
    let all = api_token::Entity::find()
        .all(&app.db)
        .await
        .expect("tokens");
    for token in all.into_iter().filter(|t| t.role == "auditor") {
        let mut active: api_token::ActiveModel = token.into();
        active.expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
        active.update(&app.db).await.expect("expire");
    }
    assert_refused(&app, &auditor).await;
}

#[tokio::test]
async fn an_auditor_can_query_but_not_mutate() {
    let app = spawn_app().await;
    let auditor = app.create_token("auditor").await;
    assert_eq!(brand_total(&app, &auditor).await, 0);
    for forbidden in [MUTATE, "{ apiTokens { pageInfo { totalRecords } } }"] {
        let body = app.gql_as(&auditor, forbidden, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{forbidden}: {body}");
    }
    assert_eq!(brand_total(&app, &app.owner_token).await, 0);
}

#[tokio::test]
async fn support_can_administer_but_not_manage_tokens() {
    let app = spawn_app().await;
    let support = app.create_token("support").await;
    let body = app.gql_as(&support, MUTATE, json!({})).await;
    assert_eq!(
        body["data"]["brands"]["create"]["errors"],
        json!([]),
        "{body}"
    );
    let body = app
        .gql_as(
            &support,
            r#"mutation { apiTokens { create(input: {name: "x", role: owner}) { secret } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["data"], json!(null));
}

#[tokio::test]
async fn token_secrets_are_shown_once_and_stored_only_as_hashes() {
    let app = spawn_app().await;
    let secret = app.create_token("auditor").await;
    assert!(secret.starts_with("apt_") && secret.len() > 60, "{secret}");
    let stored = api_token::Entity::find()
        .all(&app.db)
        .await
        .expect("tokens");
    // Stored is the SHA-256 of the secret, nothing else that could give the secret back.
    use sha2::Digest;
    let expected = hex::encode(sha2::Sha256::digest(secret.as_bytes()));
    let row = stored
        .iter()
        .find(|t| t.secret_hash == expected)
        .expect("the new token is stored under the hash of its secret");
    assert_eq!(row.secret_hash.len(), 64);
    assert!(stored.iter().all(|t| !t.name.contains(&secret)));

    // The API type has no field that could carry a secret.
    let body = app
        .gql("{ apiTokens { edges { node { secret } } } }", json!({}))
        .await;
    assert!(error_message(&body).contains("secret"), "{body}");
    assert_eq!(body["data"], json!(null));
}

#[tokio::test]
async fn token_input_errors_are_payload_errors() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"mutation { apiTokens { create(input: {name: "x", role: support, expiresAt: "2001-01-01T00:00:00Z"}) { apiToken { id } secret errors { label code value } } } }"#,
            json!({}),
        )
        .await;
    let payload = &data["apiTokens"]["create"];
    assert_eq!(payload["secret"], json!(null));
    assert_eq!(only_error(payload)["label"], "expiresAt");
    let data = app
        .data(
            r#"mutation { apiTokens { revoke(input: {apiTokenId: "nope"}) { apiToken { id } errors { label code } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        only_error(&data["apiTokens"]["revoke"]),
        &json!({"label": "apiTokenId", "code": "malformedId"})
    );
}

/// How many API-token lookups the server ran for `requests` calls with `token`.
async fn token_lookups(app: &TestApp, token: &str, requests: usize) -> usize {
    app.statements.start_recording();
    for _ in 0..requests {
        let (status, _) = app.post_graphql(Some(token), &json!({"query": LIST})).await;
        assert_eq!(status, 200);
    }
    app.statements
        .stop_recording()
        .iter()
        .filter(|s| s.sql.contains("\"api_token\""))
        .count()
}

#[tokio::test]
async fn a_verified_token_is_trusted_for_a_few_seconds_but_a_revocation_here_is_immediate() {
    let app = spawn_app().await;
    let support = app.create_token("support").await;
    assert_eq!(token_lookups(&app, &support, 5).await, 1);

    let id = app
        .data("{ apiTokens(filters: [{field: role, operation: eq, value: \"support\"}]) { edges { node { id } } } }", json!({}))
        .await["apiTokens"]["edges"][0]["node"]["id"]
        .clone();
    app.data(
        "mutation($id: ID!) { apiTokens { revoke(input: {apiTokenId: $id}) { errors { label } } } }",
        json!({"id": id}),
    )
    .await;
    assert_refused(&app, &support).await;
}

#[tokio::test]
async fn without_the_token_cache_every_request_looks_the_token_up() {
    let app = crate::helpers::spawn_app_with(|s| s.token_cache_seconds = 0).await;
    let support = app.create_token("support").await;
    assert_eq!(token_lookups(&app, &support, 3).await, 3);
}
