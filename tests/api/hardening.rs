//! The holes an outside review found (takeover, amplification, disclosure, races, fail-open
//! decoding), each shut at its mechanism and proved here over HTTP.
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    helpers::{TestDatabase, error_code, only_error, spawn_app, spawn_server},
    sso::{PORTAL_SIGN_IN, Portal},
};

const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    contact { id email roles } account { id } outcome reason changedAttributes
    errors { label message value code } } } }";

async fn sign_in(p: &Portal, subject: &str, claims: Value) -> Value {
    p.raw(&p.app.owner_token, SIGN_IN, p.input(subject, claims))
        .await
}

/// A sign-in with the portal token `portal`, reading what a portal may read.
async fn portal_sign_in(p: &Portal, portal: &str, subject: &str, email: &str) -> Value {
    let input = p.input(subject, json!({"email": email}));
    p.raw(portal, PORTAL_SIGN_IN, input).await
}

fn assert_denied(out: &Value, label: &str) {
    assert_eq!(out["outcome"], "denied", "{out}");
    let error = only_error(out);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!(label), &json!("denied")),
        "{out}"
    );
}

/// Item 1: only a clear yes verifies; the list form SAML sends, `"0"`, `0`, `" false"` do not.
#[tokio::test]
async fn a_doubtful_email_verified_never_links_a_contact() {
    let app = spawn_app().await;
    let account = app.create_account("Kept", None).await;
    app.create_contact("ada@example.com", &account).await;
    let p = Portal::on(app, json!({})).await;
    for (i, verified) in [
        json!(["false"]),
        json!("0"),
        json!(0),
        json!(" false"),
        json!(null),
        json!("no"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = sign_in(
            &p,
            &format!("attacker-{i}"),
            json!({"email": "ada@example.com", "email_verified": verified}),
        )
        .await;
        assert_denied(&out, "claims.email_verified");
        assert_eq!(only_error(&out)["value"], verified.to_string());
    }
    assert_eq!(p.app.row_count("credential").await, 0);
    let out = sign_in(
        &p,
        "owner",
        json!({"email": "ada@example.com", "email_verified": ["TRUE"]}),
    )
    .await;
    assert_eq!(out["outcome"], "linked", "{out}");
}

/// Item 2: an unverified email is never written, so it cannot be squatted.
#[tokio::test]
async fn an_unverified_email_is_never_written() {
    let p = Portal::new(json!({"updateAttributesOnLogin": true})).await;
    let squat = json!({"email": "boss@example.com", "email_verified": false});
    let out = sign_in(&p, "squatter", squat.clone()).await;
    assert_denied(&out, "claims.email_verified");
    assert_eq!(p.app.row_count("contact").await, 0);

    // Update on login: a known subject may not move its contact to an unverified address.
    let out = sign_in(&p, "squatter", json!({"email": "squatter@example.com"})).await;
    assert_eq!(out["outcome"], "created", "{out}");
    let out = sign_in(&p, "squatter", squat).await;
    assert_denied(&out, "claims.email_verified");
    // Unverified claims that do not change the email still sign in.
    let out = sign_in(
        &p,
        "squatter",
        json!({"email": "squatter@example.com", "email_verified": "false", "given_name": "S"}),
    )
    .await;
    assert_eq!(out["outcome"], "signedIn", "{out}");

    // The real owner still gets in, and an administrator can still create them.
    let out = sign_in(&p, "boss", json!({"email": "boss@example.com"})).await;
    assert_eq!(out["outcome"], "created", "{out}");
    assert_eq!(out["contact"]["email"], "boss@example.com");
}

/// Item 3: nested lists are priced as `first` × children; documents are capped in fields;
/// skipping is capped.
#[tokio::test]
async fn amplifying_queries_are_refused_before_they_run() {
    let p = Portal::new(json!({})).await;
    for i in 0..3 {
        sign_in(&p, &format!("s{i}"), json!({"email": format!("u{i}@x.io")})).await;
    }
    let nested = "{ contacts(first: 10) { edges { node { provisioningEvents(first: 100) {
        contact { provisioningEvents(first: 100) { contact { provisioningEvents(first: 100) { id } } } } } } } } }";
    let body = p.app.gql(nested, json!({})).await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    let aliases: String = (0..3000).map(|i| format!("a{i}: __typename ")).collect();
    let body = p.app.gql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_LARGE", "{body}");

    // A page's worth of contacts with their events is one events statement, not one a contact.
    let (out, statements) = crate::performance::statements_of(
        &p.app,
        p.app.data(
            "{ contacts(first: 10) { edges { node { id provisioningEvents(first: 2) { outcome } } } } }",
            json!({}),
        ),
    )
    .await;
    let edges = out["contacts"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 3);
    for edge in edges {
        assert_eq!(
            edge["node"]["provisioningEvents"].as_array().map(Vec::len),
            Some(1)
        );
    }
    let event_reads = statements
        .iter()
        .filter(|s| s.sql.contains("provisioning_event"))
        .count();
    assert_eq!(event_reads, 1, "{statements:?}");
}

