use super::*;
use crate::domain::employees::table::EmployeeRecord;
use crate::domain::validate;

const HEADER: &str = "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId";

fn parsed(text: &str) -> Snapshot {
    parse(text.as_bytes()).unwrap()
}

fn refused(bytes: &[u8]) -> String {
    parse(bytes).unwrap_err().message
}

fn ids(snapshot: &Snapshot) -> Vec<&str> {
    snapshot.employees.iter().map(|e| e.employee_id()).collect()
}

/// The accepted employees, copied out of the compact table.
fn rows(snapshot: &Snapshot) -> Vec<EmployeeRecord> {
    snapshot.employees.iter().map(|e| e.to_record()).collect()
}

#[test]
fn reads_rows_with_trimmed_values_and_line_numbers() {
    let s = parsed(&format!(
        "{HEADER}\nE1, ann@example.com ,Ann,Lee,Sales,Paris,Head of Sales,\nE2,bob@example.com,Bob,Ray,Sales,Paris,Rep,E1\n"
    ));
    assert_eq!(ids(&s), ["E1", "E2"]);
    let ann = &rows(&s)[0];
    assert_eq!(
        (ann.line, ann.email.as_str(), ann.job_title.as_str()),
        (2, "ann@example.com", "Head of Sales")
    );
    assert_eq!(ann.manager_id, "");
    assert_eq!(ann.status, EmployeeStatus::Active);
    assert!(ann.is_manager);
    assert!(!rows(&s)[1].is_manager);
    assert_eq!(rows(&s)[1].line, 3);
    assert!(s.rejected.is_empty() && s.employees.extra_columns().is_empty());
}

#[test]
fn header_names_are_matched_case_insensitively_after_trimming() {
    let s = parsed(
        "  employeeID ,EMAIL,firstname,LastName,department, Location,  jobtitle ,managerid, STATUS \n\
         E1,a@example.com,A,B,D,L,J,,Terminated\n",
    );
    assert_eq!(rows(&s)[0].job_title, "J");
    assert_eq!(rows(&s)[0].status, EmployeeStatus::Terminated);
    assert!(s.employees.extra_columns().is_empty());
}

#[test]
fn columns_may_come_in_any_order_and_extra_columns_are_kept() {
    let s = parsed(
        "Cost Center,ManagerId,JobTitle,Location,Department,LastName,FirstName,Email,EmployeeId, Level \n\
         CC-1,,J,L,D,B,A,a@example.com,E1,  7 \n",
    );
    assert_eq!(s.employees.extra_columns(), ["cost center", "level"]);
    let e = &rows(&s)[0];
    assert_eq!(e.employee_id, "E1");
    assert_eq!(e.extra.get("cost center").map(String::as_str), Some("CC-1"));
    assert_eq!(e.extra.get("level").map(String::as_str), Some("7"));
}

#[test]
fn status_is_optional_case_insensitive_and_blank_means_active() {
    let s = parsed(&format!(
        "{HEADER},Status\nE1,a@example.com,A,B,D,L,J,, ACTIVE \nE2,b@example.com,A,B,D,L,J,,\nE3,c@example.com,A,B,D,L,J,,terminated\nE4,d@example.com,A,B,D,L,J,,retired\n"
    ));
    let statuses: Vec<_> = s.employees.iter().map(|e| e.status()).collect();
    assert_eq!(
        statuses,
        [
            EmployeeStatus::Active,
            EmployeeStatus::Active,
            EmployeeStatus::Terminated
        ]
    );
    assert_eq!(s.rejected.len(), 1);
    assert_eq!(s.rejected[0].line, 5);
    assert_eq!(s.rejected[0].employee_id.as_deref(), Some("E4"));
    assert!(s.rejected[0].message.contains("retired"));
}

#[test]
fn a_utf8_bom_is_accepted() {
    let text = format!("\u{feff}{HEADER}\nE1,a@example.com,A,B,D,L,J,\n");
    assert_eq!(ids(&parsed(&text)), ["E1"]);
    // A BOM the CSV reader would not see whole (it arrives one byte at a time) is still stripped.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }
    assert_eq!(ids(&parse(Trickle(text.as_bytes())).unwrap()), ["E1"]);
}

