//! The SCIM pressure cells (issue 18, item 9): first sign-ins on one brand, alone and then
//! while four SCIM clients of another brand send, back to back, a PATCH that can only fail a
//! limit (13,000 phone numbers in one operation, 249 KB, under the body limit). The server
//! must refuse those before reading the user or waiting for the write lock, so the sign-ins'
//! p99 barely moves. `cargo bench --bench load -- --only scim-pressure`.
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    api::{self, Api},
    driver::{self, Stats},
    scenarios::{self, Client, Learners},
};

/// The SCIM clients sending oversize PATCHes, as in the issue.
pub const PATCH_CLIENTS: usize = 4;
/// Phone numbers in each oversize PATCH (a user keeps at most 10).
pub const PHONE_NUMBERS: usize = 13_000;

const SCIM_JSON: &str = "application/scim+json";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What the cells measured, per concurrency level of the sign-ins.
pub struct Cell {
    pub concurrency: usize,
    pub alone: Stats,
    pub pressed: Stats,
    /// The oversize PATCHes sent during `pressed`, and how many were answered otherwise than
    /// 400 with a SCIM error naming `phoneNumbers`.
    pub patches: u64,
    pub patch_failures: u64,
    pub patch_p99_ms: f64,
    pub sample_failure: Option<String>,
}

impl Cell {
    pub fn markdown_rows(&self) -> Vec<String> {
        vec![
            format!(
                "| first sign-in, alone | {} | {:.0} | {:.2} | {:.2} | {} | – |",
                self.concurrency,
                self.alone.throughput(),
                self.alone.p50_ms(),
                self.alone.p99_ms(),
                self.alone.errors + self.alone.warmup_errors,
            ),
            format!(
                "| first sign-in, beside {PATCH_CLIENTS} oversize-PATCH clients | {} | {:.0} | {:.2} | {:.2} | {} | {} PATCHes (p99 {:.2} ms, {} not refused as expected) |",
                self.concurrency,
                self.pressed.throughput(),
                self.pressed.p50_ms(),
                self.pressed.p99_ms(),
                self.pressed.errors + self.pressed.warmup_errors,
                self.patches,
                self.patch_p99_ms,
                self.patch_failures,
            ),
        ]
    }

    pub fn failed(&self) -> u64 {
        self.alone.errors
            + self.alone.warmup_errors
            + self.pressed.errors
            + self.pressed.warmup_errors
            + self.patch_failures
    }
}

