//! The tracker's list as a person reads it: keyset pages, newest activity
//! first, under filters, and the count behind every filter value; and the
//! stored items and comments of one repository.

use chrono::{DateTime, Utc};
use model::tracker::{Comment, Facet, FacetCount, IssueCounts, IssueFilter, IssueRow, IssueState};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::accounts::{UserId, forge_of};
use super::tracker::{RepoId, status_of};
use super::{Store, bigint, unsigned};
use crate::error::{Error, Result};

/// The words of a text search as a prefix query: every word must start a
/// word of the title or body. Only letters and digits reach the query, so
/// nothing typed can be read as tsquery syntax.
pub fn prefix_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// Where a page of the list ends: the last row's sort key, as text.
pub fn cursor_of(row: &IssueRow) -> String {
    format!(
        "{}.{}.{}",
        row.updated_at.timestamp_micros(),
        row.repo_id,
        row.number
    )
}

fn parse_cursor(text: &str) -> Result<(DateTime<Utc>, RepoId, i64)> {
    let bad = || Error::Invalid(format!("{text:?} is not a cursor of this list"));
    let parts: Vec<&str> = text.split('.').collect();
    let [micros, repo, number] = parts.as_slice() else {
        return Err(bad());
    };
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let repo: RepoId = repo.parse().map_err(|_| bad())?;
    let number: i64 = number.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, repo, number))
}

/// The filters by name (a facet's key, or `text`), in the order the
/// counts' columns `f_<name>` come.
const FILTERS: [&str; 7] = [
    "forge", "repo", "state", "label", "assignee", "author", "text",
];

/// Pushes the SQL condition of the filter `name` (binding its value), or
/// returns false when that filter is not set. Only the filters set reach
/// the SQL, so each combination gets a plan of its own: a generic plan
/// over "filter IS NULL OR …" would sort every visible row for each page.
fn push_condition(q: &mut QueryBuilder<'_, Postgres>, name: &str, filter: &IssueFilter) -> bool {
    match name {
        "forge" => match filter.forge {
            Some(forge) => q.push("r.forge = ").push_bind(forge.key().to_owned()),
            None => return false,
        },
        "repo" => match filter.repo {
            Some(repo) => q.push("i.repository_id = ").push_bind(repo),
            None => return false,
        },
        "state" => match filter.state {
            Some(IssueState::Open) => q.push("i.status = 'open'"),
            Some(IssueState::Closed) => q.push("i.status <> 'open'"),
            None => return false,
        },
        "label" => match &filter.label {
            Some(label) => q
                .push("i.labels @> ARRAY[")
                .push_bind(label.clone())
                .push("]::text[]"),
            None => return false,
        },
        "assignee" => match &filter.assignee {
            Some(assignee) => q
                .push("i.assignees @> ARRAY[")
                .push_bind(assignee.clone())
                .push("]::text[]"),
            None => return false,
        },
        "author" => match &filter.author {
            Some(author) => q.push("i.author = ").push_bind(author.clone()),
            None => return false,
        },
        _ => match filter.q.as_deref().and_then(prefix_query) {
            Some(words) => q
                .push("i.search @@ to_tsquery('simple', ")
                .push_bind(words)
                .push(")"),
            None => return false,
        },
    };
    true
}

/// The rows a person may see: their subscriptions' items, unless they lost
/// access to the repository.
fn push_visible_from(q: &mut QueryBuilder<'_, Postgres>, user: UserId) {
    q.push(
        " FROM tracked_issues i
          JOIN subscriptions s ON s.repository_id = i.repository_id AND s.lost_access IS NULL
           AND s.user_id = ",
    )
    .push_bind(user)
    .push(" JOIN tracked_repositories r ON r.id = i.repository_id");
}

const ROW_COLUMNS: &str = "r.forge, r.path, i.repository_id, i.number, i.title, i.url, i.status, \
     i.author, i.labels, i.assignees, i.comments, i.created_at, i.updated_at";

