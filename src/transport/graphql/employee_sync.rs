//! Employee syncs: the object type (counts, rejected rows, changes), the `employeeSyncs`
//! query, and the mutations that import a file and apply a held sync.
use super::types::Timestamp;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::employee_sync;
use serde::{Deserialize, Deserializer, de};

use super::{
    Allow,
    administrator::{AdminRole, AdministratorChangeKind, AdministratorStatus},
    app,
    connection::{EmployeeSyncField, entity_queries},
    hris::HrisConnection,
    mutation::entity_payload,
    principal,
    types::{json, row_object, stored_or_null},
};
use crate::{
    domain::{
        access::Action,
        employees::{
            AdminRole as DomainRole, AdminStatus as DomainAdminStatus,
            ChangeKind as DomainChangeKind, HoldReason as DomainHoldReason,
            SyncSource as DomainSource, SyncStatus as DomainStatus,
        },
        id::NodeKind,
        stored::StoredEnum,
    },
    service::employees::{self, Body, Import, Synced},
};

/// What became of one employee sync.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainStatus", rename_items = "camelCase")]
pub enum EmployeeSyncStatus {
    /// Its changes were written.
    Applied,
    /// It would deactivate too many administrators: nothing was written, it waits for an
    /// explicit apply.
    Held,
    /// Planned only, on request: nothing was written.
    DryRun,
    /// The file was refused whole: nothing was written.
    Rejected,
    /// A held sync that a later one replaced: it can no longer be applied.
    Superseded,
}
/// Why a sync is held.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainHoldReason", rename_items = "camelCase")]
pub enum EmployeeSyncHoldReason {
    /// It would deactivate more than `--max-deactivation-percent` of the active
    /// rule-provisioned administrators.
    TooManyDeactivations,
    /// Its sender is support, and it would create, reactivate, promote to, or change the
    /// email or names of, an administrator above support: an owner must apply it.
    NeedsOwner,
}
/// Which door an employee sync came through.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainSource", rename_items = "camelCase")]
pub enum EmployeeSyncSource {
    /// `POST /employee-files` or GraphQL.
    Upload,
    /// `autoprov employees import`.
    Cli,
    /// A file dropped into the inbox directory.
    Inbox,
    /// A rule change re-applied to the latest snapshot.
    Rules,
    /// A report pulled from an HRIS connection (`hrisConnection` says which).
    Hris,
}

/// A row of the file that was refused (left out of the snapshot), or read and left alone.
#[derive(SimpleObject, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeRowProblem {
    pub line: u64,
    pub employee_id: Option<String>,
    pub message: String,
}

/// One change a sync made (or, held or dry run, would make).
#[derive(SimpleObject, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeSyncChange {
    /// Null for an administrator a held or dry-run sync would create.
    pub administrator_id: Option<ID>,
    pub employee_id: String,
    /// The administrator's email after the change: a new one's, or an existing one's new or
    /// unchanged address (null only in syncs recorded before it was kept for every change).
    pub email: Option<String>,
    #[serde(deserialize_with = "spelled::<DomainChangeKind, _, _>")]
    pub kind: AdministratorChangeKind,
    pub rule_id: Option<ID>,
    /// The rule's name at the time.
    pub rule_name: Option<String>,
    /// Null for a creation.
    #[serde(default, deserialize_with = "spelled_or_null::<DomainRole, _, _>")]
    pub old_role: Option<AdminRole>,
    #[serde(deserialize_with = "spelled::<DomainRole, _, _>")]
    pub new_role: AdminRole,
    /// Null for a creation.
    #[serde(
        default,
        deserialize_with = "spelled_or_null::<DomainAdminStatus, _, _>"
    )]
    pub old_status: Option<AdministratorStatus>,
    #[serde(deserialize_with = "spelled::<DomainAdminStatus, _, _>")]
    pub new_status: AdministratorStatus,
    pub reason: String,
}

/// A stored enum's spelling in a sync's JSON, as its API enum.
fn spelled<'de, D: StoredEnum, G: From<D>, De: Deserializer<'de>>(de: De) -> Result<G, De::Error> {
    parse_spelling::<D, G, _>(&String::deserialize(de)?)
}

/// [`spelled`], or null.
fn spelled_or_null<'de, D: StoredEnum, G: From<D>, De: Deserializer<'de>>(
    de: De,
) -> Result<Option<G>, De::Error> {
    let raw = Option::<String>::deserialize(de)?;
    raw.map(|raw| parse_spelling::<D, G, _>(&raw)).transpose()
}

fn parse_spelling<D: StoredEnum, G: From<D>, E: de::Error>(raw: &str) -> Result<G, E> {
    D::parse(raw)
        .map(G::from)
        .ok_or_else(|| E::custom(format!("unknown {} `{raw}`", D::COLUMN)))
}

