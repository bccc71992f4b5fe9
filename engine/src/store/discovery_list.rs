//! Reading discovery's tables back as the REST API lists them: filters,
//! an allow-listed ordering, and keyset pages, so a page never repeats or
//! skips a row however many are inserted meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use model::discovery::{Developer, DeveloperLinks, Repository, RepositoryLinks};
use model::forge::Forge;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use tokio::sync::OnceCell;

use super::accounts::forge_of;
use super::{Store, bigint, unsigned};
use crate::error::{Error, Result};
use crate::store::discovery::{DeveloperId, RepositoryId};

/// A sort key's value, as a cursor carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Key {
    Int(i64),
    Time(DateTime<Utc>),
    Text(String),
}

/// Where a page starts: after (or, going back, before) the row with this
/// sort key and id. Opaque to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    key: Key,
    id: i64,
    /// Going back: the page before this row.
    back: bool,
}

impl Cursor {
    pub fn encode(&self) -> String {
        encode_cursor(self)
    }

    pub fn decode(text: &str) -> Result<Self> {
        decode_cursor(text)
    }
}

/// A list's cursor as clients see it: opaque, safe in an address.
pub(crate) fn encode_cursor<C: Serialize>(cursor: &C) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

/// A cursor [`encode_cursor`] gave out.
pub(crate) fn decode_cursor<C: serde::de::DeserializeOwned>(text: &str) -> Result<C> {
    let bad = || Error::Invalid(format!("{text:?} is not a cursor of this list"));
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// A sort order a list allows: the key's SQL (never NULL), and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub key: SortKey,
    pub descending: bool,
}

/// The keys lists may be ordered by; `ordering=-followers` is followers,
/// descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Login,
    Followers,
    Name,
    Stars,
    Forks,
    Created,
    Pushed,
}

impl SortKey {
    /// The names `ordering` takes, for developers and for repositories.
    pub const DEVELOPERS: [(&'static str, Self); 4] = [
        ("id", Self::Id),
        ("login", Self::Login),
        ("followers", Self::Followers),
        ("created_at", Self::Created),
    ];
    pub const REPOSITORIES: [(&'static str, Self); 6] = [
        ("id", Self::Id),
        ("name", Self::Name),
        ("stars", Self::Stars),
        ("forks", Self::Forks),
        ("created_at", Self::Created),
        ("pushed_at", Self::Pushed),
    ];

    fn sql(self) -> &'static str {
        match self {
            Self::Id => "t.id",
            Self::Login => "lower(t.login)",
            Self::Followers => "coalesce(t.followers, -1)",
            Self::Name => "lower(t.owner_login || '/' || t.name)",
            Self::Stars => "t.stars",
            Self::Forks => "t.forks",
            // Unknown times sort first; a finite stand-in, since chrono
            // cannot hold Postgres's -infinity.
            Self::Created => "coalesce(t.created_at, '0001-01-01T00:00:00Z')",
            Self::Pushed => "coalesce(t.pushed_at, '0001-01-01T00:00:00Z')",
        }
    }

    fn key_of(self, row: &PgRow) -> Result<Key> {
        Ok(match self {
            Self::Id | Self::Followers | Self::Stars | Self::Forks => Key::Int(row.try_get("k")?),
            Self::Login | Self::Name => Key::Text(row.try_get("k")?),
            Self::Created | Self::Pushed => Key::Time(row.try_get("k")?),
        })
    }
}

impl Order {
    /// Reads `ordering` (`name` or `-name`) against the names `allowed`.
    pub fn parse(text: &str, allowed: &[(&str, SortKey)]) -> Option<Self> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text),
        };
        let key = allowed.iter().find(|(n, _)| *n == name)?.1;
        Some(Self { key, descending })
    }
}

/// Which rows a developer list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Developers {
    All,
    FollowersOf(DeveloperId),
    FollowedBy(DeveloperId),
    StargazersOf(RepositoryId),
}

/// Which rows a repository list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repositories {
    All,
    StarredBy(DeveloperId),
    OwnedBy(DeveloperId),
}

