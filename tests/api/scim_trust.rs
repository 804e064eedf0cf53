//! One trust rule for SCIM (issue 18, items 1, 10 and 14): a SCIM create adopts only a contact
//! that is unclaimed (and the configuration links existing contacts) or already this brand's
//! own through this IdP; every refusal says only that the userName or email cannot be used; a
//! SCIM token opens only the configuration row it was issued for.
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{ScimClient, ScimReply, TestApp, spawn_app};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The one detail of every uniqueness or adoption refusal.
const UNUSABLE: &str = "userName or emails: this userName or email cannot be used";

const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id } outcome errors { label message } } } }";

const CONTACT: &str = "query($id: ID!) { contact(id: $id) { id email firstName lastName status
    credentials { kind subject identityProvider { id } } } }";

const CONTACT_BY_EMAIL: &str =
    "query($email: String) { contacts(filters: [{field: email, operation: eq, value: $email}]) {
    edges { node { id } } } }";

/// A configuration (brand, IdP) on a shared app, with a SCIM client holding a token for it.
struct Door {
    brand: String,
    idp: String,
    scim: ScimClient,
}

impl Door {
    /// Creates the configuration of (`brand`, `idp`) with `settings` and a SCIM token for it.
    async fn open(app: &TestApp, brand: &str, idp: &str, settings: Value) -> Self {
        configure(app, brand, idp, settings).await;
        let token = app.create_scim_token(brand, idp).await;
        Self {
            brand: brand.to_owned(),
            idp: idp.to_owned(),
            scim: ScimClient::new(app, Some(&token)),
        }
    }

    /// An SSO sign-in through this configuration, which must not be denied; the contact's id.
    async fn sign_in(&self, app: &TestApp, subject: &str, email: &str) -> String {
        let input = json!({"brandId": self.brand, "identityProviderId": self.idp,
            "subject": subject, "claims": {"email": email, "given_name": "Signed", "family_name": "In"}});
        let data = app.data(SIGN_IN, json!({"input": input})).await;
        let payload = &data["sso"]["signIn"];
        assert_eq!(payload["errors"], json!([]), "{payload}");
        payload["contact"]["id"]
            .as_str()
            .expect("contact")
            .to_owned()
    }

    async fn create_user(&self, body: &Value) -> Value {
        let (status, _, user) = self.scim.post("/Users", body).await;
        assert_eq!(status, 201, "{user}");
        user
    }
}

async fn configure(app: &TestApp, brand: &str, idp: &str, settings: Value) {
    let mut input =
        json!({"brandId": brand, "identityProviderId": idp, "autoProvisionLearners": true});
    if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), settings) {
        input.extend(extra);
    }
    let data = app
        .data(
            "mutation($input: IdentityProviderConfigurationInput!) { brands { createIdentityProviderConfiguration(input: $input) { errors { label message } } } }",
            json!({"input": input}),
        )
        .await;
    assert_eq!(
        data["brands"]["createIdentityProviderConfiguration"]["errors"],
        json!([])
    );
}

async fn delete_configuration(app: &TestApp, brand: &str, idp: &str) {
    let data = app
        .data(
            "mutation($b: ID!, $i: ID!) { brands { deleteIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i}) { errors { label message } } } }",
            json!({"b": brand, "i": idp}),
        )
        .await;
    assert_eq!(
        data["brands"]["deleteIdentityProviderConfiguration"]["errors"],
        json!([])
    );
}

/// A SCIM user as Okta pushes one.
fn user(user_name: &str, email: &str, active: bool) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": "Pushed", "familyName": "Over"},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "active": active,
    })
}

async fn contact(app: &TestApp, id: &str) -> Value {
    app.data(CONTACT, json!({"id": id})).await["contact"].clone()
}

