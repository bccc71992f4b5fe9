//! GitHub (github.com or Enterprise): GraphQL `contributionsCollection` in
//! windows of at most a year for what a person did, and REST for the detail
//! GraphQL lacks (each commit, merges of older pull requests, comments).

mod activity;
mod graphql;
pub mod network;
pub mod organisation;
mod search;
mod tracker;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::try_join_all;
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::http::{Auth, Call, Http, Limits};
use super::paging::{day_windows, linked_pages};
use super::{Days, Endpoint, instance_of};
use crate::error::{Error, Result};

/// `contributionsCollection` spans at most a year; 365 days always fits.
const WINDOW_DAYS: u32 = 365;

pub struct GitHub {
    api: String,
    /// GraphQL needs a token.
    authenticated: bool,
    graphql: String,
    instance: String,
    http: Http,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepoName {
    name_with_owner: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Connection<T> {
    #[serde(rename = "pageInfo")]
    page_info: PageInfo,
    nodes: Vec<T>,
}

impl GitHub {
    pub fn new(endpoint: &Endpoint, limits: &Limits) -> Result<Self> {
        let auth = endpoint.token.clone().map_or(Auth::None, Auth::Bearer);
        let api = endpoint.api_url.trim_end_matches('/').to_owned();
        Ok(Self {
            authenticated: endpoint.token.is_some(),
            graphql: graphql::endpoint(&api),
            instance: instance_of(&api),
            http: Http::new(auth, limits)?.only_to(&api),
            api,
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    fn contribution(&self, kind: ContributionKind, author: &str) -> Contribution {
        Contribution::new(Forge::GitHub, &self.instance, kind, author)
    }

    /// Runs a GraphQL query. A `RATE_LIMITED` answer (points spent by
    /// someone else with the same token) is asked again: the governor has
    /// seen `remaining: 0` and waits for the reset first.
    async fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<graphql::Answer<T>> {
        self.graphql_costing(query, variables, 1).await
    }

    /// [`GitHub::graphql`] for a query that costs `points` (see
    /// [`graphql::points`]), so the governor holds that many.
    async fn graphql_costing<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
        points: u64,
    ) -> Result<graphql::Answer<T>> {
        const ATTEMPTS: u32 = 5;
        let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let mut call = Call::post(&self.graphql, "graphql", "application/json", body);
        call.cost = points;
        for _ in 0..ATTEMPTS {
            let answer = self.http.fetch(&call, graphql::decode::<T>).await?.value;
            if answer.error_of_type("RATE_LIMITED").is_none() {
                return Ok(answer);
            }
        }
        Err(Error::Status {
            url: self.graphql.clone(),
            status: 200,
            message: format!("still RATE_LIMITED after {ATTEMPTS} tries"),
        })
    }

    /// Everything `login` contributed on the UTC days `from..=to`.
    pub async fn contributions(
        &self,
        login: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Contribution>> {
        let range = Days::new(from, to)?;
        // GraphQL needs a token; without one, search and REST do all of it.
        let (login, mut found) = if self.authenticated {
            let login = self.canonical_login(login).await?;
            let found = self.via_graphql(&login, range).await?;
            (login, found)
        } else {
            let login = self.rest_login(login).await?;
            let found = self.via_search(&login, range).await?;
            (login, found)
        };
        let (merged, comments) = tokio::try_join!(
            self.merged_pulls(&login, range),
            self.issue_comments(&login, range)
        )?;
        found.extend(merged);
        found.extend(comments);
        Ok(found)
    }

    /// Commits, opened issues and pull requests, and reviews from
    /// `contributionsCollection`, a window of at most a year at a time.
    async fn via_graphql(&self, login: &str, range: Days) -> Result<Vec<Contribution>> {
        let mut found = Vec::new();
        for (from, to) in day_windows(range.from, range.to, WINDOW_DAYS) {
            let window = Days { from, to };
            let (commits, issues, pulls, reviews) = tokio::try_join!(
                self.commits(login, window),
                self.opened_issues(login, window),
                self.opened_pulls(login, window),
                self.reviews(login, window),
            )?;
            found.extend(commits);
            found.extend(issues);
            found.extend(pulls);
            found.extend(reviews);
        }
        Ok(found)
    }

    /// The login as GitHub spells it, from `GET /users/{login}`.
    async fn rest_login(&self, login: &str) -> Result<String> {
        let call = Call::get(format!("{}/users/{login}", self.api), "core");
        let user = self
            .http
            .fetch(&call, |body| {
                serde_json::from_slice::<Login>(body).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::NotFound {
                    what: format!("GitHub user `{login}` on {}", self.instance),
                },
                other => other,
            })?;
        Ok(user.value.login)
    }

    /// The login as GitHub spells it, or [`Error::NotFound`].
    async fn canonical_login(&self, login: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct Data {
            user: Option<User>,
        }
        #[derive(Deserialize)]
        struct User {
            login: String,
        }
        let answer: graphql::Answer<Data> = self
            .graphql(
                "query($login: String!) { user(login: $login) { login } }",
                json!({ "login": login }),
            )
            .await?;
        match answer.data.as_ref().and_then(|d| d.user.as_ref()) {
            Some(user) => Ok(user.login.clone()),
            None if answer.error_of_type("NOT_FOUND").is_some() => Err(Error::NotFound {
                what: format!("GitHub user `{login}` on {}", self.instance),
            }),
            None => Err(graphql_failure(&self.graphql, &answer)),
        }
    }

    /// One page of a `contributionsCollection` connection.
    async fn collection_page<T: DeserializeOwned>(
        &self,
        login: &str,
        window: Days,
        field: &str,
        selection: &str,
        after: Option<String>,
    ) -> Result<Connection<T>> {
        let query = format!(
            "query($login: String!, $from: DateTime!, $to: DateTime!, $after: String) {{
              user(login: $login) {{ contributionsCollection(from: $from, to: $to) {{
                {field}(first: 100, after: $after, orderBy: {{direction: ASC}}) {{
                  pageInfo {{ hasNextPage endCursor }} nodes {{ {selection} }} }} }} }} }}"
        );
        let variables =
            json!({ "login": login, "from": window.start(), "to": window.end(), "after": after });
        let answer: graphql::Answer<Value> = self.graphql(&query, variables).await?;
        let connection = answer
            .data
            .as_ref()
            .and_then(|d| d.pointer(&format!("/user/contributionsCollection/{field}")))
            .cloned()
            .ok_or_else(|| graphql_failure(&self.graphql, &answer))?;
        serde_json::from_value(connection).map_err(|e| Error::Malformed {
            url: self.graphql.clone(),
            problem: format!("{field}: {e}"),
        })
    }

    /// Every node of a `contributionsCollection` connection, page by page.
    async fn collection_all<T: DeserializeOwned>(
        &self,
        login: &str,
        window: Days,
        field: &str,
        selection: &str,
    ) -> Result<Vec<T>> {
        let mut nodes = Vec::new();
        let mut after = None;
        loop {
            let page: Connection<T> = self
                .collection_page(login, window, field, selection, after)
                .await?;
            nodes.extend(page.nodes);
            if !page.page_info.has_next_page {
                return Ok(nodes);
            }
            after = page.page_info.end_cursor;
        }
    }

    async fn opened_issues(&self, login: &str, window: Days) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Node {
            issue: Item,
        }
        let nodes: Vec<Node> = self
            .collection_all(
                login,
                window,
                "issueContributions",
                &format!("issue {{ {ITEM} }}"),
            )
            .await?;
        Ok(nodes
            .into_iter()
            .map(|n| self.item(ContributionKind::IssueOpened, login, n.issue, None))
            .collect())
    }

    async fn opened_pulls(&self, login: &str, window: Days) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Node {
            pull_request: Item,
        }
        let nodes: Vec<Node> = self
            .collection_all(
                login,
                window,
                "pullRequestContributions",
                &format!("pullRequest {{ {ITEM} }}"),
            )
            .await?;
        Ok(nodes
            .into_iter()
            .map(|n| {
                self.item(
                    ContributionKind::PullRequestOpened,
                    login,
                    n.pull_request,
                    None,
                )
            })
            .collect())
    }

    async fn reviews(&self, login: &str, window: Days) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Node {
            occurred_at: DateTime<Utc>,
            pull_request_review: Review,
            pull_request: Item,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Review {
            database_id: u64,
            url: String,
        }
        let nodes: Vec<Node> = self
            .collection_all(
                login,
                window,
                "pullRequestReviewContributions",
                &format!(
                    "occurredAt pullRequestReview {{ databaseId url }} pullRequest {{ {ITEM} }}"
                ),
            )
            .await?;
        Ok(nodes
            .into_iter()
            .map(|n| Contribution {
                id: n.pull_request_review.database_id.to_string(),
                repository: n.pull_request.repository.name_with_owner.clone(),
                title: n.pull_request.title.clone(),
                url: n.pull_request_review.url,
                occurred_at: n.occurred_at,
                ..self.contribution(ContributionKind::Review, login)
            })
            .collect())
    }

    /// An issue or pull request as a contribution of `kind`, at its creation
    /// unless `at` says otherwise.
    fn item(
        &self,
        kind: ContributionKind,
        login: &str,
        item: Item,
        at: Option<DateTime<Utc>>,
    ) -> Contribution {
        let status = match item.state.as_str() {
            "OPEN" => Status::Open,
            "MERGED" => Status::Merged,
            _ => Status::Closed,
        };
        Contribution {
            id: format!("{}#{}", item.repository.name_with_owner, item.number),
            status: Some(status),
            repository: item.repository.name_with_owner,
            title: item.title,
            url: item.url,
            occurred_at: at.unwrap_or(item.created_at),
            ..self.contribution(kind, login)
        }
    }

    /// Commits: GraphQL names the repositories and the total; REST lists
    /// each commit. A window with 100 repositories (GraphQL's cap) whose
    /// commits fall short of the total is split in two.
    async fn commits(&self, login: &str, window: Days) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Collection {
            total_commit_contributions: u64,
            commit_contributions_by_repository: Vec<ByRepo>,
        }
        #[derive(Deserialize)]
        struct ByRepo {
            repository: RepoName,
        }
        let query = "query($login: String!, $from: DateTime!, $to: DateTime!) {
          user(login: $login) { contributionsCollection(from: $from, to: $to) {
            totalCommitContributions commitContributionsByRepository(maxRepositories: 100) { repository { nameWithOwner } } } } }";
        let answer: graphql::Answer<Value> = self
            .graphql(
                query,
                json!({ "login": login, "from": window.start(), "to": window.end() }),
            )
            .await?;
        let collection: Collection = answer
            .data
            .as_ref()
            .and_then(|d| d.pointer("/user/contributionsCollection"))
            .cloned()
            .ok_or_else(|| graphql_failure(&self.graphql, &answer))
            .and_then(|v| {
                serde_json::from_value(v).map_err(|e| Error::Malformed {
                    url: self.graphql.clone(),
                    problem: e.to_string(),
                })
            })?;
        let repos = collection.commit_contributions_by_repository;
        let lists = try_join_all(
            repos
                .iter()
                .map(|r| self.repo_commits(login, &r.repository.name_with_owner, window)),
        )
        .await?;
        let commits: Vec<Contribution> = lists.into_iter().flatten().collect();
        let listed = commits.len() as u64;
        if listed == collection.total_commit_contributions {
            return Ok(commits);
        }
        // GraphQL names at most 100 repositories: a shortfall then means
        // some were left out, and a smaller window names fewer.
        if repos.len() == 100
            && let Some((early, late)) = window.halves()
        {
            let (early, late) = tokio::try_join!(
                Box::pin(self.commits(login, early)),
                Box::pin(self.commits(login, late))
            )?;
            return Ok(early.into_iter().chain(late).collect());
        }
        Err(Error::Inconsistent(format!(
            "GitHub counts {} commits by {login} from {} to {}, but its commit lists hold {listed}",
            collection.total_commit_contributions, window.from, window.to
        )))
    }

    /// `login`'s commits in one repository authored within the window. The
    /// REST filter is on commit time, so a day either side is asked for and
    /// the author time decides.
    async fn repo_commits(
        &self,
        login: &str,
        repo: &str,
        window: Days,
    ) -> Result<Vec<Contribution>> {
        let margin = chrono::Duration::days(1);
        let first = Call::get(format!("{}/repos/{repo}/commits", self.api), "core")
            .query("author", login)
            .query("since", (window.start() - margin).to_rfc3339())
            .query("until", (window.end() + margin).to_rfc3339())
            .query("per_page", 100);
        let items: Vec<CommitItem> = linked_pages(&self.http, first, |what| {
            format!("repository `{repo}` ({what})")
        })
        .await?;
        Ok(items
            .into_iter()
            .filter(|c| window.contains(c.commit.author.date))
            .filter(|c| {
                c.author
                    .as_ref()
                    .is_some_and(|a| a.login.eq_ignore_ascii_case(login))
            })
            .map(|c| self.commit(login, repo, c))
            .collect())
    }

    /// A commit of a REST list or a commit search as a contribution.
    fn commit(&self, login: &str, repository: &str, c: CommitItem) -> Contribution {
        Contribution {
            id: c.sha,
            repository: repository.to_owned(),
            title: c
                .commit
                .message
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
            url: c.html_url,
            occurred_at: c.commit.author.date,
            ..self.contribution(ContributionKind::Commit, login)
        }
    }
}

