//! Seeding the large tables directly with sqlx, row for row as the app writes them: UUIDv7
//! keys and `DateTime<Utc>` (microseconds) bound as Rust values, so they encode as sea-orm
//! encodes them on either database; multi-row INSERTs inside transactions. One seeded row of
//! each kind is then read back through the API.
use std::{
    fmt::Write as _,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, AssertSqlSafe};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    api::{Api, global_id},
    db::{Pool, check_columns, with_pool, write_tx},
};

/// The confusable skeleton the service stores beside a folded email (its
/// `domain::validate::email_skeleton`, which the crate does not export).
fn email_skeleton(folded: &str) -> String {
    unicode_security::skeleton(folded).collect()
}

/// The columns the seeding and baseline statements write, as the migration creates them.
pub const COMPANY_COLUMNS: &[&str] = &["id", "name", "name_folded", "created_at"];
pub const ACCOUNT_COLUMNS: &[&str] = &["id", "name", "is_individual", "company_id", "created_at"];
pub const CONTACT_COLUMNS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "email_folded",
    "email_skeleton",
    "account_id",
    "roles",
    "status",
    "created_at",
    "updated_at",
    // Brightspace's claims: seeded contacts have none (NULL, as a contact created without them).
    "username",
    "username_folded",
    "org_defined_id",
];
pub const CREDENTIAL_COLUMNS: &[&str] = &[
    "id",
    "contact_id",
    "kind",
    "identity_provider_id",
    "subject",
    "password_hash",
    "created_at",
    "last_sign_in_at",
    "created_via_brand_id",
];
pub const EVENT_COLUMNS: &[&str] = &[
    "id",
    "occurred_at",
    "brand_id",
    "identity_provider_id",
    "subject",
    "contact_id",
    "account_id",
    "outcome",
    "account_assignment",
    "changed_attributes",
    "reason",
    "source",
];
pub const SCIM_USER_COLUMNS: &[&str] = &[
    "id",
    "configuration_id",
    "identity_provider_id",
    "contact_id",
    "user_name",
    "user_name_folded",
    "external_id",
    "display_name",
    "title",
    "department",
    "employee_number",
    "organization",
    "manager_id",
    "email_type",
    "email_primary",
    "emails",
    "phone_numbers",
    "group_roles",
    "created_at",
    "updated_at",
];

pub const SCIM_GROUP_COLUMNS: &[&str] = &[
    "id",
    "configuration_id",
    "display_name",
    "display_name_folded",
    "external_id",
    "created_at",
    "updated_at",
];
pub const SCIM_GROUP_MEMBER_COLUMNS: &[&str] = &["group_id", "user_id"];

/// Rows per INSERT: 1000 rows of 14 (or a SCIM user's 20) columns stay well under SQLite's
/// 32766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: u64 = 20_000;

/// Company `i`'s name; names are unique so that a company match has one answer.
pub fn company_name(i: u64) -> String {
    format!("Bench Co {i:07}")
}

/// The name of company `i`'s one account.
pub fn account_name(i: u64) -> String {
    format!("Bench Co {i:07} Training")
}

/// The userName of seeded SCIM user `i` of a dataset (`tag`) in run `prefix`: an address, as
/// Okta and Entra send, in mixed case so that the filter's case folding is exercised. The
/// contact's email is the same address.
pub fn scim_user_name(prefix: &str, tag: &str, i: u64) -> String {
    format!("Scim.{tag}.{i:07}@{prefix}.Users.Bench.Example")
}

/// `fold_name` of src/domain/validate.rs: trimmed, Unicode-lowercased.
fn fold_name(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Wall-clock time truncated to microseconds, like the app's `service::now()`.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// `INSERT INTO table (columns) VALUES ($1, ...), ...` for `rows` rows; on SQLite with
/// anonymous `?` parameters instead. sqlx binds each parameter after asking SQLite for its name,
/// and SQLite finds a numbered parameter's name by walking the list of all of them: with 20,000
/// numbered parameters a statement spent most of its time there (a profile of the SCIM seeding
/// showed 64% in `sqlite3_bind_parameter_name`). Anonymous ones have no name to look up.
fn insert_sql(pool: &Pool, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            n += 1;
            let sep = if column == 0 { "" } else { ", " };
            match pool {
                Pool::Sqlite(_) => write!(sql, "{sep}?"),
                Pool::Pg(_) => write!(sql, "{sep}${n}"),
            }
            .expect("writing to a String");
        }
        sql.push(')');
    }
    sql
}

