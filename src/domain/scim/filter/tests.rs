use super::*;
use GroupAttr as G;
use UserAttr as U;
use chrono::{TimeZone, Utc};

fn text(s: &str) -> Literal {
    Literal::Text(s.into())
}

fn cmp<A>(a: A, op: Op, lit: Literal) -> Cond<A> {
    Cond::Compare(a, op, lit)
}

/// The detail of a refused user filter, after checking it is an invalidFilter.
fn refused(f: &str) -> String {
    let e = users(f).expect_err(f);
    assert_eq!(e.status, 400, "{f}");
    assert_eq!(
        e.scim_type,
        Some(super::super::ScimType::InvalidFilter),
        "{f}"
    );
    e.detail
}

fn refused_group(f: &str) -> String {
    let e = groups(f).expect_err(f);
    assert_eq!(
        e.scim_type,
        Some(super::super::ScimType::InvalidFilter),
        "{f}"
    );
    e.detail
}

#[test]
fn every_operator_on_text() {
    for (word, op) in [
        ("eq", Op::Eq),
        ("ne", Op::Ne),
        ("co", Op::Co),
        ("sw", Op::Sw),
        ("ew", Op::Ew),
        ("gt", Op::Gt),
        ("ge", Op::Ge),
        ("lt", Op::Lt),
        ("le", Op::Le),
    ] {
        let f = format!("title {word} \"Eng\"");
        assert_eq!(users(&f).unwrap(), cmp(U::Title, op, text("Eng")), "{f}");
    }
}

