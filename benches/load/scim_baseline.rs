//! The SCIM baseline: the least SQL that answers each SCIM request, done directly with sqlx on
//! a pool of the server's size (issue 23, item 2). The configuration a token serves is read
//! once and kept, as the server keeps it with the token; a create runs in one write
//! transaction (`BEGIN IMMEDIATE` on SQLite), a list on the pool. A first page is one
//! statement joined to the contacts, and its total is what it found (a `userName eq` filter
//! finds one); a deep page counts, finds its ids in `scim_user` and joins only them. The
//! group memberships of the page are one joined statement. So `ratio` prices HTTP, the token,
//! the SCIM parsing and rendering, sea-orm and whatever SQL the server runs beyond this.
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, AssertSqlSafe, Row as _};
use serde_json::json;
use uuid::Uuid;

use crate::{
    baseline::{
        ConfigurationRow, INSERT_ACCOUNT, INSERT_CONTACT, INSERT_CREDENTIAL, INSERT_EVENT,
        SELECT_CONFIGURATION, SELECT_CREDENTIAL, unexpected,
    },
    db::{Pool, with_pool, write_tx},
    driver::{Op, op},
    scim::{Toggles, last_page, new_user_name},
    seed::{now, scim_user_name},
};

const SELECT_ROLE_MAPPINGS: &str = "SELECT id, configuration_id, provider_role, role \
    FROM role_mapping WHERE configuration_id = $1 ORDER BY provider_role";
/// `user_named`: is the (folded) userName taken at this identity provider?
const SELECT_USER_NAMED: &str = "SELECT id FROM scim_user \
    WHERE identity_provider_id = $1 AND user_name_folded = $2 LIMIT 1";
const INSERT_SCIM_USER: &str = "INSERT INTO scim_user (id, configuration_id, \
    identity_provider_id, contact_id, user_name, user_name_folded, external_id, display_name, \
    title, department, employee_number, organization, manager_id, email_type, email_primary, \
    emails, phone_numbers, group_roles, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, \
    $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";

/// The columns of a `scim_user` row, as the service loads them.
const SCIM_USER_ROW: &str = "scim_user.id, scim_user.configuration_id, \
    scim_user.identity_provider_id, scim_user.contact_id, scim_user.user_name, \
    scim_user.user_name_folded, scim_user.external_id, scim_user.display_name, scim_user.title, \
    scim_user.department, scim_user.employee_number, scim_user.organization, \
    scim_user.manager_id, scim_user.email_type, scim_user.email_primary, scim_user.emails, \
    scim_user.phone_numbers, scim_user.group_roles, scim_user.created_at, scim_user.updated_at";
/// ... and of its contact.
const CONTACT_ROW: &str = "contact.id, contact.first_name, contact.last_name, contact.email, \
    contact.email_folded, contact.account_id, contact.roles, contact.status, contact.created_at, \
    contact.updated_at";
/// The configuration's users (the filter reads no contact attribute).
const USERS_WHERE: &str = "WHERE scim_user.configuration_id = $1";
/// Who holds an email: the address itself, or a look-alike (the same confusable skeleton).
const SELECT_EMAIL_HOLDERS: &str = "SELECT id, email_folded FROM contact \
    WHERE email_folded = $1 OR email_skeleton = $2 \
    ORDER BY CASE WHEN email_folded = $1 THEN 0 ELSE 1 END LIMIT 2";

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a list reads for users: `total` and the page's (user id, userName).
struct Page {
    total: i64,
    users: Vec<(Uuid, String)>,
}

pub struct ScimBaseline {
    pool: Pool,
    brand: Uuid,
    identity_provider_id: Uuid,
    /// The dataset's seeded users, named as the seeder names them.
    prefix: String,
    tag: &'static str,
    seeded: u64,
    /// The baseline's own new users, apart from the server's.
    new_prefix: String,
    counter: AtomicU64,
    /// The configuration's id and default role, read once.
    scope: tokio::sync::OnceCell<(Uuid, String)>,
}

impl ScimBaseline {
    pub fn new(
        pool: Pool,
        brand: Uuid,
        identity_provider_id: Uuid,
        prefix: &str,
        tag: &'static str,
        seeded: u64,
    ) -> Arc<Self> {
        Arc::new(Self {
            pool,
            brand,
            identity_provider_id,
            prefix: prefix.to_owned(),
            tag,
            seeded,
            new_prefix: format!("{prefix}-baseline"),
            counter: AtomicU64::new(0),
            scope: tokio::sync::OnceCell::new(),
        })
    }

    /// The scope of every SCIM request: the configuration of (brand, IdP), and its role
    /// mappings, read at the first request and kept.
    async fn scope(&self) -> Result<(Uuid, String), sqlx::Error> {
        self.scope
            .get_or_try_init(|| self.read_scope())
            .await
            .cloned()
    }

