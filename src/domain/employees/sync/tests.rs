use super::*;
use crate::domain::employees::ConditionOp;
use crate::domain::employees::file::parse;
use crate::domain::employees::rules::condition;
use crate::domain::validate::fold;

const HEADER: &str =
    "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Status";

fn staff(rows: &[&str]) -> Employees {
    let snapshot = parse(format!("{HEADER}\n{}\n", rows.join("\n")).as_bytes()).unwrap();
    assert!(snapshot.rejected.is_empty(), "{:?}", snapshot.rejected);
    snapshot.employees
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn rule(n: u128, name: &str, role: AdminRole, conditions: &[(&str, &str)]) -> RuleView {
    RuleView {
        id: id(n),
        name: name.to_owned(),
        role,
        conditions: conditions
            .iter()
            .map(|(f, v)| condition(0, f, ConditionOp::Eq, Some(v), None).unwrap())
            .collect(),
    }
}

/// The one rule "Sales" (rule 1): the Sales department gets `role`.
fn sales(role: AdminRole) -> [RuleView; 1] {
    [rule(1, "Sales", role, &[("department", "sales")])]
}

fn admin(n: u128, employee: &str, rule: Option<u128>, role: AdminRole) -> AdminView {
    let email = format!("{}@example.com", employee.to_lowercase());
    AdminView {
        id: id(n),
        email_folded: fold(&email),
        email,
        first_name: "First".to_owned(),
        last_name: "Last".to_owned(),
        origin: AdminOrigin::Rule,
        rule_id: rule.map(id),
        role,
        status: AdminStatus::Active,
        employee_id: Some(employee.to_owned()),
    }
}

fn inactive(mut admin: AdminView) -> AdminView {
    admin.status = AdminStatus::Inactive;
    admin
}

fn manual(n: u128, email: &str) -> AdminView {
    AdminView {
        email: email.to_owned(),
        email_folded: fold(email),
        first_name: "Man".to_owned(),
        last_name: "Ual".to_owned(),
        origin: AdminOrigin::Manual,
        employee_id: None,
        ..admin(n, "", None, AdminRole::Owner)
    }
}

/// `E1` manages `E2` and `E3` in Sales; `E4` is in Support; names match [`admin`]'s.
fn org() -> Employees {
    staff(&[
        "E1,e1@example.com,First,Last,Sales,Paris,Head of Sales,,",
        "E2,e2@example.com,First,Last,Sales,Paris,Rep,E1,",
        "E3,e3@example.com,First,Last,Sales,Berlin,Rep,E1,",
        "E4,e4@example.com,First,Last,Support,Paris,Agent,,",
    ])
}

fn no_kept() -> HashSet<String> {
    HashSet::new()
}

fn kinds(plan: &Plan) -> Vec<(&str, ChangeKind)> {
    plan.changes
        .iter()
        .map(|c| (c.employee_id.as_str(), c.kind))
        .collect()
}

#[test]
fn managers_get_an_administrator_of_the_rule_role() {
    let managers = rule(1, "Managers", AdminRole::Support, &[("isManager", "true")]);
    let plan = plan(&[managers], &org(), &[], &no_kept());
    assert_eq!(kinds(&plan), [("E1", ChangeKind::Created)]);
    let change = &plan.changes[0];
    assert_eq!(
        change.target,
        Target::New {
            employee_id: "E1".into(),
            email: "e1@example.com".into(),
            first_name: "First".into(),
            last_name: "Last".into(),
        }
    );
    assert_eq!(
        (change.new_rule_id, change.new_role, change.new_status),
        (Some(id(1)), AdminRole::Support, AdminStatus::Active)
    );
    assert_eq!((change.old_role, change.old_status), (None, None));
    assert_eq!(change.reason, "employee E1 matches rule \"Managers\"");
    assert_eq!(plan.counts.created, 1);
}

#[test]
fn the_first_created_matching_rule_decides_a_new_role() {
    let rules = [
        rule(1, "Sales", AdminRole::Auditor, &[("department", "sales")]),
        rule(2, "Paris", AdminRole::Owner, &[("location", "paris")]),
    ];
    let plan = plan(&rules, &org(), &[], &no_kept());
    let roles: Vec<_> = plan
        .changes
        .iter()
        .map(|c| (c.employee_id.as_str(), c.new_role))
        .collect();
    assert_eq!(
        roles,
        [
            ("E1", AdminRole::Auditor),
            ("E2", AdminRole::Auditor),
            ("E3", AdminRole::Auditor),
            ("E4", AdminRole::Owner)
        ]
    );
    assert!(plan.changes[0].reason.contains("created before \"Paris\""));
    assert_eq!(plan.counts.created, 4);
}

#[test]
fn a_later_conflicting_rule_does_not_take_over() {
    // E1's administrator came from "Paris" (created later); "Sales", created first, matches too.
    let rules = [
        rule(1, "Sales", AdminRole::Auditor, &[("department", "sales")]),
        rule(2, "Paris", AdminRole::Owner, &[("location", "paris")]),
    ];
    let admins = [admin(10, "E1", Some(2), AdminRole::Owner)];
    let plan = plan(&rules, org().iter().take(1), &admins, &no_kept());
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert_eq!(plan.counts.unchanged, 1);
}

#[test]
fn the_controlling_rule_hands_over_when_it_stops_matching() {
    let rules = [
        rule(1, "Sales", AdminRole::Auditor, &[("department", "sales")]),
        rule(2, "Berlin", AdminRole::Owner, &[("location", "berlin")]),
        rule(3, "Reps", AdminRole::Auditor, &[("jobTitle", "rep")]),
    ];
    // E2 (Paris) no longer matches "Berlin": "Sales", the first matching rule, takes over with
    // its role. E3 still matches "Berlin". E1 matches "Sales" only and gets an administrator.
    let admins = [
        admin(10, "E2", Some(2), AdminRole::Owner),
        admin(11, "E3", Some(2), AdminRole::Owner),
    ];
    let plan = plan(&rules, &org(), &admins, &no_kept());
    assert_eq!(
        kinds(&plan),
        [("E1", ChangeKind::Created), ("E2", ChangeKind::HandedOver)]
    );
    let e2 = &plan.changes[1];
    assert_eq!(
        e2.target,
        Target::Existing {
            id: id(10),
            email: "e2@example.com".into()
        }
    );
    assert_eq!((e2.old_rule_id, e2.new_rule_id), (Some(id(2)), Some(id(1))));
    assert_eq!(
        (e2.old_role, e2.new_role),
        (Some(AdminRole::Owner), AdminRole::Auditor)
    );
    assert_eq!(e2.new_status, AdminStatus::Active);
    assert_eq!(
        e2.reason,
        "rule \"Berlin\" no longer matches employee E2; rule \"Sales\" takes over; role auditor"
    );
    let expected = Counts {
        created: 1,
        role_changed: 1,
        unchanged: 1,
        ..Counts::default()
    };
    assert_eq!(plan.counts, expected);
}

#[test]
fn a_hand_over_with_the_same_role_counts_as_updated() {
    let rules = [
        rule(1, "Sales", AdminRole::Owner, &[("department", "sales")]),
        rule(2, "Berlin", AdminRole::Owner, &[("location", "berlin")]),
    ];
    let admins = [admin(10, "E2", Some(2), AdminRole::Owner)];
    let plan = plan(&rules, org().iter().skip(1).take(1), &admins, &no_kept());
    assert_eq!(kinds(&plan), [("E2", ChangeKind::HandedOver)]);
    assert_eq!(plan.counts.updated, 1);
    assert_eq!(plan.counts.role_changed, 0);
}

#[test]
fn a_deleted_rule_hands_over_or_deactivates() {
    let rules = [rule(1, "Reps", AdminRole::Support, &[("jobTitle", "rep")])];
    let admins = [
        admin(10, "E2", None, AdminRole::Support),
        admin(11, "E1", None, AdminRole::Owner),
    ];
    let plan = plan(&rules, &org(), &admins, &no_kept());
    assert_eq!(
        kinds(&plan),
        [
            ("E1", ChangeKind::Deactivated),
            ("E2", ChangeKind::HandedOver),
            ("E3", ChangeKind::Created)
        ]
    );
    let reasons: Vec<_> = plan.changes.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons[..2],
        [
            "no rule matches employee E1 any more",
            "the rule of employee E2 was deleted; rule \"Reps\" takes over"
        ]
    );
    assert_eq!(plan.changes[1].new_rule_id, Some(id(1)));
}

