//! SCIM v2 (PRODUCT §6, issue 11) through the real server: Okta's "SCIM 2.0 Spec Test" and
//! the request bodies of Microsoft Entra ID's documentation replayed, the product story (a
//! SCIM user is the contact its SSO sign-in lands on), groups granting roles, filters run in
//! the database, and the protocol's edges.
use reqwest::{
    Method,
    header::{self, HeaderMap},
};
use serde_json::{Value, json};

use crate::{
    helpers::{ScimClient, ScimReply, TestApp, error_code, spawn_app},
    sso::Portal,
};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const SCIM_JSON: &str = "application/scim+json";

const CONTACT: &str =
    "query($id: ID!) { contact(id: $id) { id email firstName lastName status roles
    account { id name isIndividual company { id } }
    credentials { kind subject identityProvider { id } } } }";

const SCIM_IDENTITY: &str = "query($id: ID!) { contact(id: $id) {
    scimIdentity { userName externalId scimId identityProvider { id } }
    scimIdentities { scimId } } }";

const EVENTS: &str = "query($filters: [ProvisioningEventFilter!]) { provisioningEvents(first: 100, filters: $filters) {
    edges { node { outcome source subject accountAssignment reason changedAttributes
    contact { id } account { id } brand { id } identityProvider { id } } } } }";

/// A brand and IdP with a configuration, and a SCIM client holding a token for it.
struct Scim {
    p: Portal,
    c: ScimClient,
}

impl Scim {
    async fn new(settings: Value) -> Self {
        Self::on(spawn_app().await, settings).await
    }

    /// Configures a brand and IdP on `app` (`settings`: extra configuration input fields).
    async fn on(app: TestApp, settings: Value) -> Self {
        let p = Portal::on(app, settings).await;
        let token = p.app.create_scim_token(&p.brand, &p.idp).await;
        let c = ScimClient::new(&p.app, Some(&token));
        Self { p, c }
    }

    fn app(&self) -> &TestApp {
        &self.p.app
    }

    async fn create_user(&self, body: Value) -> Value {
        let (status, headers, user) = self.c.post("/Users", &body).await;
        assert_eq!(status, 201, "{user}");
        assert_scim_json(&headers);
        user
    }

    async fn create_group(&self, body: Value) -> Value {
        let (status, _, group) = self.c.post("/Groups", &body).await;
        assert_eq!(status, 201, "{group}");
        group
    }

    async fn get_user(&self, id: &str) -> Value {
        let (status, _, user) = self.c.get(&format!("/Users/{id}")).await;
        assert_eq!(status, 200, "{user}");
        user
    }

    async fn patch_user(&self, id: &str, ops: Value) -> Value {
        let (status, headers, user) = self.c.patch(&format!("/Users/{id}"), &patch(ops)).await;
        assert_eq!(status, 200, "{user}");
        assert_scim_json(&headers);
        user
    }

    async fn patch_group(&self, id: &str, ops: Value) -> Value {
        let (status, _, group) = self.c.patch(&format!("/Groups/{id}"), &patch(ops)).await;
        assert_eq!(status, 200, "{group}");
        group
    }

    /// A membership PATCH (members added or removed by id): 204 No Content with the group's
    /// new version; its members read back with a GET.
    async fn change_members(&self, id: &str, ops: Value) -> Value {
        let path = format!("/Groups/{id}");
        let (status, headers, body) = self.c.patch(&path, &patch(ops)).await;
        assert_eq!(status, 204, "{body}");
        let version = header(&headers, header::ETAG).to_owned();
        let group = self.get_group(id).await;
        assert_eq!(group["meta"]["version"], version.as_str(), "{group}");
        group
    }

    /// `GET /Users?filter=...`, which must succeed.
    async fn list(&self, filter: &str) -> Value {
        let (status, headers, list) = self.c.query("/Users", &[("filter", filter)]).await;
        assert_eq!(status, 200, "{filter}: {list}");
        assert_scim_json(&headers);
        assert_eq!(list["schemas"], json!([LIST]), "{list}");
        list
    }

    /// The userNames a filter selects, in the list's order.
    async fn names(&self, filter: &str) -> Vec<String> {
        let list = self.list(filter).await;
        let names = user_names(&list);
        assert_eq!(list["totalResults"], names.len(), "{filter}: {list}");
        names
    }

    /// The events of this brand, newest first, with `source` when given.
    async fn events(&self, source: Option<&str>) -> Vec<Value> {
        let mut filters =
            vec![json!({"field": "brandId", "operation": "eq", "value": self.p.brand})];
        if let Some(source) = source {
            filters.push(json!({"field": "source", "operation": "eq", "value": source}));
        }
        let data = self.app().data(EVENTS, json!({"filters": filters})).await;
        nodes(&data["provisioningEvents"])
    }

    /// The contact a SCIM user was created on, from its provisioning event.
    async fn contact_id(&self, user_name: &str) -> String {
        let events = self.events(Some("scim")).await;
        let event = events
            .iter()
            .find(|e| e["subject"] == user_name)
            .unwrap_or_else(|| panic!("no SCIM event for {user_name}: {events:?}"));
        event["contact"]["id"].as_str().expect("contact").to_owned()
    }

    async fn contact(&self, id: &str) -> Value {
        self.app().data(CONTACT, json!({"id": id})).await["contact"].clone()
    }

    /// `Contact.scimIdentity` and the ids of `Contact.scimIdentities`.
    async fn scim_identity(&self, contact_id: &str) -> (Value, Value) {
        let data = self
            .app()
            .data(SCIM_IDENTITY, json!({"id": contact_id}))
            .await;
        let contact = &data["contact"];
        (
            contact["scimIdentity"].clone(),
            contact["scimIdentities"].clone(),
        )
    }

    async fn sign_in(&self, subject: &str, email: &str) -> Value {
        self.p.sign_in(subject, json!({"email": email})).await
    }

    async fn get_group(&self, id: &str) -> Value {
        let (status, _, group) = self.c.get(&format!("/Groups/{id}")).await;
        assert_eq!(status, 200, "{group}");
        group
    }

    /// The account of a SCIM user's contact, and the rule its creation event names.
    async fn placement(&self, user_name: &str) -> (Value, Value) {
        let contact = self.contact(&self.contact_id(user_name).await).await;
        let event = self
            .events(Some("scim"))
            .await
            .into_iter()
            .find(|e| e["subject"] == user_name)
            .expect("event");
        (
            contact["account"].clone(),
            event["accountAssignment"].clone(),
        )
    }

    async fn roles(&self, contact_id: &str) -> Vec<String> {
        let roles = self.contact(contact_id).await["roles"].clone();
        sorted(
            roles
                .as_array()
                .expect("roles")
                .iter()
                .map(|r| r.as_str().expect("role").to_owned())
                .collect(),
        )
    }
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn id(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {resource}"))
        .to_owned()
}

fn user_names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources in {list}"))
        .iter()
        .map(|u| u["userName"].as_str().expect("userName").to_owned())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources in {list}"))
        .iter()
        .map(id)
        .collect()
}

/// The `value`s of a group's members, sorted.
pub(crate) fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .map(|m| m["value"].as_str().expect("member value").to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

pub(crate) fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .expect("ASCII header")
}

fn assert_scim_json(headers: &HeaderMap) {
    let content_type = header(headers, header::CONTENT_TYPE);
    assert!(
        content_type.starts_with(SCIM_JSON),
        "Content-Type is {content_type}"
    );
}

/// Asserts that `reply` is a SCIM error (RFC 7644 §3.12) with `status` and `scim_type`.
fn assert_scim_error(reply: &ScimReply, status: u16, scim_type: Option<&str>) {
    let (actual, headers, body) = reply;
    assert_eq!(*actual, status, "{body}");
    assert_scim_json(headers);
    assert_eq!(body["schemas"], json!([ERROR]), "{body}");
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    if let Some(scim_type) = scim_type {
        assert_eq!(body["scimType"], scim_type, "{body}");
    }
}

/// A user as Okta's spec test creates one (the password is a placeholder).
fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": "Isabella", "familyName": "Ng"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": "Isabella Ng",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

/// A user with the given names and (optional) work email.
fn user(user_name: &str, given: &str, family: &str, email: Option<&str>) -> Value {
    let mut body = json!({
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "active": true
    });
    if let Some(email) = email {
        body["emails"] = json!([{"value": email, "type": "work", "primary": true}]);
    }
    body
}