/// Item 4: a portal token signs in and reads the contact's own fields, nothing further.
#[tokio::test]
async fn a_portal_token_reads_only_its_own_sign_in() {
    let p = Portal::new(json!({"autoProvisionLearners": false})).await;
    let account = p.app.create_account("Kept", None).await;
    let ada = p.app.create_contact("ada@example.com", &account).await;
    let (portal, _) = p.portal_token().await;

    let out = portal_sign_in(&p, &portal, "s1", "ada@example.com").await;
    assert_eq!(out["outcome"], "linked", "{out}");
    assert_eq!(out["contact"]["id"], ada);
    assert_eq!(out["account"]["name"], "Kept");

    for beyond in [
        "contact { credentials { subject } }",
        "contact { provisioningEvents { brand { id } } }",
        "contact { account { id } }",
        "account { company { id } }",
        "account { isIndividual }",
        "reason",
        "denialReason",
        "changedAttributes",
    ] {
        let query = format!(
            "mutation($input: SignInInput!) {{ sso {{ signIn(input: $input) {{ outcome {beyond} }} }} }}"
        );
        let body = p
            .app
            .gql_as(&portal, &query, json!({"input": p.input("s1", json!({}))}))
            .await;
        let codes: Vec<&Value> = body["errors"]
            .as_array()
            .map(|e| e.iter().map(|e| &e["extensions"]["code"]).collect())
            .unwrap_or_default();
        assert!(
            codes.iter().all(|c| *c == "FORBIDDEN") && !codes.is_empty(),
            "{beyond}: {body}"
        );
    }
    let preview =
        "mutation($input: SignInInput!) { sso { previewSignIn(input: $input) { outcome } } }";
    let body = p
        .app
        .gql_as(
            &portal,
            preview,
            json!({"input": p.input("s2", json!({"email": "x@x.io"}))}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    // A denial reads the same whether a contact has the email (it has a credential now) or not.
    let taken = portal_sign_in(&p, &portal, "s3", "ada@example.com").await;
    let free = portal_sign_in(&p, &portal, "s3", "nobody@example.com").await;
    assert_eq!(taken["outcome"], "denied");
    assert_eq!(taken["errors"], free["errors"], "{taken} / {free}");
    // Support staff see the real reasons.
    let taken = sign_in(&p, "s3", json!({"email": "ada@example.com"})).await;
    assert_denied(&taken, "claims.email");
}

/// Item 5: look-alike addresses are one address, on every path.
#[tokio::test]
async fn look_alike_emails_are_the_same_address() {
    let app = spawn_app().await;
    let account = app.create_account("Kept", None).await;
    let kim = app.create_contact("kim@example.com", &account).await;
    let create = "mutation($email: String!, $a: ID!) { contacts { create(input: {firstName: \"K\", lastName: \"K\", email: $email, accountId: $a}) { contact { id } errors { label code } } } }";
    for look_alike in ["\u{212A}im@example.com", "\u{FF2B}IM@example.com"] {
        let data = app
            .data(create, json!({"email": look_alike, "a": account}))
            .await;
        let error = only_error(&data["contacts"]["create"]);
        assert_eq!(
            (&error["label"], &error["code"]),
            (&json!("email"), &json!("alreadyExists")),
            "{look_alike}: {data}"
        );
    }
    // Folding lengthens `İ`: refused by name, not an internal error.
    let long = format!("{}@example.com", "\u{130}".repeat(300));
    let data = app.data(create, json!({"email": long, "a": account})).await;
    let error = only_error(&data["contacts"]["create"]);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("email"), &json!("tooLong"))
    );

    let p = Portal::on(app, json!({})).await;
    let out = sign_in(&p, "s1", json!({"email": "\u{212A}IM@EXAMPLE.COM"})).await;
    assert_eq!(out["outcome"], "linked", "{out}");
    assert_eq!(out["contact"]["id"], kim);
    let out = sign_in(&p, "s2", json!({"email": "\u{FF4B}im@example.com"})).await;
    assert_denied(&out, "claims.email");
    let out = sign_in(&p, "s3", json!({"email": long})).await;
    assert_eq!(only_error(&out)["code"], "tooLong", "{out}");
    assert_eq!(p.app.row_count("contact").await, 1);
}

/// Item 6a: two subjects racing to link one credential-less contact: one wins.
#[tokio::test]
async fn concurrent_links_of_one_contact_link_it_once() {
    let app = spawn_app().await;
    let account = app.create_account("Kept", None).await;
    let p = Arc::new(Portal::on(app, json!({})).await);
    for round in 0..10 {
        let email = format!("race{round}@example.com");
        p.app.create_contact(&email, &account).await;
        let calls = (0..2).map(|i| {
            let p = p.clone();
            let email = email.clone();
            tokio::spawn(async move {
                sign_in(&p, &format!("r{round}-{i}"), json!({"email": email})).await
            })
        });
        let outs = futures::future::join_all(calls).await;
        let outcomes: Vec<Value> = outs
            .into_iter()
            .map(|o| o.expect("task")["outcome"].clone())
            .collect();
        let linked = outcomes.iter().filter(|o| **o == "linked").count();
        assert_eq!(linked, 1, "round {round}: {outcomes:?}");
    }
    assert_eq!(p.app.row_count("credential").await, 10);
}

