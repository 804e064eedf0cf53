use super::super::ScimType;
use super::*;
use serde_json::json;

const UID: &str = "2819c223-7f76-453a-919d-413861904646";
const MGR: &str = "26118915-6090-4610-87e4-49d8ca9f808d";

fn user() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": UID,
        "externalId": "ext-1",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work", "primary": true}],
        "active": true,
        "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"}],
        ENTERPRISE_SCHEMA: {
            "department": "Tour Operations",
            "employeeNumber": "701984",
            "organization": "Universal Studios",
            "manager": {"value": MGR}
        },
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

/// A user as Entra first provisions one: no emails, no extension.
fn bare_user() -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "id": UID,
        "userName": "ryan@contoso.com",
        "active": true,
        "meta": {"resourceType": "User"}
    })
}

fn group() -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "externalId": "g-1",
        "members": [
            {"value": "id1", "display": "One", "type": "User"},
            {"value": "id2", "display": "Two", "type": "User"}
        ],
        "meta": {"resourceType": "Group"}
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

fn ok(doc: &Value, body: Value, kind: Kind) -> Value {
    match apply(doc, &body, kind) {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

fn err(doc: &Value, body: Value, kind: Kind) -> ScimError {
    match apply(doc, &body, kind) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e,
    }
}

fn member_ids(doc: &Value) -> Vec<&str> {
    doc["members"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect())
        .unwrap_or_default()
}

// ---- Okta ----

#[test]
fn okta_deactivate() {
    let out = ok(
        &user(),
        json!({"schemas": [PATCH_SCHEMA],
               "Operations": [{"op": "replace", "value": {"active": false}}]}),
        Kind::User,
    );
    assert_eq!(out["active"], false);
    let mut expected = user();
    expected["active"] = false.into();
    assert_eq!(out, expected, "nothing else changes");
}

#[test]
fn okta_pathless_replace_echoing_id_meta_and_schemas() {
    let out = ok(
        &user(),
        patch(json!([{"op": "replace", "value": {
            "schemas": [USER_SCHEMA],
            "id": UID,
            "meta": {"resourceType": "User"},
            "userName": "barbara@example.com",
            "name": {"givenName": "Barb", "familyName": "Jensen"},
            "active": true
        }}])),
        Kind::User,
    );
    assert_eq!(out["id"], UID);
    assert_eq!(out["userName"], "barbara@example.com");
    assert_eq!(
        out["name"],
        json!({"givenName": "Barb", "familyName": "Jensen"})
    );
    assert_eq!(out["schemas"], user()["schemas"]);
    assert_eq!(out["meta"], user()["meta"]);
}

#[test]
fn okta_pathless_replace_with_another_id_is_refused() {
    let e = err(
        &user(),
        patch(json!([{"op": "replace", "value": {"id": "other", "active": true}}])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
    assert!(e.detail.contains("\"id\""), "{}", e.detail);
}

#[test]
fn okta_add_member() {
    let out = ok(
        &group(),
        patch(json!([{"op": "add", "path": "members",
                      "value": [{"value": "id3", "display": "x"}]}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id1", "id2", "id3"]);
    assert_eq!(out["members"][2], json!({"value": "id3", "display": "x"}));
}

#[test]
fn adding_an_existing_member_is_a_no_op() {
    let out = ok(
        &group(),
        patch(json!([{"op": "add", "path": "members",
                      "value": [{"value": "id1", "display": "renamed"}, {"value": "id3"}, {"value": "id3"}]}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id1", "id2", "id3"]);
    assert_eq!(out["members"][0]["display"], "One");
}

#[test]
fn okta_remove_member_by_filter() {
    let out = ok(
        &group(),
        patch(json!([{"op": "remove", "path": "members[value eq \"id1\"]"}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id2"]);
}

#[test]
fn member_ids_compare_exactly() {
    let out = ok(
        &group(),
        patch(json!([{"op": "remove", "path": "members[value eq \"ID1\"]"}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id1", "id2"]);
}

#[test]
fn okta_replace_all_members() {
    let out = ok(
        &group(),
        patch(json!([{"op": "replace", "path": "members",
                      "value": [{"value": "id3", "display": "Three"}, {"value": "id4"}]}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id3", "id4"]);
    // And to nobody: the attribute becomes unassigned (RFC 7643 §2.5).
    let out = ok(
        &group(),
        patch(json!([{"op": "replace", "path": "members", "value": []}])),
        Kind::Group,
    );
    assert!(out.get("members").is_none());
}

#[test]
fn okta_group_rename_pathless() {
    let out = ok(
        &group(),
        patch(json!([{"op": "replace", "value": {
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "Guides"}}])),
        Kind::Group,
    );
    assert_eq!(out["displayName"], "Guides");
}

// ---- Microsoft Entra ID ----

#[test]
fn entra_replace_work_email_and_family_name() {
    let out = ok(
        &user(),
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "emails[type eq \"work\"].value",
                 "value": "updatedEmail@microsoft.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
            ]
        }),
        Kind::User,
    );
    assert_eq!(
        out["emails"],
        json!([{"value": "updatedEmail@microsoft.com", "type": "work", "primary": true}])
    );
    assert_eq!(out["name"]["familyName"], "updatedFamilyName");
    assert_eq!(out["name"]["givenName"], "Barbara");
}

#[test]
fn entra_add_work_email_to_user_without_emails() {
    let out = ok(
        &bare_user(),
        patch(json!([
            {"op": "Replace", "path": "title", "value": "tester"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ryan@contoso.com"}
        ])),
        Kind::User,
    );
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "value": "ryan@contoso.com"}])
    );
    assert_eq!(out["title"], "tester");
}

#[test]
fn entra_add_work_email_when_one_exists_replaces_it() {
    // Entra sends "Add" even when the work email exists; appending would leave two.
    let out = ok(
        &user(),
        patch(
            json!([{"op": "Add", "path": "emails[type eq \"work\"].value",
                      "value": "new@example.com"}]),
        ),
        Kind::User,
    );
    assert_eq!(
        out["emails"],
        json!([{"value": "new@example.com", "type": "work", "primary": true}])
    );
}

#[test]
fn entra_replace_on_missing_element_adds_it() {
    let out = ok(
        &user(),
        patch(
            json!([{"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value",
                      "value": "+1 555 0100"}]),
        ),
        Kind::User,
    );
    assert_eq!(out["phoneNumbers"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        out["phoneNumbers"][1],
        json!({"type": "mobile", "value": "+1 555 0100"})
    );
}

#[test]
fn entra_pathless_replace_with_dotted_and_urn_names() {
    let out = ok(
        &user(),
        patch(json!([{"op": "Replace", "value": {
            "displayName": "Amanda Lewis",
            "name.givenName": "Amanda",
            "name.familyName": "Lewis",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Test",
            "active": "False"
        }}])),
        Kind::User,
    );
    assert_eq!(out["displayName"], "Amanda Lewis");
    assert_eq!(
        out["name"],
        json!({"givenName": "Amanda", "familyName": "Lewis"})
    );
    assert_eq!(out[ENTERPRISE_SCHEMA]["employeeNumber"], "Test");
    assert_eq!(out[ENTERPRISE_SCHEMA]["department"], "Tour Operations");
    assert_eq!(out["active"], "False", "kept as sent; the caller converts");
}

#[test]
fn entra_pathless_urn_on_user_without_extension_creates_it() {
    let out = ok(
        &bare_user(),
        patch(json!([{"op": "Add", "value": {
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"
        }}])),
        Kind::User,
    );
    assert_eq!(out[ENTERPRISE_SCHEMA], json!({"department": "Sales"}));
    assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
}

#[test]
fn entra_add_manager_by_urn_path() {
    let out = ok(
        &user(),
        patch(json!([{"op": "Add",
                      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                      "value": "2819c223-7f76-453a-919d-413861904647"}])),
        Kind::User,
    );
    assert_eq!(
        out[ENTERPRISE_SCHEMA]["manager"],
        "2819c223-7f76-453a-919d-413861904647"
    );
    let out = ok(
        &bare_user(),
        patch(json!([{"op": "Add",
                      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                      "value": MGR}])),
        Kind::User,
    );
    assert_eq!(out[ENTERPRISE_SCHEMA], json!({"manager": MGR}));
    // And the manager's id can then be addressed as `manager.value`.
    let out = ok(
        &out,
        patch(json!([{"op": "Replace",
                      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                      "value": "m2"}])),
        Kind::User,
    );
    assert_eq!(out[ENTERPRISE_SCHEMA], json!({"manager": {"value": "m2"}}));
}

#[test]
fn entra_remove_manager_drops_emptied_extension() {
    let doc = ok(
        &bare_user(),
        patch(json!([{"op": "Add",
                      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                      "value": {"value": MGR}}])),
        Kind::User,
    );
    let out = ok(
        &doc,
        patch(json!([{"op": "Remove",
                      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}])),
        Kind::User,
    );
    assert!(out.get(ENTERPRISE_SCHEMA).is_none());
}

#[test]
fn entra_active_false_string_is_kept() {
    let out = ok(
        &user(),
        patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        Kind::User,
    );
    assert_eq!(out["active"], "False");
}

#[test]
fn entra_remove_members_listed_in_value() {
    let out = ok(
        &group(),
        patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "id2"}]}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id1"]);
    // Removing the last one leaves the group without members.
    let out = ok(
        &out,
        patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "id1"}]}])),
        Kind::Group,
    );
    assert!(out.get("members").is_none());
}

#[test]
fn entra_add_member_with_capitalised_op() {
    let out = ok(
        &group(),
        patch(json!([{"op": "Add", "path": "members", "value": [{"value": "id9"}]}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id1", "id2", "id9"]);
}

// ---- RFC 7644 §3.5.2 examples ----

#[test]
fn rfc_add_member() {
    let doc = json!({"schemas": [GROUP_SCHEMA], "id": "acbf3ae7", "displayName": "Tour Guides"});
    let out = ok(
        &doc,
        patch(json!([{"op": "add", "path": "members", "value": [{
            "display": "Babs Jensen",
            "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
            "value": "2819c223-7f76-453a-919d-413861904646"
        }]}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), [UID]);
}

#[test]
fn rfc_add_pathless() {
    let out = ok(
        &user(),
        patch(json!([{"op": "add", "value": {
            "emails": [{"value": "babs@jensen.org", "type": "home"}],
            "nickname": "Babs"
        }}])),
        Kind::User,
    );
    assert_eq!(out["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(out["nickName"], "Babs", "stored in the schema's spelling");
}

#[test]
fn rfc_replace_multiple_attributes() {
    let out = ok(
        &user(),
        patch(json!([{"op": "replace", "value": {
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "nickName": "Babs"
        }}])),
        Kind::User,
    );
    assert_eq!(
        out["emails"],
        json!([
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ])
    );
    assert_eq!(out["nickName"], "Babs");
}

#[test]
fn rfc_remove_all_members_then_add() {
    let out = ok(
        &group(),
        patch(json!([
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [{"display": "James Smith", "value": "08e1d05d"}]}
        ])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["08e1d05d"]);
}

#[test]
fn rfc_remove_and_replace_by_filter() {
    let mut doc = user();
    doc["emails"] = json!([
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"}
    ]);
    let out = ok(
        &doc,
        patch(json!([
            {"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "replace", "path": "emails[type eq \"work\" and value ew \"example.com\"]",
             "value": {"value": "babs@example.com", "primary": true}}
        ])),
        Kind::User,
    );
    // The replaced element keeps what the filter pinned with `eq`.
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "value": "babs@example.com", "primary": true}])
    );
}

// ---- semantics ----

#[test]
fn null_on_replace_clears() {
    let out = ok(
        &user(),
        patch(json!([
            {"op": "replace", "path": "title", "value": null},
            {"op": "replace", "value": {"displayName": null}}
        ])),
        Kind::User,
    );
    assert!(out.get("title").is_none());
    assert!(out.get("displayName").is_none());
}

#[test]
fn removing_what_is_absent_is_not_an_error() {
    let doc = bare_user();
    let out = ok(
        &doc,
        patch(json!([
            {"op": "remove", "path": "title"},
            {"op": "remove", "path": "name.givenName"},
            {"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}
        ])),
        Kind::User,
    );
    assert_eq!(out, doc);
}

#[test]
fn remove_sub_attribute() {
    let out = ok(
        &user(),
        patch(json!([{"op": "remove", "path": "name.givenName"}])),
        Kind::User,
    );
    assert_eq!(out["name"], json!({"familyName": "Jensen"}));
}

#[test]
fn attribute_names_ignore_case() {
    let out = ok(
        &user(),
        patch(json!([
            {"op": "replace", "path": "DISPLAYNAME", "value": "B"},
            {"op": "replace", "path": "Name.GivenName", "value": "Barb"},
            {"op": "replace", "path": "EMAILS[TYPE eq \"WORK\"].VALUE", "value": "b@example.com"}
        ])),
        Kind::User,
    );
    assert_eq!(out["displayName"], "B");
    assert!(out.get("DISPLAYNAME").is_none());
    assert_eq!(out["name"]["givenName"], "Barb");
    assert_eq!(out["emails"][0]["value"], "b@example.com");
}

#[test]
fn core_urn_prefixed_path_targets_the_root() {
    let out = ok(
        &user(),
        patch(json!([{"op": "replace",
                      "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
                      "value": "J"}])),
        Kind::User,
    );
    assert_eq!(out["name"]["familyName"], "J");
}

#[test]
fn whole_extension_object_merges() {
    let out = ok(
        &user(),
        patch(json!([{"op": "replace", "value": {
            ENTERPRISE_SCHEMA: {"department": "Sales", "costCenter": "4130"}
        }}])),
        Kind::User,
    );
    let ext = &out[ENTERPRISE_SCHEMA];
    assert_eq!(ext["department"], "Sales");
    assert_eq!(ext["costCenter"], "4130");
    assert_eq!(ext["employeeNumber"], "701984");
    assert_eq!(ext["manager"]["value"], MGR);
}

#[test]
fn complex_add_merges_sub_attributes() {
    let out = ok(
        &user(),
        patch(json!([{"op": "add", "path": "name", "value": {"middleName": "Jane"}}])),
        Kind::User,
    );
    assert_eq!(
        out["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"})
    );
}

#[test]
fn a_new_primary_demotes_the_old_one() {
    let out = ok(
        &user(),
        patch(json!([{"op": "add", "path": "emails",
                      "value": [{"value": "b@home.org", "type": "home", "primary": true}]}])),
        Kind::User,
    );
    assert_eq!(out["emails"][0]["primary"], false);
    assert_eq!(out["emails"][1]["primary"], true);
}

#[test]
fn password_can_be_set_but_not_removed() {
    let out = ok(
        &user(),
        patch(json!([{"op": "replace", "path": "password", "value": "t1meMa$heen"}])),
        Kind::User,
    );
    assert_eq!(out["password"], "t1meMa$heen");
    let e = err(
        &out,
        patch(json!([{"op": "remove", "path": "password"}])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
    let e = err(
        &out,
        patch(json!([{"op": "remove", "path": "password[value eq \"x\"]"}])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn value_filters() {
    let mut doc = user();
    doc["emails"] = json!([
        {"value": "a@work.com", "type": "work", "primary": true},
        {"value": "b@home.org", "type": "home"},
        {"value": "c@other.net", "type": "other", "display": "C"}
    ]);
    let removed = |filter: &str| -> Vec<String> {
        let out = ok(
            &doc,
            patch(json!([{"op": "remove", "path": format!("emails[{filter}]")}])),
            Kind::User,
        );
        let left: Vec<&Value> = out["emails"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        doc["emails"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter(|e| !left.contains(e))
                    .filter_map(|e| e["type"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(removed(r#"type eq "WORK""#), ["work"]);
    assert_eq!(removed(r#"type ne "work""#), ["home", "other"]);
    assert_eq!(removed(r#"value co "HOME""#), ["home"]);
    assert_eq!(removed(r#"value sw "c@""#), ["other"]);
    assert_eq!(removed(r#"value ew ".com""#), ["work"]);
    assert_eq!(removed("display pr"), ["other"]);
    assert_eq!(removed("primary eq true"), ["work"]);
    assert_eq!(removed(r#"primary eq "True""#), ["work"]);
    assert_eq!(
        removed(r#"type eq "home" or type eq "other""#),
        ["home", "other"]
    );
    assert_eq!(removed(r#"not (type eq "home") and primary pr"#), ["work"]);
    assert_eq!(removed(r#"value gt "b""#), ["home", "other"]);
    assert_eq!(removed(r#"value le "b@home.org""#), ["work", "home"]);
}

#[test]
fn unmatched_filter_that_describes_nothing_is_no_target() {
    let e = err(
        &user(),
        patch(
            json!([{"op": "replace", "path": "emails[type ne \"work\"].value", "value": "x@y.z"}]),
        ),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::NoTarget));
}

#[test]
fn unfiltered_sub_attribute_of_multi_valued() {
    let out = ok(
        &group(),
        patch(json!([{"op": "add", "path": "members.value", "value": "id3"}])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id1", "id2", "id3"]);
    let e = err(
        &group(),
        patch(json!([{"op": "replace", "path": "members.value", "value": "id3"}])),
        Kind::Group,
    );
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    let out = ok(
        &group(),
        patch(json!([{"op": "remove", "path": "members.display"}])),
        Kind::Group,
    );
    assert_eq!(
        out["members"],
        json!([{"value": "id1", "type": "User"}, {"value": "id2", "type": "User"}])
    );
    let out = ok(
        &user(),
        patch(json!([{"op": "replace", "path": "emails.value", "value": "only@example.com"}])),
        Kind::User,
    );
    assert_eq!(out["emails"][0]["value"], "only@example.com");
}

#[test]
fn single_objects_stand_for_one_element() {
    let out = ok(
        &group(),
        patch(json!([
            {"op": "add", "path": "members", "value": {"value": "id3"}},
            {"op": "remove", "path": "members", "value": {"value": "id1"}}
        ])),
        Kind::Group,
    );
    assert_eq!(member_ids(&out), ["id2", "id3"]);
}

#[test]
fn echoed_groups_are_ignored_and_changed_ones_refused() {
    let doc = user();
    let out = ok(
        &doc,
        patch(json!([{"op": "replace", "value": {"groups": doc["groups"].clone(), "title": "t"}}])),
        Kind::User,
    );
    assert_eq!(out["groups"], doc["groups"]);
    let e = err(
        &doc,
        patch(json!([{"op": "replace", "value": {"groups": []}}])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
}

#[test]
fn member_sub_attribute_by_filter() {
    let out = ok(
        &group(),
        patch(
            json!([{"op": "replace", "path": "members[value eq \"id2\"].display", "value": "Deux"}]),
        ),
        Kind::Group,
    );
    assert_eq!(out["members"][1]["display"], "Deux");
    assert_eq!(out["members"][0]["display"], "One");
}

#[test]
fn pathless_keys_may_be_value_paths() {
    let out = ok(
        &bare_user(),
        patch(json!([{"op": "Replace", "value": {
            "emails[type eq \"work\"].value": "ryan@contoso.com",
            "phoneNumbers[type eq \"mobile\"].value": "+1 555 0100"
        }}])),
        Kind::User,
    );
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "value": "ryan@contoso.com"}])
    );
    assert_eq!(
        out["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555 0100"}])
    );
}

// ---- errors ----

#[test]
fn remove_without_path_is_no_target() {
    let e = err(&user(), patch(json!([{"op": "remove"}])), Kind::User);
    assert_eq!(e.status, 400);
    assert_eq!(e.scim_type, Some(ScimType::NoTarget));
}

#[test]
fn unknown_op_is_invalid_syntax() {
    let e = err(
        &user(),
        patch(json!([{"op": "move", "path": "title", "value": "x"}])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    assert!(
        e.detail.starts_with("Operations[0] (move title): "),
        "{}",
        e.detail
    );
}

#[test]
fn unparsable_path_is_invalid_path() {
    for path in [
        "emails[type eq",
        "name..givenName",
        "1abc",
        "emails[type eq \"work\"].value.x",
    ] {
        let e = err(
            &user(),
            patch(json!([{"op": "replace", "path": path, "value": "x"}])),
            Kind::User,
        );
        assert_eq!(
            e.scim_type,
            Some(ScimType::InvalidPath),
            "{path}: {}",
            e.detail
        );
    }
}

#[test]
fn paths_that_do_not_fit_the_resource_are_invalid_path() {
    for (path, kind) in [
        ("displayName.foo", Kind::User),
        ("userName[value eq \"x\"]", Kind::User),
        ("urn:example:custom:2.0:User:foo", Kind::User),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            Kind::Group,
        ),
    ] {
        let e = err(
            &user(),
            patch(json!([{"op": "add", "path": path, "value": "x"}])),
            kind,
        );
        assert_eq!(
            e.scim_type,
            Some(ScimType::InvalidPath),
            "{path}: {}",
            e.detail
        );
    }
}

#[test]
fn read_only_targets_are_mutability() {
    for (path, kind) in [
        ("id", Kind::User),
        ("ID", Kind::Group),
        ("meta.lastModified", Kind::User),
        ("schemas", Kind::Group),
        ("groups", Kind::User),
        ("groups[value eq \"x\"]", Kind::User),
    ] {
        let e = err(
            &user(),
            patch(json!([{"op": "replace", "path": path, "value": "x"}])),
            kind,
        );
        assert_eq!(
            e.scim_type,
            Some(ScimType::Mutability),
            "{path}: {}",
            e.detail
        );
    }
}

#[test]
fn envelope_errors_are_invalid_syntax() {
    let op = json!([{"op": "replace", "path": "title", "value": "x"}]);
    for body in [
        json!({"Operations": op}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:patchop"], "Operations": op}),
        json!({"schemas": PATCH_SCHEMA, "Operations": op}),
        json!({"schemas": [PATCH_SCHEMA]}),
        json!({"schemas": [PATCH_SCHEMA], "Operations": []}),
        json!({"schemas": [PATCH_SCHEMA], "Operations": {"op": "add"}}),
        json!([1]),
        patch(json!([{"path": "title", "value": "x"}])),
        patch(json!([{"op": "replace", "value": "x"}])),
        patch(json!(["replace"])),
    ] {
        let e = err(&user(), body.clone(), Kind::User);
        assert_eq!(
            e.scim_type,
            Some(ScimType::InvalidSyntax),
            "{body}: {}",
            e.detail
        );
    }
}

#[test]
fn envelope_tolerances() {
    let out = ok(
        &user(),
        json!({"schemas": ["urn:example:other", PATCH_SCHEMA],
               "operations": [{"op": "REPLACE", "path": "title", "value": "x"}]}),
        Kind::User,
    );
    assert_eq!(out["title"], "x");
}

#[test]
fn errors_name_the_operation() {
    let e = err(
        &user(),
        patch(json!([
            {"op": "replace", "path": "title", "value": "x"},
            {"op": "remove", "path": "emails[type eq \"home\"].value.x"}
        ])),
        Kind::User,
    );
    assert!(
        e.detail
            .starts_with("Operations[1] (remove emails[type eq \"home\"].value.x): "),
        "{}",
        e.detail
    );
    let e = err(
        &user(),
        patch(json!([{"op": "replace", "value": {"id": "nope"}}])),
        Kind::User,
    );
    assert!(
        e.detail
            .starts_with("Operations[0] (replace): attribute \"id\""),
        "{}",
        e.detail
    );
}

#[test]
fn all_or_nothing() {
    let doc = user();
    let before = doc.clone();
    let e = err(
        &doc,
        patch(json!([
            {"op": "replace", "path": "title", "value": "changed"},
            {"op": "replace", "path": "id", "value": "x"}
        ])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
    assert!(e.detail.starts_with("Operations[1]"), "{}", e.detail);
    assert_eq!(doc, before);
}

#[test]
fn missing_value_is_invalid_value() {
    let e = err(
        &user(),
        patch(json!([{"op": "add", "path": "title"}])),
        Kind::User,
    );
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
}
