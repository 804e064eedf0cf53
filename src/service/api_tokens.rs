//! Admin API tokens: created with a CSPRNG secret shown once, stored as a SHA-256 hash.
//!
//! SHA-256 rather than a password hash: the secret is 256 random bits, so there is nothing to
//! brute-force, and a fast hash lets authentication be one indexed lookup, which
//! [`TokenCache`] spares most requests.
use crate::domain::stored::StoredEnum;
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use entity::{administrator, api_token, brand, identity_provider};
use rand::RngCore;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{App, Problems, load, load_error, now};
use crate::{
    db,
    domain::{
        access::{Action, Caller, Principal, Role, administrator_may_hold},
        audit::Actor,
        employees::{AdminRole, AdminStatus},
        id::NodeKind,
    },
    error::{AppError, AppResult, Credentials, ErrorCode, FieldError},
};

const SECRET_PREFIX: &str = "apt_";

pub(super) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    // ThreadRng is a CSPRNG (ChaCha12) seeded from the operating system.
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

pub(super) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub struct NewApiToken<'a> {
    pub name: &'a str,
    pub role: Role,
    /// Required for, and only for, portal and SCIM tokens.
    pub brand_id: Option<&'a str>,
    /// Required for, and only for, SCIM tokens: with the brand, the configuration they serve.
    pub identity_provider_id: Option<&'a str>,
    /// Without it a token does not expire, except a SCIM token, which expires after
    /// [`SCIM_TOKEN_LIFETIME_DAYS`].
    pub expires_at: Option<DateTime<Utc>>,
}

/// How long a SCIM token lives when its creator does not say: Entra ID's "Secret Token" is
/// issued for a year, and rotating it is part of the set-up (README, "SCIM").
pub const SCIM_TOKEN_LIFETIME_DAYS: i64 = 365;

/// Creates a token for `caller` (an owner's token, or the operator at the command line); the
/// returned secret exists nowhere else.
pub async fn create<'c>(
    app: &App,
    caller: impl Into<Caller<'c>>,
    input: NewApiToken<'_>,
) -> AppResult<(api_token::Model, String)> {
    let actor = app.authorize(caller, Action::ManageTokens)?;
    app.transaction(async |txn| create_in(txn, &actor, input).await)
        .await
}

