//! Every branch of PRODUCT §4, decided without a database: one table of cases, each a context,
//! the claims, and what the decision must be.
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::{domain::sign_in::claims::read_claims, error::ErrorCode};

const IDP: Uuid = Uuid::from_u128(1);
const KNOWN: Uuid = Uuid::from_u128(2);
const EXISTING: Uuid = Uuid::from_u128(3);
const DEFAULT: Uuid = Uuid::from_u128(4);
const OTHER_IDP: Uuid = Uuid::from_u128(5);

fn rules() -> Rules {
    Rules {
        auto_provision_learners: true,
        link_existing_contacts: true,
        update_attributes_on_login: false,
        update_roles_on_login: false,
        match_by: MatchBy::Email,
        company_match: CompanyMatch::Exact,
        default_account: None,
        default_role: "learner".into(),
        role_mappings: vec![("Staff".into(), "instructor".into())],
        attribute_map: AttributeMap::default(),
    }
}

fn person(id: Uuid, status: ContactStatus) -> Person {
    Person {
        id,
        status,
        attributes: ContactAttributes {
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            roles: vec!["learner".into()],
            username: None,
            org_defined_id: None,
        },
    }
}

fn context() -> Context {
    Context {
        rules: rules(),
        identity_provider_id: IDP,
        subject: "s1".into(),
        known: None,
        by_email: Lookup::NotLoaded,
        by_claim: Lookup::NotLoaded,
        default_account: Lookup::NotLoaded,
        company_account: Lookup::NotLoaded,
    }
}

fn known(status: ContactStatus) -> Context {
    Context {
        known: Some(person(KNOWN, status)),
        ..context()
    }
}

fn existing(status: ContactStatus, credentials: Vec<(Option<Uuid>, Option<String>)>) -> Context {
    Context {
        by_email: Lookup::Loaded(Some(Existing {
            person: person(EXISTING, status),
            credentials,
        })),
        ..context()
    }
}

fn nobody() -> Context {
    Context {
        by_email: Lookup::Loaded(None),
        ..context()
    }
}

fn account(id: Uuid, name: &str) -> AccountRef {
    AccountRef {
        id,
        name: name.into(),
    }
}

