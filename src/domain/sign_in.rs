//! Signing in (PRODUCT §4) as a pure function: [`decide`] reads a [`Context`] and says what to
//! do, or what it needs to know first. The service loads what is asked for, calls again, and
//! persists the final decision; nothing here does I/O. The claims are read by [`claims`].
use serde_json::Value;
use uuid::Uuid;

use self::claims::{
    Attributes, ContactAttributes, EMAIL_VERIFIED, Refreshed, individual_account_name, map_roles,
    refresh, required_email,
};
use super::{
    configuration::{AttributeMap, CompanyMatch, MatchBy},
    stored::{AccountAssignment, ContactStatus},
    validate,
};
use crate::{domain::stored::StoredEnum, error::FieldError};

/// The configuration of (brand, IdP), as the decision reads it.
#[derive(Clone, Debug)]
pub struct Rules {
    pub auto_provision_learners: bool,
    pub link_existing_contacts: bool,
    pub update_attributes_on_login: bool,
    /// Apart from attributes (seed 003); a configuration that never set it follows
    /// `update_attributes_on_login`.
    pub update_roles_on_login: bool,
    /// Which claim finds an existing contact without a credential of the subject.
    pub match_by: MatchBy,
    pub company_match: CompanyMatch,
    pub default_account: Option<Uuid>,
    pub default_role: String,
    /// (provider role, platform role).
    pub role_mappings: Vec<(String, String)>,
    pub attribute_map: AttributeMap,
}

/// A contact, as the decision reads it.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: Uuid,
    pub status: ContactStatus,
    pub attributes: ContactAttributes,
}

/// The contact that has the claimed email, and its credentials as (IdP, subject).
#[derive(Clone, Debug)]
pub struct Existing {
    pub person: Person,
    pub credentials: Vec<(Option<Uuid>, Option<String>)>,
}

/// The contacts holding the Username or OrgDefinedId a configuration matches by.
#[derive(Clone, Debug)]
pub enum Found {
    Nobody,
    One(Existing),
    /// More than one: the claim cannot say which, so none is linked.
    Several,
}

/// An account the decision may choose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRef {
    pub id: Uuid,
    pub name: String,
}

/// Something the decision may need loaded: not asked yet, or the answer.
#[derive(Clone, Debug, Default)]
pub enum Lookup<T> {
    #[default]
    NotLoaded,
    Loaded(T),
}

/// Everything the decision reads.
#[derive(Clone, Debug)]
pub struct Context {
    pub rules: Rules,
    pub identity_provider_id: Uuid,
    pub subject: String,
    /// The contact of the (IdP, subject) credential, if there is one.
    pub known: Option<Person>,
    pub by_email: Lookup<Option<Existing>>,
    /// By the claim `matchBy` names, when it is the Username or the OrgDefinedId.
    pub by_claim: Lookup<Found>,
    pub default_account: Lookup<Option<AccountRef>>,
    pub company_account: Lookup<Option<AccountRef>>,
}

/// What the decision needs loaded before it can go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// The contact whose email folds to this, locked, with its credentials.
    ContactByEmail { email_folded: String },
    /// The contacts whose Username (`key` folded) or OrgDefinedId (`key` exact) it is, the one
    /// found locked, with its credentials.
    ContactByClaim { by: MatchBy, key: String },
    /// The configuration's default account.
    DefaultAccount(Uuid),
    /// The first account of the oldest company named `key` (compared folded, or exactly).
    CompanyAccount { key: String, folded: bool },
}

