//! Contribution queries end to end: validate and save a spec under its
//! hash, fill the cache for its accounts, and read tallies and pages back.
//! These functions always ask the store; [`Queries`] is what pages call,
//! remembering answers until the data under them changes.

mod answers;
mod service;

pub use service::Queries;

use std::collections::BTreeMap;

use base64::Engine;
use chrono::NaiveDate;
use futures_util::future::join_all;
use model::contribution::ContributionKind;
use model::query::{
    AccountSpec, AccountSummary, ContributionPage, ListedContribution, PersonSummary, QueryError,
    QuerySpec, Summary,
};

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::contributions::{Cursor, Filters, IdentityId, IdentityState, KnownIdentity};
use crate::sync::{Outcome, Syncer};

/// Bounds an installation puts on queries.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_identities: usize,
    pub max_years: u32,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_identities: model::query::MAX_IDENTITIES,
            max_years: model::query::MAX_YEARS,
        }
    }
}

/// Validates and saves a query; its hash names it from then on.
pub async fn create(
    store: &Store,
    spec: &QuerySpec,
    bounds: Bounds,
) -> Result<std::result::Result<String, QueryError>> {
    if let Err(problem) = spec.validate(bounds.max_identities, bounds.max_years) {
        return Ok(Err(problem));
    }
    Ok(Ok(store.save_query(spec).await?))
}

/// Fills the cache for every account of the query, all at once (each
/// identity fetches once however many ask).
pub async fn refresh(syncer: &Syncer, spec: &QuerySpec) -> Vec<(AccountSpec, Result<Outcome>)> {
    let accounts = spec.accounts();
    let outcomes = join_all(accounts.iter().map(|account| async move {
        syncer
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

/// The tallies of a (normalized) query from what the cache holds now.
pub async fn summary(store: &Store, hash: &str, spec: &QuerySpec) -> Result<Summary> {
    Ok(summary_and_identities(store, hash, spec).await?.0)
}

/// The summary, and the identity behind each of its accounts in order
/// (`None` for accounts never fetched).
async fn summary_and_identities(
    store: &Store,
    hash: &str,
    spec: &QuerySpec,
) -> Result<(Summary, Vec<Option<IdentityId>>)> {
    let members = members(store, spec).await?;
    let tallies = store
        .tallies(&ids(&members), spec.from, spec.to, &Filters::of(spec))
        .await?;
    let mut overall: BTreeMap<ContributionKind, u64> = BTreeMap::new();
    let mut people: Vec<PersonSummary> = Vec::new();
    for (index, person) in spec.people.iter().enumerate() {
        let mut person_counts: BTreeMap<ContributionKind, u64> = BTreeMap::new();
        let mut accounts = Vec::new();
        for member in members.iter().filter(|m| m.person == index) {
            let mut counts: BTreeMap<ContributionKind, u64> = BTreeMap::new();
            let id = member.known.as_ref().map(|k| k.id);
            for (_, kind, n) in tallies.iter().filter(|(i, _, _)| Some(*i) == id) {
                let n = u64::try_from(*n).unwrap_or(0);
                *counts.entry(*kind).or_default() += n;
                *person_counts.entry(*kind).or_default() += n;
                *overall.entry(*kind).or_default() += n;
            }
            let (state, problem) = member
                .known
                .as_ref()
                .map_or((IdentityState::Unknown, None), |k| {
                    (k.state, k.problem.clone())
                });
            let (by_kind, total) = sorted(counts);
            accounts.push(AccountSummary {
                account: member.account.clone(),
                state: state.name().to_owned(),
                problem,
                progress: None,
                by_kind,
                total,
            });
        }
        let (by_kind, total) = sorted(person_counts);
        let name = person.name.clone().unwrap_or_else(|| {
            person
                .accounts
                .first()
                .map(|a| a.username.clone())
                .unwrap_or_default()
        });
        people.push(PersonSummary {
            name,
            accounts,
            by_kind,
            total,
        });
    }
    let (by_kind, total) = sorted(overall);
    let summary = Summary {
        hash: hash.to_owned(),
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
    Ok((summary, identities))
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

/// Everything of one UTC day (up to `limit` items per page).
pub async fn day(
    store: &Store,
    spec: &QuerySpec,
    day: NaiveDate,
    after: Option<&str>,
    limit: usize,
) -> Result<ContributionPage> {
    if day < spec.from || day > spec.to {
        return Ok(ContributionPage {
            items: Vec::new(),
            next: None,
        });
    }
    list(store, spec, day, day, after, limit).await
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
            limit as i64 + 1,
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
