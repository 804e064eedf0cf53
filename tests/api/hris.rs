//! HRIS connections (seed 004's "HRIS integration (such as Workday or BambooHR)"): local fake
//! servers answer as BambooHR's and Workday's documentation shows (field names, errors, 401,
//! 429 with Retry-After), and each run goes through the employee sync on a real database.
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, only_error, spawn_app, spawn_app_with};

const KEY: &str = "8f2b0c1d4e5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const API_KEY: &str = "bamboo-api-key-123";

/// What a fake HRIS answers, and how many calls it had.
#[derive(Clone, Default)]
struct Hris {
    employees: Arc<Mutex<Value>>,
    /// Answer this many calls with 429 first.
    throttle: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
    /// Answer with this instead of the employees (status, body).
    broken: Arc<Mutex<Option<(u16, String)>>>,
    /// Wait this long before answering a report.
    delay: Arc<Mutex<Option<std::time::Duration>>>,
}

impl Hris {
    fn set(&self, employees: Value) {
        *self.employees.lock().unwrap() = employees;
    }
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The checks every fake endpoint makes before answering.
fn gate(hris: &Hris) -> Option<Response> {
    hris.calls.fetch_add(1, Ordering::SeqCst);
    if hris
        .throttle
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                "slow down",
            )
                .into_response(),
        );
    }
    let broken = hris.broken.lock().unwrap().clone();
    broken.map(|(status, body)| (StatusCode::from_u16(status).unwrap(), body).into_response())
}

/// BambooHR's custom report: `POST /api/gateway.php/{domain}/v1/reports/custom?format=JSON`,
/// the API key as the basic-auth user (any password), answering `{title, fields, employees}`.
async fn bamboohr_report(
    State(hris): State<Hris>,
    axum::extract::Path(domain): axum::extract::Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    match basic(&headers) {
        Some((user, _)) if user == API_KEY && domain == "acme" => {}
        _ => return (StatusCode::UNAUTHORIZED, "").into_response(),
    }
    if let Some(answer) = gate(&hris) {
        return answer;
    }
    let delay = *hris.delay.lock().unwrap();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let employees = hris.employees.lock().unwrap().clone();
    Json(json!({"title": "Report", "fields": body["fields"], "employees": employees}))
        .into_response()
}

/// Workday: a RaaS report (`?format=json` or `format=csv`), with basic auth or a bearer token
/// from the OAuth token endpoint.
async fn workday_report(
    State(hris): State<Hris>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authorised = bearer == Some("wd-token")
        || basic(&headers) == Some(("ISU_autoprov".into(), "wd-password".into()));
    if !authorised {
        return (StatusCode::UNAUTHORIZED, "").into_response();
    }
    if let Some(answer) = gate(&hris) {
        return answer;
    }
    let employees = hris.employees.lock().unwrap().clone();
    if query.get("format").map(String::as_str) == Some("csv") {
        let mut csv = String::from(
            "Employee_ID,Email,First_Name,Last_Name,Department,Location,Job_Title,Manager_ID,Status\n",
        );
        for e in employees.as_array().unwrap() {
            let field = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                field("Employee_ID"),
                field("Email"),
                field("First_Name"),
                field("Last_Name"),
                field("Department"),
                field("Location"),
                field("Job_Title"),
                field("Manager_ID"),
                field("Status")
            ));
        }
        return ([(header::CONTENT_TYPE, "text/csv")], csv).into_response();
    }
    Json(json!({"Report_Entry": employees})).into_response()
}

async fn workday_token(headers: HeaderMap, body: String) -> Response {
    if basic(&headers) != Some(("client-1".into(), "client-secret".into()))
        || body != "grant_type=client_credentials"
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    Json(json!({"access_token": "wd-token", "token_type": "Bearer", "expires_in": 3600}))
        .into_response()
}