#[test]
fn an_edited_rule_role_changes_its_administrators() {
    let rules = sales(AdminRole::Auditor);
    let admins = [admin(10, "E1", Some(1), AdminRole::Owner)];
    let plan = plan(&rules, org().iter().take(1), &admins, &no_kept());
    assert_eq!(kinds(&plan), [("E1", ChangeKind::RoleChanged)]);
    assert_eq!(plan.changes[0].new_rule_id, Some(id(1)));
    assert_eq!(plan.counts.role_changed, 1);
    assert_eq!(plan.counts.updated, 0);
}

#[test]
fn nothing_matching_deactivates_and_keeps_the_rule() {
    let rules = [rule(
        1,
        "Managers",
        AdminRole::Support,
        &[("isManager", "true")],
    )];
    // E2 was a manager; nobody reports to E2 any more.
    let admins = [admin(10, "E2", Some(1), AdminRole::Support)];
    let plan = plan(&rules, &org(), &admins, &no_kept());
    assert_eq!(
        kinds(&plan),
        [("E1", ChangeKind::Created), ("E2", ChangeKind::Deactivated)]
    );
    let e2 = &plan.changes[1];
    assert_eq!(
        (e2.old_rule_id, e2.new_rule_id, e2.new_role),
        (Some(id(1)), Some(id(1)), AdminRole::Support)
    );
    assert_eq!(
        (e2.old_status, e2.new_status),
        (Some(AdminStatus::Active), AdminStatus::Inactive)
    );
    assert_eq!(
        e2.reason,
        "rule \"Managers\" no longer matches employee E2, and no other rule does"
    );
    // Already inactive: nothing to do.
    let admins = [inactive(admin(10, "E2", Some(1), AdminRole::Support))];
    let again = super::plan(&rules, org().iter().skip(1).take(1), &admins, &no_kept());
    assert!(again.changes.is_empty());
    assert_eq!(again.counts.unchanged, 1);
}

