use sea_orm::entity::prelude::*;

/// A pull connector to an HRIS (BambooHR, Workday Report-as-a-Service) that feeds the employee
/// sync on a schedule.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hris_connection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Folded; unique.
    pub name_folded: String,
    /// `bamboohr` or `workdayRaas`.
    pub kind: String,
    /// The kind's settings, without the secret.
    pub settings: Json,
    /// The API key, password or client secret, sealed with the server's key (never in clear).
    pub secret: String,
    /// `{ourColumn: theirField}`.
    pub field_map: Json,
    /// The schedule: every N hours, or daily at `HH:MM` UTC (one of the two).
    pub every_hours: Option<i32>,
    pub daily_at: Option<String>,
    pub next_run_at: DateTimeUtc,
    /// Until when one instance holds the run due (a database lease, not an in-process lock).
    pub lease_until: Option<DateTimeUtc>,
    pub last_run_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
