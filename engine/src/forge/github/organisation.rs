//! An organisation (or user) on GitHub for a health check: the owner from
//! REST (its followers and how many public repositories it has), then its
//! repositories with their figures.
//!
//! With a token, GraphQL gives every figure in pages of 100 repositories
//! (stars, forks, watchers, primary language, topics and, when asked,
//! bytes per language): 11 requests for 1,000 repositories. Without one,
//! REST lists the repositories in pages read side by side, then asks each
//! repository for its watchers (`subscribers_count`, which lists leave
//! out) and, when asked, its languages: 1 + 10 + 1,000 (or 2,000).

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use model::health_check::OwnerKind;
use serde::Deserialize;
use serde_json::json;

use super::super::http::Call;
use super::super::paging::next_link;
use super::super::plan::Part;
use super::{GitHub, graphql, graphql_failure};
use crate::error::{Error, Result};
use crate::health_check::figures::{OrganisationFigures, RepositoryFigures};

const PER_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
struct Owner {
    login: String,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    followers: Option<u64>,
    public_repos: Option<u64>,
}

impl Owner {
    /// The repositories to read: the owner's count, at most `most`.
    fn expected(&self, most: usize) -> usize {
        usize::try_from(self.public_repos.unwrap_or(0))
            .unwrap_or(usize::MAX)
            .min(most)
    }
}

#[derive(Debug, Deserialize)]
struct Listed {
    name: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    private: bool,
    stargazers_count: u64,
    forks_count: u64,
    language: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Watched {
    subscribers_count: u64,
}

/// The repositories and whether more remain than were read.
type Read = (Vec<RepositoryFigures>, bool);

impl GitHub {
    /// `login`'s public repositories, at most `most` of them, and their
    /// figures; bytes per language too when `bytes`. The requests past the
    /// owner's are claimed through `part` first.
    pub async fn organisation(
        &self,
        login: &str,
        most: usize,
        bytes: bool,
        part: Part<'_>,
    ) -> Result<OrganisationFigures> {
        let call = Call::get(format!("{}/users/{login}", self.api), "core");
        let owner: Owner = self
            .http
            .json(&call, || {
                format!("GitHub organisation or user `{login}` on {}", self.instance)
            })
            .await?
            .value;
        let what = |n: usize| move || format!("reading its {n} repositories");
        let expected = owner.expected(most);
        let pages = expected.div_ceil(PER_PAGE).max(1) as u64;
        let (repositories, truncated) = if self.authenticated {
            let points = pages * graphql::points(PER_PAGE as u64, nested(bytes));
            part.claim(&self.http, "graphql", points, None, what(expected))
                .await?;
            self.repositories_by_graphql(&owner.login, most, bytes)
                .await?
        } else {
            let per_repository = if bytes { 2 } else { 1 };
            let requests = pages + expected as u64 * per_repository;
            part.claim(&self.http, "core", requests, None, what(expected))
                .await?;
            self.repositories_by_rest(&owner, most, bytes).await?
        };
        Ok(OrganisationFigures {
            kind: if owner.kind == "Organization" {
                OwnerKind::Organization
            } else {
                OwnerKind::User
            },
            login: owner.login,
            name: owner.name,
            followers: owner.followers,
            repositories,
            truncated,
        })
    }

    async fn repositories_by_rest(&self, owner: &Owner, most: usize, bytes: bool) -> Result<Read> {
        let (listed, more) = self.public_repositories(owner, most).await?;
        let repositories = try_join_all(
            listed
                .iter()
                .map(|repo| self.repository_figures(&owner.login, repo, bytes)),
        )
        .await?;
        Ok((repositories, more))
    }

