//! The sync planner (PRODUCT §7): from the rules, a snapshot and the administrators, the list
//! of changes a sync makes, without making them. Planning apart from writing is what lets a
//! dry run, a held sync and an applied one show the very same changes.
use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::domain::employees::file::{EmployeeStatus, RowProblem};
use crate::domain::employees::rules::{self, Condition, folded_text};
use crate::domain::employees::table::{Employee, Employees};
use crate::domain::employees::{AdminOrigin, AdminRole, AdminStatus, ChangeKind};
use crate::domain::stored::StoredEnum;

/// A rule as the planner needs it. Rules are given in precedence order: first created first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleView {
    pub id: Uuid,
    pub name: String,
    pub role: AdminRole,
    pub conditions: Vec<Condition>,
}

/// An administrator as the planner needs it. `email_folded` is [`crate::domain::validate::fold`]
/// of `email`, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminView {
    pub id: Uuid,
    pub email: String,
    pub email_folded: String,
    pub first_name: String,
    pub last_name: String,
    pub origin: AdminOrigin,
    /// The controlling rule; `None` once that rule was deleted.
    pub rule_id: Option<Uuid>,
    pub role: AdminRole,
    pub status: AdminStatus,
    /// What links a rule administrator to its employee.
    pub employee_id: Option<String>,
}

/// Which administrator a change is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One that exists, with its email as it is before the sync (what a change names it by).
    Existing { id: Uuid, email: String },
    /// One to create, with the employee's values.
    New {
        employee_id: String,
        email: String,
        first_name: String,
        last_name: String,
    },
}

/// What a sync does to one administrator. `old_*` are `None` for a new administrator, whose
/// email and names are in [`Target::New`] (its `new_email` and names are `None`); for an
/// existing one `new_email` and names are `Some` only when they change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub target: Target,
    pub kind: ChangeKind,
    pub employee_id: String,
    pub old_rule_id: Option<Uuid>,
    pub new_rule_id: Option<Uuid>,
    pub old_role: Option<AdminRole>,
    pub new_role: AdminRole,
    pub old_status: Option<AdminStatus>,
    pub new_status: AdminStatus,
    pub new_email: Option<String>,
    pub new_first_name: Option<String>,
    pub new_last_name: Option<String>,
    /// A short sentence naming the rule(s) and the employee, for the event and the operator.
    pub reason: String,
}

/// How many rule administrators each outcome touched. Every rule administrator and every
/// creation lands in exactly one of `created`, `reactivated`, `deactivated`, `role_changed`,
/// `updated` and `unchanged`, except that a reactivation may also change the role (counted
/// in both). `updated` counts changes of nothing but the email, names or controlling rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: u32,
    pub reactivated: u32,
    pub deactivated: u32,
    pub role_changed: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// A planned sync: the changes (employee file order, then administrators absent from the file
/// by id), their counts, and the changes skipped, by line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub counts: Counts,
    pub notes: Vec<RowProblem>,
}

/// Plans a sync in one call, from employees at hand (a rule change plans from the stored
/// snapshot this way): see [`Planner`].
pub fn plan<'e>(
    rules: &[RuleView],
    employees: impl IntoIterator<Item = Employee<'e>>,
    admins: &[AdminView],
    kept_ids: &HashSet<String>,
) -> Plan {
    let mut planner = Planner::new(rules, admins);
    for employee in employees {
        planner.feed(employee);
    }
    planner.finish(kept_ids)
}

/// Whether a plan must be held: it deactivates more than `max_deactivation_percent` of the
/// active rule administrators. However few they are (PRODUCT §7): with 3 administrators, one
/// deactivation is 33 %. Exactly the threshold passes.
pub fn would_hold(plan: &Plan, admins: &[AdminView], max_deactivation_percent: u8) -> bool {
    let active = admins
        .iter()
        .filter(|a| a.origin == AdminOrigin::Rule && a.status == AdminStatus::Active)
        .count() as u64;
    active > 0
        && u64::from(plan.counts.deactivated) * 100 > u64::from(max_deactivation_percent) * active
}

/// The active employees both condition lists match: the people a conflict is about.
pub fn matching_both<'a>(
    a: &[Condition],
    b: &[Condition],
    employees: &'a Employees,
) -> impl Iterator<Item = Employee<'a>> {
    employees
        .iter()
        .filter(|e| rules::matches(a, *e) && rules::matches(b, *e))
}

/// Plans a sync one employee at a time, in file order, so that a file's employees need never
/// be held all at once: [`Planner::feed`] each, then [`Planner::finish`]. The employees'
/// EmployeeIds must be unique across all the calls (a file's reader refuses repeats).
pub struct Planner<'a> {
    rules: &'a [RuleView],
    /// The rules an employee matches, reused from one employee to the next.
    matched: Vec<&'a RuleView>,
    /// Rule administrators by employee id, removed as their employee is met.
    linked: HashMap<&'a str, &'a AdminView>,
    /// Rule administrators no employee can be linked to (no id, or a repeated one).
    unlinked: Vec<&'a AdminView>,
    /// Every administrator by folded email: an address belongs to one administrator.
    by_email: HashMap<&'a str, &'a AdminView>,
    /// Folded addresses this plan gives out (new administrators, changed emails).
    claimed: HashSet<String>,
    plan: Plan,
}

