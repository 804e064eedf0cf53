//! Request limits: depth, complexity, page size, batches, body size.
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn batched_requests_are_refused() {
    let app = spawn_app().await;
    let query = json!({"query": "{ brands { pageInfo { totalRecords } } }"});
    let (status, body) = app
        .post_graphql(Some(&app.owner_token), &json!([query, query]))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("batched")
    );
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_with_json_errors() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1024).await;
    let big = json!({"query": format!("{{ brands {{ pageInfo {{ totalRecords }} }} }} #{}", "x".repeat(2000))});
    let (status, body) = app.post_graphql(Some(&app.owner_token), &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");

    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.owner_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn deep_and_complex_queries_are_refused() {
    let app = spawn_app_with(|s| s.max_depth = 4).await;
    let deep = app
        .gql(
            "{ brands { edges { node { identityProviderConfigurations { defaultAccount { company { id } } } } } } }",
            json!({}),
        )
        .await;
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deep"),
        "{deep}"
    );
    assert_eq!(code(&deep), "GRAPHQL_VALIDATION_FAILED");
    let app = spawn_app_with(|s| s.max_complexity = 50).await;
    let complex = app
        .gql(
            "{ brands(first: 100) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    assert!(
        complex["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("complex"),
        "{complex}"
    );
    assert_eq!(code(&complex), "GRAPHQL_VALIDATION_FAILED");
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
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("first:")
        );
    }
    let data = app
        .data("{ brands(first: 100) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(data["brands"]["edges"], json!([]));
}
