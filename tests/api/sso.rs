//! The sign-in hook, branch by branch (PRODUCT §4).
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_contains, error_code, only_error, spawn_app};

const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id email firstName lastName roles status account { id } credentials { identityProvider { id } subject createdAt lastSignInAt } }
    account { id name isIndividual company { id } } outcome accountAssignment changedAttributes reason
    denialReason errors { label message value code } } } }";
/// What a portal token may read of the payload (PRODUCT §4, "Email trust").
pub const PORTAL_SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id email firstName lastName roles status createdAt updatedAt }
    account { id name } outcome accountAssignment errors { label message value code } } } }";
const PREVIEW: &str = "mutation($input: SignInInput!) { sso { previewSignIn(input: $input) {
    contact { id email } account { id name isIndividual } outcome accountAssignment changedAttributes reason
    denialReason errors { label message value code } } } }";

pub struct Portal {
    pub app: TestApp,
    pub brand: String,
    pub idp: String,
}

impl Portal {
    pub async fn new(settings: Value) -> Self {
        let app = spawn_app().await;
        Self::on(app, settings).await
    }

    /// [`Portal::new`], with a SCIM token for the configuration and a client holding it.
    pub async fn with_scim(settings: Value) -> (Self, crate::helpers::ScimClient) {
        let p = Self::new(settings).await;
        let token = p.app.create_scim_token(&p.brand, &p.idp).await;
        let client = crate::helpers::ScimClient::new(&p.app, Some(&token));
        (p, client)
    }

    /// Configures a brand and IdP on `app`; `settings` are extra configuration input fields.
    pub async fn on(app: TestApp, settings: Value) -> Self {
        let brand = app.create_brand("Portal").await;
        let idp = app.create_identity_provider("https://sso.example").await;
        let p = Self { app, brand, idp };
        p.save_configuration(
            "create",
            with(json!({"autoProvisionLearners": true}), settings),
        )
        .await;
        p
    }

    pub async fn configure(&self, settings: Value) {
        self.save_configuration("update", settings).await;
    }

    /// Runs `brands { <operation>IdentityProviderConfiguration }` for this brand and IdP with
    /// `settings`, which must succeed.
    async fn save_configuration(&self, operation: &str, settings: Value) {
        let input = with(
            json!({"brandId": self.brand, "identityProviderId": self.idp}),
            settings,
        );
        let field = format!("{operation}IdentityProviderConfiguration");
        let mutation = format!(
            "mutation($input: IdentityProviderConfigurationInput!) {{ brands {{ {field}(input: $input) {{ errors {{ label message }} }} }} }}"
        );
        let data = self.app.data(&mutation, json!({"input": input})).await;
        assert_eq!(data["brands"][&field]["errors"], json!([]));
    }

    /// The sign-in input for `subject` with `claims` through this brand and IdP.
    pub fn input(&self, subject: &str, claims: Value) -> Value {
        json!({"brandId": self.brand, "identityProviderId": self.idp, "subject": subject, "claims": claims})
    }

    /// Creates a portal token for this brand; returns its secret and the create payload.
    pub async fn portal_token(&self) -> (String, Value) {
        let data = self
            .app
            .data(
                "mutation($b: ID) { apiTokens { create(input: {name: \"lms\", role: portal, brandId: $b}) { apiToken { role brand { id } } secret errors { label } } } }",
                json!({"b": self.brand}),
            )
            .await;
        let payload = data["apiTokens"]["create"].clone();
        assert_eq!(payload["errors"], json!([]), "{payload}");
        let secret = payload["secret"].as_str().expect("secret").to_owned();
        (secret, payload)
    }

    pub async fn sign_in(&self, subject: &str, claims: Value) -> Value {
        self.sign_in_as(&self.app.owner_token, subject, claims)
            .await
    }

    pub async fn sign_in_as(&self, token: &str, subject: &str, claims: Value) -> Value {
        self.raw(token, SIGN_IN, self.input(subject, claims)).await
    }

    pub async fn raw(&self, token: &str, query: &str, input: Value) -> Value {
        let body = self.app.gql_as(token, query, json!({"input": input})).await;
        assert!(body.get("errors").is_none(), "{body}");
        let sso = &body["data"]["sso"];
        sso.as_object()
            .and_then(|o| o.values().next())
            .cloned()
            .expect("payload")
    }

