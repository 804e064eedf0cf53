//! RFC 9865 cursors: where a cursor-paged walk of a list stands, as an opaque URL-safe string.
//!
//! A cursor is a keyset position (the `created_at` and `id` of the row a page starts after, or
//! ends before) and the direction to walk from it. Nothing is kept on the server, so a cursor
//! costs nothing to hand out (RFC 9865 §5.3) and never expires: the position means the same
//! thing however long the client waits, and rows created or deleted meanwhile neither repeat
//! nor shift the rows of the walk.
//!
//! A cursor carries a digest of its position and of the list it was made for (the
//! configuration, the resource type and the filter's text), so garbage, an edited cursor, or
//! one used with another filter is `invalidCursor` (RFC 9865 §2.1) rather than a silently
//! different page. The digest is not keyed: a forged cursor can only seek within the list the
//! token already reads (as a `meta.created gt` filter could), so it guards the walk's
//! integrity, not a secret, and needs no server key that would have to be shared and rotated.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ScimError;

/// A row's place in the list order (`created_at`, then `id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Position {
    /// The place just before this one in the list order, so that the rows after it are this
    /// row and those after it. Ids compare as the databases store them (16 bytes, compared
    /// in order), which is the order of their `u128`.
    pub fn predecessor(self) -> Self {
        match self.id.as_u128().checked_sub(1) {
            Some(id) => Self {
                created_at: self.created_at,
                id: Uuid::from_u128(id),
            },
            None => Self {
                created_at: self
                    .created_at
                    .checked_sub_signed(TimeDelta::nanoseconds(1))
                    .unwrap_or(self.created_at),
                id: Uuid::max(),
            },
        }
    }
}

/// Which side of its position a cursor's page lies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The rows after the position (a `nextCursor`).
    After,
    /// The rows before the position (a `previousCursor`).
    Before,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub direction: Direction,
    pub position: Position,
}

/// The list a cursor belongs to: a cursor made for one is refused by every other.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    pub configuration: Uuid,
    /// The resource type (`User`, `Group`).
    pub resource: &'a str,
    /// The filter's text exactly as sent: RFC 9865 §2 has the client repeat every parameter
    /// but the cursor, so any difference is a different query.
    pub filter: Option<&'a str>,
}

/// The format, first in every cursor, so a later format can refuse this one cleanly.
const VERSION: u8 = 1;
/// version, direction, seconds (i64), nanoseconds (u32), id.
const BODY: usize = 1 + 1 + 8 + 4 + 16;
/// The digest's bytes kept: enough that a random or edited cursor passes one time in 2^96.
const TAG: usize = 12;
/// The length of every cursor: unpadded base64url of the body and digest, which uses only
/// RFC 3986 unreserved characters, as RFC 9865 §2 requires.
pub const LENGTH: usize = ((BODY + TAG) * 4).div_ceil(3);

impl Cursor {
    pub fn encode(&self, binding: &Binding) -> String {
        let mut bytes = Vec::with_capacity(BODY + TAG);
        bytes.push(VERSION);
        bytes.push(match self.direction {
            Direction::After => b'a',
            Direction::Before => b'b',
        });
        bytes.extend_from_slice(&self.position.created_at.timestamp().to_be_bytes());
        bytes.extend_from_slice(
            &self
                .position
                .created_at
                .timestamp_subsec_nanos()
                .to_be_bytes(),
        );
        bytes.extend_from_slice(self.position.id.as_bytes());
        let tag = digest(binding, &bytes);
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The cursor `text` is, when this server made it for `binding`'s list. Every refusal has
    /// the same detail, so it tells nothing about why (RFC 9865 §5.2).
    pub fn decode(text: &str, binding: &Binding) -> Result<Self, ScimError> {
        let refused = || {
            ScimError::invalid_cursor(
                "cursor: not a cursor of this list; send the nextCursor or previousCursor of a \
                 response to the same query (same endpoint and filter), or an empty cursor for \
                 the first page",
            )
        };
        if text.len() != LENGTH {
            return Err(refused());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| refused())?;
        let (body, tag) = bytes.split_at_checked(BODY).ok_or_else(refused)?;
        if tag != digest(binding, body).as_slice() || body[0] != VERSION {
            return Err(refused());
        }
        let direction = match body[1] {
            b'a' => Direction::After,
            b'b' => Direction::Before,
            _ => return Err(refused()),
        };
        let seconds = i64::from_be_bytes(body[2..10].try_into().map_err(|_| refused())?);
        let nanos = u32::from_be_bytes(body[10..14].try_into().map_err(|_| refused())?);
        let created_at = DateTime::from_timestamp(seconds, nanos)
            // A time no row can have, which PostgreSQL would refuse to compare with.
            .filter(|t| (1..=9999).contains(&t.year()))
            .ok_or_else(refused)?;
        let id = Uuid::from_slice(&body[14..BODY]).map_err(|_| refused())?;
        Ok(Self {
            direction,
            position: Position { created_at, id },
        })
    }
}

/// The first [`TAG`] bytes of SHA-256 over the binding and the body; every variable-length
/// part is length-prefixed so no two bindings share an input.
fn digest(binding: &Binding, body: &[u8]) -> [u8; TAG] {
    let mut hash = Sha256::new();
    hash.update(b"autoprov scim cursor\0");
    hash.update(binding.configuration.as_bytes());
    for part in [Some(binding.resource), binding.filter] {
        match part {
            Some(text) => {
                hash.update([1]);
                hash.update((text.len() as u64).to_be_bytes());
                hash.update(text.as_bytes());
            }
            None => hash.update([0]),
        }
    }
    hash.update(body);
    let full = hash.finalize();
    let mut tag = [0; TAG];
    tag.copy_from_slice(&full[..TAG]);
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scim::ScimType;

    fn binding(filter: Option<&str>) -> Binding<'_> {
        Binding {
            configuration: Uuid::from_u128(7),
            resource: "User",
            filter,
        }
    }

