//! Access-token cache: one slot per (CorpID, hash of Secret), single-flight refresh.

use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex as AsyncMutex;

use crate::personal::Credentials;

type Slot = Arc<AsyncMutex<Option<Cached>>>;

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

pub(crate) struct TokenCache {
    /// Random keys per process: the stored hash says nothing useful about the secret.
    hasher: std::collections::hash_map::RandomState,
    slots: Mutex<HashMap<(String, u64), Slot>>,
}

impl TokenCache {
    pub(crate) fn new() -> TokenCache {
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

    /// The cached token if still before its refresh time, else `fetch` once while other
    /// callers with the same credentials wait for its result. `fetch` returns the token and
    /// how long to use it before refreshing.
    pub(crate) async fn get_or_fetch<F, Fut, E>(
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
        let (token, valid_for) = fetch().await?;
        *guard = Some(Cached {
            token: token.clone(),
            refresh_at: now() + valid_for,
        });
        Ok(token)
    }

    /// Drop the cached token if it is still `used` (a concurrent caller may already have
    /// replaced it with a fresh one).
    pub(crate) async fn invalidate_if(&self, creds: &Credentials, used: &SecretString) {
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