    pub async fn events(&self) -> Vec<Value> {
        let data = self
            .app
            .data(
                "query($b: String) { provisioningEvents(first: 100, filters: [{field: brandId, operation: eq, value: $b}]) { edges { node {
                    occurredAt outcome accountAssignment subject reason changedAttributes contact { id } account { id } brand { id } identityProvider { id } } } } }",
                json!({"b": self.brand}),
            )
            .await;
        data["provisioningEvents"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }
}

/// `base` with the fields of `extra` (an object) added or replaced.
fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// Asserts that the row counts went from `before` to `after` by one provisioning event.
fn assert_only_an_event_was_written(before: &[(String, i64)], after: &[(String, i64)], case: &str) {
    assert_eq!(before.len(), after.len());
    for ((table, b), (_, a)) in before.iter().zip(after) {
        let expected = if table == "provisioning_event" {
            b + 1
        } else {
            *b
        };
        assert_eq!(*a, expected, "{case}: {table}");
    }
}

fn ada() -> Value {
    json!({"email": "ada@example.com", "given_name": "Ada", "family_name": "Lovelace", "company": "Acme"})
}

#[tokio::test]
async fn default_account_comes_first() {
    let app = spawn_app().await;
    let acme = app.create_company("Acme").await;
    app.create_account("Acme first", Some(&acme)).await;
    let default = app.create_account("Default", None).await;
    let p = Portal::on(app, json!({"defaultAccountId": default})).await;
    let out = p.sign_in("sub-1", ada()).await;
    assert_eq!(out["errors"], json!([]));
    assert_eq!(out["outcome"], "created");
    assert_eq!(out["accountAssignment"], "defaultAccount");
    assert_eq!(out["account"]["id"], default);
    assert_eq!(out["contact"]["account"]["id"], default);
    assert_eq!(out["contact"]["roles"], json!(["learner"]));
    let events = p.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["outcome"], "created");
    assert_eq!(events[0]["accountAssignment"], "defaultAccount");
    assert_eq!(events[0]["account"]["id"], default);
    assert_eq!(events[0]["contact"]["id"], out["contact"]["id"]);
    assert_contains(&events[0]["reason"], "default account");
}

#[tokio::test]
async fn company_match_takes_the_oldest_account_of_the_oldest_company_with_accounts() {
    let app = spawn_app().await;
    let empty = app.create_company("Acme").await; // oldest, but no accounts: no match
    let acme = app.create_company("Acme").await;
    let first = app.create_account("Acme A", Some(&acme)).await;
    app.create_account("Acme B", Some(&acme)).await;
    let later = app.create_company("Acme").await;
    app.create_account("Later Acme", Some(&later)).await;
    let p = Portal::on(app, json!({})).await;
    let out = p
        .sign_in("sub-1", json!({"email": "a@x.io", "company": "  Acme  "}))
        .await;
    assert_eq!(out["accountAssignment"], "companyMatch", "{out}");
    assert_eq!(out["account"]["id"], first);
    assert_eq!(out["account"]["company"]["id"], acme);
    assert_ne!(out["account"]["company"]["id"], empty);
}

#[tokio::test]
async fn exact_match_is_case_sensitive_and_case_insensitive_match_is_not() {
    let app = spawn_app().await;
    let acme = app.create_company("Ärzte Acme").await;
    let account = app.create_account("Acme", Some(&acme)).await;
    let p = Portal::on(app, json!({})).await;
    let out = p.sign_in("s1", json!({"email": "a@x.io", "company": "ärzte acme", "given_name": "Ann", "family_name": "Lee"})).await;
    assert_eq!(out["accountAssignment"], "individualAccount", "{out}");
    assert_eq!(out["account"]["name"], "Ann Lee");
    assert_eq!(out["account"]["isIndividual"], true);
    assert_contains(&out["reason"], "no company named");

    p.configure(json!({"companyMatch": "caseInsensitive"}))
        .await;
    let out = p
        .sign_in("s2", json!({"email": "b@x.io", "company": " ÄRZTE ACME "}))
        .await;
    assert_eq!(out["accountAssignment"], "companyMatch", "{out}");
    assert_eq!(out["account"]["id"], account);
}

