use super::*;
use crate::domain::employees::file::parse;

fn new<'a>(id: &'a str, line: u64) -> NewEmployee<'a> {
    NewEmployee {
        line,
        employee_id: id,
        email: "a@example.com",
        first_name: "Ann",
        last_name: "Lee",
        department: "Sales",
        location: "Paris",
        job_title: "Head",
        manager_id: "",
        status: EmployeeStatus::Active,
        is_manager: false,
    }
}

#[test]
fn a_row_reads_back_as_it_was_added() {
    let mut table = Employees::new(vec!["cost center".into(), "level".into()]);
    let row = NewEmployee {
        line: 7,
        employee_id: "E1",
        email: "ann@example.com",
        first_name: "Ann",
        last_name: "Lee",
        department: "Sales",
        location: "Paris",
        job_title: "Head of Sales",
        manager_id: "E0",
        status: EmployeeStatus::Terminated,
        is_manager: true,
    };
    table.push(&row, [Some("CC-1"), Some("7")]).unwrap();
    let e = table.get(0).unwrap();
    assert_eq!(
        e.to_record(),
        EmployeeRecord {
            line: 7,
            employee_id: "E1".into(),
            email: "ann@example.com".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            department: "Sales".into(),
            location: "Paris".into(),
            job_title: "Head of Sales".into(),
            manager_id: "E0".into(),
            status: EmployeeStatus::Terminated,
            is_manager: true,
            extra: [("cost center", "CC-1"), ("level", "7")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
        }
    );
    assert_eq!(table.len(), 1);
    assert!(table.get(1).is_none());
}

#[test]
fn extra_columns_are_named_once_and_read_by_name() {
    let mut table = Employees::new(vec!["cost center".into(), "level".into()]);
    table.push(&new("E1", 2), [Some("CC-1"), Some("")]).unwrap();
    let e = table.get(0).unwrap();
    assert_eq!(table.extra_columns(), ["cost center", "level"]);
    assert_eq!(e.extra("cost center"), Some("CC-1"));
    // An empty value is there, unlike a column the table does not have.
    assert_eq!(e.extra("level"), Some(""));
    assert_eq!(e.extra("costcenter"), None);
    let extras: Vec<_> = e.extras().collect();
    assert_eq!(extras, [("cost center", "CC-1"), ("level", "")]);
}

#[test]
fn rows_are_found_by_employee_id_and_a_repeated_id_is_refused() {
    let mut table = Employees::default();
    for (i, id) in ["E1", "E2", "e1", "E10"].into_iter().enumerate() {
        table.push(&new(id, i as u64 + 2), []).unwrap();
    }
    assert_eq!(table.find("E2").map(|e| e.line()), Some(3));
    assert_eq!(table.find("e1").map(|e| e.index()), Some(2));
    assert!(table.find("E3").is_none());
    assert!(table.find("E1 ").is_none(), "ids are compared exactly");
    assert_eq!(
        table.push(&new("E2", 9), []),
        Err(Refused::Repeated { line: 3 })
    );
    assert_eq!(table.len(), 4);
}

#[test]
fn odd_values_survive_whole() {
    let mut table = Employees::new(vec!["note".into()]);
    let odd = [
        "",
        " ",
        "two\nlines",
        "tab\there",
        "Ann \"Jo\", EMEA",
        "ｓａｌｅｓ",
        "Directeur Général",
        "emoji 🧑‍💻",
    ];
    for (i, value) in odd.iter().enumerate() {
        let id = format!("E{i}");
        let mut row = new(&id, i as u64 + 2);
        row.job_title = value;
        row.last_name = value;
        table.push(&row, [Some(*value)]).unwrap();
    }
    for (e, value) in table.iter().zip(odd) {
        assert_eq!(e.job_title(), value);
        assert_eq!(e.last_name(), value);
        assert_eq!(e.extra("note"), Some(value));
        assert_eq!(e.location(), "Paris", "the next value is not shifted");
    }
}

#[test]
fn a_value_holding_a_separator_is_refused() {
    let mut table = Employees::new(vec!["note".into()]);
    for bad in ["\u{1f}", "a\u{1e}b", "\u{1d}"] {
        let mut row = new("E1", 2);
        row.department = bad;
        assert_eq!(table.push(&row, [None]), Err(Refused::Separator), "{bad:?}");
        assert_eq!(
            table.push(&new("E1", 2), [Some(bad)]),
            Err(Refused::Separator),
            "{bad:?}"
        );
    }
    assert!(table.is_empty());
}

#[test]
fn a_row_may_lack_columns_added_after_it_or_skipped() {
    let mut table = Employees::new(vec!["a".into()]);
    table.push(&new("E1", 2), [Some("1")]).unwrap();
    assert_eq!(table.add_extra_column("b"), 1);
    assert_eq!(table.add_extra_column("a"), 0);
    table.push(&new("E2", 3), [None, Some("2")]).unwrap();
    let (first, second) = (table.get(0).unwrap(), table.get(1).unwrap());
    assert_eq!((first.extra("a"), first.extra("b")), (Some("1"), None));
    assert_eq!((second.extra("a"), second.extra("b")), (None, Some("2")));
    assert_eq!(second.extras().collect::<Vec<_>>(), [("b", "2")]);
    assert_eq!(second.to_record().extra.len(), 1);
}

#[test]
fn rows_longer_than_a_chunk_and_many_rows_read_back() {
    let mut table = Employees::new(vec!["long".into()]);
    let long = "x".repeat(CHUNK + 10);
    table.push(&new("big", 2), [Some(long.as_str())]).unwrap();
    let ids: Vec<String> = (0..20_000).map(|i| format!("E{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        table.push(&new(id, i as u64 + 3), [Some("short")]).unwrap();
    }
    assert_eq!(
        table.find("big").unwrap().extra("long"),
        Some(long.as_str())
    );
    for (i, id) in ids.iter().enumerate().step_by(997) {
        let e = table.find(id).unwrap();
        assert_eq!((e.line(), e.extra("long")), (i as u64 + 3, Some("short")));
    }
    assert!(table.chunks.len() > 1);
}

#[test]
fn managers_are_derived_again_from_scratch() {
    let mut table = Employees::default();
    let mut report = new("E2", 3);
    report.manager_id = "E1";
    let mut stale = new("E3", 4);
    stale.is_manager = true;
    table.push(&new("E1", 2), []).unwrap();
    table.push(&report, []).unwrap();
    table.push(&stale, []).unwrap();
    table.derive_managers();
    let managers: Vec<bool> = table.iter().map(|e| e.is_manager()).collect();
    assert_eq!(managers, [true, false, false]);
}

#[test]
fn duplicate_columns_are_still_refused_by_the_file() {
    let why = parse(
        "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Level,LEVEL\n"
            .as_bytes(),
    )
    .unwrap_err()
    .message;
    assert!(why.contains("\"level\" appears twice"), "{why}");
}

#[test]
fn a_parsed_snapshot_equals_itself_and_not_another() {
    let text = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Level\n\
                E1,a@example.com,A,B,D,L,J,,1\nE2,b@example.com,A,B,D,L,J,E1,2\n";
    let (a, b) = (
        parse(text.as_bytes()).unwrap(),
        parse(text.as_bytes()).unwrap(),
    );
    assert_eq!(a, b);
    let other = parse(text.replace(",2\n", ",3\n").as_bytes()).unwrap();
    assert_ne!(a.employees, other.employees);
    assert!(format!("{:?}", a.employees).contains("\"E2\""));
}
