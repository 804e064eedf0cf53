//! The second reading of a file's sync: its employees are planned a batch at a time and,
//! unless the sync is a dry run, the stored snapshot is brought to the file as they go, so
//! that no more than a batch of the file's rows is ever held. Each batch's stored rows are read
//! by id; only new and changed rows are written. The rows of employees gone from the file are
//! deleted at the end, from the ids the first reading kept.
use std::collections::HashSet;

use sea_orm::DatabaseTransaction;

use super::{convert::same_employee, source::Batches};
use crate::{
    db,
    domain::employees::{file::FileIds, sync::Planner, table::Employees},
    error::AppResult,
};

/// Where the snapshot is written (the sync's savepoint), and what it held before.
pub(super) struct SnapshotWriter<'t> {
    txn: &'t DatabaseTransaction,
    /// Stored rows when the sync began.
    stored_before: u64,
    /// Stored rows found among the file's employees.
    found: u64,
}

impl<'t> SnapshotWriter<'t> {
    pub(super) async fn new(txn: &'t DatabaseTransaction) -> AppResult<Self> {
        Ok(Self {
            txn,
            stored_before: db::employees::count_employees(txn).await?,
            found: 0,
        })
    }

    /// Writes the rows of `batch` that are new or changed.
    async fn write(&mut self, batch: &Employees) -> AppResult<()> {
        // An empty snapshot (a first file) has nothing to compare with.
        if self.stored_before == 0 {
            let all: Vec<_> = (0..batch.len()).filter_map(|i| batch.get(i)).collect();
            return Ok(db::employees::insert_employees(self.txn, &all).await?);
        }
        let ids: Vec<&str> = (0..batch.len())
            .filter_map(|i| batch.get(i))
            .map(|e| e.employee_id())
            .collect();
        let stored = db::employees::employees_with_ids(self.txn, &ids).await?;
        self.found += stored.len() as u64;
        let mut stored_as_is = vec![false; batch.len()];
        // Changed rows are deleted, then written again.
        let mut changed: Vec<&str> = Vec::new();
        for row in &stored {
            match batch.find(&row.employee_id) {
                Some(e) if same_employee(row, e) => stored_as_is[e.index()] = true,
                Some(e) => changed.push(e.employee_id()),
                None => {}
            }
        }
        db::employees::delete_employees(self.txn, &changed).await?;
        let new: Vec<_> = (0..batch.len())
            .filter(|&i| !stored_as_is[i])
            .filter_map(|i| batch.get(i))
            .collect();
        Ok(db::employees::insert_employees(self.txn, &new).await?)
    }

    /// Deletes the rows of employees no longer in the file, except those whose row this file
    /// refused (the sync left their administrators alone, so their last known row stays too).
    async fn delete_gone(self, ids: &FileIds, kept: &HashSet<String>) -> AppResult<()> {
        // Every stored row is one of the file's employees: nobody is gone.
        if self.found == self.stored_before {
            return Ok(());
        }
        let mut after: Option<String> = None;
        loop {
            let page = db::employees::employee_ids_after(self.txn, after.as_deref()).await?;
            let gone: Vec<&str> = page
                .iter()
                .map(String::as_str)
                .filter(|id| !ids.contains(id) && !kept.contains(*id))
                .collect();
            db::employees::delete_employees(self.txn, &gone).await?;
            match page.last() {
                Some(last) if page.len() == db::employees::EMPLOYEE_PAGE => {
                    after = Some(last.clone());
                }
                _ => return Ok(()),
            }
        }
    }
}

/// Reads the file's employees to the end, feeding each to `planner`, and writes the snapshot
/// with `writer` when there is one (not for a dry run).
pub(super) async fn plan_and_write(
    batches: &mut Batches<'_>,
    planner: &mut Planner<'_>,
    mut writer: Option<SnapshotWriter<'_>>,
    ids: &FileIds,
    kept: &HashSet<String>,
) -> AppResult<()> {
    while let Some(batch) = batches.next().await? {
        // By index, not by an iterator of the table held across the writes' awaits: its
        // closures would make this future's `Send` depend on lifetimes the compiler cannot
        // name.
        for i in 0..batch.len() {
            if let Some(e) = batch.get(i) {
                planner.feed(e);
            }
        }
        if let Some(writer) = &mut writer {
            writer.write(&batch).await?;
        }
    }
    if let Some(writer) = writer {
        writer.delete_gone(ids, kept).await?;
    }
    Ok(())
}