// ---------------------------------------------------------------------------------------
// 1. Okta's SCIM 2.0 spec test
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn okta_spec_test_replay() {
    let s = Scim::new(json!({})).await;

    // Required test: the service provider configuration.
    let (status, headers, config) = s.c.get("/ServiceProviderConfig").await;
    assert_eq!(status, 200, "{config}");
    assert_scim_json(&headers);
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["filter"]["supported"], true);
    assert!(
        config["filter"]["maxResults"].as_u64() >= Some(100),
        "{config}"
    );
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(config["etag"]["supported"], true);
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );

    // Required test: GET /Users?count=1&startIndex=1 is a ListResponse, empty at first.
    let page = [("count", "1"), ("startIndex", "1")];
    let (status, headers, list) = s.c.query("/Users", &page).await;
    assert_eq!(status, 200, "{list}");
    assert_scim_json(&headers);
    assert_eq!(list["schemas"], json!([LIST]));
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["itemsPerPage"], 0);
    assert_eq!(list["Resources"], json!([]));
    let first = s.create_user(okta_user("first@example.com")).await;
    let (_, _, list) = s.c.query("/Users", &page).await;
    assert_eq!(list["totalResults"], 1, "{list}");
    assert_eq!(list["itemsPerPage"], 1);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["Resources"][0]["id"], first["id"]);
    assert_eq!(list["Resources"][0]["userName"], "first@example.com");

    // A random userName is not there yet.
    let name = "isabella.ng.7731@example.com";
    let filter = format!("userName eq \"{name}\"");
    let none = s.list(&filter).await;
    assert_eq!(none["totalResults"], 0, "{none}");
    assert_eq!(none["Resources"], json!([]));

    // Create: 201 with the full user, Location = meta.location, ETag = meta.version, and
    // no password.
    let (status, headers, created) = s.c.post("/Users", &okta_user(name)).await;
    assert_eq!(status, 201, "{created}");
    assert_scim_json(&headers);
    let user_id = id(&created);
    assert_eq!(created["userName"], name);
    assert_eq!(
        created["name"],
        json!({"givenName": "Isabella", "familyName": "Ng"})
    );
    assert_eq!(
        created["emails"],
        json!([{"primary": true, "value": name, "type": "work"}])
    );
    assert_eq!(created["displayName"], "Isabella Ng");
    assert_eq!(created["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(created["active"], true);
    assert!(
        created["schemas"]
            .as_array()
            .is_some_and(|s| s.contains(&json!(USER))),
        "{created}"
    );
    assert!(created.get("password").is_none(), "{created}");
    assert!(!created.to_string().contains("1mz050nq"), "{created}");
    let meta = &created["meta"];
    assert_eq!(meta["resourceType"], "User");
    assert_eq!(meta["location"], format!("{}/Users/{user_id}", s.c.base));
    assert_eq!(header(&headers, header::LOCATION), meta["location"]);
    assert_eq!(header(&headers, header::ETAG), meta["version"]);
    for at in ["created", "lastModified"] {
        let text = meta[at].as_str().expect("meta time");
        chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
    }
    assert_eq!(s.list(&filter).await["totalResults"], 1);

    // The password is a password credential (next to the SSO identity), never shown.
    let contact_id = s.contact_id(name).await;
    let contact = s.contact(&contact_id).await;
    let mut kinds: Vec<&str> = contact["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind"))
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["password", "sso"], "{contact}");

    // GET by id returns the same user.
    let (status, headers, fetched) = s.c.get(&format!("/Users/{user_id}")).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched, created);
    assert_eq!(header(&headers, header::ETAG), meta["version"]);

    // The same user again: 409 uniqueness, whatever the case of the userName.
    for again in [name.to_owned(), name.to_uppercase()] {
        let reply = s.c.post("/Users", &okta_user(&again)).await;
        assert_scim_error(&reply, 409, Some("uniqueness"));
    }
    assert_eq!(s.list("userName pr").await["totalResults"], 2);

    // The filter compares userName ignoring case.
    let found = s
        .list(&format!("userName eq \"{}\"", name.to_uppercase()))
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], user_id.as_str());

    // Update by PUT: a new givenName, everything else as it was.
    let mut replacement = fetched.clone();
    replacement["name"]["givenName"] = json!("Bella");
    let (status, headers, updated) = s.c.put(&format!("/Users/{user_id}"), &replacement).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"]["givenName"], "Bella");
    assert_eq!(updated["name"]["familyName"], "Ng");
    assert_eq!(updated["emails"], created["emails"]);
    assert_ne!(updated["meta"]["version"], created["meta"]["version"]);
    assert_eq!(header(&headers, header::ETAG), updated["meta"]["version"]);
    assert_eq!(s.contact(&contact_id).await["firstName"], "Bella");
    let event = &s.events(Some("scim")).await[0];
    assert_eq!(event["outcome"], "updated", "{event}");
    assert_eq!(event["changedAttributes"], json!(["firstName"]), "{event}");

    // Okta deactivates with a pathless replace.
    let deactivated = s
        .patch_user(
            &user_id,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(deactivated["active"], false);
    assert_eq!(deactivated["name"]["givenName"], "Bella");
    assert_eq!(s.get_user(&user_id).await["active"], false);
    assert_eq!(s.contact(&contact_id).await["status"], "inactive");

    // Unknown ids, UUIDs or not, are SCIM 404s.
    for missing in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let reply = s.c.get(&format!("/Users/{missing}")).await;
        assert_scim_error(&reply, 404, None);
    }
}

/// `GET /Users?startIndex=..&count=..`, which must succeed.
async fn page(c: &ScimClient, start: i64, count: i64) -> Value {
    let (start, count) = (start.to_string(), count.to_string());
    let (status, _, list) = c
        .query("/Users", &[("startIndex", &start), ("count", &count)])
        .await;
    assert_eq!(status, 200, "{list}");
    list
}

#[tokio::test]
async fn okta_import_pages_in_a_stable_order() {
    let s = Scim::new(json!({})).await;
    let mut created = Vec::new();
    for i in 0..5 {
        let u = s
            .create_user(okta_user(&format!("import{i}@example.com")))
            .await;
        created.push(id(&u));
    }
    // One page of 100: everyone, in creation order.
    let all = page(&s.c, 1, 100).await;
    assert_eq!(all["totalResults"], 5);
    assert_eq!(all["itemsPerPage"], 5);
    assert_eq!(ids(&all), created);

    // Pages of two: no overlap, no gap, the same order.
    let mut seen = Vec::new();
    for (start, expected) in [(1, 2), (3, 2), (5, 1)] {
        let list = page(&s.c, start, 2).await;
        assert_eq!(list["totalResults"], 5, "{list}");
        assert_eq!(list["startIndex"], start, "{list}");
        assert_eq!(list["itemsPerPage"], expected, "{list}");
        seen.extend(ids(&list));
    }
    assert_eq!(seen, created);

    // Past the end: no resources, the total still given.
    let beyond = page(&s.c, 6, 2).await;
    assert_eq!(beyond["totalResults"], 5);
    assert_eq!(beyond["itemsPerPage"], 0);
    assert_eq!(beyond["Resources"], json!([]));

    // startIndex below 1 reads as 1.
    for start in [0, -4] {
        let list = page(&s.c, start, 2).await;
        assert_eq!(list["startIndex"], 1, "{list}");
        assert_eq!(ids(&list), created[..2]);
    }

    // count=0: the totals only.
    let totals = page(&s.c, 1, 0).await;
    assert_eq!(totals["totalResults"], 5);
    assert_eq!(totals["itemsPerPage"], 0);
    assert_eq!(totals["Resources"], json!([]));

    // Paging a filtered list counts the matches only.
    let (_, _, filtered) =
        s.c.query(
            "/Users",
            &[
                (
                    "filter",
                    "userName eq \"import1@example.com\" or userName eq \"import3@example.com\"",
                ),
                ("startIndex", "2"),
                ("count", "5"),
            ],
        )
        .await;
    assert_eq!(filtered["totalResults"], 2, "{filtered}");
    assert_eq!(ids(&filtered), [created[3].clone()]);
}