fn issue_row(row: &PgRow) -> Result<IssueRow> {
    Ok(IssueRow {
        repo_id: row.try_get("repository_id")?,
        forge: forge_of(row.try_get("forge")?)?,
        repository: row.try_get("path")?,
        number: unsigned(row.try_get::<i64, _>("number")?)?,
        title: row.try_get("title")?,
        url: row.try_get("url")?,
        status: status_of(row.try_get("status")?),
        author: row.try_get("author")?,
        labels: row.try_get("labels")?,
        assignees: row.try_get("assignees")?,
        comments: unsigned(row.try_get::<i32, _>("comments")?.into())?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// How many values of the many-valued facets the counts list.
const FACET_VALUES: i64 = 30;

impl Store {
    /// A page of what `user` may see under `filter`, newest activity first,
    /// after the cursor `after` from the previous page.
    pub async fn list_issues(
        &self,
        user: UserId,
        filter: &IssueFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<IssueRow>> {
        let after = after.map(parse_cursor).transpose()?;
        let mut q = QueryBuilder::new(format!("SELECT {ROW_COLUMNS}"));
        push_visible_from(&mut q, user);
        q.push(" WHERE true");
        for name in FILTERS {
            q.push(" AND ");
            if !push_condition(&mut q, name, filter) {
                q.push("true");
            }
        }
        if let Some((at, repo, number)) = after {
            q.push(" AND (i.updated_at, i.repository_id, i.number) < (")
                .push_bind(at)
                .push(", ")
                .push_bind(repo)
                .push(", ")
                .push_bind(number)
                .push(")");
        }
        q.push(" ORDER BY i.updated_at DESC, i.repository_id DESC, i.number DESC LIMIT ")
            .push_bind(limit);
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(issue_row).collect()
    }

    /// The list's total and, for each facet, how many items each value has
    /// with the other facets' filters applied: choosing a value shows that
    /// many. One snapshot, one round trip.
    pub async fn issue_counts(&self, user: UserId, filter: &IssueFilter) -> Result<IssueCounts> {
        let mut q = QueryBuilder::new(format!(
            "WITH visible AS MATERIALIZED (SELECT {ROW_COLUMNS}"
        ));
        for name in FILTERS {
            q.push(", ");
            if !push_condition(&mut q, name, filter) {
                q.push("true");
            }
            q.push(format!(" AS f_{name}"));
        }
        push_visible_from(&mut q, user);
        let all = |except: &str| {
            FILTERS
                .iter()
                .filter(|name| **name != except)
                .map(|name| format!("f_{name}"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let grouped = |facet: Facet, value: &str, label: &str, from: &str| {
            format!(
                " UNION ALL (SELECT '{}' AS facet, {value} AS value, {label} AS label, count(*) AS n
                  FROM {from} WHERE {} GROUP BY 2 ORDER BY 4 DESC, 2 LIMIT {FACET_VALUES})",
                facet.key(),
                all(facet.key())
            )
        };
        q.push(format!(
            ") SELECT 'total' AS facet, '' AS value, '' AS label, count(*) AS n
               FROM visible WHERE {}",
            all("")
        ));
        for part in [
            grouped(Facet::Forge, "forge", "min(forge)", "visible"),
            grouped(
                Facet::Repo,
                "repository_id::text",
                "min(path) || ' (' || min(forge) || ')'",
                "visible",
            ),
            grouped(
                Facet::State,
                "CASE WHEN status = 'open' THEN 'open' ELSE 'closed' END",
                "min(CASE WHEN status = 'open' THEN 'open' ELSE 'closed' END)",
                "visible",
            ),
            grouped(Facet::Label, "l", "min(l)", "visible, unnest(labels) l"),
            grouped(
                Facet::Assignee,
                "a",
                "min(a)",
                "visible, unnest(assignees) a",
            ),
            grouped(
                Facet::Author,
                "coalesce(author, '')",
                "min(coalesce(author, '(unknown)'))",
                "visible",
            ),
        ] {
            q.push(part);
        }
        let rows = q.build().fetch_all(self.pool()).await?;
        let mut counts = IssueCounts {
            total: 0,
            facets: Facet::ALL.iter().map(|f| (*f, Vec::new())).collect(),
        };
        for row in &rows {
            let facet: String = row.try_get("facet")?;
            let n: i64 = row.try_get("n")?;
            if facet == "total" {
                counts.total = unsigned(n)?;
                continue;
            }
            let Some((_, values)) = counts.facets.iter_mut().find(|(f, _)| f.key() == facet) else {
                continue;
            };
            let value: String = row.try_get("value")?;
            let mut label: String = row.try_get("label")?;
            if facet == "forge" {
                label = forge_of(&label)?.name().to_owned();
            }
            values.push(FacetCount {
                value,
                label,
                count: unsigned(n)?,
            });
        }
        for (_, values) in &mut counts.facets {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        }
        Ok(counts)
    }

    /// The comments stored for an item, oldest first (what its count counts).
    pub async fn comments_of(&self, repo: RepoId, number: u64) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT id, author, body, url, created_at FROM issue_comments
             WHERE repository_id = $1 AND issue_number = $2 ORDER BY created_at, id",
        )
        .bind(repo)
        .bind(bigint(number)?)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    url: row.try_get("url")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Every item stored for a repository, by number (for tests and checks).
    pub async fn items_of(&self, repo: RepoId) -> Result<Vec<IssueRow>> {
        let rows = sqlx::query(
            "SELECT r.forge, r.path, i.repository_id, i.number, i.title, i.url, i.status, i.author,
                    i.labels, i.assignees, i.comments, i.created_at, i.updated_at
             FROM tracked_issues i JOIN tracked_repositories r ON r.id = i.repository_id
             WHERE i.repository_id = $1 ORDER BY i.number",
        )
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(issue_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use model::contribution::Status;
    use model::forge::Forge;

    use super::*;

    proptest::proptest! {
        #[test]
        fn any_row_s_cursor_reads_back(
            micros in -8_000_000_000_000_000i64..8_000_000_000_000_000,
            repo in proptest::num::i64::ANY,
            number in proptest::num::i64::ANY,
        ) {
            let at = DateTime::from_timestamp_micros(micros).unwrap();
            let cursor = format!("{}.{repo}.{number}", at.timestamp_micros());
            proptest::prop_assert_eq!(parse_cursor(&cursor).unwrap(), (at, RepoId(repo), number));
        }

        #[test]
        fn no_text_makes_a_cursor_panic(text in "\\PC{0,40}|-?[0-9]{1,20}\\.-?[0-9]{1,20}\\.-?[0-9]{1,20}") {
            let _ = parse_cursor(&text);
        }
    }

    #[test]
    fn text_search_keeps_only_words() {
        assert_eq!(
            prefix_query("Crash on start").as_deref(),
            Some("crash:* & on:* & start:*")
        );
        assert_eq!(
            prefix_query("a&b|!(c:*)").as_deref(),
            Some("a:* & b:* & c:*")
        );
        assert_eq!(prefix_query("  !!! "), None);
    }

    #[test]
    fn cursors_go_round_and_bad_ones_are_refused() {
        let row = IssueRow {
            repo_id: RepoId(7),
            forge: Forge::GitHub,
            repository: "o/r".into(),
            number: 42,
            title: String::new(),
            url: String::new(),
            status: Status::Open,
            author: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            comments: 0,
            created_at: Utc::now(),
            updated_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
        };
        let cursor = cursor_of(&row);
        assert_eq!(
            parse_cursor(&cursor).unwrap(),
            (row.updated_at, RepoId(7), 42)
        );
        assert!(parse_cursor("1.2").is_err());
        assert!(parse_cursor("x.y.z").is_err());
        assert!(parse_cursor(&format!("{cursor}.9")).is_err());
    }

    #[test]
    fn only_the_filters_set_reach_the_sql() {
        let filter = IssueFilter {
            label: Some("bug".into()),
            state: Some(IssueState::Closed),
            q: Some("!!!".into()),
            ..IssueFilter::default()
        };
        let mut q = QueryBuilder::<Postgres>::new("");
        let set: Vec<&str> = FILTERS
            .into_iter()
            .filter(|name| push_condition(&mut q, name, &filter))
            .collect();
        assert_eq!(set, ["state", "label"]);
        let sql = q.sql().to_string();
        assert!(
            sql.contains("i.status <> 'open'") && sql.contains("i.labels @> ARRAY[$1]"),
            "{sql}"
        );
    }
}
