//! Administrators provisioned by rules from employee files (PRODUCT §7). Validation and
//! authorization here; rules and conflicts in `rules`, hand-overs in `handover`, syncs in
//! `sync`, manual administrators in `manual`, SSO sign-in in `sso`.
mod handover;
mod manual;
mod owner_files;
mod readme;
mod rules;
mod sso;
mod support;
mod sync;
mod tokens;
mod trust;

use serde_json::{Value, json};

use self::support::*;
use crate::helpers::{TestApp, error_code, only_error, spawn_app};

#[tokio::test]
async fn rule_inputs_are_validated_field_by_field() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    let before = admin_table_counts(&app).await;
    let labels = |payload: &Value| -> Vec<(String, String)> {
        assert_eq!(payload["rule"], Value::Null, "{payload}");
        payload["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["label"].as_str().unwrap_or_default().to_owned(),
                    e["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let pair = |l: &str, c: &str| (l.to_owned(), c.to_owned());
    let payload = create_rule_payload(&app, "None", json!([]), "owner").await;
    assert_eq!(labels(&payload), [pair("conditions", "blank")]);
    let payload = create_rule_payload(
        &app,
        "Bad",
        json!([
            cond(" ", "eq", "x"),
            {"field": "department", "operation": "in", "values": []},
            cond("isManager", "eq", "yes"),
            {"field": "department", "operation": "eq"},
            cond("location", "eq", "Paris"),
        ]),
        "owner",
    )
    .await;
    assert_eq!(
        labels(&payload),
        [
            pair("conditions.0.field", "blank"),
            pair("conditions.1.values", "blank"),
            pair("conditions.2.value", "invalid"),
            pair("conditions.3.value", "blank"),
        ]
    );
    let payload = create_rule_payload(
        &app,
        " sales ",
        json!([cond("location", "eq", "Paris")]),
        "owner",
    )
    .await;
    let error = only_error(&payload);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("name"), &json!("alreadyExists")),
        "{payload}"
    );
    assert_eq!(admin_table_counts(&app).await, before);

    // Wrong-type IDs name their field.
    let payload = update_rule(
        &app,
        json!({"ruleId": unknown_admin_id(&app).await, "name": "X"}),
    )
    .await;
    let error = only_error(&payload);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("ruleId"), &json!("wrongType")),
        "{payload}"
    );
    let data = app
        .data(
            &with_sync(APPLY),
            json!({"id": unknown_admin_id(&app).await}),
        )
        .await;
    let error = only_error(&data["employeeSyncs"]["apply"]);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("employeeSyncId"), &json!("wrongType"))
    );
}

/// The ID of a (new, manual) administrator: an ID of the wrong type for rules and syncs.
async fn unknown_admin_id(app: &TestApp) -> String {
    let n = admin_table_counts(app).await[0].1;
    let input = json!({"email": format!("wrong{n}@example.com"), "firstName": "W", "lastName": "T", "role": "auditor"});
    let data = app.data(CREATE_ADMIN, json!({"input": input})).await;
    data["administrators"]["create"]["administrator"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

const CREATE_RULE_ID: &str = "mutation($input: CreateAdminProvisioningRuleInput!) {
    adminProvisioningRules { create(input: $input) { rule { id } errors { code } } } }";

#[tokio::test]
async fn only_owners_manage_rules_and_administrators_and_auditors_cannot_import() {
    let app = spawn_app().await;
    let support = app.create_token("support").await;
    let auditor = app.create_token("auditor").await;
    let before = admin_table_counts(&app).await;
    let rule = json!({"input": {"name": "R", "conditions": [cond("department", "eq", "Sales")], "role": "owner"}});
    let person = json!({"input": {"email": "a@example.com", "firstName": "A", "lastName": "B", "role": "owner"}});
    for token in [&support, &auditor] {
        let body = app.gql_as(token, CREATE_RULE_ID, rule.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        let body = app.gql_as(token, CREATE_ADMIN, person.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
    let file = csv(&[employee("E1", "Sales")]);
    let body = app
        .gql_as(
            &auditor,
            "mutation($f: String!) { employeeSyncs { import(input: {file: $f}) { employeeSync { id } } } }",
            json!({"f": file}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(admin_table_counts(&app).await, before);
    // Support sends files; the auditor reads what they did.
    let payload = import_payload(&app, &support, &file, false).await;
    assert_eq!(payload["employeeSync"]["status"], "applied", "{payload}");
    let body = app
        .gql_as(
            &auditor,
            "{ employeeSyncs(first: 1) { edges { node { id actor status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["employeeSyncs"]["edges"][0]["node"]["id"], payload["employeeSync"]["id"],
        "{body}"
    );
}