impl<'a> Planner<'a> {
    /// A planner for these rules (in precedence order) and every administrator.
    pub fn new(rules: &'a [RuleView], admins: &'a [AdminView]) -> Self {
        let mut by_id: Vec<&AdminView> = admins.iter().collect();
        // The lowest id wins a repeated employee id, whatever the order admins came in.
        by_id.sort_by_key(|a| a.id);
        let mut linked = HashMap::new();
        let mut unlinked = Vec::new();
        let mut by_email = HashMap::with_capacity(admins.len());
        for admin in by_id {
            by_email.entry(admin.email_folded.as_str()).or_insert(admin);
            if admin.origin != AdminOrigin::Rule {
                continue;
            }
            match admin.employee_id.as_deref() {
                Some(id) if !linked.contains_key(id) => {
                    linked.insert(id, admin);
                }
                _ => unlinked.push(admin),
            }
        }
        Self {
            rules,
            matched: Vec::with_capacity(rules.len()),
            linked,
            unlinked,
            by_email,
            claimed: HashSet::new(),
            plan: Plan::default(),
        }
    }

    /// Plans the next employee of the file.
    pub fn feed(&mut self, employee: Employee<'_>) {
        let id = employee.employee_id();
        let admin = self.linked.remove(id);
        if employee.status() == EmployeeStatus::Terminated {
            if let Some(admin) = admin {
                self.deactivate(admin, format!("employee {id} is terminated"));
            }
            return;
        }
        let mut matched = std::mem::take(&mut self.matched);
        matched.clear();
        matched.extend(
            self.rules
                .iter()
                .filter(|r| rules::matches(&r.conditions, employee)),
        );
        match admin {
            None => self.create(employee, &matched),
            Some(admin) => self.follow(admin, employee, &matched),
        }
        self.matched = matched;
    }

    /// The plan, once every employee was fed. `kept_ids` are the EmployeeIds of rows refused
    /// this time: their administrators are left as they are, since a typo in the file says
    /// nothing about the person. Manual administrators are never changed nor counted; their
    /// emails still block a new rule administrator with the same address.
    pub fn finish(mut self, kept_ids: &HashSet<String>) -> Plan {
        let mut absent: Vec<&AdminView> = self.linked.drain().map(|(_, a)| a).collect();
        absent.append(&mut self.unlinked);
        absent.sort_by_key(|a| a.id);
        for admin in absent {
            match admin.employee_id.as_deref() {
                Some(id) if kept_ids.contains(id) => self.plan.counts.unchanged += 1,
                Some(id) => self.deactivate(admin, format!("employee {id} is not in the file")),
                None => self.deactivate(admin, "it has no employee id".to_owned()),
            }
        }
        self.plan
    }

    fn note(&mut self, employee: Employee<'_>, message: String) {
        self.plan.notes.push(RowProblem {
            line: employee.line(),
            employee_id: Some(employee.employee_id().to_owned()),
            message,
        });
    }

    /// An employee without an administrator: one is created for the first matching rule,
    /// unless the address already belongs to an administrator (a manual one, typically).
    fn create(&mut self, employee: Employee<'_>, matched: &[&RuleView]) {
        let Some(first) = matched.first() else {
            return;
        };
        let folded = folded_text(employee.email());
        if let Some(other) = self.by_email.get(folded.as_ref()) {
            let origin = match other.origin {
                AdminOrigin::Manual => "a manual",
                AdminOrigin::Rule => "another rule",
            };
            let message = format!(
                "{} is already {origin} administrator; no administrator created for employee {}",
                employee.email(),
                employee.employee_id()
            );
            self.note(employee, message);
            return;
        }
        if !self.claimed.insert(folded.into_owned()) {
            let message = format!(
                "{} is given to another administrator by this sync; no administrator created for employee {}",
                employee.email(),
                employee.employee_id()
            );
            self.note(employee, message);
            return;
        }
        let mut reason = format!(
            "employee {} matches rule {:?}",
            employee.employee_id(),
            first.name
        );
        if matched.len() > 1 {
            let others: Vec<String> = matched[1..]
                .iter()
                .map(|r| format!("{:?}", r.name))
                .collect();
            reason.push_str(&format!(
                ", created before {} which also match",
                others.join(", ")
            ));
        }
        self.plan.counts.created += 1;
        self.plan.changes.push(Change {
            target: Target::New {
                employee_id: employee.employee_id().to_owned(),
                email: employee.email().to_owned(),
                first_name: employee.first_name().to_owned(),
                last_name: employee.last_name().to_owned(),
            },
            kind: ChangeKind::Created,
            employee_id: employee.employee_id().to_owned(),
            old_rule_id: None,
            new_rule_id: Some(first.id),
            old_role: None,
            new_role: first.role,
            old_status: None,
            new_status: AdminStatus::Active,
            new_email: None,
            new_first_name: None,
            new_last_name: None,
            reason,
        });
    }

