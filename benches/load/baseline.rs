//! The baseline: the same database work as each server operation, done directly with a sqlx
//! pool of the server's size, as its minimal statements. Writes run in one transaction
//! (`BEGIN IMMEDIATE` on SQLite), as the app's do; reads run on the pool without one, as the
//! app's listings do (an IMMEDIATE transaction would serialise SQLite readers). The ratio
//! server ÷ baseline is then the cost of everything around the SQL: HTTP, GraphQL, the token
//! lookup, sea-orm, and any statements the app adds.
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Utc};
use sea_orm::sqlx;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    db::{Pool, with_pool, write_tx},
    driver::{Op, op},
    scenarios::{Learner, Learners},
    seed::{account_name, company_name, now},
};

pub const SELECT_CONFIGURATION: &str = "SELECT id, auto_provision_learners, default_account_id, \
    update_attributes_on_login, link_existing_contacts, company_match, email_claim, \
    first_name_claim, last_name_claim, company_name_claim, roles_claim, default_role \
    FROM identity_provider_configuration WHERE brand_id = $1 AND identity_provider_id = $2 LIMIT 1";
pub type ConfigurationRow = (
    Uuid,
    bool,
    Option<Uuid>,
    bool,
    bool,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);
pub const SELECT_CREDENTIAL: &str = "SELECT id, contact_id FROM credential \
    WHERE identity_provider_id = $1 AND subject = $2 LIMIT 1";
pub const SELECT_CONTACT_BY_EMAIL: &str = "SELECT id FROM contact WHERE email_folded = $1 LIMIT 1";
const SELECT_COMPANY_ACCOUNT: &str = "SELECT account.id, account.name FROM account \
    JOIN company ON company.id = account.company_id WHERE company.name_folded = $1 \
    ORDER BY company.created_at, company.id, account.created_at, account.id LIMIT 1";
pub const INSERT_ACCOUNT: &str = "INSERT INTO account (id, name, is_individual, company_id, created_at) \
    VALUES ($1, $2, $3, $4, $5)";
