//! Seed 003, Brightspace's JIT provisioning: "Update attributes on login" apart from "Update
//! role on login", the Username and OrgDefinedId of its attribute map, and the User/Name ID
//! mapping (`matchBy`), through the sign-in hook on a real database.
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, only_error, spawn_app},
    sso::Portal,
};

const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id email firstName roles username orgDefinedId } outcome changedAttributes
    denialReason errors { label message value code } } } }";

const SETTINGS: &str = "query($id: ID!) { brand(id: $id) { identityProviderConfigurations {
    updateAttributesOnLogin updateRolesOnLogin matchBy
    attributeMap { email firstName lastName username orgDefinedId roles } } } }";

const SAVE: &str = "mutation($input: IdentityProviderConfigurationInput!) { brands {
    updateIdentityProviderConfiguration(input: $input) {
    identityProviderConfiguration { matchBy attributeMap { username orgDefinedId } }
    errors { label message value code } } } }";

/// The attribute map of seed 003's table: Brightspace attribute ← SAML statement attribute.
fn seed_003_map() -> Value {
    json!({"attributeMap": {
        "firstName": "FirstName", "lastName": "LastName", "username": "Username",
        "orgDefinedId": "UserId", "email": "Email", "roles": "UserType"
    }, "roleMappings": [{"providerRole": "Instructor", "role": "instructor"}]})
}

/// Claims as the seed's identity provider states them.
fn statement(email: &str, username: &str, user_id: &str, user_type: &str) -> Value {
    json!({"FirstName": "Ada", "LastName": "Lovelace", "Username": username,
           "UserId": user_id, "Email": email, "UserType": user_type})
}

async fn sign_in(p: &Portal, subject: &str, claims: Value) -> Value {
    p.raw(&p.app.owner_token, SIGN_IN, p.input(subject, claims))
        .await
}

async fn settings(p: &Portal) -> Value {
    let data = p.app.data(SETTINGS, json!({"id": p.brand})).await;
    data["brand"]["identityProviderConfigurations"][0].clone()
}

/// Saves `settings` over the configuration; the payload.
async fn save(p: &Portal, settings: Value) -> Value {
    let mut input = json!({"brandId": p.brand, "identityProviderId": p.idp});
    if let (Some(input), Value::Object(settings)) = (input.as_object_mut(), settings) {
        input.extend(settings);
    }
    let data = p.app.data(SAVE, json!({"input": input})).await;
    data["brands"]["updateIdentityProviderConfiguration"].clone()
}

/// A contact without credentials, as an administrator creates it, with a Username and an
/// OrgDefinedId.
async fn contact(app: &TestApp, email: &str, username: &str, org_defined_id: &str) -> String {
    let account = app
        .create_account(&format!("Account of {email}"), None)
        .await;
    let data = app
        .data(
            "mutation($input: CreateContactInput!) { contacts { create(input: $input) {
                contact { id username orgDefinedId } errors { label message } } } }",
            json!({"input": {"firstName": "Kept", "lastName": "Contact", "email": email,
                   "accountId": account, "username": username, "orgDefinedId": org_defined_id}}),
        )
        .await;
    let payload = &data["contacts"]["create"];
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(payload["contact"]["username"], username);
    payload["contact"]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn the_attribute_map_of_seed_003_keeps_the_username_and_org_defined_id() {
    let p = Portal::new(seed_003_map()).await;
    let shown = settings(&p).await;
    assert_eq!(
        shown,
        json!({"updateAttributesOnLogin": false, "updateRolesOnLogin": false, "matchBy": "email",
               "attributeMap": {"email": "Email", "firstName": "FirstName", "lastName": "LastName",
                                "username": "Username", "orgDefinedId": "UserId", "roles": "UserType"}})
    );
    let out = sign_in(
        &p,
        "n1",
        statement("ada@example.com", "ada.l", "E-7", "Instructor"),
    )
    .await;
    assert_eq!(out["outcome"], "created", "{out}");
    assert_eq!(
        (&out["contact"]["username"], &out["contact"]["orgDefinedId"]),
        (&json!("ada.l"), &json!("E-7"))
    );
    assert_eq!(out["contact"]["roles"], json!(["instructor"]));
    assert_eq!(
        out["changedAttributes"],
        json!([
            "email",
            "firstName",
            "lastName",
            "roles",
            "username",
            "orgDefinedId"
        ])
    );

    // Not mapped (the default), the same claims leave both empty.
    let plain = Portal::new(json!({})).await;
    let out = sign_in(
        &plain,
        "n1",
        json!({"email": "ada@example.com", "Username": "ada.l"}),
    )
    .await;
    assert_eq!(out["outcome"], "created", "{out}");
    assert_eq!(out["contact"]["username"], json!(null));
}

