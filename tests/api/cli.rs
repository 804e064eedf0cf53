//! The binary's run contract: `token create`, `schema`, `migrate`, and `serve` with signals.
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use autoprov::config::Settings;

use crate::helpers::{
    TestDatabase, autoprov, post_graphql_to, spawn_app_with, spawn_server, stdout_of,
};

#[tokio::test]
async fn schema_command_matches_the_committed_schema_graphql() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the top level");
    let printed = autoprov()
        .arg("schema")
        .output()
        .expect("run autoprov schema");
    assert!(printed.status.success());
    let printed = String::from_utf8(printed.stdout).expect("utf-8");
    assert_eq!(autoprov::transport::graphql::sdl(), printed);
    assert!(
        committed == printed,
        "schema.graphql is out of date; regenerate it with:\n\n    cargo run -- schema > schema.graphql\n"
    );
}

#[tokio::test]
async fn token_create_prints_only_a_working_secret() {
    let database = TestDatabase::new().await;
    let stdout = stdout_of(
        autoprov()
            .args(["token", "create", "--name", "ci", "--role", "auditor"])
            .env("DATABASE_URL", &database.url)
            .output()
            .expect("run token create"),
    );
    let secret = stdout.trim_end_matches('\n');
    assert!(
        secret.starts_with("apt_") && !secret.contains(char::is_whitespace),
        "{stdout:?}"
    );

    // The database already has a token, so serve bootstraps none; the CLI token works.
    let (address, bootstrap) = spawn_server(&Settings::for_database(database.url.clone())).await;
    assert!(
        bootstrap.is_none(),
        "no bootstrap token on a database that has tokens"
    );
    let list = json!({"query": "{ brands { pageInfo { totalRecords } } }"});
    let (status, body) =
        post_graphql_to(&reqwest::Client::new(), &address, Some(secret), &list).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn token_create_refuses_a_blank_name_and_migrate_is_repeatable() {
    let database = TestDatabase::new().await;
    for _ in 0..2 {
        let status = autoprov()
            .arg("migrate")
            .env("DATABASE_URL", &database.url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run migrate");
        assert!(status.success());
    }
    let output = autoprov()
        .args(["token", "create", "--name", "  "])
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run token create");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--name"));
}

#[test]
fn settings_that_would_break_the_service_are_refused_by_name() {
    for (flag, value) in [
        ("--sign-in-rate", "NaN"),
        ("--sign-in-rate", "-1"),
        ("--sign-in-rate", "inf"),
        ("--max-connections", "0"),
        ("--header-read-timeout-seconds", "0"),
        ("--request-timeout-seconds", "0"),
    ] {
        let output = autoprov()
            .arg(format!("{flag}={value}"))
            .arg("schema")
            .output()
            .expect("run autoprov");
        assert!(!output.status.success(), "{flag}={value} was accepted");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{flag}={value}: {stderr}");
    }
}

#[tokio::test]
async fn serve_prints_the_bootstrap_token_once_and_stops_on_sigterm() {
    let database = TestDatabase::new().await;
    let mut child = autoprov()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &database.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.starts_with("GraphiQL:"))
            .collect::<Vec<_>>()
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), lines)
        .await
        .expect("serve starts")
        .expect("read stdout");
    assert!(
        lines.iter().any(|l| l.trim().starts_with("apt_")),
        "{lines:?}"
    );

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );

    // A second start on the same database prints no token.
    let (_, bootstrap) = spawn_server(&Settings::for_database(database.url.clone())).await;
    assert!(bootstrap.is_none());
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let app = spawn_app_with(|s| s.introspection = false).await;
    let body = app
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"], json!(null), "{body}");
    let app = spawn_app_with(|_| {}).await;
    let data = app
        .data("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");
}