/// The fields of an issue or pull request the queries select.
const ITEM: &str = "number title url state createdAt repository { nameWithOwner }";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    number: u64,
    title: String,
    url: String,
    state: String,
    created_at: DateTime<Utc>,
    repository: RepoName,
}

/// A commit as REST lists and commit search give it (search adds the repository).
#[derive(Debug, Deserialize)]
struct CommitItem {
    sha: String,
    html_url: String,
    commit: CommitDetail,
    author: Option<Login>,
    repository: Option<RepositoryName>,
}

#[derive(Debug, Deserialize)]
struct CommitDetail {
    author: Signature,
    message: String,
}

#[derive(Debug, Deserialize)]
struct Signature {
    date: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct RepositoryName {
    full_name: String,
}

#[derive(Debug, Deserialize)]
struct Login {
    login: String,
}

fn graphql_failure<T>(url: &str, answer: &graphql::Answer<T>) -> Error {
    let messages: Vec<&str> = answer.errors.iter().map(|e| e.message.as_str()).collect();
    Error::Status {
        url: url.to_owned(),
        status: 200,
        message: if messages.is_empty() {
            "GraphQL answered without data".into()
        } else {
            messages.join("; ")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::search::SearchItem;
    use super::*;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    /// A recorded api.github.com exchange from `shared/fixtures/github`
    /// (TALLY_SHARED_DIR overrides where `shared/` is).
    fn recorded(name: &str) -> Value {
        let shared = std::env::var("TALLY_SHARED_DIR")
            .unwrap_or_else(|_| format!("{}/../../shared", env!("CARGO_MANIFEST_DIR")));
        let path = format!("{shared}/fixtures/github/{name}");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e} (set TALLY_SHARED_DIR to the shared/ folder)"));
        serde_json::from_str::<Value>(&text).unwrap()[0].clone()
    }

    fn headers(exchange: &Value) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in exchange["headers"].as_object().unwrap() {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(text),
            ) {
                map.insert(name, value);
            }
        }
        map
    }

