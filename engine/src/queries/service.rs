//! What the pages and the API call: queries by hash, their cache filled in
//! the background (one refresh per query at a time), and answers
//! remembered until the data under them changes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use model::activity::Activity;
use model::period::Period;
use model::query::{
    ContributionPage, FetchCost, PeriodItems, QueryCost, QueryHash, QuerySpec, Summary,
    UnfetchedDays,
};

use super::{Bounds, Reading, page, period, read, refresh};
use crate::answers::{Answers, json_bytes};
use crate::error::Result;
use crate::queries::fill::Filler;
use crate::store::Store;

/// How long "the cache is current" is believed without asking again:
/// recent days go stale with the clock, not only with writes.
const CURRENT_FOR: Duration = Duration::from_secs(10);
const REMEMBERED: usize = 4096;
/// What each kind of remembered answer may weigh together (see
/// [`crate::answers`]): a query's reading can be hundreds of kilobytes.
const REMEMBERED_BYTES: usize = 16 * 1024 * 1024;

/// Which list a page belongs to: the query's, or one day's or week's.
type PageKey = (QueryHash, Option<Period>, Option<String>, usize);

pub struct Queries {
    filler: Arc<Filler>,
    bounds: Bounds,
    /// Hashes whose refresh runs now.
    running: Mutex<HashSet<QueryHash>>,
    /// A hash never changes meaning, so its spec is kept under generation 0.
    specs: Answers<QueryHash, QuerySpec>,
    current: Answers<QueryHash, bool>,
    readings: Answers<QueryHash, Reading>,
    pages: Answers<PageKey, ContributionPage>,
}

impl Queries {
    pub fn new(filler: Arc<Filler>, bounds: Bounds) -> Self {
        Self {
            filler,
            bounds,
            running: Mutex::new(HashSet::new()),
            specs: Answers::new(REMEMBERED, REMEMBERED_BYTES, json_bytes, None),
            current: Answers::new(REMEMBERED, REMEMBERED_BYTES, |_| 1, Some(CURRENT_FOR)),
            readings: Answers::new(REMEMBERED, REMEMBERED_BYTES, Reading::weight, None),
            pages: Answers::new(REMEMBERED * 4, REMEMBERED_BYTES, json_bytes, None),
        }
    }

