use std::{path::PathBuf, time::Duration};

use autoprov::{config::Settings, db::StatementLog, startup::Application};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

/// A database made for one test: a SQLite file in a temporary directory, or a new database
/// on the PostgreSQL server named by `TEST_DATABASE_URL`.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("autoprov_test_{}", Uuid::now_v7().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL must point at a reachable PostgreSQL server");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("TEST_DATABASE_URL like postgres://user@host:port/db");
                Self {
                    url: format!("{base}/{name}"),
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path: PathBuf = dir.path().join("autoprov.db");
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    _dir: Some(dir),
                }
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub owner_token: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    /// The statements the server runs (not those of the test's own `db`).
    pub statements: StatementLog,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server on port 0 and returns its base URL and the owner token it bootstrapped
/// (only on an empty database).
pub async fn spawn_server(settings: &Settings) -> (String, Option<String>) {
    let (address, secret, _) = spawn_observed_server(settings).await;
    (address, secret)
}

/// [`spawn_server`], also returning the log of the statements the server runs.
async fn spawn_observed_server(settings: &Settings) -> (String, Option<String>, StatementLog) {
    let app = Application::build(settings).await.expect("build app");
    let address = format!("http://{}", app.local_addr());
    let secret = app.bootstrap_secret().map(str::to_owned);
    let statements = app.statements();
    tokio::spawn(app.run_until(std::future::pending()));
    (address, secret, statements)
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::new().await;
    let mut settings = Settings::for_database(database.url.clone());
    configure(&mut settings);
    let (address, owner_token, statements) = spawn_observed_server(&settings).await;
    let owner_token = owner_token.expect("an empty database bootstraps an owner token");
    let db = autoprov::db::connect(&database.url, 2, &StatementLog::default())
        .await
        .expect("test connection");
    TestApp {
        address,
        owner_token,
        db,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        database,
        statements,
    }
}

impl TestApp {
    /// POSTs a GraphQL request with `token` (or none) and returns the status and JSON body.
    pub async fn post_graphql(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON body");
        (status, body)
    }

    /// Runs a query as the owner and returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(&self.owner_token, query, variables).await
    }

    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post_graphql(
                Some(token),
                &json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Runs a query that must succeed without top-level errors and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    pub async fn create_brand(&self, name: &str) -> String {
        let data = self
            .data(
                "mutation($name: String!) { brands { create(input: {name: $name}) { brand { id } errors { message } } } }",
                json!({"name": name}),
            )
            .await;
        id_of(&data["brands"]["create"], "brand")
    }

    pub async fn create_identity_provider(&self, issuer: &str) -> String {
        let data = self
            .data(
                "mutation($issuer: String!) { identityProviders { create(input: {name: \"IdP\", protocol: oidc, issuer: $issuer}) { identityProvider { id } errors { message } } } }",
                json!({"issuer": issuer}),
            )
            .await;
        id_of(&data["identityProviders"]["create"], "identityProvider")
    }

    pub async fn create_company(&self, name: &str) -> String {
        let data = self
            .data(
                "mutation($name: String!) { companies { create(input: {name: $name}) { company { id } errors { message } } } }",
                json!({"name": name}),
            )
            .await;
        id_of(&data["companies"]["create"], "company")
    }

    pub async fn create_account(&self, name: &str, company_id: Option<&str>) -> String {
        let data = self
            .data(
                "mutation($name: String!, $companyId: ID) { accounts { create(input: {name: $name, companyId: $companyId}) { account { id } errors { message } } } }",
                json!({"name": name, "companyId": company_id}),
            )
            .await;
        id_of(&data["accounts"]["create"], "account")
    }

    pub async fn create_contact(&self, email: &str, account_id: &str) -> String {
        let data = self
            .data(
                "mutation($email: String!, $accountId: ID!) { contacts { create(input: {firstName: \"Ada\", lastName: \"Lovelace\", email: $email, accountId: $accountId}) { contact { id } errors { label message } } } }",
                json!({"email": email, "accountId": account_id}),
            )
            .await;
        id_of(&data["contacts"]["create"], "contact")
    }

    /// Creates a token with `role` through the API and returns its secret.
    pub async fn create_token(&self, role: &str) -> String {
        let data = self
            .data(
                &format!("mutation {{ apiTokens {{ create(input: {{name: \"t\", role: {role}}}) {{ secret errors {{ message }} }} }} }}"),
                json!({}),
            )
            .await;
        data["apiTokens"]["create"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned()
    }

    /// Row counts of every table: the "nothing was written" check.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        let mut counts = Vec::new();
        for table in [
            "brand",
            "identity_provider",
            "identity_provider_configuration",
            "role_mapping",
            "company",
            "account",
            "contact",
            "credential",
            "provisioning_event",
            "api_token",
        ] {
            let row = self
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    self.db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await
                .expect("count")
                .expect("row");
            let n: i64 = row.try_get("", "n").expect("n");
            counts.push((table.to_owned(), n));
        }
        counts
    }
}

/// The entity's ID in a payload that must have no errors.
pub fn id_of(payload: &Value, entity: &str) -> String {
    assert_eq!(payload["errors"], json!([]), "{payload}");
    payload[entity]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {entity}.id in {payload}"))
        .to_owned()
}

/// The single payload error; panics unless there is exactly one.
pub fn only_error(payload: &Value) -> &Value {
    let errors = payload["errors"].as_array().expect("errors list");
    assert_eq!(errors.len(), 1, "{payload}");
    &errors[0]
}

/// A global ID of `type_name` for a random UUID: well formed, names nothing.
pub fn unknown_id(type_name: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{type_name}:{}", Uuid::now_v7()))
}
