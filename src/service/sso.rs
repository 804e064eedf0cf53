//! The sign-in hook (PRODUCT §4): find or create the contact who just signed in through SSO,
//! choose its account, and log one provisioning event per call.
//!
//! All writes of a call are one transaction. A concurrent call that created the same contact
//! first makes ours fail on a unique constraint; the transaction is rolled back (so no orphan
//! individual account survives) and the call is decided again, now finding the credential.
use crate::domain::stored::{
    AccountAssignment, ContactStatus, CredentialKind, Outcome, StoredEnum,
};
use entity::{
    account, brand, contact, credential, identity_provider,
    identity_provider_configuration as configuration, provisioning_event,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbErr,
};
use serde_json::Value;
use uuid::Uuid;

use super::{configurations::attribute_map, now};
use crate::{
    db::{self, WriteGate, queries},
    domain::{
        configuration::CompanyMatch,
        id::{self, NodeKind},
        signin::{self, Attributes, ContactAttributes},
        validate,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
};

/// How many times a call is decided again after losing a race to a concurrent call.
const ATTEMPTS: usize = 3;

pub struct SignInInput<'a> {
    pub brand_id: &'a str,
    pub identity_provider_id: &'a str,
    pub subject: &'a str,
    pub claims: &'a Value,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Decide and write.
    Commit,
    /// Decide the same way and write nothing, not even the event.
    Preview,
}

#[derive(Debug)]
pub struct SignInResult {
    pub outcome: Outcome,
    pub account_assignment: Option<AccountAssignment>,
    pub contact: Option<contact::Model>,
    pub account: Option<account::Model>,
    pub changed_attributes: Vec<&'static str>,
    /// Why this outcome (and this account): the provisioning log's answer.
    pub reason: String,
    pub errors: Vec<FieldError>,
    /// The denial tells whether a contact has the claimed email; callers that may not know
    /// that (portal tokens) are shown [`neutral_denial`] instead.
    pub discloses_contact: bool,
}

/// The denial shown, instead of the real one, to a caller that may not learn whether a contact
/// has the claimed email: the same text whether there is one (which cannot be linked) or not
/// (and auto-provisioning is off). The provisioning event keeps the real reason.
pub fn neutral_denial(subject: &str) -> FieldError {
    FieldError::new(
        "subject",
        ErrorCode::Denied,
        "this sign-in is refused; the brand's administrators can see why in the provisioning log",
        Some(subject),
    )
}

/// The brand and IdP IDs of the input, once decoded; the event refers to them when they exist.
#[derive(Copy, Clone, Default)]
struct Scope {
    brand_id: Option<Uuid>,
    identity_provider_id: Option<Uuid>,
}

#[derive(Clone)]
struct Denial {
    scope: Scope,
    contact_id: Option<Uuid>,
    errors: Vec<FieldError>,
    discloses_contact: bool,
}

impl Denial {
    fn new(scope: Scope, label: &str, message: impl Into<String>, value: Option<&str>) -> Self {
        Self {
            scope,
            contact_id: None,
            errors: vec![FieldError::new(label, ErrorCode::Denied, message, value)],
            discloses_contact: false,
        }
    }

    fn invalid(scope: Scope, errors: Vec<FieldError>) -> Self {
        Self {
            scope,
            contact_id: None,
            errors,
            discloses_contact: false,
        }
    }

    fn about(mut self, contact: &contact::Model) -> Self {
        self.contact_id = Some(contact.id);
        self
    }

    /// Marks a denial whose text depends on whether a contact has the claimed email.
    fn disclosing(mut self) -> Self {
        self.discloses_contact = true;
        self
    }
}

/// Email trust (PRODUCT §4): an email the IdP did not clearly verify is never linked, never
/// given to a new contact and never written by an update on login.
fn unverified_email(scope: Scope, claims: &Value) -> Denial {
    let sent = claims
        .get(signin::EMAIL_VERIFIED)
        .map(Value::to_string)
        .unwrap_or_default();
    Denial::new(
        scope,
        &format!("claims.{}", signin::EMAIL_VERIFIED),
        "the identity provider does not say the email is verified, so it is not trusted to link \
         or provision a contact, nor to change a contact's email",
        Some(&sent),
    )
}

/// The configuration a sign-in is decided by, with its role mappings.
#[derive(Copy, Clone)]
struct Rules<'a> {
    configuration: &'a configuration::Model,
    role_mappings: &'a [(String, String)],
}