#[test]
fn missing_or_terminated_employees_are_deactivated_and_return() {
    let rules = sales(AdminRole::Support);
    let admins = [
        admin(10, "E1", Some(1), AdminRole::Support),
        admin(11, "E2", Some(1), AdminRole::Support),
        admin(12, "E9", Some(1), AdminRole::Support),
    ];
    let employees = staff(&[
        "E1,e1@example.com,First,Last,Sales,Paris,Head,,",
        "E2,e2@example.com,First,Last,Sales,Paris,Rep,E1,Terminated",
    ]);
    let first = plan(&rules, &employees, &admins, &no_kept());
    assert_eq!(
        kinds(&first),
        [
            ("E2", ChangeKind::Deactivated),
            ("E9", ChangeKind::Deactivated)
        ]
    );
    assert_eq!(first.changes[0].reason, "employee E2 is terminated");
    assert_eq!(first.changes[1].reason, "employee E9 is not in the file");
    assert_eq!(first.counts.deactivated, 2);
    assert_eq!(first.counts.unchanged, 1);
    // Next file: both are back, active and in Sales.
    let admins = [
        admins[0].clone(),
        inactive(admins[1].clone()),
        inactive(admins[2].clone()),
    ];
    let employees = staff(&[
        "E1,e1@example.com,First,Last,Sales,Paris,Head,,",
        "E2,e2@example.com,First,Last,Sales,Paris,Rep,E1,active",
        "E9,e9@example.com,First,Last,Sales,Paris,Rep,E1,",
    ]);
    let second = plan(&rules, &employees, &admins, &no_kept());
    assert_eq!(
        kinds(&second),
        [
            ("E2", ChangeKind::Reactivated),
            ("E9", ChangeKind::Reactivated)
        ]
    );
    assert_eq!(
        second.changes[0].reason,
        "employee E2 matches rule \"Sales\" again"
    );
    assert_eq!(second.counts.reactivated, 2);
    assert_eq!(second.counts.unchanged, 1);
}

#[test]
fn a_reactivation_may_change_the_role_too() {
    let rules = sales(AdminRole::Owner);
    let admins = [inactive(admin(10, "E1", Some(1), AdminRole::Auditor))];
    let plan = plan(&rules, org().iter().take(1), &admins, &no_kept());
    assert_eq!(kinds(&plan), [("E1", ChangeKind::Reactivated)]);
    assert_eq!(plan.changes[0].new_role, AdminRole::Owner);
    assert_eq!((plan.counts.reactivated, plan.counts.role_changed), (1, 1));
    assert_eq!(plan.counts.updated, 0);
}