// ---------------------------------------------------------------------------------------
// 2. Microsoft Entra ID, with the bodies of its documentation
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn entra_create_and_update_bodies() {
    let s = Scim::new(json!({})).await;
    let user_name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com";
    let email = "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com";
    let body = json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": "True",
        "displayName": null,
        "title": null,
        "emails": [{"primary": true, "type": "work", "value": email}],
        "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        ENTERPRISE: {
            "employeeNumber": "701984",
            "department": "Sales",
            "organization": null,
            "manager": [{"value": "manager-0042"}]
        }
    });
    // Entra sends application/json as often as application/scim+json.
    let (status, _, created) = ScimClient::send(
        s.c.request(Method::POST, "/Users")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let user_id = id(&created);
    assert_eq!(created["active"], true, "{created}");
    assert_eq!(created["userName"], user_name);
    assert_eq!(
        created["name"],
        json!({"givenName": "givenName", "familyName": "familyName"})
    );
    assert!(created.get("displayName").is_none(), "{created}");
    assert!(created.get("title").is_none(), "{created}");
    assert!(created.get("roles").is_none(), "{created}");
    assert_eq!(
        created["emails"],
        json!([{"primary": true, "type": "work", "value": email}])
    );
    assert_eq!(
        created["phoneNumbers"],
        json!([{"type": "work", "value": "+1 555 0100"}])
    );
    assert_eq!(
        created[ENTERPRISE],
        json!({"employeeNumber": "701984", "department": "Sales", "manager": {"value": "manager-0042"}})
    );
    assert_eq!(created["meta"]["resourceType"], "User");
    let contact_id = s.contact_id(user_name).await;
    assert_eq!(s.contact(&contact_id).await["email"], email);

    // Entra's lookup, with its feature flag in the query string (ignored).
    let url = reqwest::Url::parse_with_params(
        "http://x/",
        &[("filter", format!("userName eq \"{user_name}\""))],
    )
    .expect("url");
    let query = format!("{}&aadOptscim062020", url.query().expect("query"));
    let (status, _, found) = s.c.get(&format!("/Users?{query}")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], user_id.as_str());
    let by_external = s
        .list("externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"")
        .await;
    assert_eq!(ids(&by_external), [user_id.as_str()]);

    // "Update User [Multi-valued properties]": PascalCase ops, a value path.
    let updated = s
        .patch_user(
            &user_id,
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
            ]),
        )
        .await;
    assert_eq!(
        updated["emails"],
        json!([{"primary": true, "type": "work", "value": "updatedEmail@microsoft.com"}])
    );
    assert_eq!(updated["name"]["familyName"], "updatedFamilyName");
    let contact = s.contact(&contact_id).await;
    assert_eq!(contact["email"], "updatedEmail@microsoft.com");
    assert_eq!(contact["lastName"], "updatedFamilyName");

    // Pathless replace with dotted and URN-prefixed keys, and a "False".
    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Replace", "value": {
                "name.givenName": "Ryan",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "8934",
                "active": "False"
            }}]),
        )
        .await;
    assert_eq!(updated["name"]["givenName"], "Ryan");
    assert_eq!(updated["name"]["familyName"], "updatedFamilyName");
    assert_eq!(updated[ENTERPRISE]["employeeNumber"], "8934");
    assert_eq!(updated[ENTERPRISE]["department"], "Sales");
    assert_eq!(updated["active"], false);
    assert_eq!(s.contact(&contact_id).await["status"], "inactive");
    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(updated["active"], true);
    assert_eq!(s.contact(&contact_id).await["status"], "active");

    // The manager, added by URN path as a bare id, and removed.
    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "manager-0099"}]),
        )
        .await;
    assert_eq!(
        updated[ENTERPRISE]["manager"],
        json!({"value": "manager-0099"})
    );
    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Remove", "path": format!("{ENTERPRISE}:manager")}]),
        )
        .await;
    assert!(updated[ENTERPRISE].get("manager").is_none(), "{updated}");

    // "Update User [Single-valued properties]": a new userName moves the SSO identity.
    let renamed = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com";
    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Replace", "path": "userName", "value": renamed}]),
        )
        .await;
    assert_eq!(updated["userName"], renamed);
    assert_eq!(
        s.names(&format!("userName eq \"{user_name}\"")).await.len(),
        0
    );
    assert_eq!(
        s.names(&format!("userName eq \"{renamed}\"")).await,
        [renamed]
    );
    let signed_in = s.sign_in(renamed, "updatedEmail@microsoft.com").await;
    assert_eq!(signed_in["outcome"], "signedIn", "{signed_in}");
    assert_eq!(signed_in["contact"]["id"], contact_id.as_str());
}

#[tokio::test]
async fn entra_add_on_a_value_path_creates_the_missing_element() {
    let s = Scim::new(json!({})).await;
    // Entra's first push of a user with no email yet.
    let created = s
        .create_user(json!({
            "schemas": [USER],
            "externalId": "ryan-ext",
            "userName": "ryan.leenay",
            "active": true,
            "name": {"givenName": "Ryan", "familyName": "Leenay"},
            "meta": {"resourceType": "User"}
        }))
        .await;
    let user_id = id(&created);
    assert!(created.get("emails").is_none(), "{created}");
    let contact_id = s.contact_id("ryan.leenay").await;

    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ryan@contoso.com"}]),
        )
        .await;
    assert_eq!(
        updated["emails"],
        json!([{"type": "work", "value": "ryan@contoso.com"}])
    );
    assert_eq!(s.contact(&contact_id).await["email"], "ryan@contoso.com");

    // Adding again sets the same element rather than adding a second one.
    let updated = s
        .patch_user(
            &user_id,
            json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ryan.leenay@contoso.com"}]),
        )
        .await;
    assert_eq!(
        updated["emails"],
        json!([{"type": "work", "value": "ryan.leenay@contoso.com"}])
    );
    assert_eq!(
        s.contact(&contact_id).await["email"],
        "ryan.leenay@contoso.com"
    );
    assert_eq!(s.get_user(&user_id).await["emails"], updated["emails"]);
}

#[tokio::test]
async fn entra_group_members_are_added_and_removed() {
    let s = Scim::new(json!({})).await;
    let one = id(&s
        .create_user(user("one@contoso.com", "One", "A", Some("one@contoso.com")))
        .await);
    let two = id(&s
        .create_user(user("two@contoso.com", "Two", "B", Some("two@contoso.com")))
        .await);
    let group = s
        .create_group(json!({
            "schemas": [GROUP],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Group1",
            "meta": {"resourceType": "Group"}
        }))
        .await;
    let group_id = id(&group);
    assert_eq!(group["displayName"], "Group1");
    assert_eq!(member_ids(&group), Vec::<String>::new());

    // Entra's lookup of a group: by name, members excluded.
    let (status, _, found) =
        s.c.query(
            "/Groups",
            &[
                ("filter", "displayName eq \"Group1\""),
                ("excludedAttributes", "members"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], group_id.as_str());
    assert!(found["Resources"][0].get("members").is_none(), "{found}");

    let added = s
        .change_members(
            &group_id,
            json!([{"op": "Add", "path": "members", "value": [
                {"$ref": null, "value": one}, {"$ref": null, "value": two}
            ]}]),
        )
        .await;
    assert_eq!(member_ids(&added), sorted(vec![one.clone(), two.clone()]));

    let removed = s
        .change_members(
            &group_id,
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": one}]}]),
        )
        .await;
    assert_eq!(member_ids(&removed), [two.as_str()]);

    // Entra's membership check: the group with that member, or nothing.
    for (user_id, expected) in [(&two, 1), (&one, 0)] {
        let filter = format!("id eq \"{group_id}\" and members[value eq \"{user_id}\"]");
        let (status, _, list) =
            s.c.query(
                "/Groups",
                &[("filter", &filter), ("excludedAttributes", "members")],
            )
            .await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["totalResults"], expected, "{filter}: {list}");
    }
    let groups_of_two = &s.get_user(&two).await["groups"];
    assert_eq!(
        groups_of_two[0]["value"],
        group_id.as_str(),
        "{groups_of_two}"
    );
    assert_eq!(groups_of_two[0]["display"], "Group1");
    assert!(s.get_user(&one).await.get("groups").is_none());

    // Entra renames with a path; the answer leaves out the members it did not ask for.
    let renamed = s
        .patch_group(
            &group_id,
            json!([{"op": "Replace", "path": "displayName", "value": "Group1 renamed"}]),
        )
        .await;
    assert_eq!(renamed["displayName"], "Group1 renamed");
    assert!(renamed.get("members").is_none(), "{renamed}");
    assert_eq!(member_ids(&s.get_group(&group_id).await), [two]);
}

#[tokio::test]
async fn okta_group_members_are_added_removed_and_replaced() {
    let s = Scim::new(json!({})).await;
    let mut users = Vec::new();
    for name in ["a", "b", "c"] {
        let email = format!("{name}@okta.example");
        users.push(id(&s.create_user(okta_user(&email)).await));
    }
    let (a, b, c) = (users[0].clone(), users[1].clone(), users[2].clone());
    let group = s
        .create_group(json!({
            "schemas": [GROUP],
            "displayName": "Test SCIMv2",
            "members": [{"value": a, "display": "a@okta.example"}]
        }))
        .await;
    let group_id = id(&group);
    assert_eq!(member_ids(&group), [a.as_str()]);
    let duplicate =
        s.c.post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "test scimv2"}),
        )
        .await;
    assert_scim_error(&duplicate, 409, Some("uniqueness"));

    let added = s
        .change_members(
            &group_id,
            json!([{"op": "add", "path": "members", "value": [{"value": b, "display": "b@okta.example"}]}]),
        )
        .await;
    assert_eq!(member_ids(&added), sorted(vec![a.clone(), b.clone()]));

    let removed = s
        .change_members(
            &group_id,
            json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]),
        )
        .await;
    assert_eq!(member_ids(&removed), [b.as_str()]);

    // A replace of the members sent them all: the answer shows them.
    let replaced = s
        .patch_group(
            &group_id,
            json!([{"op": "replace", "path": "members", "value": [{"value": a}, {"value": c}]}]),
        )
        .await;
    assert_eq!(member_ids(&replaced), sorted(vec![a.clone(), c.clone()]));
    assert!(s.get_user(&b).await.get("groups").is_none());

    // Okta renames with a pathless replace echoing the id.
    let renamed = s
        .patch_group(
            &group_id,
            json!([{"op": "replace", "value": {"id": group_id, "displayName": "Renamed"}}]),
        )
        .await;
    assert_eq!(renamed["displayName"], "Renamed");
    assert!(renamed.get("members").is_none(), "{renamed}");
    assert_eq!(
        member_ids(&s.get_group(&group_id).await),
        sorted(vec![a, c])
    );

    // Okta's older apps PUT the whole group.
    let (status, _, put) = s
        .c
        .put(
            &format!("/Groups/{group_id}"),
            &json!({"schemas": [GROUP], "id": group_id, "displayName": "Renamed", "members": [{"value": b}]}),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(member_ids(&put), [b]);

    let (status, _, body) = s.c.delete(&format!("/Groups/{group_id}")).await;
    assert_eq!(status, 204, "{body}");
    assert_scim_error(&s.c.get(&format!("/Groups/{group_id}")).await, 404, None);
}

