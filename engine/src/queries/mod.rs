//! Contribution queries end to end: validate and save a spec under its
//! hash, fill the cache for its accounts, and read tallies and pages back.
//! These functions always ask the store; [`Queries`] is what pages call,
//! remembering answers until the data under them changes.

pub mod fill;
mod service;

pub use service::Queries;

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use chrono::NaiveDate;
use futures_util::future::join_all;
use model::activity::{Activity, DayCount, RepositoryCount};
use model::contribution::ContributionKind;
use model::forge::Forge;
use model::period::Period;
use model::query::{
    AccountSpec, AccountState, AccountSummary, ContributionPage, FetchCost, ListedContribution,
    PersonSpec, PersonSummary, QueryError, QueryHash, QuerySpec, Summary,
};

use crate::error::{Error, Result};
use crate::queries::fill::{Filler, Outcome};
use crate::store::contributions::{
    Cursor, DayTally, Filters, IdentityId, KnownIdentity, RepositoryTally, UnfetchedRun,
};
use crate::store::{Store, bigint};

/// Bounds an installation puts on queries.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_identities: usize,
    pub max_years: u32,
    /// The most requests to one forge a new query's fetch may be expected
    /// to take (see [`Filler::estimate`]); 0: no limit.
    pub max_fetch_requests: u64,
}

/// The default of [`Bounds::max_fetch_requests`]: under an hour of a
/// GitHub token's 5,000 requests at the default share for queries.
pub const MAX_FETCH_REQUESTS: u64 = 2_000;

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_identities: model::query::MAX_IDENTITIES,
            max_years: model::query::MAX_YEARS,
            max_fetch_requests: MAX_FETCH_REQUESTS,
        }
    }
}

impl Bounds {
    /// Refuses a query whose fetch is expected to take more requests to a
    /// forge than one query may start, saying how to narrow it. A forge
    /// never fetched from here has no price yet, and is not refused.
    pub fn check_cost(&self, costs: &[FetchCost]) -> Result<(), QueryError> {
        let most = self.max_fetch_requests;
        let over = costs
            .iter()
            .find(|cost| most > 0 && cost.requests.is_some_and(|requests| requests > most));
        match over {
            None => Ok(()),
            Some(cost) => Err(QueryError {
                field: "people".into(),
                message: format!(
                    "fetching its days not yet cached would take about {} requests to {} \
                     ({} pieces of up to 92 days of an account), more than the {most} one \
                     query may start; name fewer accounts or a shorter range",
                    cost.requests.unwrap_or_default(),
                    cost.forge_name(),
                    cost.pieces,
                ),
            }),
        }
    }
}

/// Validates and saves a query; its hash names it from then on.
pub async fn create(store: &Store, spec: &QuerySpec, bounds: Bounds) -> Result<QueryHash> {
    spec.validate(bounds.max_identities, bounds.max_years)?;
    store.save_query(spec).await
}

/// Fills the cache for every account of the query, all at once (each
/// identity fetches once however many ask).
pub async fn refresh(filler: &Filler, spec: &QuerySpec) -> Vec<(AccountSpec, Result<Outcome>)> {
    let accounts = spec.accounts();
    let outcomes = join_all(accounts.iter().map(|account| async move {
        filler
            .ensure(account, spec.from, spec.to)
            .await
            .map(|(_, o)| o)
    }))
    .await;
    accounts.into_iter().zip(outcomes).collect()
}

/// An account of a query and what the cache knows of it.
struct Member {
    person: usize,
    account: AccountSpec,
    /// `None` until the account is first fetched.
    known: Option<KnownIdentity>,
}

/// Each account of the query with the person (index) it belongs to, read
/// in one query: summaries and pages only read, they never create identities.
async fn members(store: &Store, spec: &QuerySpec) -> Result<Vec<Member>> {
    let known = store.known_identities(&spec.accounts()).await?;
    let mut members = Vec::new();
    for (person, p) in spec.people.iter().enumerate() {
        for account in &p.accounts {
            let found = known.iter().find(|k| &k.account == account).cloned();
            members.push(Member {
                person,
                account: account.clone(),
                known: found,
            });
        }
    }
    Ok(members)
}