/// Why a sign-in was denied, for machines: clients, tests and metrics tell denials apart
/// by this, never by the message. The GraphQL `SignInDenialReason` describes each to clients;
/// here they are ordered by where they arise.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DenialReason {
    /// A bad ID or subject (the service's checks), a bad claim ([`claims::read_claims`]), or
    /// no email where [`decide`] needs one.
    InvalidInput,
    /// The service finds no configuration of (brand, IdP).
    NotConfigured,
    /// The service, about to create a contact (step 4), finds another contact whose email has
    /// the same confusable skeleton.
    EmailConfusable,
    /// Steps 2 and 3.
    ContactInactive,
    /// Steps 3 and 4, or an update on login that would write the email.
    EmailUnverified,
    /// Step 3.
    LinkingDisabled,
    /// Step 3.
    ContactHasCredentials,
    /// Step 3 by Username or OrgDefinedId: more than one contact holds it.
    MatchAmbiguous,
    /// Step 4.
    ProvisioningDisabled,
    /// The configuration requires a signed proof and the call sent bare claims (§4.1).
    ProofRequired,
    /// The signed proof failed a check (which one is logged on the event).
    ProofInvalid,
    /// The signed proof was accepted before.
    ProofReplayed,
}

impl DenialReason {
    /// The code as clients see it (the GraphQL enum value), for logs and metrics.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalidInput",
            Self::NotConfigured => "notConfigured",
            Self::EmailConfusable => "emailConfusable",
            Self::ContactInactive => "contactInactive",
            Self::EmailUnverified => "emailUnverified",
            Self::LinkingDisabled => "linkingDisabled",
            Self::ContactHasCredentials => "contactHasCredentials",
            Self::MatchAmbiguous => "matchAmbiguous",
            Self::ProvisioningDisabled => "provisioningDisabled",
            Self::ProofRequired => "proofRequired",
            Self::ProofInvalid => "proofInvalid",
            Self::ProofReplayed => "proofReplayed",
        }
    }
}

/// Why a sign-in is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: DenialReason,
    pub error: FieldError,
    /// The contact the refusal is about, for the provisioning log.
    pub contact: Option<Uuid>,
    /// The text tells whether a contact has the claimed email.
    pub discloses_contact: bool,
}

/// The attributes an update on login writes, and their names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub next: ContactAttributes,
    pub changed: Vec<&'static str>,
}

/// Where a new contact goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountChoice {
    Existing(AccountRef),
    /// A new individual account with this name.
    Individual(String),
}

/// A contact to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPerson {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<String>,
    pub username: Option<String>,
    pub org_defined_id: Option<String>,
    pub account: AccountChoice,
    pub assignment: AccountAssignment,
    pub changed: Vec<&'static str>,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Load(Need),
    Deny(Refusal),
    /// The known contact signs in.
    SignIn {
        contact: Uuid,
        update: Option<Update>,
        reason: &'static str,
    },
    /// The contact found by the claimed email (or the claim `matchBy` names) gets this SSO
    /// credential.
    Link {
        contact: Uuid,
        update: Option<Update>,
        reason: &'static str,
    },
    Create {
        person: NewPerson,
        reason: String,
    },
    /// A concurrent call committed this subject's credential after it was looked up: decide
    /// again from the start.
    Retry,
}

impl Refusal {
    /// A refusal for `reason` with a `denied` error.
    pub fn new(reason: DenialReason, label: &str, message: &str, value: Option<&str>) -> Self {
        Self::of(
            reason,
            FieldError::new(label, crate::error::ErrorCode::Denied, message, value),
        )
    }

    pub fn of(reason: DenialReason, error: FieldError) -> Self {
        Self {
            reason,
            error,
            contact: None,
            discloses_contact: false,
        }
    }

    pub fn about(mut self, contact: Uuid) -> Self {
        self.contact = Some(contact);
        self
    }

    pub fn disclosing(mut self) -> Self {
        self.discloses_contact = true;
        self
    }
}

fn inactive(label: &str, value: &str) -> Refusal {
    Refusal::new(
        DenialReason::ContactInactive,
        label,
        "the contact is inactive; an administrator must reactivate it before it can sign in",
        Some(value),
    )
}

