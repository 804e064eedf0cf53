//! An overloaded service answers honestly (issue 23, item 4): a request that cannot get a
//! database connection in time, or is not answered within the request deadline once received,
//! is a 503 with `Retry-After` on GraphQL and SCIM, never a 500; the request that held the
//! connection still completes, and nothing is left half done.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};
use serde_json::{Value, json};

use crate::{
    helpers::{ScimClient, TestApp, spawn_app_with},
    sso::Portal,
};

/// Holds the write lock on the `brand` table from outside the server, so that the server's
/// next brand insert waits while holding its pooled connection: on SQLite the database's one
/// write lock (`BEGIN IMMEDIATE`), on PostgreSQL a table lock that lets reads through.
struct Blocker(DatabaseTransaction);

impl Blocker {
    async fn hold(app: &TestApp) -> Self {
        let txn = autoprov::db::begin(&app.db).await.expect("begin");
        if app.db.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared("LOCK TABLE brand IN EXCLUSIVE MODE")
                .await
                .expect("lock brand");
        }
        Self(txn)
    }

    async fn release(self) {
        self.0.rollback().await.expect("rollback");
    }
}

const CREATE_BRAND: &str = "mutation($name: String!) { brands { create(input: {name: $name}) { brand { id } errors { label message } } } }";

/// A brand insert that will wait on the [`Blocker`]; its answer, once it comes.
fn stuck_insert(
    app: &TestApp,
    name: &str,
) -> tokio::task::JoinHandle<(u16, Option<String>, Value)> {
    let request = app
        .request(Some(&app.owner_token))
        .json(&json!({"query": CREATE_BRAND, "variables": {"name": name}}));
    tokio::spawn(answer(request))
}

/// A GraphQL read: status, `Retry-After` and body.
async fn read_brands(app: &TestApp) -> (u16, Option<String>, Value) {
    let request = app
        .request(Some(&app.owner_token))
        .json(&json!({"query": "{ brands(first: 5) { edges { node { name } } } }"}));
    answer(request).await
}

/// Status, `Retry-After` and body (JSON, or the text as a string).
async fn answer(request: reqwest::RequestBuilder) -> (u16, Option<String>, Value) {
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let text = response.text().await.expect("body");
    (
        status,
        retry_after,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn brand_names(app: &TestApp) -> Vec<String> {
    let (status, _, body) = read_brands(app).await;
    assert_eq!(status, 200, "{body}");
    let mut names: Vec<String> = body["data"]["brands"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_request_that_gets_no_connection_in_time_is_told_when_to_retry() {
    let app = spawn_app_with(|s| {
        s.db_max_connections = 1;
        s.db_acquire_timeout_seconds = 1;
    })
    .await;
    let p = Portal::on(app, json!({})).await;
    let scim_token = p.app.create_scim_token(&p.brand, &p.idp).await;
    let scim = ScimClient::new(&p.app, Some(&scim_token));
    assert_eq!(scim.get("/Users").await.0, 200);

    let blocker = Blocker::hold(&p.app).await;
    let stuck = stuck_insert(&p.app, "Waited");

    // Once the pool's one connection waits on the lock, a GraphQL read gets none within 1 s.
    // (A read may still be served before the insert takes the connection.)
    let mut read = read_brands(&p.app).await;
    for _ in 0..20 {
        if read.0 != 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        read = read_brands(&p.app).await;
    }
    let (status, retry_after, body) = read;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry_after.as_deref(), Some("2"), "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert_eq!(error["extensions"]["retryAfter"], 2, "{body}");
    assert_eq!(
        error["message"], "the service is busy; retry after 2 s",
        "{body}"
    );

    // SCIM says it in a SCIM error message.
    let (status, headers, body) = scim.get("/Users").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(headers["content-type"], "application/scim+json");
    assert_eq!(body["status"], "503", "{body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );

    // The request that held the connection completes once the lock is gone.
    blocker.release().await;
    let (status, _, out) = stuck.await.expect("join");
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["data"]["brands"]["create"]["errors"],
        json!([]),
        "{out}"
    );
    assert_eq!(brand_names(&p.app).await, ["Portal", "Waited"]);
    assert_eq!(scim.get("/Users").await.0, 200);
}

#[tokio::test]
async fn a_request_received_whole_but_not_answered_in_time_is_told_when_to_retry() {
    // Long enough that the test's other requests never meet it on a busy machine.
    let app = spawn_app_with(|s| s.request_timeout_seconds = 3).await;
    app.create_brand("Before").await;
    let blocker = Blocker::hold(&app).await;
    let (status, retry_after, out) = stuck_insert(&app, "Abandoned").await.expect("join");
    assert_eq!(status, 503, "{out}");
    assert_eq!(retry_after.as_deref(), Some("2"));
    assert_eq!(
        out,
        Value::String("the server could not answer in time; retry after 2 s".into())
    );
    blocker.release().await;

    // The abandoned insert left nothing behind, and the pool serves on.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(brand_names(&app).await, ["Before"]);
    let (status, _, out) = stuck_insert(&app, "After").await.expect("join");
    assert_eq!(status, 200, "{out}");
    assert_eq!(brand_names(&app).await, ["After", "Before"]);
}
