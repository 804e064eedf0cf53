//! Administrators signing in through SSO (`sso.adminSignIn`, dashboard tokens): the token
//! they get, what it may do, who is denied, and revocation on deactivation.
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, error_code, spawn_app};

pub(super) const SIGN_IN: &str = "mutation($idp: ID!, $subject: String! = \"sub-1\", $claims: JSON!) { sso { adminSignIn(input: {identityProviderId: $idp, subject: $subject, claims: $claims}) {
    administrator { id role status } token expiresAt errors { label message value code } } } }";

const CREATE_COMPANY: &str =
    "mutation { companies { create(input: {name: \"Acme\"}) { company { id } errors { code } } } }";

/// A dashboard token and an identity provider to sign administrators in with.
pub(super) async fn dashboard(app: &TestApp) -> (String, String) {
    let token = app.create_token("dashboard").await;
    let idp = admin_identity_provider(app, "https://idp.example.com", false).await;
    (token, idp)
}

/// An identity provider marked for administrators' sign-in (`adminSignIn: true`), with
/// `trustEmail` as given; returns its ID.
pub(super) async fn admin_identity_provider(
    app: &TestApp,
    issuer: &str,
    trust_email: bool,
) -> String {
    let data = app
        .data(
            "mutation($input: CreateIdentityProviderInput!) { identityProviders { create(input: $input) { identityProvider { id adminSignIn trustEmail } errors { label message } } } }",
            json!({"input": {"name": "Staff IdP", "protocol": "oidc", "issuer": issuer, "adminSignIn": true, "trustEmail": trust_email}}),
        )
        .await;
    let created = &data["identityProviders"]["create"];
    assert_eq!(created["identityProvider"]["adminSignIn"], true, "{data}");
    crate::helpers::id_of(created, "identityProvider")
}

/// The subject the tests' IdP asserts for a person: one per email.
pub(super) fn subject_of(claims: &Value) -> String {
    format!(
        "sub-{}",
        claims["email"].as_str().unwrap_or_default().to_lowercase()
    )
}