#[test]
fn missing_required_columns_refuse_the_file_and_are_all_named() {
    let message =
        refused(b"EmployeeId,Email,FirstName,Department,Location\nE1,a@example.com,A,D,L\n");
    assert_eq!(
        message,
        "missing required columns: LastName, JobTitle, ManagerId"
    );
}

#[test]
fn empty_and_blank_input_is_refused() {
    assert_eq!(refused(b""), "the file is empty");
    assert_eq!(refused(b"\n\n"), "the file is empty");
    assert_eq!(refused(b" , \n"), "the file is empty");
}

#[test]
fn a_header_only_file_is_an_empty_snapshot() {
    let s = parsed(&format!("{HEADER}\n"));
    assert!(s.employees.is_empty() && s.rejected.is_empty());
}

#[test]
fn non_csv_input_is_refused() {
    for text in [
        "{\"employees\": []}\n",
        "<html><body>Not found</body></html>\n",
        "just some prose, with a comma\nand more\n",
    ] {
        let message = refused(text.as_bytes());
        assert!(message.contains("does not look like"), "{text}: {message}");
        assert!(message.contains("EmployeeId, Email"), "{message}");
    }
    let message =
        refused(b"EmployeeId;Email;FirstName;LastName;Department;Location;JobTitle;ManagerId\n");
    assert!(message.contains("separated by commas"), "{message}");
}

#[test]
fn binary_input_is_refused() {
    // Not UTF-8 (a ZIP/XLSX header).
    let message = refused(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe\x00");
    assert!(message.contains("UTF-8"), "{message}");
    // Valid UTF-8 but control characters.
    let message = refused(b"\x00\x01\x02\x03,\x04\n");
    assert!(message.contains("does not look like CSV"), "{message}");
    // Invalid UTF-8 in a later row refuses the whole file too.
    let mut bytes =
        format!("{HEADER}\nE1,a@example.com,A,B,D,L,J,\nE2,b@example.com,").into_bytes();
    bytes.extend_from_slice(b"\xc3\x28,B,D,L,J,\n");
    let message = refused(&bytes);
    assert!(message.starts_with("line 3:"), "{message}");
}

#[test]
fn duplicate_columns_refuse_the_file() {
    let message = refused(format!("{HEADER}, department \n").as_bytes());
    assert!(
        message.contains("\"department\" appears twice"),
        "{message}"
    );
}

#[test]
fn quoted_fields_with_commas_and_newlines_keep_line_numbers_right() {
    let s = parsed(&format!(
        "{HEADER},Note\nE1,a@example.com,A,B,\"Sales, EMEA\",L,J,,\"two\nlines\"\nE2,b@example.com,\"Ann \"\"Jo\"\"\",B,D,L,J,,x\nE3,bad,A,B,D,L,J,,x\n"
    ));
    assert_eq!(rows(&s)[0].department, "Sales, EMEA");
    assert_eq!(
        rows(&s)[0].extra.get("note").map(String::as_str),
        Some("two\nlines")
    );
    assert_eq!(rows(&s)[1].line, 4);
    assert_eq!(rows(&s)[1].first_name, "Ann \"Jo\"");
    assert_eq!(s.rejected[0].line, 5);
}

#[test]
fn blank_lines_are_skipped() {
    let s = parsed(&format!(
        "\n{HEADER}\n\nE1,a@example.com,A,B,D,L,J,\n,,,,,,,\n\nE2,b@example.com,A,B,D,L,J,\n"
    ));
    assert_eq!(ids(&s), ["E1", "E2"]);
    assert_eq!(rows(&s)[1].line, 7);
    assert!(s.rejected.is_empty());
}

#[test]
fn bad_rows_are_left_out_with_their_line() {
    let long = "x".repeat(VALUE_MAX + 1);
    let long_name = "n".repeat(validate::NAME_MAX + 1);
    let s = parsed(&format!(
        "{HEADER}\n\
         E1,a@example.com,A,B,D,L,J\n\
         ,b@example.com,A,B,D,L,J,\n\
         E3,,A,B,D,L,J,\n\
         E4,not-an-email,A,B,D,L,J,\n\
         E5,e@example.com,A,B,{long},L,J,\n\
         E6,f@example.com,{long_name},B,D,L,J,\n\
         E7,g@example.com,A,B,D,L,J,,extra\n\
         E8,h@example.com,A,B,D,L,J,\n"
    ));
    assert_eq!(ids(&s), ["E8"]);
    let lines: Vec<u64> = s.rejected.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8]);
    let messages: Vec<&str> = s.rejected.iter().map(|p| p.message.as_str()).collect();
    assert!(messages[0].contains("has 7 fields; the header has 8"));
    assert_eq!(messages[1], "EmployeeId is blank");
    assert_eq!(s.rejected[1].employee_id, None);
    assert!(messages[2].starts_with("Email must not be blank"));
    assert!(messages[3].contains("email address"));
    assert!(messages[4].contains("longer than 1000"));
    assert!(messages[5].starts_with("FirstName is longer than 200"));
    assert_eq!(s.rejected[6].employee_id.as_deref(), Some("E7"));
}