#[tokio::test]
async fn attributes_and_roles_are_updated_on_login_apart() {
    let p = Portal::new(seed_003_map()).await;
    sign_in(
        &p,
        "n1",
        statement("ada@example.com", "ada.l", "E-7", "Learner"),
    )
    .await;
    let promoted = |name: &str| {
        let mut claims = statement("ada@example.com", "ada.l", "E-8", "Instructor");
        claims["FirstName"] = json!(name);
        claims
    };

    // "Update attributes on login" alone: the name and the OrgDefinedId follow, the role not.
    p.configure(json!({"updateAttributesOnLogin": true, "updateRolesOnLogin": false}))
        .await;
    let out = sign_in(&p, "n1", promoted("Augusta")).await;
    assert_eq!(
        out["changedAttributes"],
        json!(["firstName", "orgDefinedId"]),
        "{out}"
    );
    assert_eq!(out["contact"]["roles"], json!(["learner"]));

    // "Update role on login" alone: the role follows, the name not.
    p.configure(json!({"updateAttributesOnLogin": false, "updateRolesOnLogin": true}))
        .await;
    let out = sign_in(&p, "n1", promoted("Countess")).await;
    assert_eq!(out["changedAttributes"], json!(["roles"]), "{out}");
    assert_eq!(
        (&out["contact"]["firstName"], &out["contact"]["roles"]),
        (&json!("Augusta"), &json!(["instructor"]))
    );

    // `null`: roles follow `updateAttributesOnLogin` again (as every configuration did
    // before the two were apart).
    p.configure(json!({"updateRolesOnLogin": null})).await;
    assert_eq!(settings(&p).await["updateRolesOnLogin"], false);
    p.configure(json!({"updateAttributesOnLogin": true})).await;
    assert_eq!(settings(&p).await["updateRolesOnLogin"], true);
    let out = sign_in(
        &p,
        "n1",
        statement("ada@example.com", "ada.l", "E-8", "Learner"),
    )
    .await;
    assert_eq!(
        out["changedAttributes"],
        json!(["firstName", "roles"]),
        "{out}"
    );
}

#[tokio::test]
async fn matching_by_username_links_the_one_contact_holding_it() {
    let app = spawn_app().await;
    let kept = contact(&app, "kept@example.com", "Ada.L", "E-1").await;
    let p = Portal::on(app, seed_003_map()).await;
    let saved = save(&p, json!({"matchBy": "username"})).await;
    assert_eq!(saved["errors"], json!([]), "{saved}");
    assert_eq!(
        saved["identityProviderConfiguration"]["matchBy"],
        "username"
    );

    // The Username, compared case-insensitively, finds the contact whatever the email says.
    let out = sign_in(
        &p,
        "n1",
        statement("ada@elsewhere.example", "ada.l", "X", "Learner"),
    )
    .await;
    assert_eq!(out["outcome"], "linked", "{out}");
    assert_eq!(out["contact"]["id"], kept);
    assert_eq!(
        out["contact"]["email"], "kept@example.com",
        "the email is not taken over"
    );
    // The next sign-in goes by the credential.
    let out = sign_in(&p, "n1", json!({})).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    // Another subject with the same Username: the contact has a credential now.
    let out = sign_in(
        &p,
        "n2",
        statement("x@example.com", "ADA.L", "X", "Learner"),
    )
    .await;
    assert_eq!(out["denialReason"], "contactHasCredentials", "{out}");
    assert_eq!(only_error(&out)["label"], "claims.Username");

    // Two contacts with one Username: the claim names no one person.
    contact(&p.app, "g1@example.com", "grace", "G-1").await;
    contact(&p.app, "g2@example.com", "Grace", "G-2").await;
    let before = p.app.row_count("contact").await;
    let out = sign_in(
        &p,
        "n3",
        statement("grace@example.com", "grace", "G-3", "Learner"),
    )
    .await;
    assert_eq!(out["denialReason"], "matchAmbiguous", "{out}");
    assert_eq!(only_error(&out)["label"], "claims.Username");
    assert_eq!(p.app.row_count("contact").await, before, "nothing created");

    // Nobody holds it: a new contact, by the email as ever; an email another contact has is
    // not linked, since this configuration says the Username is what identifies a person.
    let out = sign_in(
        &p,
        "n4",
        statement("kept@example.com", "nobody", "Z", "Learner"),
    )
    .await;
    assert_eq!(out["denialReason"], "linkingDisabled", "{out}");
    assert_eq!(only_error(&out)["label"], "claims.Email");
    let out = sign_in(
        &p,
        "n4",
        statement("new@example.com", "nobody", "Z", "Learner"),
    )
    .await;
    assert_eq!(out["outcome"], "created", "{out}");
    assert_eq!(out["contact"]["username"], "nobody");

    // Without the claim, the sign-in is refused naming it.
    let out = sign_in(&p, "n5", json!({"Email": "n5@example.com"})).await;
    assert_eq!(out["denialReason"], "invalidInput", "{out}");
    assert_eq!(only_error(&out)["label"], "claims.Username");
}

