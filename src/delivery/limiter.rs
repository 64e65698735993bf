//! Pacing of DingTalk calls (per app and API: DingTalk allows 20 calls/s on the standard
//! edition) and the retry backoff.

use std::time::Duration;

use tokio::time::Instant;

/// Spaces calls at least `1/rate` apart; never bursts above the rate.
#[derive(Debug)]
pub struct Limiter {
    interval: Duration,
    next: Option<Instant>,
}

impl Limiter {
    pub fn per_second(rate: f64) -> Limiter {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            20.0
        };
        Limiter {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: None,
        }
    }

    /// Wait for the next slot.
    pub async fn acquire(&mut self) {
        let now = Instant::now();
        let slot = match self.next {
            Some(t) if t > now => t,
            _ => now,
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
        self.next = Some(slot + self.interval);
    }
}

/// Exponential backoff with ±25 % jitter: base·2^(attempt−1), capped.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let d = exp.min(cap);
    let jitter = rand::random::<f64>() * 0.5 + 0.75;
    d.mul_f64(jitter).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        let b1 = backoff(1, base, cap);
        assert!(b1 >= Duration::from_millis(750) && b1 <= Duration::from_millis(1250));
        let b4 = backoff(4, base, cap);
        assert!(b4 >= Duration::from_secs(6) && b4 <= Duration::from_secs(10));
        assert!(backoff(30, base, cap) <= cap);
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_calls() {
        let mut l = Limiter::per_second(10.0);
        let start = Instant::now();
        for _ in 0..11 {
            l.acquire().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(1000));
        assert!(start.elapsed() < Duration::from_millis(1100));
    }
}