/// Starts the fake HRIS on 127.0.0.1; its base URL.
async fn fake_hris(hris: Hris) -> String {
    let router = Router::new()
        .route(
            "/api/gateway.php/{domain}/v1/reports/custom",
            post(bamboohr_report),
        )
        .route(
            "/ccx/service/customreport2/acme/Employees",
            get(workday_report),
        )
        .route("/oauth2/token", post(workday_token))
        .with_state(hris);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

fn bamboo_employee(id: &str, email: &str, department: &str, status: &str) -> Value {
    json!({"employeeNumber": id, "workEmail": email, "firstName": "First", "lastName": id,
           "department": department, "location": "Paris", "jobTitle": "Engineer",
           "supervisorEId": "", "status": status})
}

fn workday_employee(id: &str, email: &str, department: &str) -> Value {
    json!({"Employee_ID": id, "Email": email, "First_Name": "First", "Last_Name": id,
           "Department": department, "Location": "Paris", "Job_Title": "Engineer",
           "Manager_ID": "", "Status": "Active"})
}

async fn keyed_app() -> TestApp {
    spawn_app_with(|s| s.secret_key = Some(KEY.to_owned())).await
}

const CREATE: &str =
    "mutation($input: CreateHrisConnectionInput!) { hrisConnections { create(input: $input) {
    hrisConnection { id name kind companyDomain baseUrl reportUrl auth username tokenUrl
                     fieldMap { column field } schedule { everyHours dailyAt } nextRunAt lastRunAt }
    errors { label message code } } } }";

const SYNC: &str = "mutation($id: ID!) { hrisConnections { syncNow(input: {hrisConnectionId: $id}) {
    employeeSync { id status source reason fileName created deactivated rows hrisConnection { id name } }
    errors { label message code } } } }";

const TEST: &str = "mutation($id: ID!) { hrisConnections { test(input: {hrisConnectionId: $id}) {
    ok reason employeeCount sample errors { label code } } } }";

async fn create(app: &TestApp, input: Value) -> Value {
    app.data(CREATE, json!({"input": input})).await["hrisConnections"]["create"].clone()
}

async fn created(app: &TestApp, input: Value) -> String {
    let payload = create(app, input).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    payload["hrisConnection"]["id"].as_str().unwrap().to_owned()
}

async fn sync_now(app: &TestApp, id: &str) -> Value {
    let payload = app.data(SYNC, json!({"id": id})).await["hrisConnections"]["syncNow"].clone();
    assert_eq!(payload["errors"], json!([]), "{payload}");
    payload["employeeSync"].clone()
}

/// The rows of `table` (one the helpers' `row_counts` leaves out).
async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

async fn administrators(app: &TestApp) -> usize {
    count(app, "administrator").await as usize
}

fn bamboo_input(base: &str, key: &str) -> Value {
    json!({"name": "BambooHR", "kind": "bamboohr", "companyDomain": "acme", "baseUrl": base,
           "secret": key, "schedule": {"dailyAt": "02:00"}})
}

