//! HRIS connections (`hrisConnections`, owners only): pull connectors that feed the employee
//! sync (PRODUCT §7.1) from BambooHR or a Workday report, on a schedule or on demand. A run
//! fetches the whole report, writes it as the employee file it stands for, and imports that
//! through the same sync as any file (`source: hris`, the connection on the sync): the same
//! reader, safeguard, hold rules and records. A failed fetch, or an empty report, changes
//! nothing and is recorded as a rejected sync with its reason.
use chrono::{DateTime, Duration, Utc};
use entity::{employee_sync, hris_connection as connection};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    App, Problems,
    audit::{self, Change},
    employees::{self, Body, Import, Synced},
    now, unique_or_internal,
};
use crate::{
    db,
    domain::{
        access::{Action, Caller, Principal},
        audit::{Actor, AuditEntity},
        employees::SyncSource,
        hris::{self, ConnectionSettings, HrisKind, ReportProblem, Schedule, SettingsInput},
        id::NodeKind,
        stored::StoredEnum,
    },
    error::{AppError, AppResult, ErrorCode, FieldError},
};

mod fetch;

/// How long a run holds its connection's lease: longer than any fetch and sync takes, short
/// enough that a run whose instance died is taken up again soon.
const LEASE: Duration = Duration::minutes(30);
/// How many mapped rows `test` shows.
const SAMPLE_ROWS: usize = 5;

/// A connection's input on create and update; `None`: omitted (kept on update).
#[derive(Default)]
pub struct ConnectionInput<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<HrisKind>,
    pub settings: SettingsInput,
    /// The API key, password or client secret; never returned.
    pub secret: Option<&'a str>,
    /// (our column, their field) changes over the kind's defaults.
    pub field_map: Option<Vec<(String, String)>>,
    /// (`everyHours`, `dailyAt`).
    pub schedule: Option<(Option<i32>, Option<&'a str>)>,
}

/// What `test` found: the report's size and its first rows as the sync would read them, or
/// why it could not be fetched.
pub struct Tested {
    pub ok: bool,
    pub reason: Option<String>,
    pub employee_count: Option<usize>,
    /// (column, value) of each of the first rows.
    pub sample: Vec<Vec<(String, String)>>,
}

fn no_key() -> AppError {
    AppError::field(
        "secret",
        ErrorCode::Invalid,
        "this server has no secret key (--secret-key-file), so it cannot keep HRIS credentials; \
         start it with one",
        None,
    )
}

fn name_taken(raw: &str) -> FieldError {
    FieldError::new(
        "name",
        ErrorCode::AlreadyExists,
        "an HRIS connection with this name already exists",
        Some(raw),
    )
}

/// The stored settings of a connection.
fn settings_of(model: &connection::Model) -> AppResult<ConnectionSettings> {
    serde_json::from_value(model.settings.clone())
        .map_err(|_| AppError::corrupt("hris_connection.settings", &model.settings))
}

/// The stored field map of a connection, (ours, theirs) in order.
pub fn field_map_of(model: &connection::Model) -> AppResult<Vec<(String, String)>> {
    AppError::decode_json("hris_connection.field_map", &model.field_map)
}

fn field_map_json(map: &[(String, String)]) -> Value {
    Value::Array(
        map.iter()
            .map(|(ours, theirs)| Value::Array(vec![ours.clone().into(), theirs.clone().into()]))
            .collect(),
    )
}

/// The stored schedule of a connection.
pub fn schedule_of(model: &connection::Model) -> AppResult<Schedule> {
    Schedule::parse(model.every_hours, model.daily_at.as_deref()).map_err(|_| {
        AppError::corrupt(
            "hris_connection.daily_at",
            model.daily_at.as_deref().unwrap_or(""),
        )
    })
}

fn secret(problems: &mut Problems, raw: &str) -> Option<String> {
    if raw.trim().is_empty() {
        return problems.refuse(FieldError::new(
            "secret",
            ErrorCode::Blank,
            "must not be blank",
            None,
        ));
    }
    if raw.chars().count() > 4096 {
        // The value is never repeated back, even refused.
        return problems.refuse(FieldError::new(
            "secret",
            ErrorCode::TooLong,
            "must be at most 4096 characters",
            None,
        ));
    }
    Some(raw.to_owned())
}