pub struct SeedTime {
    pub what: String,
    pub rows: u64,
    pub elapsed: Duration,
}

struct SeededContact {
    i: u64,
    id: Uuid,
    account_id: Uuid,
    email: String,
    at: DateTime<Utc>,
}

/// A SCIM user as seeded, to read back through `/scim/v2`.
pub struct SeededScimUser {
    pub id: Uuid,
    pub user_name: String,
    pub family_name: String,
    pub at: DateTime<Utc>,
}

/// Where a dataset's SCIM users go: one identity-provider configuration.
pub struct ScimTarget<'a> {
    /// "small" or "big": in the names, emails and the report.
    pub tag: &'a str,
    pub prefix: &'a str,
    pub configuration_id: Uuid,
    pub identity_provider_id: Uuid,
}

pub struct Seeder {
    pool: Pool,
    /// Companies seeded so far; company `i` has the one account `accounts[i]`.
    pub companies: u64,
    accounts: Vec<Uuid>,
    first_company: Option<(Uuid, DateTime<Utc>)>,
    first_contact: Option<SeededContact>,
    contacts_seeded: u64,
    /// Creation times are strictly increasing across everything seeded.
    last_at: DateTime<Utc>,
    pub times: Vec<SeedTime>,
}

impl Seeder {
    /// Checks first that the tables still have the columns the statements write.
    pub async fn new(pool: Pool) -> Self {
        for (table, columns) in [
            ("company", COMPANY_COLUMNS),
            ("account", ACCOUNT_COLUMNS),
            ("contact", CONTACT_COLUMNS),
            ("credential", CREDENTIAL_COLUMNS),
            ("provisioning_event", EVENT_COLUMNS),
            ("scim_user", SCIM_USER_COLUMNS),
            ("scim_group", SCIM_GROUP_COLUMNS),
            ("scim_group_member", SCIM_GROUP_MEMBER_COLUMNS),
        ] {
            check_columns(&pool, table, columns).await;
        }
        Self {
            pool,
            companies: 0,
            accounts: Vec::new(),
            first_company: None,
            first_contact: None,
            contacts_seeded: 0,
            last_at: DateTime::<Utc>::MIN_UTC,
            times: Vec::new(),
        }
    }

    fn next_at(&mut self) -> DateTime<Utc> {
        let at = now().max(self.last_at + chrono::Duration::microseconds(1));
        self.last_at = at;
        at
    }

