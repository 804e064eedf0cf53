//! Who may do what. A token has one role; the rules live here and nowhere else.
use uuid::Uuid;

/// The role of an API token.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything, including token management.
    Owner,
    /// Everything but token management.
    Support,
    /// Queries only.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Support => "support",
            Self::Auditor => "auditor",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Self::Owner),
            "support" => Some(Self::Support),
            "auditor" => Some(Self::Auditor),
            _ => None,
        }
    }
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub token_id: Uuid,
    pub role: Role,
}

/// What a request wants to do, at the granularity access control cares about.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Any query.
    Read,
    /// Any mutation of brands, identity providers, companies, accounts, contacts.
    Administer,
    /// Creating, listing or revoking API tokens.
    ManageTokens,
}

impl Principal {
    /// `Err` carries the message shown with the `FORBIDDEN` code.
    pub fn authorize(&self, action: Action) -> Result<(), String> {
        let allowed = match (self.role, action) {
            (Role::Owner, _) => true,
            (Role::Support, Action::ManageTokens) => false,
            (Role::Support, _) => true,
            (Role::Auditor, Action::Read) => true,
            (Role::Auditor, _) => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "a token with role `{}` may not {}",
                self.role.as_str(),
                match action {
                    Action::Read => "read",
                    Action::Administer => "make changes",
                    Action::ManageTokens => "manage API tokens",
                }
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            token_id: Uuid::now_v7(),
            role,
        }
    }

    #[test]
    fn role_matrix() {
        use Action::*;
        let cases = [
            (Role::Owner, [true, true, true]),
            (Role::Support, [true, true, false]),
            (Role::Auditor, [true, false, false]),
        ];
        for (role, expected) in cases {
            let p = principal(role);
            let got = [Read, Administer, ManageTokens].map(|a| p.authorize(a).is_ok());
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn refusal_names_the_role() {
        let err = principal(Role::Auditor)
            .authorize(Action::Administer)
            .unwrap_err();
        assert!(err.contains("auditor"), "{err}");
    }

    #[test]
    fn role_names_round_trip() {
        for role in [Role::Owner, Role::Support, Role::Auditor] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