#[tokio::test]
async fn a_bamboohr_report_is_synced_as_an_employee_file() {
    let hris = Hris::default();
    hris.set(json!([
        bamboo_employee("1", "ada@example.com", "IT", "Active"),
        bamboo_employee("2", "grace@example.com", "IT", "Active"),
        bamboo_employee("3", "linus@example.com", "Sales", "Active"),
    ]));
    let base = fake_hris(hris.clone()).await;
    let app = keyed_app().await;
    app.it_support_rule().await;
    let payload = create(&app, bamboo_input(&base, API_KEY)).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    let connection = &payload["hrisConnection"];
    assert_eq!(connection["kind"], "bamboohr");
    assert_eq!(
        connection["schedule"],
        json!({"everyHours": null, "dailyAt": "02:00"})
    );
    assert_eq!(
        connection["fieldMap"][0],
        json!({"column": "EmployeeId", "field": "employeeNumber"})
    );
    assert_eq!(connection["lastRunAt"], json!(null));
    let id = connection["id"].as_str().unwrap();

    // `test` shows the first rows as the sync reads them, and changes nothing.
    let tested = app.data(TEST, json!({"id": id})).await["hrisConnections"]["test"].clone();
    assert_eq!(
        (&tested["ok"], &tested["employeeCount"]),
        (&json!(true), &json!(3)),
        "{tested}"
    );
    assert_eq!(tested["sample"][0]["Email"], "ada@example.com");
    assert_eq!(tested["sample"][0]["Status"], "active");
    assert_eq!(administrators(&app).await, 0);

    let sync = sync_now(&app, id).await;
    assert_eq!(
        (
            &sync["status"],
            &sync["source"],
            &sync["created"],
            &sync["rows"]
        ),
        (&json!("applied"), &json!("hris"), &json!(2), &json!(3)),
        "{sync}"
    );
    assert_eq!(sync["hrisConnection"]["id"], id);
    assert_eq!(sync["fileName"], "BambooHR");
    assert_eq!(administrators(&app).await, 2);

    // BambooHR's "Inactive" is the file's "terminated": the administrator is deactivated.
    hris.set(json!([
        bamboo_employee("1", "ada@example.com", "IT", "Active"),
        bamboo_employee("2", "grace@example.com", "IT", "Inactive"),
        bamboo_employee("3", "linus@example.com", "Sales", "Active"),
    ]));
    // One of two is more than the safeguard's 20 %: held, as a file would be, and applied
    // by an owner.
    let sync = sync_now(&app, id).await;
    assert_eq!(
        (&sync["status"], &sync["deactivated"]),
        (&json!("held"), &json!(1)),
        "{sync}"
    );
    let applied = app
        .data(
            "mutation($id: ID!) { employeeSyncs { apply(input: {employeeSyncId: $id}) { employeeSync { status deactivated source } errors { message } } } }",
            json!({"id": sync["id"]}),
        )
        .await;
    assert_eq!(
        applied["employeeSyncs"]["apply"]["employeeSync"],
        json!({"status": "applied", "deactivated": 1, "source": "hris"})
    );

    // The secret is never shown, kept in the audit trail (not even sealed), nor stored in
    // clear.
    let audit = app
        .data("{ auditEvents(first: 50) { edges { node { operation changes { field before after } } } } }", json!({}))
        .await;
    let created_event = audit["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .find(|node| node["operation"] == "hrisConnections.create")
        .unwrap_or_else(|| panic!("no audit event of the creation: {audit}"));
    let fields: Vec<&str> = created_event["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"name"), "{fields:?}");
    assert!(
        !fields.iter().any(|f| f.to_lowercase().contains("secret")),
        "{fields:?}"
    );
    assert!(!audit.to_string().contains(API_KEY), "{audit}");
    let stored: Vec<String> = stored_secrets(&app).await;
    assert!(stored.iter().all(|s| !s.contains(API_KEY)) && !stored.is_empty());
}

/// The `secret` column as stored.
async fn stored_secrets(app: &TestApp) -> Vec<String> {
    use sea_orm::EntityTrait;
    entity::hris_connection::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.secret)
        .collect()
}

#[tokio::test]
async fn a_failed_fetch_or_an_empty_report_changes_nothing_and_says_why() {
    let hris = Hris::default();
    hris.set(json!([bamboo_employee(
        "1",
        "ada@example.com",
        "IT",
        "Active"
    )]));
    let base = fake_hris(hris.clone()).await;
    let app = keyed_app().await;
    app.it_support_rule().await;
    let id = created(&app, bamboo_input(&base, API_KEY)).await;
    assert_eq!(sync_now(&app, &id).await["status"], "applied");
    let before = app.row_counts().await;
    let syncs_before = count(&app, "employee_sync").await;

    // (case, the report, or the answer in its place, and what the reason says).
    let cases = [
        ("empty", json!([]), None, "no employees"),
        ("bad JSON", json!([]), Some((200, "{not json")), "not JSON"),
        ("server error", json!([]), Some((500, "boom")), "HTTP 500"),
    ];
    for (case, employees, answer, why) in cases {
        hris.set(employees);
        *hris.broken.lock().unwrap() = answer.map(|(status, body)| (status, body.to_owned()));
        let sync = sync_now(&app, &id).await;
        assert_eq!(sync["status"], "rejected", "{case}: {sync}");
        assert!(
            sync["reason"].as_str().unwrap().contains(why),
            "{case}: {sync}"
        );
        *hris.broken.lock().unwrap() = None;
    }
    assert_eq!(
        app.row_counts().await,
        before,
        "nothing but the syncs was written"
    );
    assert_eq!(count(&app, "employee_sync").await, syncs_before + 3);
    assert_eq!(administrators(&app).await, 1);

    // Wrong credentials: 401, said as such, never the key.
    let wrong = created(
        &app,
        json!({"name": "Wrong key", "kind": "bamboohr", "companyDomain": "acme", "baseUrl": base,
               "secret": "not-the-key", "schedule": {"everyHours": 24}}),
    )
    .await;
    let sync = sync_now(&app, &wrong).await;
    assert_eq!(sync["status"], "rejected");
    assert!(
        sync["reason"].as_str().unwrap().contains("HTTP 401"),
        "{sync}"
    );
    assert!(!sync.to_string().contains("not-the-key"));
    let tested = app.data(TEST, json!({"id": wrong})).await["hrisConnections"]["test"].clone();
    assert_eq!(tested["ok"], false);
    assert!(
        tested["reason"]
            .as_str()
            .unwrap()
            .contains("refused the credentials"),
        "{tested}"
    );
}

#[tokio::test]
async fn a_report_not_answered_in_time_is_rejected_and_changes_nothing() {
    let hris = Hris::default();
    hris.set(json!([bamboo_employee(
        "1",
        "ada@example.com",
        "IT",
        "Active"
    )]));
    *hris.delay.lock().unwrap() = Some(std::time::Duration::from_secs(4));
    let base = fake_hris(hris.clone()).await;
    let app = spawn_app_with(|s| {
        s.secret_key = Some(KEY.to_owned());
        s.hris_timeout_seconds = 1;
    })
    .await;
    app.it_support_rule().await;
    let id = created(&app, bamboo_input(&base, API_KEY)).await;
    let before = app.row_counts().await;
    let sync = sync_now(&app, &id).await;
    assert_eq!(sync["status"], "rejected", "{sync}");
    assert!(
        sync["reason"]
            .as_str()
            .unwrap()
            .contains("no whole answer within 1 s"),
        "{sync}"
    );
    assert_eq!(app.row_counts().await, before);
    assert_eq!(administrators(&app).await, 0);
}

#[tokio::test]
async fn a_rate_limited_report_is_fetched_again_after_retry_after() {
    let hris = Hris::default();
    hris.set(json!([bamboo_employee(
        "1",
        "ada@example.com",
        "IT",
        "Active"
    )]));
    hris.throttle.store(2, Ordering::SeqCst);
    let base = fake_hris(hris.clone()).await;
    let app = keyed_app().await;
    let id = created(&app, bamboo_input(&base, API_KEY)).await;
    let sync = sync_now(&app, &id).await;
    assert_eq!(sync["status"], "applied", "{sync}");
    assert_eq!(
        hris.calls.load(Ordering::SeqCst),
        3,
        "two 429s, then the report"
    );
}

#[tokio::test]
async fn workday_reports_in_csv_with_basic_auth_and_json_with_oauth() {
    let hris = Hris::default();
    hris.set(json!([
        workday_employee("W1", "ada@example.com", "IT"),
        workday_employee("W2", "grace@example.com", "Sales"),
    ]));
    let base = fake_hris(hris.clone()).await;
    let app = keyed_app().await;
    app.it_support_rule().await;
    let csv = created(
        &app,
        json!({"name": "Workday CSV", "kind": "workdayRaas",
               "reportUrl": format!("{base}/ccx/service/customreport2/acme/Employees?format=csv"),
               "username": "ISU_autoprov", "secret": "wd-password", "schedule": {"everyHours": 6}}),
    )
    .await;
    let sync = sync_now(&app, &csv).await;
    assert_eq!(
        (&sync["status"], &sync["created"]),
        (&json!("applied"), &json!(1)),
        "{sync}"
    );

    let oauth = create(
        &app,
        json!({"name": "Workday OAuth", "kind": "workdayRaas",
               "reportUrl": format!("{base}/ccx/service/customreport2/acme/Employees?format=json"),
               "auth": "oauthClientCredentials", "username": "client-1", "tokenUrl": format!("{base}/oauth2/token"),
               "secret": "client-secret", "schedule": {"dailyAt": "23:30"},
               "fieldMap": [{"column": "Department", "field": "Department"}, {"column": "CostCenter", "field": "Cost_Center"}]}),
    )
    .await;
    assert_eq!(oauth["errors"], json!([]), "{oauth}");
    let connection = &oauth["hrisConnection"];
    assert_eq!(connection["auth"], "oauthClientCredentials");
    assert_eq!(
        connection["fieldMap"][9],
        json!({"column": "CostCenter", "field": "Cost_Center"})
    );
    let tested =
        app.data(TEST, json!({"id": connection["id"]})).await["hrisConnections"]["test"].clone();
    assert_eq!(
        (&tested["ok"], &tested["employeeCount"]),
        (&json!(true), &json!(2)),
        "{tested}"
    );
    assert_eq!(tested["sample"][1]["Department"], "Sales");
}

#[tokio::test]
async fn connections_are_validated_field_by_field_and_owners_only() {
    let app = keyed_app().await;
    let payload = create(
        &app,
        json!({"name": " ", "kind": "workdayRaas", "companyDomain": "acme", "reportUrl": "ftp://x",
               "secret": "", "schedule": {"everyHours": 0}}),
    )
    .await;
    let mut labels: Vec<String> = payload["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap().to_owned())
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        [
            "companyDomain",
            "name",
            "reportUrl",
            "schedule.everyHours",
            "secret",
            "username"
        ],
        "{payload}"
    );
    assert_eq!(app.row_count("hris_connection").await, 0);

    let id = created(&app, bamboo_input("http://127.0.0.1:9", API_KEY)).await;
    let again = create(&app, bamboo_input("http://127.0.0.1:9", API_KEY)).await;
    assert_eq!(only_error(&again)["code"], "alreadyExists");

    let support = app.create_token("support").await;
    let body = app.gql_as(&support, SYNC, json!({"id": id})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app
        .gql_as(&support, "{ hrisConnections { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    // Update: a new schedule starts over; the kind cannot change; delete keeps the syncs.
    let update = "mutation($input: UpdateHrisConnectionInput!) { hrisConnections { update(input: $input) {
        hrisConnection { name schedule { everyHours dailyAt } companyDomain } errors { label code } } } }";
    let data = app
        .data(update, json!({"input": {"hrisConnectionId": id, "name": "Bamboo", "schedule": {"everyHours": 12}, "reportUrl": "https://x"}}))
        .await;
    assert_eq!(
        only_error(&data["hrisConnections"]["update"])["label"],
        "reportUrl"
    );
    let data = app
        .data(update, json!({"input": {"hrisConnectionId": id, "name": "Bamboo", "schedule": {"everyHours": 12}}}))
        .await;
    assert_eq!(
        data["hrisConnections"]["update"]["hrisConnection"],
        json!({"name": "Bamboo", "schedule": {"everyHours": 12, "dailyAt": null}, "companyDomain": "acme"})
    );
}