pub async fn create(
    app: &App,
    principal: &Principal,
    input: ConnectionInput<'_>,
) -> AppResult<connection::Model> {
    let actor = app.authorize(principal, Action::ManageAdministrators)?;
    let sealer = app.sealer().ok_or_else(no_key)?;
    let mut problems = Problems::default();
    let name = match input.name {
        Some(raw) => problems.name("name", raw),
        None => problems.refuse(FieldError::new(
            "name",
            ErrorCode::Blank,
            "is required",
            None,
        )),
    };
    let kind = match input.kind {
        Some(kind) => Some(kind),
        None => problems.refuse(FieldError::new(
            "kind",
            ErrorCode::Blank,
            "is required",
            None,
        )),
    };
    let settings = kind.and_then(|kind| problems.check_all(hris::settings(kind, &input.settings)));
    let field_map = kind.and_then(|kind| {
        problems.check_all(hris::field_map(
            kind,
            None,
            input.field_map.as_deref().unwrap_or(&[]),
        ))
    });
    let secret = match input.secret {
        Some(raw) => secret(&mut problems, raw),
        None => problems.refuse(FieldError::new(
            "secret",
            ErrorCode::Blank,
            "is required",
            None,
        )),
    };
    let schedule = match input.schedule {
        Some((hours, daily_at)) => problems.check(Schedule::parse(hours, daily_at)),
        None => problems.refuse(FieldError::new(
            "schedule",
            ErrorCode::Blank,
            "is required: everyHours or dailyAt",
            None,
        )),
    };
    let (((((name, kind), settings), field_map), secret), schedule) = problems.finish(
        name.zip(kind)
            .zip(settings)
            .zip(field_map)
            .zip(secret)
            .zip(schedule),
    )?;
    let id = Uuid::now_v7();
    let at = now();
    let (every_hours, daily_at) = schedule.columns();
    let new = db::hris::NewConnection {
        id,
        name: name.clone(),
        kind,
        settings: serde_json::to_value(&settings)
            .map_err(|e| AppError::Internal(format!("HRIS settings: {e}")))?,
        secret: sealer.seal(id, &secret)?,
        field_map: field_map_json(&field_map),
        every_hours,
        daily_at,
        next_run_at: schedule.next_after(at),
        at,
    };
    app.transaction(async |txn| {
        let model = db::hris::insert(txn, new)
            .await
            .map_err(|e| unique_or_internal(e, || name_taken(&name)))?;
        record(
            txn,
            &actor,
            "hrisConnections.create",
            &model,
            None,
            Some(&model),
        )
        .await?;
        Ok(model)
    })
    .await
}

