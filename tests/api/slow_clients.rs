//! Callers that hold the service: slow or unfinished requests, too many connections, a portal
//! that signs in too fast. Real sockets against a spawned server.
use std::time::Duration;

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    helpers::{error_code, spawn_app_with},
    sso::Portal,
};

/// Reads until the server closes the connection or `limit` passes; returns what was read and
/// whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(limit, stream.read_to_end(&mut buf))
        .await
        .is_ok();
    (String::from_utf8_lossy(&buf).into_owned(), closed)
}

fn host_of(address: &str) -> &str {
    address.trim_start_matches("http://")
}

#[tokio::test]
async fn unfinished_headers_and_trickling_bodies_are_cut_off() {
    let app = spawn_app_with(|s| {
        s.header_read_timeout_seconds = 1;
        s.request_timeout_seconds = 1;
    })
    .await;
    let host = host_of(&app.address);

    // Headers that never end: the connection is closed, not held.
    let mut stream = TcpStream::connect(host).await.expect("connect");
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: autoprov\r\n")
        .await
        .expect("write");
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(closed, "a connection with unfinished headers was held open");

    // A connection that sends nothing at all is closed too.
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(closed, "an idle connection was held open");

    // A body that stops short: 408, and the connection ends.
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: autoprov\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\":",
        app.owner_token
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(closed, "a trickling body held the connection");
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let app = spawn_app_with(|s| s.max_connections = 2).await;
    let host = host_of(&app.address);
    let held = [
        TcpStream::connect(host).await.expect("connect"),
        TcpStream::connect(host).await.expect("connect"),
    ];
    let client = reqwest::Client::new();
    let healthz = format!("{}/healthz", app.address);
    let waited = client
        .get(&healthz)
        .timeout(Duration::from_millis(1500))
        .send()
        .await;
    assert!(waited.is_err(), "a third connection was served: {waited:?}");
    drop(held);
    let served = client
        .get(&healthz)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("served once a connection closed");
    assert_eq!(served.status(), 200);
}

#[tokio::test]
async fn a_token_that_signs_in_too_fast_is_told_when_to_retry() {
    let app = spawn_app_with(|s| {
        s.sign_in_rate = 0.5;
        s.sign_in_burst = 2;
    })
    .await;
    let p = Portal::on(app, json!({})).await;
    let query = "mutation($input: SignInInput!) { sso { signIn(input: $input) { outcome } } }";
    let body = |subject: &str| {
        json!({"query": query, "variables": {"input": {"brandId": p.brand, "identityProviderId": p.idp,
            "subject": subject, "claims": {"email": format!("{subject}@x.io")}}}})
    };
    for subject in ["a", "b"] {
        let (status, out) = p
            .app
            .post_graphql(Some(&p.app.owner_token), &body(subject))
            .await;
        assert_eq!(
            (status, &out["data"]["sso"]["signIn"]["outcome"]),
            (200, &json!("created"))
        );
    }
    let response = p
        .app
        .request(Some(&p.app.owner_token))
        .json(&body("c"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let out: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    // Nothing was written for the refused call, and another token is paced on its own.
    let contacts = p.app.row_counts().await;
    assert!(
        contacts.contains(&("contact".to_owned(), 2)),
        "{contacts:?}"
    );
    let support = p.app.create_token("support").await;
    let (status, out) = p.app.post_graphql(Some(&support), &body("c")).await;
    assert_eq!(
        (status, &out["data"]["sso"]["signIn"]["outcome"]),
        (200, &json!("created"))
    );
}
