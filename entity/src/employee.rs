use sea_orm::entity::prelude::*;

/// One employee of the latest employee file that was applied.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "employee")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub employee_id: String,
    /// The line of the file the row came from.
    pub line: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub department: String,
    pub location: String,
    pub job_title: String,
    pub manager_id: String,
    /// `active` or `terminated`.
    pub status: String,
    pub is_manager: bool,
    /// The file's further columns: `{normalised column name: value}`.
    pub extra: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
