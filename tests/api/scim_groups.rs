//! Groups at scale (issue 23, item 5): a membership PATCH costs what it names, not the
//! group's size, and answers 204; members are returned on request (RFC 7643 §7); a full
//! replace writes only the difference, in batches.
//!
//! The large group is seeded straight into the database (thousands of users through the API
//! would take minutes); the statement log proves the structure, the benchmark measures time.
use entity::{contact, scim_user};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{ScimClient, ScimReply},
    scim::{member_ids, sorted},
    scim_load::{Scim, recorded, work},
};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Members of the large group: more than any chunk of ids the server sends in one statement.
const LARGE: usize = 3_000;

/// The calls of these tests, beside `scim_load`'s.
impl Scim {
    /// `count` users of this configuration, written straight into the database: copies of a
    /// user made through the API (same configuration, IdP and account), each with its own
    /// id, userName, email and contact, inserted a few hundred rows per statement.
    async fn seed_users(&self, prefix: &str, count: usize) -> Vec<String> {
        let template = self
            .create_user(&format!("{prefix}.template@example.com"))
            .await;
        let db = &self.app().db;
        let id = Uuid::parse_str(&template).expect("uuid");
        let user = scim_user::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("read the template user")
            .expect("the template user");
        let person = contact::Entity::find_by_id(user.contact_id)
            .one(db)
            .await
            .expect("read the template contact")
            .expect("the template contact");
        let mut ids = Vec::with_capacity(count);
        for batch in (0..count).collect::<Vec<_>>().chunks(200) {
            let mut contacts = Vec::new();
            let mut users = Vec::new();
            for i in batch {
                let email = format!("{prefix}.{i}@example.com");
                let contact_id = Uuid::now_v7();
                contacts.push(
                    contact::Model {
                        id: contact_id,
                        email: email.clone(),
                        email_folded: email.clone(),
                        email_skeleton: email.clone(),
                        ..person.clone()
                    }
                    .into_active_model()
                    .reset_all(),
                );
                let user_id = Uuid::now_v7();
                users.push(
                    scim_user::Model {
                        id: user_id,
                        contact_id,
                        user_name: email.clone(),
                        user_name_folded: email.clone(),
                        emails: json!([{"value": email, "type": "work", "primary": true}]),
                        ..user.clone()
                    }
                    .into_active_model()
                    .reset_all(),
                );
                ids.push(user_id.to_string());
            }
            contact::Entity::insert_many(contacts)
                .exec_without_returning(db)
                .await
                .expect("seed contacts");
            scim_user::Entity::insert_many(users)
                .exec_without_returning(db)
                .await
                .expect("seed SCIM users");
        }
        ids
    }

    async fn patch_reply(&self, path: &str, ops: Value) -> ScimReply {
        self.c
            .patch(path, &json!({"schemas": [PATCH_OP], "Operations": ops}))
            .await
    }

    /// A SCIM client of another configuration of the same brand (another IdP).
    async fn other_configuration(&self) -> ScimClient {
        let app = self.app();
        let idp = app.create_identity_provider("https://other.example").await;
        let created = app
            .data(
                "mutation($input: IdentityProviderConfigurationInput!) { brands { createIdentityProviderConfiguration(input: $input) { errors { label message } } } }",
                json!({"input": {"brandId": self.p.brand, "identityProviderId": idp}}),
            )
            .await;
        assert_eq!(
            created["brands"]["createIdentityProviderConfiguration"]["errors"],
            json!([])
        );
        ScimClient::new(app, Some(&app.create_scim_token(&self.p.brand, &idp).await))
    }

    /// The group as `GET /Groups/{id}` returns it (with its members).
    async fn group(&self, id: &str) -> Value {
        let (status, _, group) = self.c.get(&format!("/Groups/{id}")).await;
        assert_eq!(status, 200, "{}", truncated(&group));
        group
    }

