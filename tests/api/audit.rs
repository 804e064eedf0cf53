//! The audit log: every admin change says who made it, through which mutation, to what, and
//! which fields changed; written with the change or not at all; secrets never.
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, error_code, spawn_app},
    sso::Portal,
};

const EVENT: &str = "occurredAt actorName actorTokenId operation entityType entityId
    brand { id } changes { field before after }";

async fn log(app: &TestApp, filters: Value) -> Vec<Value> {
    let query = format!(
        "query($f: [AuditEventFilter!]) {{ auditEvents(first: 100, filters: $f) {{ edges {{ node {{ {EVENT} }} }} }} }}"
    );
    let data = app.data(&query, json!({"f": filters})).await;
    data["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn change<'a>(event: &'a Value, field: &str) -> &'a Value {
    event["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["field"] == field))
        .unwrap_or(&Value::Null)
}

/// "Who turned auto-provisioning off for this brand, and when?"
#[tokio::test]
async fn support_staff_can_tell_who_turned_auto_provisioning_off_and_when() {
    let p = Portal::new(json!({})).await;
    let support = p.app.create_token("support").await;
    let support_id = p
        .app
        .data("{ apiTokens(first: 10, filters: [{field: role, operation: eq, value: \"support\"}]) { edges { node { id name } } } }", json!({}))
        .await["apiTokens"]["edges"][0]["node"]
        .clone();
    let mutation = "mutation($input: IdentityProviderConfigurationInput!) { brands { updateIdentityProviderConfiguration(input: $input) { errors { label } } } }";
    let body = p
        .app
        .gql_as(
            &support,
            mutation,
            json!({"input": {"brandId": p.brand, "identityProviderId": p.idp, "autoProvisionLearners": false}}),
        )
        .await;
    assert_eq!(
        body["data"]["brands"]["updateIdentityProviderConfiguration"]["errors"],
        json!([]),
        "{body}"
    );

    let query =
        format!("query($id: ID!) {{ brand(id: $id) {{ auditEvents(first: 5) {{ {EVENT} }} }} }}");
    let events = p.app.data(&query, json!({"id": p.brand})).await["brand"]["auditEvents"].clone();
    let newest = &events[0];
    assert_eq!(
        newest["operation"], "brands.updateIdentityProviderConfiguration",
        "{events}"
    );
    assert_eq!(newest["actorName"], support_id["name"]);
    assert_eq!(newest["actorTokenId"], support_id["id"]);
    assert_eq!(newest["entityType"], "identityProviderConfiguration");
    assert_eq!(newest["brand"]["id"], p.brand);
    assert!(
        newest["occurredAt"]
            .as_str()
            .is_some_and(|t| t.starts_with("20"))
    );
    assert_eq!(
        newest["changes"],
        json!([{"field": "autoProvisionLearners", "before": true, "after": false}]),
        "only what changed"
    );
    // The creation before it, by the owner, with every field it set.
    let created = &events[1];
    assert_eq!(
        created["operation"],
        "brands.createIdentityProviderConfiguration"
    );
    assert_eq!(change(created, "autoProvisionLearners")["after"], true);
    assert_eq!(
        change(created, "autoProvisionLearners")["before"],
        Value::Null
    );
    assert_eq!(
        change(created, "identityProviderId")["after"],
        p.idp,
        "references are global IDs"
    );
    // A create lists what it set, never a field left null (null → null).
    assert_eq!(
        change(created, "defaultAccountId"),
        &Value::Null,
        "{created}"
    );
    for field in created["changes"].as_array().expect("changes") {
        assert!(!field["after"].is_null(), "{created}");
    }
}

#[tokio::test]
async fn the_log_filters_by_entity_type_actor_and_time_newest_first() {
    let app = spawn_app().await;
    let started = chrono::Utc::now().to_rfc3339();
    let company = app.create_company("Acme").await;
    let account = app.create_account("Acme Training", Some(&company)).await;
    app.data(
        "mutation($id: ID!) { companies { update(input: {companyId: $id, name: \"Acme Corp\"}) { errors { label } } } }",
        json!({"id": company}),
    )
    .await;
    let of_company = log(
        &app,
        json!([{"field": "entityId", "operation": "eq", "value": company}]),
    )
    .await;
    let operations: Vec<&Value> = of_company.iter().map(|e| &e["operation"]).collect();
    assert_eq!(
        operations,
        [&json!("companies.update"), &json!("companies.create")]
    );
    assert_eq!(
        of_company[0]["changes"],
        json!([{"field": "name", "before": "Acme", "after": "Acme Corp"}])
    );
    let accounts = log(
        &app,
        json!([{"field": "entityType", "operation": "eq", "value": "account"}]),
    )
    .await;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["entityId"], account);
    assert_eq!(change(&accounts[0], "companyId")["after"], company);
    let since = log(
        &app,
        json!([{"field": "occurredAt", "operation": "gt", "value": started}]),
    )
    .await;
    assert_eq!(since.len(), 3);
    let owner_id = app
        .data(
            "{ apiTokens(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await["apiTokens"]["edges"][0]["node"]["id"]
        .clone();
    let by_owner = log(
        &app,
        json!([{"field": "actorTokenId", "operation": "eq", "value": owner_id}]),
    )
    .await;
    assert_eq!(by_owner.len(), 3);
    let refused = app
        .gql("{ auditEvents(filters: [{field: entityType, operation: eq, value: \"Planet\"}]) { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
}

#[tokio::test]
async fn refused_and_empty_changes_write_nothing_and_secrets_are_never_recorded() {
    let app = spawn_app().await;
    let brand = app.create_brand("Acme").await;
    let before = app.row_count("audit_event").await;
    // Refused (the name is taken): no change, no event.
    let out = app
        .data(
            "mutation { brands { create(input: {name: \"Acme\"}) { errors { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["brands"]["create"]["errors"][0]["code"],
        "alreadyExists"
    );
    // An update that changes nothing: no event.
    app.data(
        "mutation($id: ID!) { brands { update(input: {brandId: $id, name: \"Acme\"}) { errors { code } } } }",
        json!({"id": brand}),
    )
    .await;
    assert_eq!(app.row_count("audit_event").await, before);

    let secret = app.create_token("auditor").await;
    let tokens = log(
        &app,
        json!([{"field": "entityType", "operation": "eq", "value": "apiToken"}]),
    )
    .await;
    assert_eq!(tokens[0]["operation"], "apiTokens.create");
    let fields: Vec<&Value> = tokens[0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| &c["field"])
        .collect();
    assert!(!fields.contains(&&json!("secretHash")), "{fields:?}");
    let everything = serde_json::to_string(&log(&app, json!([])).await).expect("json");
    assert!(!everything.contains(&secret[4..20]), "no part of a secret");
}

#[tokio::test]
async fn a_deleted_brand_keeps_its_history_and_portal_tokens_cannot_read_it() {
    let p = Portal::new(json!({})).await;
    let (portal, _) = p.portal_token().await;
    let body = p
        .app
        .gql_as(
            &portal,
            "{ auditEvents { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let brand = p.app.create_brand("Short-lived").await;
    p.app
        .data(
            "mutation($id: ID!) { brands { delete(input: {brandId: $id}) { errors { code } } } }",
            json!({"id": brand}),
        )
        .await;
    let events = log(
        &p.app,
        json!([{"field": "entityId", "operation": "eq", "value": brand}]),
    )
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["operation"], "brands.delete");
    assert_eq!(events[0]["brand"], Value::Null, "the brand is gone");
    assert_eq!(change(&events[0], "name")["before"], "Short-lived");
    assert_eq!(change(&events[0], "name")["after"], Value::Null);
}
