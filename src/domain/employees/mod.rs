//! Rule-based provisioning of administrators from an HR employee file (PRODUCT §7), as pure
//! functions: [`file`] reads a snapshot into a compact [`table`], [`rules`] decides which employees a rule matches and
//! whether two rules can meet, [`sync`] plans what a snapshot changes. Nothing here reads or
//! writes storage, so every branch of the sync is tested without a database.
pub mod authority;
pub mod file;
pub mod rules;
pub mod sync;
pub mod table;

use crate::domain::stored::stored_enum;

stored_enum! {
    /// What an administrator may do on the platform.
    pub enum AdminRole in "administrator.role" {
        /// Everything, including rules and other administrators.
        Owner = "owner",
        /// Day-to-day operations.
        Support = "support",
        /// Read-only access.
        Auditor = "auditor",
    }
}

stored_enum! {
    /// Whether an administrator may sign in.
    pub enum AdminStatus in "administrator.status" {
        Active = "active",
        /// Suspended: sign-ins are denied; a rule may reactivate a rule administrator.
        Inactive = "inactive",
    }
}

stored_enum! {
    /// Who manages an administrator: a person (never touched by a sync) or the rules.
    pub enum AdminOrigin in "administrator.origin" {
        Manual = "manual",
        Rule = "rule",
    }
}

stored_enum! {
    /// What became of one employee sync.
    pub enum SyncStatus in "employee_sync.status" {
        /// Its changes were written.
        Applied = "applied",
        /// It would deactivate too many administrators: nothing was written, it waits for an
        /// explicit apply.
        Held = "held",
        /// Planned only, on request: nothing was written.
        DryRun = "dryRun",
        /// The file was refused whole: nothing was written.
        Rejected = "rejected",
        /// A held sync that a later one replaced: it can no longer be applied.
        Superseded = "superseded",
    }
}

stored_enum! {
    /// Why a sync is held.
    pub enum HoldReason in "employee_sync.hold_reason" {
        /// It would deactivate more than `--max-deactivation-percent` of the active
        /// rule-provisioned administrators.
        TooManyDeactivations = "tooManyDeactivations",
        /// Its sender is support, and it would create, reactivate, promote to, or change the
        /// email or names of, an administrator above support: an owner must apply it.
        NeedsOwner = "needsOwner",
    }
}

stored_enum! {
    /// Which door an employee sync came through.
    pub enum SyncSource in "employee_sync.source" {
        /// `POST /employee-files` or GraphQL.
        Upload = "upload",
        /// `autoprov employees import`.
        Cli = "cli",
        /// A file dropped into the inbox directory.
        Inbox = "inbox",
        /// A rule change re-applied to the latest snapshot.
        Rules = "rules",
        /// A report pulled from an HRIS connection (`hrisConnections`).
        Hris = "hris",
    }
}

stored_enum! {
    /// What a sync did to one administrator. One change may do several things; its kind is the
    /// most significant: created, reactivated, deactivated, handed over, role changed, updated.
    pub enum ChangeKind in "administrator_event.kind" {
        Created = "created",
        Reactivated = "reactivated",
        Deactivated = "deactivated",
        RoleChanged = "roleChanged",
        /// Another rule took control (its role may differ too).
        HandedOver = "handedOver",
        /// Only the email or names followed the employee file.
        Updated = "updated",
    }
}

/// How a rule condition compares an employee's value with its value(s). Stored inside a rule's
/// JSON conditions, hence serde rather than a text column of its own.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConditionOp {
    /// Equal (case-insensitive, trimmed).
    Eq,
    /// Not equal.
    Ne,
    /// Equal to one of `values`.
    In,
    /// SQL `LIKE`: `%` is any run of characters, `_` one character; no escape character.
    Like,
}

impl ConditionOp {
    /// The spelling clients and stored conditions use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::In => "in",
            Self::Like => "like",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_ops_are_lower_camel_in_json() {
        for op in [
            ConditionOp::Eq,
            ConditionOp::Ne,
            ConditionOp::In,
            ConditionOp::Like,
        ] {
            let json = serde_json::to_value(op).unwrap();
            assert_eq!(json, serde_json::Value::String(op.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<ConditionOp>(json).unwrap(), op);
        }
    }
}
