//! The GraphQL client, and the setup done through the API as an administrator would: a brand,
//! three identity providers with their configurations, and the portal token for sign-ins.
use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use uuid::Uuid;

/// One HTTP client (and so one connection pool) shared by every worker, as a portal would.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    url: String,
}

impl Api {
    pub fn new(url: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("cannot build the HTTP client");
        Self { client, url }
    }

    /// `GET /metrics` as `token`.
    async fn metrics(&self, token: &str) -> Result<String, String> {
        let url = self.url.replace("/graphql", "/metrics");
        self.client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("GET /metrics failed: {e}"))?
            .text()
            .await
            .map_err(|e| format!("reading /metrics failed: {e}"))
    }

    /// The `autoprov_sign_ins_total` series of `GET /metrics`, by their labels.
    pub async fn sign_ins_counted(&self, token: &str) -> Result<Vec<(String, f64)>, String> {
        Ok(self
            .metrics(token)
            .await?
            .lines()
            .filter_map(|line| line.strip_prefix("autoprov_sign_ins_total"))
            .filter_map(|rest| {
                let (labels, value) = rest.rsplit_once(' ')?;
                Some((labels.to_owned(), value.parse().ok()?))
            })
            .collect())
    }

    /// The statements the server has run since it started (`autoprov_db_statements_total`).
    pub async fn statements_run(&self, token: &str) -> Result<f64, String> {
        self.metrics(token)
            .await?
            .lines()
            .find_map(|line| line.strip_prefix("autoprov_db_statements_total "))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| "no autoprov_db_statements_total in /metrics".to_owned())
    }

    /// Posts one operation; anything but HTTP 200 with `data` and no `errors` is an `Err`
    /// describing what came back.
    pub async fn post(&self, token: &str, query: &str, variables: Value) -> Result<Value, String> {
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the response failed: {e}"))?;
        let mut body: Value = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "HTTP {status}, not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {status}: {body}"));
        }
        if body
            .get("errors")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty())
        {
            return Err(format!("GraphQL errors: {}", body["errors"]));
        }
        match body.get_mut("data").map(Value::take) {
            Some(data) if !data.is_null() => Ok(data),
            _ => Err(format!("no data: {body}")),
        }
    }

    /// Setup calls: panic with the request's answer if it fails.
    pub async fn must(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post(token, query, variables)
            .await
            .unwrap_or_else(|e| panic!("setup request failed: {e}\nquery: {query}"))
    }
}

/// The payload at `path` of a mutation answer, after checking that its `errors` list is empty.
pub fn payload<'a>(data: &'a Value, path: &[&str]) -> &'a Value {
    let payload = path.iter().fold(data, |v, key| &v[*key]);
    let errors = &payload["errors"];
    assert!(
        errors.as_array().is_some_and(Vec::is_empty),
        "setup mutation {} refused: {errors}",
        path.join(".")
    );
    payload
}

/// The UUID inside a Relay global ID (documented as base64 of `"<Type>:<uuid>"`); the baseline
/// needs the raw keys.
pub fn uuid_of(global_id: &str) -> Uuid {
    STANDARD
        .decode(global_id)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').and_then(|(_, u)| u.parse().ok()))
        .unwrap_or_else(|| panic!("not a global ID of this API: {global_id}"))
}

pub fn global_id(type_name: &str, id: Uuid) -> String {
    STANDARD.encode(format!("{type_name}:{id}"))
}

/// What setup created: global IDs for the API, raw UUIDs for the baseline, and the tokens.
#[derive(Clone)]
pub struct Setup {
    pub owner: String,
    pub portal: String,
    pub brand: String,
    pub idp_individual: String,
    pub idp_company: String,
    pub idp_update: String,
    /// The "individual" identity provider's issuer, which its signed proofs must name.
    pub issuer_individual: String,
}

const FIELD_ERRORS: &str = "errors { label message value code }";

