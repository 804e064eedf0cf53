use serde_json::json;

use crate::helpers::{id_of, only_error, spawn_app};

/// The mutations of `seeds/000_*` (`OPERATION` is `create` or `update`), verbatim but for the
/// FIXME IDs.
const SEED: &str = r#"mutation OPERATION {
brands {
OPERATIONIdentityProviderConfiguration(input: {
brandId: "FIXME_BRAND_ID"
identityProviderId: "FIXME_IDP_ID"
autoProvisionLearners: true
defaultAccountId: "FIXME_ACCOUNT_ID"
}) {
brand { id }
errors { label message value }
}
}
}"#;

fn seed(operation: &str, brand: &str, idp: &str, account: &str) -> String {
    SEED.replace("OPERATION", operation)
        .replace("FIXME_BRAND_ID", brand)
        .replace("FIXME_IDP_ID", idp)
        .replace("FIXME_ACCOUNT_ID", account)
}

const BRAND_QUERY: &str = "query($id: ID!) { brand(id: $id) { id name identityProviderConfigurations {
    identityProvider { id } autoProvisionLearners defaultAccount { id name }
    updateAttributesOnLogin linkExistingContacts companyMatch defaultRole
    attributeMap { email firstName lastName companyName roles } roleMappings { providerRole role } } } }";

#[tokio::test]
async fn seed_mutations_run_verbatim_and_the_brand_shows_the_configuration() {
    let app = spawn_app().await;
    let brand = app.create_brand("Acme LMS").await;
    let idp = app.create_identity_provider("https://acme.okta.com").await;
    let first_account = app.create_account("Acme Training", None).await;
    let second_account = app.create_account("Acme Partners", None).await;

    let created = app
        .data(&seed("create", &brand, &idp, &first_account), json!({}))
        .await;
    let payload = &created["brands"]["createIdentityProviderConfiguration"];
    assert_eq!(payload, &json!({"brand": {"id": brand}, "errors": []}));

    let updated = app
        .data(&seed("update", &brand, &idp, &second_account), json!({}))
        .await;
    let payload = &updated["brands"]["updateIdentityProviderConfiguration"];
    assert_eq!(payload, &json!({"brand": {"id": brand}, "errors": []}));

    let data = app.data(BRAND_QUERY, json!({"id": brand})).await;
    assert_eq!(
        data["brand"]["identityProviderConfigurations"],
        json!([{
            "identityProvider": {"id": idp},
            "autoProvisionLearners": true,
            "defaultAccount": {"id": second_account, "name": "Acme Partners"},
            "updateAttributesOnLogin": false,
            "linkExistingContacts": true,
            "companyMatch": "exact",
            "defaultRole": "learner",
            "attributeMap": {"email": "email", "firstName": "given_name", "lastName": "family_name", "companyName": "company", "roles": "roles"},
            "roleMappings": [],
        }])
    );
}

#[tokio::test]
async fn jit_settings_are_saved_and_partially_updated() {
    let app = spawn_app().await;
    let brand = app.create_brand("B").await;
    let idp = app.create_identity_provider("https://idp.example").await;
    let create = r#"mutation($b: ID!, $i: ID!) { brands { createIdentityProviderConfiguration(input: {
        brandId: $b, identityProviderId: $i, updateAttributesOnLogin: true, linkExistingContacts: false,
        companyMatch: caseInsensitive, attributeMap: {email: "mail", roles: "UserType"}, defaultRole: "student",
        roleMappings: [{providerRole: "Staff", role: "instructor"}, {providerRole: "Faculty", role: "instructor"}]
    }) { identityProviderConfiguration { companyMatch defaultRole attributeMap { email firstName roles } roleMappings { providerRole role } } errors { label } } } }"#;
    let data = app.data(create, json!({"b": brand, "i": idp})).await;
    let cfg = &data["brands"]["createIdentityProviderConfiguration"];
    assert_eq!(cfg["errors"], json!([]));
    assert_eq!(
        cfg["identityProviderConfiguration"],
        json!({
            "companyMatch": "caseInsensitive",
            "defaultRole": "student",
            "attributeMap": {"email": "mail", "firstName": "given_name", "roles": "UserType"},
            "roleMappings": [{"providerRole": "Faculty", "role": "instructor"}, {"providerRole": "Staff", "role": "instructor"}],
        })
    );

    // Only attributeMap.firstName changes; everything omitted stays.
    let update = r#"mutation($b: ID!, $i: ID!) { brands { updateIdentityProviderConfiguration(input: {
        brandId: $b, identityProviderId: $i, attributeMap: {firstName: "FirstName"}
    }) { identityProviderConfiguration { linkExistingContacts defaultRole attributeMap { email firstName } roleMappings { providerRole } } errors { label } } } }"#;
    let data = app.data(update, json!({"b": brand, "i": idp})).await;
    assert_eq!(
        data["brands"]["updateIdentityProviderConfiguration"]["identityProviderConfiguration"],
        json!({
            "linkExistingContacts": false,
            "defaultRole": "student",
            "attributeMap": {"email": "mail", "firstName": "FirstName"},
            "roleMappings": [{"providerRole": "Faculty"}, {"providerRole": "Staff"}],
        })
    );
}

