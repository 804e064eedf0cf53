//! The enums that are stored in text columns, and the one codec they share: each value has one
//! stored spelling, and reading a spelling this version does not know is an error, never a
//! default (see `AppError::decode`). The database refuses unknown spellings too (a `CHECK`
//! constraint on PostgreSQL, triggers on SQLite: migration `m20261201_000002`); a test keeps
//! the two lists equal.

/// An enum stored as text.
pub trait StoredEnum: Sized + Copy + PartialEq + 'static {
    /// `table.column`, for error messages and logs.
    const COLUMN: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    /// The value stored as `raw`; `None` for a spelling this version does not know.
    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == raw)
    }
}

/// Declares an enum whose variants another module mirrors (a transport's enum type):
/// the enum, and a macro `$variants!` that hands its variants, docs included, to a callback
/// macro after the callback's own arguments. The mirror is then written once, here.
macro_rules! mirrored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, variants in $variants:ident {
            $($(#[$variant_meta:meta])* $variant:ident),+ $(,)?
        }
    ) => {
        $crate::domain::stored::mirrored_enum! {
            @with ($)
            $(#[$meta])*
            pub enum $name, variants in $variants { $($(#[$variant_meta])* $variant),+ }
        }
    };
    (
        @with ($d:tt)
        $(#[$meta:meta])*
        pub enum $name:ident, variants in $variants:ident {
            $($(#[$variant_meta:meta])* $variant:ident),+
        }
    ) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        #[doc = concat!(
            "`", stringify!($variants), "! { callback { args } }` calls `callback! { args { Variant, ... } }` with the variants of `",
            stringify!($name), "`, docs included: `callback! { args [enum docs] { Variant, ... } }`."
        )]
        macro_rules! $variants {
            ($d callback:ident { $d ($d args:tt)* }) => {
                $d callback! {
                    $d ($d args)* [$(#[$meta])*] { $($(#[$variant_meta])* $variant,)+ }
                }
            };
        }
        #[allow(unused_imports)]
        pub(crate) use $variants;
    };
}
pub(crate) use mirrored_enum;

/// Declares a stored enum: its variants, their stored spellings and its column, and (as
/// [`mirrored_enum!`]) the macro that hands its variants to a transport's mirror.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $column:literal, variants in $variants:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $crate::domain::stored::mirrored_enum! {
            $(#[$meta])*
            pub enum $name, variants in $variants {
                $($(#[$variant_meta])* $variant,)+
            }
        }

        impl $crate::domain::stored::StoredEnum for $name {
            const COLUMN: &'static str = $column;
            const ALL: &'static [Self] = &[$(Self::$variant,)+];

            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
    };
}
pub(crate) use stored_enum;

stored_enum! {
    /// Whether a contact may sign in.
    pub enum ContactStatus in "contact.status", variants in contact_status_variants {
        Active = "active",
        Inactive = "inactive",
    }
}

stored_enum! {
    /// The SSO protocol an identity provider speaks.
    pub enum Protocol in "identity_provider.protocol", variants in protocol_variants {
        Oidc = "oidc",
        Saml = "saml",
    }
}

stored_enum! {
    /// What a credential proves: an SSO identity or a password.
    pub enum CredentialKind in "credential.kind", variants in credential_kind_variants {
        Sso = "sso",
        Password = "password",
    }
}

stored_enum! {
    /// What a sign-in did.
    pub enum Outcome in "provisioning_event.outcome", variants in outcome_variants {
        /// A new contact was provisioned.
        Created = "created",
        /// An existing contact without credentials got this SSO credential.
        Linked = "linked",
        /// A known credential signed in.
        SignedIn = "signedIn",
        /// Refused; `errors` (or the event's `reason`) says why. Nothing but the event was written.
        Denied = "denied",
        /// (SCIM) The identity provider changed the contact's attributes.
        Updated = "updated",
        /// (SCIM) The identity provider deactivated the contact: its sign-ins are denied.
        Deactivated = "deactivated",
        /// (SCIM) The identity provider reactivated the contact.
        Reactivated = "reactivated",
        /// (SCIM) The identity provider deleted its user: the SCIM identity is gone and the
        /// contact is inactive.
        Deprovisioned = "deprovisioned",
    }
}

stored_enum! {
    /// Which rule chose a new contact's account.
    pub enum AccountAssignment in "provisioning_event.account_assignment", variants in account_assignment_variants {
        /// The configuration's default account.
        DefaultAccount = "defaultAccount",
        /// The first account of the company named by the company claim.
        CompanyMatch = "companyMatch",
        /// A new individual account named after the contact.
        IndividualAccount = "individualAccount",
    }
}

stored_enum! {
    /// Which door a provisioning event came through.
    pub enum Source in "provisioning_event.source", variants in source_variants {
        /// The sign-in hook.
        Sso = "sso",
        /// The SCIM endpoint (the identity provider pushed the change).
        Scim = "scim",
        /// The admin API.
        Admin = "admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: StoredEnum + std::fmt::Debug>() {
        for value in T::ALL {
            assert_eq!(T::parse(value.as_str()), Some(*value), "{}", T::COLUMN);
        }
        assert_eq!(T::parse(""), None);
        assert_eq!(T::parse("unknown"), None);
    }

    #[test]
    fn every_stored_enum_round_trips_and_refuses_the_unknown() {
        round_trips::<ContactStatus>();
        round_trips::<Protocol>();
        round_trips::<CredentialKind>();
        round_trips::<Outcome>();
        round_trips::<AccountAssignment>();
        round_trips::<Source>();
        round_trips::<crate::domain::access::Role>();
        round_trips::<crate::domain::configuration::CompanyMatch>();
        // Spellings are exact: the database compares bytes.
        assert_eq!(ContactStatus::parse("Active"), None);
    }
}