    pub fn store(&self) -> &Store {
        self.filler.store()
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashSet<QueryHash>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn is_running(&self, hash: &QueryHash) -> bool {
        self.running().contains(hash)
    }

    /// Validates a query, checks what its fetch is expected to cost, and
    /// saves it; its hash names it from then on.
    pub async fn create(&self, spec: &QuerySpec) -> Result<QueryHash> {
        let (spec, costs) = self.priced(spec).await?;
        self.bounds.check_cost(&costs)?;
        self.store().save_query(&spec).await
    }

    /// What a query would cost before it is created, and whether it would
    /// be refused (the form shows it as people type).
    pub async fn cost(&self, spec: &QuerySpec) -> Result<QueryCost> {
        let (_, forges) = self.priced(spec).await?;
        Ok(QueryCost {
            refusal: self.bounds.check_cost(&forges).err().map(|e| e.message),
            most_requests: self.bounds.max_fetch_requests,
            forges,
        })
    }

    /// A valid query in its normalized form, and what fetching it would
    /// cost now.
    async fn priced(&self, spec: &QuerySpec) -> Result<(QuerySpec, Vec<FetchCost>)> {
        spec.validate(self.bounds.max_identities, self.bounds.max_years)?;
        let spec = spec.normalized();
        let costs = self.estimate(&spec).await?;
        Ok((spec, costs))
    }

    /// What fetching a query's days not yet cached is expected to cost,
    /// per forge instance.
    pub async fn estimate(&self, spec: &QuerySpec) -> Result<Vec<FetchCost>> {
        self.filler
            .estimate(&spec.accounts(), spec.from, spec.to)
            .await
    }

    /// The saved query behind a hash, if there is one.
    pub async fn spec(&self, hash: &QueryHash) -> Result<Option<QuerySpec>> {
        let key = hash.clone();
        if let Some(spec) = self.specs.get(&key, 0) {
            return Ok(Some(spec));
        }
        let spec = self.store().load_query(hash).await?;
        if let Some(spec) = &spec {
            self.specs.put(key, 0, spec.clone());
        }
        Ok(spec)
    }

    /// A query's tallies and how its fetch is going. Opening a query whose
    /// cache is not current starts filling it in the background.
    pub async fn summary(self: &Arc<Self>, hash: &QueryHash) -> Result<Option<Summary>> {
        let Some(spec) = self.spec(hash).await? else {
            return Ok(None);
        };
        if !self.is_running(hash) && !self.is_current(hash, &spec).await? {
            self.start_refresh(hash, &spec);
        }
        // Asked before reading: "done" then means the reading has it all,
        // even when the fetch ends while it runs.
        let fetching = self.is_running(hash);
        let Reading {
            mut summary,
            identities,
            ..
        } = self.reading(hash, &spec).await?;
        summary.fetching = fetching;
        let accounts = summary
            .people
            .iter_mut()
            .flat_map(|p| p.accounts.iter_mut());
        for (account, id) in accounts.zip(identities) {
            account.progress = id.and_then(|id| self.filler.progress(id));
        }
        Ok(Some(summary))
    }

    /// A query's tallies from what the cache holds, remembered like the
    /// page's, without starting a fetch (exports and feeds only read).
    pub async fn cached_summary(&self, hash: &QueryHash) -> Result<Option<Summary>> {
        let Some(spec) = self.spec(hash).await? else {
            return Ok(None);
        };
        Ok(Some(self.reading(hash, &spec).await?.summary))
    }

    /// The day-by-day counts behind a query's graphs, read with the same
    /// snapshot as the summary of the same store generation.
    pub async fn activity(&self, hash: &QueryHash) -> Result<Option<Activity>> {
        let Some(spec) = self.spec(hash).await? else {
            return Ok(None);
        };
        Ok(Some(self.reading(hash, &spec).await?.activity))
    }

    async fn reading(&self, hash: &QueryHash, spec: &QuerySpec) -> Result<Reading> {
        let generation = self.store().generation();
        let key = hash.clone();
        if let Some(reading) = self.readings.get(&key, generation) {
            return Ok(reading);
        }
        let reading = read(self.store(), hash, spec).await?;
        self.readings.put(key, generation, reading.clone());
        Ok(reading)
    }

    /// Fetches a query's missing days again now (after a failure, say);
    /// `None` when there is no such query.
    pub async fn retry(self: &Arc<Self>, hash: &QueryHash) -> Result<Option<()>> {
        let Some(spec) = self.spec(hash).await? else {
            return Ok(None);
        };
        self.start_refresh(hash, &spec);
        Ok(Some(()))
    }

    /// A page of the query's newest-first list after the cursor `after`.
    pub async fn page(
        &self,
        hash: &QueryHash,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<ContributionPage>> {
        self.list(hash, None, after, limit).await
    }

    /// One day's or week's items of the query: their count and a page;
    /// `None` when there is no such query or the period is outside it.
    pub async fn period(
        &self,
        hash: &QueryHash,
        on: Period,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<PeriodItems>> {
        let Some(spec) = self.spec(hash).await? else {
            return Ok(None);
        };
        let Some((first, last)) = on.within(spec.from, spec.to) else {
            return Ok(None);
        };
        let activity = self.reading(hash, &spec).await?.activity;
        let total = activity.total_between(first, last);
        let unfetched = activity
            .unfetched_between(first, last)
            .into_iter()
            .map(|(person, days)| UnfetchedDays {
                person: activity.people[person].clone(),
                days,
            })
            .collect();
        let page = self.list(hash, Some(on), after, limit).await?;
        Ok(page.map(|page| PeriodItems {
            first,
            last,
            total,
            unfetched,
            page,
        }))
    }

    async fn list(
        &self,
        hash: &QueryHash,
        on: Option<Period>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<ContributionPage>> {
        let Some(spec) = self.spec(hash).await? else {
            return Ok(None);
        };
        let generation = self.store().generation();
        let key = (hash.clone(), on, after.map(str::to_owned), limit);
        if let Some(answer) = self.pages.get(&key, generation) {
            return Ok(Some(answer));
        }
        let answer = match on {
            Some(on) => period(self.store(), &spec, on, after, limit).await?,
            None => page(self.store(), &spec, after, limit).await?,
        };
        self.pages.put(key, generation, answer.clone());
        Ok(Some(answer))
    }

    async fn is_current(&self, hash: &QueryHash, spec: &QuerySpec) -> Result<bool> {
        let generation = self.store().generation();
        let key = hash.clone();
        if let Some(current) = self.current.get(&key, generation) {
            return Ok(current);
        }
        // Opened, so kept (see `Store::forget_unopened_queries`); asked
        // here, where the answer is not remembered, to write seldom.
        self.store().touch_query(hash).await?;
        let current = self
            .filler
            .are_current(&spec.accounts(), spec.from, spec.to)
            .await?;
        self.current.put(key, generation, current);
        Ok(current)
    }

    /// Starts filling the cache for a query unless that is already under way.
    fn start_refresh(self: &Arc<Self>, hash: &QueryHash, spec: &QuerySpec) {
        if !self.running().insert(hash.clone()) {
            return;
        }
        let queries = self.clone();
        let hash = hash.clone();
        let spec = spec.clone();
        tokio::spawn(async move {
            for (account, outcome) in refresh(&queries.filler, &spec).await {
                if let Err(error) = outcome {
                    tracing::warn!(%account, %error, "refreshing a query failed");
                }
            }
            queries.running().remove(&hash);
        });
    }
}
