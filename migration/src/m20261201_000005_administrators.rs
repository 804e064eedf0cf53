//! Administrators from employee data (PRODUCT §7): administrators, the rules that provision
//! them, the latest employee snapshot, every sync with its counts, one event per change of an
//! administrator, and sign-in tokens that belong to an administrator.
//!
//! The snapshot is one row per employee, replaced by difference: a re-sync of an unchanged
//! file writes no employee row. Rules are kept when administrators they provisioned remain
//! (`rule_id` is set to null when the rule goes; the events keep its name as text).
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261123_000001_create_tables::{fk, index},
    m20261201_000002_enum_checks::{add_check, drop_check},
    m20261201_000003_audit_log::drop_inline_audit_check,
};

/// The enum columns this migration (re)defines: (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[
    (
        "api_token",
        "role",
        &["owner", "support", "auditor", "portal", "scim", "dashboard"],
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
    ("administrator", "role", &["owner", "support", "auditor"]),
    ("administrator", "status", &["active", "inactive"]),
    ("administrator", "origin", &["manual", "rule"]),
    (
        "admin_provisioning_rule",
        "role",
        &["owner", "support", "auditor"],
    ),
    (
        "administrator_event",
        "old_role",
        &["owner", "support", "auditor"],
    ),
    (
        "administrator_event",
        "new_role",
        &["owner", "support", "auditor"],
    ),
    ("administrator_event", "old_status", &["active", "inactive"]),
    ("administrator_event", "new_status", &["active", "inactive"]),
    ("employee", "status", &["active", "terminated"]),
    (
        "employee_sync",
        "status",
        &["applied", "held", "dryRun", "rejected", "superseded"],
    ),
    (
        "employee_sync",
        "source",
        &["upload", "cli", "inbox", "rules"],
    ),
    (
        "administrator_event",
        "kind",
        &[
            "created",
            "reactivated",
            "deactivated",
            "roleChanged",
            "handedOver",
            "updated",
        ],
    ),
];

/// The lists this migration replaces, as they were before it.
const BEFORE: &[(&str, &str, &[&str])] = &[
    (
        "api_token",
        "role",
        &["owner", "support", "auditor", "portal", "scim"],
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
        ],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    AdministratorId,
}

#[derive(DeriveIden)]
enum AdminProvisioningRule {
    Table,
    Id,
    Name,
    NameFolded,
    Conditions,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Administrator {
    Table,
    Id,
    Email,
    EmailFolded,
    FirstName,
    LastName,
    Role,
    Status,
    Origin,
    RuleId,
    EmployeeId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)] // the column is `employee_id`
enum Employee {
    Table,
    EmployeeId,
    Line,
    Email,
    FirstName,
    LastName,
    Department,
    Location,
    JobTitle,
    ManagerId,
    Status,
    IsManager,
    Extra,
}

#[derive(DeriveIden)]
enum EmployeeSync {
    Table,
    Id,
    Status,
    Source,
    FileName,
    Actor,
    Rows,
    Created,
    Reactivated,
    Deactivated,
    RoleChanged,
    Updated,
    Unchanged,
    RejectedRows,
    Notes,
    Changes,
    Reason,
    Body,
    CreatedAt,
    AppliedAt,
}

