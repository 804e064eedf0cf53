//! The sign-in hook (PRODUCT §4): find or create the contact who just signed in through SSO,
//! choose its account, and log one provisioning event per call.
//!
//! All writes of a call are one transaction. A concurrent call that created the same contact
//! first makes ours fail on a unique constraint; the transaction is rolled back (so no orphan
//! individual account survives) and the call is decided again, now finding the credential.
use entity::{
    account, brand, contact, identity_provider, identity_provider_configuration as configuration,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::{
    App,
    configurations::{attribute_map, update_roles_on_login},
    now,
    placement::{account_ref, needed_account},
};
use crate::{
    db::{self, WriteGate, proofs, provisioning_events, queries, sign_in},
    domain::{
        access::{Action, Principal},
        configuration::{MatchBy, ProofPolicy},
        id::{self, NodeKind},
        sign_in::{
            Context, Decision, DenialReason, Existing, Found, Lookup, Need, Person, Refusal, Rules,
            claims::{self, ContactAttributes},
        },
        stored::{AccountAssignment, Outcome, Source, StoredEnum},
        validate,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
};

pub(crate) mod persist;
pub(crate) mod proof;

use persist::{created, linked, signed_in};
use proof::Evidence;
pub use proof::Presented;

/// How many times a call is decided again after losing a race to a concurrent call.
const ATTEMPTS: usize = 3;

/// A call of the hook: through which brand and IdP, and who the evidence says signed in.
pub struct SignInInput<'a> {
    pub brand_id: &'a str,
    pub identity_provider_id: &'a str,
    pub presented: Presented<'a>,
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
    /// For `denied`: why, as a code.
    pub denial_reason: Option<DenialReason>,
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

pub(super) struct Denial {
    reason: DenialReason,
    scope: Scope,
    contact_id: Option<Uuid>,
    errors: Vec<FieldError>,
    discloses_contact: bool,
}

impl Denial {
    fn invalid(scope: Scope, errors: Vec<FieldError>) -> Self {
        Self {
            reason: DenialReason::InvalidInput,
            scope,
            contact_id: None,
            errors,
            discloses_contact: false,
        }
    }

    fn refused(scope: Scope, refusal: Refusal) -> Self {
        Self {
            reason: refusal.reason,
            scope,
            contact_id: refusal.contact,
            errors: vec![refusal.error],
            discloses_contact: refusal.discloses_contact,
        }
    }
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

/// The sign-in hook for `principal`: a portal token of the input's brand (or an owner or
/// support token) signs in, paced per token; only owner and support tokens preview, since a
/// preview tells whether a contact has an email. Decides the sign-in and, unless previewing,
/// writes it and its provisioning event, and counts it in the metrics. A denial that would tell
/// a caller who may not read the admin API whether a contact has the claimed email is
/// answered with [`neutral_denial`] instead (the event keeps the real reason).
pub async fn sign_in(
    app: &App,
    principal: &Principal,
    input: &SignInInput<'_>,
    mode: Mode,
) -> AppResult<SignInResult> {
    let action = match mode {
        Mode::Commit => Action::SignIn {
            brand_id: id::decode(NodeKind::Brand, "brandId", input.brand_id).ok(),
        },
        Mode::Preview => Action::Administer,
    };
    principal.authorize(action).map_err(AppError::Forbidden)?;
    if mode == Mode::Commit {
        app.pace(principal)?;
    }
    let scope = ids(input).map_or_else(
        |_| partial_scope(input),
        |(b, i)| Scope {
            brand_id: Some(b),
            identity_provider_id: Some(i),
        },
    );
    let evidence = match proof::evidence(app, input, scope).await {
        Ok(evidence) => Ok(evidence),
        Err(proof::Stop::Failed(e)) => return Err(e),
        Err(proof::Stop::Denied(denial)) => Err(denial),
    };
    let subject = match &evidence {
        Ok(evidence) => evidence.subject.to_string(),
        Err(_) => input.presented.subject.unwrap_or_default().to_owned(),
    };
    let mut result = match evidence {
        Ok(evidence) => decide_and_write(app.db(), app.gate(), input, &evidence, mode).await?,
        Err(denial) => deny(app.db(), &subject, denial, mode).await?,
    };
    if mode == Mode::Commit {
        app.metrics().sign_in(
            result.outcome.as_str(),
            result.account_assignment.map(StoredEnum::as_str),
            result.denial_reason.map(DenialReason::code),
        );
    }
    if result.discloses_contact && principal.authorize(Action::Read).is_err() {
        result.errors = vec![neutral_denial(&subject)];
    }
    Ok(result)
}

/// Decides the sign-in and, unless previewing, writes it and its provisioning event.
async fn decide_and_write(
    db: &DatabaseConnection,
    gate: &WriteGate,
    input: &SignInInput<'_>,
    evidence: &Evidence<'_>,
    mode: Mode,
) -> AppResult<SignInResult> {
    for attempt in 1..=ATTEMPTS {
        let _turn = gate.turn().await;
        let txn = db::begin(db).await?;
        match decide(&txn, input, evidence).await {
            Ok((decided, scope)) => {
                if mode == Mode::Preview {
                    txn.rollback().await?;
                    return Ok(decided);
                }
                let contact_id = decided.contact.as_ref().map(|c| c.id);
                insert_event(&txn, &evidence.subject, scope, &decided, contact_id).await?;
                txn.commit().await?;
                return Ok(decided);
            }
            Err(Stop::Denied(denial)) => {
                txn.rollback().await?;
                return deny(db, &evidence.subject, denial, mode).await;
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
    subject: &str,
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
        denial_reason: Some(denial.reason),
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
        insert_event(db, subject, scope, &result, denial.contact_id).await?;
    }
    Ok(result)
}

async fn insert_event<Db: ConnectionTrait>(
    db: &Db,
    subject: &str,
    scope: Scope,
    decided: &SignInResult,
    contact_id: Option<Uuid>,
) -> Result<(), DbErr> {
    provisioning_events::insert(
        db,
        provisioning_events::NewEvent {
            source: Source::Sso,
            brand_id: scope.brand_id,
            identity_provider_id: scope.identity_provider_id,
            subject,
            contact_id,
            account_id: decided.account.as_ref().map(|a| a.id),
            outcome: decided.outcome,
            account_assignment: decided.account_assignment,
            changed_attributes: &decided.changed_attributes,
            reason: decided.reason.clone(),
        },
        now(),
    )
    .await
}

/// Decodes the input's brand and IdP IDs; every problem is reported.
fn ids(input: &SignInInput<'_>) -> Result<(Uuid, Uuid), Vec<FieldError>> {
    let brand = id::decode(NodeKind::Brand, "brandId", input.brand_id);
    let idp = id::decode(
        NodeKind::IdentityProvider,
        "identityProviderId",
        input.identity_provider_id,
    );
    match (brand, idp) {
        (Ok(b), Ok(i)) => Ok((b, i)),
        (b, i) => Err([b.err(), i.err()].into_iter().flatten().collect()),
    }
}

/// The IDs of the input that decode, for the event of a call whose other ID does not.
fn partial_scope(input: &SignInInput<'_>) -> Scope {
    Scope {
        brand_id: id::decode(NodeKind::Brand, "brandId", input.brand_id).ok(),
        identity_provider_id: id::decode(
            NodeKind::IdentityProvider,
            "identityProviderId",
            input.identity_provider_id,
        )
        .ok(),
    }
}

/// Decodes the input's IDs and checks the subject; every problem is reported.
fn parse_input(input: &SignInInput<'_>, subject: &str) -> Result<(Uuid, Uuid, String), Denial> {
    let subject = claims::subject(subject);
    match (ids(input), subject) {
        (Ok((b, i)), Ok(s)) => Ok((b, i, s)),
        (ids, s) => Err(Denial::invalid(
            partial_scope(input),
            ids.err().into_iter().flatten().chain(s.err()).collect(),
        )),
    }
}

/// The refusal of a call naming an identity provider its brand has no configuration for.
fn not_configured(identity_provider_id: &str) -> Refusal {
    Refusal::new(
        DenialReason::NotConfigured,
        "identityProviderId",
        "this brand has no configuration for this identity provider, so it accepts no \
         sign-ins through it",
        Some(identity_provider_id),
    )
}

/// Loads what the decision asks for, calls it until it decides, and persists the decision.
async fn decide(
    txn: &DatabaseTransaction,
    input: &SignInInput<'_>,
    evidence: &Evidence<'_>,
) -> Result<(SignInResult, Scope), Stop> {
    let (brand_id, idp_id, subject) =
        parse_input(input, &evidence.subject).map_err(Stop::Denied)?;
    let scope = Scope {
        brand_id: Some(brand_id),
        identity_provider_id: Some(idp_id),
    };
    let Some(loaded) = sign_in::sign_in_context(txn, brand_id, idp_id, &subject).await? else {
        let refusal = not_configured(input.identity_provider_id);
        return Err(Stop::Denied(Denial::refused(scope, refusal)));
    };
    let sign_in::SignInContext {
        configuration,
        role_mappings,
        known,
    } = loaded;
    if let Some(refusal) = unproven(&configuration, evidence) {
        return Err(Stop::Denied(Denial::refused(scope, refusal)));
    }
    if let Some(replay) = &evidence.replay
        && !proofs::claim(txn, replay.identity_provider_id, &replay.key, replay.until).await?
    {
        let refusal = Refusal::new(
            DenialReason::ProofReplayed,
            "proof",
            "this signed proof was accepted before; a proof signs in once",
            None,
        );
        return Err(Stop::Denied(Denial::refused(scope, refusal)));
    }
    let rules = rules_of(&configuration, role_mappings).map_err(Stop::Failed)?;
    let claimed = claims::read_claims(&evidence.claims, &rules.attribute_map)
        .map_err(|errors| Stop::Denied(Denial::invalid(scope, errors)))?;
    let mut context = Context {
        rules,
        identity_provider_id: idp_id,
        subject: subject.clone(),
        known: known
            .as_ref()
            .map(|k| person_of(&k.contact))
            .transpose()
            .map_err(Stop::Failed)?,
        by_email: Lookup::NotLoaded,
        by_claim: Lookup::NotLoaded,
        default_account: Lookup::NotLoaded,
        company_account: Lookup::NotLoaded,
    };
    // Rows read on the way, which the persisted decision refers to.
    let mut found_contact = None;
    let mut accounts = Vec::new();
    loop {
        let decided = match crate::domain::sign_in::decide(&context, &claimed, &evidence.claims) {
            Decision::Load(need) => {
                load(txn, need, &mut context, &mut found_contact, &mut accounts).await?;
                continue;
            }
            Decision::Deny(refusal) => return Err(Stop::Denied(Denial::refused(scope, refusal))),
            Decision::Retry => return Err(Stop::Race),
            Decision::SignIn { update, reason, .. } => {
                let known = known.ok_or_else(|| missing("the credential's contact"))?;
                signed_in(txn, known, update, reason).await?
            }
            Decision::Link { update, reason, .. } => {
                let contact = found_contact.ok_or_else(|| missing("the contact found"))?;
                linked(txn, contact, (brand_id, idp_id), &subject, update, reason).await?
            }
            Decision::Create { person, reason } => {
                if let Some(refusal) = look_alike(txn, &person.email).await? {
                    return Err(Stop::Denied(Denial::refused(scope, refusal)));
                }
                created(txn, person, accounts, (brand_id, idp_id), &subject, reason).await?
            }
        };
        return Ok((decided, scope));
    }
}

/// The refusal of bare claims where the configuration requires a signed proof.
fn unproven(configuration: &configuration::Model, evidence: &Evidence<'_>) -> Option<Refusal> {
    let required = configuration.proof_policy == ProofPolicy::Required.as_str();
    (required && evidence.replay.is_none()).then(|| {
        Refusal::new(
            DenialReason::ProofRequired,
            "proof",
            "this brand requires the identity provider's signed proof (`proof`) for sign-ins \
             through it; bare subject and claims are refused",
            None,
        )
    })
}

/// The refusal of a new contact whose email only looks like another contact's: one letter
/// swapped for a look-alike is how a sign-in would pass for someone else's address to whoever
/// reads it.
async fn look_alike(txn: &DatabaseTransaction, email: &str) -> Result<Option<Refusal>, Stop> {
    let folded = validate::fold(email);
    let skeleton = validate::email_skeleton(&folded);
    let Some(other) = queries::contact_looking_like(txn, &skeleton, &folded, None).await? else {
        return Ok(None);
    };
    let error = FieldError::new(
        "claims.email",
        ErrorCode::Confusable,
        "the email looks like another contact's address (it differs only in look-alike \
         characters), so no contact is created for it",
        Some(email),
    );
    let refusal = Refusal::of(DenialReason::EmailConfusable, error);
    Ok(Some(refusal.about(other.id).disclosing()))
}

/// A decision that names a row this call did not read: a bug, never a client's fault.
fn missing(what: &str) -> Stop {
    Stop::Failed(AppError::Internal(format!(
        "the decision needs {what}, which was not loaded"
    )))
}

/// Loads what the decision needs into `context`, keeping the rows for the persisted decision
/// (`found_contact`: the contact a link would be to).
async fn load(
    txn: &DatabaseTransaction,
    need: Need,
    context: &mut Context,
    found_contact: &mut Option<contact::Model>,
    accounts: &mut Vec<account::Model>,
) -> Result<(), Stop> {
    match need {
        Need::ContactByEmail { email_folded } => {
            let found = queries::contact_with_email(txn, &email_folded, None).await?;
            let existing = match &found {
                Some(contact) => Some(existing(txn, contact).await?),
                None => None,
            };
            context.by_email = Lookup::Loaded(existing);
            *found_contact = found;
        }
        Need::ContactByClaim { by, key } => {
            let mut holders = queries::contacts_holding(txn, by == MatchBy::Username, &key).await?;
            let found = match holders.len() {
                0 => Found::Nobody,
                1 => {
                    let contact = holders.remove(0);
                    let found = Found::One(existing(txn, &contact).await?);
                    *found_contact = Some(contact);
                    found
                }
                _ => Found::Several,
            };
            context.by_claim = Lookup::Loaded(found);
        }
        Need::DefaultAccount(_) | Need::CompanyAccount { .. } => {
            let account = needed_account(txn, &need).await?;
            let slot = match need {
                Need::DefaultAccount(_) => &mut context.default_account,
                _ => &mut context.company_account,
            };
            *slot = Lookup::Loaded(account.as_ref().map(account_ref));
            accounts.extend(account);
        }
    }
    Ok(())
}

/// A contact a sign-in may link, locked, with its credentials. Two calls linking it through two
/// subjects: the second waits here for the first to commit, then finds its credential
/// (PostgreSQL reads each statement from a new snapshot; SQLite's write transaction already
/// holds the whole database).
async fn existing(txn: &DatabaseTransaction, contact: &contact::Model) -> Result<Existing, Stop> {
    queries::lock_contact(txn, contact.id).await?;
    let credentials = queries::credentials_of_contact(txn, contact.id).await?;
    Ok(Existing {
        person: person_of(contact).map_err(Stop::Failed)?,
        credentials: credentials
            .into_iter()
            .map(|c| (c.identity_provider_id, c.subject))
            .collect(),
    })
}

/// The configuration as the decision reads it; unreadable stored values fail closed.
pub(crate) fn rules_of(
    configuration: &configuration::Model,
    role_mappings: Vec<(String, String)>,
) -> AppResult<Rules> {
    Ok(Rules {
        auto_provision_learners: configuration.auto_provision_learners,
        link_existing_contacts: configuration.link_existing_contacts,
        update_attributes_on_login: configuration.update_attributes_on_login,
        update_roles_on_login: update_roles_on_login(configuration),
        match_by: AppError::decode(&configuration.match_by)?,
        company_match: AppError::decode(&configuration.company_match)?,
        default_account: configuration.default_account_id,
        default_role: configuration.default_role.clone(),
        role_mappings,
        attribute_map: attribute_map(configuration),
    })
}

/// A contact as the decision reads it. Corrupt roles fail the call: read as `[]`, they would be
/// "changed" and written back.
fn person_of(contact: &contact::Model) -> AppResult<Person> {
    Ok(Person {
        id: contact.id,
        status: AppError::decode(&contact.status)?,
        attributes: ContactAttributes {
            email: contact.email.clone(),
            first_name: contact.first_name.clone(),
            last_name: contact.last_name.clone(),
            roles: AppError::decode_json("contact.roles", &contact.roles)?,
            username: contact.username.clone(),
            org_defined_id: contact.org_defined_id.clone(),
        },
    })
}
