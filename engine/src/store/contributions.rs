//! Saved queries, identities, their contributions and which days of each
//! are fetched: the queries over the tables of
//! `migrations/…_contributions.sql`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use model::query::{AccountSpec, AccountState, QueryHash, QuerySpec};
use model::wire::wire_name;
use sqlx::Row;

use super::Store;
use crate::Result;

/// The pieces of accounts' days fetched from one forge instance, and the
/// requests they took together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PieceCost {
    pub pieces: u64,
    pub requests: u64,
}

impl PieceCost {
    /// The requests `pieces` more would take at this average, rounded up.
    pub fn of(self, pieces: u64) -> u64 {
        if self.pieces == 0 {
            return 0;
        }
        self.requests.saturating_mul(pieces).div_ceil(self.pieces)
    }
}

/// An identity's row id.
pub type IdentityId = i64;

/// Whether a day (`d` of a series, `c` its coverage row or NULL) must be
/// fetched: never fetched, or recent ($4 on) and fetched before $5.
const DAY_TO_FETCH: &str = "c.day IS NULL OR (c.day >= $4 AND c.fetched_at < $5)";

/// The bounds [`DAY_TO_FETCH`] takes: the first recent day, and the time
/// before which a recent day's fetch is stale.
fn staleness(recent_days: i64, max_age: Duration) -> (NaiveDate, DateTime<Utc>) {
    let now = Utc::now();
    (
        now.date_naive() - Duration::days(recent_days),
        now - max_age,
    )
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// An account Tally has met, and what it last learnt of it.
#[derive(Debug, Clone)]
pub struct KnownIdentity {
    pub account: AccountSpec,
    pub id: IdentityId,
    pub state: AccountState,
    pub problem: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// Items of one identity and kind on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTally {
    pub identity: IdentityId,
    pub kind: ContributionKind,
    pub day: NaiveDate,
    pub count: i64,
}

/// Items of one identity in one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryTally {
    pub identity: IdentityId,
    pub repository: String,
    pub count: i64,
}

/// What [`Store::counts`] reads.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub days: Vec<DayTally>,
    pub repositories: Vec<RepositoryTally>,
    /// The days of each identity never fetched, as runs.
    pub unfetched: Vec<UnfetchedRun>,
}

/// Consecutive days of one identity never fetched (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnfetchedRun {
    pub identity: IdentityId,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The item filters of a query, as SQL parameters.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub kinds: Vec<ContributionKind>,
    pub statuses: Vec<Status>,
    pub include_repos: Vec<String>,
    pub exclude_repos: Vec<String>,
}

impl Filters {
    pub fn of(spec: &QuerySpec) -> Self {
        Self {
            kinds: spec.kinds.clone(),
            statuses: spec.statuses.clone(),
            include_repos: spec.include_repos.clone(),
            exclude_repos: spec.exclude_repos.clone(),
        }
    }

    fn kind_names(&self) -> Vec<String> {
        self.kinds.iter().map(wire_name).collect()
    }

    fn status_names(&self) -> Vec<String> {
        self.statuses.iter().map(wire_name).collect()
    }
}

fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// The WHERE clause of tallies: identities ($1), days and item filters.
/// Parameters $1..$7 are bound by [`bind_filters`].
fn filtered() -> String {
    format!("identity_id = ANY($1) AND {ITEM_FILTERS}")
}

/// Days and item filters ($2..$7), shared by tallies and pages.
const ITEM_FILTERS: &str = "occurred_at >= $2 AND occurred_at < $3
    AND (cardinality($4::text[]) = 0 OR kind = ANY($4))
    AND (cardinality($5::text[]) = 0 OR status IS NULL OR status = ANY($5))
    AND (cardinality($6::text[]) = 0 OR lower(repository) = ANY($6))
    AND NOT lower(repository) = ANY($7)";

fn bind_filters<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    identities: &'q [IdentityId],
    from: NaiveDate,
    to: NaiveDate,
    filters: &Filters,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(identities)
        .bind(start_of(from))
        .bind(start_of(to) + Duration::days(1))
        .bind(filters.kind_names())
        .bind(filters.status_names())
        .bind(filters.include_repos.clone())
        .bind(filters.exclude_repos.clone())
}

