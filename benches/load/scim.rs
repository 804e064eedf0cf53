//! The SCIM v2 operations measured against the server (`/scim/v2`, with a token of role
//! `scim`), each checking its answer, as an IdP's provisioning client would send them: create a
//! user (Okta's and Entra's push), look one up by `userName eq` (what both send before a push),
//! and read a page of 100 deep in the list (Okta's import walks the list by `startIndex`).
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    api::ScimSetup,
    driver::{Op, op},
    seed::{SeededScimUser, same_time, scim_user_name},
};

const SCIM_JSON: &str = "application/scim+json";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The SCIM users a request creates: never seen before, apart from the seeded ones and from
/// the baseline's (whose `prefix` ends in `-baseline`).
pub fn new_user_name(prefix: &str, tag: &str, n: u64) -> String {
    format!("New.{tag}.{n}@{prefix}.Pushed.Bench.Example")
}

/// A create body as Okta sends it (userName, name, one work email, active).
pub fn create_body(user_name: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": { "givenName": "Pushed", "familyName": family },
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true,
    })
}

/// One identity provider's SCIM client: its token, the configuration's seeded users, and one
/// HTTP client (one connection pool) for all its workers.
pub struct Scim {
    client: reqwest::Client,
    base: String,
    token: String,
    /// The dataset: "small" or "big".
    pub tag: &'static str,
    pub prefix: String,
    pub setup: ScimSetup,
    /// Users seeded in this configuration (`scim_user_name(prefix, tag, 0..seeded)`).
    pub seeded: u64,
    counter: AtomicU64,
}

impl Scim {
    /// `addr` is the server's `host:port`.
    pub fn new(addr: &str, tag: &'static str, prefix: &str, setup: ScimSetup) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("cannot build the HTTP client");
        Self {
            client,
            base: format!("http://{addr}/scim/v2"),
            token: setup.token.clone(),
            tag,
            prefix: prefix.to_owned(),
            setup,
            seeded: 0,
            counter: AtomicU64::new(0),
        }
    }

    /// Sends one request; anything but `expected` with a SCIM JSON body is an `Err` saying what
    /// came back.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        expected: StatusCode,
    ) -> Result<Value, String> {
        let response = request
            .bearer_auth(&self.token)
            .header(header::ACCEPT, SCIM_JSON)
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the response failed: {e}"))?;
        let text = || {
            String::from_utf8_lossy(&body)
                .chars()
                .take(500)
                .collect::<String>()
        };
        if status != expected {
            return Err(format!("HTTP {status} (expected {expected}): {}", text()));
        }
        if !content_type.starts_with(SCIM_JSON) {
            return Err(format!(
                "HTTP {status} with Content-Type {content_type:?}: {}",
                text()
            ));
        }
        serde_json::from_slice(&body)
            .map_err(|e| format!("HTTP {status}, not JSON ({e}): {}", text()))
    }

    /// `PATCH /Groups/{group}` with `operations`, which must answer 204 No Content with the
    /// group's new version as its `ETag`, as a membership PATCH does.
    pub async fn patch_group(&self, group: uuid::Uuid, operations: Value) -> Result<(), String> {
        let response = self
            .client
            .patch(format!("{}/Groups/{group}", self.base))
            .bearer_auth(&self.token)
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .body(json!({ "schemas": [PATCH_SCHEMA], "Operations": operations }).to_string())
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let etag = response.headers().contains_key(header::ETAG);
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the response failed: {e}"))?;
        if status != StatusCode::NO_CONTENT || !etag || !body.is_empty() {
            let text: String = String::from_utf8_lossy(&body).chars().take(500).collect();
            return Err(format!(
                "HTTP {status} (expected 204 with an ETag and no body): {text}"
            ));
        }
        Ok(())
    }

    /// `GET /Groups` with `params`: a ListResponse.
    pub async fn list_groups(&self, params: &[(&str, String)]) -> Result<Value, String> {
        let request = self
            .client
            .get(format!("{}/Groups", self.base))
            .query(params);
        let body = self.send(request, StatusCode::OK).await?;
        if body["schemas"] != json!([LIST_SCHEMA]) {
            return Err(format!("not a ListResponse: {body}"));
        }
        Ok(body)
    }

    async fn list(&self, params: &[(&str, String)]) -> Result<Value, String> {
        let request = self
            .client
            .get(format!("{}/Users", self.base))
            .query(params);
        let body = self.send(request, StatusCode::OK).await?;
        if body["schemas"] != json!([LIST_SCHEMA]) {
            return Err(format!("not a ListResponse: {body}"));
        }
        Ok(body)
    }

    /// Reads the first seeded user back through `GET /Users/{id}`: the SQL seeding wrote what
    /// the service reads.
    pub async fn verify(&self, seeded: &SeededScimUser) {
        let request = self
            .client
            .get(format!("{}/Users/{}", self.base, seeded.id));
        let user = self
            .send(request, StatusCode::OK)
            .await
            .unwrap_or_else(|e| panic!("reading the seeded SCIM user failed: {e}"));
        let expected = json!({
            "id": seeded.id.to_string(),
            "userName": seeded.user_name,
            "givenName": "Scim",
            "familyName": seeded.family_name,
            "emails": [{ "value": seeded.user_name, "type": "work", "primary": true }],
            "active": true,
            "created": "the seeded time",
        });
        let actual = json!({
            "id": user["id"],
            "userName": user["userName"],
            "givenName": user["name"]["givenName"],
            "familyName": user["name"]["familyName"],
            "emails": user["emails"],
            "active": user["active"],
            "created": match same_time(&user["meta"]["created"], seeded.at) {
                Ok(()) => "the seeded time".to_owned(),
                Err(e) => e,
            },
        });
        assert_eq!(
            actual, expected,
            "the seeded SCIM user reads back as {user}"
        );
    }
}

