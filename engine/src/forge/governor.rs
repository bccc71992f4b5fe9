//! Keeps Tally within a forge's rate limit. One governor is shared by every
//! request to one forge instance with one token; it learns the budget from
//! the forge's own headers and makes callers wait for the reset rather than
//! spend the last unit (or, capped, the share left for others).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// A budget as the forge last reported it, plus what is in flight.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    limit: u64,
    remaining: u64,
    /// When the window renews, in epoch seconds.
    reset: u64,
    in_flight: u64,
}

tokio::task_local! {
    /// Set around work that waits for resets even under a governor that
    /// defers (see [`patiently`]).
    static PATIENT: ();
}

/// Runs `work` waiting for each reset instead of deferring to it: for a
/// piece of work that outgrew a whole window's share and would otherwise
/// be started again, and again cut short, at every reset.
pub async fn patiently<F: Future>(work: F) -> F::Output {
    PATIENT.scope((), work).await
}

/// What a caller does when the usable budget is spent until the reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// Sleep until the reset (someone is waiting for the answer).
    Wait,
    /// Give up at once with the reset time, so the work can be put off
    /// and the worker freed (discovery's background tasks).
    Defer,
}

/// A budget as the forge last reported it, for keeping and showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub bucket: String,
    pub limit: u64,
    pub remaining: u64,
    /// Epoch seconds.
    pub reset: u64,
}

#[derive(Debug)]
pub struct Governor {
    buckets: Mutex<HashMap<String, Bucket>>,
    /// The fraction of each budget Tally may spend (1.0: all of it).
    share: f64,
    patience: Patience,
    lowest_remaining: Mutex<Option<u64>>,
}

impl Default for Governor {
    fn default() -> Self {
        Self::new(1.0)
    }
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The rate-limit figures a response carries: GitHub's `x-ratelimit-*` or
/// GitLab's `ratelimit-*` (limit, remaining, reset in epoch seconds).
pub fn read_headers(headers: &HeaderMap) -> Option<(u64, u64, u64)> {
    let number =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    let pick = |names: [&str; 2]| names.iter().find_map(|n| number(n));
    Some((
        pick(["x-ratelimit-limit", "ratelimit-limit"])?,
        pick(["x-ratelimit-remaining", "ratelimit-remaining"])?,
        pick(["x-ratelimit-reset", "ratelimit-reset"])?,
    ))
}

impl Governor {
    /// `share` is clamped to (0, 1].
    pub fn new(share: f64) -> Self {
        Self::with_patience(share, Patience::Wait)
    }

