use serde_json::json;

use crate::helpers::{only_error, spawn_app};

const CREATE: &str = "mutation($email: String!, $a: ID!, $first: String!) { contacts { create(input: {firstName: $first, lastName: \"L\", email: $email, accountId: $a}) { contact { id } errors { label code value } } } }";

#[tokio::test]
async fn a_contact_shows_its_account_status_roles_and_credentials() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let account = app.create_account("Acme", Some(&company)).await;
    let contact = app.create_contact("ada@example.com", &account).await;
    let query = "query($id: ID!) { contact(id: $id) { id email firstName lastName status roles account { id name isIndividual company { id } } credentials { subject } } }";
    let data = app.data(query, json!({"id": contact})).await;
    assert_eq!(
        data["contact"],
        json!({
            "id": contact, "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
            "status": "active", "roles": ["learner"],
            "account": {"id": account, "name": "Acme", "isIndividual": false, "company": {"id": company}},
            "credentials": [],
        })
    );
}

#[tokio::test]
async fn emails_are_unique_case_insensitively_and_validated() {
    let app = spawn_app().await;
    let account = app.create_account("A", None).await;
    app.create_contact("Ada@Example.com", &account).await;
    let before = app.row_counts().await;
    for (email, code) in [
        ("ada@example.COM", "alreadyExists"),
        ("ADA@EXAMPLE.COM", "alreadyExists"),
        ("not-an-email", "invalid"),
        ("", "blank"),
    ] {
        let data = app
            .data(CREATE, json!({"email": email, "a": account, "first": "B"}))
            .await;
        let error = only_error(&data["contacts"]["create"]);
        assert_eq!(
            error,
            &json!({"label": "email", "code": code, "value": email})
        );
    }
    let data = app
        .data(
            CREATE,
            json!({"email": "x@example.com", "a": "bad", "first": ""}),
        )
        .await;
    let labels: Vec<_> = data["contacts"]["create"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["label"].clone())
        .collect();
    assert_eq!(labels, [json!("firstName"), json!("accountId")]);
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn contacts_can_be_deactivated_and_edited() {
    let app = spawn_app().await;
    let account = app.create_account("A", None).await;
    let contact = app.create_contact("ada@example.com", &account).await;
    // Deactivated, its email recased, its roles replaced, and moved to another account.
    let other = app.create_account("B", None).await;
    let data = app
        .data(
            "mutation($id: ID!, $a: ID!) { contacts { update(input: {contactId: $id, status: inactive, email: \"ADA@example.com\", accountId: $a, roles: [\"learner\", \"manager\"]}) { contact { id status email roles account { id } } errors { label } } } }",
            json!({"id": contact, "a": other}),
        )
        .await;
    assert_eq!(
        data["contacts"]["update"],
        json!({"contact": {"id": contact, "status": "inactive", "email": "ADA@example.com", "roles": ["learner", "manager"], "account": {"id": other}}, "errors": []})
    );
    let bad_role = "mutation($id: ID!) { contacts { update(input: {contactId: $id, roles: [\"has space\"]}) { contact { id } errors { label code } } } }";
    let data = app.data(bad_role, json!({"id": contact})).await;
    assert_eq!(
        only_error(&data["contacts"]["update"]),
        &json!({"label": "roles[0]", "code": "invalid"})
    );
}

#[tokio::test]
async fn admin_changes_of_a_contact_are_in_its_provisioning_log_as_source_admin() {
    let app = spawn_app().await;
    let account = app.create_account("A", None).await;
    let contact = app.create_contact("grace@example.com", &account).await;
    let update = "mutation($id: ID!, $status: ContactStatus, $first: String) { contacts { update(input: {contactId: $id, status: $status, firstName: $first}) { errors { message } } } }";
    for variables in [
        json!({"id": contact, "status": "inactive"}),
        json!({"id": contact, "status": "active"}),
        json!({"id": contact, "first": "Grace"}),
        // The same name again: nothing changes, nothing is logged.
        json!({"id": contact, "first": "Grace"}),
    ] {
        let data = app.data(update, variables).await;
        assert_eq!(data["contacts"]["update"]["errors"], json!([]));
    }
    let events = app
        .data(
            "query($id: ID!) { contact(id: $id) { provisioningEvents { outcome source subject changedAttributes reason } } }",
            json!({"id": contact}),
        )
        .await;
    let events = events["contact"]["provisioningEvents"]
        .as_array()
        .expect("events");
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["source"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first.
    assert_eq!(
        seen,
        [
            ("updated", "admin"),
            ("reactivated", "admin"),
            ("deactivated", "admin"),
            ("created", "admin"),
        ]
    );
    assert_eq!(events[0]["changedAttributes"], json!(["firstName"]));
    assert_eq!(events[3]["subject"], "grace@example.com");
    assert!(
        events[1]["reason"]
            .as_str()
            .unwrap()
            .contains("contacts.update"),
        "{}",
        events[1]["reason"]
    );
    let by_source = app
        .data(
            "{ provisioningEvents(filters: [{field: source, operation: eq, value: \"admin\"}]) { pageInfo { totalRecords } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        by_source["provisioningEvents"]["pageInfo"]["totalRecords"],
        4
    );
}