async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: NewApiToken<'_>,
) -> AppResult<(api_token::Model, String)> {
    let mut problems = Problems::default();
    let name = problems.name("name", input.name);
    let at = now();
    if let Some(expires_at) = input.expires_at
        && expires_at <= at
    {
        problems.push(FieldError::new(
            "expiresAt",
            ErrorCode::Invalid,
            "must be in the future",
            Some(&crate::domain::time::format(expires_at)),
        ));
    }
    let bound_to_brand = matches!(input.role, Role::Portal | Role::Scim);
    let brand_id = match (bound_to_brand, input.brand_id) {
        (true, Some(raw)) => problems
            .load::<brand::Entity, _>(txn, NodeKind::Brand, "brandId", raw)
            .await?
            .map(|b| b.id),
        (true, None) => problems.refuse(FieldError::new(
            "brandId",
            ErrorCode::Blank,
            format!(
                "a {} token acts for one brand: give its brandId",
                input.role.as_str()
            ),
            None,
        )),
        (false, Some(raw)) => problems.refuse(FieldError::new(
            "brandId",
            ErrorCode::Invalid,
            "only portal and SCIM tokens are bound to a brand",
            Some(raw),
        )),
        (false, None) => None,
    };
    let identity_provider_id = match (input.role, input.identity_provider_id) {
        (Role::Scim, Some(raw)) => problems
            .load::<identity_provider::Entity, _>(
                txn,
                NodeKind::IdentityProvider,
                "identityProviderId",
                raw,
            )
            .await?
            .map(|idp| idp.id),
        (Role::Scim, None) => problems.refuse(FieldError::new(
            "identityProviderId",
            ErrorCode::Blank,
            "a SCIM token serves one identity-provider configuration: give the \
             identityProviderId as well as the brandId",
            None,
        )),
        (_, Some(raw)) => problems.refuse(FieldError::new(
            "identityProviderId",
            ErrorCode::Invalid,
            "only SCIM tokens are bound to an identity provider",
            Some(raw),
        )),
        (_, None) => None,
    };
    // A SCIM token is bound to the configuration row as it is now: one deleted and created
    // again is another configuration, which this token will not open.
    let mut configuration_id = None;
    if let (Some(brand), Some(idp), Some(raw)) =
        (brand_id, identity_provider_id, input.identity_provider_id)
    {
        match db::queries::configuration(txn, brand, idp).await? {
            Some(configuration) => configuration_id = Some(configuration.id),
            None => problems.push(FieldError::new(
                "identityProviderId",
                ErrorCode::NotFound,
                "this brand has no configuration for this identity provider; create it first \
                 (brands.createIdentityProviderConfiguration)",
                Some(raw),
            )),
        }
    }
    let expires_at = match (input.expires_at, input.role) {
        (None, Role::Scim) => Some(at + chrono::Duration::days(SCIM_TOKEN_LIFETIME_DAYS)),
        (given, _) => given,
    };
    // A token created from an administrator's session stands on that administrator: it is
    // bound to them, and may not reach further than their role (PRODUCT §7).
    if let Some(administrator_id) = actor.administrator_id {
        let administrator = db::administrators::locked(txn, administrator_id).await?;
        let (active, role) = match &administrator {
            Some(a) => (
                a.status == AdminStatus::Active.as_str(),
                AdminRole::parse(&a.role),
            ),
            None => (false, None),
        };
        if !role.is_some_and(|role| administrator_may_hold(active, role, input.role)) {
            problems.push(FieldError::new(
                "role",
                ErrorCode::Denied,
                format!(
                    "this session's administrator ({}) may not stand behind a {} token: a \
                     token created from an administrator's session reaches no further than \
                     the administrator's own role, and only while they are active",
                    match (active, role) {
                        (true, Some(role)) => role.as_str(),
                        _ => "inactive",
                    },
                    input.role.as_str()
                ),
                Some(input.role.as_str()),
            ));
        }
    }
    let name = problems.finish(name)?;
    let secret = new_secret();
    let new = db::api_tokens::NewToken {
        name,
        role: input.role,
        brand_id,
        identity_provider_id,
        configuration_id,
        administrator_id: actor.administrator_id,
        sign_in: None,
        secret_hash: hash(&secret),
        expires_at,
        at,
    };
    let model = db::api_tokens::insert(txn, new).await?;
    super::audit::created(txn, actor, "apiTokens.create", &model).await?;
    Ok((model, secret))
}