async fn contact_with_email(app: &TestApp, email: &str) -> String {
    let data = app.data(CONTACT_BY_EMAIL, json!({"email": email})).await;
    data["contacts"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no contact has {email}: {data}"))
        .to_owned()
}

/// Asserts a 409 `uniqueness` whose detail is the generic one, and that it names none of
/// `secrets` (another brand's name, userName or email).
fn assert_unusable(reply: &ScimReply, secrets: &[&str]) {
    let (status, _, body) = reply;
    assert_eq!(*status, 409, "{body}");
    assert_eq!(body["scimType"], "uniqueness", "{body}");
    assert_eq!(body["detail"], UNUSABLE, "{body}");
    let text = body.to_string().to_lowercase();
    for secret in secrets {
        assert!(!text.contains(&secret.to_lowercase()), "{secret} in {body}");
    }
}

/// The SCIM users a client sees.
async fn user_count(client: &ScimClient) -> u64 {
    let (status, _, list) = client.get("/Users").await;
    assert_eq!(status, 200, "{list}");
    list["totalResults"].as_u64().expect("totalResults")
}

#[tokio::test]
async fn a_configuration_that_does_not_link_existing_contacts_adopts_none() {
    let app = spawn_app().await;
    let account = app.create_account("Elsewhere", None).await;
    let owned = app.create_contact("owned@example.com", &account).await;
    let brand = app.create_brand("No linking").await;
    let idp = app.create_identity_provider("https://nolink.example").await;
    let door = Door::open(&app, &brand, &idp, json!({"linkExistingContacts": false})).await;

    let before = app.row_counts().await;
    let reply = door
        .scim
        .post(
            "/Users",
            &user("owned@example.com", "owned@example.com", false),
        )
        .await;
    assert_unusable(&reply, &["owned@example.com", "Elsewhere"]);
    assert_eq!(app.row_counts().await, before, "nothing written");
    let unchanged = contact(&app, &owned).await;
    assert_eq!(unchanged["firstName"], "Ada", "{unchanged}");
    assert_eq!(unchanged["status"], "active", "{unchanged}");
    assert_eq!(unchanged["credentials"], json!([]), "{unchanged}");

    // With linking on, the same contact, unclaimed, is adopted.
    let data = app.data(
        "mutation($input: IdentityProviderConfigurationInput!) { brands { updateIdentityProviderConfiguration(input: $input) { errors { label } } } }",
        json!({"input": {"brandId": brand, "identityProviderId": idp, "linkExistingContacts": true}}),
    )
    .await;
    assert_eq!(
        data["brands"]["updateIdentityProviderConfiguration"]["errors"],
        json!([])
    );
    door.create_user(&user("owned@example.com", "owned@example.com", true))
        .await;
    assert_eq!(contact_with_email(&app, "owned@example.com").await, owned);
}

#[tokio::test]
async fn on_a_shared_identity_provider_a_brand_adopts_only_its_own_learners() {
    let app = spawn_app().await;
    let idp = app.create_identity_provider("https://shared.example").await;
    let (alpha, beta) = (
        app.create_brand("Alpha").await,
        app.create_brand("Beta").await,
    );
    let a = Door::open(&app, &alpha, &idp, json!({"linkExistingContacts": false})).await;
    let b = Door::open(&app, &beta, &idp, json!({})).await;

    // Dave signed in through Alpha's configuration.
    let dave = a.sign_in(&app, "dave", "dave@alpha.example").await;
    let before = app.row_counts().await;
    // Beta's token, by Dave's subject: not adopted, his email not changed.
    let reply = b
        .scim
        .post("/Users", &user("dave", "dave@beta.example", false))
        .await;
    assert_unusable(&reply, &["alpha", "dave@alpha.example"]);
    // By Dave's email, under another userName: the same.
    let reply = b
        .scim
        .post("/Users", &user("david", "dave@alpha.example", false))
        .await;
    assert_unusable(&reply, &["alpha", "dave\""]);
    assert_eq!(app.row_counts().await, before, "nothing written");
    let unchanged = contact(&app, &dave).await;
    assert_eq!(unchanged["email"], "dave@alpha.example", "{unchanged}");
    assert_eq!(unchanged["status"], "active", "{unchanged}");
    assert_eq!(
        unchanged["credentials"].as_array().map(Vec::len),
        Some(1),
        "{unchanged}"
    );
    assert_eq!(user_count(&b.scim).await, 0);

    // Alpha's own token adopts him by the identity its configuration created, even though it
    // does not link existing contacts.
    a.create_user(&user("dave", "dave@alpha.example", true))
        .await;
    assert_eq!(contact_with_email(&app, "dave@alpha.example").await, dave);
    assert_eq!(user_count(&a.scim).await, 1);
}

#[tokio::test]
async fn a_user_name_change_cannot_move_onto_another_contacts_identity() {
    let app = spawn_app().await;
    let idp = app.create_identity_provider("https://shared.example").await;
    let (alpha, beta) = (
        app.create_brand("Alpha").await,
        app.create_brand("Beta").await,
    );
    let a = Door::open(&app, &alpha, &idp, json!({})).await;
    let b = Door::open(&app, &beta, &idp, json!({})).await;
    let gina = a.sign_in(&app, "gina", "gina@alpha.example").await;
    a.create_user(&user("hank", "hank@alpha.example", true))
        .await;
    let frank = b
        .create_user(&user("frank", "frank@beta.example", true))
        .await;
    let path = format!("/Users/{}", frank["id"].as_str().expect("id"));

    let before = app.row_counts().await;
    // Onto the identity of Alpha's learner (signed in, no SCIM user): PUT and PATCH.
    let mut renamed = user("gina", "frank@beta.example", true);
    assert_unusable(&b.scim.put(&path, &renamed).await, &["alpha", "gina@"]);
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "userName", "value": "gina"}]});
    assert_unusable(&b.scim.patch(&path, &patch).await, &["alpha", "gina@"]);
    // Onto Alpha's SCIM user's userName, in another case.
    renamed["userName"] = json!("HANK");
    assert_unusable(&b.scim.put(&path, &renamed).await, &["alpha", "hank@"]);
    assert_eq!(app.row_counts().await, before, "nothing written");

    let (status, _, still) = b.scim.get(&path).await;
    assert_eq!(status, 200, "{still}");
    assert_eq!(still["userName"], "frank");
    let gina = contact(&app, &gina).await;
    assert_eq!(
        gina["credentials"],
        json!([{"kind": "sso", "subject": "gina", "identityProvider": {"id": idp}}]),
        "{gina}"
    );

    // A free userName still moves Frank's identity.
    renamed["userName"] = json!("franklin");
    let (status, _, moved) = b.scim.put(&path, &renamed).await;
    assert_eq!(status, 200, "{moved}");
    let frank = contact(&app, &contact_with_email(&app, "frank@beta.example").await).await;
    assert_eq!(frank["credentials"][0]["subject"], "franklin", "{frank}");
}