/// The oversize PATCH body: one `add` of `PHONE_NUMBERS` numbers.
pub fn oversize_patch() -> String {
    let numbers: Vec<Value> = (0..PHONE_NUMBERS)
        .map(|i| json!({"value": format!("{i:06}")}))
        .collect();
    json!({"schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "add", "path": "phoneNumbers", "value": numbers}]})
    .to_string()
}

/// Sets up the sign-in brand and a SCIM configuration on a second brand, then measures at
/// each of `concurrency`. `server_url` is the GraphQL endpoint.
pub async fn cells(
    server_url: &str,
    owner: String,
    prefix: &str,
    concurrency: &[usize],
    seconds: f64,
) -> Vec<Cell> {
    let api = Api::new(server_url.to_owned());
    let setup = api::setup(&api, owner.clone(), prefix).await;
    let data = api
        .must(
            &owner,
            "mutation($name: String!) { brands { create(input: {name: $name}) { brand { id } errors { message } } } }",
            json!({"name": format!("Bench SCIM brand {prefix}")}),
        )
        .await;
    let scim_brand = api::payload(&data, &["brands", "create"])["brand"]["id"]
        .as_str()
        .expect("brand id")
        .to_owned();
    let scim = api::scim_setup(&api, &owner, &scim_brand, prefix, "pressure").await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("cannot build the HTTP client");
    let base = format!("{}/scim/v2", server_url.trim_end_matches("/graphql"));
    let user_name = format!("pressure@{prefix}.bench.example");
    let created = http
        .post(format!("{base}/Users"))
        .bearer_auth(&scim.token)
        .header(reqwest::header::CONTENT_TYPE, SCIM_JSON)
        .body(json!({"schemas": [USER_SCHEMA], "userName": user_name, "active": true}).to_string())
        .send()
        .await
        .expect("create the SCIM user");
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "create the SCIM user"
    );
    let user: Value = created.json().await.expect("the created user");
    let user_url = format!("{base}/Users/{}", user["id"].as_str().expect("user id"));
    let body = Arc::new(oversize_patch());
    eprintln!(
        "  oversize PATCH: {} bytes, {PHONE_NUMBERS} phone numbers",
        body.len()
    );

    let client = Arc::new(Client::new(api, setup, prefix.to_owned()));
    let learners: Learners = Default::default();
    let sign_in = scenarios::first_individual(
        &client,
        &client.setup.idp_individual.clone(),
        "press",
        &learners,
    );
    let mut out = Vec::new();
    for &c in concurrency {
        let alone = driver::measure(&sign_in, c, seconds, &crate::cpu::Watch::default()).await;
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let pressure: Vec<_> = (0..PATCH_CLIENTS)
            .map(|_| {
                let (http, url, token, body, stop, sent) = (
                    http.clone(),
                    user_url.clone(),
                    scim.token.clone(),
                    body.clone(),
                    stop.clone(),
                    sent.clone(),
                );
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let (mut failures, mut sample) = (0u64, None);
                    while !stop.load(Ordering::Relaxed) {
                        let t0 = Instant::now();
                        let result = refused(&http, &url, &token, &body).await;
                        latencies.push(t0.elapsed().as_micros() as u64);
                        sent.fetch_add(1, Ordering::Relaxed);
                        if let Err(e) = result {
                            failures += 1;
                            sample.get_or_insert(e);
                        }
                    }
                    (latencies, failures, sample)
                })
            })
            .collect();
        // Let the PATCH clients get going before the sign-ins are timed.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pressed = driver::measure(&sign_in, c, seconds, &crate::cpu::Watch::default()).await;
        stop.store(true, Ordering::Relaxed);
        let (mut latencies, mut failures, mut sample) = (Vec::new(), 0, None);
        for task in pressure {
            let (l, f, s) = task.await.expect("PATCH client");
            latencies.extend(l);
            failures += f;
            if sample.is_none() {
                sample = s;
            }
        }
        latencies.sort_unstable();
        let patch_p99_ms = latencies
            .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |us| *us as f64 / 1000.0);
        let cell = Cell {
            concurrency: c,
            alone,
            pressed,
            patches: sent.load(Ordering::Relaxed),
            patch_failures: failures,
            patch_p99_ms,
            sample_failure: sample,
        };
        eprintln!(
            "  [scim pressure] c={c}: sign-in alone p99 {:.2} ms, beside {PATCH_CLIENTS} PATCH clients p99 {:.2} ms ({} PATCHes, p99 {:.2} ms)",
            cell.alone.p99_ms(),
            cell.pressed.p99_ms(),
            cell.patches,
            cell.patch_p99_ms,
        );
        if let Some(e) = &cell.sample_failure {
            eprintln!("    PATCH error: {e}");
        }
        for e in cell
            .alone
            .sample_errors
            .iter()
            .chain(&cell.pressed.sample_errors)
        {
            eprintln!("    sign-in error: {e}");
        }
        out.push(cell);
    }
    out
}

/// One oversize PATCH, which must be a 400 `invalidValue` naming `phoneNumbers`.
async fn refused(http: &reqwest::Client, url: &str, token: &str, body: &str) -> Result<(), String> {
    let response = http
        .patch(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, SCIM_JSON)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let answer: Value = response
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, not JSON: {e}"))?;
    let detail = answer["detail"].as_str().unwrap_or_default();
    if status == StatusCode::BAD_REQUEST
        && answer["scimType"] == "invalidValue"
        && detail.contains("phoneNumbers")
    {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {answer}"))
    }
}
