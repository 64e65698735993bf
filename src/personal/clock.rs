//! The clock a platform client decides token expiry (and WeCom pacing) by: the real one plus
//! an offset that tests move forward together with a fake server's clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub(crate) struct MovableClock {
    offset_ms: AtomicU64,
}

impl MovableClock {
    pub(crate) fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_that_much() {
        let clock = MovableClock::default();
        let before = Instant::now();
        clock.advance(Duration::from_secs(3600));
        clock.advance(Duration::from_millis(1));
        let moved = clock.now().duration_since(before);
        assert!(moved >= Duration::from_millis(3_600_001), "{moved:?}");
        assert!(moved < Duration::from_secs(3660), "{moved:?}");
    }
}