    #[test]
    fn a_recorded_search_page_decodes() {
        #[derive(Deserialize)]
        struct Page {
            total_count: u64,
            items: Vec<SearchItem>,
        }
        let exchange = recorded("search-issues.json");
        let page: Page = serde_json::from_value(exchange["response"].clone()).unwrap();
        assert_eq!(page.total_count, page.items.len() as u64);
        assert_eq!(
            page.items[0].repository(),
            "octokit-fixture-org/search-issues"
        );
        let limits = super::super::governor::read_headers(&headers(&exchange)).unwrap();
        assert!(limits.0 > 0 && limits.1 <= limits.0, "{limits:?}");
    }

    #[test]
    fn recorded_headers_feed_the_governor() {
        for name in [
            "get-repository.json",
            "get-organization.json",
            "labels.json",
        ] {
            let exchange = recorded(name);
            let (limit, remaining, reset) =
                super::super::governor::read_headers(&headers(&exchange))
                    .unwrap_or_else(|| panic!("{name} has rate-limit headers"));
            assert!(remaining <= limit && reset > 1_500_000_000, "{name}");
        }
    }

    #[test]
    fn a_recorded_validation_error_keeps_its_message() {
        let exchange = recorded("errors.json");
        let body = serde_json::to_vec(&exchange["response"]).unwrap();
        let status = reqwest::StatusCode::from_u16(
            u16::try_from(exchange["status"].as_u64().unwrap()).unwrap(),
        )
        .unwrap();
        let error =
            super::super::http::status_error("https://api.github.com/x".into(), status, &body);
        assert_eq!(
            error.to_string(),
            "https://api.github.com/x: HTTP 422: Validation Failed"
        );
    }
}