/// The `adminSignIn` payload for `claims` (with the person's own subject), called with `token`.
pub(super) async fn sign_in(app: &TestApp, token: &str, idp: &str, claims: Value) -> Value {
    let subject = subject_of(&claims);
    let body = app
        .gql_as(
            token,
            SIGN_IN,
            json!({"idp": idp, "subject": subject, "claims": claims}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["sso"]["adminSignIn"].clone()
}

/// Signs `email` in (verified) and returns the token; the sign-in must succeed with `role`.
pub(super) async fn token_of(
    app: &TestApp,
    dashboard: &str,
    idp: &str,
    email: &str,
    role: &str,
) -> String {
    let payload = sign_in(
        app,
        dashboard,
        idp,
        json!({"email": email, "email_verified": true}),
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(payload["administrator"]["role"], role, "{payload}");
    assert_eq!(payload["administrator"]["status"], "active", "{payload}");
    assert!(payload["expiresAt"].is_string(), "{payload}");
    payload["token"].as_str().expect("token").to_owned()
}

/// The HTTP status of a query made with `token`.
pub(super) async fn status_with(app: &TestApp, token: &str) -> u16 {
    let (status, _) = app
        .post_graphql(
            Some(token),
            &json!({"query": "{ administrators { edges { node { id } } } }"}),
        )
        .await;
    status
}

pub(super) async fn create_manual(app: &TestApp, email: &str, role: &str) -> Value {
    let input = json!({"email": email, "firstName": "Grace", "lastName": "Hopper", "role": role});
    let data = app.data(CREATE_ADMIN, json!({"input": input})).await;
    data["administrators"]["create"]["administrator"]["id"].clone()
}

#[tokio::test]
async fn an_active_administrator_signs_in_and_is_audited_as_themself() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "owner",
    )
    .await;
    import_applied(&app, &csv(&[employee("E1", "Sales")])).await;
    let (dashboard, idp) = dashboard(&app).await;
    // The email is matched however cased.
    let token = token_of(&app, &dashboard, &idp, "E1@Example.COM", "owner").await;
    let body = app.gql_as(&token, CREATE_COMPANY, json!({})).await;
    let company = body["data"]["companies"]["create"]["company"]["id"].clone();
    assert!(company.is_string(), "{body}");
    let events = app
        .data(
            "query($id: String!) { auditEvents(filters: [{field: entityId, operation: eq, value: $id}]) { edges { node { actorName operation actorAdministrator { employeeId origin } } } } }",
            json!({"id": company}),
        )
        .await;
    let event = &events["auditEvents"]["edges"][0]["node"];
    assert_eq!(event["operation"], "companies.create", "{events}");
    assert!(
        event["actorName"]
            .as_str()
            .is_some_and(|a| a.contains("e1@example.com")),
        "{events}"
    );
    assert_eq!(
        event["actorAdministrator"],
        json!({"employeeId": "E1", "origin": "rule"}),
        "{events}"
    );
    // A change made with an API token has no administrator behind it.
    let rules = app
        .data(
            "{ auditEvents(filters: [{field: operation, operation: eq, value: \"adminProvisioningRules.create\"}]) { edges { node { actorAdministrator { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        rules["auditEvents"]["edges"][0]["node"]["actorAdministrator"],
        Value::Null,
        "{rules}"
    );
}

#[tokio::test]
async fn an_auditor_administrator_reads_but_changes_nothing() {
    let app = spawn_app().await;
    create_manual(&app, "ada@example.com", "auditor").await;
    let (dashboard, idp) = dashboard(&app).await;
    let token = token_of(&app, &dashboard, &idp, "ada@example.com", "auditor").await;
    let body = app
        .gql_as(
            &token,
            "{ administrators { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["administrators"]["edges"][0]["node"]["email"], "ada@example.com",
        "{body}"
    );
    let body = app.gql_as(&token, CREATE_COMPANY, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app
        .gql_as(
            &token,
            "mutation { employeeSyncs { import(input: {file: \"x\"}) { employeeSync { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn unknown_inactive_and_unverified_people_are_denied() {
    let app = spawn_app().await;
    create_manual(&app, "active@example.com", "owner").await;
    let gone = create_manual(&app, "gone@example.com", "owner").await;
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": gone, "status": "inactive"}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"]["errors"],
        json!([]),
        "{data}"
    );
    let (dashboard, idp) = dashboard(&app).await;
    let before = admin_table_counts(&app).await;
    for (claims, label) in [
        (
            json!({"email": "nobody@example.com", "email_verified": true}),
            "claims.email",
        ),
        (
            json!({"email": "gone@example.com", "email_verified": true}),
            "claims.email",
        ),
        (
            json!({"email": "active@example.com", "email_verified": false}),
            "claims.email_verified",
        ),
        (
            json!({"email": "active@example.com", "email_verified": "no"}),
            "claims.email_verified",
        ),
    ] {
        let payload = sign_in(&app, &dashboard, &idp, claims.clone()).await;
        assert_eq!(
            (&payload["token"], &payload["administrator"]),
            (&Value::Null, &Value::Null),
            "{payload}"
        );
        let errors = payload["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{claims}: {payload}");
        assert_eq!(
            (&errors[0]["label"], &errors[0]["code"]),
            (&json!(label), &json!("denied")),
            "{claims}: {payload}"
        );
    }
    assert_eq!(admin_table_counts(&app).await, before, "no token issued");
}

#[tokio::test]
async fn only_dashboard_tokens_sign_administrators_in_and_they_do_nothing_else() {
    let app = spawn_app().await;
    create_manual(&app, "ada@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let claims =
        json!({"idp": idp, "claims": {"email": "ada@example.com", "email_verified": true}});
    for role in ["support", "auditor"] {
        let token = app.create_token(role).await;
        let body = app.gql_as(&token, SIGN_IN, claims.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{role}: {body}");
    }
    for query in [
        "{ administrators { edges { node { id } } } }",
        CREATE_COMPANY,
    ] {
        let body = app.gql_as(&dashboard, query, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
    }
}

#[tokio::test]
async fn deactivating_an_administrator_revokes_their_tokens_at_once() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    import_applied(&app, &csv(&staff("E", 5, "Sales"))).await;
    let manual = create_manual(&app, "ada@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let e5 = token_of(&app, &dashboard, &idp, "e5@example.com", "support").await;
    let e4 = token_of(&app, &dashboard, &idp, "e4@example.com", "support").await;
    let ada = token_of(&app, &dashboard, &idp, "ada@example.com", "owner").await;
    for token in [&e5, &e4, &ada] {
        assert_eq!(status_with(&app, token).await, 200);
    }
    // A file without E5.
    import_applied(&app, &csv(&staff("E", 4, "Sales"))).await;
    assert_eq!(status_with(&app, &e5).await, 401);
    assert_eq!(status_with(&app, &e4).await, 200);
    // A manual deactivation.
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": manual, "status": "inactive"}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"]["errors"],
        json!([]),
        "{data}"
    );
    assert_eq!(status_with(&app, &ada).await, 401);
    // Reactivation does not bring the old token back; a new sign-in works.
    import_applied(&app, &csv(&staff("E", 5, "Sales"))).await;
    assert_eq!(status_with(&app, &e5).await, 401);
    let again = token_of(&app, &dashboard, &idp, "e5@example.com", "support").await;
    assert_eq!(status_with(&app, &again).await, 200);
}

#[tokio::test]
async fn a_role_change_revokes_the_tokens_issued_with_the_old_role() {
    let app = spawn_app().await;
    let rule = create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "owner",
    )
    .await;
    import_applied(&app, &csv(&[employee("E1", "Sales")])).await;
    let manual = create_manual(&app, "ada@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let e1 = token_of(&app, &dashboard, &idp, "e1@example.com", "owner").await;
    let ada = token_of(&app, &dashboard, &idp, "ada@example.com", "owner").await;
    // Demoted by their rule, or by hand: the owner tokens must not outlive the owner role.
    let payload = update_rule(&app, json!({"ruleId": rule, "role": "auditor"})).await;
    assert_eq!(payload["employeeSync"]["roleChanged"], 1, "{payload}");
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": manual, "role": "auditor"}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"]["errors"],
        json!([]),
        "{data}"
    );
    for token in [&e1, &ada] {
        let (status, body) = app
            .post_graphql(Some(token), &json!({"query": CREATE_COMPANY}))
            .await;
        assert_eq!(
            status, 401,
            "an owner token outlived its owner role: {body}"
        );
    }
    // Signing in again gives the new role.
    let token = token_of(&app, &dashboard, &idp, "e1@example.com", "auditor").await;
    let body = app.gql_as(&token, CREATE_COMPANY, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}