pub async fn update(
    app: &App,
    principal: &Principal,
    raw_id: &str,
    input: ConnectionInput<'_>,
) -> AppResult<connection::Model> {
    let actor = app.authorize(principal, Action::ManageAdministrators)?;
    let mut problems = Problems::default();
    let name = input.name.and_then(|raw| problems.name("name", raw));
    let secret = input.secret.and_then(|raw| secret(&mut problems, raw));
    let schedule = input
        .schedule
        .and_then(|(hours, daily_at)| problems.check(Schedule::parse(hours, daily_at)));
    app.transaction(async |txn| {
        let current = problems
            .load::<connection::Entity, _>(
                txn,
                NodeKind::HrisConnection,
                "hrisConnectionId",
                raw_id,
            )
            .await?;
        let current = problems.finish(current)?;
        let kind: HrisKind = AppError::decode(&current.kind)?;
        if input.kind.is_some_and(|k| k != kind) {
            return Err(AppError::field(
                "kind",
                ErrorCode::Invalid,
                "a connection's kind cannot change; create another connection",
                Some(input.kind.map_or("", StoredEnum::as_str)),
            ));
        }
        let given = &input.settings;
        let settings_given = given.company_domain.is_some()
            || given.base_url.is_some()
            || given.report_url.is_some()
            || given.auth.is_some()
            || given.username.is_some()
            || given.token_url.is_some();
        let settings = if settings_given {
            let stored = settings_of(&current)?;
            let merged = SettingsInput {
                company_domain: given.company_domain.clone().or(stored.company_domain),
                base_url: given.base_url.clone().or(stored.base_url),
                report_url: given.report_url.clone().or(stored.report_url),
                auth: given.auth.or(stored.auth),
                username: given.username.clone().or(stored.username),
                token_url: given.token_url.clone().or(stored.token_url),
            };
            let checked = hris::settings(kind, &merged).map_err(AppError::Invalid)?;
            Some(
                serde_json::to_value(&checked)
                    .map_err(|e| AppError::Internal(format!("HRIS settings: {e}")))?,
            )
        } else {
            None
        };
        let field_map = match &input.field_map {
            Some(changes) => {
                let current_map = field_map_of(&current)?;
                let map = hris::field_map(kind, Some(&current_map), changes)
                    .map_err(AppError::Invalid)?;
                Some(field_map_json(&map))
            }
            None => None,
        };
        let secret = match &secret {
            Some(secret) => Some(app.sealer().ok_or_else(no_key)?.seal(current.id, secret)?),
            None => None,
        };
        let at = now();
        let changes = db::hris::ConnectionChanges {
            name: name.clone(),
            settings,
            secret,
            field_map,
            schedule: schedule.map(|s| {
                let (hours, daily_at) = s.columns();
                (hours, daily_at, s.next_after(at))
            }),
        };
        let before = current.clone();
        let model = db::hris::update(txn, current, changes, at)
            .await
            .map_err(|e| unique_or_internal(e, || name_taken(name.as_deref().unwrap_or(""))))?;
        record(
            txn,
            &actor,
            "hrisConnections.update",
            &model,
            Some(&before),
            Some(&model),
        )
        .await?;
        Ok(model)
    })
    .await
}

pub async fn delete(
    app: &App,
    principal: &Principal,
    raw_id: &str,
) -> AppResult<connection::Model> {
    let actor = app.authorize(principal, Action::ManageAdministrators)?;
    app.transaction(async |txn| {
        let current = named(txn, raw_id).await?;
        db::hris::delete(txn, current.id).await?;
        record(
            txn,
            &actor,
            "hrisConnections.delete",
            &current,
            Some(&current),
            None,
        )
        .await?;
        Ok(current)
    })
    .await
}

/// The connection `raw_id` names (`hrisConnectionId`).
async fn named(db: &impl sea_orm::ConnectionTrait, raw_id: &str) -> AppResult<connection::Model> {
    super::load::<connection::Entity, _>(db, NodeKind::HrisConnection, "hrisConnectionId", raw_id)
        .await
        .map_err(super::load_error)
}

/// The audit record of a change; the sealed secret is left out (PRODUCT: never shown), and
/// so is the lease.
async fn record(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    operation: &str,
    model: &connection::Model,
    before: Option<&connection::Model>,
    after: Option<&connection::Model>,
) -> AppResult<()> {
    let row = |m: &connection::Model| {
        let mut row = db::audit::row(m);
        for hidden in ["secret", "leaseUntil", "lease_until"] {
            row.remove(hidden);
        }
        row
    };
    let change = Change {
        entity: AuditEntity::HrisConnection,
        id: model.id,
        brand_id: None,
        before: before.map(row),
        after: after.map(row),
    };
    audit::record(txn, actor, operation, change).await
}

/// Fetches the report and maps it as a run would, changing nothing: whether the credentials
/// work, and the first rows as the sync would read them.
pub async fn test(app: &App, principal: &Principal, raw_id: &str) -> AppResult<Tested> {
    app.authorize(principal, Action::ManageAdministrators)?;
    let model = named(app.db(), raw_id).await?;
    let map = field_map_of(&model)?;
    Ok(match report(app, &model).await? {
        Err(problem) => Tested {
            ok: false,
            reason: Some(problem.0),
            employee_count: None,
            sample: Vec::new(),
        },
        Ok(records) => Tested {
            ok: !records.is_empty(),
            reason: records
                .is_empty()
                .then(|| "the report has no employees; an empty report is never applied".into()),
            employee_count: Some(records.len()),
            sample: records
                .iter()
                .take(SAMPLE_ROWS)
                .map(|r| hris::mapped_row(r, &map))
                .collect(),
        },
    })
}