#[test]
fn repeated_ids_and_emails_refuse_the_later_row() {
    let s = parsed(&format!(
        "{HEADER}\nE1,ann@example.com,A,B,D,L,J,\nE1,other@example.com,A,B,D,L,J,\nE2,ANN@Example.com,A,B,D,L,J,\nE3,c@example.com,A,B,D,L,J,\n"
    ));
    assert_eq!(ids(&s), ["E1", "E3"]);
    let messages: Vec<_> = s.rejected.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        messages[..2],
        [
            "EmployeeId E1 already appears on line 2",
            "Email ANN@Example.com already appears on line 2"
        ]
    );
    assert_eq!(s.rejected[1].line, 4);
}

/// The ids of the managers among `rows` (`id,manager,status`), as the file derives them.
fn managers(rows: &[&str]) -> Vec<String> {
    let mut text = format!("{HEADER},Status\n");
    for row in rows {
        let [id, manager, status] = row.split(',').collect::<Vec<_>>()[..] else {
            panic!("not id,manager,status: {row}");
        };
        text.push_str(&format!("{id},{id}@example.com,,,,,,{manager},{status}\n"));
    }
    let s = parsed(&text);
    assert!(s.rejected.is_empty(), "{:?}", s.rejected);
    s.employees
        .iter()
        .filter(|e| e.is_manager())
        .map(|e| e.employee_id().to_owned())
        .collect()
}

#[test]
fn is_manager_is_derived_from_active_reports() {
    let staff = [
        "boss,,active",
        "mid,boss,active",
        "rep,mid,active",
        "solo,solo,active",
        "left,,active",
        "gone,left,terminated",
        "x,unknown,active",
    ];
    // Self-management does not count; a terminated report makes no manager.
    assert_eq!(managers(&staff), ["boss", "mid"]);
}

#[test]
fn management_cycles_are_harmless() {
    assert_eq!(
        managers(&["a,b,active", "b,a,active", "c,c,active"]),
        ["a", "b"]
    );
    assert_eq!(managers(&["a,,active", "b,a,active", "c,c,active"]), ["a"]);
}

#[test]
fn rejections_display_their_message() {
    let err = parse(&b""[..]).unwrap_err();
    assert_eq!(err.to_string(), "the file is empty");
}

