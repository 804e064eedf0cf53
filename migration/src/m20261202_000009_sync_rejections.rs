//! Rejected rows kept per sync are capped (PRODUCT §7): `employee_sync.rejected_rows` holds the
//! first 1,000, and `rejected_row_count` how many rows the file refused in all. Syncs recorded
//! before keep every row they had, so their count is the length of that list.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmployeeSync {
    Table,
    RejectedRowCount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(EmployeeSync::Table)
                .add_column(integer(EmployeeSync::RejectedRowCount).default(0))
                .to_owned(),
        )
        .await?;
        // Both databases have `json_array_length` for the `json` column type.
        m.get_connection()
            .execute_unprepared(
                "UPDATE employee_sync SET rejected_row_count = json_array_length(rejected_rows)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(EmployeeSync::Table)
                .drop_column(EmployeeSync::RejectedRowCount)
                .to_owned(),
        )
        .await
    }
}
