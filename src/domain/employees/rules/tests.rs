use super::*;
use crate::domain::employees::file::parse;

/// Employees from CSV rows under a header with a `Level` extra column.
fn staff(rows: &[&str]) -> Vec<Employee> {
    let text = format!(
        "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Status,Level\n{}\n",
        rows.join("\n")
    );
    let snapshot = parse(text.as_bytes()).unwrap();
    assert!(snapshot.rejected.is_empty(), "{:?}", snapshot.rejected);
    snapshot.employees
}

fn eq(field: &str, value: &str) -> Condition {
    condition(0, field, ConditionOp::Eq, Some(value), None).unwrap()
}

fn ne(field: &str, value: &str) -> Condition {
    condition(0, field, ConditionOp::Ne, Some(value), None).unwrap()
}

fn like(field: &str, pattern: &str) -> Condition {
    condition(0, field, ConditionOp::Like, Some(pattern), None).unwrap()
}

fn one_of(field: &str, values: &[&str]) -> Condition {
    let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    condition(0, field, ConditionOp::In, None, Some(&values)).unwrap()
}

#[test]
fn conditions_are_normalised_and_folded() {
    let c = condition(
        0,
        "  JobTitle ",
        ConditionOp::Eq,
        Some(" Head of SALES "),
        None,
    )
    .unwrap();
    assert_eq!(c.field, "jobtitle");
    assert_eq!(c.values, ["head of sales"]);
    let c = one_of("Location", &["Paris", " PARIS", "Straße"]);
    assert_eq!(c.values, ["paris", "strasse"]);
}

#[test]
fn condition_validation_names_the_faulty_part() {
    let err = condition(2, " ", ConditionOp::Eq, Some("x"), None).unwrap_err();
    assert_eq!(
        (err.label.as_deref(), err.code),
        (Some("conditions.2.field"), ErrorCode::Blank)
    );
    let err = condition(1, "department", ConditionOp::Eq, None, None).unwrap_err();
    assert_eq!(
        (err.label.as_deref(), err.code),
        (Some("conditions.1.value"), ErrorCode::Blank)
    );
    let err = condition(1, "department", ConditionOp::Like, Some("  "), None).unwrap_err();
    assert_eq!(err.label.as_deref(), Some("conditions.1.value"));
    let err = condition(0, "department", ConditionOp::In, None, Some(&[])).unwrap_err();
    assert_eq!(
        (err.label.as_deref(), err.code),
        (Some("conditions.0.values"), ErrorCode::Blank)
    );
    let err = condition(0, "department", ConditionOp::In, None, None).unwrap_err();
    assert_eq!(err.label.as_deref(), Some("conditions.0.values"));
    let blank_member = ["Sales".to_owned(), " ".to_owned()];
    let err = condition(0, "department", ConditionOp::In, None, Some(&blank_member)).unwrap_err();
    assert_eq!(err.label.as_deref(), Some("conditions.0.values"));
    let err = condition(0, "department", ConditionOp::In, Some("Sales"), None).unwrap_err();
    assert_eq!(
        (err.label.as_deref(), err.code),
        (Some("conditions.0.value"), ErrorCode::Invalid)
    );
    let err = condition(
        0,
        "department",
        ConditionOp::Eq,
        Some("x"),
        Some(&["y".to_owned()]),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Invalid);
}

#[test]
fn is_manager_takes_true_or_false() {
    assert_eq!(eq("isManager", " TRUE ").values, ["true"]);
    assert_eq!(ne("IsManager", "False").values, ["false"]);
    let err = condition(3, "isManager", ConditionOp::Eq, Some("yes"), None).unwrap_err();
    assert_eq!(
        (err.label.as_deref(), err.code),
        (Some("conditions.3.value"), ErrorCode::Invalid)
    );
    let err = condition(
        0,
        "isManager",
        ConditionOp::In,
        None,
        Some(&["true".to_owned(), "1".to_owned()]),
    )
    .unwrap_err();
    assert_eq!(err.label.as_deref(), Some("conditions.0.values"));
}