    /// The group's version, read without its members.
    async fn version(&self, id: &str) -> String {
        let (status, _, group) = self
            .c
            .query(
                &format!("/Groups/{id}"),
                &[("excludedAttributes", "members")],
            )
            .await;
        assert_eq!(status, 200, "{group}");
        assert!(group.get("members").is_none(), "{group}");
        group["meta"]["version"]
            .as_str()
            .expect("version")
            .to_owned()
    }
}

/// A response body short enough to print.
fn truncated(body: &Value) -> String {
    body.to_string().chars().take(500).collect()
}

fn etag(reply: &ScimReply) -> String {
    reply
        .1
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no ETag: {reply:?}"))
        .to_owned()
}

/// The statements among `work` that write.
fn writes(work: &[String]) -> Vec<String> {
    work.iter()
        .filter(|sql| {
            let verb = sql.trim_start().to_ascii_uppercase();
            verb.starts_with("INSERT") || verb.starts_with("UPDATE") || verb.starts_with("DELETE")
        })
        .cloned()
        .collect()
}

/// Adding or removing one member of a group of 3,000 runs the same statements as in a group
/// of 3, each reading or writing only the named memberships, and answers 204 No Content with
/// the new version. A second add, the removal of a non-member, and a user of another
/// configuration (or no user at all) change nothing, not even the version.
#[tokio::test]
async fn a_membership_change_costs_what_it_names_whatever_the_group_size() {
    let s = Scim::new(
        json!({"roleMappings": [{"providerRole": "Big", "role": "big"},
        {"providerRole": "Small", "role": "small"}]}),
    )
    .await;
    let seeded = s.seed_users("big", LARGE + 1).await;
    let (large, outsider) = seeded.split_at(LARGE);
    let mut small = Vec::new();
    for i in 0..4 {
        small.push(s.create_user(&format!("small.{i}@example.com")).await);
    }
    let large_group = s.group_created("Big", large).await;
    let large_id = large_group["id"].as_str().expect("id").to_owned();
    assert_eq!(large_group["members"].as_array().map(Vec::len), Some(LARGE));
    let small_id = s.group_created("Small", &small[..3]).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(s.roles("big.7@example.com").await, ["big", "learner"]);

    let mut runs = Vec::new();
    for (group, leaving, joining) in [
        (&small_id, &small[0], &small[3]),
        (&large_id, &large[0], &outsider[0]),
    ] {
        let path = format!("/Groups/{group}");
        let before = s.version(group).await;
        let (removal, removal_sql) = recorded(
            s.app(),
            s.patch_reply(
                &path,
                json!([{"op": "remove", "path": format!("members[value eq \"{leaving}\"]")}]),
            ),
        )
        .await;
        assert_eq!(removal.0, 204, "{}", removal.2);
        assert_eq!(removal.2, Value::Null);
        let after_removal = s.version(group).await;
        assert_ne!(before, after_removal);
        assert_eq!(etag(&removal), after_removal);
        let (addition, addition_sql) = recorded(
            s.app(),
            s.patch_reply(
                &path,
                json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": joining}]}]),
            ),
        )
        .await;
        assert_eq!(addition.0, 204, "{}", addition.2);
        assert_eq!(etag(&addition), s.version(group).await);
        runs.push((work(&removal_sql), work(&addition_sql)));
    }
    let [
        (small_removal, small_addition),
        (large_removal, large_addition),
    ] = &runs[..]
    else {
        unreachable!()
    };
    for (what, small, large) in [
        ("removing one member", small_removal, large_removal),
        ("adding one member", small_addition, large_addition),
    ] {
        assert_eq!(
            small.len(),
            large.len(),
            "{what}: small group {small:#?}\nlarge group {large:#?}"
        );
        // The group, which named users are members and which are users here, the membership,
        // the version, and the member's roles (its groups, its rows, one write of each).
        assert!(large.len() <= 9, "{what}: {large:#?}");
        // The membership is written alone: one row, one statement.
        let membership: Vec<String> = writes(large)
            .into_iter()
            .filter(|sql| sql.contains("scim_group_member"))
            .collect();
        assert_eq!(membership.len(), 1, "{what}: {large:#?}");
    }
    // The change is the one asked for, roles included.
    let group = s.group(&large_id).await;
    let members = member_ids(&group);
    assert_eq!(members.len(), LARGE);
    assert!(!members.contains(&large[0]));
    assert!(members.contains(&outsider[0]));
    assert_eq!(s.roles("big.0@example.com").await, ["learner"]);
    assert_eq!(
        s.roles(&format!("big.{LARGE}@example.com")).await,
        ["big", "learner"]
    );
    assert_eq!(s.roles("big.1@example.com").await, ["big", "learner"]);

    // Idempotent: adding a member again, removing a non-member (by filter or Entra's list),
    // a user of another configuration, an id that is no user: 204, and nothing written.
    let other = s.other_configuration().await;
    let (status, _, theirs) = other
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "theirs@example.com", "active": true}),
        )
        .await;
    assert_eq!(status, 201, "{theirs}");
    let theirs = theirs["id"].as_str().expect("id").to_owned();
    let path = format!("/Groups/{large_id}");
    let version = s.version(&large_id).await;
    for ops in [
        json!([{"op": "add", "path": "members", "value": [{"value": large[1]}]}]),
        json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", large[0])}]),
        json!([{"op": "Remove", "path": "members", "value": [{"value": large[0]}]}]),
        json!([{"op": "add", "path": "members", "value": [{"value": theirs}]}]),
        json!([{"op": "add", "path": "members", "value": [{"value": Uuid::now_v7().to_string()}]}]),
    ] {
        let (reply, statements) = recorded(s.app(), s.patch_reply(&path, ops.clone())).await;
        assert_eq!(reply.0, 204, "{ops}: {}", reply.2);
        assert_eq!(etag(&reply), version, "{ops}");
        assert_eq!(writes(&work(&statements)), Vec::<String>::new(), "{ops}");
    }
    assert_eq!(s.version(&large_id).await, version);
    assert_eq!(member_ids(&s.group(&large_id).await), members);
    // The other configuration's user got nothing from this group.
    let (_, _, user) = other.get(&format!("/Users/{theirs}")).await;
    assert!(user.get("groups").is_none(), "{user}");

    // A membership PATCH that asks for the group gets it: its members only when named.
    let add = json!([{"op": "add", "path": "members", "value": [{"value": large[0]}]}]);
    let (status, _, group) =
        s.c.send_json(
            reqwest::Method::PATCH,
            &format!("{path}?attributes=members.value"),
            &json!({"schemas": [PATCH_OP], "Operations": add}),
        )
        .await;
    assert_eq!(status, 200, "{}", truncated(&group));
    assert_eq!(group["members"].as_array().map(Vec::len), Some(LARGE + 1));
    assert_eq!(group["members"][0].as_object().map(|m| m.len()), Some(1));
    let remove = json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", large[0])}]);
    let (status, _, group) =
        s.c.send_json(
            reqwest::Method::PATCH,
            &format!("{path}?excludedAttributes=externalId"),
            &json!({"schemas": [PATCH_OP], "Operations": remove}),
        )
        .await;
    assert_eq!(status, 200, "{}", truncated(&group));
    assert_eq!(group["displayName"], "Big");
    assert!(group.get("members").is_none(), "{}", truncated(&group));
}