/// Email trust (PRODUCT §4): an email the IdP did not clearly verify is never linked, never
/// given to a new contact and never written by an update on login.
fn unverified(claims: &Value) -> Refusal {
    let sent = claims
        .get(EMAIL_VERIFIED)
        .map(Value::to_string)
        .unwrap_or_default();
    Refusal::new(
        DenialReason::EmailUnverified,
        &format!("claims.{EMAIL_VERIFIED}"),
        "the identity provider does not say the email is verified, so it is not trusted to link \
         or provision a contact, nor to change a contact's email",
        Some(&sent),
    )
}

/// An update on login, when the configuration asks for one and something changes.
fn update_on_login(
    rules: &Rules,
    person: &Person,
    claimed: &Attributes,
    claims: &Value,
) -> Result<Option<Update>, Refusal> {
    let refreshed = Refreshed {
        attributes: rules.update_attributes_on_login,
        roles: rules.update_roles_on_login,
    };
    if !refreshed.attributes && !refreshed.roles {
        return Ok(None);
    }
    let (next, changed) = refresh(
        &person.attributes,
        claimed,
        refreshed,
        &rules.role_mappings,
        &rules.default_role,
    );
    if changed.is_empty() {
        return Ok(None);
    }
    if !claimed.email_verified && changed.contains(&"email") {
        return Err(unverified(claims).about(person.id));
    }
    Ok(Some(Update { next, changed }))
}

/// Decides a sign-in over `context`, with the claims as read (`claimed`) and as sent.
pub fn decide(context: &Context, claimed: &Attributes, claims: &Value) -> Decision {
    decide_or_refuse(context, claimed, claims).unwrap_or_else(Decision::Deny)
}

fn decide_or_refuse(
    context: &Context,
    claimed: &Attributes,
    claims: &Value,
) -> Result<Decision, Refusal> {
    let rules = &context.rules;
    // 2. A known credential: that contact signs in.
    if let Some(person) = &context.known {
        if person.status == ContactStatus::Inactive {
            return Err(inactive("subject", &context.subject).about(person.id));
        }
        return Ok(Decision::SignIn {
            contact: person.id,
            update: update_on_login(rules, person, claimed, claims)?,
            reason: "signed in with an existing credential; the account is unchanged",
        });
    }

    // 3, by the Username or the OrgDefinedId: the contact that holds the claimed one.
    if let Some(decided) = match_by_claim(context, claimed, claims)? {
        return Ok(decided);
    }

    // 3 and 4 trust the email: without a verified one, stop before looking it up, so the
    // answer is the same whether a contact has it or not.
    let map = &rules.attribute_map;
    let email = required_email(claimed, map)
        .map_err(|error| Refusal::of(DenialReason::InvalidInput, error))?;
    if !claimed.email_verified {
        return Err(unverified(claims));
    }

    // 3. A contact with the claimed email: link it, or say why not.
    let existing = match &context.by_email {
        Lookup::NotLoaded => {
            return Ok(Decision::Load(Need::ContactByEmail {
                email_folded: validate::fold(&email),
            }));
        }
        Lookup::Loaded(existing) => existing,
    };
    if let Some(existing) = existing {
        let found_by = Key {
            label: format!("claims.{}", map.email),
            value: &email,
            by: MatchBy::Email,
        };
        if rules.match_by != MatchBy::Email {
            // The address is that contact's: a new contact cannot have it too, and this
            // configuration does not say that it is the same person.
            return Err(Refusal::new(
                DenialReason::LinkingDisabled,
                &found_by.label,
                &format!(
                    "a contact with this email already exists, and this configuration matches \
                     contacts by {} (matchBy), not by email",
                    rules.match_by.as_str()
                ),
                Some(&email),
            )
            .about(existing.person.id)
            .disclosing());
        }
        return link(context, existing, claimed, claims, &found_by);
    }

    // 4. Nobody: provision, if the configuration allows it.
    if !rules.auto_provision_learners {
        return Err(Refusal::new(
            DenialReason::ProvisioningDisabled,
            "subject",
            "no contact has this subject or email, and auto-provisioning of learners is off \
             for this brand and identity provider",
            Some(&context.subject),
        )
        .disclosing());
    }
    provision(context, claimed, email)
}