#[tokio::test]
async fn every_uniqueness_refusal_has_the_same_detail_naming_nobody() {
    let app = spawn_app().await;
    let idp = app.create_identity_provider("https://shared.example").await;
    let (alpha, beta) = (
        app.create_brand("Alpha").await,
        app.create_brand("Beta").await,
    );
    let a = Door::open(&app, &alpha, &idp, json!({})).await;
    let b = Door::open(&app, &beta, &idp, json!({})).await;
    a.create_user(&user("ivy", "ivy@alpha.example", true)).await;
    let jay = b.create_user(&user("jay", "jay@beta.example", true)).await;
    let secrets = ["alpha", "ivy", "jay"];

    // Alpha's userName, through Beta.
    assert_unusable(
        &b.scim
            .post("/Users", &user("IVY", "other@beta.example", true))
            .await,
        &secrets,
    );
    // Alpha's user's email under a new userName: nothing about who holds it.
    assert_unusable(
        &b.scim
            .post("/Users", &user("ivy2", "ivy@alpha.example", true))
            .await,
        &secrets,
    );
    // Beta's own duplicate reads the same.
    assert_unusable(
        &b.scim
            .post("/Users", &user("jay", "jay@beta.example", true))
            .await,
        &secrets,
    );
    // A replace onto another contact's email.
    let path = format!("/Users/{}", jay["id"].as_str().expect("id"));
    assert_unusable(
        &b.scim
            .put(&path, &user("jay", "ivy@alpha.example", true))
            .await,
        &secrets,
    );
    assert_eq!(user_count(&b.scim).await, 1);
}

#[tokio::test]
async fn a_scim_token_does_not_survive_its_configuration_being_created_anew() {
    let app = spawn_app().await;
    let brand = app.create_brand("Recreated").await;
    let idp = app
        .create_identity_provider("https://recreated.example")
        .await;
    let old = Door::open(&app, &brand, &idp, json!({})).await;
    assert_eq!(old.scim.get("/Users").await.0, 200);

    delete_configuration(&app, &brand, &idp).await;
    let new = Door::open(&app, &brand, &idp, json!({})).await;
    let (status, headers, body) = old.scim.get("/Users").await;
    assert_eq!(status, 401, "{body}");
    assert!(
        headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer")),
        "{headers:?}"
    );
    let reply = old
        .scim
        .post("/Users", &user("late", "late@example.com", true))
        .await;
    assert_eq!(reply.0, 401, "{}", reply.2);
    assert_eq!(
        user_count(&new.scim).await,
        0,
        "the refused create wrote nothing"
    );
}