/// Why a decision did not complete.
enum Stop {
    Denied(Denial),
    /// A concurrent call won a race on a unique constraint: decide again.
    Race,
    Failed(AppError),
}

impl From<DbErr> for Stop {
    fn from(err: DbErr) -> Self {
        if db::is_unique_violation(&err) {
            Stop::Race
        } else {
            Stop::Failed(err.into())
        }
    }
}

/// Decides the sign-in and, unless previewing, writes it and its provisioning event.
pub async fn sign_in(
    db: &DatabaseConnection,
    gate: &WriteGate,
    input: &SignInInput<'_>,
    mode: Mode,
) -> AppResult<SignInResult> {
    for attempt in 1..=ATTEMPTS {
        let _turn = gate.turn().await;
        let txn = db::begin(db).await?;
        match decide(&txn, input).await {
            Ok((decided, scope)) => {
                if mode == Mode::Preview {
                    txn.rollback().await?;
                    return Ok(decided);
                }
                insert_event(&txn, input, scope, &decided).await?;
                txn.commit().await?;
                return Ok(decided);
            }
            Err(Stop::Denied(denial)) => {
                txn.rollback().await?;
                return deny(db, input, denial, mode).await;
            }
            Err(Stop::Race) => {
                txn.rollback().await?;
                tracing::info!(
                    attempt,
                    "sign-in lost a race to a concurrent call; deciding again"
                );
            }
            Err(Stop::Failed(e)) => {
                txn.rollback().await.ok();
                return Err(e);
            }
        }
    }
    Err(AppError::Internal(
        "sign-in kept conflicting with concurrent calls".into(),
    ))
}

