//! Administrators from employee data (placeholder until the domain lands).
use crate::domain::stored::stored_enum;

stored_enum! {
    /// Where an employee sync came from.
    pub enum SyncSource in "employee_sync.source", variants in sync_source_variants {
        Upload = "upload",
        Cli = "cli",
        Inbox = "inbox",
        Rules = "rules",
    }
}

stored_enum! {
    /// What became of an employee sync.
    pub enum SyncStatus in "employee_sync.status", variants in sync_status_variants {
        Applied = "applied",
        Held = "held",
        DryRun = "dryRun",
        Rejected = "rejected",
        Superseded = "superseded",
    }
}
