//! Settings read on every call of a hot door, kept for a short time: the configuration a SCIM
//! token serves and the keys a signed proof is verified with. Admins change them rarely;
//! SCIM clients and portals call thousands of times a minute.
//!
//! The rule is the token cache's: an entry is trusted for `ttl` (`--token-cache-seconds`; 0
//! reads every call); a change made through this instance forgets every entry at once, so the
//! next call reads the change; another instance notices within `ttl`. A load that started
//! before a change must not put the old value back: every [`Recent::forget_all`] bumps a
//! generation, and a load keeps its result only if the generation it started under is still
//! current. Only found values are kept, so a configuration created on another instance is
//! seen at its first call.
use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// More entries than this is unusual (one per configuration); the cache then starts afresh
/// rather than grow.
const MAX_ENTRIES: usize = 10_000;

pub struct Recent<K, V> {
    ttl: Duration,
    entries: Mutex<Entries<K, V>>,
}

struct Entries<K, V> {
    kept: HashMap<K, (Arc<V>, Instant)>,
    generation: u64,
}

impl<K: Eq + Hash, V> Recent<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(Entries {
                kept: HashMap::new(),
                generation: 0,
            }),
        }
    }

    /// A thread that panicked while holding the entries may have left them half changed: they
    /// are dropped, so a poisoned lock never serves a stale value.
    fn entries(&self) -> MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(|poisoned| {
            tracing::error!("settings cache lock poisoned; clearing the cache");
            let mut entries = poisoned.into_inner();
            entries.kept.clear();
            entries.generation += 1;
            self.entries.clear_poison();
            entries
        })
    }

    /// The value of `key`, from the cache when it was read within `ttl`, else from `load`
    /// (`None`: not found, and not kept).
    pub async fn get<E>(
        &self,
        key: K,
        load: impl AsyncFnOnce() -> Result<Option<V>, E>,
    ) -> Result<Option<Arc<V>>, E> {
        if self.ttl.is_zero() {
            return Ok(load().await?.map(Arc::new));
        }
        let generation = {
            let entries = self.entries();
            if let Some((value, read_at)) = entries.kept.get(&key)
                && read_at.elapsed() < self.ttl
            {
                return Ok(Some(value.clone()));
            }
            entries.generation
        };
        let Some(value) = load().await?.map(Arc::new) else {
            return Ok(None);
        };
        let mut entries = self.entries();
        if entries.generation == generation {
            if entries.kept.len() >= MAX_ENTRIES {
                entries.kept.clear();
            }
            entries.kept.insert(key, (value.clone(), Instant::now()));
        }
        Ok(Some(value))
    }

    /// Forgets every entry, and any load still in flight: the settings changed.
    pub fn forget_all(&self) {
        let mut entries = self.entries();
        entries.kept.clear();
        entries.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    async fn read(cache: &Recent<u8, u32>, loads: &AtomicU32, value: Option<u32>) -> Option<u32> {
        cache
            .get(1, async || {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(value)
            })
            .await
            .expect("load")
            .map(|v| *v)
    }

    #[tokio::test]
    async fn a_value_is_read_once_within_the_ttl_and_again_after_a_change() {
        let (cache, loads) = (Recent::new(Duration::from_secs(60)), AtomicU32::new(0));
        assert_eq!(read(&cache, &loads, Some(7)).await, Some(7));
        assert_eq!(read(&cache, &loads, Some(8)).await, Some(7));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        cache.forget_all();
        assert_eq!(read(&cache, &loads, Some(8)).await, Some(8));
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn not_found_is_not_kept_and_a_zero_ttl_reads_every_call() {
        let (cache, loads) = (Recent::new(Duration::from_secs(60)), AtomicU32::new(0));
        assert_eq!(read(&cache, &loads, None).await, None);
        assert_eq!(read(&cache, &loads, Some(3)).await, Some(3));
        assert_eq!(loads.load(Ordering::SeqCst), 2);

        let (cache, loads) = (Recent::new(Duration::ZERO), AtomicU32::new(0));
        read(&cache, &loads, Some(1)).await;
        read(&cache, &loads, Some(1)).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_load_that_started_before_a_change_is_not_kept() {
        let cache = Recent::new(Duration::from_secs(60));
        let loads = AtomicU32::new(0);
        let stale = cache
            .get(1, async || {
                cache.forget_all();
                Ok::<_, ()>(Some(1))
            })
            .await
            .expect("load");
        assert_eq!(stale.map(|v| *v), Some(1));
        assert_eq!(read(&cache, &loads, Some(2)).await, Some(2));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
