use sea_orm::entity::prelude::*;

/// One employee file (or rule change) evaluated against the rules, and what it did.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "employee_sync")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `applied`, `held`, `dryRun`, `rejected` or `superseded`.
    pub status: String,
    /// `upload`, `cli`, `inbox`, `rules` or `hris`.
    pub source: String,
    /// The HRIS connection of a `hris` sync (cleared when the connection is deleted).
    pub hris_connection_id: Option<Uuid>,
    pub file_name: Option<String>,
    /// Who sent it (a token's name, the command line, the inbox).
    pub actor: Option<String>,
    pub rows: i32,
    pub created: i32,
    pub reactivated: i32,
    pub deactivated: i32,
    pub role_changed: i32,
    pub updated: i32,
    pub unchanged: i32,
    /// `[{line, employeeId, message}]`: the first 1,000 rows the file refused.
    pub rejected_rows: Json,
    /// How many rows the file refused in all.
    pub rejected_row_count: i32,
    /// `[{line, employeeId, message}]`: rows read but left alone (e.g. a manual administrator).
    pub notes: Json,
    /// The changes planned or made: `[{employeeId, email, kind, ...}]`.
    pub changes: Json,
    /// Why a file was rejected or a sync held.
    pub reason: Option<String>,
    /// Why a sync is held: `tooManyDeactivations` or `needsOwner`.
    pub hold_reason: Option<String>,
    /// The file of a held sync, until it is applied or superseded.
    pub body: Option<String>,
    pub created_at: DateTimeUtc,
    pub applied_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