    fn cursor(direction: Direction) -> Cursor {
        Cursor {
            direction,
            position: Position {
                // Nanoseconds kept: SQLite stores them, and a position must match exactly.
                created_at: DateTime::from_timestamp(1_795_000_000, 123_456_789)
                    .unwrap_or_default(),
                id: Uuid::now_v7(),
            },
        }
    }

    fn is_invalid_cursor(result: Result<Cursor, ScimError>) -> bool {
        result.is_err_and(|e| e.status == 400 && e.scim_type == Some(ScimType::InvalidCursor))
    }

    #[test]
    fn a_cursor_round_trips_in_unreserved_characters() {
        for direction in [Direction::After, Direction::Before] {
            for filter in [None, Some("userName sw \"x\""), Some("")] {
                let c = cursor(direction);
                let text = c.encode(&binding(filter));
                assert_eq!(text.len(), LENGTH);
                assert!(
                    text.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                    "{text}"
                );
                assert_eq!(Cursor::decode(&text, &binding(filter)), Ok(c));
            }
        }
    }

    #[test]
    fn a_cursor_is_refused_for_another_list() {
        let text = cursor(Direction::After).encode(&binding(Some("userName sw \"x\"")));
        let others = [
            binding(None),
            binding(Some("")),
            binding(Some("userName sw \"y\"")),
            Binding {
                resource: "Group",
                ..binding(Some("userName sw \"x\""))
            },
            Binding {
                configuration: Uuid::from_u128(8),
                ..binding(Some("userName sw \"x\""))
            },
        ];
        for other in others {
            assert!(
                is_invalid_cursor(Cursor::decode(&text, &other)),
                "{other:?}"
            );
        }
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let b = binding(None);
        let text = cursor(Direction::After).encode(&b);
        // Every single-character edit is caught.
        for i in 0..text.len() {
            let mut edited = text.clone().into_bytes();
            edited[i] = if edited[i] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(edited).unwrap_or_default();
            assert!(is_invalid_cursor(Cursor::decode(&edited, &b)), "{edited}");
        }
        // The direction flipped with a recomputed body but the old digest.
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).unwrap_or_default();
        bytes[1] = b'b';
        assert!(is_invalid_cursor(Cursor::decode(
            &URL_SAFE_NO_PAD.encode(&bytes),
            &b
        )));
        let garbage = [
            String::new(),
            "x".into(),
            "VZUTiyhEQJ94IR".into(),
            "%%%".into(),
            "=".repeat(LENGTH),
            "A".repeat(LENGTH),
            format!("{text}A"),
            text[1..].to_owned(),
            "é".repeat(LENGTH / 2),
            "A".repeat(100_000),
        ];
        for g in garbage {
            assert!(is_invalid_cursor(Cursor::decode(&g, &b)), "{g}");
        }
    }

    #[test]
    fn a_well_signed_cursor_with_an_impossible_time_or_direction_is_refused() {
        let b = binding(None);
        let forged = |direction: u8, seconds: i64, nanos: u32| {
            let mut body = vec![VERSION, direction];
            body.extend_from_slice(&seconds.to_be_bytes());
            body.extend_from_slice(&nanos.to_be_bytes());
            body.extend_from_slice(Uuid::nil().as_bytes());
            let tag = digest(&b, &body);
            body.extend_from_slice(&tag);
            URL_SAFE_NO_PAD.encode(&body)
        };
        assert!(Cursor::decode(&forged(b'a', 0, 0), &b).is_ok());
        for bad in [
            forged(b'a', i64::MAX, 0),
            forged(b'a', 0, 2_000_000_000),
            forged(b'a', 300_000_000_000, 0),
            forged(b'a', -70_000_000_000, 0),
            forged(b'x', 0, 0),
        ] {
            assert!(is_invalid_cursor(Cursor::decode(&bad, &b)), "{bad}");
        }
    }

    #[test]
    fn the_predecessor_is_just_before() {
        let c = cursor(Direction::After).position;
        let p = c.predecessor();
        assert_eq!(
            (p.created_at, p.id.as_u128() + 1),
            (c.created_at, c.id.as_u128())
        );
        let nil = Position {
            id: Uuid::nil(),
            ..c
        };
        let p = nil.predecessor();
        assert_eq!(p.id, Uuid::max());
        assert!(p.created_at < nil.created_at);
    }
}