/// Item 6c: instances starting together on one empty database print one owner token.
#[tokio::test]
async fn instances_starting_together_bootstrap_one_owner_token() {
    for _ in 0..3 {
        let database = TestDatabase::new().await;
        let settings = autoprov::config::Settings::for_database(database.url.clone());
        let starts = (0..3).map(|_| {
            let settings = settings.clone();
            tokio::spawn(async move { spawn_server(&settings).await.1 })
        });
        let secrets: Vec<Option<String>> = futures::future::join_all(starts)
            .await
            .into_iter()
            .map(|r| r.expect("task"))
            .collect();
        assert_eq!(secrets.iter().flatten().count(), 1, "{secrets:?}");
    }
}

/// Item 8: stored values this version cannot read fail the call; they are never defaulted.
#[tokio::test]
async fn unreadable_stored_values_fail_closed() {
    let p = Portal::new(json!({"updateAttributesOnLogin": true})).await;
    let out = sign_in(&p, "s1", json!({"email": "a@x.io", "roles": ["Staff"]})).await;
    assert_eq!(out["outcome"], "created");
    let before = p.app.row_counts().await;

    let db = &p.app.db;
    // The database refuses an unknown status (a CHECK constraint, or SQLite triggers)...
    assert!(
        db.execute_unprepared("UPDATE contact SET status = 'suspended'")
            .await
            .is_err(),
        "the database accepted an unknown status"
    );
    // ...so a row with one was written by another version: drop the check to make one.
    let drop_check = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "ALTER TABLE contact DROP CONSTRAINT ck_contact_status",
        _ => "DROP TRIGGER ck_contact_status_update",
    };
    db.execute_unprepared(drop_check).await.expect("drop check");
    db.execute_unprepared("UPDATE contact SET status = 'suspended'")
        .await
        .expect("corrupt status");
    let body = p
        .app
        .gql(SIGN_IN, json!({"input": p.input("s1", json!({}))}))
        .await;
    assert_eq!(error_code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    assert!(!body.to_string().contains("suspended"), "{body}");

    db.execute_unprepared("UPDATE contact SET status = 'active', roles = '{\"not\": \"a list\"}'")
        .await
        .expect("corrupt roles");
    let body = p
        .app
        .gql(
            SIGN_IN,
            json!({"input": p.input("s1", json!({"roles": ["Other"]}))}),
        )
        .await;
    assert_eq!(error_code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    let roles = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT roles FROM contact",
        ))
        .await
        .expect("query")
        .expect("row");
    let roles: Value = roles.try_get("", "roles").expect("roles");
    assert_eq!(
        roles,
        json!({"not": "a list"}),
        "corrupt roles were overwritten"
    );
    assert_eq!(p.app.row_counts().await, before, "a failed call wrote");
}

/// Item 9: an issuer cannot move under credentials it issued.
#[tokio::test]
async fn an_issuer_with_credentials_cannot_change() {
    let p = Portal::new(json!({})).await;
    let update = "mutation($id: ID!, $issuer: String!) { identityProviders { update(input: {identityProviderId: $id, issuer: $issuer}) { identityProvider { issuer } errors { label code } } } }";
    let move_to = |issuer: &str| p.app.data(update, json!({"id": p.idp, "issuer": issuer}));
    let data = move_to("https://sso2.example").await;
    assert_eq!(data["identityProviders"]["update"]["errors"], json!([]));
    sign_in(&p, "s1", json!({"email": "a@x.io"})).await;
    let data = move_to("https://evil.example").await;
    let error = only_error(&data["identityProviders"]["update"]);
    assert_eq!(
        (&error["label"], &error["code"]),
        (&json!("issuer"), &json!("inUse"))
    );
}

/// A GraphQL `Int` is 32 bits: a larger one is refused before anything runs, wherever it stands
/// (a skipped field, a nested list in a mutation's payload), and the mutation writes nothing.
#[tokio::test]
async fn ints_beyond_32_bits_are_refused_before_anything_runs() {
    let app = spawn_app().await;
    let account = app.create_account("Kept", None).await;
    let before = app.row_counts().await;
    for (query, variables) in [
        (
            "{ b: brands(offset: 4294967296) @include(if: false) { pageInfo { hasNextPage } } }".to_owned(),
            json!({}),
        ),
        (
            "query($n: Int!) { contacts { edges { node { provisioningEvents(first: $n) { id } } } } }".to_owned(),
            json!({"n": 4_294_967_296_i64}),
        ),
        (
            format!(
                "mutation {{ contacts {{ create(input: {{firstName: \"E\", lastName: \"X\", email: \"e@x.io\", accountId: \"{account}\"}}) {{
                    contact {{ provisioningEvents(first: 4294967296) {{ id }} }} errors {{ code }} }} }} }}"
            ),
            json!({}),
        ),
    ] {
        let body = app.gql(&query, variables).await;
        assert_eq!(body["data"], Value::Null, "{query}: {body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}: {body}");
    }
    assert_eq!(app.row_counts().await, before);
}
