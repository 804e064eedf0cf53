//! Pacing of `sso.signIn` per API token, so one misbehaving portal cannot starve the others.
//!
//! The buckets live in this process: with several instances, each paces on its own, so the
//! configured rate is per token and per instance. That is the intent (fairness between callers
//! of one instance), not a global quota, and it needs no shared state.
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
    time::Instant,
};

use uuid::Uuid;

use crate::{
    domain::rate::{Bucket, Pace},
    error::{AppError, AppResult},
};

/// Buckets beyond this many are swept of the full ones (callers that went quiet).
const SWEEP_AT: usize = 10_000;

pub struct SignInPacer {
    pace: Pace,
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

impl SignInPacer {
    pub fn new(pace: Pace) -> Self {
        Self {
            pace,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn buckets(&self) -> MutexGuard<'_, HashMap<Uuid, Bucket>> {
        // A bucket map left half-updated by a panic is still a valid map of buckets.
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits one sign-in for `token_id`, or refuses it with [`AppError::RateLimited`].
    pub fn admit(&self, token_id: Uuid) -> AppResult<()> {
        if self.pace.rate <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets();
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, b| !b.is_full(self.pace, now));
        }
        let bucket = buckets
            .entry(token_id)
            .or_insert_with(|| Bucket::full(self.pace, now));
        bucket
            .take(self.pace, now)
            .map_err(|wait| AppError::RateLimited {
                retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            })
    }
}
