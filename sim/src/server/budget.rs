//! Rate-limit budgets as the forges keep them: a fixed number of units per
//! principal (token, or the anonymous caller) and resource, per window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Who is being charged: a token, or an unauthenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    Token(String),
    Anonymous,
}

/// A limit and the window it renews in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub units: u32,
    pub window: Duration,
}

/// The state of one budget after a request, for the rate-limit headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
    /// When the window renews, in epoch seconds.
    pub reset: i64,
}

#[derive(Debug)]
struct Window {
    started: DateTime<Utc>,
    used: u32,
    /// What each earlier window used, oldest first (for benchmarks that
    /// check a client kept to its share).
    before: Vec<u32>,
}

#[derive(Debug, Default)]
pub struct Budgets {
    windows: Mutex<HashMap<(Principal, &'static str), Window>>,
}

impl Budgets {
    /// Charges `cost` units if the budget has them. `Err` carries the standing
    /// of an exhausted budget; nothing is charged then.
    pub fn charge(
        &self,
        principal: &Principal,
        resource: &'static str,
        limit: Limit,
        cost: u32,
        now: DateTime<Utc>,
    ) -> Result<Standing, Standing> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = windows
            .entry((principal.clone(), resource))
            .or_insert(Window {
                started: now,
                used: 0,
                before: Vec::new(),
            });
        let length = chrono::Duration::from_std(limit.window).unwrap_or(chrono::Duration::hours(1));
        // Windows end on a whole second, as the `reset` the forges report does.
        let ends = |started: DateTime<Utc>| {
            let end = started + length;
            let whole = end.timestamp();
            if end.timestamp_subsec_nanos() > 0 {
                whole + 1
            } else {
                whole
            }
        };
        if now.timestamp() >= ends(window.started) {
            let used = std::mem::take(&mut window.used);
            window.before.push(used);
            window.started = now;
        }
        let fits = window.used + cost <= limit.units;
        if fits {
            window.used += cost;
        }
        let standing = Standing {
            limit: limit.units,
            used: window.used,
            remaining: limit.units.saturating_sub(window.used),
            reset: ends(window.started),
        };
        if fits { Ok(standing) } else { Err(standing) }
    }

    /// Units each window of one budget used, oldest first, the current one
    /// last.
    pub fn usage(&self, principal: &Principal, resource: &'static str) -> Vec<u32> {
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        windows
            .get(&(principal.clone(), resource))
            .map(|w| w.before.iter().copied().chain([w.used]).collect())
            .unwrap_or_default()
    }

    /// The standing without charging (for 304s and `/rate_limit`).
    pub fn peek(
        &self,
        principal: &Principal,
        resource: &'static str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Standing {
        match self.charge(principal, resource, limit, 0, now) {
            Ok(standing) | Err(standing) => standing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        units: 3,
        window: Duration::from_secs(60),
    };

    #[test]
    fn a_budget_runs_out_then_renews_with_the_window() {
        let budgets = Budgets::default();
        let token = Principal::Token("t".into());
        let t0 = chrono::TimeZone::timestamp_opt(&Utc, 1_700_000_000, 500_000_000).unwrap();
        for expected_remaining in [2, 1, 0] {
            assert_eq!(
                budgets
                    .charge(&token, "core", LIMIT, 1, t0)
                    .unwrap()
                    .remaining,
                expected_remaining
            );
        }
        let refused = budgets.charge(&token, "core", LIMIT, 1, t0).unwrap_err();
        assert_eq!(refused.remaining, 0);
        // Half a second past a whole second: the window ends on the next one.
        assert_eq!(refused.reset, 1_700_000_061);
        let just_before = t0 + chrono::Duration::milliseconds(60_400);
        assert!(
            budgets
                .charge(&token, "core", LIMIT, 1, just_before)
                .is_err()
        );
        let renewed = budgets
            .charge(
                &token,
                "core",
                LIMIT,
                1,
                t0 + chrono::Duration::milliseconds(60_500),
            )
            .unwrap();
        assert_eq!(renewed.remaining, 2);
    }

    #[test]
    fn principals_and_resources_have_separate_budgets() {
        let budgets = Budgets::default();
        let now = Utc::now();
        let a = Principal::Token("a".into());
        budgets.charge(&a, "core", LIMIT, 3, now).unwrap();
        assert!(budgets.charge(&a, "search", LIMIT, 1, now).is_ok());
        assert!(
            budgets
                .charge(&Principal::Anonymous, "core", LIMIT, 1, now)
                .is_ok()
        );
        assert!(budgets.charge(&a, "core", LIMIT, 1, now).is_err());
    }
}