/// The connection's report, or why it could not be had (`Err` only for the service's own
/// failures: a secret that does not open).
async fn report(
    app: &App,
    model: &connection::Model,
) -> AppResult<Result<Vec<Map<String, Value>>, ReportProblem>> {
    let Some(sealer) = app.sealer() else {
        return Ok(Err(ReportProblem(
            "this server has no secret key (--secret-key-file) to open the connection's \
             credentials"
                .to_owned(),
        )));
    };
    let secret = sealer.open(model.id, &model.secret)?;
    let settings = settings_of(model)?;
    let map = field_map_of(model)?;
    let source = fetch::Source {
        kind: AppError::decode(&model.kind)?,
        settings: &settings,
        secret: &secret,
        fields: map.iter().map(|(_, theirs)| theirs.as_str()).collect(),
        timeout: app.limits().hris_timeout,
    };
    Ok(fetch::records(&source).await)
}

/// `syncNow`: one run now, as the owner who asks; the schedule is unchanged.
pub async fn sync_now(app: &App, principal: &Principal, raw_id: &str) -> AppResult<Synced> {
    app.authorize(principal, Action::ManageAdministrators)?;
    let model = named(app.db(), raw_id).await?;
    run(app, &model, Caller::Token(principal)).await
}

/// One run of `model`: its report imported as an employee file, or a rejected sync that says
/// why there was none.
async fn run(app: &App, model: &connection::Model, caller: Caller<'_>) -> AppResult<Synced> {
    let import = import_of(model);
    let map = field_map_of(model)?;
    let file = report(app, model)
        .await?
        .and_then(|records| hris::to_file(&records, &map));
    match file {
        Ok(text) => employees::import(app, caller, import, Body::Bytes(text.as_bytes())).await,
        Err(problem) => {
            tracing::warn!(connection = %model.id, reason = %problem.0, "HRIS report not synced");
            employees::reject_unread(app, caller, &import, &problem.0).await
        }
    }
}

/// How a run of `model` is recorded: its sync names the connection (its file name and
/// `hris_connection_id`).
fn import_of(model: &connection::Model) -> Import<'_> {
    Import {
        source: SyncSource::Hris,
        hris_connection: Some(model.id),
        file_name: Some(&model.name),
        dry_run: false,
        // `syncNow` answers with the sync, whose changes a caller may read.
        answer_changes: true,
    }
}

/// Runs every connection due at `now` whose lease this instance wins; the ids run.
pub async fn run_due(app: &App, now: DateTime<Utc>) -> AppResult<Vec<Uuid>> {
    let leased = db::hris::lease_due(app.db(), now, now + LEASE).await?;
    let mut ran = Vec::with_capacity(leased.len());
    for model in leased {
        let caller = || Caller::Operator("HRIS schedule");
        if let Err(e) = run(app, &model, caller()).await {
            tracing::error!(connection = %model.id, error = %e, "scheduled HRIS sync failed");
            // Shown on the connection as its last sync, so that a run that failed inside the
            // server is not mistaken for one that never came; if even that cannot be
            // written, the log above is all there is.
            let reason = "the sync failed inside the server (its log says why); nothing was \
                          changed, and the next run is at its scheduled time";
            if let Err(e) =
                employees::reject_unread(app, caller(), &import_of(&model), reason).await
            {
                tracing::error!(connection = %model.id, error = %e, "a failed HRIS sync could not be recorded");
            }
        }
        let next = schedule_of(&model)?.next_after(now);
        db::hris::finish_run(app.db(), model.id, now, next).await?;
        ran.push(model.id);
    }
    Ok(ran)
}

/// The connections, by name.
pub async fn list(app: &App, principal: &Principal) -> AppResult<Vec<connection::Model>> {
    app.authorize(principal, Action::ManageAdministrators)?;
    Ok(db::hris::all(app.db()).await?)
}

/// The latest sync a connection ran, if any.
pub async fn last_sync(app: &App, id: Uuid) -> AppResult<Option<employee_sync::Model>> {
    Ok(db::hris::last_sync(app.db(), id).await?)
}
