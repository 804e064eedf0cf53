//! Health, readiness, the playground, node lookups and migrations.
use migration::{Migrator, MigratorTrait};
use serde_json::json;

use crate::helpers::{error_code, error_message, spawn_app, unknown_id};

#[tokio::test]
async fn health_readiness_and_playground_need_no_token() {
    let app = spawn_app().await;
    for (path, needle) in [
        ("/healthz", "ok"),
        ("/readyz", "ready"),
        ("/graphql", "graphiql"),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
        let body = response.text().await.expect("body");
        assert!(body.to_lowercase().contains(needle), "{path}: {body}");
    }
}

#[tokio::test]
async fn node_resolves_every_entity_type_and_refuses_foreign_ids() {
    let app = spawn_app().await;
    let company = app.create_company("C").await;
    let account = app.create_account("A", Some(&company)).await;
    let ids = [
        (app.create_brand("B").await, "Brand"),
        (
            app.create_identity_provider("https://i").await,
            "IdentityProvider",
        ),
        (company, "Company"),
        (
            app.create_contact("c@example.com", &account).await,
            "Contact",
        ),
        (account, "Account"),
    ];
    for (id, type_name) in ids {
        let data = app
            .data(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(data["node"], json!({"__typename": type_name, "id": id}));
    }
    let body = app.gql("{ node(id: \"garbage\") { id } }", json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let another_type = json!({"id": unknown_id("Account")});
    let body = app
        .gql("query($id: ID!) { brand(id: $id) { id } }", another_type)
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(error_message(&body).contains("id"), "{body}");
}

#[tokio::test]
async fn migrations_rerun_as_a_no_op() {
    let app = spawn_app().await;
    app.create_brand("Kept").await;
    Migrator::up(&app.db, None).await.expect("second run");
    let pending = Migrator::get_pending_migrations(&app.db)
        .await
        .expect("status");
    assert!(pending.is_empty());
    let data = app
        .data("{ brands { edges { node { name } } } }", json!({}))
        .await;
    assert_eq!(data["brands"]["edges"], json!([{"node": {"name": "Kept"}}]));
}