pub async fn setup(api: &Api, owner: String, prefix: &str) -> Setup {
    let data = api
        .must(
            &owner,
            &format!(
                "mutation($name: String!) {{ brands {{ create(input: {{name: $name}}) {{ brand {{ id }} {FIELD_ERRORS} }} }} }}"
            ),
            json!({ "name": format!("Bench brand {prefix}") }),
        )
        .await;
    let brand = payload(&data, &["brands", "create"])["brand"]["id"]
        .as_str()
        .expect("brand id")
        .to_owned();

    // (name, updateAttributesOnLogin, companyMatch)
    let configurations = [
        ("individual", false, "exact"),
        ("company", false, "caseInsensitive"),
        ("update", true, "exact"),
    ];
    let mut idps = Vec::new();
    let issuer = |name: &str| format!("https://{name}.idp.bench.example/{prefix}");
    for (name, update_on_login, company_match) in configurations {
        let data = api
            .must(
                &owner,
                &format!(
                    "mutation($name: String!, $issuer: String!) {{ identityProviders {{ create(input: \
                     {{name: $name, protocol: oidc, issuer: $issuer}}) {{ identityProvider {{ id }} {FIELD_ERRORS} }} }} }}"
                ),
                json!({
                    "name": format!("Bench IdP {name}"),
                    "issuer": issuer(name),
                }),
            )
            .await;
        let idp = payload(&data, &["identityProviders", "create"])["identityProvider"]["id"]
            .as_str()
            .expect("identity provider id")
            .to_owned();
        let data = api
            .must(
                &owner,
                &format!(
                    "mutation($input: IdentityProviderConfigurationInput!) {{ brands {{ \
                     createIdentityProviderConfiguration(input: $input) {{ \
                     identityProviderConfiguration {{ id autoProvisionLearners updateAttributesOnLogin companyMatch \
                     defaultAccount {{ id }} attributeMap {{ email firstName lastName companyName }} }} \
                     {FIELD_ERRORS} }} }} }}"
                ),
                json!({ "input": {
                    "brandId": brand,
                    "identityProviderId": idp,
                    "autoProvisionLearners": true,
                    "updateAttributesOnLogin": update_on_login,
                    "companyMatch": company_match,
                }}),
            )
            .await;
        let config = &payload(&data, &["brands", "createIdentityProviderConfiguration"])["identityProviderConfiguration"];
        // The sign-in calls send the README's default claim names.
        assert_eq!(
            config["attributeMap"],
            json!({"email": "email", "firstName": "given_name", "lastName": "family_name", "companyName": "company"}),
            "the default attribute map changed"
        );
        assert!(config["defaultAccount"].is_null(), "{config}");
        idps.push(idp);
    }

    let data = api
        .must(
            &owner,
            &format!(
                "mutation($input: CreateApiTokenInput!) {{ apiTokens {{ create(input: $input) {{ \
                 secret {FIELD_ERRORS} }} }} }}"
            ),
            json!({ "input": { "name": "bench portal", "role": "portal", "brandId": brand } }),
        )
        .await;
    let portal = payload(&data, &["apiTokens", "create"])["secret"]
        .as_str()
        .expect("portal secret")
        .to_owned();

    let [idp_individual, idp_company, idp_update] =
        <[String; 3]>::try_from(idps).expect("three identity providers");
    Setup {
        owner,
        portal,
        brand,
        idp_individual,
        idp_company,
        idp_update,
        issuer_individual: issuer("individual"),
    }
}

/// One SCIM connection as an administrator sets it up: an identity provider, its configuration
/// on the bench's brand (SCIM needs no sign-in settings), and a SCIM token bound to the two.
#[derive(Clone)]
pub struct ScimSetup {
    pub idp_id: Uuid,
    pub configuration_id: Uuid,
    /// The SCIM token's secret.
    pub token: String,
}

pub async fn scim_setup(api: &Api, owner: &str, brand: &str, prefix: &str, tag: &str) -> ScimSetup {
    let data = api
        .must(
            owner,
            &format!(
                "mutation($name: String!, $issuer: String!) {{ identityProviders {{ create(input: \
                 {{name: $name, protocol: saml, issuer: $issuer}}) {{ identityProvider {{ id }} {FIELD_ERRORS} }} }} }}"
            ),
            json!({
                "name": format!("Bench SCIM IdP {tag}"),
                "issuer": format!("https://scim-{tag}.idp.bench.example/{prefix}"),
            }),
        )
        .await;
    let idp = payload(&data, &["identityProviders", "create"])["identityProvider"]["id"]
        .as_str()
        .expect("identity provider id")
        .to_owned();
    let data = api
        .must(
            owner,
            &format!(
                "mutation($input: IdentityProviderConfigurationInput!) {{ brands {{ \
                 createIdentityProviderConfiguration(input: $input) {{ \
                 identityProviderConfiguration {{ id defaultAccount {{ id }} defaultRole }} \
                 {FIELD_ERRORS} }} }} }}"
            ),
            json!({ "input": { "brandId": brand, "identityProviderId": idp } }),
        )
        .await;
    let config = &payload(&data, &["brands", "createIdentityProviderConfiguration"])["identityProviderConfiguration"];
    // A pushed user without a company gets a new individual account, as the baseline writes.
    assert!(config["defaultAccount"].is_null(), "{config}");
    assert_eq!(config["defaultRole"], json!("learner"), "{config}");
    let configuration_id = uuid_of(config["id"].as_str().expect("configuration id"));
    let data = api
        .must(
            owner,
            &format!(
                "mutation($input: CreateApiTokenInput!) {{ apiTokens {{ create(input: $input) {{ \
                 secret {FIELD_ERRORS} }} }} }}"
            ),
            json!({ "input": {
                "name": format!("bench scim {tag}"),
                "role": "scim",
                "brandId": brand,
                "identityProviderId": idp,
            }}),
        )
        .await;
    let token = payload(&data, &["apiTokens", "create"])["secret"]
        .as_str()
        .expect("scim secret")
        .to_owned();
    ScimSetup {
        idp_id: uuid_of(&idp),
        configuration_id,
        token,
    }
}
