//! Every error case of the configuration mutations: a payload error naming the field,
//! echoing the value, and nothing written.
use serde_json::{Value, json};

use crate::helpers::{TestApp, only_error, spawn_app, unknown_id};

const CREATE: &str = "mutation($b: ID!, $i: ID!, $a: ID) { brands { createIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i, autoProvisionLearners: true, defaultAccountId: $a}) { brand { id } identityProviderConfiguration { id } errors { label message value code } } } }";
const UPDATE: &str = "mutation($b: ID!, $i: ID!, $a: ID) { brands { updateIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i, autoProvisionLearners: true, defaultAccountId: $a}) { brand { id } identityProviderConfiguration { id } errors { label message value code } } } }";
const DELETE: &str = "mutation($b: ID!, $i: ID!) { brands { deleteIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i}) { brand { id } errors { label message value code } } } }";

struct Fixture {
    app: TestApp,
    brand: String,
    idp: String,
    account: String,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let brand = app.create_brand("Brand").await;
    let idp = app.create_identity_provider("https://idp.example").await;
    let account = app.create_account("Account", None).await;
    Fixture {
        app,
        brand,
        idp,
        account,
    }
}

impl Fixture {
    /// Runs `mutation` and asserts one error with `label`, `code` and the echoed `value`,
    /// a null entity, and unchanged tables.
    async fn refused(&self, mutation: &str, vars: Value, label: &str, code: &str, value: &str) {
        let before = self.app.row_counts().await;
        let state_before = self.state().await;
        let data = self.app.data(mutation, vars.clone()).await;
        let payload = data["brands"]
            .as_object()
            .and_then(|o| o.values().next())
            .expect("payload");
        let error = only_error(payload);
        assert_eq!(error["label"], label, "{vars}: {payload}");
        assert_eq!(error["code"], code, "{vars}: {payload}");
        assert_eq!(error["value"], value, "{vars}: {payload}");
        assert!(!error["message"].as_str().unwrap_or_default().is_empty());
        assert_eq!(payload["brand"], json!(null));
        assert_eq!(self.app.row_counts().await, before, "{vars}");
        assert_eq!(self.state().await, state_before, "{vars}");
    }

    async fn state(&self) -> Value {
        self.app
            .data(
                "query($id: ID!) { brand(id: $id) { identityProviderConfigurations { autoProvisionLearners defaultAccount { id } updatedAt } } }",
                json!({"id": self.brand}),
            )
            .await
    }

    async fn create(&self, account: Option<&str>) {
        let data = self
            .app
            .data(
                CREATE,
                json!({"b": self.brand, "i": self.idp, "a": account}),
            )
            .await;
        assert_eq!(
            data["brands"]["createIdentityProviderConfiguration"]["errors"],
            json!([])
        );
    }
}

#[tokio::test]
async fn malformed_wrong_type_and_unknown_brand_ids_are_refused() {
    let f = fixture().await;
    for mutation in [CREATE, UPDATE] {
        for (brand, code) in [
            ("FIXME_BRAND_ID".to_owned(), "malformedId"),
            (f.account.clone(), "wrongType"),
            (unknown_id("Brand"), "notFound"),
        ] {
            let vars = json!({"b": brand, "i": f.idp, "a": f.account});
            f.refused(mutation, vars, "brandId", code, &brand).await;
        }
    }
    for (brand, code) in [
        ("not-an-id".to_owned(), "malformedId"),
        (f.idp.clone(), "wrongType"),
        (unknown_id("Brand"), "notFound"),
    ] {
        let vars = json!({"b": brand, "i": f.idp});
        f.refused(DELETE, vars, "brandId", code, &brand).await;
    }
}

#[tokio::test]
async fn malformed_and_unknown_identity_provider_ids_are_refused() {
    let f = fixture().await;
    for (idp, code) in [
        ("FIXME_IDP_ID".to_owned(), "malformedId"),
        (f.brand.clone(), "wrongType"),
        (unknown_id("IdentityProvider"), "notFound"),
    ] {
        let vars = json!({"b": f.brand, "i": idp, "a": f.account});
        f.refused(CREATE, vars, "identityProviderId", code, &idp)
            .await;
    }
}