#[test]
fn manual_administrators_are_never_touched() {
    let rules = sales(AdminRole::Owner);
    let mut linked_manual = manual(20, "boss@example.com");
    linked_manual.employee_id = Some("E4".to_owned());
    let admins = [
        manual(21, "E1@EXAMPLE.COM"),
        linked_manual,
        manual(22, "gone@example.com"),
    ];
    let plan = plan(&rules, &org(), &admins, &no_kept());
    // E1's address is the manual administrator's: noted, not created.
    assert_eq!(
        kinds(&plan),
        [("E2", ChangeKind::Created), ("E3", ChangeKind::Created)]
    );
    assert_eq!(plan.notes.len(), 1);
    assert_eq!(plan.notes[0].line, 2);
    assert_eq!(
        plan.notes[0].message,
        "e1@example.com is already a manual administrator; no administrator created for employee E1"
    );
    assert_eq!(
        plan.counts,
        Counts {
            created: 2,
            ..Counts::default()
        }
    );
}

#[test]
fn administrators_of_rejected_rows_are_kept() {
    let rules = sales(AdminRole::Owner);
    let admins = [
        admin(10, "E7", Some(1), AdminRole::Owner),
        admin(11, "E8", Some(1), AdminRole::Owner),
    ];
    let kept: HashSet<String> = ["E7".to_owned()].into();
    let plan = plan(&rules, org().iter().skip(3), &admins, &kept);
    assert_eq!(kinds(&plan), [("E8", ChangeKind::Deactivated)]);
    assert_eq!(plan.counts.unchanged, 1);
}

#[test]
fn emails_and_names_follow_the_file() {
    let rules = sales(AdminRole::Owner);
    let admins = [
        admin(10, "E1", Some(1), AdminRole::Owner),
        admin(11, "E2", Some(1), AdminRole::Owner),
        admin(12, "E3", Some(1), AdminRole::Owner),
        manual(20, "taken@example.com"),
    ];
    let employees = staff(&[
        "E1,ann.lee@example.com,Ann,Last,Sales,Paris,Head,,",
        "E2,E2@Example.com,First,Last,Sales,Paris,Rep,E1,",
        "E3,Taken@example.com,First,Lee,Sales,Paris,Rep,E1,",
    ]);
    let plan = plan(&rules, &employees, &admins, &no_kept());
    assert_eq!(
        kinds(&plan),
        [
            ("E1", ChangeKind::Updated),
            ("E2", ChangeKind::Updated),
            ("E3", ChangeKind::Updated)
        ]
    );
    let [e1, e2, e3] = &plan.changes[..] else {
        panic!("three changes");
    };
    assert_eq!(e1.new_email.as_deref(), Some("ann.lee@example.com"));
    assert_eq!(e1.new_first_name.as_deref(), Some("Ann"));
    assert_eq!(e1.new_last_name, None);
    assert_eq!(
        e1.reason,
        "employee E1 matches rule \"Sales\"; the file changed its email, first name"
    );
    // A change of case only is the same address: it is updated, not refused.
    assert_eq!(e2.new_email.as_deref(), Some("E2@Example.com"));
    // Another administrator's address: the email stays, the name still follows.
    assert_eq!(e3.new_email, None);
    assert_eq!(e3.new_last_name.as_deref(), Some("Lee"));
    assert_eq!(plan.notes.len(), 1);
    assert_eq!(plan.notes[0].line, 4);
    assert!(
        plan.notes[0]
            .message
            .starts_with("Taken@example.com already belongs")
    );
    assert_eq!(plan.counts.updated, 3);
}

#[test]
fn deactivated_administrators_keep_their_attributes() {
    let rules = sales(AdminRole::Owner);
    let admins = [admin(10, "E4", Some(1), AdminRole::Owner)];
    let employees = staff(&["E4,new@example.com,New,Name,Support,Paris,Agent,,"]);
    let plan = plan(&rules, &employees, &admins, &no_kept());
    assert_eq!(kinds(&plan), [("E4", ChangeKind::Deactivated)]);
    assert_eq!(plan.changes[0].new_email, None);
}

mod whole_plans;
