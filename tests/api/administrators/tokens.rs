//! Tokens that stand on an administrator (PRODUCT §7): the sign-in token of `sso.adminSignIn`
//! and every token created from that session are good only while the administrator is active
//! and holds at least the token's role. Authentication checks it, so a revocation lost to a
//! race (a sign-in committing after the deactivation revoked) leaves nothing alive; the tests
//! stage that race by clearing the revocation in the database. Administrators' tokens are
//! never cached, so every check is immediate and the tests deterministic.
use autoprov::{
    config::Settings,
    domain::access::{Principal, Role},
    error::AppError,
    service::api_tokens::{self, NewApiToken},
    startup,
};
use base64::Engine;
use entity::api_token;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    sso::{create_manual, dashboard, status_with, token_of},
    support::*,
};
use crate::helpers::{TestApp, spawn_app_with};

/// Creates a token of `role` with `token` (an administrator's session) and returns its secret.
async fn mint(app: &TestApp, token: &str, role: &str) -> String {
    let body = app
        .gql_as(
            token,
            "mutation($role: ApiTokenRole!) { apiTokens { create(input: {name: \"minted\", role: $role}) {
                secret errors { label code message } } } }",
            json!({"role": role}),
        )
        .await;
    let payload = &body["data"]["apiTokens"]["create"];
    assert_eq!(payload["errors"], json!([]), "{body}");
    payload["secret"].as_str().expect("secret").to_owned()
}

/// Stages the race a revocation can lose: every administrator's token is live again in the
/// database, as if it had been written after the revocation.
async fn clear_revocations(app: &TestApp) {
    app.db
        .execute_unprepared(
            "UPDATE api_token SET revoked_at = NULL WHERE administrator_id IS NOT NULL",
        )
        .await
        .expect("clear revocations");
}

/// The UUID behind a global ID.
fn uuid_of(id: &Value) -> Uuid {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(id.as_str().expect("id"))
        .expect("base64");
    let text = String::from_utf8(decoded).expect("utf-8");
    let (_, uuid) = text.split_once(':').expect("Type:uuid");
    uuid.parse().expect("uuid")
}

#[tokio::test]
async fn a_demoted_or_deactivated_administrator_leaves_no_token_alive_in_any_order() {
    let app = spawn_app_with(|_| {}).await;
    let ada = create_manual(&app, "ada@example.com", "owner").await;
    let (dashboard, idp) = dashboard(&app).await;
    let session = token_of(&app, &dashboard, &idp, "ada@example.com", "owner").await;
    let owner_minted = mint(&app, &session, "owner").await;
    let auditor_minted = mint(&app, &session, "auditor").await;
    for token in [&session, &owner_minted, &auditor_minted] {
        assert_eq!(status_with(&app, token).await, 200);
    }
    // Owners see whom a token stands on.
    let tokens = app
        .data(
            "{ apiTokens(first: 100) { edges { node { name administrator { id } } } } }",
            json!({}),
        )
        .await;
    let minted: Vec<&Value> = tokens["apiTokens"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["name"] == "minted")
        .map(|e| &e["node"]["administrator"]["id"])
        .collect();
    assert_eq!(minted, [&ada, &ada], "{tokens}");
    // What a minted token changes is the administrator's doing.
    let body = app
        .gql_as(
            &owner_minted,
            "mutation { companies { create(input: {name: \"Acme\"}) { company { id } } } }",
            json!({}),
        )
        .await;
    let company = body["data"]["companies"]["create"]["company"]["id"].clone();
    let events = app
        .data(
            "query($id: String!) { auditEvents(filters: [{field: entityId, operation: eq, value: $id}]) { edges { node { actorAdministrator { id } } } } }",
            json!({"id": company}),
        )
        .await;
    assert_eq!(
        events["auditEvents"]["edges"][0]["node"]["actorAdministrator"]["id"], ada,
        "{events}"
    );

    // Demoted to support by hand: every token is revoked, and even live again in the
    // database, none reaches past support.
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": ada, "role": "support"}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"]["errors"],
        json!([]),
        "{data}"
    );
    for token in [&session, &owner_minted, &auditor_minted] {
        assert_eq!(
            status_with(&app, token).await,
            401,
            "revoked by the demotion"
        );
    }
    clear_revocations(&app).await;
    assert_eq!(
        status_with(&app, &session).await,
        401,
        "an owner session of support"
    );
    assert_eq!(
        status_with(&app, &owner_minted).await,
        401,
        "an owner token of support"
    );
    assert_eq!(
        status_with(&app, &auditor_minted).await,
        200,
        "support reaches auditor"
    );

    // Deactivated: nothing of theirs is good, revoked or not.
    let data = app
        .data(
            UPDATE_ADMIN,
            json!({"input": {"administratorId": ada, "status": "inactive"}}),
        )
        .await;
    assert_eq!(
        data["administrators"]["update"]["errors"],
        json!([]),
        "{data}"
    );
    clear_revocations(&app).await;
    for token in [&session, &owner_minted, &auditor_minted] {
        assert_eq!(
            status_with(&app, token).await,
            401,
            "an inactive administrator's"
        );
    }
}

