//! Deletes refuse, with a payload error, whatever would orphan data.
use serde_json::json;

use crate::helpers::{assert_contains, only_error, spawn_app};

#[tokio::test]
async fn referenced_entities_cannot_be_deleted_until_freed() {
    let app = spawn_app().await;
    let brand = app.create_brand("B").await;
    let idp = app.create_identity_provider("https://idp.example").await;
    let company = app.create_company("C").await;
    let account = app.create_account("A", Some(&company)).await;
    app.data(
        "mutation($b: ID!, $i: ID!, $a: ID) { brands { createIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i, defaultAccountId: $a}) { errors { label } } } }",
        json!({"b": brand, "i": idp, "a": account}),
    )
    .await;
    let before = app.row_counts().await;

    let attempts = [
        ("brands", "brandId", &brand),
        ("identityProviders", "identityProviderId", &idp),
        ("companies", "companyId", &company),
        ("accounts", "accountId", &account),
    ];
    for (namespace, label, id) in attempts {
        let mutation = format!(
            "mutation($id: ID!) {{ {namespace} {{ delete(input: {{{label}: $id}}) {{ errors {{ label code value message }} }} }} }}"
        );
        let data = app.data(&mutation, json!({"id": id})).await;
        let error = only_error(&data[namespace]["delete"]);
        assert_eq!(error["label"], label);
        assert_eq!(error["code"], "inUse");
        assert_eq!(&error["value"], &json!(id));
        assert_contains(&error["message"], "referenced");
    }
    assert_eq!(app.row_counts().await, before);

    // Free them in dependency order; each delete then succeeds.
    app.data(
        "mutation($b: ID!, $i: ID!) { brands { deleteIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i}) { errors { label } } } }",
        json!({"b": brand, "i": idp}),
    )
    .await;
    for (namespace, label, id) in [
        ("brands", "brandId", &brand),
        ("identityProviders", "identityProviderId", &idp),
        ("accounts", "accountId", &account),
        ("companies", "companyId", &company),
    ] {
        let mutation = format!(
            "mutation($id: ID!) {{ {namespace} {{ delete(input: {{{label}: $id}}) {{ errors {{ label code }} }} }} }}"
        );
        let data = app.data(&mutation, json!({"id": id})).await;
        assert_eq!(
            data[namespace]["delete"]["errors"],
            json!([]),
            "{namespace}"
        );
    }
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": brand}),
        )
        .await;
    assert_eq!(data["node"], json!(null));
}

#[tokio::test]
async fn an_account_with_contacts_cannot_be_deleted() {
    let app = spawn_app().await;
    let account = app.create_account("A", None).await;
    app.create_contact("a@example.com", &account).await;
    let data = app
        .data(
            "mutation($id: ID!) { accounts { delete(input: {accountId: $id}) { account { id } errors { code message } } } }",
            json!({"id": account}),
        )
        .await;
    let error = only_error(&data["accounts"]["delete"]);
    assert_eq!(error["code"], "inUse");
    assert_contains(&error["message"], "1 contacts");
}