#[test]
fn conditions_need_at_least_one_and_report_every_fault() {
    let errors = conditions(&[]).unwrap_err();
    assert_eq!(errors[0].label.as_deref(), Some("conditions"));
    assert_eq!(errors[0].code, ErrorCode::Blank);
    let errors = conditions(&[
        (
            "department".into(),
            ConditionOp::Eq,
            Some("Sales".into()),
            None,
        ),
        ("".into(), ConditionOp::Eq, Some("x".into()), None),
        ("location".into(), ConditionOp::In, None, Some(vec![])),
    ])
    .unwrap_err();
    let labels: Vec<_> = errors.iter().filter_map(|e| e.label.as_deref()).collect();
    assert_eq!(labels, ["conditions.1.field", "conditions.2.values"]);
    let ok = conditions(&[(
        "isManager".into(),
        ConditionOp::Eq,
        Some("true".into()),
        None,
    )])
    .unwrap();
    assert_eq!(ok.len(), 1);
}

#[test]
fn values_are_read_by_field() {
    let e = &staff(&[
        "E1,a@example.com,Ann,Lee,Sales,Paris,Head,,active,7",
        "E2,b@example.com,Bob,Ray,Sales,Paris,Rep,E1,,",
    ])[0];
    let read = |field: &str| value_of(e, field).map(|v| v.into_owned());
    assert_eq!(read("department").as_deref(), Some("Sales"));
    assert_eq!(read("jobtitle").as_deref(), Some("Head"));
    assert_eq!(read("ismanager").as_deref(), Some("true"));
    assert_eq!(read("status").as_deref(), Some("active"));
    assert_eq!(read("managerid").as_deref(), Some(""));
    assert_eq!(read("level").as_deref(), Some("7"));
    assert_eq!(read("costcenter"), None);
}

#[test]
fn matching_is_case_insensitive_trimmed_and_needs_every_condition() {
    let people = staff(&[
        "E1,a@example.com,Ann,Lee,SALES,Paris,Head of Sales,,,",
        "E2,b@example.com,Bob,Ray,ｓａｌｅｓ,Berlin,Rep,E1,,",
        "E3,c@example.com,Cy,Ng,Support,Paris,Rep,E1,,",
    ]);
    let sales = [eq("department", "sales")];
    let hits: Vec<bool> = people.iter().map(|e| matches(&sales, e)).collect();
    assert_eq!(hits, [true, true, false]);
    let sales_managers = [eq("department", "Sales"), eq("isManager", "true")];
    let hits: Vec<bool> = people.iter().map(|e| matches(&sales_managers, e)).collect();
    assert_eq!(hits, [true, false, false]);
    let not_paris = [ne("location", "PARIS")];
    let hits: Vec<bool> = people.iter().map(|e| matches(&not_paris, e)).collect();
    assert_eq!(hits, [false, true, false]);
    let places = [one_of("location", &["berlin", "Madrid"])];
    let hits: Vec<bool> = people.iter().map(|e| matches(&places, e)).collect();
    assert_eq!(hits, [false, true, false]);
    assert!(!matches(&[], &people[0]), "no conditions match nobody");
}

#[test]
fn a_missing_column_reads_as_empty() {
    let e = &staff(&["E1,a@example.com,A,B,D,L,J,,,"])[0];
    assert!(matches(&[ne("costcenter", "x")], e));
    assert!(!matches(&[eq("costcenter", "x")], e));
    assert!(matches(&[like("costcenter", "%")], e));
    assert!(matches(&[ne("level", "3")], e));
}

#[test]
fn terminated_employees_match_nothing() {
    let e = &staff(&["E1,a@example.com,A,B,Sales,L,J,,terminated,"])[0];
    assert!(!matches(&[eq("department", "sales")], e));
    assert!(!matches(&[eq("status", "terminated")], e));
}

