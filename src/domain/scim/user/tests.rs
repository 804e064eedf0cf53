use super::*;

fn meta() -> Meta {
    Meta {
        resource_type: "User",
        created: Utc::now(),
        last_modified: Utc::now(),
        location: "http://x/scim/v2/Users/1".into(),
    }
}

#[test]
fn okta_create_body_is_read() {
    let body = json!({
        "schemas": [USER_SCHEMA],
        "userName": "isabella@example.com",
        "name": {"givenName": "Isabella", "familyName": "Ng"},
        "emails": [{"primary": true, "value": "isabella@example.com", "type": "work"}],
        "displayName": "Isabella Ng",
        "locale": "en-US",
        "externalId": "00u1",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    });
    let user = parse(&body).unwrap();
    assert_eq!(user.user_name, "isabella@example.com");
    assert_eq!(user.email.as_deref(), Some("isabella@example.com"));
    assert_eq!(user.given_name.as_deref(), Some("Isabella"));
    assert_eq!(user.password.as_deref(), Some("1mz050nq"));
    assert!(user.active);
}

#[test]
fn entra_create_body_with_nulls_strings_and_manager_array_is_read() {
    let body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee@testuser.com",
        "active": "False",
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        "title": null,
        ENTERPRISE_SCHEMA: {"employeeNumber": 42, "department": "Sales", "manager": [{"value": "m-1"}]}
    });
    let user = parse(&body).unwrap();
    assert!(!user.active);
    assert_eq!(user.title, None);
    assert_eq!(user.employee_number.as_deref(), Some("42"));
    assert_eq!(user.manager.as_deref(), Some("m-1"));
    assert_eq!(
        user.email.as_deref(),
        Some("Test_User_fd0ea19b@testuser.com")
    );
}

#[test]
fn the_email_is_the_primary_then_work_then_first_then_user_name() {
    let pick = |emails: Value| {
        parse(&json!({"userName": "u@x.org", "emails": emails}))
            .unwrap()
            .email
    };
    let e =
        pick(json!([{"value": "a@x.org", "type": "home"}, {"value": "b@x.org", "type": "work"}]));
    assert_eq!(e.as_deref(), Some("b@x.org"));
    let e = pick(
        json!([{"value": "a@x.org", "type": "work"}, {"value": "c@x.org", "primary": "True"}]),
    );
    assert_eq!(e.as_deref(), Some("c@x.org"));
    let two_primaries = json!({"userName": "u", "emails": [
        {"value": "a@x.org", "primary": true}, {"value": "b@x.org", "primary": true}]});
    assert!(
        parse(&two_primaries)
            .unwrap_err()
            .detail
            .contains("primary")
    );
    assert_eq!(pick(json!([])), None);
    let okta = parse(&json!({"userName": "u@x.org"})).unwrap();
    assert_eq!(okta.email_for_new_contact().as_deref(), Some("u@x.org"));
    let bare = parse(&json!({"userName": "bjensen"})).unwrap();
    assert_eq!(bare.email_for_new_contact(), None);
}

#[test]
fn bad_input_names_the_attribute() {
    let detail = |body: Value| parse(&body).unwrap_err().detail;
    assert!(detail(json!({"userName": " "})).contains("userName"));
    assert!(detail(json!({})).contains("userName"));
    assert!(detail(json!({"userName": "a", "active": "maybe"})).contains("active"));
    assert!(
        detail(json!({"userName": "a", "emails": [{"value": "not-an-email"}]}))
            .contains("emails[0].value")
    );
    assert!(detail(json!({"userName": "a", "name": "x"})).contains("name"));
    assert!(detail(json!({"userName": "a", "schemas": ["urn:x"]})).contains("schemas"));
    assert_eq!(
        parse(&json!([])).unwrap_err().scim_type,
        Some(super::super::ScimType::InvalidSyntax)
    );
}

#[test]
fn render_never_returns_the_password_and_round_trips() {
    let user = parse(&json!({
        "userName": "bjensen",
        "password": "secret",
        "emails": [{"value": "b@x.org"}],
        "phoneNumbers": [{"value": "+1 555", "type": "work"}],
        ENTERPRISE_SCHEMA: {"manager": {"value": "m"}, "organization": "Acme"}
    }))
    .unwrap();
    let id = Uuid::now_v7();
    let doc = render(id, &user, &[], "http://x/scim/v2", &meta());
    assert!(doc.get("password").is_none());
    assert_eq!(doc["id"], id.to_string());
    let again = parse(&doc).unwrap();
    assert_eq!(
        again,
        UserData {
            password: None,
            ..user
        }
    );
}
