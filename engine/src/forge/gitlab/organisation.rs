//! A group on GitLab for a health check: the group and its first page of
//! projects asked together, the other pages (`x-total-pages` says how
//! many) side by side, then each project's languages, which GitLab gives
//! only per project and only as shares: the largest is the primary one.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use model::health_check::OwnerKind;
use serde::Deserialize;

use super::super::http::{Call, Fetched};
use super::super::plan::Part;
use super::GitLab;
use crate::error::Result;
use crate::health_check::figures::{OrganisationFigures, RepositoryFigures};

const PER_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
struct Group {
    full_path: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Listed {
    id: u64,
    path: String,
    #[serde(default)]
    star_count: u64,
    #[serde(default)]
    forks_count: u64,
    #[serde(default)]
    topics: Vec<String>,
    forked_from_project: Option<serde::de::IgnoredAny>,
    visibility: Option<String>,
}

/// The language with the largest share; the first by name among equals.
fn primary(shares: &BTreeMap<String, f64>) -> Option<String> {
    shares
        .iter()
        .fold(
            None,
            |best: Option<(&String, f64)>, (name, share)| match best {
                Some((_, top)) if top >= *share => best,
                _ => Some((name, *share)),
            },
        )
        .map(|(name, _)| name.clone())
}

/// A number GitLab's paging headers give (`x-total-pages`, `x-total`);
/// GitLab leaves them out past 10,000 items.
fn header_number(page: &Fetched<Vec<Listed>>, name: &str) -> Option<usize> {
    page.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

impl GitLab {
    /// The group `path`'s public projects (not its subgroups'), at most
    /// `most` of them, and their figures. The requests past the first
    /// page are claimed through `part` first.
    pub async fn organisation(
        &self,
        path: &str,
        most: usize,
        part: Part<'_>,
    ) -> Result<OrganisationFigures> {
        let encoded = model::url::encode_component(path);
        let what = || format!("GitLab group `{path}` on {}", self.instance);
        let group_call = Call::get(format!("{}/groups/{encoded}", self.api), "api");
        let list = |page: usize| {
            Call::get(format!("{}/groups/{encoded}/projects", self.api), "api")
                .query("visibility", "public")
                .query("include_subgroups", "false")
                .query("with_shared", "false")
                .query("order_by", "id")
                .query("sort", "asc")
                .query("per_page", PER_PAGE)
                .query("page", page)
        };
        let first_call = list(1);
        let (group, first) = futures_util::future::try_join(
            self.http.json::<Group>(&group_call, what),
            self.http.json::<Vec<Listed>>(&first_call, what),
        )
        .await?;
        let pages = header_number(&first, "x-total-pages").unwrap_or(1);
        let wanted = pages.min(most.div_ceil(PER_PAGE).max(1));
        let projects = header_number(&first, "x-total")
            .unwrap_or(wanted * PER_PAGE)
            .min(most);
        // The other pages, then one request per project for its languages.
        let requests = (wanted - 1 + projects) as u64;
        part.claim(&self.http, "api", requests, None, || {
            format!("reading its {projects} projects")
        })
        .await?;
        let rest = try_join_all((2..=wanted).map(|page| {
            let call = list(page);
            async move { self.http.json::<Vec<Listed>>(&call, what).await }
        }))
        .await?;
        let mut seen = std::collections::HashSet::new();
        let mut listed: Vec<Listed> = std::iter::once(first)
            .chain(rest)
            .flat_map(|page| page.value)
            .filter(|p| super::tracker::is_public(p.visibility.as_deref()))
            .filter(|p| seen.insert(p.id))
            .collect();
        let more = pages > wanted || listed.len() > most;
        listed.truncate(most);
        let repositories = try_join_all(listed.iter().map(|p| self.project_figures(p))).await?;
        Ok(OrganisationFigures {
            kind: OwnerKind::Group,
            login: group.value.full_path,
            name: group.value.name,
            followers: None,
            repositories,
            truncated: more,
        })
    }

    async fn project_figures(&self, project: &Listed) -> Result<RepositoryFigures> {
        let call = Call::get(
            format!("{}/projects/{}/languages", self.api, project.id),
            "api",
        );
        let shares: BTreeMap<String, f64> = self
            .http
            .json(&call, || {
                format!("languages of GitLab project {}", project.id)
            })
            .await?
            .value;
        Ok(RepositoryFigures {
            name: project.path.clone(),
            fork: project.forked_from_project.is_some(),
            stars: Some(project.star_count),
            watchers: None,
            forks: Some(project.forks_count),
            language: primary(&shares),
            language_bytes: None,
            topics: Some(project.topics.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_primary_language_has_the_largest_share() {
        let shares = BTreeMap::from([
            ("Go".to_owned(), 12.5),
            ("Ruby".to_owned(), 80.0),
            ("Shell".to_owned(), 7.5),
        ]);
        assert_eq!(primary(&shares).as_deref(), Some("Ruby"));
        let even = BTreeMap::from([("C".to_owned(), 50.0), ("B".to_owned(), 50.0)]);
        assert_eq!(primary(&even).as_deref(), Some("B"));
        assert_eq!(primary(&BTreeMap::new()), None);
    }
}