/// Where a page of the newest-first list ends; the next page starts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: DateTime<Utc>,
    pub identity: IdentityId,
    pub kind: String,
    pub item_id: String,
}

/// A stored contribution and the identity it counts for.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub identity: IdentityId,
    pub contribution: Contribution,
}

impl Store {
    /// Saves a (normalized) query under its hash; saving it again is a no-op.
    pub async fn save_query(&self, spec: &QuerySpec) -> Result<QueryHash> {
        let normalized = spec.normalized();
        let hash = normalized.hash();
        let json =
            serde_json::to_value(&normalized).map_err(|e| crate::Error::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO queries (hash, spec) VALUES ($1, $2)
             ON CONFLICT (hash) DO UPDATE SET opened_at = now()",
        )
        .bind(hash.as_str())
        .bind(json)
        .execute(self.pool())
        .await?;
        Ok(hash)
    }

    pub async fn load_query(&self, hash: &QueryHash) -> Result<Option<QuerySpec>> {
        let row: Option<(serde_json::Value,)> =
            sqlx::query_as("SELECT spec FROM queries WHERE hash = $1")
                .bind(hash.as_str())
                .fetch_optional(self.pool())
                .await?;
        row.map(|(spec,)| {
            serde_json::from_value(spec)
                .map_err(|e| crate::Error::Invalid(format!("stored query {hash}: {e}")))
        })
        .transpose()
    }