#[test]
fn like_is_sql_like_over_the_whole_value() {
    let cases = [
        ("Head of Sales", "head%", true),
        ("Head of Sales", "%SALES", true),
        ("Head of Sales", "%of%", true),
        ("Head of Sales", "head", false),
        ("Head of Sales", "%sale", false),
        ("Head of Sales", "h_ad of sales", true),
        ("Head of Sales", "h_d%", false),
        ("Rep", "___", true),
        ("Rep", "____", false),
        ("Rep", "%%r%e%p%%", true),
        ("", "%", true),
        ("", "_", false),
        ("aaa", "%a%a%a%a", false),
        ("mississippi", "%iss%ppi", true),
        ("Directeur Général", "%GÉNÉRAL", true),
        ("Straße", "strasse", true),
        ("Straße", "stra_e", false),
    ];
    for (value, pattern, expected) in cases {
        let e = &staff(&[&format!("E1,a@example.com,A,B,D,L,{value},,,")])[0];
        assert_eq!(
            matches(&[like("jobTitle", pattern)], e),
            expected,
            "{value:?} like {pattern:?}"
        );
    }
}

#[test]
fn overlap_of_equalities() {
    let sales = [eq("department", "Sales")];
    let support = [eq("department", "Support")];
    assert!(can_overlap(&sales, &sales));
    assert!(!can_overlap(&sales, &support));
    assert!(can_overlap(
        &sales,
        &[one_of("department", &["support", "SALES"])]
    ));
    assert!(!can_overlap(&sales, &[ne("department", "sales")]));
    assert!(can_overlap(&sales, &[ne("department", "support")]));
    // Different fields do not constrain each other.
    assert!(can_overlap(&sales, &[eq("location", "Paris")]));
    assert!(can_overlap(
        &[ne("location", "Paris")],
        &[ne("location", "Berlin")]
    ));
    // A list that cannot hold on its own overlaps nothing.
    let impossible = [eq("location", "Paris"), eq("location", "Berlin")];
    assert!(!can_overlap(&impossible, &sales));
    assert!(!can_overlap(
        &[one_of("location", &["paris", "berlin"])],
        &[ne("location", "paris"), ne("location", "berlin")]
    ));
}

#[test]
fn overlap_of_is_manager() {
    let managers = [eq("isManager", "true")];
    let others = [eq("isManager", "false")];
    assert!(!can_overlap(&managers, &others));
    assert!(can_overlap(&managers, &managers));
    assert!(!can_overlap(&managers, &[ne("isManager", "true")]));
    assert!(can_overlap(&[ne("isManager", "false")], &managers));
    // Both values excluded: nobody.
    assert!(!can_overlap(
        &[ne("isManager", "true")],
        &[ne("isManager", "false")]
    ));
    // Only active employees match, whatever a status condition says.
    assert!(!can_overlap(&[eq("status", "terminated")], &managers));
}

#[test]
fn overlap_of_like_patterns() {
    let heads = [like("jobTitle", "Head%")];
    assert!(can_overlap(&heads, &[like("jobTitle", "head of%")]));
    assert!(!can_overlap(&heads, &[like("jobTitle", "Chief%")]));
    assert!(can_overlap(&heads, &[like("jobTitle", "%Sales")]));
    assert!(!can_overlap(
        &[like("jobTitle", "%Sales")],
        &[like("jobTitle", "%Support")]
    ));
    assert!(can_overlap(
        &[like("jobTitle", "%Sales")],
        &[like("jobTitle", "%Inside Sales")]
    ));
    assert!(can_overlap(&heads, &[ne("jobTitle", "Head")]));
    // Against a finite set, the candidates are tested.
    assert!(can_overlap(&heads, &[eq("jobTitle", "Head of Sales")]));
    assert!(!can_overlap(&heads, &[eq("jobTitle", "Rep")]));
    assert!(!can_overlap(
        &heads,
        &[one_of("jobTitle", &["Rep", "Chief"])]
    ));
    assert!(can_overlap(
        &[like("isManager", "TRUE")],
        &[ne("isManager", "false")]
    ));
    assert!(!can_overlap(
        &[like("isManager", "true")],
        &[eq("isManager", "false")]
    ));
    // A pattern without wildcards is an equality.
    assert!(!can_overlap(
        &[like("jobTitle", "Rep")],
        &[ne("jobTitle", "rep")]
    ));
}