    pub fn with_patience(share: f64, patience: Patience) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            share: share.clamp(0.01, 1.0),
            patience,
            lowest_remaining: Mutex::new(None),
        }
    }

    /// How this caller waits: as the governor was made, unless inside
    /// [`patiently`].
    pub fn patience(&self) -> Patience {
        if PATIENT.try_with(|()| ()).is_ok() {
            Patience::Wait
        } else {
            self.patience
        }
    }

    /// Every budget as last reported.
    pub fn standings(&self) -> Vec<Standing> {
        let mut all: Vec<_> = self
            .buckets()
            .iter()
            .map(|(bucket, b)| Standing {
                bucket: bucket.clone(),
                limit: b.limit,
                remaining: b.remaining,
                reset: b.reset,
            })
            .collect();
        all.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        all
    }

    /// Takes in a standing another process saw (kept in Postgres), unless
    /// this governor knows a later window or less budget in the same one.
    pub fn learn(&self, standing: &Standing) {
        let mut buckets = self.buckets();
        let known = buckets.get(&standing.bucket).copied();
        let newer = known.is_none_or(|b| {
            standing.reset > b.reset
                || (standing.reset == b.reset && standing.remaining < b.remaining)
        });
        if newer {
            buckets.insert(
                standing.bucket.clone(),
                Bucket {
                    limit: standing.limit,
                    remaining: standing.remaining,
                    reset: standing.reset,
                    in_flight: known.map_or(0, |b| b.in_flight),
                },
            );
        }
    }

    /// Units of `bucket` this governor may still spend in the current
    /// window, and how many a fresh window gives; `None` while the forge
    /// has not reported the budget.
    pub fn usable(&self, bucket: &str) -> Option<(u64, u64)> {
        let buckets = self.buckets();
        let b = buckets.get(bucket)?;
        let fresh = b.limit.saturating_sub(self.reserve(b.limit));
        let remaining = if now_epoch().saturating_sub(1) >= b.reset {
            b.limit
        } else {
            b.remaining
        };
        let usable = remaining
            .saturating_sub(self.reserve(b.limit))
            .saturating_sub(b.in_flight);
        Some((usable, fresh))
    }

    /// When `bucket`'s window renews, in epoch seconds.
    pub fn reset_of(&self, bucket: &str) -> Option<u64> {
        self.buckets().get(bucket).map(|b| b.reset)
    }

    fn buckets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Units of a budget kept back for other users of the token.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "the share is clamped to (0, 1] by new(), so the product is within \
                  0..=limit; budgets are far below 2^52, where f64 is exact"
    )]
    fn reserve(&self, limit: u64) -> u64 {
        limit - (limit as f64 * self.share).floor() as u64
    }

    /// Waits until `cost` units of `bucket` may be spent, then holds them
    /// until [`Governor::settle`]. Returns how long it waited, or, for a
    /// governor that defers, `Err` with the reset (epoch seconds) instead
    /// of waiting for it.
    pub async fn acquire(&self, bucket: &str, cost: u64) -> Result<Duration, u64> {
        let mut waited = Duration::ZERO;
        loop {
            let wait = {
                let mut buckets = self.buckets();
                match buckets.get_mut(bucket) {
                    None => None,
                    Some(b) => {
                        // One second's grace for clocks that differ from the forge's.
                        let now = now_epoch().saturating_sub(1);
                        if now >= b.reset {
                            // The window renewed since the forge last spoke.
                            b.remaining = b.limit;
                        }
                        let usable = b.remaining.saturating_sub(self.reserve(b.limit));
                        if b.in_flight + cost <= usable || b.limit == 0 {
                            b.in_flight += cost;
                            None
                        } else if b.in_flight > 0 && now < b.reset {
                            // Others hold units that may come back; look again soon.
                            Some(Duration::from_millis(50))
                        } else if self.patience() == Patience::Defer {
                            return Err(b.reset);
                        } else {
                            Some(Duration::from_secs(b.reset.saturating_sub(now).max(1)))
                        }
                    }
                }
            };
            match wait {
                None => return Ok(waited),
                Some(pause) => {
                    tracing::debug!(
                        bucket,
                        ?pause,
                        "rate-limit budget spent; waiting for the reset"
                    );
                    super::progress::waiting(pause);
                    tokio::time::sleep(pause).await;
                    super::progress::waited();
                    waited += pause;
                }
            }
        }
    }

    /// Gives back the units held for a request and takes in what the forge
    /// says about the budget now.
    pub fn settle(&self, bucket: &str, cost: u64, headers: Option<&HeaderMap>) {
        let reported = headers.and_then(read_headers);
        let mut buckets = self.buckets();
        if let Some(b) = buckets.get_mut(bucket) {
            b.in_flight = b.in_flight.saturating_sub(cost);
        }
        if let Some((limit, remaining, reset)) = reported {
            let known = buckets.get(bucket).copied();
            let in_flight = known.map_or(0, |b| b.in_flight);
            // Answers to requests in flight together arrive in any order: a
            // late one from the same window must not raise what is left.
            let remaining = match known {
                Some(b) if b.reset == reset => remaining.min(b.remaining),
                _ => remaining,
            };
            buckets.insert(
                bucket.to_owned(),
                Bucket {
                    limit,
                    remaining,
                    reset,
                    in_flight,
                },
            );
            let mut lowest = self
                .lowest_remaining
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *lowest = Some(lowest.map_or(remaining, |l| l.min(remaining)));
            super::progress::budget_reported(remaining);
        }
    }

    /// Marks a budget as spent until `reset` (epoch seconds), after the forge
    /// refused a request for it.
    pub fn exhausted(&self, bucket: &str, reset: u64) {
        let mut buckets = self.buckets();
        let entry = buckets.entry(bucket.to_owned()).or_insert(Bucket {
            limit: 1,
            remaining: 0,
            reset,
            in_flight: 0,
        });
        entry.remaining = 0;
        entry.reset = entry.reset.max(reset);
    }

    /// The least remaining budget any response reported: never below zero,
    /// and zero only when the governor then waited.
    pub fn lowest_remaining(&self) -> Option<u64> {
        *self
            .lowest_remaining
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn rate_limit_headers_read_as_sent(
            limit in proptest::num::u64::ANY,
            remaining in proptest::num::u64::ANY,
            reset in proptest::num::u64::ANY,
            gitlab in proptest::bool::ANY,
            missing in proptest::option::of(0usize..3),
        ) {
            let prefix = if gitlab { "ratelimit" } else { "x-ratelimit" };
            let mut map = HeaderMap::new();
            for (n, (name, value)) in [("limit", limit), ("remaining", remaining), ("reset", reset)].into_iter().enumerate() {
                if missing != Some(n) {
                    let name = reqwest::header::HeaderName::from_bytes(format!("{prefix}-{name}").as_bytes()).unwrap();
                    map.insert(name, HeaderValue::from_str(&format!(" {value} ")).unwrap());
                }
            }
            let read = read_headers(&map);
            match missing {
                None => proptest::prop_assert_eq!(read, Some((limit, remaining, reset))),
                Some(_) => proptest::prop_assert_eq!(read, None),
            }
        }

        #[test]
        fn no_rate_limit_header_makes_reading_panic(value in "[ -~]{0,24}") {
            let mut map = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&value) {
                for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
                    map.insert(name, value.clone());
                }
            }
            let read = read_headers(&map);
            proptest::prop_assert!(read.is_none() || value.trim().parse::<u64>().is_ok());
        }
    }
    use reqwest::header::HeaderValue;

    fn headers(limit: u64, remaining: u64, reset: u64) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in [
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-reset", reset),
        ] {
            map.insert(name, HeaderValue::from(value));
        }
        map
    }

    #[tokio::test]
    async fn an_unknown_budget_does_not_wait() {
        let governor = Governor::default();
        assert_eq!(governor.acquire("core", 1).await, Ok(Duration::ZERO));
    }

    #[tokio::test]
    async fn a_spent_budget_waits_for_its_reset() {
        let governor = Governor::default();
        governor.acquire("core", 1).await.unwrap();
        governor.settle("core", 1, Some(&headers(10, 0, now_epoch() + 1)));
        let waited = governor.acquire("core", 1).await.unwrap();
        assert!(waited >= Duration::from_secs(1), "{waited:?}");
        assert_eq!(governor.lowest_remaining(), Some(0));
    }

    #[tokio::test]
    async fn a_share_keeps_the_rest_of_the_budget_free() {
        let governor = Governor::new(0.5);
        governor.settle("core", 0, Some(&headers(100, 60, now_epoch() + 3600)));
        // 60 left, 50 reserved: ten requests may go at once, the eleventh waits.
        for _ in 0..10 {
            assert_eq!(governor.acquire("core", 1).await, Ok(Duration::ZERO));
        }
        let eleventh =
            tokio::time::timeout(Duration::from_millis(200), governor.acquire("core", 1)).await;
        assert!(eleventh.is_err(), "the eleventh request must wait");
    }

    #[tokio::test]
    async fn a_deferring_governor_answers_the_reset_instead_of_waiting() {
        let governor = Governor::with_patience(0.5, Patience::Defer);
        let reset = now_epoch() + 3600;
        governor.settle("core", 0, Some(&headers(100, 51, reset)));
        assert_eq!(governor.usable("core"), Some((1, 50)));
        assert_eq!(governor.acquire("core", 1).await, Ok(Duration::ZERO));
        governor.settle("core", 1, Some(&headers(100, 50, reset)));
        assert_eq!(governor.acquire("core", 1).await, Err(reset));
        assert_eq!(governor.usable("core"), Some((0, 50)));
    }

    #[tokio::test]
    async fn patient_work_waits_for_the_reset_under_a_deferring_governor() {
        let governor = Governor::with_patience(0.5, Patience::Defer);
        // Spent until the next second (the governor allows one more of grace).
        let reset = now_epoch() + 1;
        governor.settle("core", 0, Some(&headers(100, 50, reset)));
        assert_eq!(governor.acquire("core", 1).await, Err(reset));
        assert_eq!(governor.patience(), Patience::Defer);
        let waited = patiently(async {
            assert_eq!(governor.patience(), Patience::Wait);
            governor.acquire("core", 1).await
        })
        .await
        .unwrap();
        assert!(waited >= Duration::from_secs(1), "{waited:?}");
    }

    #[test]
    fn a_late_answer_from_the_same_window_does_not_raise_the_budget() {
        let governor = Governor::default();
        let reset = now_epoch() + 3600;
        governor.settle("core", 0, Some(&headers(100, 10, reset)));
        governor.settle("core", 0, Some(&headers(100, 12, reset)));
        assert_eq!(governor.standings()[0].remaining, 10);
        // A new window starts afresh.
        governor.settle("core", 0, Some(&headers(100, 99, reset + 3600)));
        assert_eq!(governor.standings()[0].remaining, 99);
    }

    #[test]
    fn a_standing_from_elsewhere_is_learnt_unless_older() {
        let governor = Governor::default();
        let standing = |remaining, reset| Standing {
            bucket: "core".into(),
            limit: 60,
            remaining,
            reset,
        };
        governor.learn(&standing(40, 2_000_000_000));
        governor.learn(&standing(50, 1_999_999_000));
        governor.learn(&standing(45, 2_000_000_000));
        assert_eq!(governor.standings(), vec![standing(40, 2_000_000_000)]);
        governor.learn(&standing(30, 2_000_000_000));
        assert_eq!(governor.standings(), vec![standing(30, 2_000_000_000)]);
    }

    #[test]
    fn gitlab_headers_are_read_too() {
        let mut map = HeaderMap::new();
        map.insert("ratelimit-limit", HeaderValue::from(2000));
        map.insert("ratelimit-remaining", HeaderValue::from(1999));
        map.insert("ratelimit-reset", HeaderValue::from(1_700_000_000u64));
        assert_eq!(read_headers(&map), Some((2000, 1999, 1_700_000_000)));
    }
}
