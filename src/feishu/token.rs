//! Tenant-token cache: one slot per (App ID, hash of the secret), so a changed secret is a
//! cache miss; single-flight refresh per slot.

use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex as AsyncMutex;

use crate::personal::Credentials;

/// Refresh this long before the token's end, as the official SDK does (contract 2.3).
pub(super) const REFRESH_MARGIN: Duration = Duration::from_secs(600);

type Slot = Arc<AsyncMutex<Option<Cached>>>;

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

pub(super) struct TokenCache {
    /// Random keys per process: the stored hash says nothing useful about the secret.
    hasher: std::collections::hash_map::RandomState,
    slots: Mutex<HashMap<(String, u64), Slot>>,
}

/// How long a token that lives `expire` may be used before refreshing.
pub(super) fn usable_for(expire: Duration) -> Duration {
    if expire > REFRESH_MARGIN * 2 {
        expire - REFRESH_MARGIN
    } else {
        expire / 2
    }
}

impl TokenCache {
    pub(super) fn new() -> TokenCache {
        TokenCache {
            hasher: Default::default(),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, creds: &Credentials) -> Slot {
        let key = (
            creds.app_id.clone(),
            self.hasher.hash_one(creds.secret.expose_secret()),
        );
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(key).or_default().clone()
    }

    /// The cached token if before its refresh time, else the result of one `fetch` that
    /// concurrent callers with the same credentials wait for. `fetch` returns the token and
    /// its lifetime (`expire`).
    pub(super) async fn get_or_fetch<F, Fut, E>(
        &self,
        creds: &Credentials,
        now: impl Fn() -> Instant,
        fetch: F,
    ) -> Result<SecretString, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), E>>,
    {
        let slot = self.slot(creds);
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_ref()
            && now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        *guard = None;
        let (token, expire) = fetch().await?;
        *guard = Some(Cached {
            token: token.clone(),
            refresh_at: now() + usable_for(expire),
        });
        Ok(token)
    }

    /// Drop the cached token if it is still `used` (another caller may have replaced it).
    pub(super) async fn invalidate_if(&self, creds: &Credentials, used: &SecretString) {
        let slot = self.slot(creds);
        let mut guard = slot.lock().await;
        if guard
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == used.expose_secret())
        {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_ten_minutes_early_or_halfway_for_short_tokens() {
        assert_eq!(
            usable_for(Duration::from_secs(7200)),
            Duration::from_secs(6600)
        );
        assert_eq!(
            usable_for(Duration::from_secs(1000)),
            Duration::from_secs(500)
        );
    }
}
