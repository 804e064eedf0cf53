//! NUL and other control characters in any input are refused with the field's name, before
//! anything is written: PostgreSQL cannot store a NUL in text, and no field means to hold one.
use serde_json::{Value, json};

use crate::{helpers::ScimClient, sso::Portal};

const SIGN_IN: &str =
    "mutation($input: SignInInput!) { sso { signIn(input: $input) { outcome } } }";

/// A top-level GraphQL refusal naming `field`.
fn assert_refused(body: &Value, field: &str) {
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], field, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains(field)),
        "{body}"
    );
    assert!(body["data"].is_null(), "nothing ran: {body}");
}

#[tokio::test]
async fn graphql_refuses_control_characters_in_variables_and_literals() {
    let p = Portal::new(json!({})).await;
    let before = p.app.row_counts().await;
    for (claims, field) in [
        (
            json!({"email": "ada@example.com", "name": "Ada\u{0}"}),
            "signIn.input.claims.name",
        ),
        (
            json!({"email": "ada\u{0}@example.com"}),
            "signIn.input.claims.email",
        ),
        (
            json!({"email": "ada@example.com", "groups": ["a", "\u{1b}[2J"]}),
            "signIn.input.claims.groups[1]",
        ),
    ] {
        let body = p
            .app
            .gql(SIGN_IN, json!({"input": p.input("ada", claims)}))
            .await;
        assert_refused(&body, field);
    }
    let body = p
        .app
        .gql(
            SIGN_IN,
            json!({"input": p.input("a\u{0}da", json!({"email": "ada@example.com"}))}),
        )
        .await;
    assert_refused(&body, "signIn.input.subject");
    // A literal in the document, escaped the GraphQL way.
    let body = p
        .app
        .gql(
            r#"mutation { brands { create(input: {name: "Acme\u0000"}) { brand { id } } } }"#,
            json!({}),
        )
        .await;
    assert_refused(&body, "create.input.name");
    let body = p
        .app
        .gql(
            r#"query { contacts(first: 5, filters: [{email: {eq: "a\u0000@example.com"}}]) { edges { node { id } } } }"#,
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(p.app.row_counts().await, before, "nothing was written");
    // Ordinary text still goes through.
    let body = p
        .app
        .gql(SIGN_IN, json!({"input": p.input("ada", json!({"email": "ada@example.com", "name": "Ada Lovelace"}))}))
        .await;
    assert_eq!(
        body["data"]["sso"]["signIn"]["outcome"], "created",
        "{body}"
    );
}

#[tokio::test]
async fn scim_refuses_control_characters_in_bodies_and_parameters() {
    let p = Portal::new(json!({})).await;
    let token = p.app.create_scim_token(&p.brand, &p.idp).await;
    let c = ScimClient::new(&p.app, Some(&token));
    let before = p.app.row_counts().await;
    let user = |given: &str, user_name: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "name": {"givenName": given, "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "primary": true}],
        })
    };
    for (body, attribute) in [
        (user("Ada\u{0}", "ada@example.com"), "name.givenName"),
        (user("Ada", "ada\u{0}@example.com"), "userName"),
        (user("Ada\u{7}", "ada@example.com"), "name.givenName"),
    ] {
        let (status, _, error) = c.post("/Users", &body).await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["scimType"], "invalidValue", "{error}");
        assert!(
            error["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(attribute)),
            "{attribute}: {error}"
        );
    }
    let (status, _, error) = c
        .query("/Users", &[("filter", "userName eq \"a\u{0}b\"")])
        .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("filter")),
        "{error}"
    );
    assert_eq!(p.app.row_counts().await, before, "nothing was written");

    let (status, _, created) = c.post("/Users", &user("Ada", "ada@example.com")).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id");
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.familyName", "value": "Love\u{0}lace"}],
    });
    let (status, _, error) = c.patch(&format!("/Users/{id}"), &patch).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Operations[0].value")),
        "{error}"
    );
    let (_, _, now) = c.get(&format!("/Users/{id}")).await;
    assert_eq!(now["name"]["familyName"], "Lovelace", "unchanged: {now}");
}
