//! Employee files and the GraphQL operations the administrator tests share.
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// One row of an employee file; [`employee`] fills in everything but the department.
#[derive(Clone)]
pub struct Employee {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub department: String,
    pub location: String,
    pub job_title: String,
    pub manager: String,
    pub status: String,
}

/// Employee `id` of `department`: email `<id>@example.com` (lower case), in Paris, an
/// engineer, without a manager, active.
pub fn employee(id: &str, department: &str) -> Employee {
    Employee {
        id: id.to_owned(),
        email: format!("{}@example.com", id.to_lowercase()),
        first_name: format!("First{id}"),
        department: department.to_owned(),
        location: "Paris".to_owned(),
        job_title: "Engineer".to_owned(),
        manager: String::new(),
        status: "active".to_owned(),
    }
}

impl Employee {
    pub fn manager(mut self, manager: &str) -> Self {
        manager.clone_into(&mut self.manager);
        self
    }

    pub fn location(mut self, location: &str) -> Self {
        location.clone_into(&mut self.location);
        self
    }

    pub fn title(mut self, title: &str) -> Self {
        title.clone_into(&mut self.job_title);
        self
    }

    pub fn email(mut self, email: &str) -> Self {
        email.clone_into(&mut self.email);
        self
    }

    pub fn terminated(mut self) -> Self {
        "terminated".clone_into(&mut self.status);
        self
    }

    fn row(&self) -> String {
        [
            &self.id,
            &self.email,
            &self.first_name,
            "Last",
            &self.department,
            &self.location,
            &self.job_title,
            &self.manager,
            &self.status,
        ]
        .join(",")
    }
}

pub const HEADER: &str =
    "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Status";

/// An employee file of `employees`, header first.
pub fn csv(employees: &[Employee]) -> String {
    let mut text = format!("{HEADER}\n");
    for e in employees {
        text.push_str(&e.row());
        text.push('\n');
    }
    text
}

/// Employees `<prefix>1` .. `<prefix>n` of `department`.
pub fn staff(prefix: &str, n: usize, department: &str) -> Vec<Employee> {
    (1..=n)
        .map(|i| employee(&format!("{prefix}{i}"), department))
        .collect()
}

pub const SYNC: &str =
    "id status holdReason source rows created reactivated deactivated roleChanged updated unchanged reason
    rejectedRows { line employeeId message } notes { line employeeId message }
    changes { administratorId employeeId email kind ruleName oldRole newRole oldStatus newStatus reason }";

pub const ADMIN: &str =
    "id email firstName role status origin employeeId updatedAt rule { id name }
    events(first: 5) { kind reason oldRole newRole oldStatus newStatus ruleName actor }";

const IMPORT: &str =
    "mutation($input: ImportEmployeeFileInput!) { employeeSyncs { import(input: $input) {
    employeeSync { SYNC } errors { label message value code } } } }";

const CREATE_RULE: &str = "mutation($input: CreateAdminProvisioningRuleInput!) { adminProvisioningRules { create(input: $input) {
    rule { id name role } conflicts { rule { id name } employees { employeeId } }
    employeeSync { SYNC } errors { label message value code } } } }";

pub const UPDATE_RULE: &str = "mutation($input: UpdateAdminProvisioningRuleInput!) { adminProvisioningRules { update(input: $input) {
    rule { id name role } conflicts { rule { id name } employees { employeeId } }
    employeeSync { SYNC } errors { label message value code } } } }";

pub const DELETE_RULE: &str =
    "mutation($id: ID!) { adminProvisioningRules { delete(input: {ruleId: $id}) {
    rule { id } employeeSync { SYNC } errors { label message value code } } } }";

pub const APPLY: &str = "mutation($id: ID!) { employeeSyncs { apply(input: {employeeSyncId: $id}) {
    employeeSync { SYNC } errors { label message value code } } } }";

pub const UPDATE_ADMIN: &str =
    "mutation($input: UpdateAdministratorInput!) { administrators { update(input: $input) {
    administrator { id role status email } errors { label message value code } } } }";

pub const CREATE_ADMIN: &str =
    "mutation($input: CreateAdministratorInput!) { administrators { create(input: $input) {
    administrator { id role status origin } errors { label message value code } } } }";

/// `query` with the sync fields in place of `SYNC`.
pub fn with_sync(query: &str) -> String {
    query.replace("SYNC", SYNC)
}