    /// The public repositories, and whether more remain past `most`. The
    /// pages the owner's count implies are asked at once; a list that
    /// grew meanwhile is followed on by its `next` links.
    async fn public_repositories(&self, owner: &Owner, most: usize) -> Result<(Vec<Listed>, bool)> {
        let expected = usize::try_from(owner.public_repos.unwrap_or(0)).unwrap_or(usize::MAX);
        let pages = owner.expected(most).div_ceil(PER_PAGE).max(1);
        let list = |page: usize| {
            Call::get(format!("{}/users/{}/repos", self.api, owner.login), "core")
                .query("type", "owner")
                .query("sort", "full_name")
                .query("per_page", PER_PAGE)
                .query("page", page)
        };
        let what = || format!("repositories of `{}` on {}", owner.login, self.instance);
        let fetched = try_join_all((1..=pages).map(|page| {
            let call = list(page);
            async move { self.http.json::<Vec<Listed>>(&call, what).await }
        }))
        .await?;
        let mut next = fetched.last().and_then(|page| next_link(&page.headers));
        let mut listed: Vec<Listed> = fetched.into_iter().flat_map(|page| page.value).collect();
        let mut pages = 0;
        while let Some(url) = next.take().filter(|_| listed.len() < most) {
            pages += 1;
            if pages > crate::forge::paging::MOST_PAGES {
                return Err(crate::forge::paging::too_many_pages(&url));
            }
            let page = self
                .http
                .json::<Vec<Listed>>(&Call::get(url, "core"), what)
                .await?;
            next = next_link(&page.headers);
            listed.extend(page.value);
        }
        // The same repository on two pages (the list moved while read) counts once.
        let mut seen = std::collections::HashSet::new();
        listed.retain(|repo| !repo.private && seen.insert(repo.name.to_lowercase()));
        let more = next.is_some() || listed.len() > most || expected > most;
        listed.truncate(most);
        Ok((listed, more))
    }

    async fn repository_figures(
        &self,
        owner: &str,
        repo: &Listed,
        bytes: bool,
    ) -> Result<RepositoryFigures> {
        let path = format!("{}/repos/{owner}/{}", self.api, repo.name);
        let what = || format!("GitHub repository `{owner}/{}`", repo.name);
        let watched_call = Call::get(path.clone(), "core");
        let watched = self.http.json::<Watched>(&watched_call, what);
        let (watched, language_bytes) = if bytes {
            let languages = self.language_bytes(owner, &repo.name);
            let (watched, languages) = futures_util::future::try_join(watched, languages).await?;
            (watched, Some(languages))
        } else {
            (watched.await?, None)
        };
        Ok(RepositoryFigures {
            name: repo.name.clone(),
            fork: repo.fork,
            stars: Some(repo.stargazers_count),
            watchers: Some(watched.value.subscribers_count),
            forks: Some(repo.forks_count),
            language: repo.language.clone(),
            language_bytes,
            topics: Some(repo.topics.clone()),
        })
    }

    /// Bytes per language of one repository, from REST.
    async fn language_bytes(&self, owner: &str, name: &str) -> Result<BTreeMap<String, u64>> {
        let call = Call::get(
            format!("{}/repos/{owner}/{name}/languages", self.api),
            "core",
        );
        let what = || format!("languages of GitHub repository `{owner}/{name}`");
        Ok(self.http.json(&call, what).await?.value)
    }

    /// The public repositories and their figures from GraphQL, a page of
    /// 100 at a time (cursors make the pages follow one another).
    async fn repositories_by_graphql(&self, login: &str, most: usize, bytes: bool) -> Result<Read> {
        let query = repositories_query(bytes);
        let points = graphql::points(PER_PAGE as u64, nested(bytes));
        let mut repositories = Vec::new();
        let mut after: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            let variables = json!({ "login": login, "after": after });
            let answer: graphql::Answer<OwnerData> =
                self.graphql_costing(&query, variables, points).await?;
            let Some(owner) = answer
                .data
                .as_ref()
                .and_then(|d| d.repository_owner.as_ref())
            else {
                return Err(match answer.data {
                    // The owner REST just found is gone: it is now missing.
                    Some(_) if answer.errors.is_empty() => Error::NotFound {
                        what: format!("GitHub organisation or user `{login}` on {}", self.instance),
                    },
                    _ => graphql_failure(&self.graphql, &answer),
                });
            };
            let page = &owner.repositories;
            for node in &page.nodes {
                if repositories.len() < most && seen.insert(node.name.to_lowercase()) {
                    repositories.push(self.figures_of(login, node, bytes).await?);
                }
            }
            let more = page.page_info.has_next_page;
            if !more || repositories.len() >= most {
                let truncated = page.total_count > repositories.len() as u64;
                return Ok((repositories, truncated));
            }
            after.clone_from(&page.page_info.end_cursor);
            if after.is_none() {
                return Err(Error::Inconsistent(format!(
                    "{}: a page of `{login}`'s repositories says more follow but gives no cursor",
                    self.graphql
                )));
            }
        }
    }

