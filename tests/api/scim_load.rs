//! SCIM under load (issue 18, items 9 and 13): limits are checked before any database work,
//! member changes cost what changed rather than the group's size, and a role mapping removed
//! from the configuration takes back the roles its groups granted.
//!
//! Nothing here times anything: the tests read the server's statement log (which statements
//! ran, and in which order) to prove the structure; the benchmark measures the latency.
use autoprov::db::statements::is_transaction_control;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    helpers::{ScimClient, TestApp},
    sso::Portal,
};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The server's default `--max-body-bytes`.
const MAX_BODY: usize = 256 * 1024;

/// A portal with a SCIM token and its client; `scim_groups` adds its own calls.
pub(crate) struct Scim {
    pub(crate) p: Portal,
    pub(crate) c: ScimClient,
}

impl Scim {
    pub(crate) async fn new(settings: Value) -> Self {
        let (p, c) = Portal::with_scim(settings).await;
        Self { p, c }
    }

    pub(crate) fn app(&self) -> &TestApp {
        &self.p.app
    }

    pub(crate) async fn create_user(&self, user_name: &str) -> String {
        let (status, _, user) = self
            .c
            .post(
                "/Users",
                &json!({"schemas": [USER], "userName": user_name, "active": true,
                    "name": {"givenName": "Load", "familyName": "Test"},
                    "emails": [{"value": user_name, "type": "work", "primary": true}]}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        user["id"].as_str().expect("id").to_owned()
    }

    /// `count` users created by a few concurrent clients, as an IdP's first push does.
    async fn create_users(&self, prefix: &str, count: usize) -> Vec<String> {
        let names: Vec<String> = (0..count)
            .map(|i| format!("{prefix}.{i}@example.com"))
            .collect();
        let mut ids = Vec::with_capacity(count);
        for chunk in names.chunks(8) {
            let created =
                futures::future::join_all(chunk.iter().map(|name| self.create_user(name))).await;
            ids.extend(created);
        }
        ids
    }

    async fn create_group(&self, display_name: &str, members: &[String]) -> String {
        let group = self.group_created(display_name, members).await;
        group["id"].as_str().expect("id").to_owned()
    }

    /// `POST /Groups`: the group as created.
    pub(crate) async fn group_created(&self, display_name: &str, members: &[String]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let (status, _, group) = self
            .c
            .post(
                "/Groups",
                &json!({"schemas": [GROUP], "displayName": display_name, "members": members}),
            )
            .await;
        // A group of thousands of members would fill the screen.
        let shown: String = group.to_string().chars().take(500).collect();
        assert_eq!(status, 201, "{shown}");
        group
    }

    async fn patch(&self, path: &str, ops: Value) -> (u16, Value) {
        let (status, _, body) = self
            .c
            .patch(path, &json!({"schemas": [PATCH_OP], "Operations": ops}))
            .await;
        (status, body)
    }

    /// The roles of the contact with `email`, sorted.
    pub(crate) async fn roles(&self, email: &str) -> Vec<String> {
        let data = self
            .app()
            .data(
                "query($f: [ContactFilter!]) { contacts(first: 1, filters: $f) { edges { node { roles } } } }",
                json!({"f": [{"field": "email", "operation": "eq", "value": email}]}),
            )
            .await;
        let mut roles: Vec<String> = data["contacts"]["edges"][0]["node"]["roles"]
            .as_array()
            .unwrap_or_else(|| panic!("no contact {email}: {data}"))
            .iter()
            .map(|r| r.as_str().expect("role").to_owned())
            .collect();
        roles.sort();
        roles
    }

    async fn set_role_mappings(&self, mappings: Value) {
        self.p.configure(json!({"roleMappings": mappings})).await;
    }
}

/// Runs `request` with the server's statement log recording; returns its result and the
/// statements it ran, in order.
pub(crate) async fn recorded<T>(
    app: &TestApp,
    request: impl std::future::Future<Output = T>,
) -> (T, Vec<String>) {
    app.statements.start_recording();
    let result = request.await;
    let statements = app
        .statements
        .stop_recording()
        .into_iter()
        .map(|s| s.sql)
        .collect();
    (result, statements)
}

fn phone_numbers(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!({"value": i.to_string()}))
        .collect()
}

/// Item 9. A PATCH that can only fail a limit (13,000 phone numbers in one operation, or
/// 2,000 operations) is refused with a 400 that names the attribute before the server reads
/// the user or opens a transaction: it never waits for, let alone holds, the write lock. A
/// PATCH within the limits reads and patches the user before its transaction begins.
#[tokio::test]
async fn an_oversize_patch_is_refused_before_any_database_work() {
    let s = Scim::new(json!({})).await;
    let id = s.create_user("phones@example.com").await;
    let path = format!("/Users/{id}");
    let touches_the_user = |statements: &[String]| {
        statements
            .iter()
            .filter(|sql| is_transaction_control(sql) || sql.contains("scim_user"))
            .cloned()
            .collect::<Vec<_>>()
    };

    let one_big_operation =
        json!([{"op": "add", "path": "phoneNumbers", "value": phone_numbers(13_000)}]);
    let many_operations: Vec<Value> = (0..2_000)
        .map(|i| json!({"op": "add", "path": "phoneNumbers", "value": [{"value": i.to_string()}]}))
        .collect();
    let pathless = json!([{"op": "replace", "value": {"phoneNumbers": phone_numbers(13_000)}}]);
    for (what, ops, field) in [
        (
            "13,000 numbers in one operation",
            one_big_operation,
            "phoneNumbers",
        ),
        (
            "2,000 operations",
            Value::from(many_operations),
            "Operations",
        ),
        (
            "13,000 numbers in a pathless replace",
            pathless,
            "phoneNumbers",
        ),
    ] {
        let size = json!({"schemas": [PATCH_OP], "Operations": ops})
            .to_string()
            .len();
        assert!(
            size < MAX_BODY,
            "{what}: {size} bytes is over the body limit"
        );
        let ((status, body), statements) = recorded(s.app(), s.patch(&path, ops)).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["scimType"], "invalidValue", "{what}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(field), "{what}: {detail}");
        assert_eq!(
            touches_the_user(&statements),
            Vec::<String>::new(),
            "{what}: the refusal ran statements on the user or a transaction"
        );
    }
    let (status, user) = s.patch(&path, json!([])).await;
    assert_eq!(status, 400, "{user}");

    // Within the limits: the user is read (and patched) before the transaction, which reads
    // it again to see that nothing changed meanwhile, then writes. (The log does not show
    // `BEGIN`; the second read before the first write is the transaction's.)
    let ((status, user), statements) = recorded(
        s.app(),
        s.patch(
            &path,
            json!([{"op": "add", "path": "phoneNumbers", "value": phone_numbers(3)}]),
        ),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        user["phoneNumbers"].as_array().map(Vec::len),
        Some(3),
        "{user}"
    );
    let first_write = statements
        .iter()
        .position(|sql| sql.starts_with("UPDATE") || sql.starts_with("INSERT"))
        .expect("the PATCH writes");
    let reads_of_the_user = statements[..first_write]
        .iter()
        .filter(|sql| sql.starts_with("SELECT") && sql.contains("FROM \"scim_user\""))
        .count();
    assert!(
        reads_of_the_user >= 2,
        "the user is read before its transaction and again inside it: {statements:#?}"
    );
}

/// The statements of a request that are its work: transaction control aside, and the token
/// and configuration lookups, which the server keeps for a while.
pub(crate) fn work(statements: &[String]) -> Vec<String> {
    let cached = [
        "\"api_token\"",
        "FROM \"identity_provider_configuration\"",
        "FROM \"role_mapping\"",
    ];
    statements
        .iter()
        .filter(|sql| !is_transaction_control(sql) && !cached.iter().any(|c| sql.contains(c)))
        .cloned()
        .collect()
}

/// Item 9. Removing one member runs the same statements whether the group has 3 members or
/// 1,200 (more than any chunk of ids the server sends in one statement), and adding one does
/// too: member changes cost what changed, not the group's size.
#[tokio::test]
async fn a_member_change_runs_the_same_statements_in_a_small_and_a_large_group() {
    let s = Scim::new(json!({"roleMappings": [{"providerRole": "Big", "role": "big"}, {"providerRole": "Small", "role": "small"}]})).await;
    let small = s.create_users("small", 4).await;
    let large = s.create_users("large", 1_201).await;
    let small_group = s.create_group("Small", &small[..3]).await;
    let large_group = s.create_group("Big", &large[..1_200]).await;
    assert_eq!(s.roles("large.0@example.com").await, ["big", "learner"]);

    let mut runs = Vec::new();
    for (group, members) in [(&small_group, &small), (&large_group, &large)] {
        let path = format!("/Groups/{group}");
        let removed = &members[0];
        let ((status, body), removal) = recorded(
            s.app(),
            s.patch(
                &path,
                json!([{"op": "remove", "path": format!("members[value eq \"{removed}\"]")}]),
            ),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        let added = members.last().expect("a user outside the group");
        let ((status, body), addition) = recorded(
            s.app(),
            s.patch(
                &path,
                json!([{"op": "add", "path": "members", "value": [{"value": added}]}]),
            ),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        runs.push((work(&removal), work(&addition)));
    }
    let [
        (small_removal, small_addition),
        (large_removal, large_addition),
    ] = &runs[..]
    else {
        unreachable!()
    };
    assert_eq!(
        small_removal.len(),
        large_removal.len(),
        "removing one member: small group {small_removal:#?}\nlarge group {large_removal:#?}"
    );
    assert_eq!(
        small_addition.len(),
        large_addition.len(),
        "adding one member: small group {small_addition:#?}\nlarge group {large_addition:#?}"
    );

    // And the change is the one asked for: the removed member lost the group's role, the
    // added one got it, the others kept theirs.
    assert_eq!(s.roles("large.0@example.com").await, ["learner"]);
    assert_eq!(s.roles("large.1200@example.com").await, ["big", "learner"]);
    assert_eq!(s.roles("large.1@example.com").await, ["big", "learner"]);
    assert_eq!(s.roles("small.0@example.com").await, ["learner"]);
    assert_eq!(s.roles("small.3@example.com").await, ["learner", "small"]);
    let (status, _, group) = s.c.get(&format!("/Groups/{large_group}")).await;
    assert_eq!(status, 200, "{group}");
    let members = group["members"].as_array().expect("members");
    assert_eq!(members.len(), 1_200);
    assert!(!members.iter().any(|m| m["value"] == large[0].as_str()));
    assert!(members.iter().any(|m| m["value"] == large[1_200].as_str()));
}

/// Item 13. Changing or removing a role mapping on the configuration takes back the roles it
/// granted to the members of the groups it named, and grants what the new mapping names;
/// roles from elsewhere (the default role, one an administrator gave) stay.
#[tokio::test]
async fn removing_a_role_mapping_revokes_what_its_groups_granted() {
    let s = Scim::new(json!({"roleMappings": [
        {"providerRole": "Sales Admins", "role": "admin"},
        {"providerRole": "Auditors", "role": "auditor"}
    ]}))
    .await;
    let seller = s.create_user("seller@example.com").await;
    let outsider = s.create_user("outsider@example.com").await;
    s.create_group("Sales Admins", std::slice::from_ref(&seller))
        .await;
    s.create_group("auditors", std::slice::from_ref(&seller))
        .await;
    assert_eq!(
        s.roles("seller@example.com").await,
        ["admin", "auditor", "learner"]
    );
    // A role from elsewhere, as an administrator would have given it.
    let app = s.app();
    app.db
        .execute_unprepared(
            "UPDATE contact SET roles = '[\"admin\",\"auditor\",\"learner\",\"instructor\"]' \
             WHERE email = 'seller@example.com'",
        )
        .await
        .expect("give a role from elsewhere");
    let _ = outsider;

    // The mapping of "Sales Admins" changes role: admin goes, manager comes.
    s.set_role_mappings(json!([
        {"providerRole": "Sales Admins", "role": "manager"},
        {"providerRole": "Auditors", "role": "auditor"}
    ]))
    .await;
    assert_eq!(
        s.roles("seller@example.com").await,
        ["auditor", "instructor", "learner", "manager"]
    );

    // An update that leaves the mappings alone changes no roles.
    s.p.configure(json!({"linkExistingContacts": false})).await;
    assert_eq!(
        s.roles("seller@example.com").await,
        ["auditor", "instructor", "learner", "manager"]
    );

    // The "Auditors" mapping is removed: its role goes.
    s.set_role_mappings(json!([{"providerRole": "Sales Admins", "role": "manager"}]))
        .await;
    assert_eq!(
        s.roles("seller@example.com").await,
        ["instructor", "learner", "manager"]
    );
    // Every mapping removed: only the roles from elsewhere are left.
    s.set_role_mappings(json!([])).await;
    assert_eq!(
        s.roles("seller@example.com").await,
        ["instructor", "learner"]
    );
    assert_eq!(s.roles("outsider@example.com").await, ["learner"]);

    // A mapping added back grants again, to the group's current members.
    s.set_role_mappings(json!([{"providerRole": "AUDITORS", "role": "auditor"}]))
        .await;
    assert_eq!(
        s.roles("seller@example.com").await,
        ["auditor", "instructor", "learner"]
    );
}

/// Issue 23, item 1: what a SCIM request costs in statements, beyond the token and the
/// configuration (kept between requests). A create looks nothing up twice and does not ask
/// for the groups of a user that cannot be in any; a user is rendered with its groups in one
/// statement.
#[tokio::test]
async fn scim_requests_run_a_bounded_number_of_statements() {
    let s = Scim::new(json!({"roleMappings": [{"providerRole": "Big", "role": "big"}]})).await;
    let ids = s.create_users("warm", 3).await;
    let group = s.create_group("Big", &ids[..2]).await;
    let (_, create) = recorded(s.app(), s.create_user("new@example.com")).await;
    let filter = [("filter", "userName eq \"warm.1@example.com\"")];
    let ((status, _, found), filter) = recorded(s.app(), s.c.query("/Users", &filter)).await;
    assert_eq!(
        (status, &found["Resources"][0]["groups"][0]["display"]),
        (200, &json!("Big"))
    );
    let active = json!([{"op": "replace", "path": "active", "value": false}]);
    let ((status, patched), active) =
        recorded(s.app(), s.patch(&format!("/Users/{}", ids[0]), active)).await;
    // The answer shows the groups the PATCH's plan read (a PATCH cannot change them).
    assert_eq!(
        (status, &patched["active"], &patched["groups"][0]["display"]),
        (200, &json!(false), &json!("Big"))
    );
    let add = json!([{"op": "add", "path": "members", "value": [{"value": ids[2]}]}]);
    let ((status, _), add) = recorded(s.app(), s.patch(&format!("/Groups/{group}"), add)).await;
    assert_eq!(status, 204);
    for (what, statements, most) in [
        ("a create", &create, 8),
        ("a userName filter", &filter, 2),
        // The user and its groups (to plan), the user again, locked (to see that it did
        // not change), its contact, its row and the provisioning event.
        ("a PATCH of active", &active, 6),
        // The group, which of the named users are members and which are users here, the
        // membership, the group's version, and the new member's roles (its groups, its rows,
        // and one write of each): the group's other members are never read.
        ("a group member added", &add, 9),
    ] {
        let work = work(statements);
        assert!(
            work.len() <= most,
            "{what} ran {} statements: {work:#?}",
            work.len()
        );
        assert!(
            !work
                .iter()
                .any(|sql| sql.contains("WHERE ? = ?") || sql.contains("WHERE $1 = $2")),
            "{what} ran a statement that cannot match: {work:#?}"
        );
    }
    // On PostgreSQL the read inside the transaction locks the user's row (writers of one
    // user take turns), in the same statement.
    if s.app().db.get_database_backend() == sea_orm::DbBackend::Postgres {
        assert!(
            work(&active)
                .iter()
                .any(|sql| sql.contains("FOR UPDATE OF \"scim_user\"")),
            "the PATCH locks the user: {active:#?}"
        );
    }
    assert!(
        !work(&create).iter().any(|sql| sql.contains("\"scim_group")),
        "a create looked for the groups of a new user: {create:#?}"
    );
}