    /// Seeds companies, each with one (non-individual) account, until there are `to`.
    pub async fn grow_companies(&mut self, to: u64) {
        let start = Instant::now();
        let from = self.companies;
        let mut next = from;
        while next < to {
            let end = (next + ROWS_PER_TRANSACTION).min(to);
            // (index, company id, account id, created at)
            let rows: Vec<(u64, Uuid, Uuid, DateTime<Utc>)> = (next..end)
                .map(|i| (i, Uuid::now_v7(), Uuid::now_v7(), self.next_at()))
                .collect();
            write_tx!(&self.pool, c => {
                for batch in rows.chunks(ROWS_PER_STATEMENT) {
                    let sql = insert_sql(&self.pool, "company", COMPANY_COLUMNS, batch.len());
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for (i, id, _, at) in batch {
                        let name = company_name(*i);
                        let folded = fold_name(&name);
                        query = query.bind(*id).bind(name).bind(folded).bind(*at);
                    }
                    query.execute(&mut *c).await?;
                    let sql = insert_sql(&self.pool, "account", ACCOUNT_COLUMNS, batch.len());
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for (i, company_id, account_id, at) in batch {
                        query = query
                            .bind(*account_id)
                            .bind(account_name(*i))
                            .bind(false)
                            .bind(Some(*company_id))
                            .bind(*at);
                    }
                    query.execute(&mut *c).await?;
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|e| panic!("seeding companies failed: {e}"));
            if self.first_company.is_none() {
                self.first_company = rows.first().map(|r| (r.1, r.3));
            }
            self.accounts.extend(rows.iter().map(|r| r.2));
            next = end;
        }
        self.companies = to;
        self.record(
            format!("companies+accounts {from} → {to}"),
            to - from,
            start,
        );
    }

    /// Seeds contacts (spread over the seeded companies' accounts) until the table has `to`.
    pub async fn grow_contacts(&mut self, to: u64) {
        assert!(!self.accounts.is_empty(), "seed companies before contacts");
        let start = Instant::now();
        let existing = count(&self.pool, "contact").await;
        let missing = to.saturating_sub(existing);
        let mut done = 0;
        while done < missing {
            let n = ROWS_PER_TRANSACTION.min(missing - done);
            let rows: Vec<SeededContact> = (0..n)
                .map(|_| {
                    let i = self.contacts_seeded;
                    self.contacts_seeded += 1;
                    SeededContact {
                        i,
                        id: Uuid::now_v7(),
                        account_id: self.accounts[(i % self.accounts.len() as u64) as usize],
                        email: format!("Seed.{i}@Contacts.Bench.Example"),
                        at: self.next_at(),
                    }
                })
                .collect();
            let roles = json!(["learner"]);
            write_tx!(&self.pool, c => {
                for batch in rows.chunks(ROWS_PER_STATEMENT) {
                    let sql = insert_sql(&self.pool, "contact", CONTACT_COLUMNS, batch.len());
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for row in batch {
                        query = query
                            .bind(row.id)
                            .bind("Seed")
                            .bind(format!("Contact {}", row.i))
                            .bind(row.email.clone())
                            .bind(row.email.trim().to_lowercase())
                            .bind(email_skeleton(&row.email.trim().to_lowercase()))
                            .bind(row.account_id)
                            .bind(roles.clone())
                            .bind("active")
                            .bind(row.at)
                            .bind(row.at)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>);
                    }
                    query.execute(&mut *c).await?;
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|e| panic!("seeding contacts failed: {e}"));
            done += n;
            if self.first_contact.is_none() {
                self.first_contact = rows.into_iter().next();
            }
        }
        self.record(format!("contacts {existing} → {to}"), missing, start);
    }

    /// Seeds SCIM users `from..to` of one configuration, each with its own contact (spread
    /// over the seeded companies' accounts, as a default account or company match places
    /// them), its SSO credential (the IdP, subject = userName) and its `scim_user` row, as
    /// `POST /Users` writes them (without the provisioning event). Returns the first one.
    pub async fn grow_scim_users(
        &mut self,
        target: &ScimTarget<'_>,
        from: u64,
        to: u64,
    ) -> Option<SeededScimUser> {
        assert!(
            !self.accounts.is_empty(),
            "seed companies before SCIM users"
        );
        let start = Instant::now();
        let mut first = None;
        let mut next = from;
        let roles = json!(["learner"]);
        let no_list = json!([]);
        while next < to {
            let end = (next + ROWS_PER_TRANSACTION).min(to);
            // (index, user id, contact id, account id, userName, at)
            let rows: Vec<(u64, Uuid, Uuid, Uuid, String, DateTime<Utc>)> = (next..end)
                .map(|i| {
                    (
                        i,
                        Uuid::now_v7(),
                        Uuid::now_v7(),
                        self.accounts[(i % self.accounts.len() as u64) as usize],
                        scim_user_name(target.prefix, target.tag, i),
                        self.next_at(),
                    )
                })
                .collect();
            write_tx!(&self.pool, c => {
                for batch in rows.chunks(ROWS_PER_STATEMENT) {
                    let sql = insert_sql(&self.pool, "contact", CONTACT_COLUMNS, batch.len());
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for (i, _, contact_id, account_id, user_name, at) in batch {
                        query = query
                            .bind(*contact_id)
                            .bind("Scim")
                            .bind(format!("{} {i}", target.tag))
                            .bind(user_name.clone())
                            .bind(user_name.to_lowercase())
                            .bind(email_skeleton(&user_name.to_lowercase()))
                            .bind(*account_id)
                            .bind(roles.clone())
                            .bind("active")
                            .bind(*at)
                            .bind(*at)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>);
                    }
                    query.execute(&mut *c).await?;
                    let sql = insert_sql(&self.pool, "credential", CREDENTIAL_COLUMNS, batch.len());
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for (_, _, contact_id, _, user_name, at) in batch {
                        query = query
                            .bind(Uuid::now_v7())
                            .bind(*contact_id)
                            .bind("sso")
                            .bind(Some(target.identity_provider_id))
                            .bind(Some(user_name.clone()))
                            .bind(None::<String>)
                            .bind(*at)
                            .bind(None::<DateTime<Utc>>)
                            // Seeded identities come from no brand's sign-in: unknown.
                            .bind(None::<Uuid>);
                    }
                    query.execute(&mut *c).await?;
                    let sql = insert_sql(&self.pool, "scim_user", SCIM_USER_COLUMNS, batch.len());
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for (_, id, contact_id, _, user_name, at) in batch {
                        query = query
                            .bind(*id)
                            .bind(target.configuration_id)
                            .bind(target.identity_provider_id)
                            .bind(*contact_id)
                            .bind(user_name.clone())
                            .bind(user_name.to_lowercase())
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(None::<String>)
                            .bind(Some("work"))
                            .bind(Some(true))
                            .bind(json!([{ "value": user_name, "type": "work", "primary": true }]))
                            .bind(no_list.clone())
                            .bind(no_list.clone())
                            .bind(*at)
                            .bind(*at);
                    }
                    query.execute(&mut *c).await?;
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|e| panic!("seeding SCIM users failed: {e}"));
            if first.is_none() {
                first = rows
                    .first()
                    .map(|(i, id, _, _, user_name, at)| SeededScimUser {
                        id: *id,
                        user_name: user_name.clone(),
                        family_name: format!("{} {i}", target.tag),
                        at: *at,
                    });
            }
            next = end;
        }
        self.record(
            format!(
                "SCIM users ({}) {from} → {to} (rows = users; each also a contact and an SSO \
                 credential)",
                target.tag
            ),
            to - from,
            start,
        );
        first
    }

    /// The ids of a configuration's SCIM users, in creation order (as seeded).
    pub async fn scim_user_ids(&self, configuration_id: Uuid) -> Vec<Uuid> {
        with_pool!(&self.pool, p => {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT id FROM scim_user WHERE configuration_id = $1 ORDER BY created_at, id",
            )
            .bind(configuration_id)
            .fetch_all(p)
            .await
        })
        .unwrap_or_else(|e| panic!("cannot read the seeded SCIM users: {e}"))
    }

    /// Seeds a group of a configuration named `display_name` (whose name maps to no role)
    /// with `members`, as `POST /Groups` writes it: its row, then its memberships in batches.
    /// Returns the group's id.
    pub async fn seed_group(
        &mut self,
        configuration_id: Uuid,
        display_name: &str,
        members: &[Uuid],
    ) -> Uuid {
        let start = Instant::now();
        let id = Uuid::now_v7();
        let at = self.next_at();
        write_tx!(&self.pool, c => {
            let sql = insert_sql(&self.pool, "scim_group", SCIM_GROUP_COLUMNS, 1);
            sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .bind(configuration_id)
                .bind(display_name)
                .bind(fold_name(display_name))
                .bind(None::<String>)
                .bind(at)
                .bind(at)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
        .await
        .unwrap_or_else(|e| panic!("seeding the SCIM group failed: {e}"));
        for chunk in members.chunks(ROWS_PER_TRANSACTION as usize) {
            write_tx!(&self.pool, c => {
                for batch in chunk.chunks(ROWS_PER_STATEMENT) {
                    let sql = insert_sql(
                        &self.pool,
                        "scim_group_member",
                        SCIM_GROUP_MEMBER_COLUMNS,
                        batch.len(),
                    );
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for user in batch {
                        query = query.bind(id).bind(*user);
                    }
                    query.execute(&mut *c).await?;
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|e| panic!("seeding the SCIM group's members failed: {e}"));
        }
        self.record(
            format!("SCIM group members ({display_name})"),
            members.len() as u64,
            start,
        );
        id
    }

    fn record(&mut self, what: String, rows: u64, start: Instant) {
        let elapsed = start.elapsed();
        eprintln!(
            "  seeded {what}: {rows} rows in {:.1} s ({:.0} rows/s)",
            elapsed.as_secs_f64(),
            rows as f64 / elapsed.as_secs_f64().max(1e-9)
        );
        self.times.push(SeedTime {
            what,
            rows,
            elapsed,
        });
    }

    /// Reads the first seeded company and its account back through the API.
    pub async fn verify_company(&self, api: &Api, owner: &str) {
        let (id, at) = self.first_company.expect("no company seeded");
        let company = global_id("Company", id);
        let data = api
            .must(
                owner,
                "query($id: ID!) { company(id: $id) { id name createdAt } \
                 accounts(first: 5, filters: [{field: companyId, operation: eq, value: $id}]) { \
                 edges { node { id name isIndividual createdAt company { id } } } } }",
                json!({ "id": company }),
            )
            .await;
        let expected_account = json!([{ "node": {
            "id": global_id("Account", self.accounts[0]),
            "name": account_name(0),
            "isIndividual": false,
            "createdAt": data["accounts"]["edges"][0]["node"]["createdAt"],
            "company": { "id": company },
        }}]);
        assert_eq!(data["company"]["name"], json!(company_name(0)), "{data}");
        assert_eq!(
            same_time(&data["company"]["createdAt"], at),
            Ok(()),
            "{data}"
        );
        assert_eq!(data["accounts"]["edges"], expected_account, "{data}");
        assert_eq!(
            same_time(&data["accounts"]["edges"][0]["node"]["createdAt"], at),
            Ok(()),
            "{data}"
        );
    }

    /// Reads the first seeded contact back through the API.
    pub async fn verify_contact(&self, api: &Api, owner: &str) {
        let Some(seeded) = &self.first_contact else {
            return;
        };
        let data = api
            .must(
                owner,
                "query($id: ID!) { contact(id: $id) { id email roles status createdAt updatedAt \
                 account { id } } }",
                json!({ "id": global_id("Contact", seeded.id) }),
            )
            .await;
        let contact = &data["contact"];
        assert_eq!(contact["email"], json!(seeded.email), "{data}");
        assert_eq!(contact["roles"], json!(["learner"]), "{data}");
        assert_eq!(contact["status"], json!("active"), "{data}");
        assert_eq!(
            contact["account"]["id"],
            json!(global_id("Account", seeded.account_id)),
            "{data}"
        );
        assert_eq!(
            same_time(&contact["createdAt"], seeded.at),
            Ok(()),
            "{data}"
        );
        assert_eq!(
            same_time(&contact["updatedAt"], seeded.at),
            Ok(()),
            "{data}"
        );
    }
}

pub fn same_time(api_value: &Value, seeded: DateTime<Utc>) -> Result<(), String> {
    let raw = api_value.as_str().ok_or("not a string")?;
    let parsed = DateTime::parse_from_rfc3339(raw).map_err(|e| e.to_string())?;
    if parsed.to_utc() == seeded {
        Ok(())
    } else {
        Err(format!("API says {raw}, seeded {seeded:?}"))
    }
}

pub async fn count(pool: &Pool, table: &str) -> u64 {
    let n: i64 = with_pool!(pool, p => {
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(p)
            .await
    })
    .unwrap_or_else(|e| panic!("cannot count {table}: {e}"));
    n as u64
}
