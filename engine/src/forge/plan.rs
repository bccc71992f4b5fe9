//! Spending planned before it starts. Work made of parts read side by side
//! (a health check's organisations) claims what each part will spend once
//! its size is known, and starts spending only when every part has
//! claimed: work the forges' rate limits cannot cover now is refused at
//! once, having spent only what sizing it took, instead of waiting for the
//! reset in the middle of someone's request.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use super::http::Http;
use crate::error::{Error, Result, epoch_time};

/// The requests one piece of work has claimed, per governor and budget.
#[derive(Debug)]
pub struct Plan {
    claimed: Mutex<HashMap<(usize, &'static str), u64>>,
    state: watch::Sender<State>,
}

#[derive(Debug, Clone)]
struct State {
    /// Parts that have neither claimed nor ended.
    undecided: usize,
    /// The claim that was refused: every part waiting fails with it too.
    refusal: Option<Refusal>,
}

#[derive(Debug, Clone)]
struct Refusal {
    what: String,
    needed: u64,
    usable: u64,
    window: u64,
    until: Option<chrono::DateTime<chrono::Utc>>,
}

impl Refusal {
    fn error(self) -> Error {
        Error::OverBudget {
            what: self.what,
            needed: self.needed,
            usable: self.usable,
            window: self.window,
            until: self.until,
        }
    }
}

/// A budget's size where the forge says only that (Bitbucket's
/// `X-RateLimit-Limit`), not what is left.
#[derive(Debug, Clone, Copy)]
pub struct Window(pub u64);

/// One part's place in a [`Plan`]: it claims once, or, dropped without
/// claiming (kept answers, a missing organisation, a failure), claims
/// nothing.
#[derive(Debug)]
pub struct Part<'p> {
    plan: &'p Plan,
    decided: bool,
}

impl Plan {
    /// A plan for `parts` parts; take each with [`Plan::part`].
    pub fn new(parts: usize) -> Self {
        Self {
            claimed: Mutex::new(HashMap::new()),
            state: watch::Sender::new(State {
                undecided: parts,
                refusal: None,
            }),
        }
    }

    pub fn part(&self) -> Part<'_> {
        Part {
            plan: self,
            decided: false,
        }
    }

    /// Adds `cost` to what the plan claims of `bucket` on `http`'s budget,
    /// or refuses when the plan's claims would pass what is usable now.
    /// A budget the forge has not reported is checked only against
    /// `window`, when given.
    fn add(
        &self,
        http: &Http,
        bucket: &'static str,
        cost: u64,
        window: Option<Window>,
        what: impl FnOnce() -> String,
    ) -> Result<(), Refusal> {
        let governor = http.governor();
        let key = (std::ptr::from_ref(governor) as usize, bucket);
        let mut claimed = self
            .claimed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let total = claimed.get(&key).copied().unwrap_or(0) + cost;
        let (usable, fresh, until) = match governor.usable(bucket) {
            Some((usable, fresh)) => (usable, fresh, governor.reset_of(bucket)),
            None => match window {
                Some(Window(size)) => (size, size, None),
                None => (u64::MAX, u64::MAX, None),
            },
        };
        if total > usable {
            return Err(Refusal {
                what: what(),
                needed: total,
                usable,
                window: fresh,
                until: until.map(epoch_time),
            });
        }
        claimed.insert(key, total);
        Ok(())
    }

    fn decide(&self, refusal: Option<Refusal>) {
        self.state.send_modify(|state| {
            state.undecided = state.undecided.saturating_sub(1);
            state.refusal = state.refusal.take().or(refusal);
        });
    }
}

impl Part<'_> {
    /// Claims `cost` units of `bucket` on `http`'s budget for `what`, then
    /// waits until every other part has claimed or ended. Refused with
    /// [`Error::OverBudget`] when the plan's claims together pass what the
    /// budget can give now (see [`Plan::add`]), or when another part's
    /// claim was.
    pub async fn claim(
        mut self,
        http: &Http,
        bucket: &'static str,
        cost: u64,
        window: Option<Window>,
        what: impl FnOnce() -> String,
    ) -> Result<()> {
        let refused = self.plan.add(http, bucket, cost, window, what).err();
        self.decided = true;
        self.plan.decide(refused);
        let mut state = self.plan.state.subscribe();
        // The sender lives in the plan, which outlives this part.
        let decided = state
            .wait_for(|s| s.undecided == 0 || s.refusal.is_some())
            .await
            .map(|s| s.refusal.clone());
        match decided {
            Ok(Some(refusal)) => Err(refusal.error()),
            _ => Ok(()),
        }
    }
}

impl Drop for Part<'_> {
    fn drop(&mut self) {
        if !self.decided {
            self.plan.decide(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::governor::{Governor, Standing};
    use crate::forge::http::{Auth, Limits};
    use std::sync::Arc;

    fn http_with(remaining: u64, limit: u64) -> Http {
        let governor = Arc::new(Governor::new(1.0));
        governor.learn(&Standing {
            bucket: "core".into(),
            limit,
            remaining,
            reset: u64::try_from(chrono::Utc::now().timestamp()).unwrap() + 600,
        });
        Http::new(Auth::None, &Limits::new(governor)).unwrap()
    }

    #[tokio::test]
    async fn parts_start_only_when_all_have_claimed_and_together_fit() {
        let http = http_with(100, 5000);
        let plan = Plan::new(3);
        let (first, second, third) = (plan.part(), plan.part(), plan.part());
        let claims = async {
            tokio::join!(first.claim(&http, "core", 60, None, || "a".into()), async {
                // Kept answers: this part ends without claiming.
                drop(third);
                second.claim(&http, "core", 40, None, || "b".into()).await
            },)
        };
        let (a, b) = tokio::time::timeout(std::time::Duration::from_secs(5), claims)
            .await
            .expect("no part waits once all have decided");
        assert!(a.is_ok() && b.is_ok(), "60 + 40 fit in 100");

        let plan = Plan::new(2);
        let (first, second) = (plan.part(), plan.part());
        let (a, b) = tokio::join!(
            first.claim(&http, "core", 60, None, || "a".into()),
            second.claim(&http, "core", 41, None, || "b".into()),
        );
        // Both fail, the one that fit too: neither spends past its sizing.
        for refused in [a.unwrap_err(), b.unwrap_err()] {
            assert!(
                matches!(
                    refused,
                    Error::OverBudget {
                        needed: 101,
                        usable: 100,
                        window: 5000,
                        until: Some(_),
                        ..
                    }
                ),
                "{refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_unreported_budget_is_checked_against_the_window_given() {
        let http = Http::new(Auth::None, &Limits::new(Arc::new(Governor::new(1.0)))).unwrap();
        let plan = Plan::new(1);
        let refused = plan
            .part()
            .claim(&http, "api", 2011, Some(Window(1000)), || "w".into())
            .await
            .unwrap_err();
        assert!(matches!(
            refused,
            Error::OverBudget {
                window: 1000,
                until: None,
                ..
            }
        ));
        let plan = Plan::new(1);
        assert!(
            plan.part()
                .claim(&http, "api", 2011, None, || "w".into())
                .await
                .is_ok()
        );
    }
}
