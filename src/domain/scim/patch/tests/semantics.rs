//! What each operation means, and the errors.
use super::*;

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