    /// One repository's figures from its GraphQL node. GitHub caps topics
    /// at 20, so one page holds them all; the rare repository with more
    /// than 100 languages has its bytes read from REST instead.
    async fn figures_of(
        &self,
        owner: &str,
        node: &GraphRepo,
        bytes: bool,
    ) -> Result<RepositoryFigures> {
        let topics = &node.repository_topics;
        if topics.total_count > topics.nodes.len() as u64 {
            return Err(Error::Inconsistent(format!(
                "{}: `{owner}/{}` lists {} of its {} topics",
                self.graphql,
                node.name,
                topics.nodes.len(),
                topics.total_count
            )));
        }
        let language_bytes = match &node.languages {
            Some(languages) if languages.total_count > languages.edges.len() as u64 => {
                Some(self.language_bytes(owner, &node.name).await?)
            }
            Some(languages) => Some(
                languages
                    .edges
                    .iter()
                    .map(|edge| (edge.node.name.clone(), edge.size))
                    .collect(),
            ),
            None if bytes => {
                return Err(Error::Inconsistent(format!(
                    "{}: `{owner}/{}` came without the languages asked for",
                    self.graphql, node.name
                )));
            }
            None => None,
        };
        Ok(RepositoryFigures {
            name: node.name.clone(),
            fork: node.is_fork,
            stars: Some(node.stargazer_count),
            watchers: Some(node.watchers.total_count),
            forks: Some(node.fork_count),
            language: node.primary_language.as_ref().map(|l| l.name.clone()),
            language_bytes,
            topics: Some(topics.nodes.iter().map(|t| t.topic.name.clone()).collect()),
        })
    }
}

/// Connections under each repository node: watchers and topics, and
/// languages when bytes are asked for.
fn nested(bytes: bool) -> u64 {
    if bytes { 3 } else { 2 }
}

/// The query for a page of an owner's public repositories with their
/// figures. `ownerAffiliations: [OWNER]`: a user's own repositories, not
/// those they collaborate on (GitHub's default adds those).
fn repositories_query(bytes: bool) -> String {
    let languages = if bytes {
        "languages(first: 100, orderBy: {field: SIZE, direction: DESC}) { totalCount edges { size node { name } } }"
    } else {
        ""
    };
    format!(
        "query($login: String!, $after: String) {{ repositoryOwner(login: $login) {{ \
         repositories(first: {PER_PAGE}, after: $after, privacy: PUBLIC, ownerAffiliations: [OWNER], \
         orderBy: {{field: NAME, direction: ASC}}) {{ totalCount pageInfo {{ hasNextPage endCursor }} \
         nodes {{ name isFork stargazerCount forkCount watchers(first: 1) {{ totalCount }} \
         primaryLanguage {{ name }} repositoryTopics(first: 100) {{ totalCount nodes {{ topic {{ name }} }} }} \
         {languages} }} }} }} }}"
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerData {
    repository_owner: Option<GraphOwner>,
}

#[derive(Debug, Deserialize)]
struct GraphOwner {
    repositories: Page<GraphRepo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    total_count: u64,
    page_info: super::PageInfo,
    nodes: Vec<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Counted {
    total_count: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphRepo {
    name: String,
    is_fork: bool,
    stargazer_count: u64,
    fork_count: u64,
    watchers: Counted,
    primary_language: Option<Named>,
    repository_topics: Topics,
    languages: Option<Languages>,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Topics {
    total_count: u64,
    nodes: Vec<TopicNode>,
}

#[derive(Debug, Deserialize)]
struct TopicNode {
    topic: Named,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Languages {
    total_count: u64,
    edges: Vec<LanguageEdge>,
}

#[derive(Debug, Deserialize)]
struct LanguageEdge {
    size: u64,
    node: Named,
}
