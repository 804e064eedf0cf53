//! Identity providers: the one place their rows are built.
use chrono::{DateTime, Utc};
use entity::identity_provider;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ConnectionTrait, DbErr,
};
use uuid::Uuid;

use super::set_some;

use crate::domain::{
    proof::{DEFAULT_MAX_AGE_SECONDS, DEFAULT_SKEW_SECONDS, oidc::DEFAULT_ALGORITHMS},
    stored::{Protocol, StoredEnum},
};

/// The columns of an identity provider's signed proofs (PRODUCT §4.1) a write sets; `None`
/// leaves a column as it is (on insert: its default), `Some(None)` clears it.
#[derive(Default)]
pub struct ProofColumns {
    pub jwks: Option<Option<String>>,
    pub jwks_url: Option<Option<String>>,
    pub signing_certificates: Option<Option<String>>,
    /// Comma-separated.
    pub allowed_algorithms: Option<String>,
    pub clock_skew_seconds: Option<i32>,
    pub max_proof_age_seconds: Option<i32>,
    pub admin_audience: Option<Option<String>>,
}

impl ProofColumns {
    fn set(self, model: &mut identity_provider::ActiveModel) {
        set_some(&mut model.jwks, self.jwks);
        set_some(&mut model.jwks_url, self.jwks_url);
        set_some(&mut model.signing_certificates, self.signing_certificates);
        set_some(&mut model.allowed_algorithms, self.allowed_algorithms);
        set_some(&mut model.clock_skew_seconds, self.clock_skew_seconds);
        set_some(&mut model.max_proof_age_seconds, self.max_proof_age_seconds);
        set_some(&mut model.admin_audience, self.admin_audience);
    }
}

pub struct NewIdentityProvider {
    pub name: String,
    pub protocol: Protocol,
    pub issuer: String,
    pub admin_sign_in: bool,
    pub trust_email: bool,
    pub proofs: ProofColumns,
    pub at: DateTime<Utc>,
}

/// Writes a new identity provider.
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewIdentityProvider,
) -> Result<identity_provider::Model, DbErr> {
    let mut model = identity_provider::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        protocol: Set(new.protocol.as_str().into()),
        issuer: Set(new.issuer),
        admin_sign_in: Set(new.admin_sign_in),
        trust_email: Set(new.trust_email),
        jwks: Set(None),
        jwks_url: Set(None),
        signing_certificates: Set(None),
        allowed_algorithms: Set(DEFAULT_ALGORITHMS.join(",")),
        clock_skew_seconds: Set(DEFAULT_SKEW_SECONDS as i32),
        max_proof_age_seconds: Set(DEFAULT_MAX_AGE_SECONDS as i32),
        admin_audience: Set(None),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    };
    new.proofs.set(&mut model);
    model.insert(db).await
}

/// The columns an identity provider's change sets; `None` leaves a column as it is.
#[derive(Default)]
pub struct IdentityProviderUpdate {
    pub name: Option<String>,
    pub protocol: Option<Protocol>,
    pub issuer: Option<String>,
    pub admin_sign_in: Option<bool>,
    pub trust_email: Option<bool>,
    pub proofs: ProofColumns,
}

/// Writes the columns `update` sets and `updated_at`; the row as it is now.
pub async fn update<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    update: IdentityProviderUpdate,
    at: DateTime<Utc>,
) -> Result<identity_provider::Model, DbErr> {
    let mut model = identity_provider::ActiveModel {
        id: Unchanged(id),
        updated_at: Set(at),
        ..Default::default()
    };
    set_some(&mut model.name, update.name);
    set_some(
        &mut model.protocol,
        update.protocol.map(|protocol| protocol.as_str().into()),
    );
    set_some(&mut model.issuer, update.issuer);
    set_some(&mut model.admin_sign_in, update.admin_sign_in);
    set_some(&mut model.trust_email, update.trust_email);
    update.proofs.set(&mut model);
    model.update(db).await
}