/// What developer lists can be filtered by; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DeveloperFilters {
    pub forge: Option<Forge>,
    /// Login or name contains (any case).
    pub search: Option<String>,
    pub location: Option<String>,
    pub company: Option<String>,
    pub min_followers: Option<u64>,
    pub max_followers: Option<u64>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// What repository lists can be filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RepositoryFilters {
    pub forge: Option<Forge>,
    /// `owner/name` contains (any case).
    pub search: Option<String>,
    pub language: Option<String>,
    pub topic: Option<String>,
    pub min_stars: Option<u64>,
    pub max_stars: Option<u64>,
    pub fork: Option<bool>,
    pub archived: Option<bool>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// A page of rows, how many match in all, and where the pages around it start.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice<T, C = Cursor> {
    pub count: u64,
    pub rows: Vec<T>,
    pub next: Option<C>,
    pub previous: Option<C>,
}

/// Which rows a list's count is of: its scope and filters, never its page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CountKey {
    Developers(Developers, DeveloperFilters),
    Repositories(Repositories, RepositoryFilters),
}

/// Lists' exact counts, each kept while `discovery_generation` stays where
/// it was when the count began. Counting a million rows takes longer than
/// reading a page of them, and every page of a list repeats its count.
/// Requests that want a count being computed wait for it instead of
/// counting again.
#[derive(Debug, Default)]
pub(crate) struct Counts(Mutex<CountsAt>);

#[derive(Debug, Default)]
struct CountsAt {
    generation: i64,
    cells: HashMap<CountKey, Arc<OnceCell<i64>>>,
}

impl Counts {
    /// Distinct filter sets kept at once; anyone can ask for new ones.
    const MOST: usize = 4096;

    /// The cell holding `key`'s count under `generation`, or none when a
    /// later generation has been seen (this count may be stale already).
    fn cell(&self, generation: i64, key: CountKey) -> Option<Arc<OnceCell<i64>>> {
        let mut at = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if generation > at.generation {
            at.generation = generation;
            at.cells.clear();
        }
        if generation < at.generation {
            return None;
        }
        if at.cells.len() >= Self::MOST && !at.cells.contains_key(&key) {
            at.cells.clear();
        }
        Some(at.cells.entry(key).or_default().clone())
    }
}

