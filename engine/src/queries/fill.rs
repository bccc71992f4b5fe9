//! Keeping the contribution cache filled: for each identity of a query,
//! fetch only the days not yet fetched (or recent days grown stale), one
//! fetch at a time per identity, and record what the forge said about it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{Duration, NaiveDate};
use model::query::{AccountSpec, BudgetLeft, FetchCost, FetchProgress};

use crate::error::{Error, Result};
use crate::forge::directory::Directory;
use crate::forge::governor;
use crate::forge::progress::Progress;
use crate::store::Store;
use model::query::AccountState;

use crate::store::contributions::IdentityId;

/// When cached days are fetched again.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    /// Days this close to today are refreshed once older than `max_age`;
    /// older days are kept as fetched.
    pub recent_days: i64,
    pub max_age: Duration,
    /// An account whose forge failed is tried again on opening a query
    /// only after this long (sooner by asking to retry).
    pub retry_failed_after: Duration,
}

impl Default for Freshness {
    fn default() -> Self {
        Self {
            recent_days: 3,
            max_age: Duration::hours(1),
            retry_failed_after: Duration::minutes(10),
        }
    }
}

/// How long a claim to fetch an identity holds unless renewed; a process
/// that dies mid-fetch blocks others this long at most. Renewed three times
/// a lease, so a busy process keeps its claim; two fetching at once would
/// only store the same pieces twice over, each whole.
const LEASE: Duration = Duration::seconds(30);
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The most days fetched in one go: each piece is stored as it arrives, so
/// a long range fills in newest first and a failure keeps what came before.
const PIECE_DAYS: i64 = 92;

/// `runs` cut into pieces of at most [`PIECE_DAYS`], newest first.
fn pieces(runs: &[(NaiveDate, NaiveDate)]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut pieces = Vec::new();
    for &(start, end) in runs.iter().rev() {
        let mut piece_end = end;
        while piece_end >= start {
            let piece_start = (piece_end - Duration::days(PIECE_DAYS - 1)).max(start);
            pieces.push((piece_start, piece_end));
            piece_end = piece_start - Duration::days(1);
        }
    }
    pieces
}

/// What became of one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its days are in the cache; `fetched` runs of days were fetched now.
    Ready {
        fetched: usize,
    },
    NotFound,
    /// The forge failed after retries; the days fetched before stay, the
    /// failed ones stay missing (never zero).
    Failed(String),
}

/// Fills the cache for queries.
pub struct Filler {
    store: Store,
    directory: Arc<Directory>,
    freshness: Freshness,
    /// One lock per identity being fetched or waited for: concurrent
    /// queries wait for one fetch. An entry goes when nobody holds it.
    locks: Mutex<HashMap<IdentityId, Arc<tokio::sync::Mutex<()>>>>,
    /// The last [`LOG_KEPT`] runs of days fetched, in order (for the
    /// operator and tests).
    log: Mutex<VecDeque<(IdentityId, NaiveDate, NaiveDate)>>,
    /// The fetches under way in this process.
    progress: Mutex<HashMap<IdentityId, Arc<Progress>>>,
}

/// How many runs of days fetched the log keeps.
const LOG_KEPT: usize = 1000;

/// An identity's entry in the locks, taken for one [`Filler::ensure`];
/// dropped however that ends, it removes the entry unless someone else
/// holds or waits for it, so the map never outgrows the fetches under way.
struct IdentityLock<'a> {
    filler: &'a Filler,
    id: IdentityId,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for IdentityLock<'_> {
    fn drop(&mut self) {
        let mut locks = lock(&self.filler.locks);
        // The map's and this one's: nobody else holds it or waits for it
        // (others clone it only under the map's lock, held here).
        if Arc::strong_count(&self.lock) == 2 {
            locks.remove(&self.id);
        }
    }
}

