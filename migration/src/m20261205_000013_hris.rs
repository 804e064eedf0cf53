//! HRIS connections (seed 004: "an HRIS integration (such as Workday or BambooHR)"):
//! - `hris_connection`: one pull connector per row. Its kind (`bamboohr` or `workdayRaas`), its
//!   kind's settings (JSON: BambooHR's company domain, a Workday report URL and how to
//!   authenticate), its secret sealed with the server's key (never stored in clear), the map
//!   from the HRIS's field names to the employee columns, its schedule, and the lease that
//!   makes one instance run a scheduled sync when several share one PostgreSQL;
//! - an employee sync names the connection it came from (`source: hris`); no foreign key (SQLite
//!   cannot add one to a table), the service clears it when it deletes a connection.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261123_000001_create_tables::index,
    m20261201_000002_enum_checks::{add_check, drop_check},
    m20261202_000008_admin_trust::{add, drop},
};

/// The enum columns this migration defines or redefines: (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[
    ("hris_connection", "kind", &["bamboohr", "workdayRaas"]),
    (
        "employee_sync",
        "source",
        &["upload", "cli", "inbox", "rules", "hris"],
    ),
    (
        "audit_event",
        "entity_type",
        &[
            "brand",
            "identityProvider",
            "identityProviderConfiguration",
            "company",
            "account",
            "contact",
            "apiToken",
            "administrator",
            "adminProvisioningRule",
            "employeeSync",
            "hrisConnection",
        ],
    ),
];

/// The checks this migration redefines, as they were before it.
const BEFORE: &[(&str, &str, &[&str])] = &[
    (
        "employee_sync",
        "source",
        &["upload", "cli", "inbox", "rules"],
    ),
    (
        "audit_event",
        "entity_type",
        &[
            "brand",
            "identityProvider",
            "identityProviderConfiguration",
            "company",
            "account",
            "contact",
            "apiToken",
            "administrator",
            "adminProvisioningRule",
            "employeeSync",
        ],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HrisConnection {
    Table,
    Id,
    Name,
    NameFolded,
    Kind,
    Settings,
    Secret,
    FieldMap,
    EveryHours,
    DailyAt,
    NextRunAt,
    LeaseUntil,
    LastRunAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EmployeeSync {
    Table,
    HrisConnectionId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use HrisConnection as H;
        m.create_table(
            Table::create()
                .table(H::Table)
                .if_not_exists()
                .col(uuid(H::Id).primary_key())
                .col(string_len(H::Name, 200))
                .col(string_len(H::NameFolded, 200).unique_key())
                .col(string_len(H::Kind, 16))
                .col(json(H::Settings))
                .col(text(H::Secret))
                .col(json(H::FieldMap))
                .col(integer_null(H::EveryHours))
                .col(string_len_null(H::DailyAt, 5))
                .col(timestamp_with_time_zone(H::NextRunAt))
                .col(timestamp_with_time_zone_null(H::LeaseUntil))
                .col(timestamp_with_time_zone_null(H::LastRunAt))
                .col(timestamp_with_time_zone(H::CreatedAt))
                .col(timestamp_with_time_zone(H::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // The scheduler looks for connections due.
        m.create_index(
            index("ix_hris_connection_next_run_at", H::Table)
                .col(H::NextRunAt)
                .to_owned(),
        )
        .await?;
        add(
            m,
            EmployeeSync::Table,
            uuid_null(EmployeeSync::HrisConnectionId),
        )
        .await?;
        for (table, column, _) in BEFORE {
            drop_check(m, table, column).await?;
        }
        for (table, column, values) in CHECKED {
            add_check(m, table, column, values).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, _) in CHECKED {
            drop_check(m, table, column).await?;
        }
        for (table, column, values) in BEFORE {
            add_check(m, table, column, values).await?;
        }
        drop(m, EmployeeSync::Table, EmployeeSync::HrisConnectionId).await?;
        m.drop_table(Table::drop().table(HrisConnection::Table).to_owned())
            .await?;
        Ok(())
    }
}