    /// Records that someone opened a query now (at most once an hour, so
    /// opening a page rarely writes).
    pub async fn touch_query(&self, hash: &QueryHash) -> Result<()> {
        sqlx::query(
            "UPDATE queries SET opened_at = now()
             WHERE hash = $1 AND opened_at < now() - interval '1 hour'",
        )
        .bind(hash.as_str())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets the queries nobody created or opened for `unused_for`;
    /// answers how many. Their links then answer "not found".
    pub async fn forget_unopened_queries(&self, unused_for: Duration) -> Result<u64> {
        let forgotten = sqlx::query("DELETE FROM queries WHERE opened_at < now() - $1")
            .bind(unused_for)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(forgotten)
    }

    /// Adds one fetched piece of an account's days, and the requests it
    /// took, to what pieces cost on `account`'s forge instance.
    pub async fn record_piece_cost(&self, account: &AccountSpec, requests: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO piece_costs (forge, instance, pieces, requests) VALUES ($1, $2, 1, $3)
             ON CONFLICT (forge, instance) DO UPDATE
             SET pieces = piece_costs.pieces + 1, requests = piece_costs.requests + $3",
        )
        .bind(account.forge.key())
        .bind(account.instance.clone().unwrap_or_default())
        .bind(super::bigint(requests)?)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// What pieces cost so far, per forge instance (an empty instance is
    /// the configured one); instances never fetched are absent.
    pub async fn piece_costs(&self) -> Result<HashMap<(Forge, String), PieceCost>> {
        let rows: Vec<(String, String, i64, i64)> =
            sqlx::query_as("SELECT forge, instance, pieces, requests FROM piece_costs")
                .fetch_all(self.pool())
                .await?;
        let mut costs = HashMap::new();
        for (forge, instance, pieces, requests) in rows {
            let cost = PieceCost {
                pieces: super::unsigned(pieces)?,
                requests: super::unsigned(requests)?,
            };
            costs.insert((super::accounts::forge_of(&forge)?, instance), cost);
        }
        Ok(costs)
    }

    /// The identity row for an account, created on first use.
    pub async fn identity(&self, account: &AccountSpec) -> Result<IdentityId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO identities (forge, instance, username) VALUES ($1, $2, $3)
             ON CONFLICT (forge, instance, username) DO UPDATE SET used_at = now()
             RETURNING id",
        )
        .bind(account.forge.key())
        .bind(account.instance.clone().unwrap_or_default())
        .bind(&account.username)
        .fetch_one(self.pool())
        .await?;
        self.bump();
        Ok(id)
    }

    /// Records that a query opened these identities now (at most once an
    /// hour per identity, so opening a page rarely writes).
    pub async fn touch_identities(&self, ids: &[IdentityId]) -> Result<()> {
        sqlx::query(
            "UPDATE identities SET used_at = now()
             WHERE id = ANY($1) AND used_at < now() - interval '1 hour'",
        )
        .bind(ids)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets the identities no query fetched or opened for `unused_for`
    /// (none being fetched), with their cached items and days; answers how
    /// many. Queries naming them stay and fetch them again when opened.
    pub async fn forget_unused_identities(&self, unused_for: Duration) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        let forgotten = sqlx::query(
            "DELETE FROM identities
             WHERE used_at < now() - $1
               AND (fetch_lease_until IS NULL OR fetch_lease_until < now())",
        )
        .bind(unused_for)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        self.commit_change(tx).await?;
        Ok(forgotten)
    }

    /// The identities of `accounts` known so far, in one read (accounts
    /// never fetched are absent).
    pub async fn known_identities(&self, accounts: &[AccountSpec]) -> Result<Vec<KnownIdentity>> {
        let forges: Vec<&str> = accounts.iter().map(|a| a.forge.key()).collect();
        let instances: Vec<String> = accounts
            .iter()
            .map(|a| a.instance.clone().unwrap_or_default())
            .collect();
        let usernames: Vec<&str> = accounts.iter().map(|a| a.username.as_str()).collect();
        let rows = sqlx::query(
            "SELECT i.id, i.forge, i.instance, i.username, i.state, i.problem, i.checked_at
             FROM identities i
             JOIN unnest($1::text[], $2::text[], $3::text[]) AS a(forge, instance, username)
               ON i.forge = a.forge AND i.instance = a.instance AND i.username = a.username",
        )
        .bind(&forges)
        .bind(&instances)
        .bind(&usernames)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let forge: String = row.get("forge");
                let instance: String = row.get("instance");
                Some(KnownIdentity {
                    account: AccountSpec {
                        forge: Forge::from_key(&forge)?,
                        instance: Some(instance).filter(|i| !i.is_empty()),
                        username: row.get("username"),
                    },
                    id: row.get("id"),
                    state: AccountState::from_key(row.get("state"))
                        .unwrap_or(AccountState::Unknown),
                    problem: row.get("problem"),
                    checked_at: row.get("checked_at"),
                })
            })
            .collect())
    }

    pub async fn set_identity_state(
        &self,
        id: IdentityId,
        state: AccountState,
        problem: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE identities SET state = $2, problem = $3, checked_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(state.key())
        .bind(problem)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Claims the right to fetch an identity for `lease` unless another
    /// holds it; says whether it was claimed.
    pub async fn claim_fetch(&self, id: IdentityId, lease: Duration) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE identities SET fetch_lease_until = now() + $2
             WHERE id = $1 AND (fetch_lease_until IS NULL OR fetch_lease_until < now())",
        )
        .bind(id)
        .bind(lease)
        .execute(self.pool())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Extends a claimed fetch by `lease` from now.
    pub async fn renew_fetch(&self, id: IdentityId, lease: Duration) -> Result<()> {
        sqlx::query("UPDATE identities SET fetch_lease_until = now() + $2 WHERE id = $1")
            .bind(id)
            .bind(lease)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn release_fetch(&self, id: IdentityId) -> Result<()> {
        sqlx::query("UPDATE identities SET fetch_lease_until = NULL WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn identity_state(&self, id: IdentityId) -> Result<(AccountState, Option<String>)> {
        let row = sqlx::query("SELECT state, problem FROM identities WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok((
            AccountState::from_key(row.get("state")).unwrap_or(AccountState::Unknown),
            row.get("problem"),
        ))
    }

    /// The days of `from..=to` to fetch for an identity: those never
    /// fetched, and those within `recent_days` of today fetched longer than
    /// `max_age` ago. Returned as inclusive runs of consecutive days.
    pub async fn days_to_fetch(
        &self,
        id: IdentityId,
        from: NaiveDate,
        to: NaiveDate,
        recent_days: i64,
        max_age: Duration,
    ) -> Result<Vec<(NaiveDate, NaiveDate)>> {
        let (recent_from, stale_before) = staleness(recent_days, max_age);
        let sql = format!(
            "SELECT d::date FROM generate_series($2::date, $3::date, interval '1 day') AS d
             LEFT JOIN coverage c ON c.identity_id = $1 AND c.day = d::date
             WHERE {DAY_TO_FETCH}
             ORDER BY d"
        );
        let days: Vec<NaiveDate> = sqlx::query_scalar(&sql)
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(recent_from)
            .bind(stale_before)
            .fetch_all(self.pool())
            .await?;
        let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        for day in days {
            match runs.last_mut() {
                Some((_, end)) if *end + Duration::days(1) == day => *end = day,
                _ => runs.push((day, day)),
            }
        }
        Ok(runs)
    }

    /// Those of `ids` for which [`Store::days_to_fetch`] would find days,
    /// in one read.
    pub async fn incomplete(
        &self,
        ids: &[IdentityId],
        from: NaiveDate,
        to: NaiveDate,
        recent_days: i64,
        max_age: Duration,
    ) -> Result<Vec<IdentityId>> {
        let (recent_from, stale_before) = staleness(recent_days, max_age);
        let sql = format!(
            "SELECT q.id FROM unnest($1::bigint[]) AS q(id)
             WHERE EXISTS (
                 SELECT 1 FROM generate_series($2::date, $3::date, interval '1 day') AS d
                 LEFT JOIN coverage c ON c.identity_id = q.id AND c.day = d::date
                 WHERE {DAY_TO_FETCH})"
        );
        let incomplete = sqlx::query_scalar(&sql)
            .bind(ids)
            .bind(from)
            .bind(to)
            .bind(recent_from)
            .bind(stale_before)
            .fetch_all(self.pool())
            .await?;
        Ok(incomplete)
    }

    /// Replaces an identity's items on the days `from..=to` with `items`
    /// and records those days as fetched, all or nothing.
    pub async fn replace_days(
        &self,
        id: IdentityId,
        from: NaiveDate,
        to: NaiveDate,
        items: &[Contribution],
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM contributions WHERE identity_id = $1 AND occurred_at >= $2 AND occurred_at < $3")
            .bind(id)
            .bind(start_of(from))
            .bind(start_of(to) + Duration::days(1))
            .execute(&mut *tx)
            .await?;
        for chunk in items.chunks(1000) {
            let mut builder = sqlx::QueryBuilder::new(
                "INSERT INTO contributions (identity_id, kind, item_id, status, repository, title, url, occurred_at, utc_offset_minutes) ",
            );
            builder.push_values(chunk, |mut row, item| {
                row.push_bind(id)
                    .push_bind(wire_name(&item.kind))
                    .push_bind(&item.id)
                    .push_bind(item.status.map(|s| wire_name(&s)))
                    .push_bind(&item.repository)
                    .push_bind(&item.title)
                    .push_bind(&item.url)
                    .push_bind(item.occurred_at)
                    .push_bind(item.utc_offset_minutes);
            });
            // A forge can list one item twice (pages shifting under it).
            builder.push(" ON CONFLICT (identity_id, kind, item_id) DO NOTHING");
            builder.build().execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO coverage (identity_id, day, fetched_at)
             SELECT $1, d::date, now() FROM generate_series($2::date, $3::date, interval '1 day') AS d
             ON CONFLICT (identity_id, day) DO UPDATE SET fetched_at = now()",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Counts per identity, kind and UTC day, and per identity and
    /// repository, over the days and filters: the tallies and the graphs of
    /// a query. Both are read from one snapshot, so they always agree.
    pub async fn counts(
        &self,
        identities: &[IdentityId],
        from: NaiveDate,
        to: NaiveDate,
        filters: &Filters,
    ) -> Result<Counts> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let sql = format!(
            "SELECT identity_id, kind, (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
             FROM contributions WHERE {} GROUP BY 1, 2, 3",
            filtered()
        );
        let days = bind_filters(sqlx::query(&sql), identities, from, to, filters)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .filter_map(|row| {
                let kind: String = row.get("kind");
                Some(DayTally {
                    identity: row.get("identity_id"),
                    kind: parse_name(&kind)?,
                    day: row.get("day"),
                    count: row.get("n"),
                })
            })
            .collect();
        let sql = format!(
            "SELECT identity_id, repository, count(*) AS n
             FROM contributions WHERE {} GROUP BY 1, 2",
            filtered()
        );
        let repositories = bind_filters(sqlx::query(&sql), identities, from, to, filters)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|row| RepositoryTally {
                identity: row.get("identity_id"),
                repository: row.get("repository"),
                count: row.get("n"),
            })
            .collect();
        let unfetched = unfetched_runs(&mut tx, identities, from, to).await?;
        tx.commit().await?;
        Ok(Counts {
            days,
            repositories,
            unfetched,
        })
    }

    /// One page of the newest-first list, after `cursor` when given.
    pub async fn page(
        &self,
        identities: &[IdentityId],
        from: NaiveDate,
        to: NaiveDate,
        filters: &Filters,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<Stored>> {
        // Each identity's newest items come from its own index, at most a
        // page of them, and are merged: a page costs the same however many
        // items the identities have.
        let sql = format!(
            "SELECT c.*, i.forge, i.instance, i.username
             FROM unnest($1::bigint[]) AS q(id)
             CROSS JOIN LATERAL (
                 SELECT * FROM contributions
                 WHERE identity_id = q.id AND {ITEM_FILTERS}
                   AND ($8::timestamptz IS NULL OR (occurred_at, identity_id, kind, item_id) < ($8, $9, $10, $11))
                 ORDER BY occurred_at DESC, kind DESC, item_id DESC
                 LIMIT $12
             ) c
             JOIN identities i ON i.id = c.identity_id
             ORDER BY c.occurred_at DESC, c.identity_id DESC, c.kind DESC, c.item_id DESC
             LIMIT $12"
        );
        let rows = bind_filters(sqlx::query(&sql), identities, from, to, filters)
            .bind(after.map(|c| c.occurred_at))
            .bind(after.map(|c| c.identity))
            .bind(after.map(|c| c.kind.clone()))
            .bind(after.map(|c| c.item_id.clone()))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().filter_map(stored).collect())
    }
}

