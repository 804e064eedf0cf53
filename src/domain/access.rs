//! Who may do what. A token has one role; the rules live here and nowhere else.
use uuid::Uuid;

use super::{
    employees::AdminRole,
    stored::{StoredEnum, stored_enum},
};

stored_enum! {
    /// The role of an API token.
    pub enum Role in "api_token.role" {
        /// Everything, including token management.
        Owner = "owner",
        /// Everything but token management.
        Support = "support",
        /// Queries only.
        Auditor = "auditor",
        /// The LMS portal of one brand: the sign-in hook for that brand, nothing else.
        Portal = "portal",
        /// An identity provider's SCIM client: `/scim/v2` for one identity-provider
        /// configuration (brand and IdP), and no GraphQL at all.
        Scim = "scim",
        /// The administration dashboard: signs administrators in through SSO
        /// (`sso.adminSignIn`), nothing else.
        Dashboard = "dashboard",
    }
}

/// How far an administrator's role reaches: owner above support above auditor.
fn rank(role: AdminRole) -> u8 {
    match role {
        AdminRole::Owner => 3,
        AdminRole::Support => 2,
        AdminRole::Auditor => 1,
    }
}

/// Whether `held` reaches at least as far as `needed`.
pub fn reaches(held: AdminRole, needed: AdminRole) -> bool {
    rank(held) >= rank(needed)
}

impl Role {
    /// The administrator's role a token of this role needs behind it when it was issued to an
    /// administrator or created from their session: its own for owner, support and auditor;
    /// owner for the machine roles (portal, SCIM, dashboard), which only owners create.
    pub fn needs_administrator(self) -> AdminRole {
        match self {
            Role::Support => AdminRole::Support,
            Role::Auditor => AdminRole::Auditor,
            Role::Owner | Role::Portal | Role::Scim | Role::Dashboard => AdminRole::Owner,
        }
    }

    /// The administrator's role a caller with this token role acts with, for "never more than
    /// the sender has" (employee files): owner and support as themselves, every other role as
    /// the least (they may not send files anyway).
    pub fn authority(self) -> AdminRole {
        match self {
            Role::Owner => AdminRole::Owner,
            Role::Support => AdminRole::Support,
            Role::Auditor | Role::Portal | Role::Scim | Role::Dashboard => AdminRole::Auditor,
        }
    }
}

/// Whether an administrator with `administrator` role, in `active` status, may hold (or be
/// behind) a token of `token` role: the check made at every authentication of such a token.
pub fn administrator_may_hold(active: bool, administrator: AdminRole, token: Role) -> bool {
    active && reaches(administrator, token.needs_administrator())
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub token_id: Uuid,
    /// The token's name, as the audit log records who acted.
    pub token_name: String,
    pub role: Role,
    /// The brand a portal or SCIM token acts for.
    pub brand_id: Option<Uuid>,
    /// The identity provider a SCIM token acts for.
    pub identity_provider_id: Option<Uuid>,
    /// The configuration row a SCIM token was issued for.
    pub configuration_id: Option<Uuid>,
    /// The administrator an administrator's sign-in token belongs to: the audit log
    /// attributes its changes to that person.
    pub administrator_id: Option<Uuid>,
}

/// Who calls a use case: the bearer of an API token, or the operator's own process (the
/// employee inbox, the command line), which runs with the machine's authority: whoever can
/// write to the inbox folder or run the binary already holds the database.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    Token(&'a Principal),
    /// Named as the audit log records it.
    Operator(&'static str),
}

impl<'a> From<&'a Principal> for Caller<'a> {
    fn from(principal: &'a Principal) -> Self {
        Self::Token(principal)
    }
}

impl Caller<'_> {
    /// `Err` carries the message shown with the `FORBIDDEN` code; the operator may do anything.
    pub fn authorize(self, action: Action) -> Result<(), String> {
        match self {
            Self::Token(principal) => principal.authorize(action),
            Self::Operator(_) => Ok(()),
        }
    }
}

/// The configuration a SCIM token serves: its row, and the (brand, IdP) that row must still
/// be for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ScimBinding {
    pub configuration_id: Uuid,
    pub brand_id: Uuid,
    pub identity_provider_id: Uuid,
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
    /// Calling the sign-in hook (or its preview) for a brand.
    SignIn { brand_id: Option<Uuid> },
    /// Creating and changing administrators and the rules that provision them: who may
    /// hand out roles, so owners only.
    ManageAdministrators,
    /// Sending an employee file (or applying a held sync).
    ImportEmployees,
    /// Signing an administrator in through SSO (`sso.adminSignIn`).
    AdminSignIn,
}

impl Principal {
    /// The identity-provider configuration whose SCIM users and groups this caller manages;
    /// `None` for every token but a SCIM one, and for a SCIM token issued for a configuration
    /// that had already been replaced when tokens were first bound to rows.
    pub fn scim_scope(&self) -> Option<ScimBinding> {
        if self.role != Role::Scim {
            return None;
        }
        Some(ScimBinding {
            configuration_id: self.configuration_id?,
            brand_id: self.brand_id?,
            identity_provider_id: self.identity_provider_id?,
        })
    }

