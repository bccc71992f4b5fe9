//! What GitHub's search finds, for what GraphQL does not give (merges of
//! pull requests opened before the range, issue comments) and for callers
//! without a token (everything): search, split when it caps, and REST for
//! each result's detail.

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use model::contribution::{Contribution, ContributionKind, Status};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::super::Days;
use super::super::http::Call;
use super::super::paging::{linked_pages, next_link};
use super::{CommitItem, GitHub, Login};
use crate::error::{Error, Result};

/// GitHub's search serves at most this many results per query.
const SEARCH_CAP: u64 = 1000;
impl GitHub {
    /// The same from search and REST, for callers without a token.
    pub(super) async fn via_search(&self, login: &str, range: Days) -> Result<Vec<Contribution>> {
        let (commits, issues, pulls, reviews) = tokio::try_join!(
            self.searched_commits(login, range),
            self.searched_items(login, range, false),
            self.searched_items(login, range, true),
            self.searched_reviews(login, range),
        )?;
        Ok(commits
            .into_iter()
            .chain(issues)
            .chain(pulls)
            .chain(reviews)
            .collect())
    }

    async fn searched_commits(&self, login: &str, range: Days) -> Result<Vec<Contribution>> {
        let items: Vec<CommitItem> = self
            .search_all(
                "/search/commits",
                |days| format!("author:{login} author-date:{}", days.search_range()),
                range,
            )
            .await?;
        items
            .into_iter()
            .filter(|c| range.contains(c.commit.author.date))
            .map(|c| {
                let repository = c
                    .repository
                    .as_ref()
                    .map(|r| r.full_name.clone())
                    .ok_or_else(|| Error::Malformed {
                        url: format!("{}/search/commits", self.api),
                        problem: format!("commit {} comes without its repository", c.sha),
                    })?;
                Ok(self.commit(login, &repository, c))
            })
            .collect()
    }

    /// Issues (or pull requests) `login` opened within the range.
    async fn searched_items(
        &self,
        login: &str,
        range: Days,
        pulls: bool,
    ) -> Result<Vec<Contribution>> {
        let (kind, qualifier) = if pulls {
            (ContributionKind::PullRequestOpened, "is:pr")
        } else {
            (ContributionKind::IssueOpened, "is:issue")
        };
        let items: Vec<SearchItem> = self
            .search_all(
                "/search/issues",
                |days| format!("{qualifier} author:{login} created:{}", days.search_range()),
                range,
            )
            .await?;
        Ok(items
            .into_iter()
            .filter(|item| range.contains(item.created_at))
            .map(|item| {
                let merged = item
                    .pull_request
                    .as_ref()
                    .is_some_and(|p| p.merged_at.is_some());
                let status = match (item.state.as_str(), merged) {
                    ("open", _) => Status::Open,
                    (_, true) => Status::Merged,
                    _ => Status::Closed,
                };
                Contribution {
                    id: format!("{}#{}", item.repository(), item.number),
                    status: Some(status),
                    repository: item.repository(),
                    title: item.title.clone(),
                    url: item.html_url.clone(),
                    occurred_at: item.created_at,
                    ..self.contribution(kind, login)
                }
            })
            .collect())
    }

