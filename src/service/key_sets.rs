//! The JWKS of identity providers that publish theirs at a URL (PRODUCT §4.1). A set is fetched
//! when a token names a key we do not hold (or none was ever fetched), at most once per
//! `--jwks-refetch-seconds` per identity provider, one fetch in flight: callers arriving during
//! a fetch wait for it and share its answer. The last good set is kept in the database, so an
//! outage or a restart still verifies with it; a failed fetch changes nothing.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use entity::identity_provider;
use uuid::Uuid;

use super::{App, now};
use crate::{db, domain::proof::oidc};

/// The most a fetched JWKS may weigh.
const JWKS_MAX: usize = 256 * 1024;
/// How long a fetch may take, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub struct KeySets {
    client: Option<reqwest::Client>,
    refetch: Duration,
    /// Per identity provider: its fetch turn and what the last fetch found.
    fetches: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<LastFetch>>>>,
}

#[derive(Default)]
struct LastFetch {
    at: Option<Instant>,
    /// The set the last successful fetch returned.
    found: Option<String>,
}

impl KeySets {
    pub fn new(refetch: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("autoprov/", env!("CARGO_PKG_VERSION")))
            .build();
        if let Err(e) = &client {
            tracing::error!(error = %e, "no HTTP client: JWKS URLs cannot be fetched");
        }
        Self {
            client: client.ok(),
            refetch,
            fetches: Mutex::new(HashMap::new()),
        }
    }

    fn turn(&self, id: Uuid) -> Arc<tokio::sync::Mutex<LastFetch>> {
        let mut fetches = match self.fetches.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        fetches.entry(id).or_default().clone()
    }

    /// A set newer than the one the caller holds, fetched from `idp`'s URL now unless a fetch
    /// was made (or tried) within the refetch interval: then the set that fetch found, if any.
    /// `None` when there is no URL or nothing was found.
    pub async fn refresh(&self, app: &App, idp: &identity_provider::Model) -> Option<String> {
        let url = idp.jwks_url.as_deref()?;
        let turn = self.turn(idp.id);
        let mut last = turn.lock().await;
        if last.at.is_some_and(|at| at.elapsed() < self.refetch) {
            return last.found.clone();
        }
        last.at = Some(Instant::now());
        let jwks = match self.fetch(url).await {
            Ok(jwks) => jwks,
            Err(why) => {
                // The cached set (if any) keeps serving: the caller already tried it.
                tracing::warn!(identity_provider = %idp.id, url, why, "JWKS fetch failed");
                app.metrics().jwks_fetch(false);
                return last.found.clone();
            }
        };
        app.metrics().jwks_fetch(true);
        let saved = app
            .transaction(async |txn| {
                db::proofs::save_key_set(txn, idp.id, jwks.clone(), now()).await
            })
            .await;
        match saved {
            Ok(()) => app.settings_changed(),
            Err(e) => {
                tracing::warn!(identity_provider = %idp.id, error = %e, "fetched JWKS not kept");
            }
        }
        last.found = Some(jwks.clone());
        Some(jwks)
    }

    async fn fetch(&self, url: &str) -> Result<String, String> {
        let client = self.client.as_ref().ok_or("no HTTP client")?;
        let mut response = client
            .get(url)
            .header("accept", "application/json, application/jwk-set+json")
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("body failed: {e}"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > JWKS_MAX {
                return Err(format!("body over {JWKS_MAX} bytes"));
            }
        }
        let text = String::from_utf8(body).map_err(|_| "body is not UTF-8".to_owned())?;
        let set = oidc::parse_jwks(&text)?;
        if set.keys.is_empty() {
            return Err("the set holds no key".into());
        }
        Ok(text)
    }
}
