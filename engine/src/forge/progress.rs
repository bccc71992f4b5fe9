//! What one fetch is doing right now, for the people watching it: requests
//! sent, the forge's budget left, and a rate-limit wait under way.
//!
//! The HTTP layer reports into the [`Progress`] of the task it runs in (a
//! task-local set by [`Progress::track`]), so the forge clients need not
//! pass it through every call.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use model::query::FetchProgress;

tokio::task_local! {
    static CURRENT: Arc<Progress>;
}

/// Counters of one fetch, shared between the fetching task and readers.
#[derive(Debug, Default)]
pub struct Progress {
    requests: AtomicU64,
    /// The budget the forge last reported, plus one (0: not reported).
    remaining: AtomicU64,
    /// Epoch milliseconds until which the fetch waits on a rate limit (0: not waiting).
    waiting_until: AtomicI64,
}

impl Progress {
    /// Runs `work` with its requests counted into `self`.
    pub async fn track<F: Future>(self: &Arc<Self>, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }

    pub fn snapshot(&self) -> FetchProgress {
        let remaining = self.remaining.load(Ordering::Relaxed);
        let until = self.waiting_until.load(Ordering::Relaxed);
        FetchProgress {
            requests: self.requests.load(Ordering::Relaxed),
            budget_left: remaining.checked_sub(1),
            waiting_until: (until > 0)
                .then(|| DateTime::<Utc>::from_timestamp_millis(until))
                .flatten(),
        }
    }
}

fn with_current(report: impl FnOnce(&Progress)) {
    let _ = CURRENT.try_with(|progress| report(progress));
}

pub(crate) fn request_sent() {
    with_current(|p| {
        p.requests.fetch_add(1, Ordering::Relaxed);
    });
}

pub(crate) fn budget_reported(remaining: u64) {
    with_current(|p| {
        p.remaining
            .store(remaining.saturating_add(1), Ordering::Relaxed);
    });
}

/// Marks a rate-limit wait of `pause` starting now; [`waited`] ends it.
/// Waits under a second (for units others hold) are not worth showing.
pub(crate) fn waiting(pause: std::time::Duration) {
    if pause < std::time::Duration::from_secs(1) {
        return;
    }
    let until = Utc::now() + pause;
    with_current(|p| {
        p.waiting_until
            .store(until.timestamp_millis(), Ordering::Relaxed);
    });
}

pub(crate) fn waited() {
    with_current(|p| p.waiting_until.store(0, Ordering::Relaxed));
}