pub const INSERT_CONTACT: &str = "INSERT INTO contact (id, first_name, last_name, email, \
    email_folded, account_id, roles, status, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub const INSERT_CREDENTIAL: &str = "INSERT INTO credential (id, contact_id, kind, \
    identity_provider_id, subject, password_hash, created_at, last_sign_in_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const INSERT_EVENT: &str = "INSERT INTO provisioning_event (id, occurred_at, brand_id, \
    identity_provider_id, subject, contact_id, account_id, outcome, account_assignment, \
    changed_attributes, reason, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const SELECT_RETURNING: &str = "SELECT credential.id, contact.id, contact.first_name, \
    contact.last_name, contact.email, contact.status, account.id, account.name \
    FROM credential JOIN contact ON contact.id = credential.contact_id \
    JOIN account ON account.id = contact.account_id \
    WHERE credential.identity_provider_id = $1 AND credential.subject = $2 LIMIT 1";
type ReturningRow = (Uuid, Uuid, String, String, String, String, Uuid, String);
const UPDATE_CREDENTIAL: &str = "UPDATE credential SET last_sign_in_at = $1 WHERE id = $2";
const UPDATE_CONTACT: &str =
    "UPDATE contact SET first_name = $1, last_name = $2, updated_at = $3 WHERE id = $4";

/// Every column of a contact, as the app's listing loads them; 26 rows = a page and one more.
const CONTACT_PAGE: &str = "SELECT id, first_name, last_name, email, email_folded, account_id, \
    roles, status, created_at, updated_at FROM contact";
type ContactRow = (
    Uuid,
    String,
    String,
    String,
    String,
    Uuid,
    Value,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

pub fn unexpected(what: impl Into<String>) -> sqlx::Error {
    sqlx::Error::Protocol(what.into())
}

pub struct Baseline {
    pub pool: Pool,
    brand: Uuid,
    prefix: String,
    counter: AtomicU64,
}

/// What a first sign-in does to choose the account.
#[derive(Copy, Clone)]
enum Assignment {
    Individual,
    /// Company match on one of the first `n` seeded companies.
    Company(u64),
}

impl Baseline {
    pub fn new(pool: Pool, brand: Uuid, prefix: &str) -> Arc<Self> {
        Arc::new(Self {
            pool,
            brand,
            // Apart from the server's learners, so that the two never collide.
            prefix: format!("{prefix}-baseline"),
            counter: AtomicU64::new(0),
        })
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    pub fn noop(self: &Arc<Self>) -> Op {
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                with_pool!(&this.pool, p => sqlx::query("SELECT 1").fetch_one(p).await.map(drop))
                    .map_err(|e| e.to_string())
            }
        })
    }

    pub fn first_individual(self: &Arc<Self>, idp: Uuid, tag: &'static str, out: &Learners) -> Op {
        let (this, out) = (self.clone(), out.clone());
        op(move |_| {
            let (this, out) = (this.clone(), out.clone());
            async move {
                let learner = Learner::new(&this.prefix, tag, this.next());
                this.first_sign_in(idp, &learner, Assignment::Individual)
                    .await?;
                if let Ok(mut out) = out.lock() {
                    out.push(learner);
                }
                Ok(())
            }
        })
    }

    pub fn first_company(self: &Arc<Self>, idp: Uuid, companies: u64) -> Op {
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                let learner = Learner::new(&this.prefix, "company", this.next());
                this.first_sign_in(idp, &learner, Assignment::Company(companies))
                    .await
            }
        })
    }

    /// configuration, credential, contact by email, [account], contact, credential, event.
    async fn first_sign_in(
        &self,
        idp: Uuid,
        learner: &Learner,
        assignment: Assignment,
    ) -> Result<(), String> {
        let at = now();
        let brand = self.brand;
        let email_folded = learner.email.trim().to_lowercase();
        let company = match assignment {
            Assignment::Company(n) => Some(rand::random_range(0..n)),
            Assignment::Individual => None,
        };
        write_tx!(&self.pool, c => {
            let config: Option<ConfigurationRow> = sqlx::query_as(SELECT_CONFIGURATION)
                .bind(brand)
                .bind(idp)
                .fetch_optional(&mut *c)
                .await?;
            if !config.is_some_and(|c| c.1) {
                return Err(unexpected("no auto-provisioning configuration"));
            }
            let credential: Option<(Uuid, Uuid)> = sqlx::query_as(SELECT_CREDENTIAL)
                .bind(idp)
                .bind(learner.subject.as_str())
                .fetch_optional(&mut *c)
                .await?;
            if credential.is_some() {
                return Err(unexpected("the subject already has a credential"));
            }
            let by_email: Option<(Uuid,)> = sqlx::query_as(SELECT_CONTACT_BY_EMAIL)
                .bind(email_folded.as_str())
                .fetch_optional(&mut *c)
                .await?;
            if by_email.is_some() {
                return Err(unexpected("a contact has this email"));
            }
            let (account_id, rule, reason) = match company {
                None => {
                    let id = Uuid::now_v7();
                    sqlx::query(INSERT_ACCOUNT)
                        .bind(id)
                        .bind(format!("{} {}", learner.given, learner.family))
                        .bind(true)
                        .bind(None::<Uuid>)
                        .bind(at)
                        .execute(&mut *c)
                        .await?;
                    (id, "individualAccount", "no default account and the claims carry no \
                        company name: new individual account")
                }
                Some(i) => {
                    let key = company_name(i).to_uppercase().trim().to_lowercase();
                    let (id, name): (Uuid, String) = sqlx::query_as(SELECT_COMPANY_ACCOUNT)
                        .bind(key)
                        .fetch_optional(&mut *c)
                        .await?
                        .ok_or_else(|| unexpected(format!("company {i} not found")))?;
                    if name != account_name(i) {
                        return Err(unexpected(format!("company {i}: found account {name}")));
                    }
                    (id, "companyMatch", "no default account; first account of the oldest \
                        company with accounts (case-insensitive match)")
                }
            };
            let contact_id = Uuid::now_v7();
            sqlx::query(INSERT_CONTACT)
                .bind(contact_id)
                .bind(learner.given.as_str())
                .bind(learner.family.as_str())
                .bind(learner.email.as_str())
                .bind(email_folded.as_str())
                .bind(account_id)
                .bind(json!(["learner"]))
                .bind("active")
                .bind(at)
                .bind(at)
                .execute(&mut *c)
                .await?;
            sqlx::query(INSERT_CREDENTIAL)
                .bind(Uuid::now_v7())
                .bind(contact_id)
                .bind("sso")
                .bind(Some(idp))
                .bind(Some(learner.subject.as_str()))
                .bind(None::<String>)
                .bind(at)
                .bind(Some(at))
                .execute(&mut *c)
                .await?;
            sqlx::query(INSERT_EVENT)
                .bind(Uuid::now_v7())
                .bind(at)
                .bind(Some(brand))
                .bind(Some(idp))
                .bind(learner.subject.as_str())
                .bind(Some(contact_id))
                .bind(Some(account_id))
                .bind("created")
                .bind(Some(rule))
                .bind(json!(["email", "firstName", "lastName", "roles"]))
                .bind(Some(reason))
                .bind("sso")
                .execute(&mut *c)
                .await?;
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// configuration, credential ⋈ contact ⋈ account, credential's last sign-in, [contact's
    /// names], event.
    pub fn returning(
        self: &Arc<Self>,
        idp: Uuid,
        learners: Vec<Learner>,
        update_names: bool,
    ) -> Op {
        assert!(
            !learners.is_empty(),
            "no baseline learners to sign in again"
        );
        let (this, learners) = (self.clone(), Arc::new(learners));
        op(move |_| {
            let (this, learners) = (this.clone(), learners.clone());
            async move {
                let learner = &learners[rand::random_range(0..learners.len())];
                let n = this.next();
                let (given, family) = (format!("Given {n}"), format!("Family {n}"));
                let (at, brand) = (now(), this.brand);
                write_tx!(&this.pool, c => {
                    let config: Option<ConfigurationRow> = sqlx::query_as(SELECT_CONFIGURATION)
                        .bind(brand)
                        .bind(idp)
                        .fetch_optional(&mut *c)
                        .await?;
                    if config.is_none() {
                        return Err(unexpected("no configuration"));
                    }
                    let found: ReturningRow = sqlx::query_as(SELECT_RETURNING)
                        .bind(idp)
                        .bind(learner.subject.as_str())
                        .fetch_optional(&mut *c)
                        .await?
                        .ok_or_else(|| unexpected("unknown subject"))?;
                    let (credential_id, contact_id, account_id) = (found.0, found.1, found.6);
                    if found.4 != learner.email || found.5 != "active" {
                        return Err(unexpected("another or inactive contact"));
                    }
                    sqlx::query(UPDATE_CREDENTIAL)
                        .bind(Some(at))
                        .bind(credential_id)
                        .execute(&mut *c)
                        .await?;
                    let changed = if update_names {
                        sqlx::query(UPDATE_CONTACT)
                            .bind(given.as_str())
                            .bind(family.as_str())
                            .bind(at)
                            .bind(contact_id)
                            .execute(&mut *c)
                            .await?;
                        json!(["firstName", "lastName"])
                    } else {
                        json!([])
                    };
                    sqlx::query(INSERT_EVENT)
                        .bind(Uuid::now_v7())
                        .bind(at)
                        .bind(Some(brand))
                        .bind(Some(idp))
                        .bind(learner.subject.as_str())
                        .bind(Some(contact_id))
                        .bind(Some(account_id))
                        .bind("signedIn")
                        .bind(None::<String>)
                        .bind(changed)
                        .bind(Some("signed in with an existing credential; the account is unchanged"))
                        .bind("sso")
                        .execute(&mut *c)
                        .await?;
                    Ok(())
                })
                .await
                .map_err(|e| e.to_string())
            }
        })
    }

    /// The (created_at, id) key of the contact at `position` in creation order.
    pub async fn key_at(&self, position: u64) -> (DateTime<Utc>, Uuid) {
        with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT created_at, id FROM contact ORDER BY created_at, id LIMIT 1 OFFSET $1",
            )
            .bind(position as i64)
            .fetch_one(p)
            .await
        })
        .unwrap_or_else(|e| panic!("no contact at position {position}: {e}"))
    }

    /// The listings: `after` a key, at an `offset`, and with a `count` for totalRecords.
    pub fn listing(
        self: &Arc<Self>,
        after: Option<(DateTime<Utc>, Uuid)>,
        offset: u64,
        count: bool,
    ) -> Op {
        let this = self.clone();
        let sql: Arc<str> = match after {
            Some(_) => format!(
                "{CONTACT_PAGE} WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT 26"
            ),
            None if offset > 0 => {
                format!("{CONTACT_PAGE} ORDER BY created_at, id LIMIT 26 OFFSET $1")
            }
            None => format!("{CONTACT_PAGE} ORDER BY created_at, id LIMIT 26"),
        }
        .into();
        op(move |_| {
            let (this, sql) = (this.clone(), sql.clone());
            async move {
                let rows = with_pool!(&this.pool, p => async {
                    let mut query = sqlx::query_as::<_, ContactRow>(
                        sqlx::AssertSqlSafe(sql.to_string()),
                    );
                    if let Some((at, id)) = after {
                        query = query.bind(at).bind(id);
                    } else if offset > 0 {
                        query = query.bind(offset as i64);
                    }
                    let rows = query.fetch_all(p).await?;
                    if count {
                        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM contact")
                            .fetch_one(p)
                            .await?;
                    }
                    Ok::<_, sqlx::Error>(rows.len())
                }
                .await)
                .map_err(|e| e.to_string())?;
                if rows == 26 {
                    Ok(())
                } else {
                    Err(format!("expected 26 rows, got {rows}"))
                }
            }
        })
    }
}