row_object! {
    #[Object]
    /// One employee file (or rule change) evaluated against the rules, and what it did.
    EmployeeSync(employee_sync::Model), id NodeKind::EmployeeSync;
    columns {
        file_name: Option<String>,
        /// Who sent the file or changed the rule.
        actor: Option<String>,
        /// Data rows read (accepted and refused).
        rows: i32,
        /// Rows refused, in all; `rejectedRows` keeps the first 1,000 of them.
        rejected_row_count: i32,
        created: i32,
        reactivated: i32,
        deactivated: i32,
        role_changed: i32,
        /// Administrators whose email or names followed the file.
        updated: i32,
        /// Rule-provisioned administrators left as they were.
        unchanged: i32,
        /// Why the file was rejected, or the sync held.
        reason: Option<String>,
        created_at: Timestamp,
        applied_at: Option<Timestamp>,
    }
    stored {
        status: EmployeeSyncStatus = DomainStatus,
        source: EmployeeSyncSource = DomainSource,
    }
    related {
        /// The HRIS connection a `hris` sync came from (null once it is deleted).
        #[graphql(guard = "Allow(Action::ManageAdministrators)")]
        hris_connection: HrisConnection = entity::hris_connection::Entity, hris_connection_id,
    }
    resolvers {
        /// Why a held sync is held: `tooManyDeactivations`, or `needsOwner` (sent by support,
        /// it would give an administrator more than support has; an owner must apply it).
        /// Null for a sync that is not held, or was held before this was recorded.
        async fn hold_reason(&self) -> Result<Option<EmployeeSyncHoldReason>> {
            stored_or_null::<DomainHoldReason, _>(self.0.hold_reason.as_deref())
        }
        /// The first 1,000 rows refused, by line number (`rejectedRowCount` counts them all);
        /// their employees' administrators were left alone.
        async fn rejected_rows(&self) -> Result<Vec<EmployeeRowProblem>> {
            json("employee_sync.rejected_rows", &self.0.rejected_rows)
        }
        /// Rows read but left alone (e.g. the email of a manual administrator).
        async fn notes(&self) -> Result<Vec<EmployeeRowProblem>> {
            json("employee_sync.notes", &self.0.notes)
        }
        /// One entry per administrator changed (or to be changed).
        async fn changes(&self) -> Result<Vec<EmployeeSyncChange>> {
            json("employee_sync.changes", &self.0.changes)
        }
    }
}

entity_queries!(
    EmployeeSyncQuery, guard = "Allow(Action::Read)";
    one employee_sync: employee_sync::Entity, NodeKind::EmployeeSync;
    /// Every sync, newest first.
    list employee_syncs: EmployeeSyncField => EmployeeSync
);

#[derive(InputObject)]
pub struct ApplyEmployeeSyncInput {
    pub employee_sync_id: ID,
}

#[derive(InputObject)]
pub struct ImportEmployeeFileInput {
    /// The employee file: CSV text with a header row.
    pub file: String,
    pub file_name: Option<String>,
    /// Plan and record the sync without changing anything.
    #[graphql(default)]
    pub dry_run: bool,
}

entity_payload!(EmployeeSyncPayload {
    employee_sync: EmployeeSync
});

impl From<Synced> for EmployeeSync {
    fn from(synced: Synced) -> Self {
        Self(synced.record)
    }
}

pub struct EmployeeSyncMutations;

#[Object(serial)]
impl EmployeeSyncMutations {
    /// Applies a held sync: its file is planned again against the rules as they are now and
    /// applied, whatever it deactivates.
    async fn apply(
        &self,
        ctx: &Context<'_>,
        input: ApplyEmployeeSyncInput,
    ) -> Result<EmployeeSyncPayload> {
        let result = employees::apply(app(ctx)?, principal(ctx)?, &input.employee_sync_id).await;
        EmployeeSyncPayload::from(result)
    }

    /// Imports an employee file, as `POST /employee-files` does. A file refused whole is
    /// recorded with status `rejected` (and `reason`), and changes nothing.
    async fn import(
        &self,
        ctx: &Context<'_>,
        input: ImportEmployeeFileInput,
    ) -> Result<EmployeeSyncPayload> {
        let import = Import {
            source: DomainSource::Upload,
            hris_connection: None,
            file_name: input.file_name.as_deref(),
            dry_run: input.dry_run,
            answer_changes: true,
        };
        let body = Body::Bytes(input.file.as_bytes());
        let result = employees::import(app(ctx)?, principal(ctx)?, import, body);
        EmployeeSyncPayload::from(result.await)
    }
}
