//! "A sync never gives anyone more than its sender has" (PRODUCT §7): the role a planned
//! change needs its sender to hold. A change that creates, reactivates or promotes an
//! administrator hands out its new role; one that changes an administrator's email or names
//! decides who signs in with that role (the email is what `sso.adminSignIn` matches), so it
//! needs the higher of the old and new roles. Deactivations and demotions hand out nothing.
use super::{
    AdminRole, AdminStatus,
    sync::{Change, Plan, Target},
};
use crate::domain::access::reaches;

/// The role the sender of `change` must hold, or `None` when any sender may make it.
pub fn needed_for(change: &Change) -> Option<AdminRole> {
    let new = change.new_role;
    let created = matches!(change.target, Target::New { .. });
    let reactivated = change.old_status == Some(AdminStatus::Inactive)
        && change.new_status == AdminStatus::Active;
    let promoted = change.old_role.is_some_and(|old| !reaches(old, new));
    if created || reactivated || promoted {
        return Some(higher(new, change.old_role));
    }
    let renamed = change.new_email.is_some()
        || change.new_first_name.is_some()
        || change.new_last_name.is_some();
    renamed.then(|| higher(new, change.old_role))
}

fn higher(role: AdminRole, other: Option<AdminRole>) -> AdminRole {
    match other {
        Some(other) if !reaches(role, other) => other,
        _ => role,
    }
}

/// The first change of `plan` that needs more than `sender` holds, with the role it needs.
pub fn beyond(plan: &Plan, sender: AdminRole) -> Option<(&Change, AdminRole)> {
    plan.changes.iter().find_map(|change| {
        needed_for(change)
            .filter(|needed| !reaches(sender, *needed))
            .map(|needed| (change, needed))
    })
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::employees::ChangeKind;

    fn change(old: Option<(AdminRole, AdminStatus)>, new: (AdminRole, AdminStatus)) -> Change {
        Change {
            target: match old {
                Some(_) => Target::Existing {
                    id: Uuid::now_v7(),
                    email: "e1@example.com".into(),
                },
                None => Target::New {
                    employee_id: "E1".into(),
                    email: "e1@example.com".into(),
                    first_name: "E".into(),
                    last_name: "One".into(),
                },
            },
            kind: ChangeKind::Updated,
            employee_id: "E1".into(),
            old_rule_id: None,
            new_rule_id: None,
            old_role: old.map(|o| o.0),
            new_role: new.0,
            old_status: old.map(|o| o.1),
            new_status: new.1,
            new_email: None,
            new_first_name: None,
            new_last_name: None,
            reason: String::new(),
        }
    }

    use AdminRole::{Auditor, Owner, Support};
    use AdminStatus::{Active, Inactive};

    #[test]
    fn creating_reactivating_and_promoting_need_the_new_role() {
        assert_eq!(needed_for(&change(None, (Owner, Active))), Some(Owner));
        assert_eq!(needed_for(&change(None, (Support, Active))), Some(Support));
        assert_eq!(
            needed_for(&change(Some((Owner, Inactive)), (Owner, Active))),
            Some(Owner)
        );
        assert_eq!(
            needed_for(&change(Some((Support, Active)), (Owner, Active))),
            Some(Owner)
        );
    }

    #[test]
    fn renaming_needs_the_higher_role_and_taking_away_needs_nothing() {
        let mut renamed = change(Some((Owner, Active)), (Auditor, Active));
        assert_eq!(needed_for(&renamed), None, "a demotion hands out nothing");
        renamed.new_email = Some("new@example.com".into());
        assert_eq!(needed_for(&renamed), Some(Owner));
        assert_eq!(
            needed_for(&change(Some((Owner, Active)), (Owner, Inactive))),
            None
        );
    }

    #[test]
    fn a_support_sender_is_stopped_at_the_first_owner_change() {
        let plan = Plan {
            changes: vec![
                change(None, (Support, Active)),
                change(None, (Owner, Active)),
            ],
            ..Plan::default()
        };
        let (found, needed) = beyond(&plan, Support).expect("an owner change");
        assert_eq!((found.new_role, needed), (Owner, Owner));
        assert!(beyond(&plan, Owner).is_none());
    }
}
