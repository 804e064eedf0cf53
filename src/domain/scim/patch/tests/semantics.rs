//! What each operation means, and the errors.
use super::*;

// ---- semantics ----

#[test]
fn null_on_replace_clears() {
    let out = user().ok(json!([
        {"op": "replace", "path": "title", "value": null},
        {"op": "replace", "value": {"displayName": null}}
    ]));
    assert!(out.get("title").is_none());
    assert!(out.get("displayName").is_none());
}

#[test]
fn removing_what_is_absent_is_not_an_error() {
    let doc = bare_user();
    let out = doc.ok(json!([
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "emails[type eq \"home\"]"},
        {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}
    ]));
    assert_eq!(out, doc);
}

#[test]
fn remove_sub_attribute() {
    let out = user().ok(json!([{"op": "remove", "path": "name.givenName"}]));
    assert_eq!(out["name"], json!({"familyName": "Jensen"}));
}

#[test]
fn attribute_names_ignore_case() {
    let out = user().ok(json!([
        {"op": "replace", "path": "DISPLAYNAME", "value": "B"},
        {"op": "replace", "path": "Name.GivenName", "value": "Barb"},
        {"op": "replace", "path": "EMAILS[TYPE eq \"WORK\"].VALUE", "value": "b@example.com"}
    ]));
    assert_eq!(out["displayName"], "B");
    assert!(out.get("DISPLAYNAME").is_none());
    assert_eq!(out["name"]["givenName"], "Barb");
    assert_eq!(out["emails"][0]["value"], "b@example.com");
}

#[test]
fn core_urn_prefixed_path_targets_the_root() {
    let out = user().ok(json!([{"op": "replace",
        "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
        "value": "J"}]));
    assert_eq!(out["name"]["familyName"], "J");
}

#[test]
fn whole_extension_object_merges() {
    let out = user().ok(json!([{"op": "replace", "value": {
        ENTERPRISE_SCHEMA: {"department": "Sales", "costCenter": "4130"}
    }}]));
    let ext = &out[ENTERPRISE_SCHEMA];
    assert_eq!(ext["department"], "Sales");
    assert_eq!(ext["costCenter"], "4130");
    assert_eq!(ext["employeeNumber"], "701984");
    assert_eq!(ext["manager"]["value"], MGR);
}

#[test]
fn complex_add_merges_sub_attributes() {
    let out = user().ok(json!([{"op": "add", "path": "name", "value": {"middleName": "Jane"}}]));
    assert_eq!(
        out["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"})
    );
}

#[test]
fn a_new_primary_demotes_the_old_one() {
    let out = user().ok(json!([{"op": "add", "path": "emails",
        "value": [{"value": "b@home.org", "type": "home", "primary": true}]}]));
    assert_eq!(out["emails"][0]["primary"], false);
    assert_eq!(out["emails"][1]["primary"], true);
}