#[tokio::test]
async fn without_a_secret_key_no_connection_is_created() {
    let app = spawn_app().await;
    let payload = create(&app, bamboo_input("http://127.0.0.1:9", API_KEY)).await;
    assert_eq!(only_error(&payload)["label"], "secret", "{payload}");
    assert_eq!(app.row_count("hris_connection").await, 0);
}

/// Two instances sharing the database, with a clock the test holds: a due sync runs once
/// (the database lease), and not again until its schedule says.
#[tokio::test]
async fn a_scheduled_sync_runs_once_across_instances() {
    use autoprov::{config::Settings, service::hris::run_due, startup};
    let hris = Hris::default();
    hris.set(json!([bamboo_employee(
        "1",
        "ada@example.com",
        "IT",
        "Active"
    )]));
    let base = fake_hris(hris.clone()).await;
    let app = keyed_app().await;
    let id = created(
        &app,
        json!({"name": "Hourly", "kind": "bamboohr", "companyDomain": "acme", "baseUrl": base,
               "secret": API_KEY, "schedule": {"everyHours": 1}}),
    )
    .await;
    let mut settings = Settings::for_database(app.database.url.clone());
    settings.secret_key = Some(KEY.to_owned());
    let instance = || {
        let sealer = startup::sealer(&settings).unwrap();
        startup::app(app.db.clone(), &settings).with_sealer(sealer)
    };
    let (one, two) = (instance(), instance());
    let now = chrono::Utc::now();
    assert!(run_due(&one, now).await.unwrap().is_empty(), "not due yet");
    let later = now + chrono::Duration::minutes(61);
    let (a, b) = tokio::join!(run_due(&one, later), run_due(&two, later));
    let ran = a.unwrap().len() + b.unwrap().len();
    assert_eq!(ran, 1, "one instance ran it");
    assert_eq!(hris.calls.load(Ordering::SeqCst), 1);
    assert_eq!(count(&app, "employee_sync").await, 1);
    assert!(
        run_due(&two, later).await.unwrap().is_empty(),
        "the next run is an hour later"
    );
    let next = later + chrono::Duration::minutes(61);
    assert_eq!(run_due(&two, next).await.unwrap().len(), 1);
    let data = app
        .data("query($id: ID!) { node(id: $id) { ... on HrisConnection { lastRunAt lastSync { source status } } } }", json!({"id": id}))
        .await;
    assert_eq!(
        data["node"]["lastSync"],
        json!({"source": "hris", "status": "applied"})
    );
}