#[tokio::test]
async fn a_sync_that_deactivates_an_administrator_ends_its_session_and_minted_tokens() {
    let app = spawn_app_with(|s| s.max_deactivation_percent = 100).await;
    create_rule(
        &app,
        "Exec",
        json!([cond("department", "eq", "Exec")]),
        "owner",
    )
    .await;
    import_applied(
        &app,
        &csv(&[employee("E1", "Exec"), employee("E2", "Exec")]),
    )
    .await;
    let (dashboard, idp) = dashboard(&app).await;
    let session = token_of(&app, &dashboard, &idp, "e1@example.com", "owner").await;
    let minted = mint(&app, &session, "support").await;
    assert_eq!(status_with(&app, &minted).await, 200);
    // E1 leaves.
    import_applied(&app, &csv(&[employee("E2", "Exec")])).await;
    for token in [&session, &minted] {
        assert_eq!(status_with(&app, token).await, 401);
    }
    // A sign-in that committed its token after the sync (the race) is refused all the same.
    clear_revocations(&app).await;
    for token in [&session, &minted] {
        assert_eq!(status_with(&app, token).await, 401);
    }
}

#[tokio::test]
async fn a_session_cannot_create_a_token_above_its_administrator() {
    let app = spawn_app_with(|_| {}).await;
    let grace = create_manual(&app, "grace@example.com", "support").await;
    let before = admin_table_counts(&app).await;
    // The API lets only owners' sessions create tokens; the service refuses, by field, a
    // session whose administrator does not reach the role (e.g. one demoted a moment ago).
    let owner_token = api_token::Entity::find()
        .one(&app.db)
        .await
        .expect("tokens")
        .expect("the bootstrap owner token");
    let session = Principal {
        token_id: owner_token.id,
        token_name: "Grace's session".into(),
        role: Role::Owner,
        brand_id: None,
        identity_provider_id: None,
        configuration_id: None,
        administrator_id: Some(uuid_of(&grace)),
    };
    let service = startup::app(app.db.clone(), &Settings::for_database(""));
    for (role, spelled) in [(Role::Owner, "owner"), (Role::Dashboard, "dashboard")] {
        let refused = api_tokens::create(
            &service,
            &session,
            NewApiToken {
                name: "escalate",
                role,
                brand_id: None,
                identity_provider_id: None,
                expires_at: None,
            },
        )
        .await;
        match refused {
            Err(AppError::Invalid(errors)) => {
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert_eq!(errors[0].label.as_deref(), Some("role"), "{errors:?}");
                assert_eq!(errors[0].value.as_deref(), Some(spelled));
            }
            other => panic!("{role:?}: expected a field error, got {other:?}"),
        }
    }
    assert_eq!(
        admin_table_counts(&app).await,
        before,
        "nothing was written"
    );
    // The use case decides who may, whatever the door: a support session reaching the service
    // directly (no GraphQL guard on the way) is refused before anything is read or written.
    let support = Principal {
        role: Role::Support,
        ..session.clone()
    };
    let forbidden = api_tokens::create(
        &service,
        &support,
        NewApiToken {
            name: "reports",
            role: Role::Auditor,
            brand_id: None,
            identity_provider_id: None,
            expires_at: None,
        },
    )
    .await;
    assert!(
        matches!(&forbidden, Err(AppError::Forbidden(why)) if why.contains("manage API tokens")),
        "{forbidden:?}"
    );
    assert_eq!(
        admin_table_counts(&app).await,
        before,
        "nothing was written"
    );
    // Within the administrator's role it works, and the token is theirs.
    let (token, _) = api_tokens::create(
        &service,
        &session,
        NewApiToken {
            name: "reports",
            role: Role::Auditor,
            brand_id: None,
            identity_provider_id: None,
            expires_at: None,
        },
    )
    .await
    .expect("an auditor token for a support administrator");
    assert_eq!(token.administrator_id, Some(uuid_of(&grace)));
}

#[tokio::test]
async fn a_sign_in_racing_the_sync_that_deactivates_the_administrator_leaves_no_live_token() {
    let app = spawn_app_with(|s| s.max_deactivation_percent = 100).await;
    create_rule(
        &app,
        "Exec",
        json!([cond("department", "eq", "Exec")]),
        "owner",
    )
    .await;
    let (dashboard, idp) = dashboard(&app).await;
    let with_e1 = csv(&[employee("E1", "Exec"), employee("E2", "Exec")]);
    let without_e1 = csv(&[employee("E2", "Exec")]);
    for round in 0..12 {
        import_applied(&app, &with_e1).await;
        let (signed_in, _) = tokio::join!(
            super::sso::sign_in(
                &app,
                &dashboard,
                &idp,
                json!({"email": "e1@example.com", "email_verified": true}),
            ),
            import_applied(&app, &without_e1),
        );
        if let Some(token) = signed_in["token"].as_str() {
            assert_eq!(
                status_with(&app, token).await,
                401,
                "round {round}: a token outlived its administrator's deactivation"
            );
        }
    }
}