/// On an empty database, creates the first owner token and returns its secret. Instances
/// starting together on one empty database take turns (an advisory lock on PostgreSQL, the
/// write lock on SQLite), so exactly one of them creates and prints a token.
pub async fn bootstrap(db: &DatabaseConnection) -> AppResult<Option<String>> {
    let txn = db::begin(db).await?;
    db::queries::lock_startup(&txn).await?;
    if db::queries::any_api_token(&txn).await? {
        return Ok(None);
    }
    let (_, secret) = create_in(
        &txn,
        &Actor::system("autoprov (first start)"),
        NewApiToken {
            name: "bootstrap owner",
            role: Role::Owner,
            brand_id: None,
            identity_provider_id: None,
            expires_at: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(secret))
}

/// The principal of a token hash, and when the token expires.
async fn verify(
    db: &DatabaseConnection,
    secret_hash: &str,
) -> AppResult<(Principal, Option<DateTime<Utc>>)> {
    let token = db::queries::api_token_with_hash(db, secret_hash)
        .await?
        .ok_or(AppError::Unauthenticated(Credentials::Refused))?;
    if token.revoked_at.is_some() || is_expired(token.expires_at) {
        return Err(AppError::Unauthenticated(Credentials::Refused));
    }
    let role = Role::parse(&token.role).ok_or_else(|| {
        AppError::Internal(format!(
            "token {} has unknown role {}",
            token.id, token.role
        ))
    })?;
    // A token issued to an administrator, or created from their session, is only as good as
    // the administrator is now: checked here rather than trusted to revocation, so that no
    // order of concurrent statements (a sign-in racing a deactivation) leaves one alive.
    if let Some(administrator_id) = token.administrator_id {
        let administrator = db::queries::find::<administrator::Entity, _>(db, administrator_id)
            .await?
            .ok_or(AppError::Unauthenticated(Credentials::Refused))?;
        let admin_role = AppError::decode::<AdminRole>(&administrator.role)?;
        let active = AppError::decode::<AdminStatus>(&administrator.status)? == AdminStatus::Active;
        if !administrator_may_hold(active, admin_role, role) {
            return Err(AppError::Unauthenticated(Credentials::Refused));
        }
    }
    let principal = Principal {
        token_id: token.id,
        token_name: token.name.clone(),
        role,
        brand_id: token.brand_id,
        identity_provider_id: token.identity_provider_id,
        configuration_id: token.configuration_id,
        administrator_id: token.administrator_id,
    };
    Ok((principal, token.expires_at))
}

fn is_expired(expires_at: Option<DateTime<Utc>>) -> bool {
    expires_at.is_some_and(|at| at <= Utc::now())
}

/// Tokens verified in the last `ttl`, so that a busy caller (the LMS portal signs learners in
/// all day) is not looked up in the database on every request. Only valid tokens are kept,
/// and expiry is checked at every use. A token revoked through this instance is forgotten at
/// once; another instance notices within `ttl`. A zero `ttl` looks up every request.
///
/// A lookup that started before a revocation must not put the revoked token back: every
/// [`TokenCache::forget`] bumps a generation, and a lookup keeps its result only if the
/// generation it started under is still current.
pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    verified: HashMap<String, Verified>,
    generation: u64,
}

struct Verified {
    principal: Principal,
    expires_at: Option<DateTime<Utc>>,
    checked_at: Instant,
}

/// The generation a lookup started under.
#[derive(Copy, Clone, Debug)]
struct Ticket(u64);

/// More live tokens than this is unusual; the cache then starts afresh rather than grow.
const MAX_CACHED_TOKENS: usize = 10_000;

impl TokenCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// How long a verified token is trusted; the settings caches of [`App`] keep theirs as long.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The entries. A thread that panicked while holding them may have left them half
    /// changed: they are then dropped, so a poisoned lock never serves (or keeps) a token a
    /// revocation meant to forget, and revocation still works.
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| {
            tracing::error!("token cache lock poisoned; clearing the cache");
            let mut entries = poisoned.into_inner();
            entries.verified.clear();
            entries.generation += 1;
            self.entries.clear_poison();
            entries
        })
    }

    /// The principal a bearer secret stands for, answered from the cache when the token was
    /// verified recently; unknown, revoked and expired are all
    /// [`AppError::Unauthenticated`] with [`Credentials::Refused`], so a caller cannot tell
    /// which.
    pub async fn authenticate(
        &self,
        db: &DatabaseConnection,
        secret: &str,
    ) -> AppResult<Principal> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Err(AppError::Unauthenticated(Credentials::Refused));
        }
        let secret_hash = hash(secret);
        if self.ttl.is_zero() {
            return Ok(verify(db, &secret_hash).await?.0);
        }
        let ticket = match self.recent(&secret_hash) {
            Ok(principal) => return Ok(principal),
            Err(ticket) => ticket,
        };
        let (principal, expires_at) = verify(db, &secret_hash).await?;
        // A token of an administrator (their sign-in token, or one created from their
        // session) is looked up on every request, with its administrator: deactivating or
        // demoting the administrator must hold at once on every instance (people click, they
        // do not call thousands of times a second).
        if principal.administrator_id.is_none() {
            self.remember(ticket, secret_hash, &principal, expires_at);
        }
        Ok(principal)
    }

    /// The principal of a recently verified token, or the ticket to look it up under.
    fn recent(&self, secret_hash: &str) -> Result<Principal, Ticket> {
        let entries = self.entries();
        match entries.verified.get(secret_hash) {
            Some(entry)
                if entry.checked_at.elapsed() < self.ttl && !is_expired(entry.expires_at) =>
            {
                Ok(entry.principal.clone())
            }
            _ => Err(Ticket(entries.generation)),
        }
    }

    /// Keeps a lookup's result, unless a token was forgotten since the lookup started.
    fn remember(
        &self,
        ticket: Ticket,
        secret_hash: String,
        principal: &Principal,
        expires_at: Option<DateTime<Utc>>,
    ) {
        let mut entries = self.entries();
        if entries.generation != ticket.0 {
            return;
        }
        if entries.verified.len() >= MAX_CACHED_TOKENS {
            entries.verified.clear();
        }
        entries.verified.insert(
            secret_hash,
            Verified {
                principal: principal.clone(),
                expires_at,
                checked_at: Instant::now(),
            },
        );
    }

    /// Forgets a token at once (it was revoked), and any lookup of it still in flight.
    pub fn forget(&self, token_id: Uuid) {
        let mut entries = self.entries();
        entries
            .verified
            .retain(|_, v| v.principal.token_id != token_id);
        entries.generation += 1;
    }
}