/// The claim a contact was found by: its label in errors, its value and what it is.
struct Key<'a> {
    label: String,
    value: &'a str,
    by: MatchBy,
}

/// Step 3 when the configuration matches by the Username or the OrgDefinedId: link the one
/// contact that holds the claimed value, refuse when several do, or `None` when nobody does
/// (a new contact is then provisioned, by the email as ever).
fn match_by_claim(
    context: &Context,
    claimed: &Attributes,
    claims: &Value,
) -> Result<Option<Decision>, Refusal> {
    let map = &context.rules.attribute_map;
    let by = context.rules.match_by;
    let (claim, value) = match by {
        MatchBy::Subject | MatchBy::Email => return Ok(None),
        MatchBy::Username => (&map.username, &claimed.username),
        MatchBy::OrgDefinedId => (&map.org_defined_id, &claimed.org_defined_id),
    };
    let noun = by.as_str();
    // The configuration's check keeps the claim mapped; a missing map is a missing claim.
    let claim = claim.as_deref().unwrap_or(noun);
    let label = format!("claims.{claim}");
    let Some(value) = value else {
        return Err(Refusal::of(
            DenialReason::InvalidInput,
            FieldError::new(
                &label,
                crate::error::ErrorCode::Blank,
                format!(
                    "this configuration finds contacts by {noun} (matchBy), and the `{claim}` \
                     claim is missing"
                ),
                None,
            ),
        ));
    };
    let found = match &context.by_claim {
        Lookup::NotLoaded => {
            let key = match by {
                MatchBy::Username => validate::fold(value),
                _ => value.clone(),
            };
            return Ok(Some(Decision::Load(Need::ContactByClaim { by, key })));
        }
        Lookup::Loaded(found) => found,
    };
    let key = Key { label, value, by };
    match found {
        Found::Nobody => Ok(None),
        Found::One(existing) => link(context, existing, claimed, claims, &key).map(Some),
        Found::Several => Err(Refusal::new(
            DenialReason::MatchAmbiguous,
            &key.label,
            &format!(
                "more than one contact has this {noun}, so the sign-in cannot tell which one \
                 it is; an administrator must give it to one contact only"
            ),
            Some(value),
        )
        .disclosing()),
    }
}

fn link(
    context: &Context,
    existing: &Existing,
    claimed: &Attributes,
    claims: &Value,
    key: &Key<'_>,
) -> Result<Decision, Refusal> {
    let person = &existing.person;
    let (label, noun) = (&key.label, key.by.as_str());
    let refuse_link = |reason: DenialReason, message: &str| {
        Refusal::new(reason, label, message, Some(key.value))
            .about(person.id)
            .disclosing()
    };
    if !context.rules.link_existing_contacts {
        return Err(refuse_link(
            DenialReason::LinkingDisabled,
            &format!(
                "a contact with this {noun} already exists, and this configuration does not \
                 link existing contacts (linkExistingContacts is off)"
            ),
        ));
    }
    let ours = existing.credentials.iter().any(|(idp, subject)| {
        *idp == Some(context.identity_provider_id) && subject.as_deref() == Some(&context.subject)
    });
    if ours {
        return Ok(Decision::Retry);
    }
    if !existing.credentials.is_empty() {
        return Err(refuse_link(
            DenialReason::ContactHasCredentials,
            &format!(
                "a contact with this {noun} exists and already has {} sign-in credential(s); \
                 only a contact without credentials is linked automatically",
                existing.credentials.len()
            ),
        ));
    }
    if person.status == ContactStatus::Inactive {
        return Err(inactive(label, key.value).about(person.id).disclosing());
    }
    let reason = match key.by {
        MatchBy::Username => {
            "linked to the existing contact with this username, which had no credentials; \
             the account is unchanged"
        }
        MatchBy::OrgDefinedId => {
            "linked to the existing contact with this orgDefinedId, which had no credentials; \
             the account is unchanged"
        }
        MatchBy::Email | MatchBy::Subject => {
            "linked to the existing contact with this email, which had no credentials; \
             the account is unchanged"
        }
    };
    Ok(Decision::Link {
        contact: person.id,
        update: update_on_login(&context.rules, person, claimed, claims)?,
        reason,
    })
}

