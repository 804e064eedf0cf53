//! Exactly once: concurrent first sign-ins of one subject, through two server instances
//! sharing one database, give one contact and one `created` event.
use std::collections::HashSet;

use autoprov::config::Settings;
use serde_json::json;

use crate::{
    helpers::{spawn_app, spawn_server},
    sso::Portal,
};

const CALLS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_sign_ins_create_one_contact() {
    let app = spawn_app().await;
    let portal = Portal::on(app, json!({})).await;
    // A second instance on the same database.
    let (second_address, _) =
        spawn_server(&Settings::for_database(portal.app.database.url.clone())).await;

    let query = "mutation($input: SignInInput!) { sso { signIn(input: $input) { contact { id } account { id } outcome errors { label message } } } }";
    let input = json!({"brandId": portal.brand, "identityProviderId": portal.idp, "subject": "same-subject",
        "claims": {"email": "race@example.com", "given_name": "Race", "family_name": "Condition"}});
    let body = json!({"query": query, "variables": {"input": input}});
    let mut calls = Vec::new();
    for i in 0..CALLS {
        let address = if i % 2 == 0 {
            portal.app.address.clone()
        } else {
            second_address.clone()
        };
        let client = portal.app.client.clone();
        let token = portal.app.owner_token.clone();
        let body = body.clone();
        calls.push(tokio::spawn(async move {
            let response = client
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.expect("json")
        }));
    }
    let mut contacts = HashSet::new();
    let mut created = 0;
    for call in calls {
        let body = call.await.expect("join");
        let payload = &body["data"]["sso"]["signIn"];
        assert_eq!(payload["errors"], json!([]), "{body}");
        let contact = payload["contact"]["id"].as_str().expect("a contact id");
        contacts.insert(contact.to_owned());
        match payload["outcome"].as_str() {
            Some("created") => created += 1,
            Some("signedIn") => {}
            other => panic!("unexpected outcome {other:?}: {body}"),
        }
    }
    assert_eq!(contacts.len(), 1, "every caller gets the same contact");
    assert_eq!(created, 1, "exactly one call creates the contact");

    let counts = portal.app.row_counts().await;
    let count = |t: &str| counts.iter().find(|(n, _)| n == t).map(|c| c.1);
    assert_eq!(count("contact"), Some(1));
    assert_eq!(count("credential"), Some(1));
    assert_eq!(count("account"), Some(1), "no orphan individual account");
    assert_eq!(count("provisioning_event"), Some(CALLS as i64));
    let events = portal.events().await;
    assert_eq!(
        events.iter().filter(|e| e["outcome"] == "created").count(),
        1
    );
}
