//! List cursors: a row's position and, when it has one, its sort key, as opaque base64 text.
//! A cursor read in the same order seeks to its row; any other counts rows to its position.
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::SecondsFormat;
use sea_orm::Value;
use uuid::Uuid;

use super::ValueKind;
use crate::{domain::time, error::AppError};

/// The largest row position a cursor may name: far beyond any table, well inside SQL's BIGINT.
const MAX_POSITION: u64 = 1 << 48;

/// The sort key a cursor carries: which order it was read in, and the row's place in it.
pub(super) struct CursorKey {
    pub(super) column: String,
    pub(super) descending: bool,
    pub(super) id: Uuid,
    pub(super) value: Value,
}

/// Where a list continues: the row's position when it was read and, when the row's order
/// value is not null, its sort key, so the next page seeks to it instead of counting rows.
pub(super) struct Cursor {
    pub(super) position: u64,
    pub(super) key: Option<CursorKey>,
}

const CURSOR_PREFIX: &str = "cursor:";

/// A cursor's text form of a value, tagged with its type.
pub(super) fn tagged(value: &Value) -> Option<(char, String)> {
    match value {
        Value::String(Some(s)) => Some(('s', s.clone())),
        Value::ChronoDateTimeUtc(Some(t)) => {
            Some(('t', t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
        }
        Value::Uuid(Some(u)) => Some(('u', u.to_string())),
        Value::Bool(Some(b)) => Some(('b', b.to_string())),
        _ => None,
    }
}

fn untagged(tag: &str, raw: &str) -> Option<Value> {
    match tag {
        "s" => Some(Value::String(Some(raw.to_owned()))),
        "t" => time::parse(raw).map(|t| Value::ChronoDateTimeUtc(Some(t))),
        "u" => Uuid::parse_str(raw).ok().map(|u| Value::Uuid(Some(u))),
        "b" => raw.parse().ok().map(|b| Value::Bool(Some(b))),
        _ => None,
    }
}

/// The tag a sort key of this kind of field must have.
pub(super) fn tag_of(kind: ValueKind) -> char {
    match kind {
        ValueKind::Text | ValueKind::FoldedText | ValueKind::OneOf(_) => 's',
        ValueKind::Timestamp => 't',
        ValueKind::Id(_) | ValueKind::AnyId => 'u',
        ValueKind::Bool => 'b',
    }
}

impl Cursor {
    pub(super) fn encode(&self) -> String {
        let text = match self.key.as_ref().and_then(|k| Some((k, tagged(&k.value)?))) {
            Some((key, (tag, value))) => format!(
                "{CURSOR_PREFIX}{}:{}:{}:{}:{tag}:{value}",
                self.position,
                if key.descending { 'd' } else { 'a' },
                key.column,
                key.id,
            ),
            None => format!("{CURSOR_PREFIX}{}", self.position),
        };
        STANDARD.encode(text)
    }

    /// Reads a cursor given by this API (a bare position, or a position with a sort key).
    pub(super) fn decode(label: &str, raw: &str) -> Result<Self, AppError> {
        let invalid = || AppError::BadRequest(format!("{label}: not a cursor given by this API"));
        let text = STANDARD
            .decode(raw)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let rest = text.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
        let mut parts = rest.splitn(6, ':');
        let position: u64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .filter(|p| *p < MAX_POSITION)
            .ok_or_else(invalid)?;
        let key = match parts.collect::<Vec<_>>()[..] {
            [] => None,
            [direction, column, id, tag, value] => {
                let descending = match direction {
                    "a" => false,
                    "d" => true,
                    _ => return Err(invalid()),
                };
                let id = Uuid::parse_str(id).map_err(|_| invalid())?;
                let value = untagged(tag, value).ok_or_else(invalid)?;
                Some(CursorKey {
                    column: column.to_owned(),
                    descending,
                    id,
                    value,
                })
            }
            _ => return Err(invalid()),
        };
        Ok(Self { position, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: Value) -> Value {
        let id = Uuid::now_v7();
        let cursor = Cursor {
            position: 41,
            key: Some(CursorKey {
                column: "created_at".into(),
                descending: true,
                id,
                value,
            }),
        };
        let decoded = Cursor::decode("after", &cursor.encode()).unwrap();
        assert_eq!(decoded.position, 41);
        let key = decoded.key.unwrap();
        assert_eq!(
            (key.column.as_str(), key.descending, key.id),
            ("created_at", true, id)
        );
        key.value
    }

    #[test]
    fn cursors_keep_the_sort_key_exactly() {
        let at = time::parse("2026-11-23T14:00:00.123456789Z").unwrap();
        let values = [
            Value::ChronoDateTimeUtc(Some(at)),
            Value::String(Some("a:b:c".into())),
            Value::Uuid(Some(Uuid::now_v7())),
            Value::Bool(Some(false)),
        ];
        for value in values {
            assert_eq!(round_trip(value.clone()), value);
        }
    }

    #[test]
    fn a_row_without_an_order_value_gets_a_position_cursor() {
        let cursor = Cursor {
            position: 7,
            key: Some(CursorKey {
                column: "company_id".into(),
                descending: false,
                id: Uuid::now_v7(),
                value: Value::Uuid(None),
            }),
        };
        let decoded = Cursor::decode("after", &cursor.encode()).unwrap();
        assert_eq!(decoded.position, 7);
        assert!(decoded.key.is_none());
    }

    #[test]
    fn forged_cursors_are_refused() {
        for text in [
            "garbage",
            "cursor:x",
            "cursor:1:z:name:00000000-0000-0000-0000-000000000000:s:a",
            "cursor:1:a:name:not-a-uuid:s:a",
            "cursor:1:a:name:00000000-0000-0000-0000-000000000000:t:yesterday",
            "cursor:1:a:name",
        ] {
            let raw = STANDARD.encode(text);
            assert!(Cursor::decode("after", &raw).is_err(), "{text}");
        }
        assert!(Cursor::decode("after", "%%%").is_err());
    }
}