#[tokio::test]
async fn individual_account_is_named_after_the_contact_or_its_email() {
    let p = Portal::new(json!({})).await;
    let out = p.sign_in("s1", json!({"email": "solo@x.io"})).await;
    assert_eq!(out["accountAssignment"], "individualAccount");
    assert_eq!(out["account"]["name"], "solo@x.io");
    assert_eq!(out["account"]["company"], json!(null));
    let long = p
        .sign_in("s2", json!({"email": "long@x.io", "given_name": "a".repeat(200), "family_name": "b".repeat(200)}))
        .await;
    assert_eq!(long["outcome"], "created", "{long}");
    let name = long["account"]["name"].as_str().unwrap_or_default();
    assert_eq!(
        name.chars().count(),
        200,
        "account names stay within their limit"
    );
    assert_eq!(p.app.row_count("account").await, 2);
}

#[tokio::test]
async fn auto_provisioning_off_denies_unknown_learners_and_writes_only_the_event() {
    let p = Portal::new(json!({"autoProvisionLearners": false})).await;
    let before = p.app.row_counts().await;
    let out = p.sign_in("s1", ada()).await;
    assert_eq!(out["outcome"], "denied");
    assert_eq!(out["contact"], json!(null));
    assert_eq!(out["denialReason"], "provisioningDisabled");
    let error = only_error(&out);
    assert_eq!(error["code"], "denied");
    assert_eq!(error["label"], "subject");
    assert_only_an_event_was_written(&before, &p.app.row_counts().await, "");
    let events = p.events().await;
    assert_eq!(events[0]["outcome"], "denied");
    assert_contains(&events[0]["reason"], "auto-provisioning");
}

#[tokio::test]
async fn no_configuration_is_denied_on_identity_provider_id() {
    let p = Portal::new(json!({})).await;
    let other_idp = p
        .app
        .create_identity_provider("https://other.example")
        .await;
    let input = json!({"brandId": p.brand, "identityProviderId": other_idp, "subject": "s", "claims": ada()});
    let out = p.raw(&p.app.owner_token, SIGN_IN, input).await;
    let error = only_error(&out);
    assert_eq!(error["label"], "identityProviderId");
    assert_eq!(error["value"], other_idp);
    let events = p.events().await;
    assert_eq!(events[0]["identityProvider"]["id"], other_idp);
}

#[tokio::test]
async fn returning_sign_in_keeps_the_contact_and_account_and_updates_only_when_asked() {
    let app = spawn_app().await;
    let acme = app.create_company("Acme").await;
    let acme_account = app.create_account("Acme", Some(&acme)).await;
    let globex = app.create_company("Globex").await;
    app.create_account("Globex", Some(&globex)).await;
    let p = Portal::on(
        app,
        json!({"roleMappings": [{"providerRole": "Staff", "role": "instructor"}]}),
    )
    .await;
    let first = p.sign_in("s1", ada()).await;
    let contact = first["contact"]["id"].clone();

    // Update on login off: nothing changes.
    let changed = json!({"email": "ada@example.com", "given_name": "Augusta", "company": "Globex", "roles": ["Staff"]});
    let out = p.sign_in("s1", changed.clone()).await;
    assert_eq!(out["outcome"], "signedIn");
    assert_eq!(out["accountAssignment"], json!(null));
    assert_eq!(out["contact"]["id"], contact);
    assert_eq!(out["contact"]["firstName"], "Ada");
    assert_eq!(out["changedAttributes"], json!([]));
    assert_eq!(out["account"]["id"], acme_account);

    // On: mapped attributes and roles refresh; the account never moves.
    p.configure(json!({"updateAttributesOnLogin": true})).await;
    let out = p.sign_in("s1", changed).await;
    assert_eq!(out["contact"]["firstName"], "Augusta");
    assert_eq!(
        out["contact"]["lastName"], "Lovelace",
        "an absent claim changes nothing"
    );
    assert_eq!(out["contact"]["roles"], json!(["instructor"]));
    assert_eq!(out["changedAttributes"], json!(["firstName", "roles"]));
    assert_eq!(out["account"]["id"], acme_account);
    let credential = &out["contact"]["credentials"][0];
    assert_eq!(credential["subject"], "s1");
    assert_eq!(credential["identityProvider"]["id"], p.idp);
    let created_at = credential["createdAt"].as_str().expect("createdAt");
    let last_sign_in_at = credential["lastSignInAt"].as_str().expect("lastSignInAt");
    assert!(last_sign_in_at >= created_at, "{credential}");

    let events = p.events().await;
    let outcomes: Vec<_> = events.iter().map(|e| e["outcome"].clone()).collect();
    assert_eq!(
        outcomes,
        [json!("signedIn"), json!("signedIn"), json!("created")]
    );
    assert_eq!(
        events[0]["changedAttributes"],
        json!(["firstName", "roles"])
    );
}

