//! Whom `sso.adminSignIn` trusts (PRODUCT §7): only identity providers marked `adminSignIn`,
//! an email verified in so many words (or an IdP marked `trustEmail`), the (IdP, subject) of
//! the administrator's first sign-in and no other, at the pace of `signIn`; the audit log
//! names the IdP and subject behind a change; and what a dashboard token may read of the
//! payload.
use serde_json::{Value, json};

use super::{
    sso::{
        SIGN_IN, admin_identity_provider, create_manual, dashboard, sign_in, status_with, token_of,
    },
    support::*,
};
use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with};

/// The `adminSignIn` payload of `email` (verified) asserted as `subject` through `idp`.
async fn sign_in_as(
    app: &TestApp,
    dashboard: &str,
    idp: &str,
    subject: &str,
    email: &str,
) -> Value {
    let body = app
        .gql_as(
            dashboard,
            SIGN_IN,
            json!({"idp": idp, "subject": subject, "claims": {"email": email, "email_verified": true}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["sso"]["adminSignIn"].clone()
}

/// `(label, code)` of the payload's only error, and no token.
fn refusal(payload: &Value) -> (String, String) {
    assert_eq!(payload["token"], Value::Null, "{payload}");
    let errors = payload["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{payload}");
    let text = |f: &str| errors[0][f].as_str().unwrap_or_default().to_owned();
    (text("label"), text("code"))
}

fn pair(label: &str, code: &str) -> (String, String) {
    (label.to_owned(), code.to_owned())
}

const UPDATE_IDP: &str =
    "mutation($input: UpdateIdentityProviderInput!) { identityProviders { update(input: $input) {
    identityProvider { id adminSignIn trustEmail } errors { label code } } } }";

const CREATE_IDP: &str =
    "mutation($input: CreateIdentityProviderInput!) { identityProviders { create(input: $input) {
    identityProvider { id adminSignIn trustEmail } errors { label code } } } }";