/// A group's `members` are returned on request (`/Schemas` says so): a list or `.search`
/// shows them only when `attributes` names them; a read of the one group shows them unless
/// `excludedAttributes` names them; a create or replace shows those it sent; a PATCH shows
/// them only when it replaced them all.
#[tokio::test]
async fn members_are_returned_on_request() {
    let s = Scim::new(json!({})).await;
    let (a, b) = (
        s.create_user("a@example.com").await,
        s.create_user("b@example.com").await,
    );
    let group = s.group_created("Sales", std::slice::from_ref(&a)).await;
    assert_eq!(member_ids(&group), [a.as_str()]);
    let id = group["id"].as_str().expect("id").to_owned();
    let path = format!("/Groups/{id}");

    let (_, _, schema) = s.c.get(&format!("/Schemas/{GROUP}")).await;
    let members = schema["attributes"]
        .as_array()
        .and_then(|attrs| attrs.iter().find(|a| a["name"] == "members"))
        .expect("members in the Group schema");
    assert_eq!(members["returned"], "request", "{members}");

    // Lists and .search.
    for (params, shown) in [
        (vec![], false),
        (vec![("excludedAttributes", "displayName")], false),
        (vec![("excludedAttributes", "members")], false),
        (vec![("attributes", "displayName")], false),
        (vec![("attributes", "members")], true),
        (vec![("attributes", "members.value")], true),
        (
            vec![(
                "attributes",
                "urn:ietf:params:scim:schemas:core:2.0:Group:members",
            )],
            true,
        ),
        (
            vec![
                ("filter", "displayName eq \"Sales\""),
                ("attributes", "members,displayName"),
            ],
            true,
        ),
    ] {
        let (status, _, list) = s.c.query("/Groups", &params).await;
        assert_eq!(status, 200, "{params:?}: {list}");
        let group = &list["Resources"][0];
        assert_eq!(group["id"], id.as_str(), "{params:?}: {list}");
        assert_eq!(group.get("members").is_some(), shown, "{params:?}: {list}");
        if shown {
            assert_eq!(member_ids(group), [a.as_str()], "{params:?}");
        }
    }
    let (_, _, list) =
        s.c.query("/Groups", &[("attributes", "members.value")])
            .await;
    assert_eq!(
        list["Resources"][0]["members"],
        json!([{"value": a}]),
        "{list}"
    );
    for (search, shown) in [
        (json!({"schemas": [SEARCH]}), false),
        (
            json!({"schemas": [SEARCH], "attributes": ["members"]}),
            true,
        ),
    ] {
        let (status, _, list) = s.c.post("/Groups/.search", &search).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(
            list["Resources"][0].get("members").is_some(),
            shown,
            "{search}: {list}"
        );
    }

    // The one group: a read of a known resource.
    for (params, shown) in [
        (vec![], true),
        (vec![("excludedAttributes", "members")], false),
        (vec![("excludedAttributes", "displayName")], true),
        (vec![("attributes", "displayName")], false),
        (vec![("attributes", "members")], true),
    ] {
        let (status, _, group) = s.c.query(&path, &params).await;
        assert_eq!(status, 200, "{params:?}: {group}");
        assert_eq!(group.get("members").is_some(), shown, "{params:?}: {group}");
    }
    let (_, _, group) =
        s.c.query(&path, &[("excludedAttributes", "members.$ref")])
            .await;
    assert_eq!(
        group["members"],
        json!([{"value": a, "type": "User"}]),
        "{group}"
    );

    // Writes: a replace shows the members it sent; a PATCH that names no member shows none;
    // one that replaces them all shows them.
    let (status, _, put) =
        s.c.put(
            &path,
            &json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": b}]}),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(member_ids(&put), [b.as_str()]);
    let (status, _, put) =
        s.c.put(
            &path,
            &json!({"schemas": [GROUP], "displayName": "Sales EU"}),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert!(put.get("members").is_none(), "{put}");
    let (status, _, renamed) = s
        .patch_reply(
            &path,
            json!([{"op": "replace", "path": "displayName", "value": "Sales"}]),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert!(renamed.get("members").is_none(), "{renamed}");
    let (status, _, replaced) = s
        .patch_reply(
            &path,
            json!([{"op": "replace", "path": "members", "value": [{"value": a}, {"value": b}]}]),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(member_ids(&replaced), sorted(vec![a.clone(), b.clone()]));
    // A membership PATCH mixed with a rename is applied to the representation: 200, and the
    // members it did not ask for are left out.
    let (status, _, mixed) = s
        .patch_reply(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")},
                   {"op": "replace", "path": "displayName", "value": "Sales EU"}]),
        )
        .await;
    assert_eq!(status, 200, "{mixed}");
    assert!(mixed.get("members").is_none(), "{mixed}");
    assert_eq!(member_ids(&s.group(&id).await), [b.as_str()]);
    // Bad input in a membership PATCH is refused naming the field, and changes nothing.
    let version = s.version(&id).await;
    let (status, _, refused) = s
        .patch_reply(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": a, "type": "Group"}]}]),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("type"),
        "{refused}"
    );
    assert_eq!(s.version(&id).await, version);
}

/// A PUT (or a PATCH that replaces the members) of a group of 3,000 writes only the
/// difference, in batches: the memberships that go in one statement, those that come in
/// another; the members it keeps are neither written nor given roles again, and nothing runs
/// once per member.
#[tokio::test]
async fn a_full_replace_writes_the_difference_in_batches() {
    let s = Scim::new(json!({"roleMappings": [{"providerRole": "Big", "role": "big"}]})).await;
    let seeded = s.seed_users("big", LARGE + 20).await;
    let (first, fresh) = seeded.split_at(LARGE);
    let id = s.group_created("Big", first).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/Groups/{id}");
    // 10 members leave, 10 users join, 2,990 stay.
    let mut kept: Vec<String> = first[10..].to_vec();
    kept.extend_from_slice(&fresh[..10]);
    let members: Vec<Value> = kept.iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas": [GROUP], "displayName": "Big", "members": members});
    let ((status, _, put), statements) = recorded(s.app(), s.c.put(&path, &body)).await;
    assert_eq!(status, 200, "{}", truncated(&put));
    assert_eq!(member_ids(&put), sorted(kept.clone()));
    let put_work = work(&statements);
    let memberships = writes(&put_work)
        .into_iter()
        .filter(|sql| sql.contains("scim_group_member"))
        .count();
    assert_eq!(memberships, 2, "one delete, one insert: {put_work:#?}");
    // Reads: the group (twice: planned, then checked under the lock), its members, which new
    // ones are users here, the 20 changed users' groups and rows; writes: the group, the two
    // membership batches, and each distinct role change (joined, left) once for contacts and
    // once for SCIM users; then the answer's members.
    assert!(
        put_work.len() <= 16,
        "{} statements: {put_work:#?}",
        put_work.len()
    );
    assert_eq!(s.roles("big.0@example.com").await, ["learner"]);
    assert_eq!(s.roles("big.10@example.com").await, ["big", "learner"]);
    assert_eq!(
        s.roles(&format!("big.{LARGE}@example.com")).await,
        ["big", "learner"]
    );
    assert_eq!(member_ids(&s.group(&id).await), sorted(kept.clone()));

    // The same members again: nothing to write but the group's version.
    let ((status, _, _), statements) = recorded(s.app(), s.c.put(&path, &body)).await;
    assert_eq!(status, 200);
    let again = writes(&work(&statements));
    assert_eq!(again.len(), 1, "{again:#?}");
    assert!(again[0].contains("scim_group"), "{again:#?}");

    // A PATCH that replaces the members goes by difference too, without rendering the
    // current ones: one member back, the rest as before.
    let mut back = kept.clone();
    back.pop();
    back.push(first[0].clone());
    let value: Vec<Value> = back.iter().map(|m| json!({"value": m})).collect();
    let ((status, _, replaced), statements) = recorded(
        s.app(),
        s.patch_reply(
            &path,
            json!([{"op": "replace", "path": "members", "value": value}]),
        ),
    )
    .await;
    assert_eq!(status, 200, "{}", truncated(&replaced));
    assert_eq!(member_ids(&replaced), sorted(back.clone()));
    let memberships = writes(&work(&statements))
        .into_iter()
        .filter(|sql| sql.contains("scim_group_member"))
        .count();
    assert_eq!(memberships, 2, "{:#?}", work(&statements));
    assert_eq!(s.roles("big.0@example.com").await, ["big", "learner"]);
    assert_eq!(member_ids(&s.group(&id).await), sorted(back));
}
