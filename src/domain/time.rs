//! How every answer writes an instant: RFC 3339 in UTC, with microseconds (the precision
//! stored) and `Z`, e.g. `2026-12-04T07:27:23.796133Z`. GraphQL's `DateTime`, SCIM's `meta`,
//! the audit log's before/after values and error values all use [`format`], so a value read
//! from one door compares and filters equal in another.
use chrono::{DateTime, SecondsFormat, Utc};

/// `at` as every answer writes it.
pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// An RFC 3339 date-time with any offset, as an instant in UTC; `None` when `raw` is not one.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_format_with_microseconds_and_z_whatever_the_fraction() {
        let at = parse("2026-12-04T08:27:23+01:00").unwrap();
        assert_eq!(format(at), "2026-12-04T07:27:23.000000Z");
        let at = parse("2026-12-04T07:27:23.796133456Z").unwrap();
        assert_eq!(format(at), "2026-12-04T07:27:23.796133Z");
        assert_eq!(parse(&format(at)).map(format), Some(format(at)));
        assert_eq!(parse("2026-12-04"), None);
        assert_eq!(parse("yesterday"), None);
    }
}