// ---------------------------------------------------------------------------------------
// 3. The product story: SCIM users are the contacts SSO signs in
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_scim_user_signs_in_through_sso_as_the_same_contact() {
    let s = Scim::new(json!({})).await;
    let name = "ada@example.com";
    let created = s.create_user(okta_user(name)).await;
    let user_id = id(&created);
    let contact_id = s.contact_id(name).await;

    let contact = s.contact(&contact_id).await;
    assert_eq!(contact["email"], name);
    assert_eq!(contact["firstName"], "Isabella");
    assert_eq!(contact["status"], "active");
    let events = s.events(Some("scim")).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["source"], "scim");
    assert_eq!(events[0]["outcome"], "created");
    assert_eq!(events[0]["subject"], name);
    assert_eq!(events[0]["accountAssignment"], "individualAccount");
    assert_eq!(events[0]["contact"]["id"], contact_id.as_str());
    assert_eq!(events[0]["identityProvider"]["id"], s.p.idp.as_str());

    // The first SSO sign-in of that userName lands on the same contact.
    let out = s.sign_in(name, name).await;
    assert_eq!(out["errors"], json!([]), "{out}");
    assert_eq!(out["outcome"], "signedIn", "{out}");
    assert_eq!(out["contact"]["id"], contact_id.as_str());
    let sso = s.events(Some("sso")).await;
    assert_eq!(sso.len(), 1, "{sso:?}");
    assert_eq!(sso[0]["source"], "sso");
    assert_eq!(s.events(Some("scim")).await.len(), 1);

    // Deactivated by SCIM: denied. Reactivated: signed in again.
    s.patch_user(
        &user_id,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;
    let out = s.sign_in(name, name).await;
    assert_eq!(out["outcome"], "denied", "{out}");
    assert_eq!(out["denialReason"], "contactInactive", "{out}");
    s.patch_user(
        &user_id,
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .await;
    let out = s.sign_in(name, name).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    assert_eq!(out["contact"]["id"], contact_id.as_str());

    // DELETE: gone from SCIM; the contact stays, inactive, without the SCIM identity.
    let (status, _, body) = s.c.delete(&format!("/Users/{user_id}")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(body, Value::Null);
    assert_scim_error(&s.c.get(&format!("/Users/{user_id}")).await, 404, None);
    assert_eq!(s.names("userName pr").await.len(), 0);
    let contact = s.contact(&contact_id).await;
    assert_eq!(contact["id"], contact_id.as_str(), "the contact is kept");
    assert_eq!(contact["status"], "inactive");
    assert_eq!(contact["credentials"], json!([]));
    let out = s.sign_in(name, name).await;
    assert_eq!(out["outcome"], "denied", "{out}");

    // The same userName may be created again: it adopts that contact.
    let again = s.create_user(okta_user(name)).await;
    assert_ne!(id(&again), user_id);

    // The provisioning log has every SCIM change of the contact (newest first), and the
    // sign-ins apart from them.
    let events = s.events(Some("scim")).await;
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(
        outcomes,
        [
            "linked",
            "deprovisioned",
            "reactivated",
            "deactivated",
            "created"
        ],
        "{events:?}"
    );
    for event in &events {
        assert_eq!(event["source"], "scim");
        assert_eq!(event["subject"], name);
        assert_eq!(event["contact"]["id"], contact_id.as_str());
    }
    let sso: Vec<Value> = s.events(Some("sso")).await;
    assert_eq!(sso.len(), 4, "{sso:?}");
    assert!(sso.iter().all(|e| e["source"] == "sso"), "{sso:?}");
    assert_eq!(s.contact(&contact_id).await["status"], "active");
    let out = s.sign_in(name, name).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    assert_eq!(out["contact"]["id"], contact_id.as_str());
}

/// The admin view: `Contact.scimIdentity` shows the SCIM user pushed for the contact, and
/// nothing once it is deleted.
#[tokio::test]
async fn contact_scim_identity_follows_the_scim_user() {
    let s = Scim::new(json!({})).await;
    let name = "ida@example.com";
    let user_id = id(&s.create_user(okta_user(name)).await);
    let contact_id = s.contact_id(name).await;
    let (identity, all) = s.scim_identity(&contact_id).await;
    assert_eq!(
        identity,
        json!({"userName": name, "externalId": "00ujl29u0le5T6Aj10h7", "scimId": user_id,
               "identityProvider": {"id": s.p.idp}})
    );
    assert_eq!(all, json!([{"scimId": user_id}]));

    let (status, _, _) = s.c.delete(&format!("/Users/{user_id}")).await;
    assert_eq!(status, 204);
    assert_eq!(s.scim_identity(&contact_id).await, (Value::Null, json!([])));

    let again = id(&s.create_user(okta_user(name)).await);
    let (identity, _) = s.scim_identity(&contact_id).await;
    assert_eq!(identity["scimId"], again.as_str());
}

#[tokio::test]
async fn scim_adopts_a_contact_without_credentials_and_refuses_one_with_them() {
    let app = spawn_app().await;
    let account = app.create_account("Existing", None).await;
    let grace = app
        .create_contact("Grace.Hopper@Example.com", &account)
        .await;
    let s = Scim::on(app, json!({})).await;

    // The admin's contact, same address but for case: adopted, its account kept.
    let created = s.create_user(okta_user("grace.hopper@example.com")).await;
    assert_eq!(s.contact_id("grace.hopper@example.com").await, grace);
    let event = &s.events(Some("scim")).await[0];
    assert_eq!(event["outcome"], "linked", "{event}");
    assert_eq!(event["accountAssignment"], Value::Null);
    let contact = s.contact(&grace).await;
    assert_eq!(contact["account"]["id"], account.as_str());
    assert_eq!(contact["firstName"], "Isabella");
    let credentials = &contact["credentials"];
    assert_eq!(
        credentials[0]["subject"], "grace.hopper@example.com",
        "{credentials}"
    );
    assert_eq!(credentials[0]["identityProvider"]["id"], s.p.idp.as_str());
    assert_eq!(
        s.get_user(&id(&created)).await["userName"],
        "grace.hopper@example.com"
    );

    // Another userName with the same email: the contact is already that SCIM user.
    let mut other = okta_user("grace2");
    other["emails"] = json!([{"value": "grace.hopper@example.com", "type": "work"}]);
    assert_scim_error(&s.c.post("/Users", &other).await, 409, Some("uniqueness"));

    // A contact that already signs in through SSO as another subject is not taken over.
    let out = s.sign_in("okta-sub-77", "bob@example.com").await;
    assert_eq!(out["outcome"], "created", "{out}");
    let before = s.app().row_counts().await;
    let reply = s.c.post("/Users", &okta_user("bob@example.com")).await;
    assert_scim_error(&reply, 409, Some("uniqueness"));
    assert_eq!(s.app().row_counts().await, before, "nothing written");
    assert_eq!(s.names("userName eq \"bob@example.com\"").await.len(), 0);
}

#[tokio::test]
async fn scim_users_get_accounts_by_the_sign_in_rules() {
    let app = spawn_app().await;
    let acme = app.create_company("Acme").await;
    let acme_first = app.create_account("Acme HQ", Some(&acme)).await;
    app.create_account("Acme Branch", Some(&acme)).await;
    let default = app.create_account("Default", None).await;
    let s = Scim::on(app, json!({"defaultAccountId": default})).await;
    let with_organization = |name: &str, organization: Option<&str>| {
        let mut body = user(name, "Alan", "Turing", None);
        if let Some(organization) = organization {
            body[ENTERPRISE] = json!({"organization": organization});
        }
        body
    };
    // 1. The default account comes first, whatever the organization.
    s.create_user(with_organization("one", Some("Acme"))).await;
    let (account, rule) = s.placement("one").await;
    assert_eq!(account["id"], default.as_str());
    assert_eq!(rule, "defaultAccount");

    // 2. Without one, the enterprise organization matches a company: its first account.
    s.p.configure(json!({"defaultAccountId": null})).await;
    let created = s.create_user(with_organization("two", Some("Acme"))).await;
    assert_eq!(created[ENTERPRISE]["organization"], "Acme");
    let (account, rule) = s.placement("two").await;
    assert_eq!(account["id"], acme_first.as_str());
    assert_eq!(account["company"]["id"], acme.as_str());
    assert_eq!(rule, "companyMatch");

    // 3. Else an individual account, for an unknown organization or none.
    for name in ["three", "four"] {
        let organization = (name == "three").then_some("Initech");
        s.create_user(with_organization(name, organization)).await;
        let (account, rule) = s.placement(name).await;
        assert_eq!(account["isIndividual"], true, "{name}");
        assert_eq!(account["name"], "Alan Turing", "{name}");
        assert_eq!(account["company"], Value::Null, "{name}");
        assert_eq!(rule, "individualAccount", "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// 4. Groups grant the roles the configuration maps their names to
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn group_membership_grants_and_revokes_mapped_roles() {
    let s = Scim::new(json!({"roleMappings": [{"providerRole": "Sales Admins", "role": "admin"}]}))
        .await;
    let member = id(&s.create_user(okta_user("seller@example.com")).await);
    let other = id(&s.create_user(okta_user("other@example.com")).await);
    let contact_id = s.contact_id("seller@example.com").await;
    assert_eq!(s.roles(&contact_id).await, ["learner"]);

    let group = s
        .create_group(json!({"schemas": [GROUP], "displayName": "Sales Admins", "members": [{"value": member}]}))
        .await;
    let group_id = id(&group);
    assert_eq!(s.roles(&contact_id).await, ["admin", "learner"]);
    let groups = &s.get_user(&member).await["groups"];
    assert_eq!(groups[0]["value"], group_id.as_str(), "{groups}");
    assert_eq!(groups[0]["display"], "Sales Admins");

    // Removing the member takes the role away; adding it back grants it again.
    s.change_members(
        &group_id,
        json!([{"op": "remove", "path": format!("members[value eq \"{member}\"]")}]),
    )
    .await;
    assert_eq!(s.roles(&contact_id).await, ["learner"]);
    s.change_members(
        &group_id,
        json!([{"op": "add", "path": "members", "value": [{"value": member}, {"value": other}]}]),
    )
    .await;
    assert_eq!(s.roles(&contact_id).await, ["admin", "learner"]);

    // Deleting the group takes it away from every member.
    let (status, _, _) = s.c.delete(&format!("/Groups/{group_id}")).await;
    assert_eq!(status, 204);
    assert_eq!(s.roles(&contact_id).await, ["learner"]);
    let other_contact = s.contact_id("other@example.com").await;
    assert_eq!(s.roles(&other_contact).await, ["learner"]);

    // A group that maps to nothing grants nothing, until it is renamed to a mapped name
    // (which is compared ignoring case).
    let plain = s
        .create_group(
            json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": member}]}),
        )
        .await;
    assert_eq!(s.roles(&contact_id).await, ["learner"]);
    s.patch_group(
        &id(&plain),
        json!([{"op": "replace", "path": "displayName", "value": "sales admins"}]),
    )
    .await;
    assert_eq!(s.roles(&contact_id).await, ["admin", "learner"]);
}

/// DELETE of a user who is a group member: it leaves the group, and the role the group
/// granted goes with it.
#[tokio::test]
async fn deleting_a_group_member_removes_it_and_its_group_roles() {
    let s = Scim::new(json!({"roleMappings": [{"providerRole": "Sales Admins", "role": "admin"}]}))
        .await;
    let leaving = id(&s.create_user(okta_user("leaving@example.com")).await);
    let staying = id(&s.create_user(okta_user("staying@example.com")).await);
    let group_id = id(&s
        .create_group(json!({"schemas": [GROUP], "displayName": "Sales Admins",
            "members": [{"value": leaving}, {"value": staying}]}))
        .await);
    let contact_id = s.contact_id("leaving@example.com").await;
    assert_eq!(s.roles(&contact_id).await, ["admin", "learner"]);

    let (status, _, body) = s.c.delete(&format!("/Users/{leaving}")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        member_ids(&s.get_group(&group_id).await),
        [staying.as_str()]
    );
    assert_eq!(s.roles(&contact_id).await, ["learner"]);
    assert_eq!(s.contact(&contact_id).await["status"], "inactive");
    // The event names both changes; a delete that takes no role names only the status.
    let deleted = &s.events(Some("scim")).await[0];
    assert_eq!(deleted["outcome"], "deprovisioned", "{deleted}");
    assert_eq!(deleted["changedAttributes"], json!(["status", "roles"]));
    let (status, _, body) = s.c.delete(&format!("/Users/{staying}")).await;
    assert_eq!(status, 204, "{body}");
    let staying_contact = s.contact_id("staying@example.com").await;
    assert_eq!(s.roles(&staying_contact).await, ["learner"]);
    let deleted = &s.events(Some("scim")).await[0];
    assert_eq!(deleted["changedAttributes"], json!(["status", "roles"]));
    let third = id(&s.create_user(okta_user("plain@example.com")).await);
    let (status, _, body) = s.c.delete(&format!("/Users/{third}")).await;
    assert_eq!(status, 204, "{body}");
    let deleted = &s.events(Some("scim")).await[0];
    assert_eq!(deleted["subject"], "plain@example.com", "{deleted}");
    assert_eq!(deleted["changedAttributes"], json!(["status"]), "{deleted}");
}

// ---------------------------------------------------------------------------------------
// 5. Filters, attribute selection and .search
// ---------------------------------------------------------------------------------------

/// alice (active), bob (inactive), carol (no externalId), dave (no email), created in that
/// order; returns the instants between the creations of alice and bob, and bob and carol.
async fn four_users(s: &Scim) -> (String, String) {
    let stamp = || chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut alice = user(
        "alice@example.com",
        "Alice",
        "Archer",
        Some("alice@example.com"),
    );
    alice["externalId"] = json!("ext-alice");
    s.create_user(alice).await;
    let after_alice = stamp();
    let mut bob = user("bob@example.org", "Bob", "Baker", Some("bob@example.org"));
    bob["externalId"] = json!("ext-bob");
    bob["active"] = json!(false);
    s.create_user(bob).await;
    let after_bob = stamp();
    s.create_user(user(
        "carol@example.com",
        "Carol",
        "Cole",
        Some("carol@example.com"),
    ))
    .await;
    let mut dave = user("dave", "Dave", "Doe", None);
    dave["externalId"] = json!("ext-dave");
    s.create_user(dave).await;
    (after_alice, after_bob)
}

#[tokio::test]
async fn filters_run_every_operator() {
    let s = Scim::new(json!({})).await;
    let (after_alice, after_bob) = four_users(&s).await;
    let (alice, bob, carol, dave) = (
        "alice@example.com",
        "bob@example.org",
        "carol@example.com",
        "dave",
    );
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("userName eq \"ALICE@Example.COM\"".into(), vec![alice]),
        (
            "userName ne \"alice@example.com\"".into(),
            vec![bob, carol, dave],
        ),
        ("userName co \"@EXAMPLE.\"".into(), vec![alice, bob, carol]),
        ("userName sw \"Ca\"".into(), vec![carol]),
        ("userName ew \".org\"".into(), vec![bob]),
        ("userName gt \"c\"".into(), vec![carol, dave]),
        ("userName le \"bob@example.org\"".into(), vec![alice, bob]),
        ("externalId eq \"ext-alice\"".into(), vec![alice]),
        ("externalId eq \"EXT-ALICE\"".into(), vec![]),
        ("externalId pr".into(), vec![alice, bob, dave]),
        (
            "externalId sw \"ext-\" and externalId ew \"e\"".into(),
            vec![alice, dave],
        ),
        ("name.givenName sw \"d\"".into(), vec![dave]),
        ("name.givenName co \"AR\"".into(), vec![carol]),
        ("name.familyName gt \"baker\"".into(), vec![carol, dave]),
        (
            "name.familyName ge \"Baker\"".into(),
            vec![bob, carol, dave],
        ),
        ("name.familyName lt \"cole\"".into(), vec![alice, bob]),
        (
            "name.familyName le \"Cole\"".into(),
            vec![alice, bob, carol],
        ),
        ("active eq false".into(), vec![bob]),
        ("active eq \"True\"".into(), vec![alice, carol, dave]),
        ("active ne true".into(), vec![bob]),
        ("active pr".into(), vec![alice, bob, carol, dave]),
        (
            format!("meta.created gt \"{after_alice}\""),
            vec![bob, carol, dave],
        ),
        (
            format!("meta.created ge \"{after_bob}\""),
            vec![carol, dave],
        ),
        (format!("meta.created lt \"{after_alice}\""), vec![alice]),
        (format!("meta.created le \"{after_bob}\""), vec![alice, bob]),
        (
            "(userName sw \"alice\" or userName sw \"bob\") and active eq true".into(),
            vec![alice],
        ),
        (
            "active eq false or userName sw \"alice\" and externalId pr".into(),
            vec![alice, bob],
        ),
        (
            "(active eq false or userName sw \"alice\") and name.givenName sw \"a\"".into(),
            vec![alice],
        ),
        ("not (active eq true)".into(), vec![bob]),
        (
            "not (externalId pr) or not (userName co \"example\")".into(),
            vec![carol, dave],
        ),
        (
            "emails[type eq \"work\" and value co \"@example.com\"]".into(),
            vec![alice, carol],
        ),
        ("emails[value ew \".ORG\"]".into(), vec![bob]),
        ("emails.value eq \"Carol@Example.com\"".into(), vec![carol]),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"dave\"".into(),
            vec![dave],
        ),
    ];
    // Every case is run, and every wrong one reported.
    let mut wrong = Vec::new();
    for (filter, expected) in cases {
        let (status, _, list) = s.c.query("/Users", &[("filter", &filter)]).await;
        let found = if status == 200 {
            user_names(&list)
        } else {
            vec![format!("HTTP {status}: {list}")]
        };
        if found != expected || list["totalResults"] != expected.len() {
            wrong.push(format!(
                "{filter}\n    expected {expected:?}\n    got      {found:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} filters answered wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn invalid_filters_are_400_invalid_filter_never_all_rows() {
    let s = Scim::new(json!({})).await;
    four_users(&s).await;
    for filter in [
        "userName eq",
        "foo eq \"x\"",
        "password eq \"x\"",
        "userName zz \"x\"",
        "(userName eq \"x\"",
        "active co true",
        "meta.created gt \"yesterday\"",
        "",
    ] {
        let reply = s.c.query("/Users", &[("filter", filter)]).await;
        assert_scim_error(&reply, 400, Some("invalidFilter"));
        assert!(reply.2.get("Resources").is_none(), "{filter}: {}", reply.2);
        let search =
            s.c.post(
                "/Users/.search",
                &json!({"schemas": [SEARCH], "filter": filter}),
            )
            .await;
        assert_scim_error(&search, 400, Some("invalidFilter"));
    }
    let groups =
        s.c.query("/Groups", &[("filter", "userName eq \"x\"")])
            .await;
    assert_scim_error(&groups, 400, Some("invalidFilter"));
}

#[tokio::test]
async fn attributes_excluded_attributes_and_search() {
    let s = Scim::new(json!({})).await;
    four_users(&s).await;

    let (status, _, list) = s.c.query("/Users", &[("attributes", "userName")]).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["totalResults"], 4);
    for resource in list["Resources"].as_array().expect("Resources") {
        let mut keys: Vec<&str> = resource
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, ["id", "schemas", "userName"], "{resource}");
    }

    let (_, _, list) =
        s.c.query(
            "/Users",
            &[
                ("filter", "userName eq \"alice@example.com\""),
                ("attributes", "name.givenName,emails.value"),
            ],
        )
        .await;
    let alice = &list["Resources"][0];
    assert_eq!(alice["name"], json!({"givenName": "Alice"}), "{alice}");
    assert_eq!(alice["emails"], json!([{"value": "alice@example.com"}]));
    assert!(alice.get("userName").is_none(), "{alice}");

    let (_, _, list) =
        s.c.query(
            "/Users",
            &[
                ("filter", "userName eq \"alice@example.com\""),
                ("excludedAttributes", "emails"),
            ],
        )
        .await;
    let alice = &list["Resources"][0];
    assert!(alice.get("emails").is_none(), "{alice}");
    assert_eq!(alice["userName"], "alice@example.com");
    assert_eq!(alice["name"]["familyName"], "Archer");
    let alice_id = id(alice);

    let (status, _, one) =
        s.c.query(&format!("/Users/{alice_id}"), &[("attributes", "userName")])
            .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["userName"], "alice@example.com");
    assert_eq!(one["id"], alice_id.as_str());
    assert!(
        one.get("name").is_none() && one.get("emails").is_none(),
        "{one}"
    );

    // POST /Users/.search with a SearchRequest body.
    let (status, headers, found) =
        s.c.post(
            "/Users/.search",
            &json!({
                "schemas": [SEARCH],
                "attributes": ["userName", "name.familyName"],
                "filter": "userName eq \"alice@example.com\" or name.givenName eq \"carol\"",
                "startIndex": 1,
                "count": 1
            }),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_scim_json(&headers);
    assert_eq!(found["schemas"], json!([LIST]));
    assert_eq!(found["totalResults"], 2);
    assert_eq!(found["itemsPerPage"], 1);
    assert_eq!(user_names(&found), ["alice@example.com"]);
    assert_eq!(
        found["Resources"][0]["name"],
        json!({"familyName": "Archer"})
    );
    assert!(found["Resources"][0].get("emails").is_none());
    let (_, _, second) = s
        .c
        .post(
            "/Users/.search",
            &json!({"schemas": [SEARCH], "filter": "userName eq \"alice@example.com\" or name.givenName eq \"carol\"", "startIndex": 2, "count": 1}),
        )
        .await;
    assert_eq!(user_names(&second), ["carol@example.com"]);
}

/// A user's `emails` are kept as sent, types included; a filter on `emails.type` must say
/// what the representation says.
#[tokio::test]
async fn email_type_filters_follow_the_stored_type() {
    let s = Scim::new(json!({})).await;
    let mut home = user("homer", "Homer", "Simpson", None);
    home["emails"] = json!([{"value": "homer@example.com", "type": "home"}]);
    let created = s.create_user(home).await;
    assert_eq!(created["emails"][0]["type"], "home");
    s.create_user(user("wanda", "Wanda", "Work", Some("wanda@example.com")))
        .await;
    assert_eq!(s.names("emails[type eq \"home\"]").await, ["homer"]);
    assert_eq!(s.names("emails[type eq \"work\"]").await, ["wanda"]);
}

/// A user pushed without any email has no `emails`: a filter must not see the internal
/// placeholder address its contact got.
#[tokio::test]
async fn users_without_emails_match_no_email_filter() {
    let s = Scim::new(json!({})).await;
    let created = s.create_user(user("nomail", "No", "Mail", None)).await;
    assert!(created.get("emails").is_none(), "{created}");
    s.create_user(user("withmail", "With", "Mail", Some("with@example.com")))
        .await;
    assert_eq!(s.names("emails pr").await, ["withmail"]);
    assert_eq!(s.names("not (emails pr)").await, ["nomail"]);
    assert_eq!(s.names("emails.value co \"@\"").await, ["withmail"]);
}

/// `meta.created` as the server returned it finds the resource it came from.
#[tokio::test]
async fn meta_created_as_returned_finds_the_user() {
    let s = Scim::new(json!({})).await;
    let created = s.create_user(okta_user("stamp@example.com")).await;
    let at = created["meta"]["created"].as_str().expect("created");
    assert_eq!(
        s.names(&format!("meta.created eq \"{at}\"")).await,
        ["stamp@example.com"]
    );
    assert_eq!(
        s.names(&format!("meta.created gt \"{at}\"")).await,
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------
// 6. Protocol edges
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_tokens_are_401_and_other_roles_403() {
    let s = Scim::new(json!({})).await;
    let payload = s
        .app()
        .create_token_with(json!({"name": "old", "role": "scim", "brandId": s.p.brand, "identityProviderId": s.p.idp}))
        .await;
    let revoked = payload["secret"].as_str().expect("secret").to_owned();
    let revoked_id = payload["apiToken"]["id"].clone();
    let client = ScimClient::new(s.app(), Some(&revoked));
    assert_eq!(client.get("/Users").await.0, 200, "live before revocation");
    let out = s
        .app()
        .data(
            "mutation($id: ID!) { apiTokens { revoke(input: {apiTokenId: $id}) { errors { label } } } }",
            json!({"id": revoked_id}),
        )
        .await;
    assert_eq!(out["apiTokens"]["revoke"]["errors"], json!([]));

    for (what, token) in [
        ("missing", None),
        ("unknown", Some("not-a-token")),
        ("revoked", Some(revoked.as_str())),
    ] {
        let client = ScimClient::new(s.app(), token);
        for path in ["/Users", "/ServiceProviderConfig", "/NoSuchEndpoint"] {
            let reply = client.get(path).await;
            assert_scim_error(&reply, 401, None);
            let challenge = header(&reply.1, header::WWW_AUTHENTICATE);
            assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
        }
    }
    let basic = ScimClient::send(
        ScimClient::new(s.app(), None)
            .request(Method::GET, "/Users")
            .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_scim_error(&basic, 401, None);

    // Valid tokens of other roles: 403.
    let owner = ScimClient::new(s.app(), Some(&s.app().owner_token));
    assert_scim_error(&owner.get("/Users").await, 403, None);
    let (portal, _) = s.p.portal_token().await;
    let portal = ScimClient::new(s.app(), Some(&portal));
    assert_scim_error(
        &portal.post("/Users", &okta_user("x@example.com")).await,
        403,
        None,
    );
    assert_eq!(s.names("userName pr").await.len(), 0);
}

#[tokio::test]
async fn a_scim_token_opens_scim_only() {
    let s = Scim::new(json!({})).await;
    let token = s.c.token.clone().expect("token");
    for query in [
        "{ brands(first: 1) { edges { node { id } } } }",
        "{ contacts(first: 1) { edges { node { id } } } }",
    ] {
        let (_, body) = s
            .app()
            .post_graphql(Some(&token), &json!({"query": query}))
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
    }
    let input =
        s.p.input("someone", json!({"email": "someone@example.com"}));
    let (_, body) = s
        .app()
        .post_graphql(
            Some(&token),
            &json!({"query": "mutation($input: SignInInput!) { sso { signIn(input: $input) { outcome } } }",
                    "variables": {"input": input}}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(s.app().row_count("contact").await, 0);
}

#[tokio::test]
async fn a_scim_token_sees_only_its_configuration() {
    let a = Scim::new(json!({})).await;
    let app = a.app();
    let other_idp = app.create_identity_provider("https://entra.example").await;
    let created = app
        .data(
            "mutation($input: IdentityProviderConfigurationInput!) { brands { createIdentityProviderConfiguration(input: $input) { errors { label message } } } }",
            json!({"input": {"brandId": a.p.brand, "identityProviderId": other_idp}}),
        )
        .await;
    assert_eq!(
        created["brands"]["createIdentityProviderConfiguration"]["errors"],
        json!([])
    );
    let b = ScimClient::new(
        app,
        Some(&app.create_scim_token(&a.p.brand, &other_idp).await),
    );

    let user_id = id(&a.create_user(okta_user("mine@example.com")).await);
    let group_id = id(&a
        .create_group(
            json!({"schemas": [GROUP], "displayName": "Mine", "members": [{"value": user_id}]}),
        )
        .await);
    let path = format!("/Users/{user_id}");
    assert_scim_error(&b.get(&path).await, 404, None);
    assert_scim_error(
        &b.put(&path, &okta_user("mine@example.com")).await,
        404,
        None,
    );
    let deactivate = patch(json!([{"op": "replace", "value": {"active": false}}]));
    assert_scim_error(&b.patch(&path, &deactivate).await, 404, None);
    assert_scim_error(&b.delete(&path).await, 404, None);
    assert_scim_error(&b.get(&format!("/Groups/{group_id}")).await, 404, None);
    let (_, _, list) = b
        .query("/Users", &[("filter", "userName eq \"mine@example.com\"")])
        .await;
    assert_eq!(list["totalResults"], 0, "{list}");
    let (_, _, list) = b.get("/Users").await;
    assert_eq!(list["totalResults"], 0, "{list}");
    let (_, _, groups) = b.get("/Groups").await;
    assert_eq!(groups["totalResults"], 0, "{groups}");

    // B's group cannot take A's user as a member.
    let (status, _, theirs) = b
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Theirs", "members": [{"value": user_id}]}),
        )
        .await;
    assert_eq!(status, 201, "{theirs}");
    assert_eq!(member_ids(&theirs), Vec::<String>::new());

    // A's user is untouched.
    let mine = a.get_user(&user_id).await;
    assert_eq!(mine["active"], true);
    assert_eq!(mine["groups"].as_array().map(Vec::len), Some(1), "{mine}");
}

#[tokio::test]
async fn if_match_refuses_stale_versions() {
    let s = Scim::new(json!({})).await;
    let (_, headers, created) = s.c.post("/Users", &okta_user("etag@example.com")).await;
    let user_id = id(&created);
    let path = format!("/Users/{user_id}");
    let v1 = header(&headers, header::ETAG).to_owned();

    let mut replacement = created.clone();
    replacement["name"]["givenName"] = json!("Second");
    let (status, headers, second) = s.c.put(&path, &replacement).await;
    assert_eq!(status, 200, "{second}");
    let v2 = header(&headers, header::ETAG).to_owned();
    assert_ne!(v1, v2);

    let with_if_match = |method: Method, version: &str, body: Option<&Value>| {
        let mut request = s.c.request(method, &path).header(header::IF_MATCH, version);
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, SCIM_JSON)
                .body(body.to_string());
        }
        ScimClient::send(request)
    };
    let rename = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Third"}]));
    assert_scim_error(
        &with_if_match(Method::PATCH, &v1, Some(&rename)).await,
        412,
        None,
    );
    let mut stale_put = replacement.clone();
    stale_put["name"]["givenName"] = json!("Fourth");
    assert_scim_error(
        &with_if_match(Method::PUT, &v1, Some(&stale_put)).await,
        412,
        None,
    );
    assert_scim_error(&with_if_match(Method::DELETE, &v1, None).await, 412, None);
    let now = s.get_user(&user_id).await;
    assert_eq!(now["name"]["givenName"], "Second", "nothing changed");
    assert_eq!(now["meta"]["version"], v2.as_str());

    // The current version (or *) lets the change through.
    let (status, headers, third) = with_if_match(Method::PATCH, &v2, Some(&rename)).await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third["name"]["givenName"], "Third");
    let v3 = header(&headers, header::ETAG).to_owned();
    assert_ne!(v3, v2);

    // GET with If-None-Match of the current version: 304.
    let (status, _, _) = ScimClient::send(
        s.c.request(Method::GET, &path)
            .header(header::IF_NONE_MATCH, &v3),
    )
    .await;
    assert_eq!(status, 304);

    let (status, _, _) = with_if_match(Method::DELETE, "*", None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn patch_applies_all_operations_or_none() {
    let s = Scim::new(json!({})).await;
    let user_id = id(&s.create_user(okta_user("atomic@example.com")).await);
    s.create_user(okta_user("taken@example.com")).await;
    let before = s.get_user(&user_id).await;
    let path = format!("/Users/{user_id}");
    let rename = json!({"op": "replace", "path": "name.givenName", "value": "Changed"});

    // The second operation is not an operation at all.
    let reply =
        s.c.patch(
            &path,
            &patch(json!([rename, {"op": "frobnicate", "path": "title", "value": "x"}])),
        )
        .await;
    assert_scim_error(&reply, 400, Some("invalidSyntax"));
    // The second sets a value the user cannot have.
    let reply = s
        .c
        .patch(
            &path,
            &patch(json!([rename, {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "not-an-email"}])),
        )
        .await;
    assert_scim_error(&reply, 400, Some("invalidValue"));
    // The second collides with another user's email, after the first renamed the SSO
    // identity in the database: the whole transaction goes.
    let reply = s
        .c
        .patch(
            &path,
            &patch(json!([
                {"op": "replace", "path": "userName", "value": "renamed@example.com"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "taken@example.com"}
            ])),
        )
        .await;
    assert_scim_error(&reply, 409, Some("uniqueness"));
    // Remove without a path.
    let reply =
        s.c.patch(&path, &patch(json!([rename, {"op": "remove"}])))
            .await;
    assert_scim_error(&reply, 400, Some("noTarget"));

    assert_eq!(s.get_user(&user_id).await, before, "nothing was applied");
    assert_eq!(
        s.names("userName eq \"renamed@example.com\"").await.len(),
        0
    );
    let out = s.sign_in("atomic@example.com", "atomic@example.com").await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
}

#[tokio::test]
async fn endpoints_answer_scim_messages() {
    let s = Scim::new(json!({})).await;
    assert_scim_error(&s.c.get("/Me").await, 501, None);
    assert_scim_error(
        &s.c.post("/Bulk", &json!({"schemas": [], "Operations": []}))
            .await,
        501,
        None,
    );
    assert_scim_error(&s.c.get("/Widgets").await, 404, None);
    assert_scim_error(&s.c.get("/Users/abc/def").await, 404, None);
    assert_scim_error(&s.c.delete("/ServiceProviderConfig").await, 405, None);
    assert_scim_error(&s.c.delete("/Users").await, 405, None);

    let raw = |content_type: &'static str, body: &'static str| {
        ScimClient::send(
            s.c.request(Method::POST, "/Users")
                .header(header::CONTENT_TYPE, content_type)
                .body(body),
        )
    };
    assert_scim_error(
        &raw(SCIM_JSON, "{\"userName\": ").await,
        400,
        Some("invalidSyntax"),
    );
    assert_scim_error(&raw("text/plain", "{\"userName\": \"x\"}").await, 415, None);
    let (status, _, created) = raw(
        "application/scim+json; charset=utf-8",
        "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"charset\"}",
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_scim_error(
        &s.c.post("/Users", &json!({"name": {"givenName": "No userName"}}))
            .await,
        400,
        Some("invalidValue"),
    );

    // Discovery: the resource types and schemas served.
    let (status, headers, types) = s.c.get("/ResourceTypes").await;
    assert_eq!(status, 200, "{types}");
    assert_scim_json(&headers);
    let names: Vec<String> = types["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(sorted(names), ["Group", "User"]);
    let (status, _, schemas) = s.c.get("/Schemas").await;
    assert_eq!(status, 200, "{schemas}");
    let schema_ids = ids(&schemas);
    for schema in [USER, ENTERPRISE, GROUP] {
        assert!(
            schema_ids.contains(&schema.to_owned()),
            "{schema} in {schema_ids:?}"
        );
    }
    let (status, _, user_schema) = s.c.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(status, 200, "{user_schema}");
    assert_eq!(user_schema["id"], USER);
}

#[tokio::test]
async fn scim_tokens_are_bound_to_a_configuration_and_last_a_year() {
    let s = Scim::new(json!({})).await;
    let app = s.app();
    let payload = app
        .create_token_with(json!({"name": "entra", "role": "scim", "brandId": s.p.brand, "identityProviderId": s.p.idp}))
        .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    let token = &payload["apiToken"];
    assert_eq!(token["role"], "scim");
    assert_eq!(token["brand"]["id"], s.p.brand.as_str());
    assert_eq!(token["identityProvider"]["id"], s.p.idp.as_str());
    let expires =
        chrono::DateTime::parse_from_rfc3339(token["expiresAt"].as_str().expect("expiresAt"))
            .expect("RFC 3339")
            .date_naive();
    let today = chrono::Utc::now().date_naive();
    let days = (expires - today).num_days();
    assert!((364..=366).contains(&days), "expires in {days} days");

    // Several live tokens at once, for rotation.
    let second = ScimClient::new(app, payload["secret"].as_str());
    assert_eq!(second.get("/Users").await.0, 200);
    assert_eq!(s.c.get("/Users").await.0, 200);

    // An explicit expiry is kept.
    let payload = app
        .create_token_with(
            json!({"name": "short", "role": "scim", "brandId": s.p.brand,
            "identityProviderId": s.p.idp, "expiresAt": "2099-01-31T00:00:00Z"}),
        )
        .await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert!(
        payload["apiToken"]["expiresAt"]
            .as_str()
            .is_some_and(|t| t.starts_with("2099-01-31")),
        "{payload}"
    );

    // A SCIM token needs the identity provider, and a configuration for it.
    let before = app.row_count("api_token").await;
    let payload = app
        .create_token_with(json!({"name": "x", "role": "scim", "brandId": s.p.brand}))
        .await;
    assert_eq!(payload["apiToken"], Value::Null, "{payload}");
    assert_eq!(payload["secret"], Value::Null);
    assert_eq!(
        payload["errors"][0]["label"], "identityProviderId",
        "{payload}"
    );
    let unconfigured = app
        .create_identity_provider("https://unconfigured.example")
        .await;
    let payload = app
        .create_token_with(json!({"name": "x", "role": "scim", "brandId": s.p.brand, "identityProviderId": unconfigured}))
        .await;
    assert_eq!(payload["apiToken"], Value::Null, "{payload}");
    assert_eq!(
        payload["errors"][0]["label"], "identityProviderId",
        "{payload}"
    );
    assert_eq!(payload["errors"][0]["code"], "notFound", "{payload}");
    let payload = app
        .create_token_with(json!({"name": "x", "role": "portal", "brandId": s.p.brand, "identityProviderId": s.p.idp}))
        .await;
    assert_eq!(
        payload["errors"][0]["label"], "identityProviderId",
        "{payload}"
    );
    assert_eq!(app.row_count("api_token").await, before, "nothing written");
}

/// Okta's wizard apps send every change, deactivation included, as a PUT of the whole user:
/// what the body leaves out is cleared, and `active` follows it.
#[tokio::test]
async fn put_replaces_the_whole_user() {
    let s = Scim::new(json!({})).await;
    let mut body = okta_user("wizard@example.com");
    body["title"] = json!("Engineer");
    body[ENTERPRISE] = json!({"department": "R&D"});
    let user_id = id(&s.create_user(body).await);
    let contact_id = s.contact_id("wizard@example.com").await;

    let replacement = json!({
        "schemas": [USER],
        "id": user_id,
        "userName": "wizard@example.com",
        "name": {"givenName": "Wiz", "familyName": "Ard"},
        "emails": [{"primary": true, "value": "wizard@example.com", "type": "work"}],
        "active": false
    });
    let (status, _, replaced) = s.c.put(&format!("/Users/{user_id}"), &replacement).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["active"], false);
    for gone in ["title", "displayName", "externalId", ENTERPRISE] {
        assert!(replaced.get(gone).is_none(), "{gone} kept: {replaced}");
    }
    assert_eq!(
        replaced["name"],
        json!({"givenName": "Wiz", "familyName": "Ard"})
    );
    assert_eq!(s.get_user(&user_id).await, replaced);
    let event = &s.events(Some("scim")).await[0];
    assert_eq!(event["outcome"], "deactivated", "{event}");
    for attribute in ["status", "firstName", "title", "department"] {
        assert!(
            event["changedAttributes"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(attribute))),
            "{attribute} not in {event}"
        );
    }
    let contact = s.contact(&contact_id).await;
    assert_eq!(contact["status"], "inactive");
    assert_eq!(contact["firstName"], "Wiz");
    // The password was not in the body: it is kept.
    let kinds: Vec<&str> = contact["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind"))
        .collect();
    assert!(kinds.contains(&"password"), "{contact}");

    let mut reactivate = replacement.clone();
    reactivate["active"] = json!(true);
    let (status, _, replaced) = s.c.put(&format!("/Users/{user_id}"), &reactivate).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["active"], true);
    assert_eq!(s.contact(&contact_id).await["status"], "active");
    assert_eq!(s.events(Some("scim")).await[0]["outcome"], "reactivated");
}

#[tokio::test]
async fn concurrent_creates_of_one_user_make_one() {
    let s = Scim::new(json!({})).await;
    let body = okta_user("race@example.com");
    let replies = futures::future::join_all((0..6).map(|_| s.c.post("/Users", &body))).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.0).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "{replies:?}");
    for reply in replies.iter().filter(|r| r.0 == 409) {
        assert_scim_error(reply, 409, Some("uniqueness"));
    }
    assert_eq!(s.names("userName pr").await, ["race@example.com"]);
    assert_eq!(s.app().row_count("contact").await, 1);
}

#[tokio::test]
async fn a_token_of_a_deleted_configuration_is_refused() {
    let s = Scim::new(json!({})).await;
    assert_eq!(s.c.get("/Users").await.0, 200);
    let data = s
        .app()
        .data(
            "mutation($b: ID!, $i: ID!) { brands { deleteIdentityProviderConfiguration(input: {brandId: $b, identityProviderId: $i}) { errors { label message } } } }",
            json!({"b": s.p.brand, "i": s.p.idp}),
        )
        .await;
    assert_eq!(
        data["brands"]["deleteIdentityProviderConfiguration"]["errors"],
        json!([])
    );
    let reply = s.c.get("/Users").await;
    assert_scim_error(&reply, 401, None);
    assert!(header(&reply.1, header::WWW_AUTHENTICATE).starts_with("Bearer"));
}

#[tokio::test]
async fn schemas_publish_the_email_rules_the_server_enforces() {
    let s = Scim::new(json!({})).await;
    let (status, _, user_schema) = s.c.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(status, 200, "{user_schema}");
    let sub = |parent: &str, name: &str| -> Value {
        let attrs = user_schema["attributes"].as_array().expect("attributes");
        let parent = attrs.iter().find(|a| a["name"] == parent).expect("parent");
        let subs = parent["subAttributes"].as_array().expect("subAttributes");
        subs.iter()
            .find(|a| a["name"] == name)
            .expect("sub")
            .clone()
    };
    assert_eq!(sub("emails", "value")["uniqueness"], "server");
    assert_eq!(sub("phoneNumbers", "value")["uniqueness"], "none");

    // As published: a second user with the same email in another case is refused with 409.
    s.create_user(user("first", "A", "B", Some("same@example.com")))
        .await;
    let reply =
        s.c.post(
            "/Users",
            &user("second", "C", "D", Some("SAME@Example.com")),
        )
        .await;
    assert_scim_error(&reply, 409, Some("uniqueness"));
    // And an email must look like name@host: 400 naming the element.
    let reply =
        s.c.post("/Users", &user("third", "E", "F", Some("not-an-address")))
            .await;
    assert_scim_error(&reply, 400, Some("invalidValue"));
    assert!(
        reply.2["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("emails[0].value")),
        "{}",
        reply.2
    );
    assert_eq!(s.names("userName pr").await, ["first"]);
}