/// Revokes a token; revoking a revoked token is a no-op that keeps the first revocation time.
/// This instance forgets it at once; others within their token cache time.
pub async fn revoke(
    app: &App,
    principal: &Principal,
    api_token_id: &str,
) -> AppResult<api_token::Model> {
    let actor = app.authorize(principal, Action::ManageTokens)?;
    let model = app
        .transaction(async |txn| -> AppResult<_> {
            let token =
                load::<api_token::Entity, _>(txn, NodeKind::ApiToken, "apiTokenId", api_token_id)
                    .await
                    .map_err(load_error)?;
            if token.revoked_at.is_some() {
                return Ok(token);
            }
            let model = db::api_tokens::revoke(txn, token.id, now()).await?;
            super::audit::updated(txn, &actor, "apiTokens.revoke", &token, &model).await?;
            Ok(model)
        })
        .await?;
    app.tokens().forget(model.id);
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 64);
    }

    fn principal() -> Principal {
        Principal::of_role(Role::Owner)
    }

    #[test]
    fn a_lookup_that_started_before_a_revocation_is_not_cached() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let p = principal();
        let ticket = cache.recent("h").unwrap_err();
        // The token is revoked while its lookup is in flight.
        cache.forget(p.token_id);
        cache.remember(ticket, "h".into(), &p, None);
        assert!(cache.recent("h").is_err(), "the revoked token came back");
        // A lookup that starts afterwards is cached as usual.
        let ticket = cache.recent("h").unwrap_err();
        cache.remember(ticket, "h".into(), &p, None);
        assert_eq!(cache.recent("h").unwrap(), p);
    }

    #[test]
    fn a_poisoned_lock_does_not_stop_revocation() {
        let cache = std::sync::Arc::new(TokenCache::new(Duration::from_secs(60)));
        let p = principal();
        let ticket = cache.recent("h").unwrap_err();
        cache.remember(ticket, "h".into(), &p, None);
        let poisoner = cache.clone();
        std::thread::spawn(move || {
            let _held = poisoner.entries.lock();
            panic!("poison the lock");
        })
        .join()
        .unwrap_err();
        assert!(cache.entries.is_poisoned());
        cache.forget(p.token_id);
        assert!(
            cache.recent("h").is_err(),
            "the revoked token is still served"
        );
        assert!(!cache.entries.is_poisoned());
    }

    #[test]
    fn hash_is_stable_and_not_the_secret() {
        let s = new_secret();
        assert_eq!(hash(&s), hash(&s));
        assert_ne!(hash(&s), s);
        assert_eq!(hash(&s).len(), 64);
    }
}