#[tokio::test]
async fn matching_by_org_defined_id_is_exact_and_by_subject_never_links() {
    let app = spawn_app().await;
    let kept = contact(&app, "kept@example.com", "kept", "E-7").await;
    let p = Portal::on(app, seed_003_map()).await;
    save(&p, json!({"matchBy": "orgDefinedId"})).await;
    let out = sign_in(
        &p,
        "n1",
        statement("other@example.com", "x", "e-7", "Learner"),
    )
    .await;
    assert_eq!(out["outcome"], "created", "another OrgDefinedId: {out}");
    let out = sign_in(
        &p,
        "n2",
        statement("other2@example.com", "x", "E-7", "Learner"),
    )
    .await;
    assert_eq!(out["outcome"], "linked", "{out}");
    assert_eq!(out["contact"]["id"], kept);

    // By subject: a contact with the email is never linked.
    contact(&p.app, "free@example.com", "free", "F-1").await;
    save(&p, json!({"matchBy": "subject"})).await;
    let out = sign_in(
        &p,
        "n3",
        statement("free@example.com", "free", "F-1", "Learner"),
    )
    .await;
    assert_eq!(out["denialReason"], "linkingDisabled", "{out}");
    assert_eq!(only_error(&out)["label"], "claims.Email");
}

#[tokio::test]
async fn matching_by_a_claim_needs_it_mapped_and_a_refusal_changes_nothing() {
    let p = Portal::new(json!({})).await;
    let out = save(&p, json!({"matchBy": "username"})).await;
    assert_eq!(only_error(&out)["label"], "matchBy", "{out}");
    assert_eq!(only_error(&out)["code"], "invalid");
    assert_eq!(settings(&p).await["matchBy"], "email", "nothing changed");

    let saved = save(
        &p,
        json!({"matchBy": "orgDefinedId", "attributeMap": {"orgDefinedId": "UserId"}}),
    )
    .await;
    assert_eq!(saved["errors"], json!([]), "{saved}");
    // Unmapping the claim it matches by is refused too.
    let out = save(&p, json!({"attributeMap": {"orgDefinedId": null}})).await;
    assert_eq!(only_error(&out)["label"], "matchBy", "{out}");
    assert_eq!(settings(&p).await["attributeMap"]["orgDefinedId"], "UserId");
    // A blank claim name is refused naming the field.
    let out = save(&p, json!({"attributeMap": {"username": "  "}})).await;
    assert_eq!(only_error(&out)["label"], "attributeMap.username", "{out}");
}

#[tokio::test]
async fn administrators_set_and_clear_a_contacts_username_and_org_defined_id() {
    let app = spawn_app().await;
    let id = contact(&app, "ada@example.com", "Ada.L", "E-7").await;
    let update = "mutation($input: UpdateContactInput!) { contacts { update(input: $input) {
        contact { username orgDefinedId } errors { label code } } } }";
    let data = app
        .data(
            update,
            json!({"input": {"contactId": id, "username": null, "orgDefinedId": " E-8 "}}),
        )
        .await;
    assert_eq!(
        data["contacts"]["update"]["contact"],
        json!({"username": null, "orgDefinedId": "E-8"})
    );
    let data = app
        .data(
            update,
            json!({"input": {"contactId": id, "username": "u".repeat(201)}}),
        )
        .await;
    assert_eq!(
        data["contacts"]["update"]["errors"],
        json!([{"label": "username", "code": "tooLong"}])
    );
    let kept = app
        .data(
            "query($id: ID!) { contact(id: $id) { username orgDefinedId } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        kept["contact"],
        json!({"username": null, "orgDefinedId": "E-8"}),
        "unchanged"
    );
}
