//! Whole plans: their order, holding them, conflicts, and a file of realistic size.
use std::fmt::Write as _;

use super::*;

#[test]
fn changes_come_in_file_order_then_by_administrator_id() {
    let rules = sales(AdminRole::Owner);
    let admins = [
        admin(30, "Z1", Some(1), AdminRole::Owner),
        admin(12, "E3", Some(1), AdminRole::Support),
        admin(20, "Z2", Some(1), AdminRole::Owner),
        manual(1, "m@example.com"),
    ];
    let plan = plan(&rules, &org(), &admins, &no_kept());
    assert_eq!(
        kinds(&plan),
        [
            ("E1", ChangeKind::Created),
            ("E2", ChangeKind::Created),
            ("E3", ChangeKind::RoleChanged),
            ("Z2", ChangeKind::Deactivated),
            ("Z1", ChangeKind::Deactivated)
        ]
    );
}

#[test]
fn a_hold_needs_more_than_the_threshold() {
    let admins: Vec<AdminView> = (0..5)
        .map(|n| admin(n, &format!("E{n}"), Some(1), AdminRole::Owner))
        .chain([manual(99, "m@example.com")])
        .collect();
    let with = |deactivated: u32| Plan {
        counts: Counts {
            deactivated,
            ..Counts::default()
        },
        ..Plan::default()
    };
    // One of five is exactly 20 %: applied. Two is 40 %: held.
    assert!(!would_hold(&with(1), &admins, 20));
    assert!(would_hold(&with(2), &admins, 20));
    assert!(would_hold(&with(1), &admins, 19));
    assert!(!would_hold(&with(5), &admins, 100));
    assert!(would_hold(&with(1), &admins, 0));
    assert!(!would_hold(&with(0), &admins, 0));
    // Inactive and manual administrators are not in the base.
    let few = [
        admin(1, "E1", Some(1), AdminRole::Owner),
        inactive(admin(2, "E2", Some(1), AdminRole::Owner)),
        manual(3, "m@example.com"),
    ];
    assert!(would_hold(&with(1), &few, 20));
    assert!(!would_hold(&with(1), &[manual(3, "m@example.com")], 20));
}

#[test]
fn an_empty_file_deactivates_everyone_and_is_held() {
    let rules = sales(AdminRole::Owner);
    let admins = [
        admin(10, "E1", Some(1), AdminRole::Owner),
        admin(11, "E2", Some(1), AdminRole::Owner),
    ];
    let plan = plan(&rules, &Employees::default(), &admins, &no_kept());
    assert_eq!(plan.counts.deactivated, 2);
    assert!(would_hold(&plan, &admins, 20));
}

#[test]
fn matching_both_lists_the_employees_in_conflict() {
    let sales = rule(1, "Sales", AdminRole::Owner, &[("department", "sales")]);
    let paris = rule(2, "Paris", AdminRole::Auditor, &[("location", "paris")]);
    let people = org();
    let both: Vec<&str> = matching_both(&sales.conditions, &paris.conditions, &people)
        .map(|e| e.employee_id())
        .collect();
    assert_eq!(both, ["E1", "E2"]);
}

#[test]
fn a_hundred_thousand_rows_parse_and_plan() {
    const N: usize = 100_000;
    let departments = ["Sales", "Support", "Engineering", "Finance", "HR"];
    let locations = ["Paris", "Berlin", "Madrid", "Lisbon"];
    let mut text = format!("{HEADER},CostCenter\n");
    for i in 0..N {
        // Every tenth employee manages the next nine; every hundredth is terminated.
        let manager = if i % 10 == 0 {
            String::new()
        } else {
            format!("E{}", i - i % 10)
        };
        let status = if i % 100 == 99 { "terminated" } else { "" };
        let _ = writeln!(
            text,
            "E{i},user{i}@example.com,First{i},Last{i},{},{},Title {},{manager},{status},CC{}",
            departments[i % 5],
            locations[i % 4],
            i % 7,
            i % 3
        );
    }
    let snapshot = parse(text.as_bytes()).unwrap();
    assert_eq!(snapshot.employees.len(), N);
    assert!(snapshot.rejected.is_empty());
    let managers = snapshot.employees.iter().filter(|e| e.is_manager()).count();
    assert_eq!(managers, N / 10);
    let mut rules: Vec<RuleView> = (0..10u128)
        .map(|n| {
            rule(
                n + 1,
                &format!("R{n}"),
                AdminRole::Auditor,
                &[("location", "nowhere"), ("costcenter", "CC1")],
            )
        })
        .collect();
    rules.push(rule(
        100,
        "Sales managers",
        AdminRole::Support,
        &[("department", "sales"), ("isManager", "true")],
    ));
    let plan = plan(&rules, &snapshot.employees, &[], &no_kept());
    // Managers are employees 0, 10, 20...; Sales are i % 5 == 0: every manager.
    assert_eq!(plan.counts.created as usize, N / 10);
    assert_eq!(plan.changes.len(), N / 10);
}
