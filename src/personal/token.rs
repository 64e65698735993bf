//! The access-token cache every platform client uses: one slot per (app id, hash of the
//! secret), so a changed secret is a cache miss; refreshed a margin before the token ends;
//! single-flight per slot, so concurrent callers share one token request.

use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex as AsyncMutex;

type Slot = Arc<AsyncMutex<Option<Cached>>>;

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

pub(crate) struct TokenCache {
    /// Refresh this long before a token ends (see [`usable_for`]).
    margin: Duration,
    /// Random keys per process: the stored hash says nothing useful about the secret.
    hasher: std::collections::hash_map::RandomState,
    slots: Mutex<HashMap<(String, u64), Slot>>,
}

/// How long a token that lives `lifetime` may be used: until `margin` before its end, but at
/// least half its life, so a short-lived token is not fetched again at once.
pub(crate) fn usable_for(lifetime: Duration, margin: Duration) -> Duration {
    lifetime.saturating_sub(margin).max(lifetime / 2)
}

impl TokenCache {
    pub(crate) fn new(margin: Duration) -> TokenCache {
        TokenCache {
            margin,
            hasher: Default::default(),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, app_id: &str, secret: &SecretString) -> Slot {
        let key = (
            app_id.to_string(),
            self.hasher.hash_one(secret.expose_secret()),
        );
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(key).or_default().clone()
    }

    /// The cached token if before its refresh time, else the result of one `fetch` that
    /// concurrent callers with the same credentials wait for. `fetch` returns the token and
    /// its remaining lifetime as the platform gave it.
    pub(crate) async fn get_or_fetch<F, Fut, E>(
        &self,
        app_id: &str,
        secret: &SecretString,
        now: impl Fn() -> Instant,
        fetch: F,
    ) -> Result<SecretString, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), E>>,
    {
        let slot = self.slot(app_id, secret);
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_ref()
            && now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        *guard = None;
        let (token, lifetime) = fetch().await?;
        *guard = Some(Cached {
            token: token.clone(),
            refresh_at: now() + usable_for(lifetime, self.margin),
        });
        Ok(token)
    }

    /// Drop the cached token if it is still `used` (a concurrent caller may already have
    /// replaced it with a fresh one).
    pub(crate) async fn invalidate_if(
        &self,
        app_id: &str,
        secret: &SecretString,
        used: &SecretString,
    ) {
        let slot = self.slot(app_id, secret);
        let mut guard = slot.lock().await;
        if guard
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == used.expose_secret())
        {
            *guard = None;
        }
    }

    /// Forget every token of this app id, whatever its secret.
    pub(crate) fn invalidate_app(&self, app_id: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.retain(|(k, _), _| k != app_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const MARGIN: Duration = Duration::from_secs(600);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn refresh_a_margin_early_or_halfway_for_short_tokens() {
        assert_eq!(usable_for(secs(7200), MARGIN), secs(6600));
        assert_eq!(usable_for(secs(1000), MARGIN), secs(500));
        // DingTalk and WeCom refresh 300 s early; a token of exactly the margin: half its life.
        assert_eq!(usable_for(secs(7200), secs(300)), secs(6900));
        assert_eq!(usable_for(secs(300), secs(300)), secs(150));
        assert_eq!(usable_for(secs(0), secs(300)), secs(0));
    }

    /// A cache, a counter of fetches, and a fetch that hands out `t1`, `t2`, … for 7200 s.
    struct Env {
        cache: TokenCache,
        fetches: AtomicUsize,
    }

    impl Env {
        fn new() -> Env {
            Env {
                cache: TokenCache::new(MARGIN),
                fetches: AtomicUsize::new(0),
            }
        }

        async fn get(&self, app: &str, secret: &str, now: Instant) -> String {
            let secret = SecretString::from(secret.to_string());
            let token = self
                .cache
                .get_or_fetch(
                    app,
                    &secret,
                    || now,
                    || async {
                        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                        tokio::task::yield_now().await;
                        Ok::<_, ()>((SecretString::from(format!("t{n}")), secs(7200)))
                    },
                )
                .await
                .unwrap();
            token.expose_secret().to_string()
        }

        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn one_fetch_for_concurrent_callers_and_until_the_refresh_time() {
        let env = Env::new();
        let t0 = Instant::now();
        let (a, b) = tokio::join!(env.get("app", "s", t0), env.get("app", "s", t0));
        assert_eq!((a.as_str(), b.as_str(), env.fetches()), ("t1", "t1", 1));
        assert_eq!(env.get("app", "s", t0 + secs(6599)).await, "t1");
        assert_eq!(env.get("app", "s", t0 + secs(6600)).await, "t2");
    }

    #[tokio::test]
    async fn a_changed_secret_or_another_app_is_a_miss() {
        let env = Env::new();
        let t0 = Instant::now();
        assert_eq!(env.get("app", "s", t0).await, "t1");
        assert_eq!(env.get("app", "s2", t0).await, "t2");
        assert_eq!(env.get("other", "s", t0).await, "t3");
        assert_eq!(env.get("app", "s", t0).await, "t1");
    }

    #[tokio::test]
    async fn invalidation_drops_only_the_used_token_or_the_whole_app() {
        let env = Env::new();
        let t0 = Instant::now();
        let secret = SecretString::from("s".to_string());
        assert_eq!(env.get("app", "s", t0).await, "t1");
        // A stale token (already replaced) does not drop the current one.
        let stale = SecretString::from("t0".to_string());
        env.cache.invalidate_if("app", &secret, &stale).await;
        assert_eq!(env.get("app", "s", t0).await, "t1");
        let used = SecretString::from("t1".to_string());
        env.cache.invalidate_if("app", &secret, &used).await;
        assert_eq!(env.get("app", "s", t0).await, "t2");
        assert_eq!(env.get("other", "s", t0).await, "t3");
        env.cache.invalidate_app("app");
        assert_eq!(env.get("app", "s", t0).await, "t4");
        assert_eq!(env.get("other", "s", t0).await, "t3");
    }
}