impl Member {
    /// The days of the query this account's counts miss: all of them
    /// before its first fetch, none when the forge has no such account
    /// (nothing to fetch), else those never fetched.
    fn unfetched(&self, spec: &QuerySpec, runs: &[UnfetchedRun]) -> Vec<(NaiveDate, NaiveDate)> {
        match &self.known {
            None => vec![(spec.from, spec.to)],
            Some(known) if known.state == AccountState::NotFound => Vec::new(),
            Some(known) => runs
                .iter()
                .filter(|run| run.identity == known.id)
                .map(|run| (run.first, run.last))
                .collect(),
        }
    }
}

fn ids(members: &[Member]) -> Vec<IdentityId> {
    members
        .iter()
        .filter_map(|m| m.known.as_ref().map(|k| k.id))
        .collect()
}

fn sorted(counts: BTreeMap<ContributionKind, u64>) -> (Vec<(ContributionKind, u64)>, u64) {
    let total = counts.values().sum();
    (counts.into_iter().collect(), total)
}

/// A query's tallies and graphs, read together so their numbers agree, and
/// the identity behind each of the summary's accounts in order (`None` for
/// accounts never fetched).
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    pub summary: Summary,
    pub activity: Activity,
    pub identities: Vec<Option<IdentityId>>,
}

impl Reading {
    /// About what it holds, in bytes.
    fn weight(&self) -> usize {
        crate::answers::json_bytes(&self.summary) + crate::answers::json_bytes(&self.activity)
    }
}

/// The tallies of a (normalized) query from what the cache holds now.
pub async fn summary(store: &Store, hash: &QueryHash, spec: &QuerySpec) -> Result<Summary> {
    Ok(read(store, hash, spec).await?.summary)
}

/// The day-by-day counts behind a query's graphs.
pub async fn activity(store: &Store, hash: &QueryHash, spec: &QuerySpec) -> Result<Activity> {
    Ok(read(store, hash, spec).await?.activity)
}

pub(crate) async fn read(store: &Store, hash: &QueryHash, spec: &QuerySpec) -> Result<Reading> {
    let members = members(store, spec).await?;
    let counts = store
        .counts(&ids(&members), spec.from, spec.to, &Filters::of(spec))
        .await?;
    let counts_unfetched = counts.unfetched;
    let mut days_of: HashMap<IdentityId, Vec<&DayTally>> = HashMap::new();
    for tally in &counts.days {
        days_of.entry(tally.identity).or_default().push(tally);
    }
    let mut overall: BTreeMap<ContributionKind, u64> = BTreeMap::new();
    let mut people: Vec<PersonSummary> = Vec::new();
    let mut day_counts = Vec::new();
    let mut unfetched = Vec::new();
    for (index, person) in spec.people.iter().enumerate() {
        let mut person_counts: BTreeMap<ContributionKind, u64> = BTreeMap::new();
        let mut accounts = Vec::new();
        for member in members.iter().filter(|m| m.person == index) {
            let mut counts: BTreeMap<ContributionKind, u64> = BTreeMap::new();
            let id = member.known.as_ref().map(|k| k.id);
            for tally in id.and_then(|id| days_of.get(&id)).into_iter().flatten() {
                let n = u64::try_from(tally.count).unwrap_or(0);
                *counts.entry(tally.kind).or_default() += n;
                *person_counts.entry(tally.kind).or_default() += n;
                *overall.entry(tally.kind).or_default() += n;
                day_counts.push(DayCount {
                    person: index,
                    forge: member.account.forge,
                    kind: tally.kind,
                    day: tally.day,
                    count: n,
                });
            }
            let (state, problem) = member
                .known
                .as_ref()
                .map_or((AccountState::Unknown, None), |k| {
                    (k.state, k.problem.clone())
                });
            let runs = member.unfetched(spec, &counts_unfetched);
            let unfetched_days = runs
                .iter()
                .map(|(first, last)| (*last - *first).num_days() + 1)
                .sum::<i64>();
            unfetched.extend(runs.into_iter().map(|(first, last)| (index, first, last)));
            let (by_kind, total) = sorted(counts);
            accounts.push(AccountSummary {
                account: member.account.clone(),
                state,
                problem,
                progress: None,
                by_kind,
                total,
                unfetched_days: u32::try_from(unfetched_days).unwrap_or(u32::MAX),
            });
        }
        let (by_kind, total) = sorted(person_counts);
        people.push(PersonSummary {
            name: person_name(person),
            accounts,
            by_kind,
            total,
        });
    }
    let activity = Activity::gather(
        spec.from,
        spec.to,
        people.iter().map(|p| p.name.clone()).collect(),
        day_counts,
        repository_counts(&members, counts.repositories),
    )
    .with_unfetched(unfetched);
    let (by_kind, total) = sorted(overall);
    let summary = Summary {
        hash: hash.clone(),
        spec: spec.clone(),
        fetching: false,
        people,
        by_kind,
        total,
    };
    // Members are listed person by person, as the summary's accounts are.
    let identities = (0..spec.people.len())
        .flat_map(|index| members.iter().filter(move |m| m.person == index))
        .map(|m| m.known.as_ref().map(|k| k.id))
        .collect();
    Ok(Reading {
        summary,
        activity,
        identities,
    })
}

