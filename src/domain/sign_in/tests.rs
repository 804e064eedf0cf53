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
