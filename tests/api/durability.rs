//! Acknowledged means stored: the real binary is killed with SIGKILL during a load of first
//! sign-ins, restarted on the same database, and every contact it answered `created` for is
//! there.
use std::{
    io::{BufRead, BufReader},
    process::{Child, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

use serde_json::{Value, json};

use crate::helpers::{TestDatabase, autoprov, graphql_request, stdout_of};

/// `autoprov serve` on a free port; returns the child and its base URL.
fn serve(database_url: &str) -> (Child, String) {
    let mut child = autoprov()
        .args(["serve", "--bind", "127.0.0.1:0", "--sign-in-rate", "0"])
        .args(["--database-url", database_url])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start autoprov");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("GraphiQL: ") {
                tx.send(url.trim_end_matches("/graphql").to_owned()).ok();
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server announces its address");
    (child, address)
}

fn owner_token(database_url: &str) -> String {
    let output = autoprov()
        .args(["token", "create", "--name", "durability", "--role", "owner"])
        .args(["--database-url", database_url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("token create");
    stdout_of(output).trim().to_owned()
}

async fn gql(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> reqwest::Result<Value> {
    graphql_request(client, address, Some(token))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await?
        .json()
        .await
}

#[tokio::test]
async fn acknowledged_first_sign_ins_survive_a_kill() {
    let database = TestDatabase::new().await;
    let token = owner_token(&database.url);
    let (mut server, address) = serve(&database.url);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");

    let setup = gql(
        &client,
        &address,
        &token,
        "mutation { brands { create(input: {name: \"B\"}) { brand { id } } }
                    identityProviders { create(input: {name: \"I\", protocol: oidc, issuer: \"https://i.example\"}) { identityProvider { id } } } }",
        json!({}),
    )
    .await
    .expect("setup");
    let brand = setup["data"]["brands"]["create"]["brand"]["id"].clone();
    let idp = setup["data"]["identityProviders"]["create"]["identityProvider"]["id"].clone();
    let configured = gql(
        &client,
        &address,
        &token,
        "mutation($b: ID!, $i: ID!) { brands { createIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i, autoProvisionLearners: true}) { errors { message } } } }",
        json!({"b": brand, "i": idp}),
    )
    .await
    .expect("configure");
    assert_eq!(
        configured["data"]["brands"]["createIdentityProviderConfiguration"]["errors"],
        json!([])
    );

    // Eight callers sign new learners in until the server dies under them.
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let callers: Vec<_> = (0..8)
        .map(|caller| {
            let (client, address, token) = (client.clone(), address.clone(), token.clone());
            let (brand, idp, acknowledged) = (brand.clone(), idp.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let email = format!("learner-{caller}-{n}@example.com");
                    let out = gql(
                        &client,
                        &address,
                        &token,
                        "mutation($input: SignInInput!) { sso { signIn(input: $input) { outcome contact { id } } } }",
                        json!({"input": {"brandId": brand, "identityProviderId": idp, "subject": email, "claims": {"email": email}}}),
                    )
                    .await;
                    let Ok(out) = out else { break };
                    let payload = &out["data"]["sso"]["signIn"];
                    if payload["outcome"] == "created" {
                        let id = payload["contact"]["id"].as_str().expect("contact id").to_owned();
                        acknowledged.lock().expect("lock").push((id, email));
                    }
                }
            })
        })
        .collect();
    for _ in 0..200 {
        if acknowledged.lock().expect("lock").len() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    for caller in callers {
        caller.await.expect("caller");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 10,
        "the load barely ran: {}",
        acknowledged.len()
    );

    let (mut server, address) = serve(&database.url);
    for (id, email) in &acknowledged {
        let out = gql(
            &client,
            &address,
            &token,
            "query($id: ID!) { contact(id: $id) { email } }",
            json!({"id": id}),
        )
        .await
        .expect("query after restart");
        assert_eq!(
            out["data"]["contact"]["email"],
            json!(email),
            "lost {id}: {out}"
        );
    }
    server.kill().ok();
    server.wait().ok();
}
