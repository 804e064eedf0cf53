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

/// Declares a stored enum: its variants, their stored spellings and its column. The API's
/// enums are plain async-graphql `remote` enums of these (`transport::graphql`), which the
/// compiler keeps variant for variant.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $column:literal {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
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
    pub enum ContactStatus in "contact.status" {
        Active = "active",
        Inactive = "inactive",
    }
}

stored_enum! {
    /// The SSO protocol an identity provider speaks.
    pub enum Protocol in "identity_provider.protocol" {
        Oidc = "oidc",
        Saml = "saml",
    }
}

stored_enum! {
    /// What a credential proves: an SSO identity or a password.
    pub enum CredentialKind in "credential.kind" {
        Sso = "sso",
        Password = "password",
    }
}

stored_enum! {
    /// What a sign-in did.
    pub enum Outcome in "provisioning_event.outcome" {
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
    pub enum AccountAssignment in "provisioning_event.account_assignment" {
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
    pub enum Source in "provisioning_event.source" {
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
        use crate::domain::employees::*;
        round_trips::<AdminRole>();
        round_trips::<AdminStatus>();
        round_trips::<AdminOrigin>();
        round_trips::<SyncStatus>();
        round_trips::<SyncSource>();
        round_trips::<HoldReason>();
        round_trips::<ChangeKind>();
        round_trips::<file::EmployeeStatus>();
        assert_eq!(SyncStatus::DryRun.as_str(), "dryRun");
        assert_eq!(ChangeKind::RoleChanged.as_str(), "roleChanged");
        assert_eq!(ChangeKind::HandedOver.as_str(), "handedOver");
        // Spellings are exact: the database compares bytes.
        assert_eq!(ContactStatus::parse("Active"), None);
        assert_eq!(AdminRole::parse("Owner"), None);
    }
}