#[tokio::test]
async fn an_inactive_contact_is_denied() {
    let p = Portal::new(json!({})).await;
    let first = p.sign_in("s1", ada()).await;
    let contact = first["contact"]["id"].clone();
    p.app
        .data(
            "mutation($id: ID!) { contacts { update(input: {contactId: $id, status: inactive}) { errors { label } } } }",
            json!({"id": contact}),
        )
        .await;
    let out = p.sign_in("s1", ada()).await;
    assert_eq!(out["outcome"], "denied");
    assert_eq!(out["denialReason"], "contactInactive");
    assert_eq!(only_error(&out)["label"], "subject");
    assert_eq!(p.events().await[0]["contact"]["id"], contact);
}

#[tokio::test]
async fn linking_an_existing_contact_without_credentials() {
    let app = spawn_app().await;
    let account = app.create_account("Kept", None).await;
    let contact = app.create_contact("Ada@Example.com", &account).await;
    let p = Portal::on(app, json!({})).await;
    let out = p.sign_in("s1", json!({"email": "ada@example.COM"})).await;
    assert_eq!(out["outcome"], "linked", "{out}");
    assert_eq!(out["contact"]["id"], contact);
    assert_eq!(out["account"]["id"], account);
    assert_eq!(out["contact"]["credentials"][0]["subject"], "s1");
    // The next sign-in finds the credential.
    let out = p.sign_in("s1", json!({"email": "ada@example.com"})).await;
    assert_eq!(out["outcome"], "signedIn");
    // Another subject with the same email: the contact now has credentials.
    let out = p.sign_in("s2", json!({"email": "ada@example.com"})).await;
    assert_eq!(out["outcome"], "denied");
    assert_eq!(out["denialReason"], "contactHasCredentials");
    assert_eq!(only_error(&out)["label"], "claims.email");
}

#[tokio::test]
async fn linking_is_refused_when_off_or_when_the_email_is_unverified() {
    let app = spawn_app().await;
    let account = app.create_account("Kept", None).await;
    app.create_contact("ada@example.com", &account).await;
    let p = Portal::on(app, json!({"linkExistingContacts": false})).await;
    let out = p.sign_in("s1", ada()).await;
    assert_eq!(out["denialReason"], "linkingDisabled");
    assert_eq!(only_error(&out)["label"], "claims.email");
    p.configure(json!({"linkExistingContacts": true})).await;
    let out = p
        .sign_in(
            "s1",
            json!({"email": "ada@example.com", "email_verified": false}),
        )
        .await;
    assert_eq!(out["denialReason"], "emailUnverified");
    let error = only_error(&out);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("claims.email_verified"), &json!("denied")),
        "{out}"
    );
    assert_eq!(p.app.row_count("credential").await, 0);
}