    /// Reviews `login` submitted within the range: search finds the pull
    /// requests they reviewed, each one's reviews give the detail.
    async fn searched_reviews(&self, login: &str, range: Days) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Review {
            id: u64,
            html_url: String,
            user: Option<Login>,
            submitted_at: Option<DateTime<Utc>>,
        }
        let pulls: Vec<SearchItem> = self
            .search_all(
                "/search/issues",
                |days| format!("is:pr reviewed-by:{login} updated:{}", days.search_range()),
                range.through_today(),
            )
            .await?;
        let lists = try_join_all(pulls.iter().map(|pull| async move {
            let repo = pull.repository();
            let first = Call::get(
                format!("{}/repos/{repo}/pulls/{}/reviews", self.api, pull.number),
                "core",
            )
            .query("per_page", 100);
            let reviews: Vec<Review> = linked_pages(&self.http, first, |what| {
                format!("pull request {repo}#{} ({what})", pull.number)
            })
            .await?;
            Ok::<_, Error>(
                reviews
                    .into_iter()
                    .filter(|r| {
                        r.user
                            .as_ref()
                            .is_some_and(|u| u.login.eq_ignore_ascii_case(login))
                    })
                    .filter_map(|r| {
                        let at = r.submitted_at.filter(|at| range.contains(*at))?;
                        Some(Contribution {
                            id: r.id.to_string(),
                            repository: repo.clone(),
                            title: pull.title.clone(),
                            url: r.html_url,
                            occurred_at: at,
                            ..self.contribution(ContributionKind::Review, login)
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        }))
        .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    /// Search results for `q`, all pages. Search serves a capped number of
    /// results per query (1,000 on github.com); when it reports more than it
    /// serves, the day range is halved until each part fits.
    async fn search_all<T: DeserializeOwned>(
        &self,
        path: &str,
        q: impl Fn(Days) -> String + Copy,
        range: Days,
    ) -> Result<Vec<T>> {
        #[derive(Deserialize)]
        struct Page<T> {
            total_count: u64,
            items: Vec<T>,
        }
        let first = Call::get(format!("{}{path}", self.api), "search")
            .query("q", q(range))
            .query("per_page", 100);
        let decode =
            |body: &[u8]| serde_json::from_slice::<Page<T>>(body).map_err(|e| e.to_string());
        let page = self.http.fetch(&first, decode).await?;
        let expected = page.value.total_count;
        // Over the documented cap there is no point paging before splitting.
        let mut items = Vec::new();
        if expected <= SEARCH_CAP {
            items = page.value.items;
            let mut next = next_link(&page.headers);
            while let Some(url) = next {
                let page = self.http.fetch(&Call::get(url, "search"), decode).await?;
                items.extend(page.value.items);
                next = next_link(&page.headers);
            }
            if items.len() as u64 == expected {
                return Ok(items);
            }
        }
        let Some((early, late)) = range.halves() else {
            return Err(Error::Inconsistent(format!(
                "GitHub search `{}` finds {expected} results on one day but serves {}",
                q(range),
                items.len()
            )));
        };
        let early = Box::pin(self.search_all(path, q, early)).await?;
        let late = Box::pin(self.search_all(path, q, late)).await?;
        Ok(early.into_iter().chain(late).collect())
    }

    /// Pull requests `login` authored that were merged within the range,
    /// whenever they were opened.
    pub(super) async fn merged_pulls(&self, login: &str, range: Days) -> Result<Vec<Contribution>> {
        let items: Vec<SearchItem> = self
            .search_all(
                "/search/issues",
                |days| format!("is:pr author:{login} merged:{}", days.search_range()),
                range,
            )
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|item| {
                let merged_at = item.pull_request.as_ref()?.merged_at?;
                range.contains(merged_at).then(|| Contribution {
                    id: format!("{}#{}", item.repository(), item.number),
                    status: Some(Status::Merged),
                    repository: item.repository(),
                    title: item.title.clone(),
                    url: item.html_url.clone(),
                    occurred_at: merged_at,
                    ..self.contribution(ContributionKind::PullRequestMerged, login)
                })
            })
            .collect())
    }

    /// Comments `login` wrote on issues within the range: search finds the
    /// issues they commented on, each issue's comments give the detail.
    pub(super) async fn issue_comments(
        &self,
        login: &str,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        let issues: Vec<SearchItem> = self
            .search_all(
                "/search/issues",
                |days| format!("is:issue commenter:{login} updated:{}", days.search_range()),
                range.through_today(),
            )
            .await?;
        let lists = try_join_all(
            issues
                .iter()
                .map(|issue| self.comments_on(login, issue, range)),
        )
        .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    async fn comments_on(
        &self,
        login: &str,
        issue: &SearchItem,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Comment {
            id: u64,
            html_url: String,
            user: Option<Login>,
            created_at: DateTime<Utc>,
        }
        let repo = issue.repository();
        let first = Call::get(
            format!("{}/repos/{repo}/issues/{}/comments", self.api, issue.number),
            "core",
        )
        .query("since", range.start().to_rfc3339())
        .query("per_page", 100);
        let comments: Vec<Comment> = linked_pages(&self.http, first, |what| {
            format!("issue {repo}#{} ({what})", issue.number)
        })
        .await?;
        Ok(comments
            .into_iter()
            .filter(|c| {
                c.user
                    .as_ref()
                    .is_some_and(|u| u.login.eq_ignore_ascii_case(login))
            })
            .filter(|c| range.contains(c.created_at))
            .map(|c| Contribution {
                id: c.id.to_string(),
                repository: repo.clone(),
                title: issue.title.clone(),
                url: c.html_url,
                occurred_at: c.created_at,
                ..self.contribution(ContributionKind::IssueComment, login)
            })
            .collect())
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchItem {
    number: u64,
    title: String,
    html_url: String,
    repository_url: String,
    state: String,
    created_at: DateTime<Utc>,
    pull_request: Option<PullRef>,
}

#[derive(Debug, Deserialize)]
struct PullRef {
    merged_at: Option<DateTime<Utc>>,
}

impl SearchItem {
    /// `owner/name` from `…/repos/owner/name`.
    pub(super) fn repository(&self) -> String {
        let mut parts = self.repository_url.rsplit('/');
        let name = parts.next().unwrap_or_default();
        let owner = parts.next().unwrap_or_default();
        format!("{owner}/{name}")
    }
}
