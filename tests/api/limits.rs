//! Request limits: depth, complexity, page size, batches, body size.
use serde_json::{Value, json};

use crate::helpers::{error_code, error_message, spawn_app, spawn_app_with};

/// Sets one limit in the server's settings.
type Limit = fn(&mut autoprov::config::Settings);

#[tokio::test]
async fn batched_requests_are_refused() {
    let app = spawn_app().await;
    let query = json!({"query": "{ brands { pageInfo { totalRecords } } }"});
    let (status, body) = app
        .post_graphql(Some(&app.owner_token), &json!([query, query]))
        .await;
    assert_eq!(status, 400);
    assert!(error_message(&body).contains("batched"), "{body}");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_with_json_errors() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1024).await;
    let big = json!({"query": format!("{{ brands {{ pageInfo {{ totalRecords }} }} }} #{}", "x".repeat(2000))});
    let (status, body) = app.post_graphql(Some(&app.owner_token), &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let response = app
        .request(Some(&app.owner_token))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn deep_and_complex_queries_are_refused() {
    // (the limit, a query beyond it, what the refusal says)
    let refusals: [(Limit, &str, &str); 2] = [
        (
            |s| s.max_depth = 4,
            "{ brands { edges { node { identityProviderConfigurations { defaultAccount { company { id } } } } } } }",
            "nested too deep",
        ),
        (
            |s| s.max_complexity = 50,
            "{ brands(first: 100) { edges { node { id name } } } }",
            "complex",
        ),
    ];
    for (limit, query, refusal) in refusals {
        let app = spawn_app_with(limit).await;
        let body = app.gql(query, json!({})).await;
        assert!(error_message(&body).contains(refusal), "{body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    }
    // A page small enough stays within the complexity limit.
    let app = spawn_app_with(|s| s.max_complexity = 50).await;
    let fine = app
        .gql(
            "{ brands(first: 5) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    assert!(fine.get("errors").is_none(), "{fine}");
}

#[tokio::test]
async fn first_is_capped_at_100() {
    let app = spawn_app().await;
    for first in [101, -1] {
        let body = app
            .gql(
                "query($f: Int) { brands(first: $f) { edges { cursor } } }",
                json!({"f": first}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(error_message(&body).starts_with("first:"), "{body}");
    }
    let data = app
        .data("{ brands(first: 100) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(data["brands"]["edges"], json!([]));
}