    /// `Err` carries the message shown with the `FORBIDDEN` code.
    pub fn authorize(&self, action: Action) -> Result<(), String> {
        let allowed = match (self.role, action) {
            (Role::Portal, Action::SignIn { brand_id }) => {
                brand_id.is_some() && brand_id == self.brand_id
            }
            (Role::Portal | Role::Scim, _) => false,
            (Role::Dashboard, action) => action == Action::AdminSignIn,
            (Role::Owner, _) => true,
            (Role::Support, Action::ManageTokens | Action::ManageAdministrators) => false,
            (Role::Support, Action::AdminSignIn) => false,
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
                    Action::SignIn { .. } if self.role == Role::Portal =>
                        "sign in learners of another brand",
                    Action::SignIn { .. } => "call the sign-in hook",
                    Action::ManageAdministrators =>
                        "manage administrators or their provisioning rules",
                    Action::ImportEmployees => "send employee files",
                    Action::AdminSignIn => "sign administrators in",
                }
            ))
        }
    }
}

#[cfg(test)]
impl Principal {
    /// A token of `role` bound to nothing, for unit tests.
    pub(crate) fn of_role(role: Role) -> Self {
        Principal {
            token_name: "test".into(),
            token_id: Uuid::now_v7(),
            role,
            brand_id: None,
            identity_provider_id: None,
            configuration_id: None,
            administrator_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        use Action::*;
        let brand = Some(Uuid::now_v7());
        let cases = [
            (Role::Owner, [true, true, true, true, true, true, true]),
            (Role::Support, [true, true, false, true, false, true, false]),
            (
                Role::Auditor,
                [true, false, false, false, false, false, false],
            ),
            (
                Role::Dashboard,
                [false, false, false, false, false, false, true],
            ),
        ];
        for (role, expected) in cases {
            let p = Principal::of_role(role);
            let got = [
                Read,
                Administer,
                ManageTokens,
                SignIn { brand_id: brand },
                ManageAdministrators,
                ImportEmployees,
                AdminSignIn,
            ]
            .map(|a| p.authorize(a).is_ok());
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn a_portal_token_signs_in_for_its_own_brand_only() {
        use Action::*;
        let brand = Some(Uuid::now_v7());
        let portal = Principal {
            token_name: "portal".into(),
            brand_id: brand,
            ..Principal::of_role(Role::Portal)
        };
        assert!(portal.authorize(SignIn { brand_id: brand }).is_ok());
        assert!(
            portal
                .authorize(SignIn {
                    brand_id: Some(Uuid::now_v7())
                })
                .is_err()
        );
        assert!(portal.authorize(SignIn { brand_id: None }).is_err());
        for action in [Read, Administer, ManageTokens] {
            assert!(portal.authorize(action).is_err(), "{action:?}");
        }
    }

    #[test]
    fn a_scim_token_opens_no_graphql_and_only_its_configuration() {
        use Action::*;
        let (brand, idp, configuration) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let scim = Principal {
            brand_id: Some(brand),
            identity_provider_id: Some(idp),
            configuration_id: Some(configuration),
            ..Principal::of_role(Role::Scim)
        };
        for action in [
            Read,
            Administer,
            ManageTokens,
            SignIn {
                brand_id: Some(brand),
            },
        ] {
            assert!(scim.authorize(action).is_err(), "{action:?}");
        }
        assert_eq!(
            scim.scim_scope(),
            Some(ScimBinding {
                configuration_id: configuration,
                brand_id: brand,
                identity_provider_id: idp,
            })
        );
        let unbound = Principal {
            configuration_id: None,
            ..scim.clone()
        };
        assert_eq!(unbound.scim_scope(), None);
        let owner = Principal {
            role: Role::Owner,
            ..scim
        };
        assert_eq!(owner.scim_scope(), None);
    }

    #[test]
    fn an_administrator_holds_tokens_up_to_its_own_role_and_only_while_active() {
        use AdminRole::*;
        assert!(administrator_may_hold(true, Owner, Role::Owner));
        assert!(administrator_may_hold(true, Owner, Role::Portal));
        assert!(administrator_may_hold(true, Support, Role::Support));
        assert!(administrator_may_hold(true, Support, Role::Auditor));
        assert!(!administrator_may_hold(true, Support, Role::Owner));
        assert!(!administrator_may_hold(true, Support, Role::Dashboard));
        assert!(!administrator_may_hold(true, Auditor, Role::Support));
        assert!(!administrator_may_hold(false, Owner, Role::Auditor));
        assert_eq!(Role::Support.authority(), Support);
        assert_eq!(Role::Dashboard.authority(), Auditor);
    }

    #[test]
    fn refusal_names_the_role() {
        let err = Principal::of_role(Role::Auditor)
            .authorize(Action::Administer)
            .unwrap_err();
        assert!(err.contains("auditor"), "{err}");
    }
}