#[test]
fn line_numbers_survive_blank_lines_crlf_and_quoted_newlines() {
    let row = |id: &str| format!("{id},{id}@example.com,A,B,D,L,J,");
    for (text, lines) in [
        (format!("{HEADER}\n{}\n{}\n", row("E1"), row("E2")), [2, 3]),
        (
            format!("{HEADER}\r\n{}\r\n{}\r\n", row("E1"), row("E2")),
            [2, 3],
        ),
        (
            format!("\r\n{HEADER}\r\n\r\n{}\r\n\r\n\r\n{}", row("E1"), row("E2")),
            [4, 7],
        ),
        (
            format!("{HEADER}\r{}\r\r{}\r", row("E1"), row("E2")),
            [2, 4],
        ),
        (
            format!("\u{feff}{HEADER}\n\n{}\n\n{}\n", row("E1"), row("E2")),
            [3, 5],
        ),
        (
            format!(
                "{HEADER},Note\n{},\"a\r\n\r\nb\"\n\n{},\"\n\"\n",
                row("E1"),
                row("E2")
            ),
            [2, 6],
        ),
    ] {
        let s = parsed(&text);
        let found: Vec<u64> = s.employees.iter().map(|e| e.line()).collect();
        assert_eq!(found, lines, "{text:?}");
    }
    // Rejected rows and whole-file faults use the same count.
    let s = parsed(&format!("{HEADER}\r\n\r\n{}\r\nbad\r\n", row("E1")));
    assert_eq!(s.rejected[0].line, 4);
}

#[test]
fn only_the_first_rejected_rows_are_kept_but_every_one_is_counted_and_its_id_kept() {
    let mut text = format!("{HEADER}\n");
    for i in 0..(REJECTED_KEPT + 500) {
        text.push_str(&format!("R{i}\n"));
    }
    text.push_str("E1,a@example.com,A,B,D,L,J,\n");
    let s = parsed(&text);
    assert_eq!(s.rejected.len(), REJECTED_KEPT);
    assert_eq!(s.rejected_total, (REJECTED_KEPT + 500) as u64);
    assert_eq!(s.rejected[0].line, 2);
    // A refused row past the kept ones still keeps its employee's administrator.
    assert!(
        s.rejected_ids
            .contains(&format!("R{}", REJECTED_KEPT + 499))
    );
    assert_eq!(ids(&s), ["E1"]);
}

#[test]
fn a_header_over_the_column_caps_is_refused_naming_the_cap_or_the_column() {
    let wide = format!("{HEADER}{}\n", ",x".repeat(COLUMNS_MAX));
    let why = refused(wide.as_bytes());
    assert!(
        why.contains(&format!("{} columns", COLUMNS_MAX + 8)),
        "{why}"
    );
    let long = format!("{HEADER},{}\n", "n".repeat(COLUMN_NAME_MAX + 1));
    let why = refused(long.as_bytes());
    assert!(why.contains("header column 9"), "{why}");
    let fits = format!("{HEADER},{}\n", "n".repeat(COLUMN_NAME_MAX));
    assert!(parse(fits.as_bytes()).is_ok());
}

#[test]
fn control_characters_refuse_the_row_naming_the_column_but_tabs_and_line_breaks_pass() {
    let s = parsed(&format!(
        "{HEADER},Cost Center,Status\n\
         E1,a@example.com,A,B,D\0,L,J,,CC,\n\
         E2,b@example.com,A,B,D,L,J,,C\u{7f}C,\n\
         E3,c@example.com,A,B,D,L,J,,CC,act\u{1b}ive\n\
         E\0,d@example.com,A,B,D,L,J,,CC,\n\
         E5,e@example.com,A,B,\"D\tE\",L,\"two\nlines\",,CC,\n"
    ));
    let messages: Vec<&str> = s.rejected.iter().map(|r| r.message.as_str()).collect();
    let columns = ["Department", "Cost Center", "Status", "EmployeeId"];
    assert_eq!(messages.len(), columns.len(), "{messages:?}");
    for (message, column) in messages.iter().zip(columns) {
        assert!(
            message.starts_with(&format!("{column} must not")),
            "{messages:?}"
        );
    }
    assert_eq!(s.rejected[3].employee_id, None);
    assert_eq!(ids(&s), ["E5"]);
    assert_eq!(rows(&s)[0].department, "D\tE");
}

/// `n` rows where each employee reports to the one `ahead` rows later, so that most managers
/// are named before their own row is read.
fn reporting_chain(n: usize, ahead: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let manager = if i + ahead <= n {
                format!("E{}", i + ahead)
            } else {
                String::new()
            };
            format!("E{i},e{i}@example.com,F,L,D,L,J,{manager}")
        })
        .collect()
}

