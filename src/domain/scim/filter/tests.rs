use std::fmt::Debug;

use super::*;
use GroupAttr as G;
use UserAttr as U;
use chrono::{TimeZone, Utc};

type Parse<A> = fn(&str) -> Result<Cond<A>, ScimError>;

fn text(s: &str) -> Literal {
    Literal::Text(s.into())
}

fn cmp<A>(a: A, op: Op, lit: Literal) -> Cond<A> {
    Cond::Compare(a, op, lit)
}

/// `a eq "s"`.
fn eq<A>(a: A, s: &str) -> Cond<A> {
    cmp(a, Op::Eq, text(s))
}

fn is<A>(a: A, b: bool) -> Cond<A> {
    cmp(a, Op::Eq, Literal::Bool(b))
}

fn absent<A>(a: A) -> Cond<A> {
    Cond::Not(Box::new(Cond::Present(a)))
}

/// The resource whose filters are over `Self`, by its parser.
trait Filtered: Sized + Debug + PartialEq {
    const PARSE: Parse<Self>;
}

impl Filtered for UserAttr {
    const PARSE: Parse<Self> = users;
}

impl Filtered for GroupAttr {
    const PARSE: Parse<Self> = groups;
}

/// Each filter parses to its condition.
fn parses<A: Filtered>(cases: &[(&str, Cond<A>)]) {
    for (f, want) in cases {
        assert_eq!(&A::PARSE(f).expect(f), want, "{f}");
    }
}

/// The detail of a refused filter, after checking it is an invalidFilter.
fn refused_by<A: Debug>(parse: Parse<A>, f: &str) -> String {
    let e = parse(f).expect_err(f);
    assert_eq!(e.status, 400, "{f}");
    assert_eq!(
        e.scim_type,
        Some(super::super::ScimType::InvalidFilter),
        "{f}"
    );
    e.detail
}

fn refused(f: &str) -> String {
    refused_by(users, f)
}

fn refused_group(f: &str) -> String {
    refused_by(groups, f)
}

#[test]
fn every_operator_on_text() {
    for op in [
        Op::Eq,
        Op::Ne,
        Op::Co,
        Op::Sw,
        Op::Ew,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
    ] {
        let f = format!("title {op} \"Eng\"");
        assert_eq!(users(&f).unwrap(), cmp(U::Title, op, text("Eng")), "{f}");
    }
}

#[test]
fn date_time_operators_and_values() {
    let t = Utc.with_ymd_and_hms(2024, 1, 31, 10, 0, 0).unwrap();
    for op in [Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le] {
        let f = format!("meta.lastModified {op} \"2024-01-31T12:00:00+02:00\"");
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
            eq(U::Title, "a"),
            Cond::And(vec![eq(U::Title, "b"), is(U::Active, true)]),
        ])
    );
}