#[test]
fn password_can_be_set_but_not_removed() {
    let out = user().ok(json!([{"op": "replace", "path": "password", "value": "t1meMa$heen"}]));
    assert_eq!(out["password"], "t1meMa$heen");
    for (path, refused_as) in [
        ("password", ScimType::Mutability),
        ("password[value eq \"x\"]", ScimType::InvalidPath),
    ] {
        let e = out.err(json!([{"op": "remove", "path": path}]));
        assert_eq!(e.scim_type, Some(refused_as), "{path}");
    }
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
        let out = doc.ok(json!([{"op": "remove", "path": format!("emails[{filter}]")}]));
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
    for (filter, types) in [
        (r#"type eq "WORK""#, &["work"][..]),
        (r#"type ne "work""#, &["home", "other"]),
        (r#"value co "HOME""#, &["home"]),
        (r#"value sw "c@""#, &["other"]),
        (r#"value ew ".com""#, &["work"]),
        ("display pr", &["other"]),
        ("primary eq true", &["work"]),
        (r#"primary eq "True""#, &["work"]),
        (r#"type eq "home" or type eq "other""#, &["home", "other"]),
        (r#"not (type eq "home") and primary pr"#, &["work"]),
        (r#"value gt "b""#, &["home", "other"]),
        (r#"value le "b@home.org""#, &["work", "home"]),
    ] {
        assert_eq!(removed(filter), types, "{filter}");
    }
}

#[test]
fn unfiltered_sub_attribute_of_multi_valued() {
    let out = group().ok(json!([{"op": "add", "path": "members.value", "value": "id3"}]));
    assert_eq!(member_ids(&out), ["id1", "id2", "id3"]);
    let e = group().err(json!([{"op": "replace", "path": "members.value", "value": "id3"}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    let out = group().ok(json!([{"op": "remove", "path": "members.display"}]));
    assert_eq!(
        out["members"],
        json!([{"value": "id1", "type": "User"}, {"value": "id2", "type": "User"}])
    );
    let out =
        user().ok(json!([{"op": "replace", "path": "emails.value", "value": "only@example.com"}]));
    assert_eq!(out["emails"][0]["value"], "only@example.com");
}

#[test]
fn single_objects_stand_for_one_element() {
    let out = group().ok(json!([
        {"op": "add", "path": "members", "value": {"value": "id3"}},
        {"op": "remove", "path": "members", "value": {"value": "id1"}}
    ]));
    assert_eq!(member_ids(&out), ["id2", "id3"]);
}

#[test]
fn echoed_groups_are_ignored_and_changed_ones_refused() {
    let doc = user();
    let out = doc
        .ok(json!([{"op": "replace", "value": {"groups": doc["groups"].clone(), "title": "t"}}]));
    assert_eq!(out["groups"], doc["groups"]);
    let e = doc.err(json!([{"op": "replace", "value": {"groups": []}}]));
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
}

#[test]
fn member_sub_attribute_by_filter() {
    let out = group().ok(
        json!([{"op": "replace", "path": "members[value eq \"id2\"].display", "value": "Deux"}]),
    );
    assert_eq!(out["members"][1]["display"], "Deux");
    assert_eq!(out["members"][0]["display"], "One");
}

#[test]
fn pathless_keys_may_be_value_paths() {
    let out = bare_user().ok(json!([{"op": "Replace", "value": {
        "emails[type eq \"work\"].value": "ryan@contoso.com",
        "phoneNumbers[type eq \"mobile\"].value": "+1 555 0100"
    }}]));
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

/// Each refused operation, applied alone to [`user`] as `kind`, and how it is refused.
#[test]
fn refused_operations_say_why_by_their_scim_type() {
    use ScimType::{InvalidPath, InvalidValue, Mutability, NoTarget};
    let enterprise_department =
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    for (kind, op, refused_as) in [
        // RFC 7644 §3.5.2.2: remove without a path is `noTarget`, not a syntax error.
        (Kind::User, json!({"op": "remove"}), NoTarget),
        // A filter that matches nothing and describes no element to create.
        (
            Kind::User,
            json!({"op": "replace", "path": "emails[type ne \"work\"].value", "value": "x@y.z"}),
            NoTarget,
        ),
        (
            Kind::User,
            json!({"op": "add", "path": "title"}),
            InvalidValue,
        ),
        // Paths that do not parse.
        (Kind::User, replace("emails[type eq"), InvalidPath),
        (Kind::User, replace("name..givenName"), InvalidPath),
        (Kind::User, replace("1abc"), InvalidPath),
        (
            Kind::User,
            replace("emails[type eq \"work\"].value.x"),
            InvalidPath,
        ),
        // Paths that do not fit the resource.
        (Kind::User, add("displayName.foo"), InvalidPath),
        (Kind::User, add("userName[value eq \"x\"]"), InvalidPath),
        (
            Kind::User,
            add("urn:example:custom:2.0:User:foo"),
            InvalidPath,
        ),
        (Kind::Group, add(enterprise_department), InvalidPath),
        // Read-only targets.
        (Kind::User, replace("id"), Mutability),
        (Kind::Group, replace("ID"), Mutability),
        (Kind::User, replace("meta.lastModified"), Mutability),
        (Kind::Group, replace("schemas"), Mutability),
        (Kind::User, replace("groups"), Mutability),
        (Kind::User, replace("groups[value eq \"x\"]"), Mutability),
    ] {
        let e = err_body(&user(), patch(json!([op])), kind);
        assert_eq!(e.status, 400, "{op}");
        assert_eq!(e.scim_type, Some(refused_as), "{op}: {}", e.detail);
    }
}

fn replace(path: &str) -> Value {
    json!({"op": "replace", "path": path, "value": "x"})
}

fn add(path: &str) -> Value {
    json!({"op": "add", "path": path, "value": "x"})
}

#[test]
fn unknown_op_is_invalid_syntax() {
    let e = user().err(json!([{"op": "move", "path": "title", "value": "x"}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    assert!(
        e.detail.starts_with("Operations[0] (move title): "),
        "{}",
        e.detail
    );
}

#[test]
fn envelope_errors_are_invalid_syntax() {
    let op = json!([replace("title")]);
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
        let e = err_body(&user(), body.clone(), Kind::User);
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
    let out = ok_body(
        &user(),
        json!({"schemas": ["urn:example:other", PATCH_SCHEMA],
               "operations": [{"op": "REPLACE", "path": "title", "value": "x"}]}),
        Kind::User,
    );
    assert_eq!(out["title"], "x");
}

#[test]
fn errors_name_the_operation() {
    for (ops, prefix) in [
        (
            json!([
                {"op": "replace", "path": "title", "value": "x"},
                {"op": "remove", "path": "emails[type eq \"home\"].value.x"}
            ]),
            "Operations[1] (remove emails[type eq \"home\"].value.x): ",
        ),
        (
            json!([{"op": "replace", "value": {"id": "nope"}}]),
            "Operations[0] (replace): attribute \"id\"",
        ),
    ] {
        let e = user().err(ops);
        assert!(e.detail.starts_with(prefix), "{}", e.detail);
    }
}

#[test]
fn all_or_nothing() {
    let doc = user();
    let before = doc.clone();
    let e = doc.err(json!([
        {"op": "replace", "path": "title", "value": "changed"},
        {"op": "replace", "path": "id", "value": "x"}
    ]));
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
    assert!(e.detail.starts_with("Operations[1]"), "{}", e.detail);
    assert_eq!(doc, before);
}