#[tokio::test]
async fn only_identity_providers_an_owner_marked_for_administrators_sign_them_in() {
    let app = spawn_app().await;
    create_manual(&app, "ada@example.com", "owner").await;
    let dashboard = app.create_token("dashboard").await;
    // A customer's learner IdP: not marked, as every IdP is by default.
    let learners = app
        .create_identity_provider("https://learners.example.com")
        .await;
    let payload = sign_in(
        &app,
        &dashboard,
        &learners,
        json!({"email": "ada@example.com", "email_verified": true}),
    )
    .await;
    assert_eq!(refusal(&payload), pair("identityProviderId", "denied"));
    assert_eq!(app.row_count("api_token").await, 2, "no token issued");

    // Support staff may not mark an IdP, nor create one marked; owners may.
    let support = app.create_token("support").await;
    let mark = json!({"input": {"identityProviderId": learners, "adminSignIn": true}});
    let body = app.gql_as(&support, UPDATE_IDP, mark.clone()).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app
        .gql_as(
            &support,
            CREATE_IDP,
            json!({"input": {"name": "Mine", "protocol": "oidc", "issuer": "https://mine.example.com", "trustEmail": true}}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app
        .gql_as(
            &support,
            CREATE_IDP,
            json!({"input": {"name": "Plain", "protocol": "saml", "issuer": "urn:plain"}}),
        )
        .await;
    let created = &body["data"]["identityProviders"]["create"]["identityProvider"];
    assert_eq!(
        (&created["adminSignIn"], &created["trustEmail"]),
        (&json!(false), &json!(false)),
        "{body}"
    );
    let data = app.data(UPDATE_IDP, mark).await;
    assert_eq!(
        data["identityProviders"]["update"]["identityProvider"]["adminSignIn"], true,
        "{data}"
    );
    token_of(&app, &dashboard, &learners, "ada@example.com", "owner").await;
}

#[tokio::test]
async fn an_administrators_email_must_be_verified_in_so_many_words() {
    let app = spawn_app().await;
    for who in ["ada", "bob", "cy"] {
        create_manual(&app, &format!("{who}@example.com"), "owner").await;
    }
    let (dashboard, idp) = dashboard(&app).await;
    for claims in [
        // Saying nothing is not vouching.
        json!({"email": "ada@example.com"}),
        // Every spelling of the claim counts; one no is a no.
        json!({"email": "ada@example.com", "email_verified": true, "Email_Verified": false}),
        json!({"email": "ada@example.com", "EMAIL_VERIFIED": "no"}),
        json!({"email": "ada@example.com", "email_verified": null}),
    ] {
        let payload = sign_in(&app, &dashboard, &idp, claims.clone()).await;
        assert_eq!(
            refusal(&payload),
            pair("claims.email_verified", "denied"),
            "{claims}"
        );
    }
    let payload = sign_in(
        &app,
        &dashboard,
        &idp,
        json!({"email": "ada@example.com", "Email_Verified": " TRUE "}),
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");

    // An IdP trusted for its emails needs no claim, but an explicit no still denies.
    let trusted = admin_identity_provider(&app, "https://staff.example.com", true).await;
    let payload = sign_in(
        &app,
        &dashboard,
        &trusted,
        json!({"email": "bob@example.com"}),
    )
    .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    let payload = sign_in(
        &app,
        &dashboard,
        &trusted,
        json!({"email": "cy@example.com", "email_Verified": "false"}),
    )
    .await;
    assert_eq!(refusal(&payload), pair("claims.email_verified", "denied"));
}

#[tokio::test]
async fn an_administrator_signs_in_only_as_the_identity_of_its_first_sign_in() {
    let app = spawn_app().await;
    let ada = create_manual(&app, "ada@example.com", "owner").await;
    create_manual(&app, "bob@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let other = admin_identity_provider(&app, "https://other.example.com", false).await;
    let first = sign_in_as(&app, &dashboard, &idp, "okta|ada", "ada@example.com").await;
    assert_eq!(first["errors"], json!([]), "{first}");
    let session = first["token"].as_str().expect("token").to_owned();
    let bound = app
        .data(
            "query($id: ID!) { administrator(id: $id) { signInSubject signInIdentityProvider { id } } }",
            json!({"id": ada}),
        )
        .await;
    assert_eq!(
        bound["administrator"],
        json!({"signInSubject": "okta|ada", "signInIdentityProvider": {"id": idp}})
    );
    // Another subject claiming Ada's email, the same subject through another IdP, and Ada's
    // identity claiming Bob's email are all refused, as an unknown person is.
    for (through, subject, email) in [
        (&idp, "okta|mallory", "ada@example.com"),
        (&other, "okta|ada", "ada@example.com"),
        (&idp, "okta|ada", "bob@example.com"),
    ] {
        let payload = sign_in_as(&app, &dashboard, through, subject, email).await;
        assert_eq!(
            refusal(&payload),
            pair("claims.email", "denied"),
            "{subject} {email}"
        );
    }
    let again = sign_in_as(&app, &dashboard, &idp, "okta|ada", "ada@example.com").await;
    assert_eq!(again["errors"], json!([]), "{again}");

    // An owner resets the binding (a move to another IdP): Ada's tokens go, and her next
    // sign-in binds her afresh.
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": ada, "resetSignIn": true}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"]["errors"],
        json!([]),
        "{data}"
    );
    assert_eq!(status_with(&app, &session).await, 401);
    let moved = sign_in_as(&app, &dashboard, &other, "entra|ada", "ada@example.com").await;
    assert_eq!(moved["errors"], json!([]), "{moved}");
}

#[tokio::test]
async fn admin_sign_in_is_paced_per_token_like_sign_in() {
    let app = spawn_app_with(|s| {
        s.sign_in_rate = 0.01;
        s.sign_in_burst = 2;
    })
    .await;
    create_manual(&app, "ada@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let before = admin_table_counts(&app).await;
    for _ in 0..2 {
        // Refusals count too: a guesser is paced as much as a user.
        let payload = sign_in(
            &app,
            &dashboard,
            &idp,
            json!({"email": "x@example.com", "email_verified": true}),
        )
        .await;
        assert_eq!(refusal(&payload), pair("claims.email", "denied"));
    }
    let (status, body) = app
        .post_graphql(
            Some(&dashboard),
            &json!({"query": SIGN_IN, "variables": {"idp": idp, "subject": "sub-ada@example.com",
                "claims": {"email": "ada@example.com", "email_verified": true}}}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (429, "RATE_LIMITED"), "{body}");
    assert_eq!(admin_table_counts(&app).await, before, "no token issued");
}

#[tokio::test]
async fn the_audit_log_names_the_identity_provider_and_subject_behind_a_change() {
    let app = spawn_app().await;
    create_manual(&app, "ada@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let payload = sign_in_as(&app, &dashboard, &idp, "okta|00u1ada", "ada@example.com").await;
    let token = payload["token"].as_str().expect("token");
    let body = app
        .gql_as(
            token,
            "mutation { companies { create(input: {name: \"Acme\"}) { company { id } } } }",
            json!({}),
        )
        .await;
    let company = body["data"]["companies"]["create"]["company"]["id"].clone();
    let events = app
        .data(
            "query($id: String!) { auditEvents(filters: [{field: entityId, operation: eq, value: $id}]) { edges { node {
                actorName actorSubject actorIdentityProvider { id } actorAdministrator { email } } } } }",
            json!({"id": company}),
        )
        .await;
    let event = &events["auditEvents"]["edges"][0]["node"];
    assert_eq!(event["actorSubject"], "okta|00u1ada", "{events}");
    assert_eq!(event["actorIdentityProvider"]["id"], json!(idp), "{events}");
    assert_eq!(
        event["actorAdministrator"]["email"], "ada@example.com",
        "{events}"
    );
    assert!(
        event["actorName"]
            .as_str()
            .is_some_and(|n| n.contains("Staff IdP")),
        "{events}"
    );
}

#[tokio::test]
async fn a_dashboard_token_reads_the_signed_in_administrators_own_fields_only() {
    let app = spawn_app().await;
    create_rule(
        &app,
        "Sales",
        json!([cond("department", "eq", "Sales")]),
        "support",
    )
    .await;
    import_applied(&app, &csv(&[employee("E1", "Sales")])).await;
    let (dashboard, idp) = dashboard(&app).await;
    let query = "mutation($idp: ID!, $claims: JSON!) { sso { adminSignIn(input: {identityProviderId: $idp, subject: \"sub-e1\", claims: $claims}) {
        token administrator { id email firstName lastName role status origin employeeId
          rule { id name } events { kind employeeSync { id changes { kind } } } signInSubject } errors { code } } } }";
    let body = app
        .gql_as(
            &dashboard,
            query,
            json!({"idp": idp, "claims": {"email": "e1@example.com", "email_verified": true}}),
        )
        .await;
    let payload = &body["data"]["sso"]["adminSignIn"];
    assert!(payload["token"].is_string(), "{body}");
    let administrator = &payload["administrator"];
    assert_eq!(
        (
            &administrator["email"],
            &administrator["role"],
            &administrator["employeeId"]
        ),
        (&json!("e1@example.com"), &json!("support"), &json!("E1")),
        "{body}"
    );
    for field in ["rule", "events", "signInSubject"] {
        assert_eq!(administrator[field], Value::Null, "{field}: {body}");
    }
    let mut forbidden: Vec<String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "FORBIDDEN", "{e}");
            e["path"]
                .as_array()
                .and_then(|p| p.last())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    forbidden.sort();
    assert_eq!(forbidden, ["events", "rule", "signInSubject"], "{body}");
}