/// Every batch of the second reading, in order, as records.
fn read_in_batches(text: &str, size: usize) -> Vec<EmployeeRecord> {
    let selection = index(text.as_bytes()).unwrap().selection;
    let mut rows = read_again(text.as_bytes(), selection).unwrap();
    let mut records = Vec::new();
    while let Some(batch) = rows.next_batch(size).unwrap() {
        assert!(batch.len() <= size);
        records.extend(batch.iter().map(|e| e.to_record()));
    }
    records
}

#[test]
fn the_second_reading_gives_in_batches_what_one_reading_gives() {
    let mut lines = reporting_chain(1200, 700);
    lines.push("E3,again@example.com,F,L,D,L,J,".to_owned());
    lines.push("E9001,E5@EXAMPLE.com,F,L,D,L,J,".to_owned());
    lines.push("E9002,not-an-address,F,L,D,L,J,".to_owned());
    lines.push("E9002,e9002@example.com,F,L,D,L,J,E1".to_owned());
    lines.push("E9003,e9003@example.com,F,L,D,L,J,E9003".to_owned());
    let text = format!("{HEADER}\n{}\n", lines.join("\n"));
    let whole = parsed(&text);
    let records = read_in_batches(&text, 500);
    let index = index(text.as_bytes()).unwrap();

    assert_eq!(records, rows(&whole));
    assert_eq!(index.employees, 1202);
    assert_eq!(index.rejected, whole.rejected);
    assert_eq!(index.rejected_total, 3);
    let messages: Vec<_> = index.rejected.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "EmployeeId E3 already appears on line 4",
            "Email E5@EXAMPLE.com already appears on line 6",
            "Email must be an email address like name@example.com",
        ]
    );
    assert!(index.ids.contains("E9002") && index.ids.contains("E1200"));
    assert!(!index.ids.contains("E1201") && !index.ids.contains("e1"));

    // The managers agree with the table's own derivation from every row at once.
    let mut derived = whole.employees.clone();
    derived.derive_managers();
    let managers: Vec<bool> = records.iter().map(|r| r.is_manager).collect();
    assert_eq!(
        managers,
        derived.iter().map(|e| e.is_manager()).collect::<Vec<_>>()
    );
    let manager = |id: &str| {
        records
            .iter()
            .find(|r| r.employee_id == id)
            .unwrap()
            .is_manager
    };
    // Named from an earlier batch, from a later one, by themself only, and by nobody.
    assert!(manager("E701") && manager("E1200") && manager("E1"));
    assert!(!manager("E9003") && !manager("E2") && !manager("E700"));
}

#[test]
fn a_file_changed_between_the_readings_is_refused_by_the_second() {
    let text = format!("{HEADER}\n{}\n", reporting_chain(10, 1).join("\n"));
    for changed in [
        text.replace("e7@", "x7@"),
        text.replace("E10,e10@example.com,F,L,D,L,J,\n", ""),
        format!("{text}E11,e11@example.com,F,L,D,L,J,\n"),
    ] {
        let selection = index(text.as_bytes()).unwrap().selection;
        let why = read_again(changed.as_bytes(), selection)
            .and_then(|mut rows| rows.next_batch(500))
            .err()
            .map(|r| r.message)
            .unwrap_or_default();
        assert!(why.contains(CHANGED), "{why}");
    }

    // A change far into a large file: the batches before it come, then the refusal.
    let text = format!("{HEADER}\n{}\n", reporting_chain(20_000, 1).join("\n"));
    let selection = index(text.as_bytes()).unwrap().selection;
    let changed = text.replace("e19999@", "x19999@");
    let mut rows = read_again(changed.as_bytes(), selection).unwrap();
    let mut read = 0;
    let why = loop {
        match rows.next_batch(500) {
            Ok(Some(batch)) => read += batch.len(),
            Ok(None) => panic!("the change was not seen"),
            Err(rejection) => break rejection.message,
        }
    };
    assert!(why.contains(CHANGED), "{why}");
    assert!(read > 0 && read < 20_000, "{read}");
}
