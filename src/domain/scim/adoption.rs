//! Which existing contact a SCIM create may take over (PRODUCT §6): a door may claim only what
//! is unclaimed or already its own.
//!
//! - *Unclaimed*: the configuration links existing contacts (`linkExistingContacts`), and the
//!   contact has no credential of any kind and no SCIM identity at any identity provider.
//! - *Its own*: the contact is the one whose SSO identity (IdP, userName) the SCIM user is, and
//!   that identity, like every other SSO credential of the contact, was created through this
//!   brand's configuration (a sign-in through it, or an earlier SCIM user of it). A password
//!   carries no door of its own: only SCIM writes one, always beside such an SSO identity.
//!
//! - *Its own, returning*: this configuration's SCIM deleted the contact's user (the newest
//!   entry of its provisioning log), and nothing has claimed the contact since (no credential,
//!   no SCIM identity): PRODUCT §6 lets the same userName be created again.
//!
//! Everything else is refused with one detail, [`UNUSABLE`], whatever the reason: which other
//! brand, configuration or userName holds the contact is not this token's to learn.
use uuid::Uuid;

use super::ScimError;

/// The only detail of a SCIM refusal for uniqueness or adoption of a user.
pub const UNUSABLE: &str = "userName or emails: this userName or email cannot be used";

/// The refusal of a user's create or replace for uniqueness or adoption.
pub fn refused() -> ScimError {
    ScimError::uniqueness(UNUSABLE)
}

/// The configuration a SCIM create comes through.
#[derive(Copy, Clone, Debug)]
pub struct Door {
    pub brand_id: Uuid,
    pub link_existing_contacts: bool,
}

/// A credential of the candidate contact, as far as adoption cares.
#[derive(Copy, Clone, Debug)]
pub struct HeldCredential {
    pub is_sso: bool,
    /// The brand whose configuration created it; `None` when unknown (or a password).
    pub created_via_brand_id: Option<Uuid>,
}

/// The contact a SCIM create found for its user.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Found as the holder of the SSO credential (IdP, userName), rather than by email.
    pub by_identity: bool,
    pub credentials: Vec<HeldCredential>,
    /// SCIM identities the contact has, at any identity provider.
    pub scim_identities: usize,
    /// The newest entry of the contact's provisioning log is a DELETE by this configuration.
    pub deprovisioned_here: bool,
}

/// Whether a SCIM create through `door` may take over `candidate`.
pub fn may_adopt(door: Door, candidate: &Candidate) -> bool {
    let unclaimed = door.link_existing_contacts
        && candidate.credentials.is_empty()
        && candidate.scim_identities == 0;
    let own = candidate.by_identity
        && candidate.scim_identities == 0
        && candidate
            .credentials
            .iter()
            .filter(|c| c.is_sso)
            .all(|c| c.created_via_brand_id == Some(door.brand_id));
    let returning = candidate.deprovisioned_here
        && candidate.credentials.is_empty()
        && candidate.scim_identities == 0;
    unclaimed || own || returning
}

/// Whether a SCIM user of `contact_id`, renamed through a configuration of `brand_id`, may take
/// the SSO identity (IdP, new userName) that `holder` already holds, as (contact, brand it was
/// created through): only its own contact's identity, created through the same brand.
pub fn may_take_identity(
    brand_id: Uuid,
    contact_id: Uuid,
    holder: Option<(Uuid, Option<Uuid>)>,
) -> bool {
    match holder {
        None => true,
        Some((holder, via)) => holder == contact_id && via == Some(brand_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sso(via: Option<Uuid>) -> HeldCredential {
        HeldCredential {
            is_sso: true,
            created_via_brand_id: via,
        }
    }

    const PASSWORD: HeldCredential = HeldCredential {
        is_sso: false,
        created_via_brand_id: None,
    };

    fn candidate(by_identity: bool, credentials: Vec<HeldCredential>) -> Candidate {
        Candidate {
            by_identity,
            credentials,
            scim_identities: 0,
            deprovisioned_here: false,
        }
    }

    #[test]
    fn a_contact_this_configuration_deleted_may_come_back_while_nothing_claimed_it() {
        let door = Door {
            brand_id: Uuid::now_v7(),
            link_existing_contacts: false,
        };
        let returning = Candidate {
            deprovisioned_here: true,
            ..candidate(false, Vec::new())
        };
        assert!(may_adopt(door, &returning));
        let claimed_since = Candidate {
            credentials: vec![sso(Some(Uuid::now_v7()))],
            ..returning.clone()
        };
        assert!(!may_adopt(door, &claimed_since));
        assert!(!may_adopt(door, &candidate(false, Vec::new())));
    }

    #[test]
    fn an_unclaimed_contact_is_adopted_only_when_the_configuration_links() {
        let brand = Uuid::now_v7();
        let linking = Door {
            brand_id: brand,
            link_existing_contacts: true,
        };
        let not_linking = Door {
            link_existing_contacts: false,
            ..linking
        };
        let bare = candidate(false, Vec::new());
        assert!(may_adopt(linking, &bare));
        assert!(!may_adopt(not_linking, &bare));
        // A SCIM identity elsewhere, or any credential, is a claim.
        let scim_elsewhere = Candidate {
            scim_identities: 1,
            ..bare.clone()
        };
        assert!(!may_adopt(linking, &scim_elsewhere));
        assert!(!may_adopt(linking, &candidate(false, vec![PASSWORD])));
        assert!(!may_adopt(
            linking,
            &candidate(false, vec![sso(Some(brand))])
        ));
    }

    #[test]
    fn a_contact_is_its_own_only_through_the_brand_that_created_its_identity() {
        let (brand, other) = (Uuid::now_v7(), Uuid::now_v7());
        for link_existing_contacts in [true, false] {
            let door = Door {
                brand_id: brand,
                link_existing_contacts,
            };
            assert!(may_adopt(door, &candidate(true, vec![sso(Some(brand))])));
            assert!(may_adopt(
                door,
                &candidate(true, vec![sso(Some(brand)), PASSWORD])
            ));
            assert!(!may_adopt(door, &candidate(true, vec![sso(Some(other))])));
            assert!(!may_adopt(door, &candidate(true, vec![sso(None)])));
            assert!(!may_adopt(
                door,
                &candidate(true, vec![sso(Some(brand)), sso(Some(other))])
            ));
            // Found by email, the contact's own SSO identity is another subject's.
            assert!(!may_adopt(door, &candidate(false, vec![sso(Some(brand))])));
            let scim_user = Candidate {
                scim_identities: 1,
                ..candidate(true, vec![sso(Some(brand))])
            };
            assert!(!may_adopt(door, &scim_user));
        }
    }

    #[test]
    fn a_rename_takes_only_a_free_identity_or_its_own() {
        let (brand, other, me, them) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        assert!(may_take_identity(brand, me, None));
        assert!(may_take_identity(brand, me, Some((me, Some(brand)))));
        assert!(!may_take_identity(brand, me, Some((me, Some(other)))));
        assert!(!may_take_identity(brand, me, Some((me, None))));
        assert!(!may_take_identity(brand, me, Some((them, Some(brand)))));
    }

    #[test]
    fn the_refusal_names_nobody() {
        let e = refused();
        assert_eq!(e.status, 409);
        assert_eq!(e.detail, UNUSABLE);
    }
}