    async fn read_scope(&self) -> Result<(Uuid, String), sqlx::Error> {
        with_pool!(&self.pool, p => async {
            let config: ConfigurationRow = sqlx::query_as(SELECT_CONFIGURATION)
                .bind(self.brand)
                .bind(self.identity_provider_id)
                .fetch_optional(p)
                .await?
                .ok_or_else(|| unexpected("no configuration"))?;
            let _mappings = sqlx::query(SELECT_ROLE_MAPPINGS)
                .bind(config.0)
                .fetch_all(p)
                .await?;
            Ok((config.0, config.11))
        }
        .await)
    }

    /// How many SCIM users the configuration has.
    pub async fn users(&self) -> u64 {
        let counted = async {
            let (configuration_id, _) = self.scope().await?;
            with_pool!(&self.pool, p => {
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM scim_user WHERE configuration_id = $1",
                )
                .bind(configuration_id)
                .fetch_one(p)
                .await
            })
        };
        counted
            .await
            .unwrap_or_else(|e| panic!("cannot count the SCIM users: {e}")) as u64
    }

    /// A page of users and their group memberships: with `offset` 0, one statement joined to
    /// the contacts (with `filter` on the folded userName, the IdP named too), its total what it
    /// found unless the page is full; deeper, the count, the page's ids in `scim_user` alone,
    /// and their rows joined to their contacts. Then the memberships, one joined statement.
    async fn list(
        &self,
        configuration_id: Uuid,
        user_name_folded: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Page, sqlx::Error> {
        let filter = if user_name_folded.is_some() {
            " AND scim_user.user_name_folded = $2 AND scim_user.identity_provider_id = $3"
        } else {
            ""
        };
        let next = if user_name_folded.is_some() { 4 } else { 2 };
        let order = "ORDER BY scim_user.created_at, scim_user.id";
        let idp = self.identity_provider_id;
        with_pool!(&self.pool, p => async {
            let (total, users) = if offset == 0 {
                let sql = format!(
                    "SELECT {SCIM_USER_ROW}, {CONTACT_ROW} FROM scim_user JOIN contact \
                     ON scim_user.contact_id = contact.id {USERS_WHERE}{filter} {order} \
                     LIMIT ${next}"
                );
                let mut rows = sqlx::query(AssertSqlSafe(sql)).bind(configuration_id);
                if let Some(folded) = user_name_folded {
                    rows = rows.bind(folded).bind(idp);
                }
                let users = rows
                    .bind(limit as i64)
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|row| Ok((row.try_get::<Uuid, _>(0)?, row.try_get::<String, _>(4)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                let total = if (users.len() as u64) < limit {
                    users.len() as i64
                } else {
                    let count_sql = format!("SELECT count(*) FROM scim_user {USERS_WHERE}{filter}");
                    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql))
                        .bind(configuration_id);
                    if let Some(folded) = user_name_folded {
                        count = count.bind(folded).bind(idp);
                    }
                    count.fetch_one(p).await?
                };
                (total, users)
            } else {
                let count_sql = format!("SELECT count(*) FROM scim_user {USERS_WHERE}{filter}");
                let ids_sql = format!(
                    "SELECT scim_user.id FROM scim_user {USERS_WHERE}{filter} {order} \
                     LIMIT ${next} OFFSET ${}",
                    next + 1
                );
                let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql))
                    .bind(configuration_id);
                let mut ids = sqlx::query_scalar::<_, Uuid>(AssertSqlSafe(ids_sql))
                    .bind(configuration_id);
                if let Some(folded) = user_name_folded {
                    count = count.bind(folded).bind(idp);
                    ids = ids.bind(folded).bind(idp);
                }
                let total = count.fetch_one(p).await?;
                let ids = ids.bind(limit as i64).bind(offset as i64).fetch_all(p).await?;
                let mut users = Vec::new();
                if !ids.is_empty() {
                    let sql = format!(
                        "SELECT {SCIM_USER_ROW}, {CONTACT_ROW} FROM scim_user JOIN contact \
                         ON scim_user.contact_id = contact.id WHERE scim_user.id IN ({})",
                        placeholders(1, ids.len())
                    );
                    let mut rows = sqlx::query(AssertSqlSafe(sql));
                    for id in &ids {
                        rows = rows.bind(*id);
                    }
                    // The keys and names; the rest of each row travels but is not decoded.
                    users = rows
                        .fetch_all(p)
                        .await?
                        .iter()
                        .map(|row| Ok((row.try_get::<Uuid, _>(0)?, row.try_get::<String, _>(4)?)))
                        .collect::<Result<Vec<_>, sqlx::Error>>()?;
                }
                (total, users)
            };
            if !users.is_empty() {
                let sql = format!(
                    "SELECT scim_group_member.user_id, scim_group_member.group_id, \
                     scim_group.display_name FROM scim_group_member JOIN scim_group \
                     ON scim_group.id = scim_group_member.group_id \
                     WHERE scim_group_member.user_id IN ({}) \
                     ORDER BY scim_group.display_name_folded, scim_group_member.group_id",
                    placeholders(1, users.len())
                );
                let mut members = sqlx::query(AssertSqlSafe(sql));
                for (id, _) in &users {
                    members = members.bind(*id);
                }
                members.fetch_all(p).await?;
            }
            Ok(Page { total, users })
        }
        .await)
    }

    /// Scope, then the list filtered on a random seeded user's userName: exactly that user.
    pub fn filter(self: &Arc<Self>) -> Op {
        assert!(self.seeded > 0, "no seeded SCIM users to look up");
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                let i = rand::random_range(0..this.seeded);
                let user_name = scim_user_name(&this.prefix, this.tag, i);
                let folded = user_name.to_lowercase();
                let page = async {
                    let (configuration_id, _) = this.scope().await?;
                    this.list(configuration_id, Some(&folded), 0, 100).await
                }
                .await
                .map_err(|e| e.to_string())?;
                if page.total != 1 || page.users.len() != 1 || page.users[0].1 != user_name {
                    return Err(format!(
                        "filter on {user_name}: {} of {} rows",
                        page.users.len(),
                        page.total
                    ));
                }
                Ok(())
            }
        })
    }

    /// Scope, then the last page of 100 among `total` users.
    pub fn deep_page(self: &Arc<Self>, total: u64) -> Op {
        let (start, rows) = last_page(total);
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                let page = async {
                    let (configuration_id, _) = this.scope().await?;
                    this.list(configuration_id, None, start - 1, 100).await
                }
                .await
                .map_err(|e| e.to_string())?;
                if page.total != total as i64 || page.users.len() as u64 != rows {
                    return Err(format!(
                        "expected {rows} of {total} users, got {} of {}",
                        page.users.len(),
                        page.total
                    ));
                }
                Ok(())
            }
        })
    }

    /// The first `limit` users of the configuration, in list order.
    pub async fn user_ids(&self, limit: u64) -> Vec<Uuid> {
        let listed = async {
            let (configuration_id, _) = self.scope().await?;
            with_pool!(&self.pool, p => {
                sqlx::query_scalar::<_, Uuid>(
                    "SELECT id FROM scim_user WHERE configuration_id = $1 \
                     ORDER BY created_at, id LIMIT $2",
                )
                .bind(configuration_id)
                .bind(limit as i64)
                .fetch_all(p)
                .await
            })
        };
        listed
            .await
            .unwrap_or_else(|e| panic!("cannot list the SCIM users: {e}"))
    }

    /// In one write transaction: the user joined to its contact (locked on PostgreSQL), its
    /// groups for the answer, the contact's new status, the user's `updated_at` and the
    /// provisioning event.
    pub fn patch_active(self: &Arc<Self>, toggles: &Arc<Toggles>) -> Op {
        let (this, toggles) = (self.clone(), toggles.clone());
        op(move |_| {
            let this = this.clone();
            let (id, active) = toggles.next();
            async move { this.set_active(id, active).await.map_err(|e| e.to_string()) }
        })
    }

    async fn set_active(&self, id: Uuid, active: bool) -> Result<(), sqlx::Error> {
        let (configuration_id, _) = self.scope().await?;
        let lock = match self.pool {
            Pool::Pg(_) => " FOR UPDATE",
            Pool::Sqlite(_) => "",
        };
        let select = format!(
            "SELECT {SCIM_USER_ROW}, {CONTACT_ROW} FROM scim_user JOIN contact \
             ON scim_user.contact_id = contact.id \
             WHERE scim_user.id = $1 AND scim_user.configuration_id = $2{lock}"
        );
        let (brand, idp) = (self.brand, self.identity_provider_id);
        let (status, outcome) = match active {
            true => ("active", "reactivated"),
            false => ("inactive", "deactivated"),
        };
        write_tx!(&self.pool, c => {
            let at = now();
            let row = sqlx::query(AssertSqlSafe(select.clone()))
                .bind(id)
                .bind(configuration_id)
                .fetch_optional(&mut *c)
                .await?
                .ok_or_else(|| unexpected("no such SCIM user"))?;
            // After the 20 columns of the user: the contact's id, …, its account (6th).
            let user_name: String = row.try_get(4)?;
            let contact_id: Uuid = row.try_get(20)?;
            let account_id: Uuid = row.try_get(25)?;
            sqlx::query(
                "SELECT scim_group_member.group_id, scim_group.display_name \
                 FROM scim_group_member JOIN scim_group ON scim_group.id = scim_group_member.group_id \
                 WHERE scim_group_member.user_id = $1 ORDER BY scim_group.display_name_folded",
            )
            .bind(id)
            .fetch_all(&mut *c)
            .await?;
            sqlx::query("UPDATE contact SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status)
                .bind(at)
                .bind(contact_id)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE scim_user SET updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut *c)
                .await?;
            sqlx::query(INSERT_EVENT)
                .bind(Uuid::now_v7())
                .bind(at)
                .bind(Some(brand))
                .bind(Some(idp))
                .bind(user_name)
                .bind(Some(contact_id))
                .bind(Some(account_id))
                .bind(outcome)
                .bind(None::<String>)
                .bind(json!(["status"]))
                .bind(Some("deactivated by the identity provider (SCIM): sign-ins are denied"))
                .bind("scim")
                .execute(&mut *c)
                .await?;
            Ok(())
        })
        .await
    }

    /// In one write transaction: the userName check, the SSO identity, who holds the email (or
    /// a look-alike), a new individual account, the contact, the SSO credential, the SCIM user
    /// and the provisioning event. A new user is in no group: nothing more for the answer.
    pub fn create(self: &Arc<Self>) -> Op {
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                let n = this.counter.fetch_add(1, Ordering::Relaxed);
                let user_name = new_user_name(&this.new_prefix, this.tag, n);
                this.create_user(&user_name, &format!("{} {n}", this.tag))
                    .await
                    .map_err(|e| e.to_string())
            }
        })
    }

    async fn create_user(&self, user_name: &str, family: &str) -> Result<(), sqlx::Error> {
        let (configuration_id, default_role) = self.scope().await?;
        let (brand, idp) = (self.brand, self.identity_provider_id);
        let folded = user_name.to_lowercase();
        let emails = json!([{ "value": user_name, "type": "work", "primary": true }]);
        write_tx!(&self.pool, c => {
            let at = now();
            let taken: Option<(Uuid,)> = sqlx::query_as(SELECT_USER_NAMED)
                .bind(idp)
                .bind(folded.as_str())
                .fetch_optional(&mut *c)
                .await?;
            if taken.is_some() {
                return Err(unexpected("the userName is taken"));
            }
            let by_identity: Option<(Uuid, Uuid)> = sqlx::query_as(SELECT_CREDENTIAL)
                .bind(idp)
                .bind(user_name)
                .fetch_optional(&mut *c)
                .await?;
            let holders: Vec<(Uuid, String)> = sqlx::query_as(SELECT_EMAIL_HOLDERS)
                .bind(folded.as_str())
                .bind(folded.as_str())
                .fetch_all(&mut *c)
                .await?;
            if by_identity.is_some() || !holders.is_empty() {
                return Err(unexpected("the user is known already"));
            }
            let account_id = Uuid::now_v7();
            sqlx::query(INSERT_ACCOUNT)
                .bind(account_id)
                .bind(format!("Pushed {family}"))
                .bind(true)
                .bind(None::<Uuid>)
                .bind(at)
                .execute(&mut *c)
                .await?;
            let contact_id = Uuid::now_v7();
            sqlx::query(INSERT_CONTACT)
                .bind(contact_id)
                .bind("Pushed")
                .bind(family)
                .bind(user_name)
                .bind(folded.as_str())
                .bind(account_id)
                .bind(json!([default_role]))
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
                .bind(Some(user_name))
                .bind(None::<String>)
                .bind(at)
                .bind(None::<DateTime<Utc>>)
                .execute(&mut *c)
                .await?;
            let user_id = Uuid::now_v7();
            sqlx::query(INSERT_SCIM_USER)
                .bind(user_id)
                .bind(configuration_id)
                .bind(idp)
                .bind(contact_id)
                .bind(user_name)
                .bind(folded.as_str())
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(Some("work"))
                .bind(Some(true))
                .bind(emails)
                .bind(json!([]))
                .bind(json!([]))
                .bind(at)
                .bind(at)
                .execute(&mut *c)
                .await?;
            sqlx::query(INSERT_EVENT)
                .bind(Uuid::now_v7())
                .bind(at)
                .bind(Some(brand))
                .bind(Some(idp))
                .bind(user_name)
                .bind(Some(contact_id))
                .bind(Some(account_id))
                .bind("created")
                .bind(Some("individualAccount"))
                .bind(json!(["email", "firstName", "lastName", "status", "roles"]))
                .bind(Some(
                    "pushed by SCIM: no default account and the user has no organization: \
                     new individual account",
                ))
                .bind("scim")
                .execute(&mut *c)
                .await?;
            Ok(())
        })
        .await
    }
}