/// Runs this branch's migration again over rows whose new columns were cleared, as a database
/// written before it would have them.
async fn rerun_the_trust_migration(app: &TestApp) {
    for statement in [
        "UPDATE api_token SET configuration_id = NULL",
        "UPDATE credential SET created_via_brand_id = NULL",
        "DELETE FROM seaql_migrations WHERE version = 'm20261202_000006_scim_trust'",
    ] {
        app.db
            .execute_unprepared(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    Migrator::up(&app.db, None)
        .await
        .expect("the migration again");
}

#[tokio::test]
async fn the_migration_binds_existing_tokens_and_credentials_by_the_evidence_kept() {
    let app = spawn_app().await;
    let idp = app.create_identity_provider("https://shared.example").await;
    let (alpha, beta) = (
        app.create_brand("Alpha").await,
        app.create_brand("Beta").await,
    );
    let a = Door::open(&app, &alpha, &idp, json!({})).await;
    let b = Door::open(&app, &beta, &idp, json!({})).await;
    // Kim signed in through Alpha; Lee was pushed by Beta's SCIM.
    let kim = a.sign_in(&app, "kim", "kim@alpha.example").await;
    b.create_user(&user("lee", "lee@beta.example", true)).await;
    // Tokens not used before the migration runs again (so no instance has them cached):
    // one of Beta's configuration, and one of Alpha's first configuration, which is then
    // replaced.
    let beta_token = app.create_scim_token(&beta, &idp).await;
    let alpha_first = app.create_scim_token(&alpha, &idp).await;
    delete_configuration(&app, &alpha, &idp).await;
    configure(&app, &alpha, &idp, json!({})).await;

    rerun_the_trust_migration(&app).await;

    let beta_again = ScimClient::new(&app, Some(&beta_token));
    assert_eq!(
        user_count(&beta_again).await,
        1,
        "bound to Beta's configuration"
    );
    let stale = ScimClient::new(&app, Some(&alpha_first));
    assert_eq!(
        stale.get("/Users").await.0,
        401,
        "issued before the current configuration"
    );

    // Kim's identity came through Alpha (its created event): Beta may not adopt her; Alpha's
    // configuration, created anew, may.
    assert_unusable(
        &beta_again
            .post("/Users", &user("kim", "kim@beta.example", true))
            .await,
        &["alpha"],
    );
    let alpha_now = ScimClient::new(&app, Some(&app.create_scim_token(&alpha, &idp).await));
    let (status, _, adopted) = alpha_now
        .post("/Users", &user("kim", "kim@alpha.example", true))
        .await;
    assert_eq!(status, 201, "{adopted}");
    assert_eq!(contact_with_email(&app, "kim@alpha.example").await, kim);
}

#[tokio::test]
async fn a_user_this_configuration_deleted_may_be_created_again_but_not_by_another_brand() {
    let app = spawn_app().await;
    let idp = app.create_identity_provider("https://shared.example").await;
    let (brand_a, brand_b) = (app.create_brand("A").await, app.create_brand("B").await);
    let a = Door::open(&app, &brand_a, &idp, json!({"linkExistingContacts": false})).await;
    let b = Door::open(&app, &brand_b, &idp, json!({"linkExistingContacts": false})).await;
    let created = a
        .create_user(&user("ann@example.com", "ann@example.com", true))
        .await;
    let id = created["id"].as_str().expect("id");
    let (status, _, body) = a.scim.delete(&format!("/Users/{id}")).await;
    assert_eq!(status, 204, "{body}");

    // Brand B's token may not take A's deleted learner (with linkExistingContacts on it could:
    // the contact is unclaimed once deleted).
    let reply = b
        .scim
        .post("/Users", &user("ann@example.com", "ann@example.com", true))
        .await;
    assert_unusable(&reply, &["ann@example.com"]);
    // A, which deleted it and does not link existing contacts, may create the user again
    // (PRODUCT §6: the same userName may be created again).
    let again = a
        .create_user(&user("ann@example.com", "ann@example.com", true))
        .await;
    assert_ne!(again["id"], created["id"], "{again}");
    assert_eq!(again["active"], true, "{again}");
}