#[tokio::test]
async fn role_mappings_are_validated_on_save() {
    let app = spawn_app().await;
    let brand = app.create_brand("B").await;
    let idp = app.create_identity_provider("https://idp.example").await;
    let before = app.row_counts().await;
    let create = r#"mutation($b: ID!, $i: ID!) { brands { createIdentityProviderConfiguration(input: {
        brandId: $b, identityProviderId: $i,
        roleMappings: [{providerRole: "Staff", role: "instructor"}, {providerRole: "Staff", role: "learner"}]
    }) { identityProviderConfiguration { id } errors { label message value code } } } }"#;
    let data = app.data(create, json!({"b": brand, "i": idp})).await;
    let payload = &data["brands"]["createIdentityProviderConfiguration"];
    assert_eq!(payload["identityProviderConfiguration"], json!(null));
    let error = only_error(payload);
    assert_eq!(error["label"], "roleMappings[1].providerRole");
    assert_eq!(error["code"], "alreadyExists");
    assert_eq!(error["value"], "Staff");
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn brand_names_are_required_bounded_and_unique() {
    let app = spawn_app().await;
    app.create_brand("Acme").await;
    let before = app.row_counts().await;
    let mutation = "mutation($name: String!) { brands { create(input: {name: $name}) { brand { id } errors { label message value code } } } }";
    let long = "x".repeat(201);
    for (name, code) in [
        ("", "blank"),
        ("   ", "blank"),
        (long.as_str(), "tooLong"),
        ("Acme", "alreadyExists"),
        ("  Acme ", "alreadyExists"),
    ] {
        let data = app.data(mutation, json!({"name": name})).await;
        let payload = &data["brands"]["create"];
        assert_eq!(payload["brand"], json!(null), "{name:?}");
        let error = only_error(payload);
        assert_eq!(error["label"], "name");
        assert_eq!(error["code"], code, "{name:?}");
        assert_eq!(error["value"], name);
    }
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn renaming_a_brand_checks_uniqueness_against_others_only() {
    let app = spawn_app().await;
    let a = app.create_brand("A").await;
    app.create_brand("B").await;
    let mutation = "mutation($id: ID!, $name: String) { brands { update(input: {brandId: $id, name: $name}) { brand { id name } errors { label code } } } }";
    let data = app.data(mutation, json!({"id": a, "name": "B"})).await;
    assert_eq!(
        only_error(&data["brands"]["update"])["code"],
        "alreadyExists"
    );
    let data = app.data(mutation, json!({"id": a, "name": "A"})).await;
    assert_eq!(data["brands"]["update"]["brand"]["name"], "A");
    let data = app.data(mutation, json!({"id": a, "name": "A2"})).await;
    assert_eq!(id_of(&data["brands"]["update"], "brand"), a);
    assert_eq!(data["brands"]["update"]["brand"]["name"], "A2");
}

#[tokio::test]
async fn identity_provider_issuers_are_unique() {
    let app = spawn_app().await;
    app.create_identity_provider("https://login.example.com")
        .await;
    let before = app.row_counts().await;
    let data = app
        .data(
            r#"mutation { identityProviders { create(input: {name: "Other", protocol: saml, issuer: "https://login.example.com"}) { identityProvider { id } errors { label value code } } } }"#,
            json!({}),
        )
        .await;
    let error = only_error(&data["identityProviders"]["create"]);
    assert_eq!(
        error,
        &json!({"label": "issuer", "value": "https://login.example.com", "code": "alreadyExists"})
    );
    assert_eq!(app.row_counts().await, before);
}
