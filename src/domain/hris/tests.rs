use chrono::TimeZone;
use serde_json::json;

use super::*;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, h, m, 0)
        .single()
        .expect("a time")
}

#[test]
fn schedules_run_at_the_next_time_of_day_or_after_the_interval() {
    let daily = Schedule::parse(None, Some("02:30")).unwrap();
    assert_eq!(daily.next_after(at(1, 0)), at(2, 30));
    assert_eq!(
        daily.next_after(at(2, 30)),
        at(2, 30) + Duration::days(1),
        "strictly after"
    );
    assert_eq!(daily.next_after(at(23, 0)), at(2, 30) + Duration::days(1));
    let every = Schedule::parse(Some(6), None).unwrap();
    assert_eq!(every.next_after(at(1, 0)), at(7, 0));
    assert_eq!(daily.columns(), (None, Some("02:30".to_owned())));
    for (hours, daily_at, label) in [
        (Some(0), None, "schedule.everyHours"),
        (Some(169), None, "schedule.everyHours"),
        (None, Some("25:00"), "schedule.dailyAt"),
        (None, Some("2pm"), "schedule.dailyAt"),
        (None, None, "schedule"),
        (Some(1), Some("01:00"), "schedule"),
    ] {
        let err = Schedule::parse(hours, daily_at).unwrap_err();
        assert_eq!(err.label.as_deref(), Some(label), "{hours:?} {daily_at:?}");
    }
}

#[test]
fn each_kind_needs_its_own_settings_and_refuses_the_others() {
    let bamboo = SettingsInput {
        company_domain: Some(" acme ".into()),
        ..Default::default()
    };
    let got = settings(HrisKind::Bamboohr, &bamboo).unwrap();
    assert_eq!(got.company_domain.as_deref(), Some("acme"));
    let labels = |r: Result<ConnectionSettings, Vec<FieldError>>| -> Vec<String> {
        r.unwrap_err().into_iter().filter_map(|e| e.label).collect()
    };
    assert_eq!(
        labels(settings(HrisKind::Bamboohr, &SettingsInput::default())),
        ["companyDomain"]
    );
    let mixed = SettingsInput {
        report_url: Some("https://wd.example/r".into()),
        ..bamboo.clone()
    };
    assert_eq!(labels(settings(HrisKind::Bamboohr, &mixed)), ["reportUrl"]);
    let oauth = SettingsInput {
        report_url: Some("ftp://wd.example/r".into()),
        auth: Some(WorkdayAuth::OauthClientCredentials),
        username: Some("client".into()),
        ..Default::default()
    };
    assert_eq!(
        labels(settings(HrisKind::WorkdayRaas, &oauth)),
        ["reportUrl", "tokenUrl"]
    );
    let basic = SettingsInput {
        report_url: Some("https://wd.example/r".into()),
        username: Some("isu".into()),
        ..Default::default()
    };
    assert_eq!(
        settings(HrisKind::WorkdayRaas, &basic).unwrap().auth,
        Some(WorkdayAuth::Basic),
        "basic by default"
    );
}

#[test]
fn a_field_map_starts_from_the_kinds_names_and_keeps_the_needed_columns() {
    let map = field_map(
        HrisKind::Bamboohr,
        None,
        &[
            ("employeeid".into(), "id".into()),
            ("CostCenter".into(), "costCenter".into()),
        ],
    )
    .unwrap();
    assert_eq!(map[0], ("EmployeeId".to_owned(), "id".to_owned()));
    assert_eq!(map[1], ("Email".to_owned(), "workEmail".to_owned()));
    assert_eq!(
        map.last(),
        Some(&("CostCenter".to_owned(), "costCenter".to_owned()))
    );
    let removed = field_map(
        HrisKind::Bamboohr,
        Some(&map),
        &[("CostCenter".into(), "".into())],
    )
    .unwrap();
    assert_eq!(removed.len(), 9);
    let err = field_map(
        HrisKind::Bamboohr,
        Some(&map),
        &[("Email".into(), " ".into())],
    )
    .unwrap_err();
    assert_eq!(err[0].label.as_deref(), Some("fieldMap[0].field"));
}

#[test]
fn a_report_becomes_the_employee_file() {
    let body = json!({"title": "x", "fields": [], "employees": [
        {"employeeNumber": 7, "workEmail": "ada@example.com", "firstName": "Ada", "lastName": "L, ovelace",
         "department": "R&D", "location": null, "jobTitle": "Engineer", "supervisorEId": "", "status": "Inactive"}
    ]});
    let records = records_of_json(&body).unwrap();
    let file = to_file(&records, &default_field_map(HrisKind::Bamboohr)).unwrap();
    assert_eq!(
        file,
        "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Status\n\
         7,ada@example.com,Ada,\"L, ovelace\",R&D,,Engineer,,terminated\n"
    );
    let workday =
        json!({"Report_Entry": [{"Employee_ID": "E1", "Department": {"Descriptor": "Sales"}}]});
    let records = records_of_json(&workday).unwrap();
    assert!(
        to_file(&records, &default_field_map(HrisKind::WorkdayRaas))
            .unwrap()
            .contains("E1,,,,Sales")
    );
    assert!(
        to_file(&[], &default_field_map(HrisKind::Bamboohr)).is_err(),
        "never an empty file"
    );
    assert!(records_of_json(&json!({"rows": []})).is_err());
    assert!(records_of_json(&json!({"employees": [1]})).is_err());
    let csv = records_of_csv("Employee_ID,Email\nE2,b@example.com\n").unwrap();
    assert_eq!(csv[0]["Email"], "b@example.com");
}
