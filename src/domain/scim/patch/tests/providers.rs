//! PATCH bodies as Okta, Microsoft Entra ID and RFC 7644 §3.5.2 write them.
use super::*;

// ---- Okta ----

#[test]
fn okta_deactivate() {
    let out = ok_body(
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
    let out = user().ok(json!([{"op": "replace", "value": {
        "schemas": [USER_SCHEMA],
        "id": UID,
        "meta": {"resourceType": "User"},
        "userName": "barbara@example.com",
        "name": {"givenName": "Barb", "familyName": "Jensen"},
        "active": true
    }}]));
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
    let e = user().err(json!([{"op": "replace", "value": {"id": "other", "active": true}}]));
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
    assert!(e.detail.contains("\"id\""), "{}", e.detail);
}

#[test]
fn okta_add_member() {
    let out = group().ok(json!([{"op": "add", "path": "members",
        "value": [{"value": "id3", "display": "x"}]}]));
    assert_eq!(member_ids(&out), ["id1", "id2", "id3"]);
    assert_eq!(out["members"][2], json!({"value": "id3", "display": "x"}));
}

#[test]
fn adding_an_existing_member_is_a_no_op() {
    let out = group().ok(json!([{"op": "add", "path": "members",
        "value": [{"value": "id1", "display": "renamed"}, {"value": "id3"}, {"value": "id3"}]}]));
    assert_eq!(member_ids(&out), ["id1", "id2", "id3"]);
    assert_eq!(out["members"][0]["display"], "One");
}

#[test]
fn okta_remove_member_by_filter() {
    let out = group().ok(json!([{"op": "remove", "path": "members[value eq \"id1\"]"}]));
    assert_eq!(member_ids(&out), ["id2"]);
}

#[test]
fn member_ids_compare_exactly() {
    let out = group().ok(json!([{"op": "remove", "path": "members[value eq \"ID1\"]"}]));
    assert_eq!(member_ids(&out), ["id1", "id2"]);
}

#[test]
fn okta_replace_all_members() {
    let out = group().ok(json!([{"op": "replace", "path": "members",
        "value": [{"value": "id3", "display": "Three"}, {"value": "id4"}]}]));
    assert_eq!(member_ids(&out), ["id3", "id4"]);
    // And to nobody: the attribute becomes unassigned (RFC 7643 §2.5).
    let out = group().ok(json!([{"op": "replace", "path": "members", "value": []}]));
    assert!(out.get("members").is_none());
}

#[test]
fn okta_group_rename_pathless() {
    let out = group().ok(json!([{"op": "replace", "value": {
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "Guides"}}]));
    assert_eq!(out["displayName"], "Guides");
}

// ---- Microsoft Entra ID ----

#[test]
fn entra_replace_work_email_and_family_name() {
    let out = ok_body(
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
    let out = bare_user().ok(json!([
        {"op": "Replace", "path": "title", "value": "tester"},
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ryan@contoso.com"}
    ]));
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "value": "ryan@contoso.com"}])
    );
    assert_eq!(out["title"], "tester");
}

#[test]
fn entra_add_work_email_when_one_exists_replaces_it() {
    // Entra sends "Add" even when the work email exists; appending would leave two.
    let out = user().ok(
        json!([{"op": "Add", "path": "emails[type eq \"work\"].value",
        "value": "new@example.com"}]),
    );
    assert_eq!(
        out["emails"],
        json!([{"value": "new@example.com", "type": "work", "primary": true}])
    );
}

