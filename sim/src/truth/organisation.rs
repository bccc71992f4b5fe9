//! Ground truth for organisation health checks: an owner's public
//! repositories and their numbers, counted from the world as each forge
//! reports them.
//!
//! Counting rules (what Tally must reproduce):
//! - an organisation's repositories are the live ones it owns that are not
//!   private; a fork is a repository forked from another;
//! - stars are each forge's star count (GitHub `stargazers_count`, GitLab
//!   `star_count`); Bitbucket has none;
//! - watchers are GitHub's `subscribers_count` and Bitbucket's watchers
//!   (live accounts); GitLab has none;
//! - forks are how many live repositories were forked from each one;
//! - followers are the GitHub organisation's or user's; GitLab groups and
//!   Bitbucket workspaces have none;
//! - languages count each repository once, under its primary language;
//!   bytes per language only where the forge gives bytes (GitHub);
//! - topics count each repository once per topic; Bitbucket has none.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::world::{Forge, Id, Owner, Repo, World};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrganisationTruth {
    pub repositories: u64,
    pub originals: u64,
    pub forks: u64,
    pub stars: Option<u64>,
    pub watchers: Option<u64>,
    /// Times forked, summed.
    pub forked: Option<u64>,
    pub followers: Option<u64>,
    pub languages: BTreeMap<String, u64>,
    pub language_bytes: Option<BTreeMap<String, u64>>,
    pub topics: Option<BTreeMap<String, u64>>,
}

impl OrganisationTruth {
    /// Where `numbers` (a health check's answer) differ from the truth,
    /// one line each; empty when every number is the truth. Bytes per
    /// language are compared only where `numbers` has them.
    pub fn differences(&self, numbers: &model::health_check::Numbers) -> Vec<String> {
        let mut found = Vec::new();
        let mut compare = |field: &str, theirs: String, truth: String| {
            if theirs != truth {
                found.push(format!("{field}: {theirs}, truly {truth}"));
            }
        };
        let r = &numbers.repositories;
        compare(
            "repositories",
            r.total.to_string(),
            self.repositories.to_string(),
        );
        compare(
            "originals",
            r.originals.to_string(),
            self.originals.to_string(),
        );
        compare(
            "forks among them",
            r.forks.to_string(),
            self.forks.to_string(),
        );
        compare(
            "stars",
            format!("{:?}", numbers.stars),
            format!("{:?}", self.stars),
        );
        compare(
            "watchers",
            format!("{:?}", numbers.watchers),
            format!("{:?}", self.watchers),
        );
        compare(
            "times forked",
            format!("{:?}", numbers.forks),
            format!("{:?}", self.forked),
        );
        compare(
            "followers",
            format!("{:?}", numbers.followers),
            format!("{:?}", self.followers),
        );
        compare(
            "languages",
            format!("{:?}", numbers.languages),
            format!("{:?}", self.languages),
        );
        compare(
            "topics",
            format!("{:?}", numbers.topics),
            format!("{:?}", self.topics),
        );
        if numbers.language_bytes.is_some() {
            compare(
                "bytes per language",
                format!("{:?}", numbers.language_bytes),
                format!("{:?}", self.language_bytes),
            );
        }
        found
    }
}

/// The owner an address names on `forge`: a GitHub organisation or user, a
/// GitLab group, a Bitbucket workspace (organisation or user).
fn owner(world: &World, forge: Forge, login: &str) -> Option<Owner> {
    let org = world
        .orgs
        .iter()
        .find(|o| o.forge == forge && o.login.eq_ignore_ascii_case(login))
        .map(|o| Owner::Org(o.id));
    let user = || {
        world
            .find_account(forge, login)
            .map(|a| Owner::Account(a.id))
    };
    match forge {
        // Where both answer to the name, GitHub answers the user and
        // Bitbucket the organisation's workspace.
        Forge::GitHub => user().or(org),
        Forge::Bitbucket => org.or_else(user),
        Forge::GitLab => org,
        Forge::Gerrit | Forge::Phabricator => None,
    }
}

/// The truth about `login` on `forge`, or `None` when it names no owner
/// there. `private` says which repositories the forge keeps private.
pub fn organisation(
    world: &World,
    forge: Forge,
    login: &str,
    private: impl Fn(Id) -> bool,
) -> Option<OrganisationTruth> {
    let owner = owner(world, forge, login)?;
    let repos: Vec<&Repo> = world
        .repos
        .iter()
        .filter(|r| r.forge == forge && r.owner == owner && !r.deleted && !private(r.id))
        .collect();
    let count = |n: usize| n as u64;
    let mut truth = OrganisationTruth {
        repositories: count(repos.len()),
        forks: count(repos.iter().filter(|r| r.fork_of.is_some()).count()),
        forked: Some(
            repos
                .iter()
                .map(|r| {
                    count(
                        world
                            .forks_of(r.id)
                            .filter(|f| forge != Forge::Bitbucket || !private(f.id))
                            .count(),
                    )
                })
                .sum(),
        ),
        ..OrganisationTruth::default()
    };
    truth.originals = truth.repositories - truth.forks;
    for repo in &repos {
        let primary = match forge {
            Forge::GitLab => largest_share(repo),
            _ => repo.language.to_owned(),
        };
        *truth.languages.entry(primary).or_default() += 1;
    }
    let stars = || Some(repos.iter().map(|r| count(r.stargazers.len())).sum());
    let topics = || {
        let mut topics = BTreeMap::new();
        for topic in repos.iter().flat_map(|r| &r.topics) {
            *topics.entry((*topic).to_owned()).or_default() += 1;
        }
        Some(topics)
    };
    match forge {
        Forge::GitHub => {
            truth.stars = stars();
            truth.watchers = Some(repos.iter().map(|r| count(r.watchers.len())).sum());
            truth.followers = Some(match owner {
                Owner::Org(id) => count(
                    world.orgs[id as usize]
                        .followers
                        .iter()
                        .filter(|a| !world.account(**a).deleted)
                        .count(),
                ),
                Owner::Account(id) => count(world.account(id).followers.len()),
            });
            let mut bytes = BTreeMap::new();
            for (language, n) in repos.iter().flat_map(|r| &r.languages) {
                *bytes.entry((*language).to_owned()).or_default() += n;
            }
            truth.language_bytes = Some(bytes);
            truth.topics = topics();
        }
        Forge::GitLab => {
            truth.stars = stars();
            truth.topics = topics();
        }
        Forge::Bitbucket => {
            truth.watchers = Some(
                repos
                    .iter()
                    .map(|r| {
                        count(
                            r.watchers
                                .iter()
                                .filter(|a| !world.account(**a).deleted)
                                .count(),
                        )
                    })
                    .sum(),
            );
        }
        Forge::Gerrit | Forge::Phabricator => return None,
    }
    Some(truth)
}

/// GitLab gives only shares per language: the primary one is the largest
/// share as GitLab rounds it, the first by name among equals.
fn largest_share(repo: &Repo) -> String {
    let shares = crate::gitlab::shapes::languages(repo);
    let sorted: BTreeMap<&String, f64> = shares
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, share)| (name, share.as_f64().unwrap_or(0.0)))
        .collect();
    let mut best: Option<(&String, f64)> = None;
    for (name, share) in sorted {
        if best.is_none_or(|(_, top)| share > top) {
            best = Some((name, share));
        }
    }
    best.map_or_else(String::new, |(name, _)| name.clone())
}
