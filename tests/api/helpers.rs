use std::{
    path::PathBuf,
    process::{Command, Output},
    time::Duration,
};

use autoprov::{config::Settings, db::StatementLog, startup::Application};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

/// A database made for one test: a SQLite file in a temporary directory, or a new database
/// on the PostgreSQL server named by `TEST_DATABASE_URL`. Either is removed when the test
/// ends (a run on PostgreSQL would otherwise leave a few hundred databases, 2 GB).
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// On PostgreSQL: the admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
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
                    postgres: Some((admin_url, name)),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path: PathBuf = dir.path().join("autoprov.db");
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    _dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    /// Drops the PostgreSQL database, closing the connections the test's server still holds
    /// (`WITH (FORCE)`). On a thread of its own: the test's runtime cannot be blocked on from
    /// inside it. A failure is reported, never a panic (a panic in a drop that runs while a
    /// failed test unwinds would abort the whole run).
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute_unprepared(&statement)
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.ok();
                Ok::<_, String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {name}: {e}"),
            Err(_) => eprintln!("could not drop test database {name}: the thread panicked"),
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
    /// The tokenless `/metrics` listener's base URL, when `metrics_bind` is set.
    pub metrics_address: Option<String>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server on port 0 and returns its base URL and the owner token it bootstrapped
/// (only on an empty database).
pub async fn spawn_server(settings: &Settings) -> (String, Option<String>) {
    let server = spawn_observed_server(settings).await;
    (server.address, server.secret)
}

struct Spawned {
    address: String,
    secret: Option<String>,
    statements: StatementLog,
    metrics_address: Option<String>,
}

/// [`spawn_server`], also returning the log of the statements the server runs.
async fn spawn_observed_server(settings: &Settings) -> Spawned {
    let app = Application::build(settings).await.expect("build app");
    let spawned = Spawned {
        address: format!("{}://{}", app.scheme(), app.local_addr()),
        secret: app.bootstrap_secret().map(str::to_owned),
        statements: app.statements(),
        metrics_address: app.metrics_addr().map(|a| format!("http://{a}")),
    };
    tokio::spawn(app.run_until(std::future::pending()));
    spawned
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::new().await;
    let mut settings = Settings::for_database(database.url.clone());
    configure(&mut settings);
    let Spawned {
        address,
        secret,
        statements,
        metrics_address,
    } = spawn_observed_server(&settings).await;
    let owner_token = secret.expect("an empty database bootstraps an owner token");
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
        metrics_address,
    }
}

impl TestApp {
    /// A POST to this server's GraphQL endpoint, with `token` (or none), to be given a body.
    pub fn request(&self, token: Option<&str>) -> reqwest::RequestBuilder {
        graphql_request(&self.client, &self.address, token)
    }