#[test]
fn date_time_operators_and_values() {
    let t = Utc.with_ymd_and_hms(2024, 1, 31, 10, 0, 0).unwrap();
    for (word, op) in [
        ("eq", Op::Eq),
        ("ne", Op::Ne),
        ("gt", Op::Gt),
        ("ge", Op::Ge),
        ("lt", Op::Lt),
        ("le", Op::Le),
    ] {
        let f = format!("meta.lastModified {word} \"2024-01-31T12:00:00+02:00\"");
        assert_eq!(
            users(&f).unwrap(),
            cmp(U::LastModified, op, Literal::DateTime(t)),
            "{f}"
        );
    }
    assert_eq!(
        groups(r#"meta.created gt "2024-01-31T10:00:00Z""#).unwrap(),
        cmp(G::Created, Op::Gt, Literal::DateTime(t))
    );
    let d = refused(r#"meta.created co "2024""#);
    assert!(d.contains("\"co\"") && d.contains("meta.created"), "{d}");
}

#[test]
fn bad_date_is_refused() {
    let d = refused(r#"meta.created gt "yesterday""#);
    assert!(d.contains("meta.created") && d.contains("RFC 3339"), "{d}");
    refused(r#"meta.created gt "2024-01-31""#);
    refused("meta.created gt 2024");
    refused("meta.lastModified eq true");
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(
        users(r#"title eq "a" or title eq "b" and active eq true"#).unwrap(),
        Cond::Or(vec![
            cmp(U::Title, Op::Eq, text("a")),
            Cond::And(vec![
                cmp(U::Title, Op::Eq, text("b")),
                cmp(U::Active, Op::Eq, Literal::Bool(true)),
            ]),
        ])
    );
}

#[test]
fn parentheses_and_not_group() {
    assert_eq!(
        users(r#"(title eq "a" or title eq "b") and not (active eq true)"#).unwrap(),
        Cond::And(vec![
            Cond::Or(vec![
                cmp(U::Title, Op::Eq, text("a")),
                cmp(U::Title, Op::Eq, text("b")),
            ]),
            Cond::Not(Box::new(cmp(U::Active, Op::Eq, Literal::Bool(true)))),
        ])
    );
    assert_eq!(
        users(r#"not (title pr or displayName pr)"#).unwrap(),
        Cond::Not(Box::new(Cond::Or(vec![
            Cond::Present(U::Title),
            Cond::Present(U::DisplayName),
        ])))
    );
}

#[test]
fn value_path_with_and() {
    assert_eq!(
        users(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap(),
        Cond::And(vec![
            cmp(U::EmailType, Op::Eq, text("work")),
            cmp(U::Email, Op::Co, text("@example.com"))
        ])
    );
    assert_eq!(
        users(r#"emails[value ew "@example.com" or value sw "ops"] and active eq true"#).unwrap(),
        Cond::And(vec![
            Cond::Or(vec![
                cmp(U::Email, Op::Ew, text("@example.com")),
                cmp(U::Email, Op::Sw, text("ops")),
            ]),
            cmp(U::Active, Op::Eq, Literal::Bool(true)),
        ])
    );
}

#[test]
fn constants_are_folded() {
    // `emails.type` and `emails.primary` are stored (the contact's element's): compared
    // in the database, not here.
    assert_eq!(
        users(r#"emails[type eq "home"]"#).unwrap(),
        cmp(U::EmailType, Op::Eq, text("home"))
    );
    assert_eq!(
        users(r#"emails[primary eq true]"#).unwrap(),
        cmp(U::EmailPrimary, Op::Eq, Literal::Bool(true))
    );
    assert_eq!(
        groups(r#"members[type eq "user"]"#).unwrap(),
        Cond::Present(G::Member)
    );
    assert_eq!(
        groups(r#"members.type eq "Group""#).unwrap(),
        Cond::Always(false)
    );
    refused(r#"emails[primary co "t"]"#);
}

#[test]
fn urn_prefixed_names() {
    assert_eq!(
        users(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen""#).unwrap(),
        cmp(U::UserName, Op::Eq, text("bjensen"))
    );
    assert_eq!(
        users(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName sw "J""#).unwrap(),
        cmp(U::FamilyName, Op::Sw, text("J"))
    );
    assert_eq!(
        users(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1""#
        )
        .unwrap(),
        cmp(U::Manager, Op::Eq, text("m-1"))
    );
    assert_eq!(
        users(r#"URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:Department eq "R&D""#)
            .unwrap(),
        cmp(U::Department, Op::Eq, text("R&D"))
    );
    assert_eq!(
        users(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[value eq "a@b.c"]"#).unwrap(),
        cmp(U::Email, Op::Eq, text("a@b.c"))
    );
    assert_eq!(
        groups(r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Ops""#).unwrap(),
        cmp(G::DisplayName, Op::Eq, text("Ops"))
    );
}

#[test]
fn wrong_urn_is_refused() {
    let d =
        refused(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "x""#);
    assert!(d.contains("userName") && d.contains(USER_SCHEMA), "{d}");
    let d = refused(r#"urn:ietf:params:scim:schemas:core:2.0:User:department eq "x""#);
    assert!(
        d.contains("department") && d.contains(ENTERPRISE_SCHEMA),
        "{d}"
    );
    refused(r#"urn:ietf:params:scim:schemas:core:2.0:Group:userName eq "x""#);
    refused(r#"urn:example:userName eq "x""#);
    refused_group(r#"urn:ietf:params:scim:schemas:core:2.0:User:displayName eq "x""#);
}

#[test]
fn names_and_operators_ignore_case() {
    assert_eq!(
        users(r#"USERNAME EQ "Bob" AND Name.GivenName Sw "b" Or NOT (ACTIVE Eq false)"#).unwrap(),
        Cond::Or(vec![
            Cond::And(vec![
                cmp(U::UserName, Op::Eq, text("Bob")),
                cmp(U::GivenName, Op::Sw, text("b")),
            ]),
            Cond::Not(Box::new(cmp(U::Active, Op::Eq, Literal::Bool(false)))),
        ])
    );
    assert_eq!(users("EMAILS PR").unwrap(), Cond::Present(U::Email));
    assert_eq!(
        users(r#"Emails[Value Eq "A@B.C"]"#).unwrap(),
        cmp(U::Email, Op::Eq, text("A@B.C")),
        "literal text is left as sent"
    );
    assert_eq!(
        groups("Members.Value pr").unwrap(),
        Cond::Present(G::Member)
    );
}

#[test]
fn null_and_present() {
    assert_eq!(
        users("title eq null").unwrap(),
        Cond::Not(Box::new(Cond::Present(U::Title)))
    );
    assert_eq!(users("title ne null").unwrap(), Cond::Present(U::Title));
    assert_eq!(users("title pr").unwrap(), Cond::Present(U::Title));
    assert_eq!(
        users("emails.type eq null").unwrap(),
        Cond::Not(Box::new(Cond::Present(U::EmailType)))
    );
    assert_eq!(
        users("id eq null").unwrap(),
        Cond::Not(Box::new(Cond::Present(U::Id)))
    );
    let d = refused("title gt null");
    assert!(d.contains("title") && d.contains("null"), "{d}");
}

#[test]
fn booleans_are_lenient() {
    let active = |b| cmp(U::Active, Op::Eq, Literal::Bool(b));
    assert_eq!(users("active eq true").unwrap(), active(true));
    assert_eq!(users(r#"active eq "True""#).unwrap(), active(true));
    assert_eq!(users(r#"active eq "FALSE""#).unwrap(), active(false));
    assert_eq!(
        users(r#"active ne "false""#).unwrap(),
        cmp(U::Active, Op::Ne, Literal::Bool(false))
    );
    refused(r#"active eq "yes""#);
    refused("active eq 1");
}

#[test]
fn ids_that_are_not_uuids_match_nothing() {
    let id = uuid::Uuid::now_v7();
    assert_eq!(
        users(&format!(r#"id eq "{id}""#)).unwrap(),
        cmp(U::Id, Op::Eq, Literal::Id(id))
    );
    let upper = id.to_string().to_uppercase();
    assert_eq!(
        users(&format!(r#"id ne "{upper}""#)).unwrap(),
        cmp(U::Id, Op::Ne, Literal::Id(id))
    );
    assert_eq!(users(r#"id eq "bjensen""#).unwrap(), Cond::Always(false));
    assert_eq!(users(r#"id ne "bjensen""#).unwrap(), Cond::Always(true));
    assert_eq!(
        users(&format!(r#"id eq "{}""#, id.simple())).unwrap(),
        Cond::Always(false)
    );
    assert_eq!(
        users(r#"id eq "nope" or userName eq "x""#).unwrap(),
        cmp(U::UserName, Op::Eq, text("x"))
    );
    assert_eq!(
        users(r#"id eq "nope" and userName eq "x""#).unwrap(),
        Cond::Always(false)
    );
    refused("id eq 42");
    let d = refused(&format!(r#"id gt "{id}""#));
    assert!(d.contains("\"gt\"") && d.contains("\"id\""), "{d}");
}

#[test]
fn group_member_lookup() {
    let id = uuid::Uuid::now_v7();
    assert_eq!(
        groups(&format!(r#"members[value eq "{id}"]"#)).unwrap(),
        cmp(G::Member, Op::Eq, Literal::Id(id))
    );
    assert_eq!(
        groups(&format!(
            r#"displayName eq "Ops" and members.value eq "{id}""#
        ))
        .unwrap(),
        Cond::And(vec![
            cmp(G::DisplayName, Op::Eq, text("Ops")),
            cmp(G::Member, Op::Eq, Literal::Id(id)),
        ])
    );
    assert_eq!(
        groups(r#"members eq "not-an-id""#).unwrap(),
        Cond::Always(false)
    );
    assert_eq!(
        groups(r#"externalId eq "g-1""#).unwrap(),
        cmp(G::ExternalId, Op::Eq, text("g-1"))
    );
    let d = refused_group(r#"members[display eq "Bob"]"#);
    assert!(d.contains("members.display"), "{d}");
    refused_group(r#"members co "a""#);
    refused_group(r#"userName eq "x""#);
}

#[test]
fn identity_provider_lookups() {
    // Okta
    assert_eq!(
        users(r#"userName eq "a@b.c""#).unwrap(),
        cmp(U::UserName, Op::Eq, text("a@b.c"))
    );
    // Microsoft Entra ID
    assert_eq!(
        users(r#"externalId eq "x""#).unwrap(),
        cmp(U::ExternalId, Op::Eq, text("x"))
    );
    assert_eq!(
        users(r#"userName eq "x""#).unwrap(),
        cmp(U::UserName, Op::Eq, text("x"))
    );
    assert_eq!(
        groups(r#"displayName eq "Sales""#).unwrap(),
        cmp(G::DisplayName, Op::Eq, text("Sales"))
    );
}

#[test]
fn numbers_compare_as_text() {
    assert_eq!(
        users("employeeNumber eq 701984").unwrap(),
        cmp(U::EmployeeNumber, Op::Eq, text("701984"))
    );
    refused("title eq true");
}

#[test]
fn every_user_attribute_resolves() {
    for (name, attr) in [
        ("id", U::Id),
        ("userName", U::UserName),
        ("externalId", U::ExternalId),
        ("name.givenName", U::GivenName),
        ("name.familyName", U::FamilyName),
        ("displayName", U::DisplayName),
        ("title", U::Title),
        ("emails", U::Email),
        ("emails.value", U::Email),
        ("active", U::Active),
        ("department", U::Department),
        ("employeeNumber", U::EmployeeNumber),
        ("organization", U::Organization),
        ("manager", U::Manager),
        ("manager.value", U::Manager),
        ("meta.created", U::Created),
        ("meta.lastModified", U::LastModified),
    ] {
        assert_eq!(
            users(&format!("{name} pr")).unwrap(),
            Cond::Present(attr),
            "{name}"
        );
    }
}

#[test]
fn unfilterable_attributes_are_named() {
    for name in [
        "password",
        "phoneNumbers",
        "phoneNumbers.value",
        "name.formatted",
        "name",
        "addresses",
        "groups",
        "nickName",
        "emails.display",
        "manager.displayName",
        "meta.resourceType",
        "members",
    ] {
        let d = refused(&format!(r#"{name} eq "x""#));
        assert!(
            d.contains(&format!("\"{name}\"")) && d.contains("not filterable"),
            "{d}"
        );
    }
    let d = refused(r#"password pr"#);
    assert!(d.contains("password"), "{d}");
    let d = refused(r#"emails[password eq "x"]"#);
    assert!(d.contains("emails.password"), "{d}");
    let d = refused(r#"emails.value[value eq "x"]"#);
    assert!(d.contains("emails.value[...]"), "{d}");
    let d = refused(r#"emails[value.x eq "x"]"#);
    assert!(d.contains("\"value.x\" inside \"emails[...]\""), "{d}");
}

#[test]
fn operators_outside_an_attribute_type_are_refused() {
    let d = refused("active co true");
    assert!(d.contains("\"co\"") && d.contains("\"active\""), "{d}");
    refused("active gt false");
    refused(r#"id sw "0""#);
    refused_group(r#"members gt "x""#);
}

#[test]
fn garbage_empty_and_long_filters_are_refused() {
    for f in [
        "",
        "   ",
        "garbage",
        "userName eq",
        r#"userName eq "x" and"#,
        r#"userName zz "x""#,
        r#"(userName eq "x""#,
        r#"userName eq "x")"#,
        "!!",
    ] {
        refused(f);
    }
    let d = refused(r#"  userName eq "x" )"#);
    assert!(d.contains("byte 18"), "{d}");
    let long = format!(r#"userName eq "{}""#, "a".repeat(FILTER_MAX));
    let d = refused(&long);
    assert!(d.contains(&FILTER_MAX.to_string()), "{d}");
    let just_fits = format!(r#"userName eq "{}""#, "a".repeat(FILTER_MAX - 14));
    assert_eq!(just_fits.len(), FILTER_MAX);
    assert!(users(&just_fits).is_ok());
}

#[test]
fn simplification() {
    let p = || Cond::Present(U::Title);
    assert_eq!(junction::<U>(true, vec![]), Cond::Always(true));
    assert_eq!(junction::<U>(false, vec![]), Cond::Always(false));
    assert_eq!(junction(true, vec![Cond::Always(true), p()]), p());
    assert_eq!(
        junction(true, vec![Cond::Always(false), p()]),
        Cond::Always(false)
    );
    assert_eq!(junction(false, vec![Cond::Always(false), p()]), p());
    assert_eq!(
        junction(false, vec![Cond::Always(true), p()]),
        Cond::Always(true)
    );
    assert_eq!(
        junction(true, vec![Cond::And(vec![p(), p()]), p()]),
        Cond::And(vec![p(), p(), p()])
    );
    assert_eq!(not::<U>(Cond::Always(true)), Cond::Always(false));
    assert_eq!(not(p()), Cond::Not(Box::new(p())));
}
