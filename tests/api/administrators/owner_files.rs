//! "A sync never gives anyone more than its sender has" (PRODUCT §7): a file sent with a
//! support token that would create, reactivate, promote to, or change the email or names of,
//! an owner administrator is held (`needsOwner`), changes nothing, and only an owner may apply
//! it, through every door (`POST /employee-files`, `employeeSyncs.import`, `apply`).
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Everyone in Exec is an owner, everyone in Sales support.
async fn owner_and_support_rules(app: &TestApp) {
    create_rule(
        app,
        "Exec",
        json!([cond("department", "eq", "Exec")]),
        "owner",
    )
    .await;
    create_rule(
        app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
}

/// `POST /employee-files` of `file` with `token`: the status and the recorded sync.
async fn post_file(app: &TestApp, token: &str, file: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/employee-files", app.address))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(file.to_owned())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON");
    (status, body["employeeSync"].clone())
}

/// The `employeeSyncs.apply` payload of sync `id`, applied with `token`.
async fn apply_as(app: &TestApp, token: &str, id: &Value) -> Value {
    let body = app
        .gql_as(token, &with_sync(APPLY), json!({"id": id}))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["employeeSyncs"]["apply"].clone()
}

/// Asserts that `sync` is held for an owner, and that it names the employee in its reason.
fn assert_needs_owner(sync: &Value, employee: &str) {
    assert_eq!(sync["status"], "held", "{sync}");
    assert_eq!(sync["holdReason"], "needsOwner", "{sync}");
    let reason = sync["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(employee) && reason.contains("owner"),
        "{sync}"
    );
}

#[tokio::test]
async fn a_support_file_that_would_create_an_owner_is_held_for_an_owner_at_every_door() {
    let app = spawn_app().await;
    owner_and_support_rules(&app).await;
    let support = app.create_token("support").await;
    let file = csv(&[employee("E1", "Exec"), employee("E2", "Sales")]);
    let before = admin_table_counts(&app).await;

    // POST /employee-files: 202, held, nothing created.
    let (status, held) = post_file(&app, &support, &file).await;
    assert_eq!(status, 202, "{held}");
    assert_eq!(held["holdReason"], "needsOwner", "{held}");
    assert_eq!(held["status"], "held", "{held}");
    assert_eq!(rule_admins(&app).await, []);
    // GraphQL: the same.
    let payload = import_payload(&app, &support, &file, false).await;
    assert_needs_owner(&payload["employeeSync"], "E1");
    assert_eq!(rule_admins(&app).await, []);
    assert_eq!(
        admin_table_counts(&app).await,
        plus(before, "employee_sync", 2),
        "holding wrote only the two sync records"
    );
    let held = &payload["employeeSync"]["id"];

    // Support may not apply it, an owner may.
    let refused = apply_as(&app, &support, held).await;
    assert_eq!(refused["employeeSync"], Value::Null, "{refused}");
    assert_eq!(refused["errors"][0]["label"], "employeeSyncId", "{refused}");
    assert_eq!(refused["errors"][0]["code"], "denied", "{refused}");
    assert_eq!(rule_admins(&app).await, []);
    let applied = apply_as(&app, &app.owner_token, held).await;
    assert_eq!(applied["errors"], json!([]), "{applied}");
    assert_eq!(applied["employeeSync"]["status"], "applied", "{applied}");
    assert_eq!(
        rule_admins(&app).await,
        [
            admin("E1", "owner", "active"),
            admin("E2", "support", "active")
        ]
    );

    // A file that gives no more than support has is applied as before, and a dry run is one.
    let more = csv(&[
        employee("E1", "Exec"),
        employee("E2", "Sales"),
        employee("E3", "Sales"),
    ]);
    let dry = import_payload(&app, &support, &more, true).await;
    assert_eq!(dry["employeeSync"]["status"], "dryRun", "{dry}");
    let (status, sync) = post_file(&app, &support, &more).await;
    assert_eq!(
        (status, &sync["status"]),
        (200, &json!("applied")),
        "{sync}"
    );
    assert_eq!(sync["holdReason"], Value::Null, "{sync}");
}

#[tokio::test]
async fn support_may_not_promote_reactivate_or_readdress_an_owner_through_a_file() {
    let app = spawn_app_with(|s| s.max_deactivation_percent = 100).await;
    owner_and_support_rules(&app).await;
    let support = app.create_token("support").await;
    let everyone = [
        employee("E1", "Exec"),
        employee("E2", "Sales"),
        employee("E3", "Exec"),
    ];
    import_applied(&app, &csv(&everyone)).await;
    // E3 leaves (the owner's file).
    import_applied(&app, &csv(&everyone[..2])).await;
    let start = rule_admins(&app).await;
    assert_eq!(
        start,
        [
            admin("E1", "owner", "active"),
            admin("E2", "support", "active"),
            admin("E3", "owner", "inactive")
        ]
    );
    let e1_email = admin_of(&app, "E1").await["email"].clone();
    for (file, employee_id) in [
        // E1's email changes: the next adminSignIn with the new address would be an owner's.
        (
            csv(&[
                employee("E1", "Exec").email("mallory@example.com"),
                employee("E2", "Sales"),
            ]),
            "E1",
        ),
        // E2 moves to Exec: a promotion to owner.
        (csv(&[employee("E1", "Exec"), employee("E2", "Exec")]), "E2"),
        // E3 comes back: an owner reactivated.
        (csv(&everyone), "E3"),
    ] {
        let payload = import_payload(&app, &support, &file, false).await;
        assert_needs_owner(&payload["employeeSync"], employee_id);
        assert_eq!(rule_admins(&app).await, start, "{payload}");
        assert_eq!(admin_of(&app, "E1").await["email"], e1_email);
    }
    // Support's own kind of change goes through: E2's (a support administrator's) new email.
    let payload = import_payload(
        &app,
        &support,
        &csv(&[
            employee("E1", "Exec"),
            employee("E2", "Sales").email("bob@example.com"),
        ]),
        false,
    )
    .await;
    assert_eq!(payload["employeeSync"]["status"], "applied", "{payload}");
    assert_eq!(admin_of(&app, "E2").await["email"], "bob@example.com");
}