fn person_name(person: &PersonSpec) -> String {
    person.name.clone().unwrap_or_else(|| {
        person
            .accounts
            .first()
            .map(|a| a.username.clone())
            .unwrap_or_default()
    })
}

/// Items per forge and repository, over every account of the query (an
/// account named by two people counts for each, as in the tallies).
fn repository_counts(members: &[Member], tallies: Vec<RepositoryTally>) -> Vec<RepositoryCount> {
    let mut counts: BTreeMap<(Forge, String), u64> = BTreeMap::new();
    for tally in tallies {
        let n = u64::try_from(tally.count).unwrap_or(0);
        for member in members
            .iter()
            .filter(|m| m.known.as_ref().is_some_and(|k| k.id == tally.identity))
        {
            *counts
                .entry((member.account.forge, tally.repository.clone()))
                .or_default() += n;
        }
    }
    counts
        .into_iter()
        .map(|((forge, repository), count)| RepositoryCount {
            forge,
            repository,
            count,
        })
        .collect()
}

fn encode_cursor(cursor: &Cursor) -> String {
    let text = format!(
        "{}|{}|{}|{}",
        cursor.occurred_at.timestamp_micros(),
        cursor.identity,
        cursor.kind,
        cursor.item_id
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(text: &str) -> Option<Cursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(4, '|');
    let micros: i64 = parts.next()?.parse().ok()?;
    Some(Cursor {
        occurred_at: chrono::DateTime::from_timestamp_micros(micros)?,
        identity: parts.next()?.parse().ok()?,
        kind: parts.next()?.to_owned(),
        item_id: parts.next()?.to_owned(),
    })
}

/// A page of the newest-first list after `after` (a cursor from an earlier
/// page). Items arriving later sort before the cursor or after it by their
/// time, so pages already read are never shifted.
pub async fn page(
    store: &Store,
    spec: &QuerySpec,
    after: Option<&str>,
    limit: usize,
) -> Result<ContributionPage> {
    list(store, spec, spec.from, spec.to, after, limit).await
}

/// Everything of one day or week of the query (up to `limit` items a
/// page); nothing when the period lies outside the query's days.
pub async fn period(
    store: &Store,
    spec: &QuerySpec,
    period: Period,
    after: Option<&str>,
    limit: usize,
) -> Result<ContributionPage> {
    let Some((first, last)) = period.within(spec.from, spec.to) else {
        return Ok(ContributionPage {
            items: Vec::new(),
            next: None,
        });
    };
    list(store, spec, first, last, after, limit).await
}

async fn list(
    store: &Store,
    spec: &QuerySpec,
    from: NaiveDate,
    to: NaiveDate,
    after: Option<&str>,
    limit: usize,
) -> Result<ContributionPage> {
    let cursor = after
        .map(|text| {
            decode_cursor(text)
                .ok_or_else(|| Error::Invalid(format!("`{text}` is not a page cursor")))
        })
        .transpose()?;
    let members = members(store, spec).await?;
    let ids = ids(&members);
    let limit = limit.clamp(1, 500);
    let rows = store
        .page(
            &ids,
            from,
            to,
            &Filters::of(spec),
            cursor.as_ref(),
            bigint(limit)? + 1,
        )
        .await?;
    let more = rows.len() > limit;
    let rows = &rows[..rows.len().min(limit)];
    let next = more
        .then(|| rows.last().map(|r| encode_cursor(&r.cursor())))
        .flatten();
    let items = rows
        .iter()
        .map(|row| ListedContribution {
            person: members
                .iter()
                .find(|m| m.known.as_ref().is_some_and(|k| k.id == row.identity))
                .map_or(0, |m| m.person),
            contribution: row.contribution.clone(),
        })
        .collect();
    Ok(ContributionPage { items, next })
}