#[tokio::test]
async fn malformed_and_unknown_default_accounts_are_refused() {
    let f = fixture().await;
    for mutation in [CREATE, UPDATE] {
        if mutation == UPDATE {
            f.create(Some(&f.account)).await;
        }
        for (account, code) in [
            ("FIXME_ACCOUNT_ID".to_owned(), "malformedId"),
            (f.brand.clone(), "wrongType"),
            (unknown_id("Account"), "notFound"),
        ] {
            let vars = json!({"b": f.brand, "i": f.idp, "a": account});
            f.refused(mutation, vars, "defaultAccountId", code, &account)
                .await;
        }
    }
}

#[tokio::test]
async fn every_problem_of_an_input_is_reported_at_once() {
    let f = fixture().await;
    let data = f
        .app
        .data(
            CREATE,
            json!({"b": "bad", "i": unknown_id("IdentityProvider"), "a": "worse"}),
        )
        .await;
    let labels: Vec<_> = data["brands"]["createIdentityProviderConfiguration"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["label"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        labels,
        ["brandId", "identityProviderId", "defaultAccountId"]
    );
}

#[tokio::test]
async fn creating_an_existing_configuration_is_refused() {
    let f = fixture().await;
    f.create(None).await;
    let vars = json!({"b": f.brand, "i": f.idp, "a": f.account});
    f.refused(CREATE, vars, "identityProviderId", "alreadyExists", &f.idp)
        .await;
}

#[tokio::test]
async fn updating_or_deleting_a_missing_configuration_is_refused() {
    let f = fixture().await;
    let vars = json!({"b": f.brand, "i": f.idp, "a": f.account});
    f.refused(UPDATE, vars, "identityProviderId", "notFound", &f.idp)
        .await;
    let vars = json!({"b": f.brand, "i": f.idp});
    f.refused(DELETE, vars, "identityProviderId", "notFound", &f.idp)
        .await;
}

#[tokio::test]
async fn explicit_null_clears_the_default_account_and_omission_keeps_it() {
    let f = fixture().await;
    f.create(Some(&f.account)).await;
    let default_account = |state: Value| {
        state["brand"]["identityProviderConfigurations"][0]["defaultAccount"].clone()
    };

    let omitted = "mutation($b: ID!, $i: ID!) { brands { updateIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i, autoProvisionLearners: false}) { errors { label } } } }";
    let data = f.app.data(omitted, json!({"b": f.brand, "i": f.idp})).await;
    assert_eq!(
        data["brands"]["updateIdentityProviderConfiguration"]["errors"],
        json!([])
    );
    let state = f.state().await;
    assert_eq!(default_account(state.clone()), json!({"id": f.account}));
    assert_eq!(
        state["brand"]["identityProviderConfigurations"][0]["autoProvisionLearners"],
        false
    );

    let cleared = "mutation($b: ID!, $i: ID!) { brands { updateIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i, defaultAccountId: null}) { errors { label } } } }";
    let data = f.app.data(cleared, json!({"b": f.brand, "i": f.idp})).await;
    assert_eq!(
        data["brands"]["updateIdentityProviderConfiguration"]["errors"],
        json!([])
    );
    assert_eq!(default_account(f.state().await), json!(null));
}

#[tokio::test]
async fn deleting_a_configuration_removes_it_from_the_brand() {
    let f = fixture().await;
    f.create(Some(&f.account)).await;
    let data = f.app.data(DELETE, json!({"b": f.brand, "i": f.idp})).await;
    assert_eq!(
        data["brands"]["deleteIdentityProviderConfiguration"],
        json!({"brand": {"id": f.brand}, "errors": []})
    );
    assert_eq!(
        f.state().await["brand"]["identityProviderConfigurations"],
        json!([])
    );
}