/// The days of `from..=to` with no coverage row, per identity, as runs: a
/// day minus its rank among the missing days is constant along a run.
async fn unfetched_runs(
    tx: &mut sqlx::PgConnection,
    identities: &[IdentityId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<UnfetchedRun>> {
    let rows = sqlx::query(
        "SELECT id, min(day) AS first, max(day) AS last FROM (
             SELECT q.id, d::date AS day,
                    d::date - (row_number() OVER (PARTITION BY q.id ORDER BY d))::int AS run
             FROM unnest($1::bigint[]) AS q(id)
             CROSS JOIN generate_series($2::date, $3::date, interval '1 day') AS d
             LEFT JOIN coverage c ON c.identity_id = q.id AND c.day = d::date
             WHERE c.day IS NULL
         ) missing
         GROUP BY id, run ORDER BY id, first",
    )
    .bind(identities)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| UnfetchedRun {
            identity: row.get("id"),
            first: row.get("first"),
            last: row.get("last"),
        })
        .collect())
}

fn stored(row: sqlx::postgres::PgRow) -> Option<Stored> {
    let kind: String = row.get("kind");
    let status: Option<String> = row.get("status");
    let forge: String = row.get("forge");
    Some(Stored {
        identity: row.get("identity_id"),
        contribution: Contribution {
            forge: Forge::from_key(&forge)?,
            instance: row.get("instance"),
            id: row.get("item_id"),
            kind: parse_name(&kind)?,
            status: status.as_deref().and_then(parse_name),
            repository: row.get("repository"),
            title: row.get("title"),
            url: row.get("url"),
            author: row.get("username"),
            occurred_at: row.get("occurred_at"),
            utc_offset_minutes: row.get("utc_offset_minutes"),
        },
    })
}

impl Stored {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            occurred_at: self.contribution.occurred_at,
            identity: self.identity,
            kind: wire_name(&self.contribution.kind),
            item_id: self.contribution.id.clone(),
        }
    }
}