#[tokio::test]
async fn roles_and_attributes_follow_the_configured_maps() {
    let p = Portal::new(json!({
        "attributeMap": {"email": "Email", "firstName": "FirstName", "lastName": "LastName", "roles": "UserType"},
        "defaultRole": "student",
        "roleMappings": [{"providerRole": "Staff", "role": "instructor"}, {"providerRole": "Faculty", "role": "instructor"}, {"providerRole": "Admin", "role": "administrator"}]
    }))
    .await;
    let out = p
        .sign_in("s1", json!({"Email": "t@x.io", "FirstName": "Tess", "LastName": "T", "UserType": ["Faculty", "Staff", "Other"]}))
        .await;
    assert_eq!(out["contact"]["roles"], json!(["instructor"]));
    assert_eq!(out["contact"]["firstName"], "Tess");
    let out = p
        .sign_in("s2", json!({"Email": "u@x.io", "UserType": "Visitor"}))
        .await;
    assert_eq!(out["contact"]["roles"], json!(["student"]));
    let out = p.sign_in("s3", json!({"email": "v@x.io"})).await;
    assert_eq!(only_error(&out)["label"], "claims.Email");
}

#[tokio::test]
async fn preview_decides_the_same_and_writes_nothing() {
    let app = spawn_app().await;
    let default = app.create_account("Default", None).await;
    let p = Portal::on(app, json!({"defaultAccountId": default})).await;
    let input = p.input("s1", ada());
    let before = p.app.row_counts().await;
    let preview = p.raw(&p.app.owner_token, PREVIEW, input.clone()).await;
    assert_eq!(preview["outcome"], "created");
    assert_eq!(preview["accountAssignment"], "defaultAccount");
    assert_eq!(preview["account"]["id"], default);
    let denied = p
        .raw(&p.app.owner_token, PREVIEW, p.input("", json!({})))
        .await;
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(p.app.row_counts().await, before, "preview wrote something");

    let real = p.raw(&p.app.owner_token, SIGN_IN, input).await;
    assert_eq!(real["outcome"], preview["outcome"]);
    assert_eq!(real["accountAssignment"], preview["accountAssignment"]);
    assert_eq!(real["account"]["id"], preview["account"]["id"]);
}

#[tokio::test]
async fn bad_input_is_denied_naming_the_field_and_writes_only_the_event() {
    let p = Portal::new(json!({})).await;
    let account = p.app.create_account("A", None).await;
    let cases = [
        (json!({"subject": "", "claims": ada()}), "subject", "blank"),
        (
            json!({"subject": "s".repeat(1025), "claims": ada()}),
            "subject",
            "tooLong",
        ),
        (
            json!({"subject": "s", "claims": ["not", "an", "object"]}),
            "claims",
            "invalid",
        ),
        (
            json!({"subject": "s", "claims": {"given_name": "No Email"}}),
            "claims.email",
            "blank",
        ),
        (
            json!({"subject": "s", "claims": {"email": "not-an-email"}}),
            "claims.email",
            "invalid",
        ),
        (
            json!({"subject": "s", "claims": {"email": "a@x.io", "given_name": "x".repeat(201)}}),
            "claims.given_name",
            "tooLong",
        ),
        (
            json!({"subject": "s", "claims": {"email": "a@x.io", "roles": [1, 2]}}),
            "claims.roles",
            "invalid",
        ),
        (
            json!({"subject": "s", "claims": ada(), "brandId": account}),
            "brandId",
            "wrongType",
        ),
        (
            json!({"subject": "s", "claims": ada(), "identityProviderId": "FIXME"}),
            "identityProviderId",
            "malformedId",
        ),
    ];
    let mut expected_events = 0;
    for (overrides, label, code) in cases {
        let input = with(
            json!({"brandId": p.brand, "identityProviderId": p.idp}),
            overrides,
        );
        let before = p.app.row_counts().await;
        let out = p.raw(&p.app.owner_token, SIGN_IN, input).await;
        assert_eq!(out["outcome"], "denied", "{label}: {out}");
        let error = only_error(&out);
        assert_eq!(error["label"], label, "{out}");
        assert_eq!(error["code"], code, "{out}");
        assert_only_an_event_was_written(&before, &p.app.row_counts().await, label);
        expected_events += 1;
    }
    let all = p
        .app
        .data("{ provisioningEvents(first: 100, filters: [{field: outcome, operation: eq, value: \"denied\"}]) { pageInfo { totalRecords } } }", json!({}))
        .await;
    assert_eq!(
        all["provisioningEvents"]["pageInfo"]["totalRecords"],
        expected_events
    );
}