/// Unlists a fetch's progress when the fetch ends, however it ends.
struct Listed<'a> {
    filler: &'a Filler,
    id: IdentityId,
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        lock(&self.filler.progress).remove(&self.id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Filler {
    pub fn new(store: Store, directory: Arc<Directory>, freshness: Freshness) -> Self {
        Self {
            store,
            directory,
            freshness,
            locks: Mutex::new(HashMap::new()),
            log: Mutex::new(VecDeque::new()),
            progress: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn fetch_log(&self) -> Vec<(IdentityId, NaiveDate, NaiveDate)> {
        lock(&self.log).iter().copied().collect()
    }

    /// How the fetch of an identity is going, while one is under way here.
    pub fn progress(&self, id: IdentityId) -> Option<FetchProgress> {
        lock(&self.progress).get(&id).map(|p| p.snapshot())
    }

    fn lock_for(&self, id: IdentityId) -> IdentityLock<'_> {
        IdentityLock {
            filler: self,
            id,
            lock: lock(&self.locks).entry(id).or_default().clone(),
        }
    }

    fn logged(&self, id: IdentityId, start: NaiveDate, end: NaiveDate) {
        let mut log = lock(&self.log);
        if log.len() >= LOG_KEPT {
            log.pop_front();
        }
        log.push_back((id, start, end));
    }

    /// How many identities this process holds a fetch lock for (fetched or
    /// waited for now).
    pub fn locks_held(&self) -> usize {
        lock(&self.locks).len()
    }

    /// Whether every account's days `from..=to` are in the cache and fresh
    /// (an account found missing counts as current until `max_age` passes,
    /// one whose forge failed until `retry_failed_after` does). Two reads
    /// however many accounts, and never creates an identity.
    pub async fn are_current(
        &self,
        accounts: &[AccountSpec],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<bool> {
        let known = self.store.known_identities(accounts).await?;
        if known.len() < accounts.len() {
            return Ok(false);
        }
        // Opened, so kept (see `Store::forget_unused_identities`).
        let ids: Vec<IdentityId> = known.iter().map(|k| k.id).collect();
        self.store.touch_identities(&ids).await?;
        let within = |checked: Option<chrono::DateTime<chrono::Utc>>, age| {
            checked.is_some_and(|at| chrono::Utc::now() - at < age)
        };
        let unsettled: Vec<IdentityId> = known
            .into_iter()
            .filter(|k| match k.state {
                AccountState::NotFound => !within(k.checked_at, self.freshness.max_age),
                AccountState::Failed => !within(k.checked_at, self.freshness.retry_failed_after),
                AccountState::Unknown | AccountState::Ok => true,
            })
            .map(|k| k.id)
            .collect();
        let incomplete = self
            .store
            .incomplete(
                &unsettled,
                from,
                to,
                self.freshness.recent_days,
                self.freshness.max_age,
            )
            .await?;
        Ok(incomplete.is_empty())
    }

    /// What fetching `accounts`' days `from..=to` would cost, per forge
    /// instance, before anything is fetched: the pieces [`Filler::ensure`]
    /// would fetch now, priced at what pieces took here on average. Reads
    /// only; never creates an identity.
    pub async fn estimate(
        &self,
        accounts: &[AccountSpec],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FetchCost>> {
        let known: HashMap<AccountSpec, IdentityId> = self
            .store
            .known_identities(accounts)
            .await?
            .into_iter()
            .map(|k| (k.account, k.id))
            .collect();
        // One read per account already known, side by side.
        let runs = futures_util::future::try_join_all(accounts.iter().map(|account| async {
            match known.get(account) {
                Some(&id) => self.days_to_fetch(id, from, to).await,
                None => Ok(vec![(from, to)]),
            }
        }))
        .await?;
        let mut pieces_of: BTreeMap<(model::forge::Forge, Option<String>), u64> = BTreeMap::new();
        for (account, runs) in accounts.iter().zip(runs) {
            *pieces_of
                .entry((account.forge, account.instance.clone()))
                .or_default() += pieces(&runs).len() as u64;
        }
        let costs = self.store.piece_costs().await?;
        Ok(pieces_of
            .into_iter()
            .map(|((forge, instance), pieces)| {
                let average = costs.get(&(forge, instance.clone().unwrap_or_default()));
                FetchCost {
                    budget: self.budget_left(forge, instance.as_deref()),
                    forge,
                    instance,
                    pieces,
                    requests: average.map(|cost| cost.of(pieces)),
                }
            })
            .collect())
    }

    /// The scarcest budget the forge last reported to the clients queries
    /// fetch with; `None` before it reported any.
    fn budget_left(
        &self,
        forge: model::forge::Forge,
        instance: Option<&str>,
    ) -> Option<BudgetLeft> {
        let client = self.directory.client_at(forge, instance).ok()?;
        let scarcest = client
            .http()
            .governor()
            .standings()
            .into_iter()
            .min_by_key(|s| s.remaining)?;
        Some(BudgetLeft {
            remaining: scarcest.remaining,
            limit: scarcest.limit,
            resets_at: chrono::DateTime::from_timestamp(i64::try_from(scarcest.reset).ok()?, 0)?,
        })
    }

    /// Makes `from..=to` of an account's contributions available in the
    /// store, fetching only what is missing or stale.
    pub async fn ensure(
        &self,
        account: &AccountSpec,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(IdentityId, Outcome)> {
        let id = self.store.identity(account).await?;
        let identity_lock = self.lock_for(id);
        let _only_one_fetch_here = identity_lock.lock.lock().await;
        // Another process may be fetching it: wait for its lease to end,
        // then fetch only what it left.
        loop {
            let runs = self.days_to_fetch(id, from, to).await?;
            if runs.is_empty() {
                return Ok((id, self.settled(id).await?));
            }
            if self.store.claim_fetch(id, LEASE).await? {
                let outcome = self.fetch_leased(account, id, &runs).await;
                let released = self.store.release_fetch(id).await;
                let outcome = outcome?;
                released?;
                return Ok((id, outcome));
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    /// What is known of an identity with nothing left to fetch.
    async fn settled(&self, id: IdentityId) -> Result<Outcome> {
        let (state, problem) = self.store.identity_state(id).await?;
        Ok(match state {
            AccountState::NotFound => Outcome::NotFound,
            AccountState::Failed => Outcome::Failed(problem.unwrap_or_default()),
            _ => Outcome::Ready { fetched: 0 },
        })
    }

    /// Fetches `runs` while renewing the lease claimed for it.
    async fn fetch_leased(
        &self,
        account: &AccountSpec,
        id: IdentityId,
        runs: &[(NaiveDate, NaiveDate)],
    ) -> Result<Outcome> {
        let fetch = self.fetch(account, id, runs);
        tokio::pin!(fetch);
        let mut renew = tokio::time::interval(RENEW_EVERY);
        renew.tick().await;
        loop {
            tokio::select! {
                outcome = &mut fetch => return outcome,
                _ = renew.tick() => {
                    if let Err(error) = self.store.renew_fetch(id, LEASE).await {
                        tracing::warn!(identity = id, %error, "renewing a fetch lease failed");
                    }
                }
            }
        }
    }

    async fn fetch(
        &self,
        account: &AccountSpec,
        id: IdentityId,
        runs: &[(NaiveDate, NaiveDate)],
    ) -> Result<Outcome> {
        let client = match self.directory.client(account) {
            Ok(client) => client,
            Err(error) => return self.failed(id, error).await,
        };
        let progress = Arc::new(Progress::default());
        lock(&self.progress).insert(id, progress.clone());
        let _listed = Listed { filler: self, id };
        let pieces = pieces(runs);
        let mut patient = false;
        let mut next = 0;
        while let Some(&(start, end)) = pieces.get(next) {
            self.logged(id, start, end);
            let asked_before = progress.snapshot().requests;
            let piece = client.contributions(&account.username, start, end);
            let fetched = if patient {
                progress.track(governor::patiently(piece)).await
            } else {
                progress.track(piece).await
            };
            match fetched {
                Ok(items) => {
                    // A write that fails leaves the account failed, not "ok"
                    // with days missing.
                    if let Err(error) = self.store.replace_days(id, start, end, &items).await {
                        return self.failed(id, error).await;
                    }
                    let requests = progress.snapshot().requests - asked_before;
                    if let Err(error) = self.store.record_piece_cost(account, requests).await {
                        tracing::warn!(identity = id, %error, "recording what a piece cost failed");
                    }
                    next += 1;
                }
                // The first piece had the share of a window to itself (a
                // fetch put off starts again only after the reset), asked,
                // and still did not fit: stored whole or not at all, it
                // would be cut short at every reset. From here on this
                // fetch waits for resets instead, still within the share.
                Err(Error::Deferred { .. })
                    if next == 0 && !patient && progress.snapshot().requests > asked_before =>
                {
                    tracing::info!(
                        identity = id,
                        "a piece outgrew its share of a rate-limit window; waiting for resets"
                    );
                    patient = true;
                }
                Err(Error::NotFound { what }) => {
                    self.store
                        .set_identity_state(id, AccountState::NotFound, Some(&what))
                        .await?;
                    return Ok(Outcome::NotFound);
                }
                Err(error) => return self.failed(id, error).await,
            }
        }
        self.store
            .set_identity_state(id, AccountState::Ok, None)
            .await?;
        Ok(Outcome::Ready {
            fetched: pieces.len(),
        })
    }

    /// The runs of days of `from..=to` an identity still needs, by this
    /// filler's freshness.
    async fn days_to_fetch(
        &self,
        id: IdentityId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, NaiveDate)>> {
        self.store
            .days_to_fetch(
                id,
                from,
                to,
                self.freshness.recent_days,
                self.freshness.max_age,
            )
            .await
    }

    async fn failed(&self, id: IdentityId, error: Error) -> Result<Outcome> {
        let message = error.to_string();
        tracing::warn!(identity = id, %message, "fetching contributions failed");
        self.store
            .set_identity_state(id, AccountState::Failed, Some(&message))
            .await?;
        Ok(Outcome::Failed(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn long_runs_are_cut_into_pieces_newest_first() {
        let runs = [
            (day("2025-01-01"), day("2025-01-10")),
            (day("2025-03-01"), day("2025-09-30")),
        ];
        let cut = pieces(&runs);
        assert_eq!(
            cut,
            vec![
                (day("2025-07-01"), day("2025-09-30")),
                (day("2025-03-31"), day("2025-06-30")),
                (day("2025-03-01"), day("2025-03-30")),
                (day("2025-01-01"), day("2025-01-10")),
            ]
        );
        let days: i64 = cut.iter().map(|(s, e)| (*e - *s).num_days() + 1).sum();
        assert_eq!(days, 10 + 214);
    }
}