/// The `employeeSyncs.import` payload of `file` sent as `token`.
pub async fn import_payload(app: &TestApp, token: &str, file: &str, dry_run: bool) -> Value {
    let body = app
        .gql_as(
            token,
            &with_sync(IMPORT),
            json!({"input": {"file": file, "fileName": "staff.csv", "dryRun": dry_run}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["employeeSyncs"]["import"].clone()
}

/// Imports `file` as the owner and returns the sync it recorded.
pub async fn import(app: &TestApp, file: &str) -> Value {
    let payload = import_payload(app, &app.owner_token, file, false).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    payload["employeeSync"].clone()
}

/// Imports `file`, which must be applied, and returns the sync.
pub async fn import_applied(app: &TestApp, file: &str) -> Value {
    let sync = import(app, file).await;
    assert_eq!(sync["status"], "applied", "{sync}");
    sync
}

/// One condition `field operation value`.
pub fn cond(field: &str, operation: &str, value: &str) -> Value {
    json!({"field": field, "operation": operation, "value": value})
}

/// The `adminProvisioningRules.create` payload.
pub async fn create_rule_payload(
    app: &TestApp,
    name: &str,
    conditions: Value,
    role: &str,
) -> Value {
    let data = app
        .data(
            &with_sync(CREATE_RULE),
            json!({"input": {"name": name, "conditions": conditions, "role": role}}),
        )
        .await;
    data["adminProvisioningRules"]["create"].clone()
}

/// Creates a rule that must be valid and returns its ID.
pub async fn create_rule(app: &TestApp, name: &str, conditions: Value, role: &str) -> String {
    let payload = create_rule_payload(app, name, conditions, role).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    payload["rule"]["id"].as_str().expect("rule id").to_owned()
}

/// The `adminProvisioningRules.update` payload.
pub async fn update_rule(app: &TestApp, input: Value) -> Value {
    let data = app
        .data(&with_sync(UPDATE_RULE), json!({"input": input}))
        .await;
    data["adminProvisioningRules"]["update"].clone()
}

/// Every administrator, oldest first.
pub async fn administrators(app: &TestApp) -> Vec<Value> {
    let query = format!("{{ administrators(first: 20) {{ edges {{ node {{ {ADMIN} }} }} }} }}");
    let data = app.data(&query, json!({})).await;
    data["administrators"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The administrator of employee `id`; panics if there is none.
pub async fn admin_of(app: &TestApp, employee_id: &str) -> Value {
    administrators(app)
        .await
        .into_iter()
        .find(|a| a["employeeId"] == employee_id)
        .unwrap_or_else(|| panic!("no administrator for employee {employee_id}"))
}

/// `(employeeId, role, status)` of every rule-provisioned administrator, by employee id.
pub async fn rule_admins(app: &TestApp) -> Vec<(String, String, String)> {
    let query =
        "{ administrators(first: 100, filters: [{field: origin, operation: eq, value: \"rule\"}]) {
        edges { node { employeeId role status origin } } } }";
    let data = app.data(query, json!({})).await;
    let mut admins: Vec<_> = data["administrators"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let n = &e["node"];
            assert_eq!(n["origin"], "rule", "{n}");
            let text = |f: &str| n[f].as_str().unwrap_or_default().to_owned();
            (text("employeeId"), text("role"), text("status"))
        })
        .collect();
    admins.sort();
    admins
}

/// `(employeeId, role, status)`, for comparing with [`rule_admins`].
pub fn admin(id: &str, role: &str, status: &str) -> (String, String, String) {
    (id.to_owned(), role.to_owned(), status.to_owned())
}

/// `(employeeId, kind)` of a sync's changes, in order.
pub fn change_kinds(sync: &Value) -> Vec<(String, String)> {
    sync["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["employeeId"].as_str().unwrap_or_default().to_owned(),
                c["kind"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The tables of this feature and what they touch: `helpers::row_counts` does not know them.
pub async fn admin_table_counts(app: &TestApp) -> Vec<(String, i64)> {
    use sea_orm::ConnectionTrait;
    let mut counts = Vec::new();
    for table in [
        "administrator",
        "administrator_event",
        "admin_provisioning_rule",
        "employee",
        "employee_sync",
        "api_token",
        "audit_event",
    ] {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("row");
        counts.push((table.to_owned(), row.try_get("", "n").expect("n")));
    }
    counts
}

/// `counts` with `table`'s count raised by `by`.
pub fn plus(mut counts: Vec<(String, i64)>, table: &str, by: i64) -> Vec<(String, i64)> {
    let entry = counts
        .iter_mut()
        .find(|(t, _)| t == table)
        .expect("known table");
    entry.1 += by;
    counts
}
