//! Database migrations, in the sea-orm-cli layout. Each migration runs on an
//! empty SQLite file and on an empty PostgreSQL database, and again as a no-op.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_tables;
mod m20261201_000001_refold_emails;
mod m20261201_000002_enum_checks;
mod m20261201_000003_audit_log;
mod m20261201_000004_scim;
mod m20261201_000005_administrators;
mod m20261202_000006_scim_trust;
mod m20261202_000008_admin_trust;
mod m20261202_000009_sync_rejections;
mod m20261202_000010_email_skeleton;
mod m20261204_000011_signed_proofs;
mod m20261205_000012_brightspace;
mod m20261205_000013_hris;
mod m20261205_000014_sync_change_parts;

/// The enum columns and the values the database accepts in each: those of the latest
/// migration that changed them, as (table, column, values). The service's enums spell the same
/// values (a test compares).
pub fn stored_enums() -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    let in_order = [
        m20261201_000002_enum_checks::CHECKED,
        m20261201_000003_audit_log::CHECKED,
        m20261201_000004_scim::CHECKED,
        m20261201_000005_administrators::CHECKED,
        m20261202_000008_admin_trust::CHECKED,
        m20261204_000011_signed_proofs::CHECKED,
        m20261205_000012_brightspace::CHECKED,
        m20261205_000013_hris::CHECKED,
    ];
    // A later migration's list replaces an earlier one's for the same column.
    let mut lists: Vec<(&'static str, &'static str, &'static [&'static str])> = Vec::new();
    for &(table, column, values) in in_order.into_iter().flatten() {
        match lists
            .iter_mut()
            .find(|(t, c, _)| *t == table && *c == column)
        {
            Some(list) => list.2 = values,
            None => lists.push((table, column, values)),
        }
    }
    lists
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_tables::Migration),
            Box::new(m20261201_000001_refold_emails::Migration),
            Box::new(m20261201_000002_enum_checks::Migration),
            Box::new(m20261201_000003_audit_log::Migration),
            Box::new(m20261201_000004_scim::Migration),
            Box::new(m20261201_000005_administrators::Migration),
            Box::new(m20261202_000006_scim_trust::Migration),
            Box::new(m20261202_000008_admin_trust::Migration),
            Box::new(m20261202_000009_sync_rejections::Migration),
            Box::new(m20261202_000010_email_skeleton::Migration),
            Box::new(m20261204_000011_signed_proofs::Migration),
            Box::new(m20261205_000012_brightspace::Migration),
            Box::new(m20261205_000013_hris::Migration),
            Box::new(m20261205_000014_sync_change_parts::Migration),
        ]
    }
}