/// What a case expects, loosely enough to name just what the branch decides.
#[derive(Debug)]
enum Expect {
    SignIn(Option<Vec<&'static str>>),
    Link,
    Load(Need),
    Deny {
        reason: DenialReason,
        label: &'static str,
        code: ErrorCode,
        about: Option<Uuid>,
        discloses: bool,
    },
    Retry,
    Create(AccountAssignment, AccountChoice),
}

fn denied(
    reason: DenialReason,
    label: &'static str,
    about: Option<Uuid>,
    discloses: bool,
) -> Expect {
    Expect::Deny {
        reason,
        label,
        code: ErrorCode::Denied,
        about,
        discloses,
    }
}

fn check(name: &str, context: &Context, claims: Value, expect: Expect) {
    let claimed = read_claims(&claims, &context.rules.attribute_map).expect("claims");
    let got = decide(context, &claimed, &claims);
    let ok = match (&expect, &got) {
        (
            Expect::SignIn(changed),
            Decision::SignIn {
                update, contact, ..
            },
        ) => *contact == KNOWN && update.as_ref().map(|u| u.changed.clone()) == *changed,
        (Expect::Link, Decision::Link { contact, .. }) => *contact == EXISTING,
        (Expect::Load(need), Decision::Load(got)) => need == got,
        (
            Expect::Deny {
                reason,
                label,
                code,
                about,
                discloses,
            },
            Decision::Deny(refusal),
        ) => {
            refusal.reason == *reason
                && refusal.error.label.as_deref() == Some(*label)
                && refusal.error.code == *code
                && refusal.contact == *about
                && refusal.discloses_contact == *discloses
        }
        (Expect::Retry, Decision::Retry) => true,
        (Expect::Create(assignment, choice), Decision::Create { person, .. }) => {
            person.assignment == *assignment && person.account == *choice
        }
        _ => false,
    };
    assert!(ok, "{name}: expected {expect:?}, got {got:?}");
}

/// `c` with its rules changed by `change`.
fn ruled(mut c: Context, change: impl FnOnce(&mut Rules)) -> Context {
    change(&mut c.rules);
    c
}

#[test]
fn every_branch_of_the_sign_in_hook() {
    use ContactStatus::{Active, Inactive};
    use DenialReason::*;
    let ada = json!({"email": "ada@example.com", "given_name": "Ada"});
    let unverified = json!({"email": "ada@example.com", "email_verified": "false"});
    let updating = |c: Context| ruled(c, |r| r.update_attributes_on_login = true);
    let with_default = |c: Context| ruled(c, |r| r.default_account = Some(DEFAULT));
    let ours = vec![(Some(IDP), Some("s1".to_owned()))];
    let theirs = vec![(Some(OTHER_IDP), Some("x".to_owned()))];
    let acme = json!({"email": "new@example.com", "company": " Acme ", "roles": ["Staff"]});
    let hq = account(Uuid::from_u128(9), "Acme HQ");

    let cases: Vec<(&str, Context, Value, Expect)> = vec![
        // 2. A known credential.
        (
            "known, active",
            known(Active),
            ada.clone(),
            Expect::SignIn(None),
        ),
        (
            "known, inactive",
            known(Inactive),
            ada.clone(),
            denied(ContactInactive, "subject", Some(KNOWN), false),
        ),
        (
            "known, update on login changes the name",
            updating(known(Active)),
            json!({"given_name": "Augusta"}),
            Expect::SignIn(Some(vec!["firstName"])),
        ),
        (
            "known, update on login with nothing new",
            updating(known(Active)),
            ada.clone(),
            Expect::SignIn(None),
        ),
        (
            "known, an unverified email may not be written",
            updating(known(Active)),
            json!({"email": "boss@example.com", "email_verified": false}),
            denied(EmailUnverified, "claims.email_verified", Some(KNOWN), false),
        ),
        (
            "known, an unverified email that changes nothing",
            updating(known(Active)),
            unverified.clone(),
            Expect::SignIn(None),
        ),
        // 3 and 4 need a verified email.
        (
            "no email claim",
            context(),
            json!({"given_name": "Ada"}),
            Expect::Deny {
                reason: InvalidInput,
                label: "claims.email",
                code: ErrorCode::Blank,
                about: None,
                discloses: false,
            },
        ),
        (
            "unverified email, before any lookup",
            context(),
            unverified.clone(),
            denied(EmailUnverified, "claims.email_verified", None, false),
        ),
        (
            "the email is looked up folded",
            context(),
            json!({"email": "\u{212A}im@Example.com"}),
            Expect::Load(Need::ContactByEmail {
                email_folded: "kim@example.com".into(),
            }),
        ),
        // 3. A contact with the claimed email.
        ("link", existing(Active, vec![]), ada.clone(), Expect::Link),
        (
            "linking off",
            ruled(existing(Active, vec![]), |r| {
                r.link_existing_contacts = false
            }),
            ada.clone(),
            denied(LinkingDisabled, "claims.email", Some(EXISTING), true),
        ),
        (
            "the contact has another credential",
            existing(Active, theirs),
            ada.clone(),
            denied(ContactHasCredentials, "claims.email", Some(EXISTING), true),
        ),
        (
            "a concurrent call linked this subject",
            existing(Active, ours),
            ada.clone(),
            Expect::Retry,
        ),
        (
            "the contact is inactive",
            existing(Inactive, vec![]),
            ada.clone(),
            denied(ContactInactive, "claims.email", Some(EXISTING), true),
        ),
        // 4. Nobody.
        (
            "auto-provisioning off",
            ruled(nobody(), |r| r.auto_provision_learners = false),
            ada.clone(),
            denied(ProvisioningDisabled, "subject", None, true),
        ),
        (
            "the default account is loaded first",
            with_default(nobody()),
            acme.clone(),
            Expect::Load(Need::DefaultAccount(DEFAULT)),
        ),
        (
            "4.1 default account",
            Context {
                default_account: Lookup::Loaded(Some(account(DEFAULT, "Default"))),
                ..with_default(nobody())
            },
            acme.clone(),
            Expect::Create(
                AccountAssignment::DefaultAccount,
                AccountChoice::Existing(account(DEFAULT, "Default")),
            ),
        ),
        (
            "a vanished default account falls through to company match",
            Context {
                default_account: Lookup::Loaded(None),
                ..with_default(nobody())
            },
            acme.clone(),
            Expect::Load(Need::CompanyAccount {
                key: "Acme".into(),
                folded: false,
            }),
        ),
        (
            "a case-insensitive match looks the company up folded",
            ruled(nobody(), |r| {
                r.company_match = CompanyMatch::CaseInsensitive
            }),
            json!({"email": "new@example.com", "company": "ÉCOLE"}),
            Expect::Load(Need::CompanyAccount {
                key: "école".into(),
                folded: true,
            }),
        ),
        (
            "4.2 company match",
            Context {
                company_account: Lookup::Loaded(Some(hq.clone())),
                ..nobody()
            },
            acme.clone(),
            Expect::Create(AccountAssignment::CompanyMatch, AccountChoice::Existing(hq)),
        ),
        (
            "4.3 no company has accounts: individual account",
            Context {
                company_account: Lookup::Loaded(None),
                ..nobody()
            },
            json!({"email": "new@example.com", "given_name": "Grace", "family_name": "Hopper", "company": "Acme"}),
            Expect::Create(
                AccountAssignment::IndividualAccount,
                AccountChoice::Individual("Grace Hopper".into()),
            ),
        ),
        (
            "4.3 no company claim: individual account named by email",
            nobody(),
            json!({"email": "new@example.com"}),
            Expect::Create(
                AccountAssignment::IndividualAccount,
                AccountChoice::Individual("new@example.com".into()),
            ),
        ),
    ];
    for (name, context, claims, expect) in cases {
        check(name, &context, claims, expect);
    }
}

#[test]
fn a_new_contact_gets_mapped_roles_and_the_claimed_attributes() {
    let claims =
        json!({"email": "new@example.com", "family_name": "Hopper", "roles": ["Staff", "Other"]});
    let claimed = read_claims(&claims, &AttributeMap::default()).expect("claims");
    let Decision::Create { person, reason } = decide(&nobody(), &claimed, &claims) else {
        panic!("expected a new contact");
    };
    assert_eq!(person.roles, ["instructor"]);
    assert_eq!(person.changed, ["email", "lastName", "roles"]);
    assert_eq!(
        (person.first_name.as_str(), person.last_name.as_str()),
        ("", "Hopper")
    );
    assert_eq!(
        reason,
        "no default account and the claims carry no company name: new individual account"
    );
}

/// `c` matching by `by`, with seed 003's statement attributes mapped (Username, UserId).
fn matching(by: MatchBy, c: Context) -> Context {
    ruled(c, |r| {
        r.match_by = by;
        r.attribute_map.username = Some("Username".into());
        r.attribute_map.org_defined_id = Some("UserId".into());
    })
}

fn found(found: Found) -> Context {
    Context {
        by_claim: Lookup::Loaded(found),
        ..context()
    }
}

fn one(credentials: Vec<(Option<Uuid>, Option<String>)>) -> Found {
    Found::One(Existing {
        person: person(EXISTING, ContactStatus::Active),
        credentials,
    })
}

/// Seed 003: the User/Name ID mapping (`matchBy`), and roles refreshed apart from attributes.
#[test]
fn brightspace_matching_and_refreshing() {
    use DenialReason::*;
    use MatchBy::{OrgDefinedId, Subject, Username};
    let ada = json!({"email": "ada@example.com", "Username": "Ada.L", "UserId": "E-7"});
    let theirs = vec![(Some(OTHER_IDP), Some("x".to_owned()))];
    let by_email_too = |f: Found, existing_by_email: bool| Context {
        by_email: Lookup::Loaded(existing_by_email.then(|| Existing {
            person: person(EXISTING, ContactStatus::Active),
            credentials: vec![],
        })),
        ..found(f)
    };
    let cases: Vec<(&str, Context, Value, Expect)> = vec![
        (
            "by username, the claim is missing",
            matching(Username, context()),
            json!({"email": "ada@example.com"}),
            Expect::Deny {
                reason: InvalidInput,
                label: "claims.Username",
                code: ErrorCode::Blank,
                about: None,
                discloses: false,
            },
        ),
        (
            "by username, looked up folded",
            matching(Username, context()),
            ada.clone(),
            Expect::Load(Need::ContactByClaim {
                by: Username,
                key: "ada.l".into(),
            }),
        ),
        (
            "by orgDefinedId, looked up exactly",
            matching(OrgDefinedId, context()),
            json!({"email": "ada@example.com", "UserId": "e-7X"}),
            Expect::Load(Need::ContactByClaim {
                by: OrgDefinedId,
                key: "e-7X".into(),
            }),
        ),
        (
            "by username, one contact without credentials is linked",
            matching(Username, found(one(vec![]))),
            ada.clone(),
            Expect::Link,
        ),
        (
            "by username, without a verified email it is linked all the same",
            matching(Username, found(one(vec![]))),
            json!({"Username": "ada.l", "email_verified": false}),
            Expect::Link,
        ),
        (
            "by username, the contact has another credential",
            matching(Username, found(one(theirs.clone()))),
            ada.clone(),
            denied(
                ContactHasCredentials,
                "claims.Username",
                Some(EXISTING),
                true,
            ),
        ),
        (
            "by orgDefinedId, linking off",
            ruled(matching(OrgDefinedId, found(one(vec![]))), |r| {
                r.link_existing_contacts = false
            }),
            ada.clone(),
            denied(LinkingDisabled, "claims.UserId", Some(EXISTING), true),
        ),
        (
            "by username, several contacts hold it",
            matching(Username, found(Found::Several)),
            ada.clone(),
            denied(MatchAmbiguous, "claims.Username", None, true),
        ),
        (
            "by username, nobody holds it: the email is looked up",
            matching(Username, found(Found::Nobody)),
            ada.clone(),
            Expect::Load(Need::ContactByEmail {
                email_folded: "ada@example.com".into(),
            }),
        ),
        (
            "by username, nobody holds it and another contact has the email",
            matching(Username, by_email_too(Found::Nobody, true)),
            ada.clone(),
            denied(LinkingDisabled, "claims.email", Some(EXISTING), true),
        ),
        (
            "by username, nobody holds it nor the email: a new contact",
            matching(Username, by_email_too(Found::Nobody, false)),
            ada.clone(),
            Expect::Create(
                AccountAssignment::IndividualAccount,
                AccountChoice::Individual("ada@example.com".into()),
            ),
        ),
        (
            "by subject, a contact with the email is not linked",
            matching(Subject, existing(ContactStatus::Active, vec![])),
            ada.clone(),
            denied(LinkingDisabled, "claims.email", Some(EXISTING), true),
        ),
        (
            "by subject, nobody: a new contact",
            matching(Subject, nobody()),
            ada.clone(),
            Expect::Create(
                AccountAssignment::IndividualAccount,
                AccountChoice::Individual("ada@example.com".into()),
            ),
        ),
        (
            "a known credential signs in first, whatever the match",
            matching(Username, known(ContactStatus::Active)),
            json!({}),
            Expect::SignIn(None),
        ),
        (
            "roles refreshed, attributes not",
            ruled(known(ContactStatus::Active), |r| {
                r.update_roles_on_login = true
            }),
            json!({"given_name": "Augusta", "roles": ["Staff"]}),
            Expect::SignIn(Some(vec!["roles"])),
        ),
        (
            "attributes refreshed, roles not",
            ruled(known(ContactStatus::Active), |r| {
                r.update_attributes_on_login = true
            }),
            json!({"given_name": "Augusta", "roles": ["Staff"]}),
            Expect::SignIn(Some(vec!["firstName"])),
        ),
        (
            "the mapped username and orgDefinedId are refreshed as attributes",
            matching(
                Username,
                ruled(known(ContactStatus::Active), |r| {
                    r.update_attributes_on_login = true
                }),
            ),
            ada.clone(),
            Expect::SignIn(Some(vec!["username", "orgDefinedId"])),
        ),
    ];
    for (name, context, claims, expect) in cases {
        check(name, &context, claims, expect);
    }
}

#[test]
fn a_new_contact_keeps_its_username_and_org_defined_id() {
    let claims = json!({"email": "new@example.com", "Username": "grace.h", "UserId": "E-9"});
    let context = matching(MatchBy::Email, nobody());
    let claimed = read_claims(&claims, &context.rules.attribute_map).expect("claims");
    let Decision::Create { person, .. } = decide(&context, &claimed, &claims) else {
        panic!("expected a new contact");
    };
    assert_eq!(person.username.as_deref(), Some("grace.h"));
    assert_eq!(person.org_defined_id.as_deref(), Some("E-9"));
    assert_eq!(
        person.changed,
        ["email", "roles", "username", "orgDefinedId"]
    );
}