    fn rule_name(&self, id: Option<Uuid>) -> Option<&'a str> {
        let rules: &'a [RuleView] = self.rules;
        id.and_then(|id| rules.iter().find(|r| r.id == id))
            .map(|r| r.name.as_str())
    }

    /// A rule administrator whose employee is in the file and active.
    fn follow(&mut self, admin: &AdminView, employee: Employee<'_>, matched: &[&RuleView]) {
        let id = employee.employee_id();
        let reactivated = admin.status == AdminStatus::Inactive;
        let again = if reactivated { " again" } else { "" };
        let controlling = matched.iter().find(|r| Some(r.id) == admin.rule_id);
        let (rule, reason) = match (controlling, matched.first()) {
            (Some(rule), _) => (
                rule,
                format!("employee {id} matches rule {:?}{again}", rule.name),
            ),
            (None, Some(first)) => {
                let before = match self.rule_name(admin.rule_id) {
                    Some(name) => format!("rule {name:?} no longer matches employee {id}"),
                    None => format!("the rule of employee {id} was deleted"),
                };
                (first, format!("{before}; rule {:?} takes over", first.name))
            }
            (None, None) => {
                let reason = match self.rule_name(admin.rule_id) {
                    Some(name) => format!(
                        "rule {name:?} no longer matches employee {id}, and no other rule does"
                    ),
                    None => format!("no rule matches employee {id} any more"),
                };
                self.deactivate(admin, reason);
                return;
            }
        };
        let mut change = self.existing(admin, AdminStatus::Active, reason);
        change.new_rule_id = Some(rule.id);
        change.new_role = rule.role;
        let role_changed = admin.role != rule.role;
        if role_changed {
            change
                .reason
                .push_str(&format!("; role {}", rule.role.as_str()));
        }
        let mut updated = Vec::new();
        if employee.email() != admin.email {
            let folded = folded_text(employee.email());
            let taken = self
                .by_email
                .get(folded.as_ref())
                .is_some_and(|other| other.id != admin.id)
                || self.claimed.contains(folded.as_ref());
            if taken {
                let message = format!(
                    "{} already belongs to another administrator; the email of employee {id}'s administrator was left as it is",
                    employee.email()
                );
                self.note(employee, message);
            } else {
                if folded.as_ref() != admin.email_folded {
                    self.claimed.insert(folded.into_owned());
                }
                change.new_email = Some(employee.email().to_owned());
                updated.push("email");
            }
        }
        if employee.first_name() != admin.first_name {
            change.new_first_name = Some(employee.first_name().to_owned());
            updated.push("first name");
        }
        if employee.last_name() != admin.last_name {
            change.new_last_name = Some(employee.last_name().to_owned());
            updated.push("last name");
        }
        if !updated.is_empty() {
            change
                .reason
                .push_str(&format!("; the file changed its {}", updated.join(", ")));
        }
        let handed_over = admin.rule_id != Some(rule.id);
        change.kind = if reactivated {
            ChangeKind::Reactivated
        } else if handed_over {
            ChangeKind::HandedOver
        } else if role_changed {
            ChangeKind::RoleChanged
        } else if !updated.is_empty() {
            ChangeKind::Updated
        } else {
            self.plan.counts.unchanged += 1;
            return;
        };
        let counts = &mut self.plan.counts;
        if reactivated {
            counts.reactivated += 1;
        }
        if role_changed {
            counts.role_changed += 1;
        }
        if !reactivated && !role_changed {
            counts.updated += 1;
        }
        self.plan.changes.push(change);
    }

    /// Deactivates an active rule administrator, keeping its rule and role so that matching
    /// again reactivates it as it was; an inactive one is unchanged.
    fn deactivate(&mut self, admin: &AdminView, reason: String) {
        if admin.status == AdminStatus::Inactive {
            self.plan.counts.unchanged += 1;
            return;
        }
        let mut change = self.existing(admin, AdminStatus::Inactive, reason);
        change.kind = ChangeKind::Deactivated;
        self.plan.counts.deactivated += 1;
        self.plan.changes.push(change);
    }

    /// A change of `admin` that keeps everything but its status, to be refined by the caller.
    fn existing(&self, admin: &AdminView, status: AdminStatus, reason: String) -> Change {
        Change {
            target: Target::Existing {
                id: admin.id,
                email: admin.email.clone(),
            },
            kind: ChangeKind::Updated,
            employee_id: admin.employee_id.clone().unwrap_or_default(),
            old_rule_id: admin.rule_id,
            new_rule_id: admin.rule_id,
            old_role: Some(admin.role),
            new_role: admin.role,
            old_status: Some(admin.status),
            new_status: status,
            new_email: None,
            new_first_name: None,
            new_last_name: None,
            reason,
        }
    }
}

#[cfg(test)]
mod tests;
