//! Relay global IDs: standard base64 of `"<Type>:<uuid>"`. Clients treat them as opaque;
//! an ID of the wrong type is a validation error, never a crash.
use base64::{Engine, engine::general_purpose::STANDARD};
use uuid::Uuid;

use crate::error::{ErrorCode, FieldError};

/// Declares [`NodeKind`] from one table: each kind's variant, which is also its GraphQL type
/// name, and its name in words.
macro_rules! node_kinds {
    ($($kind:ident: $noun:literal,)+) => {
        /// Every entity type that has a global ID.
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum NodeKind {
            $($kind,)+
        }

        impl NodeKind {
            pub const ALL: &[NodeKind] = &[$(Self::$kind,)+];

            pub fn type_name(self) -> &'static str {
                match self {
                    $(Self::$kind => stringify!($kind),)+
                }
            }

            /// The kind in words, for messages.
            pub fn noun(self) -> &'static str {
                match self {
                    $(Self::$kind => $noun,)+
                }
            }
        }
    };
}

node_kinds! {
    Brand: "brand",
    IdentityProvider: "identity provider",
    IdentityProviderConfiguration: "identity-provider configuration",
    Company: "company",
    Account: "account",
    Contact: "contact",
    ProvisioningEvent: "provisioning event",
    ApiToken: "API token",
    AuditEvent: "audit event",
    Administrator: "administrator",
    AdminProvisioningRule: "administrator provisioning rule",
    EmployeeSync: "employee sync",
    AdministratorEvent: "administrator event",
    HrisConnection: "HRIS connection",
}

impl NodeKind {
    fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.type_name() == name)
    }
}

pub fn encode(kind: NodeKind, id: Uuid) -> String {
    STANDARD.encode(format!("{}:{}", kind.type_name(), id))
}

/// Decodes any global ID into its type and UUID; `None` if it is not one of ours.
pub fn decode_any(raw: &str) -> Option<(NodeKind, Uuid)> {
    let bytes = STANDARD.decode(raw.trim()).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (type_name, uuid) = text.split_once(':')?;
    let kind = NodeKind::from_type_name(type_name)?;
    let uuid = Uuid::parse_str(uuid).ok()?;
    Some((kind, uuid))
}

/// Decodes an ID that must name an entity of `expected` type, for the input field `label`.
pub fn decode(expected: NodeKind, label: &str, raw: &str) -> Result<Uuid, FieldError> {
    match decode_any(raw) {
        Some((kind, uuid)) if kind == expected => Ok(uuid),
        Some((kind, _)) => Err(FieldError::new(
            label,
            ErrorCode::WrongType,
            format!(
                "expected an ID of type {}, got one of type {}",
                expected.type_name(),
                kind.type_name()
            ),
            Some(raw),
        )),
        None => Err(FieldError::new(
            label,
            ErrorCode::MalformedId,
            format!("not a valid {} ID", expected.type_name()),
            Some(raw),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        let id = Uuid::now_v7();
        for &kind in NodeKind::ALL {
            let encoded = encode(kind, id);
            assert_eq!(decode(kind, "id", &encoded), Ok(id));
            assert_eq!(decode_any(&encoded), Some((kind, id)));
        }
    }

    #[test]
    fn encoding_is_standard_base64_of_type_and_uuid() {
        let id = Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").unwrap();
        let encoded = encode(NodeKind::Brand, id);
        assert_eq!(
            STANDARD.decode(&encoded).unwrap(),
            b"Brand:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
        );
    }

    #[test]
    fn wrong_type_names_the_field_and_both_types() {
        let raw = encode(NodeKind::Account, Uuid::now_v7());
        let err = decode(NodeKind::Brand, "brandId", &raw).unwrap_err();
        assert_eq!(err.label.as_deref(), Some("brandId"));
        assert_eq!(err.code, ErrorCode::WrongType);
        assert_eq!(err.value.as_deref(), Some(raw.as_str()));
        assert!(err.message.contains("Account"), "{}", err.message);
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        let cases = [
            "",
            "FIXME_BRAND_ID",
            "!!!",
            &STANDARD.encode("Brand"),
            &STANDARD.encode("Brand:not-a-uuid"),
            &STANDARD.encode("Nope:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            &STANDARD.encode([0xff, 0xfe, 0x3a]),
        ];
        for raw in cases {
            let err = decode(NodeKind::Brand, "brandId", raw).unwrap_err();
            assert_eq!(err.code, ErrorCode::MalformedId, "{raw}");
        }
    }
}
