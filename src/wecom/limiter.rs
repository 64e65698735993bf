//! Per-receiver pacing: WeCom silently drops a member's messages beyond 30 a minute and 1000
//! an hour per app, while still answering errcode 0, so the client counts them itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) const PER_MINUTE: usize = 30;
pub(crate) const PER_HOUR: usize = 1000;
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Key: (CorpID, AgentId, lower-case userid).
type Key = (String, i64, String);

#[derive(Default)]
pub(crate) struct ReceiverLimiter {
    sent: Mutex<HashMap<Key, Vec<Instant>>>,
}

impl ReceiverLimiter {
    /// `None` if `userid` may get another message now, else how long until it may.
    pub(crate) fn wait_for(
        &self,
        corp: &str,
        agent: i64,
        userid: &str,
        now: Instant,
    ) -> Option<Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let times = sent.get_mut(&key(corp, agent, userid))?;
        times.retain(|t| now.saturating_duration_since(*t) < HOUR);
        let in_minute: Vec<&Instant> = times
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < MINUTE)
            .collect();
        let minute_wait = (in_minute.len() >= PER_MINUTE).then(|| {
            MINUTE - now.saturating_duration_since(*in_minute[in_minute.len() - PER_MINUTE])
        });
        let hour_wait = (times.len() >= PER_HOUR)
            .then(|| HOUR - now.saturating_duration_since(times[times.len() - PER_HOUR]));
        minute_wait.max(hour_wait)
    }

    pub(crate) fn record(&self, corp: &str, agent: i64, userid: &str, now: Instant) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.entry(key(corp, agent, userid)).or_default().push(now);
    }
}

fn key(corp: &str, agent: i64, userid: &str) -> Key {
    (corp.to_string(), agent, userid.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_a_minute_then_wait() {
        let l = ReceiverLimiter::default();
        let t0 = Instant::now();
        for i in 0..30 {
            assert_eq!(l.wait_for("c", 1, "U", t0 + Duration::from_secs(i)), None);
            l.record("c", 1, "U", t0 + Duration::from_secs(i));
        }
        let w = l
            .wait_for("c", 1, "u", t0 + Duration::from_secs(30))
            .unwrap();
        assert_eq!(w, Duration::from_secs(30));
        assert_eq!(l.wait_for("c", 2, "u", t0), None, "per app");
        assert_eq!(l.wait_for("c", 1, "u", t0 + Duration::from_secs(60)), None);
    }
}