/// `POST /Users` with a never-seen userName: 201 with the new user.
pub fn create(scim: &Arc<Scim>) -> Op {
    let scim = scim.clone();
    op(move |_| {
        let scim = scim.clone();
        async move {
            let n = scim.counter.fetch_add(1, Ordering::Relaxed);
            let user_name = new_user_name(&scim.prefix, scim.tag, n);
            let request = scim
                .client
                .post(format!("{}/Users", scim.base))
                .header(header::CONTENT_TYPE, SCIM_JSON)
                .body(create_body(&user_name, &format!("{} {n}", scim.tag)).to_string());
            let user = scim.send(request, StatusCode::CREATED).await?;
            if user["userName"] != json!(user_name)
                || user["active"] != json!(true)
                || !user["id"].is_string()
                || user["emails"][0]["value"] != json!(user_name)
            {
                return Err(format!("created {user_name}, got {user}"));
            }
            Ok(())
        }
    })
}

/// `GET /Users?filter=userName eq "…"` for a random seeded user (in upper case every other
/// call: userName is compared case-insensitively): exactly that user.
pub fn filter(scim: &Arc<Scim>) -> Op {
    assert!(scim.seeded > 0, "no seeded SCIM users to look up");
    let scim = scim.clone();
    op(move |n| {
        let scim = scim.clone();
        async move {
            let user_name =
                scim_user_name(&scim.prefix, scim.tag, rand::random_range(0..scim.seeded));
            let sent = if n % 2 == 0 {
                user_name.clone()
            } else {
                user_name.to_uppercase()
            };
            let body = scim
                .list(&[("filter", format!("userName eq \"{sent}\""))])
                .await?;
            let found = body["Resources"].as_array().map_or(0, Vec::len);
            if body["totalResults"] != json!(1)
                || found != 1
                || body["Resources"][0]["userName"] != json!(user_name)
            {
                return Err(format!(
                    "filter on {sent}: expected that one user, got {body}"
                ));
            }
            Ok(())
        }
    })
}

/// The users a PATCH `active` cell changes: every other user of a list (the server's cell takes
/// the even positions, the baseline's the odd ones, so neither meets the other's changes),
/// each deactivated on the first pass over them and reactivated on the next, so that every
/// call changes its user.
pub struct Toggles {
    ids: Vec<uuid::Uuid>,
    counter: AtomicU64,
}

impl Toggles {
    pub fn new(all: &[uuid::Uuid], parity: usize) -> Arc<Self> {
        let ids: Vec<_> = all.iter().skip(parity).step_by(2).copied().collect();
        assert!(!ids.is_empty(), "no SCIM users to PATCH");
        Arc::new(Self {
            ids,
            counter: AtomicU64::new(0),
        })
    }

    /// The next user, and the `active` it gets.
    pub fn next(&self) -> (uuid::Uuid, bool) {
        let k = self.counter.fetch_add(1, Ordering::Relaxed) as usize;
        let pass = k / self.ids.len();
        (self.ids[k % self.ids.len()], pass % 2 == 1)
    }
}

/// `PATCH /Users/{id}` replacing `active`, as Okta and Entra deactivate and reactivate: 200 with
/// the user, showing the new value.
pub fn patch_active(scim: &Arc<Scim>, toggles: &Arc<Toggles>) -> Op {
    let (scim, toggles) = (scim.clone(), toggles.clone());
    op(move |_| {
        let scim = scim.clone();
        let (id, active) = toggles.next();
        async move {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "path": "active", "value": active }],
            });
            let request = scim
                .client
                .patch(format!("{}/Users/{id}", scim.base))
                .header(header::CONTENT_TYPE, SCIM_JSON)
                .body(body.to_string());
            let user = scim.send(request, StatusCode::OK).await?;
            if user["id"] != json!(id) || user["active"] != json!(active) {
                return Err(format!("set active {active} on {id}, got {user}"));
            }
            Ok(())
        }
    })
}

/// The `startIndex` of the last page of 100 among `total` users, and how many it holds.
pub fn last_page(total: u64) -> (u64, u64) {
    let start = total.saturating_sub(99).max(1);
    (start, (total + 1 - start).min(100))
}

/// `GET /Users?startIndex=<the last 100>&count=100`, with `total` users in the configuration.
pub fn deep_page(scim: &Arc<Scim>, total: u64) -> Op {
    let (start, rows) = last_page(total);
    let scim = scim.clone();
    op(move |_| {
        let scim = scim.clone();
        async move {
            let body = scim
                .list(&[("startIndex", start.to_string()), ("count", "100".into())])
                .await?;
            let found = body["Resources"].as_array().map_or(0, Vec::len) as u64;
            if body["totalResults"] != json!(total)
                || body["startIndex"] != json!(start)
                || body["itemsPerPage"] != json!(rows)
                || found != rows
            {
                return Err(format!(
                    "expected {rows} users from {start} of {total}, got totalResults {}, \
                     startIndex {}, itemsPerPage {}, {found} resources",
                    body["totalResults"], body["startIndex"], body["itemsPerPage"]
                ));
            }
            Ok(())
        }
    })
}