fn provision(context: &Context, claimed: &Attributes, email: String) -> Result<Decision, Refusal> {
    let rules = &context.rules;
    let first_name = claimed.first_name.clone().unwrap_or_default();
    let last_name = claimed.last_name.clone().unwrap_or_default();
    let (account, assignment, reason) = match choose_account(
        &context.rules,
        &context.default_account,
        &context.company_account,
        claimed.company_name.as_deref(),
        NewName {
            first: &first_name,
            last: &last_name,
            email: &email,
        },
    ) {
        Ok(chosen) => chosen,
        Err(need) => return Ok(Decision::Load(need)),
    };
    let roles = map_roles(
        claimed.roles.as_deref().unwrap_or_default(),
        &rules.role_mappings,
        &rules.default_role,
    );
    let mut changed = vec!["email"];
    if claimed.first_name.is_some() {
        changed.push("firstName");
    }
    if claimed.last_name.is_some() {
        changed.push("lastName");
    }
    changed.push("roles");
    if claimed.username.is_some() {
        changed.push("username");
    }
    if claimed.org_defined_id.is_some() {
        changed.push("orgDefinedId");
    }
    Ok(Decision::Create {
        person: NewPerson {
            email,
            first_name,
            last_name,
            roles,
            username: claimed.username.clone(),
            org_defined_id: claimed.org_defined_id.clone(),
            account,
            assignment,
            changed,
        },
        reason,
    })
}

/// Who a new contact is, as an individual account is named after them.
#[derive(Copy, Clone, Debug)]
pub struct NewName<'a> {
    pub first: &'a str,
    pub last: &'a str,
    pub email: &'a str,
}

/// Default account, then company match, then a new individual account; or what must be
/// loaded to tell. The sign-in hook and SCIM provisioning both place new contacts by it.
pub fn choose_account(
    rules: &Rules,
    default_account: &Lookup<Option<AccountRef>>,
    company_account: &Lookup<Option<AccountRef>>,
    company_name: Option<&str>,
    name: NewName<'_>,
) -> Result<(AccountChoice, AccountAssignment, String), Need> {
    if let Some(id) = rules.default_account {
        match default_account {
            Lookup::NotLoaded => return Err(Need::DefaultAccount(id)),
            Lookup::Loaded(Some(account)) => {
                let reason = format!("default account of the configuration ({})", account.name);
                return Ok((
                    AccountChoice::Existing(account.clone()),
                    AccountAssignment::DefaultAccount,
                    reason,
                ));
            }
            Lookup::Loaded(None) => {}
        }
    }
    let no_match = match company_name {
        Some(company) => {
            let folded = rules.company_match == CompanyMatch::CaseInsensitive;
            match company_account {
                Lookup::NotLoaded => {
                    let key = if folded {
                        validate::fold(company)
                    } else {
                        company.trim().to_owned()
                    };
                    return Err(Need::CompanyAccount { key, folded });
                }
                Lookup::Loaded(Some(account)) => {
                    let reason = format!(
                        "no default account; first account ({}) of the oldest company named \
                         {company:?} with accounts ({} match)",
                        account.name,
                        if folded { "case-insensitive" } else { "exact" }
                    );
                    return Ok((
                        AccountChoice::Existing(account.clone()),
                        AccountAssignment::CompanyMatch,
                        reason,
                    ));
                }
                Lookup::Loaded(None) => format!("no company named {company:?} has accounts"),
            }
        }
        None => "the claims carry no company name".to_owned(),
    };
    Ok((
        AccountChoice::Individual(individual_account_name(name.first, name.last, name.email)),
        AccountAssignment::IndividualAccount,
        format!("no default account and {no_match}: new individual account"),
    ))
}

pub(crate) mod claims;
#[cfg(test)]
mod tests;