#[test]
fn entra_replace_on_missing_element_adds_it() {
    let out = user().ok(
        json!([{"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value",
        "value": "+1 555 0100"}]),
    );
    assert_eq!(out["phoneNumbers"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        out["phoneNumbers"][1],
        json!({"type": "mobile", "value": "+1 555 0100"})
    );
}

#[test]
fn entra_pathless_replace_with_dotted_and_urn_names() {
    let out = user().ok(json!([{"op": "Replace", "value": {
        "displayName": "Amanda Lewis",
        "name.givenName": "Amanda",
        "name.familyName": "Lewis",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Test",
        "active": "False"
    }}]));
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
    let out = bare_user().ok(json!([{"op": "Add", "value": {
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"
    }}]));
    assert_eq!(out[ENTERPRISE_SCHEMA], json!({"department": "Sales"}));
    assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
}

#[test]
fn entra_add_manager_by_urn_path() {
    let out = user().ok(json!([{"op": "Add",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": "2819c223-7f76-453a-919d-413861904647"}]));
    assert_eq!(
        out[ENTERPRISE_SCHEMA]["manager"],
        "2819c223-7f76-453a-919d-413861904647"
    );
    let out = bare_user().ok(json!([{"op": "Add",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": MGR}]));
    assert_eq!(out[ENTERPRISE_SCHEMA], json!({"manager": MGR}));
    // And the manager's id can then be addressed as `manager.value`.
    let out = out.ok(json!([{"op": "Replace",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "value": "m2"}]));
    assert_eq!(out[ENTERPRISE_SCHEMA], json!({"manager": {"value": "m2"}}));
}

#[test]
fn entra_remove_manager_drops_emptied_extension() {
    let doc = bare_user().ok(json!([{"op": "Add",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": {"value": MGR}}]));
    let out = doc.ok(json!([{"op": "Remove",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]));
    assert!(out.get(ENTERPRISE_SCHEMA).is_none());
}

#[test]
fn entra_active_false_string_is_kept() {
    let out = user().ok(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    assert_eq!(out["active"], "False");
}

#[test]
fn entra_remove_members_listed_in_value() {
    let out = group().ok(json!([{"op": "Remove", "path": "members", "value": [{"value": "id2"}]}]));
    assert_eq!(member_ids(&out), ["id1"]);
    // Removing the last one leaves the group without members.
    let out = out.ok(json!([{"op": "Remove", "path": "members", "value": [{"value": "id1"}]}]));
    assert!(out.get("members").is_none());
}

#[test]
fn entra_add_member_with_capitalised_op() {
    let out = group().ok(json!([{"op": "Add", "path": "members", "value": [{"value": "id9"}]}]));
    assert_eq!(member_ids(&out), ["id1", "id2", "id9"]);
}

// ---- RFC 7644 §3.5.2 examples ----

#[test]
fn rfc_add_member() {
    let doc = json!({"schemas": [GROUP_SCHEMA], "id": "acbf3ae7", "displayName": "Tour Guides"});
    let out = doc.ok(json!([{"op": "add", "path": "members", "value": [{
        "display": "Babs Jensen",
        "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
        "value": "2819c223-7f76-453a-919d-413861904646"
    }]}]));
    assert_eq!(member_ids(&out), [UID]);
}

#[test]
fn rfc_add_pathless() {
    let out = user().ok(json!([{"op": "add", "value": {
        "emails": [{"value": "babs@jensen.org", "type": "home"}],
        "nickname": "Babs"
    }}]));
    assert_eq!(out["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(out["nickName"], "Babs", "stored in the schema's spelling");
}

#[test]
fn rfc_replace_multiple_attributes() {
    let out = user().ok(json!([{"op": "replace", "value": {
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "nickName": "Babs"
    }}]));
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
    let out = group().ok(json!([
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [{"display": "James Smith", "value": "08e1d05d"}]}
    ]));
    assert_eq!(member_ids(&out), ["08e1d05d"]);
}

#[test]
fn rfc_remove_and_replace_by_filter() {
    let mut doc = user();
    doc["emails"] = json!([
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"}
    ]);
    let out = doc.ok(json!([
        {"op": "remove", "path": "emails[type eq \"home\"]"},
        {"op": "replace", "path": "emails[type eq \"work\" and value ew \"example.com\"]",
         "value": {"value": "babs@example.com", "primary": true}}
    ]));
    // The replaced element keeps what the filter pinned with `eq`.
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "value": "babs@example.com", "primary": true}])
    );
}
