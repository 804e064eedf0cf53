//! Pulling a whole report from an HRIS: BambooHR's custom report, or a Workday
//! Report-as-a-Service URL (JSON or CSV; basic auth or OAuth client credentials). Neither
//! endpoint pages: each answers the whole report in one response. A `429` or `503` is retried
//! after its `Retry-After` (at most [`RETRIES`] times, waiting at most [`RETRY_WAIT_MAX`]);
//! every other failure ends the run with a reason that never holds the secret.
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::domain::hris::{
    BAMBOOHR_API, ConnectionSettings, HrisKind, ReportProblem, WorkdayAuth, records_of_csv,
    records_of_json,
};

/// How many times a rate-limited request is sent again.
const RETRIES: usize = 3;
/// The longest wait a `Retry-After` may ask for before the run gives up.
const RETRY_WAIT_MAX: Duration = Duration::from_secs(60);
/// The largest report read, in bytes.
const REPORT_MAX: usize = 256 * 1024 * 1024;

/// What a fetch needs of a connection.
pub struct Source<'a> {
    pub kind: HrisKind,
    pub settings: &'a ConnectionSettings,
    pub secret: &'a str,
    /// The HRIS fields to ask for (BambooHR's report names its fields).
    pub fields: Vec<&'a str>,
    /// How long one request may take, connection and body included (`--hris-timeout-seconds`).
    pub timeout: Duration,
}

fn problem(message: impl Into<String>) -> ReportProblem {
    ReportProblem(message.into())
}

fn client(timeout: Duration) -> Result<reqwest::Client, ReportProblem> {
    reqwest::Client::builder()
        .timeout(timeout)
        // A redirect would carry the credentials to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("autoprov/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| problem(format!("no HTTP client: {e}")))
}

/// Every record of the report.
pub async fn records(source: &Source<'_>) -> Result<Vec<Map<String, Value>>, ReportProblem> {
    let client = client(source.timeout)?;
    match source.kind {
        HrisKind::Bamboohr => bamboohr(&client, source).await,
        HrisKind::WorkdayRaas => workday(&client, source).await,
    }
}

async fn bamboohr(
    client: &reqwest::Client,
    source: &Source<'_>,
) -> Result<Vec<Map<String, Value>>, ReportProblem> {
    let base = source.settings.base_url.as_deref().unwrap_or(BAMBOOHR_API);
    let domain = source
        .settings
        .company_domain
        .as_deref()
        .unwrap_or_default();
    let url = format!(
        "{}/api/gateway.php/{domain}/v1/reports/custom?format=JSON&onlyCurrent=false",
        base.trim_end_matches('/')
    );
    let body = json!({"title": "autoprov employees", "fields": source.fields}).to_string();
    let request = || {
        client
            .post(&url)
            .basic_auth(source.secret, Some("x"))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
    };
    let (_, text) = send(request, source.timeout).await?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| problem(format!("BambooHR's answer is not JSON: {e}")))?;
    records_of_json(&value)
}

async fn workday(
    client: &reqwest::Client,
    source: &Source<'_>,
) -> Result<Vec<Map<String, Value>>, ReportProblem> {
    let settings = source.settings;
    let url = settings.report_url.as_deref().unwrap_or_default();
    let user = settings.username.as_deref().unwrap_or_default();
    let bearer = match settings.auth {
        Some(WorkdayAuth::OauthClientCredentials) => Some(token(client, source).await?),
        _ => None,
    };
    let request = || {
        let request = client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json, text/csv");
        match &bearer {
            Some(token) => request.bearer_auth(token),
            None => request.basic_auth(user, Some(source.secret)),
        }
    };
    let (content_type, text) = send(request, source.timeout).await?;
    if content_type.contains("csv") {
        return records_of_csv(&text);
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| problem(format!("the report's answer is neither JSON nor CSV: {e}")))?;
    records_of_json(&value)
}

/// An OAuth 2.0 access token for the client credentials (RFC 6749 §4.4).
async fn token(client: &reqwest::Client, source: &Source<'_>) -> Result<String, ReportProblem> {
    let settings = source.settings;
    let url = settings.token_url.as_deref().unwrap_or_default();
    let client_id = settings.username.as_deref().unwrap_or_default();
    let request = || {
        client
            .post(url)
            .basic_auth(client_id, Some(source.secret))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body("grant_type=client_credentials")
    };
    let (_, text) = send(request, source.timeout)
        .await
        .map_err(|p| problem(format!("token: {}", p.0)))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|_| problem("token: the token endpoint's answer is not JSON"))?;
    value["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| problem("token: the token endpoint's answer has no access_token"))
}

/// Sends the request `build` makes, retrying when the HRIS asks to be called later; the
/// answer's content type and text.
async fn send(
    build: impl Fn() -> reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(String, String), ReportProblem> {
    let mut attempt = 0;
    loop {
        let response = build().send().await.map_err(|e| {
            if e.is_timeout() {
                unanswered(timeout)
            } else {
                problem(format!(
                    "the HRIS could not be reached: {}",
                    e.without_url()
                ))
            }
        })?;
        let status = response.status();
        if status.is_success() {
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            return Ok((content_type, text_of(response, timeout).await?));
        }
        let later = status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::SERVICE_UNAVAILABLE;
        if later && attempt < RETRIES {
            let wait = retry_after(&response).unwrap_or(Duration::from_secs(1));
            if wait > RETRY_WAIT_MAX {
                return Err(problem(format!(
                    "HTTP {}: the HRIS asks to be called again in {} s, longer than a run waits",
                    status.as_u16(),
                    wait.as_secs()
                )));
            }
            attempt += 1;
            tracing::info!(
                status = status.as_u16(),
                wait_ms = wait.as_millis() as u64,
                attempt,
                "HRIS asked to retry later"
            );
            tokio::time::sleep(wait).await;
            continue;
        }
        return Err(match status.as_u16() {
            401 | 403 => problem(format!(
                "HTTP {}: the HRIS refused the credentials",
                status.as_u16()
            )),
            404 => problem(
                "HTTP 404: no report at this address (check the company domain or the report URL)",
            ),
            429 | 503 => problem(format!(
                "HTTP {}: the HRIS is still busy after {RETRIES} retries",
                status.as_u16()
            )),
            code => problem(format!("HTTP {code} from the HRIS")),
        });
    }
}

/// The HRIS took longer than a request may (the whole answer, not its first byte).
fn unanswered(timeout: Duration) -> ReportProblem {
    problem(format!(
        "no whole answer within {} s (--hris-timeout-seconds)",
        timeout.as_secs()
    ))
}

/// `Retry-After` in seconds (the HTTP-date form is read as a short wait).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let text = value.to_str().ok()?.trim();
    Some(
        text.parse::<u64>()
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(5)),
    )
}

/// The answer's text, at most [`REPORT_MAX`] bytes.
async fn text_of(
    mut response: reqwest::Response,
    timeout: Duration,
) -> Result<String, ReportProblem> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        if e.is_timeout() {
            unanswered(timeout)
        } else {
            problem(format!("the report could not be read: {}", e.without_url()))
        }
    })? {
        if bytes.len() + chunk.len() > REPORT_MAX {
            return Err(problem(format!(
                "the report is larger than {} MiB",
                REPORT_MAX / (1024 * 1024)
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| problem("the report is not UTF-8 text"))
}
