//! A workspace on Bitbucket for a health check: the workspace and the first
//! page of its repositories asked together, the other pages (the envelope's
//! `size` says how many) side by side, then per repository the two counts
//! Bitbucket keeps apart: its watchers and its forks, each the `size` of a
//! list. Bitbucket has no stars, topics or followers.

use futures_util::future::try_join_all;
use model::health_check::OwnerKind;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::super::http::Call;
use super::super::plan::{Part, Window};
use super::Bitbucket;
use crate::error::Result;
use crate::health_check::figures::{OrganisationFigures, RepositoryFigures, language_name};

const PAGELEN: usize = 100;

#[derive(Debug, Deserialize)]
struct Workspace {
    slug: String,
    name: Option<String>,
}

/// A page, with the collection's size where Bitbucket gives it.
#[derive(Debug, Deserialize)]
struct Counted<T> {
    size: Option<u64>,
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Listed {
    full_name: String,
    slug: String,
    #[serde(default)]
    is_private: bool,
    language: Option<String>,
    parent: Option<serde::de::IgnoredAny>,
}

impl Bitbucket {
    /// The workspace `slug`'s public repositories, at most `most` of them,
    /// and their figures. The requests past the first page are claimed
    /// through `part` first.
    pub async fn organisation(
        &self,
        slug: &str,
        most: usize,
        part: Part<'_>,
    ) -> Result<OrganisationFigures> {
        let what = || format!("Bitbucket workspace `{slug}` on {}", self.instance);
        let workspace_call = Call::get(format!("{}/workspaces/{slug}", self.api), "api");
        let list = |page: usize| self.list(slug, 100).query("page", page);
        let first_call = list(1);
        let (workspace, first) = futures_util::future::try_join(
            self.http.json::<Workspace>(&workspace_call, what),
            self.http.json::<Counted<Listed>>(&first_call, what),
        )
        .await?;
        let size = first.value.size.and_then(|n| usize::try_from(n).ok());
        let wanted = size.unwrap_or(PAGELEN).min(most).div_ceil(PAGELEN).max(1);
        let repositories = size.unwrap_or(PAGELEN).min(most);
        // The other pages, then each repository's watchers and forks.
        let requests = (wanted - 1 + 2 * repositories) as u64;
        // Bitbucket says how large its hourly budget is, never what is left.
        let window = first
            .headers
            .get("x-ratelimit-limit")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .map(Window);
        part.claim(&self.http, "api", requests, window, || {
            format!("reading its {repositories} repositories")
        })
        .await?;
        let rest = try_join_all((2..=wanted).map(|page| {
            let call = list(page);
            async move { self.http.json::<Counted<Listed>>(&call, what).await }
        }))
        .await?;
        let mut next = rest
            .last()
            .map_or(first.value.next.clone(), |page| page.value.next.clone());
        let mut listed: Vec<Listed> = std::iter::once(first)
            .chain(rest)
            .flat_map(|page| page.value.values)
            .collect();
        // Without a size, the pages are followed one by one.
        let mut pages = 0;
        while let Some(url) = next.take().filter(|_| listed.len() < most) {
            pages += 1;
            if pages > crate::forge::paging::MOST_PAGES {
                return Err(crate::forge::paging::too_many_pages(&url));
            }
            let page = self
                .http
                .json::<Counted<Listed>>(&Call::get(url, "api"), what)
                .await?;
            next = page.value.next;
            listed.extend(page.value.values);
        }
        let mut seen = std::collections::HashSet::new();
        listed.retain(|r| !r.is_private && seen.insert(r.full_name.to_lowercase()));
        let more = next.is_some() || listed.len() > most;
        listed.truncate(most);
        let repositories = try_join_all(listed.iter().map(|r| self.repository_figures(r))).await?;
        Ok(OrganisationFigures {
            kind: OwnerKind::Workspace,
            login: workspace.value.slug,
            name: workspace.value.name,
            followers: None,
            repositories,
            truncated: more,
        })
    }

    async fn repository_figures(&self, repo: &Listed) -> Result<RepositoryFigures> {
        let (watchers, forks) = futures_util::future::try_join(
            self.count::<serde::de::IgnoredAny>(&format!("{}/watchers", repo.full_name)),
            self.count::<serde::de::IgnoredAny>(&format!("{}/forks", repo.full_name)),
        )
        .await?;
        Ok(RepositoryFigures {
            name: repo.slug.clone(),
            fork: repo.parent.is_some(),
            stars: None,
            watchers: Some(watchers),
            forks: Some(forks),
            language: repo
                .language
                .as_deref()
                .filter(|l| !l.is_empty())
                .map(language_name),
            language_bytes: None,
            topics: None,
        })
    }

    /// How many items the list under `/repositories/{path}` holds: its
    /// `size`, or where Bitbucket leaves that out, its items counted.
    async fn count<T: DeserializeOwned>(&self, path: &str) -> Result<u64> {
        let what = || format!("Bitbucket list `{path}` on {}", self.instance);
        let first = self
            .http
            .json::<Counted<T>>(&self.list(path, 1), what)
            .await?
            .value;
        if let Some(size) = first.size {
            return Ok(size);
        }
        let mut counted = first.values.len() as u64;
        let mut next = first.next;
        let mut pages = 0;
        while let Some(url) = next {
            pages += 1;
            if pages > crate::forge::paging::MOST_PAGES {
                return Err(crate::forge::paging::too_many_pages(&url));
            }
            let page = self
                .http
                .json::<Counted<T>>(&Call::get(url, "api"), what)
                .await?
                .value;
            counted += page.values.len() as u64;
            next = page.next;
        }
        Ok(counted)
    }
}
