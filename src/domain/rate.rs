//! The token bucket that paces one caller: `burst` calls at once, then `rate` a second.
//! Pure arithmetic over the instants it is given.
use std::time::{Duration, Instant};

/// How fast a caller may go.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    /// Calls a second, sustained; zero turns pacing off.
    pub rate: f64,
    /// Calls that may come at once after a quiet spell.
    pub burst: f64,
}

/// One caller's bucket: how many calls it may make now, as of `at`.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn full(pace: Pace, now: Instant) -> Self {
        Self {
            tokens: pace.burst.max(1.0),
            at: now,
        }
    }

    /// Takes one call, or says how long until one may be made.
    pub fn take(&mut self, pace: Pace, now: Instant) -> Result<(), Duration> {
        if pace.rate <= 0.0 {
            return Ok(());
        }
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * pace.rate).min(pace.burst.max(1.0));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            // A rate too small to wait for in a `Duration` waits as long as one can.
            Err(Duration::try_from_secs_f64((1.0 - self.tokens) / pace.rate)
                .unwrap_or(Duration::MAX))
        }
    }

    /// Whether the bucket has refilled, so forgetting it changes nothing.
    pub fn is_full(&self, pace: Pace, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens + elapsed * pace.rate >= pace.burst.max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACE: Pace = Pace {
        rate: 2.0,
        burst: 3.0,
    };

    #[test]
    fn a_burst_then_the_steady_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::full(PACE, start);
        for _ in 0..3 {
            assert!(bucket.take(PACE, start).is_ok());
        }
        let wait = bucket.take(PACE, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        let later = start + Duration::from_millis(500);
        assert!(bucket.take(PACE, later).is_ok());
        assert!(bucket.take(PACE, later).is_err());
    }

    #[test]
    fn refills_up_to_the_burst_only() {
        let start = Instant::now();
        let mut bucket = Bucket::full(PACE, start);
        assert!(bucket.take(PACE, start).is_ok());
        let much_later = start + Duration::from_secs(3600);
        assert!(bucket.is_full(PACE, much_later));
        for _ in 0..3 {
            assert!(bucket.take(PACE, much_later).is_ok());
        }
        assert!(bucket.take(PACE, much_later).is_err());
    }

    #[test]
    fn a_tiny_rate_waits_long_without_overflowing() {
        let pace = Pace {
            rate: 1e-300,
            burst: 1.0,
        };
        let now = Instant::now();
        let mut bucket = Bucket::full(pace, now);
        assert!(bucket.take(pace, now).is_ok());
        assert_eq!(bucket.take(pace, now), Err(Duration::MAX));
    }

    #[test]
    fn a_zero_rate_is_unlimited() {
        let off = Pace {
            rate: 0.0,
            burst: 0.0,
        };
        let now = Instant::now();
        let mut bucket = Bucket::full(off, now);
        for _ in 0..1000 {
            assert!(bucket.take(off, now).is_ok());
        }
    }
}