    /// POSTs a GraphQL request with `token` (or none) and returns the status and JSON body.
    pub async fn post_graphql(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        post_graphql_to(&self.client, &self.address, token, body).await
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

    /// Creates one `entity` from `input` through `namespace { create }` and returns its ID.
    pub async fn create(&self, namespace: &str, entity: &str, input: Value) -> String {
        let mut input_type = entity.to_owned();
        input_type[..1].make_ascii_uppercase();
        let mutation = format!(
            "mutation($input: Create{input_type}Input!) {{ {namespace} {{ create(input: $input) {{ {entity} {{ id }} errors {{ label message }} }} }} }}"
        );
        let data = self.data(&mutation, json!({"input": input})).await;
        id_of(&data[namespace]["create"], entity)
    }

    pub async fn create_brand(&self, name: &str) -> String {
        self.create("brands", "brand", json!({"name": name})).await
    }

    pub async fn create_identity_provider(&self, issuer: &str) -> String {
        let input = json!({"name": "IdP", "protocol": "oidc", "issuer": issuer});
        self.create("identityProviders", "identityProvider", input)
            .await
    }

    pub async fn create_company(&self, name: &str) -> String {
        self.create("companies", "company", json!({"name": name}))
            .await
    }

    pub async fn create_account(&self, name: &str, company_id: Option<&str>) -> String {
        let input = json!({"name": name, "companyId": company_id});
        self.create("accounts", "account", input).await
    }

    pub async fn create_contact(&self, email: &str, account_id: &str) -> String {
        let input = json!({"firstName": "Ada", "lastName": "Lovelace", "email": email, "accountId": account_id});
        self.create("contacts", "contact", input).await
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

    /// The number of rows in `table`.
    pub async fn row_count(&self, table: &str) -> i64 {
        let counts = self.row_counts().await;
        counts
            .into_iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| n)
            .unwrap_or_else(|| panic!("no table {table}"))
    }

    /// Row counts of every table: the "nothing was written" check.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        let mut counts = Vec::new();
        for table in [
            "brand",
            "identity_provider",
            "identity_provider_configuration",
            "identity_provider_key_set",
            "proof_replay",
            "role_mapping",
            "company",
            "account",
            "contact",
            "credential",
            "provisioning_event",
            "api_token",
            "audit_event",
            "hris_connection",
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

/// A POST to the GraphQL endpoint of the server at `address`, with `token` (or none).
pub fn graphql_request(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = client.post(format!("{address}/graphql"));
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// POSTs a GraphQL request to the server at `address` with `token` (or none) and returns the
/// status and JSON body.
pub async fn post_graphql_to(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let response = graphql_request(client, address, token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.expect("JSON body");
    (status, body)
}

/// The `extensions.code` of the first top-level error; "" when there is none.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// The message of the first top-level error; "" when there is none.
pub fn error_message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

/// Asserts that `text` is a JSON string containing `needle`.
pub fn assert_contains(text: &Value, needle: &str) {
    assert!(
        text.as_str().is_some_and(|t| t.contains(needle)),
        "{text} does not contain {needle:?}"
    );
}

/// The `autoprov` binary, without the caller's `RUST_LOG`.
pub fn autoprov() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autoprov"));
    command.env_remove("RUST_LOG");
    command
}

/// The standard output of a command that must have succeeded (its stderr shown if not).
pub fn stdout_of(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// A SCIM reply: status, headers, and the body as JSON (`Null` when empty).
pub type ScimReply = (u16, reqwest::header::HeaderMap, Value);

/// A client of this server's `/scim/v2`, with a bearer token (or none).
#[derive(Clone)]
pub struct ScimClient {
    /// The SCIM base URL, `http://host:port/scim/v2`.
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

impl ScimClient {
    pub fn new(app: &TestApp, token: Option<&str>) -> Self {
        Self {
            base: format!("{}/scim/v2", app.address),
            token: token.map(str::to_owned),
            http: app.client.clone(),
        }
    }

    /// A request to `base + path` with the token, to be completed and given to [`Self::send`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `request` and reads the reply; a body that is not JSON fails the test.
    pub async fn send(request: reqwest::RequestBuilder) -> ScimReply {
        let response = request.send().await.expect("SCIM request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("SCIM body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{status}: the body is not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, headers, body)
    }

    /// `method path` with a JSON `body` sent as `application/scim+json`.
    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> ScimReply {
        Self::send(
            self.request(method, path)
                .header(reqwest::header::CONTENT_TYPE, "application/scim+json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> ScimReply {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    /// GET with query parameters, URL-encoded.
    pub async fn query(&self, path: &str, params: &[(&str, &str)]) -> ScimReply {
        Self::send(self.request(reqwest::Method::GET, path).query(params)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> ScimReply {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> ScimReply {
        self.send_json(reqwest::Method::PUT, path, body).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> ScimReply {
        self.send_json(reqwest::Method::PATCH, path, body).await
    }

    pub async fn delete(&self, path: &str) -> ScimReply {
        Self::send(self.request(reqwest::Method::DELETE, path)).await
    }
}

impl TestApp {
    /// Runs `apiTokens.create` with `input` as the owner and returns the payload.
    pub async fn create_token_with(&self, input: Value) -> Value {
        let data = self
            .data(
                "mutation($input: CreateApiTokenInput!) { apiTokens { create(input: $input) {
                    apiToken { id name role expiresAt active brand { id } identityProvider { id } }
                    secret errors { label message value code } } } }",
                json!({"input": input}),
            )
            .await;
        data["apiTokens"]["create"].clone()
    }

    /// Creates a SCIM token for the configuration of (`brand`, `idp`); returns its secret.
    pub async fn create_scim_token(&self, brand: &str, idp: &str) -> String {
        let payload = self
            .create_token_with(
                json!({"name": "okta", "role": "scim", "brandId": brand, "identityProviderId": idp}),
            )
            .await;
        assert_eq!(payload["errors"], json!([]), "{payload}");
        payload["secret"].as_str().expect("secret").to_owned()
    }
}
