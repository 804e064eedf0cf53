//! Administrators and their events: the one place their rows are built, for manual changes,
//! SSO sign-ins and employee syncs alike, and the reads those decide on.
use chrono::{DateTime, Utc};
use entity::{administrator, administrator_event};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use super::set_some;

use crate::domain::{
    employees::{AdminOrigin, AdminRole, AdminStatus, ChangeKind},
    stored::StoredEnum,
    validate,
};

/// Rows per multi-row insert: 14 columns × 500 stays far below SQLite's and PostgreSQL's
/// parameter limits.
const BATCH: usize = 500;

/// A new administrator. The id is the caller's: a sync names it in its record before the
/// row is written.
pub struct NewAdministrator {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: AdminRole,
    pub status: AdminStatus,
    pub origin: AdminOrigin,
    pub rule_id: Option<Uuid>,
    pub employee_id: Option<String>,
    pub at: DateTime<Utc>,
}

fn row(new: NewAdministrator) -> administrator::ActiveModel {
    administrator::ActiveModel {
        id: Set(new.id),
        email_folded: Set(validate::fold(&new.email)),
        email: Set(new.email),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        role: Set(new.role.as_str().to_owned()),
        status: Set(new.status.as_str().to_owned()),
        origin: Set(new.origin.as_str().to_owned()),
        rule_id: Set(new.rule_id),
        employee_id: Set(new.employee_id),
        sign_in_identity_provider_id: Set(None),
        sign_in_subject: Set(None),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    }
}

/// Writes one new administrator (not yet bound to an SSO identity).
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewAdministrator,
) -> Result<administrator::Model, DbErr> {
    row(new).insert(db).await
}

/// Writes new administrators, [`BATCH`] per statement: a sync may create thousands.
pub async fn insert_many<Db: ConnectionTrait>(
    db: &Db,
    new: Vec<NewAdministrator>,
) -> Result<(), DbErr> {
    insert_batched(db, new.into_iter().map(row)).await
}

/// Writes `rows`, [`BATCH`] per statement.
async fn insert_batched<A, Db>(db: &Db, rows: impl Iterator<Item = A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
    Db: ConnectionTrait,
{
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH).collect();
        A::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The columns an administrator change sets; `None` leaves a column as it is.
#[derive(Default)]
pub struct AdministratorUpdate {
    pub role: Option<AdminRole>,
    pub status: Option<AdminStatus>,
    pub rule_id: Option<Option<Uuid>>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Forget the (IdP, subject) of the administrator's SSO sign-in.
    pub forget_sign_in: bool,
}

impl AdministratorUpdate {
    /// Whether it sets no column at all (an update would only move `updated_at`).
    pub fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.status.is_none()
            && self.rule_id.is_none()
            && self.email.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && !self.forget_sign_in
    }
}

/// Writes the columns `update` sets and `updated_at` to one administrator; the row as it is
/// now. `RecordNotUpdated` when there is no such administrator.
pub async fn update<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    update: AdministratorUpdate,
    at: DateTime<Utc>,
) -> Result<administrator::Model, DbErr> {
    let mut model = administrator::ActiveModel {
        id: Unchanged(id),
        updated_at: Set(at),
        ..Default::default()
    };
    set_some(
        &mut model.role,
        update.role.map(|role| role.as_str().to_owned()),
    );
    set_some(
        &mut model.status,
        update.status.map(|status| status.as_str().to_owned()),
    );
    set_some(&mut model.rule_id, update.rule_id);
    if let Some(email) = update.email {
        model.email_folded = Set(validate::fold(&email));
        model.email = Set(email);
    }
    set_some(&mut model.first_name, update.first_name);
    set_some(&mut model.last_name, update.last_name);
    if update.forget_sign_in {
        model.sign_in_identity_provider_id = Set(None);
        model.sign_in_subject = Set(None);
    }
    model.update(db).await
}

/// Records the (IdP, subject) of an administrator's first SSO sign-in, unless one is already
/// recorded: 0 rows when a concurrent first sign-in bound the administrator first (the
/// statement waits for it on PostgreSQL and then finds the subject set). A unique violation
/// means another administrator is bound to this identity.
pub async fn bind_sign_in<Db: ConnectionTrait>(
    db: &Db,
    administrator_id: Uuid,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<u64, DbErr> {
    Ok(administrator::Entity::update_many()
        .col_expr(
            administrator::Column::SignInIdentityProviderId,
            Expr::value(identity_provider_id),
        )
        .col_expr(administrator::Column::SignInSubject, Expr::value(subject))
        .filter(administrator::Column::Id.eq(administrator_id))
        .filter(administrator::Column::SignInSubject.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// One event of an administrator's history (`Administrator.events`): a manual change, or a
/// change of a sync.
pub struct NewEvent {
    pub administrator_id: Uuid,
    pub employee_sync_id: Option<Uuid>,
    pub kind: ChangeKind,
    pub rule_id: Option<Uuid>,
    pub rule_name: Option<String>,
    pub old_role: Option<String>,
    pub new_role: String,
    pub old_status: Option<String>,
    pub new_status: String,
    pub reason: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

fn event_row(event: NewEvent) -> administrator_event::ActiveModel {
    administrator_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        administrator_id: Set(event.administrator_id),
        employee_sync_id: Set(event.employee_sync_id),
        kind: Set(event.kind.as_str().to_owned()),
        rule_id: Set(event.rule_id),
        rule_name: Set(event.rule_name),
        old_role: Set(event.old_role),
        new_role: Set(event.new_role),
        old_status: Set(event.old_status),
        new_status: Set(event.new_status),
        reason: Set(event.reason),
        actor: Set(event.actor),
        occurred_at: Set(event.at),
    }
}

/// Writes events, [`BATCH`] per statement: a sync writes one per change.
pub async fn insert_events<Db: ConnectionTrait>(
    db: &Db,
    events: Vec<NewEvent>,
) -> Result<(), DbErr> {
    insert_batched(db, events.into_iter().map(event_row)).await
}

/// Every administrator, by id.
pub async fn all<Db: ConnectionTrait>(db: &Db) -> Result<Vec<administrator::Model>, DbErr> {
    administrator::Entity::find()
        .order_by_asc(administrator::Column::Id)
        .all(db)
        .await
}

pub async fn with_email<Db: ConnectionTrait>(
    db: &Db,
    email_folded: &str,
) -> Result<Option<administrator::Model>, DbErr> {
    administrator::Entity::find()
        .filter(administrator::Column::EmailFolded.eq(email_folded))
        .one(db)
        .await
}

/// An administrator as it is now, its row locked to the end of the transaction on PostgreSQL
/// (SQLite's write transaction already holds the whole database): a token issued under the
/// lock cannot race the administrator's deactivation or demotion. Whichever comes second
/// sees the first: the sign-in reads the new status, or the revocation the new token.
pub async fn locked<Db: ConnectionTrait>(
    db: &Db,
    administrator_id: Uuid,
) -> Result<Option<administrator::Model>, DbErr> {
    let query = administrator::Entity::find_by_id(administrator_id);
    if db.get_database_backend() == DbBackend::Postgres {
        query.lock_exclusive().one(db).await
    } else {
        query.one(db).await
    }
}
