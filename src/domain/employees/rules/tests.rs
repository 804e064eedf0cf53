use super::*;
use crate::domain::employees::file::parse;
use crate::domain::employees::table::Employees;

/// Employees from CSV rows under a header with a `Level` extra column.
fn staff(rows: &[&str]) -> Employees {
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

/// Conditions written `field op value` and joined by ` & `: `=`, `!=`, `like`, or `in` with
/// comma-separated values (`location in paris,berlin`).
fn all(text: &str) -> Vec<Condition> {
    text.split(" & ")
        .map(|c| match c.splitn(3, ' ').collect::<Vec<_>>()[..] {
            [field, "=", value] => eq(field, value),
            [field, "!=", value] => ne(field, value),
            [field, "like", pattern] => like(field, pattern),
            [field, "in", values] => one_of(field, &values.split(',').collect::<Vec<_>>()),
            _ => panic!("not a condition: {c}"),
        })
        .collect()
}

/// Asserts `can_overlap` of each pair of [`all`] conditions, both ways round.
fn assert_overlaps(cases: &[(&str, &str, bool)]) {
    for (a, b, expected) in cases {
        let (a_list, b_list) = (all(a), all(b));
        assert_eq!(can_overlap(&a_list, &b_list), *expected, "{a} / {b}");
        assert_eq!(can_overlap(&b_list, &a_list), *expected, "{b} / {a}");
    }
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
    // As a rule stores them, too.
    let input = |json| serde_json::from_value::<Vec<ConditionInput>>(json).unwrap();
    let errors = conditions(&input(serde_json::json!([
        {"field": "department", "operation": "eq", "value": "Sales"},
        {"field": "", "operation": "eq", "value": "x"},
        {"field": "location", "operation": "in", "values": []},
    ])))
    .unwrap_err();
    let labels: Vec<_> = errors.iter().filter_map(|e| e.label.as_deref()).collect();
    assert_eq!(labels, ["conditions.1.field", "conditions.2.values"]);
    let ok = input(serde_json::json!([{"field": "isManager", "operation": "eq", "value": "true"}]));
    let ok = conditions(&ok).unwrap();
    assert_eq!(ok.len(), 1);
}

#[test]
fn values_are_read_by_field() {
    let people = staff(&[
        "E1,a@example.com,Ann,Lee,Sales,Paris,Head,,active,7",
        "E2,b@example.com,Bob,Ray,Sales,Paris,Rep,E1,,",
    ]);
    let e = people.get(0).unwrap();
    let read = |field: &str| value_of(e, field).map(str::to_owned);
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
    for (conditions, expected) in [
        ("department = sales", [true, true, false]),
        (
            "department = Sales & isManager = true",
            [true, false, false],
        ),
        ("location != PARIS", [false, true, false]),
        ("location in berlin,Madrid", [false, true, false]),
    ] {
        let hits: Vec<bool> = people
            .iter()
            .map(|e| matches(&all(conditions), e))
            .collect();
        assert_eq!(hits, expected, "{conditions}");
    }
    assert!(
        !matches(&[], people.get(0).unwrap()),
        "no conditions match nobody"
    );
}

#[test]
fn a_missing_column_reads_as_empty() {
    let people = staff(&["E1,a@example.com,A,B,D,L,J,,,"]);
    let e = people.get(0).unwrap();
    assert!(matches(&[ne("costcenter", "x")], e));
    assert!(!matches(&[eq("costcenter", "x")], e));
    assert!(matches(&[like("costcenter", "%")], e));
    assert!(matches(&[ne("level", "3")], e));
}

#[test]
fn terminated_employees_match_nothing() {
    let people = staff(&["E1,a@example.com,A,B,Sales,L,J,,terminated,"]);
    let e = people.get(0).unwrap();
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
        let people = staff(&[&format!("E1,a@example.com,A,B,D,L,{value},,,")]);
        let e = people.get(0).unwrap();
        assert_eq!(
            matches(&[like("jobTitle", pattern)], e),
            expected,
            "{value:?} like {pattern:?}"
        );
    }
}

#[test]
fn overlap_of_equalities() {
    assert_overlaps(&[
        ("department = Sales", "department = Sales", true),
        ("department = Sales", "department = Support", false),
        ("department = Sales", "department in support,SALES", true),
        ("department = Sales", "department != sales", false),
        ("department = Sales", "department != support", true),
        // Different fields do not constrain each other.
        ("department = Sales", "location = Paris", true),
        ("location != Paris", "location != Berlin", true),
        // A list that cannot hold on its own overlaps nothing.
        (
            "location = Paris & location = Berlin",
            "department = Sales",
            false,
        ),
        (
            "location in paris,berlin",
            "location != paris & location != berlin",
            false,
        ),
    ]);
}

#[test]
fn overlap_of_is_manager() {
    assert_overlaps(&[
        ("isManager = true", "isManager = false", false),
        ("isManager = true", "isManager = true", true),
        ("isManager = true", "isManager != true", false),
        ("isManager != false", "isManager = true", true),
        // Both values excluded: nobody.
        ("isManager != true", "isManager != false", false),
        // Only active employees match, whatever a status condition says.
        ("status = terminated", "isManager = true", false),
    ]);
}

#[test]
fn overlap_of_like_patterns() {
    assert_overlaps(&[
        ("jobTitle like Head%", "jobTitle like head of%", true),
        ("jobTitle like Head%", "jobTitle like Chief%", false),
        ("jobTitle like Head%", "jobTitle like %Sales", true),
        ("jobTitle like %Sales", "jobTitle like %Support", false),
        ("jobTitle like %Sales", "jobTitle like %Inside Sales", true),
        ("jobTitle like Head%", "jobTitle != Head", true),
        // Against a finite set, the candidates are tested.
        ("jobTitle like Head%", "jobTitle = Head of Sales", true),
        ("jobTitle like Head%", "jobTitle = Rep", false),
        ("jobTitle like Head%", "jobTitle in Rep,Chief", false),
        ("isManager like TRUE", "isManager != false", true),
        ("isManager like true", "isManager = false", false),
        // A pattern without wildcards is an equality.
        ("jobTitle like Rep", "jobTitle != rep", false),
    ]);
}