/// `%text%` for ILIKE, with the pattern characters taken literally.
fn contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Appends ` AND <condition>`s for the filters that are set.
fn push_developer_filters(
    q: &mut QueryBuilder<'_, Postgres>,
    scope: Developers,
    f: &DeveloperFilters,
) -> Result<()> {
    match scope {
        Developers::All => {}
        Developers::FollowersOf(id) => {
            q.push(" AND t.id IN (SELECT follower_id FROM follows WHERE followed_id = ")
                .push_bind(id)
                .push(")");
        }
        Developers::FollowedBy(id) => {
            q.push(" AND t.id IN (SELECT followed_id FROM follows WHERE follower_id = ")
                .push_bind(id)
                .push(")");
        }
        Developers::StargazersOf(id) => {
            q.push(" AND t.id IN (SELECT developer_id FROM stars WHERE repository_id = ")
                .push_bind(id)
                .push(")");
        }
    }
    if let Some(forge) = f.forge {
        q.push(" AND t.forge = ").push_bind(forge.key());
    }
    if let Some(text) = &f.search {
        let pattern = contains(text);
        q.push(" AND (t.login ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR t.name ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(text) = &f.location {
        q.push(" AND t.location ILIKE ").push_bind(contains(text));
    }
    if let Some(text) = &f.company {
        q.push(" AND t.company ILIKE ").push_bind(contains(text));
    }
    if let Some(n) = f.min_followers {
        q.push(" AND t.followers >= ").push_bind(bigint(n)?);
    }
    if let Some(n) = f.max_followers {
        q.push(" AND t.followers <= ").push_bind(bigint(n)?);
    }
    if let Some(at) = f.created_after {
        q.push(" AND t.created_at >= ").push_bind(at);
    }
    if let Some(at) = f.created_before {
        q.push(" AND t.created_at < ").push_bind(at);
    }
    Ok(())
}

fn push_repository_filters(
    q: &mut QueryBuilder<'_, Postgres>,
    scope: Repositories,
    f: &RepositoryFilters,
) -> Result<()> {
    match scope {
        Repositories::All => {}
        Repositories::StarredBy(id) => {
            q.push(" AND t.id IN (SELECT repository_id FROM stars WHERE developer_id = ")
                .push_bind(id)
                .push(")");
        }
        Repositories::OwnedBy(id) => {
            q.push(" AND t.owner_id = ").push_bind(id);
        }
    }
    if let Some(forge) = f.forge {
        q.push(" AND t.forge = ").push_bind(forge.key());
    }
    if let Some(text) = &f.search {
        q.push(" AND (t.owner_login || '/' || t.name) ILIKE ")
            .push_bind(contains(text));
    }
    if let Some(language) = &f.language {
        q.push(" AND lower(t.language) = lower(")
            .push_bind(language.clone())
            .push(")");
    }
    if let Some(topic) = &f.topic {
        q.push(" AND ")
            .push_bind(topic.to_lowercase())
            .push(" = ANY(t.topics)");
    }
    if let Some(n) = f.min_stars {
        q.push(" AND t.stars >= ").push_bind(bigint(n)?);
    }
    if let Some(n) = f.max_stars {
        q.push(" AND t.stars <= ").push_bind(bigint(n)?);
    }
    if let Some(fork) = f.fork {
        q.push(" AND t.fork = ").push_bind(fork);
    }
    if let Some(archived) = f.archived {
        q.push(" AND t.archived = ").push_bind(archived);
    }
    if let Some(at) = f.created_after {
        q.push(" AND t.created_at >= ").push_bind(at);
    }
    if let Some(at) = f.created_before {
        q.push(" AND t.created_at < ").push_bind(at);
    }
    Ok(())
}

/// Appends the keyset condition, the order and the limit of one page.
fn push_page(q: &mut QueryBuilder<'_, Postgres>, order: Order, after: Option<&Cursor>, limit: i64) {
    let back = after.is_some_and(|c| c.back);
    // Going back reads the other way, then the page is turned round.
    let descending = order.descending != back;
    let key = order.key.sql();
    if let Some(cursor) = after {
        q.push(format!(" AND ({key}, t.id) "))
            .push(if descending { "< (" } else { "> (" });
        match &cursor.key {
            Key::Int(n) => q.push_bind(*n),
            Key::Time(at) => q.push_bind(*at),
            Key::Text(text) => q.push_bind(text.clone()),
        };
        q.push(", ").push_bind(cursor.id).push(")");
    }
    let direction = if descending { "DESC" } else { "ASC" };
    q.push(format!(
        " ORDER BY {key} {direction}, t.id {direction} LIMIT "
    ))
    .push_bind(limit + 1);
}

/// Cuts the extra row read to learn whether more follow, turns a backward
/// page round, and says where the next and previous pages start.
fn slice<T>(
    count: u64,
    rows: Vec<(T, Key, i64)>,
    after: Option<&Cursor>,
    limit: usize,
) -> Slice<T> {
    let rows = rows
        .into_iter()
        .map(|(row, key, id)| (row, (key, id)))
        .collect();
    turn_page(
        count,
        rows,
        after.map(|c| c.back),
        limit,
        |(key, id), back| Cursor {
            key: key.clone(),
            id: *id,
            back,
        },
    )
}

/// A keyset page from `rows` read one past `limit` in the page's reading
/// order, each with its position: cuts the extra row, turns a backward page
/// (`came_back`: `Some(true)`) round, and makes the cursors of the pages
/// around it from the edge rows' positions with `edge`.
pub(crate) fn turn_page<T, P, C>(
    count: u64,
    mut rows: Vec<(T, P)>,
    came_back: Option<bool>,
    limit: usize,
    edge: impl Fn(&P, bool) -> C,
) -> Slice<T, C> {
    let back = came_back == Some(true);
    let more = rows.len() > limit;
    rows.truncate(limit);
    if back {
        rows.reverse();
    }
    // Forward: more rows mean a next page; having come from a cursor means
    // a previous one. Backward: the other way round.
    let (has_next, has_previous) = if back {
        (true, more)
    } else {
        (more, came_back.is_some())
    };
    let next = has_next
        .then(|| rows.last().map(|(_, p)| edge(p, false)))
        .flatten();
    let previous = has_previous
        .then(|| rows.first().map(|(_, p)| edge(p, true)))
        .flatten();
    Slice {
        count,
        rows: rows.into_iter().map(|(row, _)| row).collect(),
        next,
        previous,
    }
}

/// A table lists read, and the columns its rows are read from.
#[derive(Clone, Copy)]
struct Table {
    name: &'static str,
    columns: &'static str,
}

const DEVELOPER_COLUMNS: &str = "t.id, t.forge, t.instance, t.forge_id, t.login, t.name, \
     t.location, t.company, t.bio, t.email, t.created_at, t.updated_at, t.followers, \
     t.following, t.public_repos, t.public_gists, t.distance, t.synced_at";

const REPOSITORY_COLUMNS: &str = "t.id, t.forge, t.instance, t.forge_id, t.owner_id, \
     t.owner_login, t.name, t.description, t.homepage, t.language, t.topics, t.fork, \
     t.archived, t.disabled, t.stars, t.watchers, t.forks, t.open_issues, t.created_at, \
     t.updated_at, t.pushed_at, t.synced_at";

fn count_of(row: &PgRow, column: &str) -> Result<Option<u64>> {
    row.try_get::<Option<i64>, _>(column)?
        .map(unsigned)
        .transpose()
}

/// A developer row; `api` is where the API's addresses start (`/api/v1`).
fn developer_of(row: &PgRow, api: &str) -> Result<Developer> {
    let id: DeveloperId = row.try_get("id")?;
    let this = format!("{api}/developers/{id}");
    Ok(Developer {
        id,
        forge: forge_of(row.try_get("forge")?)?,
        instance: row.try_get("instance")?,
        forge_id: row.try_get("forge_id")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        location: row.try_get("location")?,
        company: row.try_get("company")?,
        bio: row.try_get("bio")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        followers: count_of(row, "followers")?,
        following: count_of(row, "following")?,
        public_repos: count_of(row, "public_repos")?,
        public_gists: count_of(row, "public_gists")?,
        distance: row.try_get("distance")?,
        synced_at: row.try_get("synced_at")?,
        links: DeveloperLinks {
            followers: format!("{this}/followers"),
            following: format!("{this}/following"),
            starred: format!("{this}/starred"),
            repositories: format!("{this}/repositories"),
            this,
        },
    })
}

fn repository_of(row: &PgRow, api: &str) -> Result<Repository> {
    let id: RepositoryId = row.try_get("id")?;
    let owner: Option<DeveloperId> = row.try_get("owner_id")?;
    let this = format!("{api}/repositories/{id}");
    Ok(Repository {
        id,
        forge: forge_of(row.try_get("forge")?)?,
        instance: row.try_get("instance")?,
        forge_id: row.try_get("forge_id")?,
        owner,
        owner_login: row.try_get("owner_login")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        homepage: row.try_get("homepage")?,
        language: row.try_get("language")?,
        topics: row.try_get("topics")?,
        fork: row.try_get("fork")?,
        archived: row.try_get("archived")?,
        disabled: row.try_get("disabled")?,
        stars: unsigned(row.try_get("stars")?)?,
        watchers: unsigned(row.try_get("watchers")?)?,
        forks: unsigned(row.try_get("forks")?)?,
        open_issues: unsigned(row.try_get("open_issues")?)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        pushed_at: row.try_get("pushed_at")?,
        synced_at: row.try_get("synced_at")?,
        links: RepositoryLinks {
            owner: owner.map(|o| format!("{api}/developers/{o}")),
            stargazers: format!("{this}/stargazers"),
            this,
        },
    })
}

impl Store {
    /// A page of developers of `scope` under `filters`, in `order`.
    pub async fn list_developers(
        &self,
        scope: Developers,
        filters: &DeveloperFilters,
        order: Order,
        after: Option<&Cursor>,
        limit: usize,
        api: &str,
    ) -> Result<Slice<Developer>> {
        let table = Table {
            name: "developers",
            columns: DEVELOPER_COLUMNS,
        };
        self.list(
            table,
            CountKey::Developers(scope, filters.clone()),
            |q| push_developer_filters(q, scope, filters),
            |row| developer_of(row, api),
            (order, after, limit),
        )
        .await
    }

    /// A page of repositories of `scope` under `filters`, in `order`.
    pub async fn list_repositories(
        &self,
        scope: Repositories,
        filters: &RepositoryFilters,
        order: Order,
        after: Option<&Cursor>,
        limit: usize,
        api: &str,
    ) -> Result<Slice<Repository>> {
        let table = Table {
            name: "repositories",
            columns: REPOSITORY_COLUMNS,
        };
        self.list(
            table,
            CountKey::Repositories(scope, filters.clone()),
            |q| push_repository_filters(q, scope, filters),
            |row| repository_of(row, api),
            (order, after, limit),
        )
        .await
    }

    /// The count and one keyset page of `table`'s rows under the
    /// conditions `filter` appends, each read by `read`.
    async fn list<T>(
        &self,
        table: Table,
        key: CountKey,
        filter: impl Fn(&mut QueryBuilder<'_, Postgres>) -> Result<()>,
        read: impl Fn(&PgRow) -> Result<T>,
        (order, after, limit): (Order, Option<&Cursor>, usize),
    ) -> Result<Slice<T>> {
        // Read before counting: a change committed in between moves the
        // generation past the count, which is then never reused.
        let generation: i64 = sqlx::query_scalar("SELECT n FROM discovery_generation")
            .fetch_one(self.pool())
            .await?;
        let count = || async {
            let mut q =
                QueryBuilder::new(format!("SELECT count(*) FROM {} t WHERE true", table.name));
            filter(&mut q)?;
            let total: i64 = q.build_query_scalar().fetch_one(self.pool()).await?;
            Ok::<_, Error>(total)
        };
        let total = match self.list_counts().cell(generation, key) {
            Some(cell) => *cell.get_or_try_init(count).await?,
            None => count().await?,
        };
        let mut q = QueryBuilder::new(format!(
            "SELECT {}, {} AS k FROM {} t WHERE true",
            table.columns,
            order.key.sql(),
            table.name
        ));
        filter(&mut q)?;
        push_page(&mut q, order, after, bigint(limit)?);
        let rows = q.build().fetch_all(self.pool()).await?;
        let rows = rows
            .iter()
            .map(|row| Ok((read(row)?, order.key.key_of(row)?, row.try_get("id")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(slice(unsigned(total)?, rows, after, limit))
    }

    pub async fn developer(&self, id: DeveloperId, api: &str) -> Result<Option<Developer>> {
        let row = sqlx::query(&format!(
            "SELECT {DEVELOPER_COLUMNS} FROM developers t WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| developer_of(&row, api)).transpose()
    }

    pub async fn repository(&self, id: RepositoryId, api: &str) -> Result<Option<Repository>> {
        let row = sqlx::query(&format!(
            "SELECT {REPOSITORY_COLUMNS} FROM repositories t WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| repository_of(&row, api)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> impl proptest::strategy::Strategy<Value = Cursor> {
        use proptest::prelude::*;
        let key = prop_oneof![
            any::<i64>().prop_map(Key::Int),
            (-8_000_000_000_000i64..8_000_000_000_000)
                .prop_map(|ms| Key::Time(DateTime::from_timestamp_millis(ms).unwrap())),
            "\\PC{0,30}".prop_map(Key::Text),
        ];
        (key, any::<i64>(), any::<bool>()).prop_map(|(key, id, back)| Cursor { key, id, back })
    }

    proptest::proptest! {
        #[test]
        fn any_cursor_reads_back_and_stays_safe_in_an_address(cursor in cursor()) {
            let text = cursor.encode();
            proptest::prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{}", text);
            proptest::prop_assert_eq!(Cursor::decode(&text).unwrap(), cursor);
        }

        #[test]
        fn no_text_makes_a_cursor_panic(text in "\\PC{0,40}|[A-Za-z0-9_-]{0,60}") {
            let _ = Cursor::decode(&text);
            let _ = crate::store::reports::ItemCursor::decode(&text);
        }
    }

    #[test]
    fn cursors_go_round_and_foreign_ones_are_refused() {
        let cursor = Cursor {
            key: Key::Text("octocat".into()),
            id: 42,
            back: true,
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("not a cursor").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"[1,2]")).is_err());
    }

    #[test]
    fn orderings_come_from_the_allow_list_only() {
        let order = Order::parse("-followers", &SortKey::DEVELOPERS).unwrap();
        assert_eq!(order.key, SortKey::Followers);
        assert!(order.descending);
        assert!(Order::parse("stars", &SortKey::DEVELOPERS).is_none());
        assert!(Order::parse("id; DROP TABLE developers", &SortKey::DEVELOPERS).is_none());
    }

    #[test]
    fn searches_match_their_text_literally() {
        assert_eq!(contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