/// Writes the denied event (outside the rolled-back decision) and shapes the result.
async fn deny(
    db: &DatabaseConnection,
    input: &SignInInput<'_>,
    denial: Denial,
    mode: Mode,
) -> AppResult<SignInResult> {
    let discloses_contact = denial.discloses_contact;
    let reason = denial
        .errors
        .iter()
        .map(|e| match &e.label {
            Some(label) => format!("{label}: {}", e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let result = SignInResult {
        outcome: Outcome::Denied,
        account_assignment: None,
        contact: None,
        account: None,
        changed_attributes: Vec::new(),
        reason,
        errors: denial.errors,
        discloses_contact,
    };
    if mode == Mode::Commit {
        // The event may name only a brand and IdP that exist (they are foreign keys).
        let mut scope = denial.scope;
        if let Some(id) = scope.brand_id
            && !queries::exists::<brand::Entity, _>(db, id).await?
        {
            scope.brand_id = None;
        }
        if let Some(id) = scope.identity_provider_id
            && !queries::exists::<identity_provider::Entity, _>(db, id).await?
        {
            scope.identity_provider_id = None;
        }
        insert_event_for(db, input, scope, &result, denial.contact_id).await?;
    }
    Ok(result)
}

async fn insert_event(
    txn: &DatabaseTransaction,
    input: &SignInInput<'_>,
    scope: Scope,
    decided: &SignInResult,
) -> Result<(), DbErr> {
    let contact_id = decided.contact.as_ref().map(|c| c.id);
    insert_event_for(txn, input, scope, decided, contact_id).await
}

async fn insert_event_for<Db: ConnectionTrait>(
    db: &Db,
    input: &SignInInput<'_>,
    scope: Scope,
    decided: &SignInResult,
    contact_id: Option<Uuid>,
) -> Result<(), DbErr> {
    // The subject is logged as sent, cut to the column's size if it was refused for length.
    let subject: String = input.subject.chars().take(signin::SUBJECT_MAX).collect();
    provisioning_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now()),
        brand_id: Set(scope.brand_id),
        identity_provider_id: Set(scope.identity_provider_id),
        subject: Set(subject),
        contact_id: Set(contact_id),
        account_id: Set(decided.account.as_ref().map(|a| a.id)),
        outcome: Set(decided.outcome.as_str().into()),
        account_assignment: Set(decided.account_assignment.map(|a| a.as_str().into())),
        changed_attributes: Set(Value::from(decided.changed_attributes.clone())),
        reason: Set(Some(decided.reason.clone())),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Decodes the input's IDs and subject; every problem is reported.
fn parse_input(input: &SignInInput<'_>) -> Result<(Uuid, Uuid, String), Denial> {
    let brand = id::decode(NodeKind::Brand, "brandId", input.brand_id);
    let idp = id::decode(
        NodeKind::IdentityProvider,
        "identityProviderId",
        input.identity_provider_id,
    );
    let subject = signin::subject(input.subject);
    let scope = Scope {
        brand_id: brand.as_ref().ok().copied(),
        identity_provider_id: idp.as_ref().ok().copied(),
    };
    match (brand, idp, subject) {
        (Ok(b), Ok(i), Ok(s)) => Ok((b, i, s)),
        (b, i, s) => Err(Denial::invalid(
            scope,
            [b.err(), i.err(), s.err()].into_iter().flatten().collect(),
        )),
    }
}

async fn decide(
    txn: &DatabaseTransaction,
    input: &SignInInput<'_>,
) -> Result<(SignInResult, Scope), Stop> {
    let (brand_id, idp_id, subject) = parse_input(input).map_err(Stop::Denied)?;
    let scope = Scope {
        brand_id: Some(brand_id),
        identity_provider_id: Some(idp_id),
    };
    let Some(context) = queries::sign_in_context(txn, brand_id, idp_id, &subject).await? else {
        return Err(Stop::Denied(Denial::new(
            scope,
            "identityProviderId",
            "this brand has no configuration for this identity provider, so it accepts no \
             sign-ins through it",
            Some(input.identity_provider_id),
        )));
    };
    let config = Rules {
        configuration: &context.configuration,
        role_mappings: &context.role_mappings,
    };
    let map = attribute_map(config.configuration);
    let claimed = signin::read_claims(input.claims, &map)
        .map_err(|errors| Stop::Denied(Denial::invalid(scope, errors)))?;
    let unverified = (!claimed.email_verified).then(|| unverified_email(scope, input.claims));

    // 2. A known credential: that contact signs in.
    if let Some(known) = context.known {
        let decided = returning(txn, config, &claimed, known, scope, unverified).await?;
        return Ok((decided, scope));
    }

    // 3 and 4 trust the email: without a verified one, stop before looking it up, so the
    // answer is the same whether a contact has it or not.
    let email = signin::required_email(&claimed, &map)
        .map_err(|e| Stop::Denied(Denial::invalid(scope, vec![e])))?;
    if let Some(denial) = unverified {
        return Err(Stop::Denied(denial));
    }

    // 3. A contact with the claimed email: link it, or say why not.
    let email_label = format!("claims.{}", map.email);
    if let Some(contact) = queries::contact_with_email(txn, &validate::fold(&email), None).await? {
        let decided = link(
            txn,
            config,
            &claimed,
            idp_id,
            &subject,
            contact,
            (&email_label, &email),
            scope,
        )
        .await?;
        return Ok((decided, scope));
    }

    // 4. Nobody: provision, if the configuration allows it.
    if !config.configuration.auto_provision_learners {
        return Err(Stop::Denied(
            Denial::new(
                scope,
                "subject",
                "no contact has this subject or email, and auto-provisioning of learners is off \
                 for this brand and identity provider",
                Some(input.subject),
            )
            .disclosing(),
        ));
    }
    let decided = provision(txn, config, &claimed, idp_id, &subject, email).await?;
    Ok((decided, scope))
}

fn status_of(contact: &contact::Model) -> Result<ContactStatus, Stop> {
    AppError::decode(&contact.status).map_err(Stop::Failed)
}

/// Applies an update on login, when the configuration asks for one; returns the contact as
/// it now is, the changed attribute names, and a note when an email change was skipped.
/// `unverified` is the denial for an email change the IdP did not verify.
async fn refresh_on_login(
    txn: &DatabaseTransaction,
    config: Rules<'_>,
    claimed: &Attributes,
    contact: contact::Model,
    unverified: Option<Denial>,
) -> Result<(contact::Model, Vec<&'static str>, Option<String>), Stop> {
    if !config.configuration.update_attributes_on_login {
        return Ok((contact, Vec::new(), None));
    }
    let current = ContactAttributes {
        email: contact.email.clone(),
        first_name: contact.first_name.clone(),
        last_name: contact.last_name.clone(),
        // Corrupt roles fail the call: read as `[]`, they would be "changed" and written back.
        roles: AppError::decode_json("contact.roles", &contact.roles).map_err(Stop::Failed)?,
    };
    let (next, mut changed) = signin::refresh(
        &current,
        claimed,
        config.role_mappings,
        &config.configuration.default_role,
    );
    if changed.is_empty() {
        return Ok((contact, changed, None));
    }
    if let Some(denial) = unverified
        && changed.contains(&"email")
    {
        return Err(Stop::Denied(denial.about(&contact)));
    }
    let email_folded = validate::fold(&next.email);
    let updated = queries::update_contact(
        txn,
        contact.id,
        queries::ContactUpdate {
            email: &next.email,
            email_folded: &email_folded,
            first_name: &next.first_name,
            last_name: &next.last_name,
            roles: Value::from(next.roles.clone()),
            updated_at: now(),
        },
    )
    .await?
    .ok_or_else(|| {
        Stop::Failed(AppError::Internal(format!(
            "contact {} vanished",
            contact.id
        )))
    })?;
    let mut note = None;
    if updated.email != next.email {
        note = Some(format!(
            "email not updated to {}: another contact has it",
            next.email
        ));
        changed.retain(|c| *c != "email");
    }
    Ok((updated, changed, note))
}

fn inactive(scope: Scope, contact: &contact::Model, label: &str, value: &str) -> Denial {
    Denial::new(
        scope,
        label,
        "the contact is inactive; an administrator must reactivate it before it can sign in",
        Some(value),
    )
    .about(contact)
}

async fn returning(
    txn: &DatabaseTransaction,
    config: Rules<'_>,
    claimed: &Attributes,
    known: queries::KnownSubject,
    scope: Scope,
    unverified: Option<Denial>,
) -> Result<SignInResult, Stop> {
    let queries::KnownSubject {
        credential,
        contact,
        account,
    } = known;
    if status_of(&contact)? == ContactStatus::Inactive {
        let subject = credential.subject.clone().unwrap_or_default();
        return Err(Stop::Denied(inactive(scope, &contact, "subject", &subject)));
    }
    let mut active: credential::ActiveModel = credential.into();
    active.last_sign_in_at = Set(Some(now()));
    active.update(txn).await?;
    let refreshed = refresh_on_login(txn, config, claimed, contact, unverified).await?;
    Ok(existing_contact(
        Outcome::SignedIn,
        refreshed,
        account,
        "signed in with an existing credential; the account is unchanged",
    ))
}

/// The result for a contact that already existed (`signedIn`, `linked`): its account is
/// whatever it was.
fn existing_contact(
    outcome: Outcome,
    (contact, changed, note): (contact::Model, Vec<&'static str>, Option<String>),
    account: Option<account::Model>,
    reason: &str,
) -> SignInResult {
    let reason = match note {
        Some(note) => format!("{reason}; {note}"),
        None => reason.to_owned(),
    };
    SignInResult {
        outcome,
        account_assignment: None,
        contact: Some(contact),
        account,
        changed_attributes: changed,
        reason,
        errors: Vec::new(),
        discloses_contact: false,
    }
}

#[allow(clippy::too_many_arguments)]
async fn link(
    txn: &DatabaseTransaction,
    config: Rules<'_>,
    claimed: &Attributes,
    idp_id: Uuid,
    subject: &str,
    contact: contact::Model,
    (email_label, email): (&str, &str),
    scope: Scope,
) -> Result<SignInResult, Stop> {
    let refuse = |message: String| {
        Stop::Denied(
            Denial::new(scope, email_label, message, Some(email))
                .about(&contact)
                .disclosing(),
        )
    };
    if !config.configuration.link_existing_contacts {
        return Err(refuse(
            "a contact with this email already exists, and this configuration does not link \
             existing contacts (linkExistingContacts is off)"
                .into(),
        ));
    }
    // Two calls linking this contact through two subjects: the second waits here for the
    // first to commit, then finds its credential below (PostgreSQL reads each statement from
    // a new snapshot; SQLite's write transaction already holds the whole database).
    queries::lock_contact(txn, contact.id).await?;
    let credentials = queries::credentials_of_contact(txn, contact.id).await?;
    let ours = credentials
        .iter()
        .any(|c| c.identity_provider_id == Some(idp_id) && c.subject.as_deref() == Some(subject));
    if ours {
        // A concurrent call for this subject committed the contact after our credential
        // lookup: decide again, and find the credential this time.
        return Err(Stop::Race);
    }
    if !credentials.is_empty() {
        return Err(refuse(format!(
            "a contact with this email exists and already has {} sign-in credential(s); only a \
             contact without credentials is linked automatically",
            credentials.len()
        )));
    }
    if status_of(&contact)? == ContactStatus::Inactive {
        return Err(Stop::Denied(
            inactive(scope, &contact, email_label, email).disclosing(),
        ));
    }
    insert_credential(txn, contact.id, idp_id, subject).await?;
    let account = queries::find::<account::Entity, _>(txn, contact.account_id).await?;
    // Linking needs a verified email, so there is no unverified change to refuse here.
    let refreshed = refresh_on_login(txn, config, claimed, contact, None).await?;
    Ok(existing_contact(
        Outcome::Linked,
        refreshed,
        account,
        "linked to the existing contact with this email, which had no credentials; \
         the account is unchanged",
    ))
}

async fn insert_credential(
    txn: &DatabaseTransaction,
    contact_id: Uuid,
    idp_id: Uuid,
    subject: &str,
) -> Result<credential::Model, DbErr> {
    let at = now();
    credential::ActiveModel {
        id: Set(Uuid::now_v7()),
        contact_id: Set(contact_id),
        kind: Set(CredentialKind::Sso.as_str().into()),
        identity_provider_id: Set(Some(idp_id)),
        subject: Set(Some(subject.to_owned())),
        password_hash: Set(None),
        created_at: Set(at),
        last_sign_in_at: Set(Some(at)),
    }
    .insert(txn)
    .await
}

/// Chooses the account of a new contact: default account, then company match, then a new
/// individual account. Returns the account, the rule, and the reason in words.
async fn choose_account(
    txn: &DatabaseTransaction,
    config: &configuration::Model,
    claimed: &Attributes,
    individual_name: String,
) -> Result<(account::Model, AccountAssignment, String), Stop> {
    if let Some(id) = config.default_account_id
        && let Some(account) = queries::find::<account::Entity, _>(txn, id).await?
    {
        let reason = format!("default account of the configuration ({})", account.name);
        return Ok((account, AccountAssignment::DefaultAccount, reason));
    }
    let no_match = match &claimed.company_name {
        Some(company) => {
            let company_match =
                AppError::decode::<CompanyMatch>(&config.company_match).map_err(Stop::Failed)?;
            let folded = company_match == CompanyMatch::CaseInsensitive;
            let key = if folded {
                validate::fold(company)
            } else {
                company.trim().to_owned()
            };
            if let Some(account) =
                queries::first_account_of_company_named(txn, &key, folded).await?
            {
                let reason = format!(
                    "no default account; first account ({}) of the oldest company named {company:?} \
                     with accounts ({} match)",
                    account.name,
                    if folded { "case-insensitive" } else { "exact" }
                );
                return Ok((account, AccountAssignment::CompanyMatch, reason));
            }
            format!("no company named {company:?} has accounts")
        }
        None => "the claims carry no company name".to_owned(),
    };
    let account = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(individual_name),
        is_individual: Set(true),
        company_id: Set(None),
        created_at: Set(now()),
    }
    .insert(txn)
    .await?;
    let reason = format!("no default account and {no_match}: new individual account");
    Ok((account, AccountAssignment::IndividualAccount, reason))
}

async fn provision(
    txn: &DatabaseTransaction,
    config: Rules<'_>,
    claimed: &Attributes,
    idp_id: Uuid,
    subject: &str,
    email: String,
) -> Result<SignInResult, Stop> {
    let first_name = claimed.first_name.clone().unwrap_or_default();
    let last_name = claimed.last_name.clone().unwrap_or_default();
    let individual_name = signin::individual_account_name(&first_name, &last_name, &email);
    let (account, assignment, reason) =
        choose_account(txn, config.configuration, claimed, individual_name).await?;
    let roles = signin::map_roles(
        claimed.roles.as_deref().unwrap_or_default(),
        config.role_mappings,
        &config.configuration.default_role,
    );
    let mut changed = vec!["email"];
    if claimed.first_name.is_some() {
        changed.push("firstName");
    }
    if claimed.last_name.is_some() {
        changed.push("lastName");
    }
    changed.push("roles");
    let at = now();
    let contact = contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        first_name: Set(first_name),
        last_name: Set(last_name),
        email_folded: Set(validate::fold(&email)),
        email: Set(email),
        account_id: Set(account.id),
        roles: Set(Value::from(roles)),
        status: Set(ContactStatus::Active.as_str().into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await?;
    insert_credential(txn, contact.id, idp_id, subject).await?;
    Ok(SignInResult {
        outcome: Outcome::Created,
        account_assignment: Some(assignment),
        contact: Some(contact),
        account: Some(account),
        changed_attributes: changed,
        reason,
        errors: Vec::new(),
        discloses_contact: false,
    })
}