#[tokio::test]
async fn a_portal_token_may_only_sign_in_for_its_brand() {
    let p = Portal::new(json!({})).await;
    let other_brand = p.app.create_brand("Other").await;
    let (portal, created) = p.portal_token().await;
    assert_eq!(created["apiToken"]["brand"]["id"], p.brand);

    let input = p.input("s1", ada());
    let out = p.raw(&portal, PORTAL_SIGN_IN, input).await;
    assert_eq!(out["outcome"], "created");

    // Another brand's sign-in, any query, any admin mutation: all forbidden.
    let other = json!({"input": {"brandId": other_brand, "identityProviderId": p.idp, "subject": "s2", "claims": ada()}});
    for (query, variables) in [
        (PORTAL_SIGN_IN, other),
        ("{ brands { pageInfo { totalRecords } } }", json!({})),
        (
            "mutation { companies { create(input: {name: \"x\"}) { errors { label } } } }",
            json!({}),
        ),
    ] {
        let body = p.app.gql_as(&portal, query, variables).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }

    // A portal token needs a brand; other roles may not have one.
    let create = "mutation($role: ApiTokenRole!, $b: ID) { apiTokens { create(input: {name: \"x\", role: $role, brandId: $b}) { secret errors { label code } } } }";
    for variables in [
        json!({"role": "portal"}),
        json!({"role": "support", "b": p.brand}),
    ] {
        let data = p.app.data(create, variables.clone()).await;
        let error = only_error(&data["apiTokens"]["create"]);
        assert_eq!(error["label"], "brandId", "{variables}");
    }
}

#[tokio::test]
async fn the_log_answers_why_a_learner_is_in_an_account() {
    let p = Portal::new(json!({})).await;
    let out = p
        .sign_in("s1", json!({"email": "why@x.io", "company": "Nobody Inc"}))
        .await;
    let contact = out["contact"]["id"].clone();
    p.sign_in("s1", json!({"email": "why@x.io"})).await;
    let data = p
        .app
        .data(
            "query($id: ID!) { contact(id: $id) { provisioningEvents { outcome accountAssignment reason account { id } } } }",
            json!({"id": contact}),
        )
        .await;
    let events = data["contact"]["provisioningEvents"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["outcome"], "created");
    assert_eq!(events[1]["accountAssignment"], "individualAccount");
    assert_contains(&events[1]["reason"], "Nobody Inc");
    assert_eq!(events[0]["outcome"], "signedIn");
    assert_eq!(events[0]["account"]["id"], out["account"]["id"]);
}

#[tokio::test]
async fn provisioning_events_filter_by_idp_contact_and_time_range() {
    let p = Portal::new(json!({})).await;
    let first = p.sign_in("s1", json!({"email": "one@x.io"})).await;
    let started = chrono::Utc::now().to_rfc3339();
    p.sign_in("s2", json!({"email": "two@x.io"})).await;
    p.sign_in("s1", json!({"email": "one@x.io"})).await;
    let query = "query($f: [ProvisioningEventFilter!]) { provisioningEvents(filters: $f) { edges { node { subject outcome } } pageInfo { totalRecords } } }";

    let p = &p;
    let filtered = |filter: Value| async move {
        let data = p.app.data(query, json!({"f": [filter]})).await;
        let total = data["provisioningEvents"]["pageInfo"]["totalRecords"].clone();
        (total, data)
    };

    let contact = &first["contact"]["id"];
    let (total, by_contact) =
        filtered(json!({"field": "contactId", "operation": "eq", "value": contact})).await;
    assert_eq!(total, 2);
    assert_eq!(
        by_contact["provisioningEvents"]["edges"][0]["node"],
        json!({"subject": "s1", "outcome": "signedIn"}),
        "newest first"
    );
    for (field, operation, value, expected) in [
        ("identityProviderId", "eq", &p.idp, 3),
        ("occurredAt", "gt", &started, 2),
        ("occurredAt", "lt", &started, 1),
    ] {
        let filter = json!({"field": field, "operation": operation, "value": value});
        let (total, _) = filtered(filter.clone()).await;
        assert_eq!(total, expected, "{filter}");
    }
}