#[derive(DeriveIden)]
enum AdministratorEvent {
    Table,
    Id,
    AdministratorId,
    EmployeeSyncId,
    Kind,
    RuleId,
    RuleName,
    OldRole,
    NewRole,
    OldStatus,
    NewStatus,
    Reason,
    Actor,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AdminProvisioningRule::Table)
                .if_not_exists()
                .col(pk_uuid(AdminProvisioningRule::Id))
                .col(string_len(AdminProvisioningRule::Name, 200))
                .col(string_len(AdminProvisioningRule::NameFolded, 200))
                .col(json(AdminProvisioningRule::Conditions))
                .col(string_len(AdminProvisioningRule::Role, 16))
                .col(timestamp_with_time_zone(AdminProvisioningRule::CreatedAt))
                .col(timestamp_with_time_zone(AdminProvisioningRule::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_admin_provisioning_rule_name",
                AdminProvisioningRule::Table,
            )
            .col(AdminProvisioningRule::NameFolded)
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Administrator::Table)
                .if_not_exists()
                .col(pk_uuid(Administrator::Id))
                .col(string_len(Administrator::Email, 320))
                .col(string_len(Administrator::EmailFolded, 320))
                .col(string_len(Administrator::FirstName, 200))
                .col(string_len(Administrator::LastName, 200))
                .col(string_len(Administrator::Role, 16))
                .col(string_len(Administrator::Status, 16))
                .col(string_len(Administrator::Origin, 16))
                .col(uuid_null(Administrator::RuleId))
                .col(string_len_null(Administrator::EmployeeId, 1000))
                .col(timestamp_with_time_zone(Administrator::CreatedAt))
                .col(timestamp_with_time_zone(Administrator::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_administrator_rule",
                    (Administrator::Table, Administrator::RuleId),
                    (AdminProvisioningRule::Table, AdminProvisioningRule::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("ux_administrator_email", Administrator::EmailFolded),
            // One administrator per employee: the sync links them by EmployeeId.
            ("ux_administrator_employee", Administrator::EmployeeId),
        ] {
            m.create_index(
                index(name, Administrator::Table)
                    .col(column)
                    .unique()
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            index("ix_administrator_rule", Administrator::Table)
                .col(Administrator::RuleId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Employee::Table)
                .if_not_exists()
                .col(string_len(Employee::EmployeeId, 1000).primary_key())
                .col(big_integer(Employee::Line))
                .col(string_len(Employee::Email, 1000))
                .col(string_len(Employee::FirstName, 1000))
                .col(string_len(Employee::LastName, 1000))
                .col(string_len(Employee::Department, 1000))
                .col(string_len(Employee::Location, 1000))
                .col(string_len(Employee::JobTitle, 1000))
                .col(string_len(Employee::ManagerId, 1000))
                .col(string_len(Employee::Status, 16))
                .col(boolean(Employee::IsManager))
                .col(json(Employee::Extra))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EmployeeSync::Table)
                .if_not_exists()
                .col(pk_uuid(EmployeeSync::Id))
                .col(string_len(EmployeeSync::Status, 16))
                .col(string_len(EmployeeSync::Source, 16))
                .col(string_len_null(EmployeeSync::FileName, 1000))
                .col(string_len_null(EmployeeSync::Actor, 400))
                .col(integer(EmployeeSync::Rows))
                .col(integer(EmployeeSync::Created))
                .col(integer(EmployeeSync::Reactivated))
                .col(integer(EmployeeSync::Deactivated))
                .col(integer(EmployeeSync::RoleChanged))
                .col(integer(EmployeeSync::Updated))
                .col(integer(EmployeeSync::Unchanged))
                .col(json(EmployeeSync::RejectedRows))
                .col(json(EmployeeSync::Notes))
                .col(json(EmployeeSync::Changes))
                .col(text_null(EmployeeSync::Reason))
                // The file of a held sync, until it is applied or superseded.
                .col(text_null(EmployeeSync::Body))
                .col(timestamp_with_time_zone(EmployeeSync::CreatedAt))
                .col(timestamp_with_time_zone_null(EmployeeSync::AppliedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_employee_sync_page", EmployeeSync::Table)
                .col(EmployeeSync::CreatedAt)
                .col(EmployeeSync::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AdministratorEvent::Table)
                .if_not_exists()
                .col(pk_uuid(AdministratorEvent::Id))
                .col(uuid(AdministratorEvent::AdministratorId))
                .col(uuid_null(AdministratorEvent::EmployeeSyncId))
                .col(string_len(AdministratorEvent::Kind, 16))
                // No foreign key: the event outlives its rule, whose name it keeps.
                .col(uuid_null(AdministratorEvent::RuleId))
                .col(string_len_null(AdministratorEvent::RuleName, 200))
                .col(string_len_null(AdministratorEvent::OldRole, 16))
                .col(string_len(AdministratorEvent::NewRole, 16))
                .col(string_len_null(AdministratorEvent::OldStatus, 16))
                .col(string_len(AdministratorEvent::NewStatus, 16))
                .col(text(AdministratorEvent::Reason))
                .col(string_len_null(AdministratorEvent::Actor, 400))
                .col(timestamp_with_time_zone(AdministratorEvent::OccurredAt))
                .foreign_key(&mut fk(
                    "fk_administrator_event_administrator",
                    (
                        AdministratorEvent::Table,
                        AdministratorEvent::AdministratorId,
                    ),
                    (Administrator::Table, Administrator::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_administrator_event_sync",
                    (
                        AdministratorEvent::Table,
                        AdministratorEvent::EmployeeSyncId,
                    ),
                    (EmployeeSync::Table, EmployeeSync::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            (
                "ix_administrator_event_administrator",
                AdministratorEvent::AdministratorId,
            ),
            (
                "ix_administrator_event_sync",
                AdministratorEvent::EmployeeSyncId,
            ),
        ] {
            m.create_index(
                index(name, AdministratorEvent::Table)
                    .col(column)
                    .col(AdministratorEvent::OccurredAt)
                    .to_owned(),
            )
            .await?;
        }

        // A sign-in token of an administrator goes when the administrator does, and is revoked
        // when the administrator is deactivated.
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .add_column(uuid_null(ApiToken::AdministratorId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_api_token_administrator", ApiToken::Table)
                .col(ApiToken::AdministratorId)
                .to_owned(),
        )
        .await?;

        drop_inline_audit_check(m).await?;
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
        m.drop_index(
            Index::drop()
                .name("ix_api_token_administrator")
                .table(ApiToken::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .drop_column(ApiToken::AdministratorId)
                .to_owned(),
        )
        .await?;
        for table in [
            AdministratorEvent::Table.into_iden(),
            EmployeeSync::Table.into_iden(),
            Employee::Table.into_iden(),
            Administrator::Table.into_iden(),
            AdminProvisioningRule::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
