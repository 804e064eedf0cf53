//! Emails that only look like another contact's (Unicode TS #39 skeletons) and emails with
//! invisible characters are refused at every door that creates or renames a contact.
use serde_json::{Value, json};

use crate::{helpers::ScimClient, sso::Portal};

const CREATE: &str = "mutation($email: String!, $a: ID!) { contacts { create(input: {firstName: \"F\", lastName: \"L\", email: $email, accountId: $a}) { contact { id email } errors { label code message } } } }";
const UPDATE: &str = "mutation($id: ID!, $email: String!) { contacts { update(input: {contactId: $id, email: $email}) { contact { email } errors { label code } } } }";
const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) { outcome denialReason contact { email } changedAttributes errors { label code } } } }";

/// `ada@example.com` with a Cyrillic `а` (U+0430) for its first letter.
const CYRILLIC_ADA: &str = "\u{430}da@example.com";

async fn create(p: &Portal, account: &str, email: &str) -> Value {
    p.app
        .data(CREATE, json!({"email": email, "a": account}))
        .await["contacts"]["create"]
        .clone()
}

#[tokio::test]
async fn look_alike_and_invisible_emails_are_refused_by_the_admin_api() {
    let p = Portal::new(json!({})).await;
    let account = p.app.create_account("Acme", None).await;
    let ada = create(&p, &account, "ada@example.com").await;
    assert_eq!(ada["errors"], json!([]), "{ada}");
    let before = p.app.row_counts().await;

    let payload = create(&p, &account, CYRILLIC_ADA).await;
    assert_eq!(payload["errors"][0]["code"], "confusable", "{payload}");
    assert_eq!(payload["errors"][0]["label"], "email", "{payload}");
    let payload = create(&p, &account, "ad\u{200B}a@example.com").await;
    assert_eq!(payload["errors"][0]["code"], "invalid", "{payload}");
    assert!(
        payload["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("invisible")),
        "{payload}"
    );
    // The same address in another case is the same address: taken, not confusable.
    let payload = create(&p, &account, "ADA@example.com").await;
    assert_eq!(payload["errors"][0]["code"], "alreadyExists", "{payload}");
    assert_eq!(p.app.row_counts().await, before, "nothing was written");

    // Renaming another contact to the look-alike is refused too; its own address is fine.
    let bob = create(&p, &account, "bob@example.com").await;
    let bob_id = bob["contact"]["id"].as_str().expect("id").to_owned();
    let payload = p
        .app
        .data(UPDATE, json!({"id": bob_id, "email": CYRILLIC_ADA}))
        .await["contacts"]["update"]
        .clone();
    assert_eq!(payload["errors"][0]["code"], "confusable", "{payload}");
    let ada_id = ada["contact"]["id"].as_str().expect("id");
    let payload = p
        .app
        .data(UPDATE, json!({"id": ada_id, "email": "Ada@Example.com"}))
        .await["contacts"]["update"]
        .clone();
    assert_eq!(payload["errors"], json!([]), "{payload}");
}

#[tokio::test]
async fn a_sign_in_neither_creates_nor_renames_into_a_look_alike() {
    let p = Portal::new(json!({"updateAttributesOnLogin": true})).await;
    let account = p.app.create_account("Acme", None).await;
    assert_eq!(
        create(&p, &account, "ada@example.com").await["errors"],
        json!([])
    );
    let signed = |subject: &str, email: &str| {
        let input = p.input(subject, json!({"email": email, "email_verified": true}));
        let app = &p.app;
        async move { app.data(SIGN_IN, json!({"input": input})).await["sso"]["signIn"].clone() }
    };
    let before = p.app.row_count("contact").await;
    let payload = signed("mallory", CYRILLIC_ADA).await;
    assert_eq!(payload["outcome"], "denied", "{payload}");
    assert_eq!(payload["denialReason"], "emailConfusable", "{payload}");
    assert_eq!(payload["errors"][0]["code"], "confusable", "{payload}");
    assert_eq!(
        p.app.row_count("contact").await,
        before,
        "no contact created"
    );

    // An existing learner whose IdP renames them to the look-alike keeps their address.
    let payload = signed("bob", "bob@example.com").await;
    assert_eq!(payload["outcome"], "created", "{payload}");
    let payload = signed("bob", CYRILLIC_ADA).await;
    assert_eq!(payload["outcome"], "signedIn", "{payload}");
    assert_eq!(payload["contact"]["email"], "bob@example.com", "{payload}");
    assert!(
        !payload["changedAttributes"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("email"))),
        "{payload}"
    );
}

#[tokio::test]
async fn scim_refuses_a_look_alike_email() {
    let p = Portal::new(json!({})).await;
    let account = p.app.create_account("Acme", None).await;
    assert_eq!(
        create(&p, &account, "ada@example.com").await["errors"],
        json!([])
    );
    let token = p.app.create_scim_token(&p.brand, &p.idp).await;
    let c = ScimClient::new(&p.app, Some(&token));
    let user = |user_name: &str, email: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "emails": [{"value": email, "primary": true}],
        })
    };
    let before = p.app.row_counts().await;
    let (status, _, error) = c.post("/Users", &user("mallory", CYRILLIC_ADA)).await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["scimType"], "uniqueness", "{error}");
    assert_eq!(p.app.row_counts().await, before, "nothing was written");

    let (status, _, bob) = c.post("/Users", &user("bob", "bob@example.com")).await;
    assert_eq!(status, 201, "{bob}");
    let id = bob["id"].as_str().expect("id");
    let (status, _, error) = c
        .put(&format!("/Users/{id}"), &user("bob", CYRILLIC_ADA))
        .await;
    assert_eq!(status, 409, "{error}");
    let (_, _, now) = c.get(&format!("/Users/{id}")).await;
    assert_eq!(now["emails"][0]["value"], "bob@example.com", "{now}");
}