#[test]
fn parentheses_and_not_group() {
    assert_eq!(
        users(r#"(title eq "a" or title eq "b") and not (active eq true)"#).unwrap(),
        Cond::And(vec![
            Cond::Or(vec![eq(U::Title, "a"), eq(U::Title, "b")]),
            Cond::Not(Box::new(is(U::Active, true))),
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
            eq(U::EmailType, "work"),
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
            is(U::Active, true),
        ])
    );
}

#[test]
fn constants_are_folded() {
    // `emails.type` and `emails.primary` are stored (the contact's element's): compared
    // in the database, not here.
    parses(&[
        (r#"emails[type eq "home"]"#, eq(U::EmailType, "home")),
        (r#"emails[primary eq true]"#, is(U::EmailPrimary, true)),
    ]);
    parses(&[
        (r#"members[type eq "user"]"#, Cond::Present(G::Member)),
        (r#"members.type eq "Group""#, Cond::Always(false)),
    ]);
    refused(r#"emails[primary co "t"]"#);
}

#[test]
fn urn_prefixed_names() {
    let core = "urn:ietf:params:scim:schemas:core:2.0";
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0";
    parses(&[
        (
            &format!(r#"{core}:User:userName eq "bjensen""#),
            eq(U::UserName, "bjensen"),
        ),
        (
            &format!(r#"{core}:User:name.familyName sw "J""#),
            cmp(U::FamilyName, Op::Sw, text("J")),
        ),
        (
            &format!(r#"{enterprise}:User:manager.value eq "m-1""#),
            eq(U::Manager, "m-1"),
        ),
        (
            r#"URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:Department eq "R&D""#,
            eq(U::Department, "R&D"),
        ),
        (
            &format!(r#"{core}:User:emails[value eq "a@b.c"]"#),
            eq(U::Email, "a@b.c"),
        ),
    ]);
    parses(&[(
        &format!(r#"{core}:Group:displayName eq "Ops""#),
        eq(G::DisplayName, "Ops"),
    )]);
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
    parses(&[
        (
            r#"USERNAME EQ "Bob" AND Name.GivenName Sw "b" Or NOT (ACTIVE Eq false)"#,
            Cond::Or(vec![
                Cond::And(vec![
                    eq(U::UserName, "Bob"),
                    cmp(U::GivenName, Op::Sw, text("b")),
                ]),
                Cond::Not(Box::new(is(U::Active, false))),
            ]),
        ),
        ("EMAILS PR", Cond::Present(U::Email)),
        // Literal text is left as sent.
        (r#"Emails[Value Eq "A@B.C"]"#, eq(U::Email, "A@B.C")),
    ]);
    parses(&[("Members.Value pr", Cond::Present(G::Member))]);
}

#[test]
fn null_and_present() {
    parses(&[
        ("title eq null", absent(U::Title)),
        ("title ne null", Cond::Present(U::Title)),
        ("title pr", Cond::Present(U::Title)),
        ("emails.type eq null", absent(U::EmailType)),
        ("id eq null", absent(U::Id)),
    ]);
    let d = refused("title gt null");
    assert!(d.contains("title") && d.contains("null"), "{d}");
}

#[test]
fn booleans_are_lenient() {
    parses(&[
        ("active eq true", is(U::Active, true)),
        (r#"active eq "True""#, is(U::Active, true)),
        (r#"active eq "FALSE""#, is(U::Active, false)),
        (
            r#"active ne "false""#,
            cmp(U::Active, Op::Ne, Literal::Bool(false)),
        ),
    ]);
    refused(r#"active eq "yes""#);
    refused("active eq 1");
}

#[test]
fn ids_that_are_not_uuids_match_nothing() {
    let id = uuid::Uuid::now_v7();
    let upper = id.to_string().to_uppercase();
    parses(&[
        (
            &format!(r#"id eq "{id}""#),
            cmp(U::Id, Op::Eq, Literal::Id(id)),
        ),
        (
            &format!(r#"id ne "{upper}""#),
            cmp(U::Id, Op::Ne, Literal::Id(id)),
        ),
        (r#"id eq "bjensen""#, Cond::Always(false)),
        (r#"id ne "bjensen""#, Cond::Always(true)),
        (&format!(r#"id eq "{}""#, id.simple()), Cond::Always(false)),
        (r#"id eq "nope" or userName eq "x""#, eq(U::UserName, "x")),
        (r#"id eq "nope" and userName eq "x""#, Cond::Always(false)),
    ]);
    refused("id eq 42");
    let d = refused(&format!(r#"id gt "{id}""#));
    assert!(d.contains("\"gt\"") && d.contains("\"id\""), "{d}");
}

#[test]
fn group_member_lookup() {
    let id = uuid::Uuid::now_v7();
    let member = || cmp(G::Member, Op::Eq, Literal::Id(id));
    parses(&[
        (&format!(r#"members[value eq "{id}"]"#), member()),
        (
            &format!(r#"displayName eq "Ops" and members.value eq "{id}""#),
            Cond::And(vec![eq(G::DisplayName, "Ops"), member()]),
        ),
        (r#"members eq "not-an-id""#, Cond::Always(false)),
        (r#"externalId eq "g-1""#, eq(G::ExternalId, "g-1")),
    ]);
    let d = refused_group(r#"members[display eq "Bob"]"#);
    assert!(d.contains("members.display"), "{d}");
    refused_group(r#"members co "a""#);
    refused_group(r#"userName eq "x""#);
}

#[test]
fn identity_provider_lookups() {
    parses(&[
        // Okta
        (r#"userName eq "a@b.c""#, eq(U::UserName, "a@b.c")),
        // Microsoft Entra ID
        (r#"externalId eq "x""#, eq(U::ExternalId, "x")),
        (r#"userName eq "x""#, eq(U::UserName, "x")),
    ]);
    parses(&[(r#"displayName eq "Sales""#, eq(G::DisplayName, "Sales"))]);
}

#[test]
fn numbers_compare_as_text() {
    parses(&[("employeeNumber eq 701984", eq(U::EmployeeNumber, "701984"))]);
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
    for (f, says) in [
        (r#"password pr"#, "password"),
        (r#"emails[password eq "x"]"#, "emails.password"),
        (r#"emails.value[value eq "x"]"#, "emails.value[...]"),
        (
            r#"emails[value.x eq "x"]"#,
            "\"value.x\" inside \"emails[...]\"",
        ),
    ] {
        let d = refused(f);
        assert!(d.contains(says), "{d}");
    }
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
    for (all, items, want) in [
        (true, vec![], Cond::Always(true)),
        (false, vec![], Cond::Always(false)),
        (true, vec![Cond::Always(true), p()], p()),
        (true, vec![Cond::Always(false), p()], Cond::Always(false)),
        (false, vec![Cond::Always(false), p()], p()),
        (false, vec![Cond::Always(true), p()], Cond::Always(true)),
        (
            true,
            vec![Cond::And(vec![p(), p()]), p()],
            Cond::And(vec![p(), p(), p()]),
        ),
    ] {
        assert_eq!(junction(all, items.clone()), want, "{all} {items:?}");
    }
    assert_eq!(not::<U>(Cond::Always(true)), Cond::Always(false));
    assert_eq!(not(p()), Cond::Not(Box::new(p())));
}
