//! What organisation health checks read beyond the rest of the world:
//! followers of GitHub organisations, forks on GitLab and Bitbucket, and
//! organisations of a chosen size for tests and benchmarks.
//!
//! Drawn from a random stream of their own, so adding them leaves every
//! other generated item exactly as it was.

#![allow(
    clippy::cast_possible_truncation,
    reason = "ids are indexes into the world's own lists, far below u32::MAX"
)]

use chrono::Duration;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names::{LANGUAGES, REPO_WORDS, TOPICS};
use super::{Forge, Id, Org, Owner, Repo, RepoItems, World};

/// The stream's seed, apart from the world's.
fn stream(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ 0x6f72_6761_6e69_7361)
}

fn live_accounts(world: &World, forge: Forge) -> Vec<Id> {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == forge && !a.deleted)
        .map(|a| a.id)
        .collect()
}

/// Followers for GitHub organisations; a tenth of GitLab and Bitbucket
/// repositories made forks of an earlier one on their forge (GitHub's
/// forks are drawn with the repositories).
pub(super) fn extras(world: &mut World, seed: u64) {
    let mut rng = stream(seed);
    let github = live_accounts(world, Forge::GitHub);
    for org in world.orgs.iter_mut().filter(|o| o.forge == Forge::GitHub) {
        let count = rng.random_range(0..=github.len().min(20));
        org.followers = github.choose_multiple(&mut rng, count).copied().collect();
    }
    for index in 0..world.repos.len() {
        let forge = world.repos[index].forge;
        if !matches!(forge, Forge::GitLab | Forge::Bitbucket) || !rng.random_bool(0.1) {
            continue;
        }
        let earlier: Vec<Id> = world.repos[..index]
            .iter()
            .filter(|r| r.forge == forge)
            .map(|r| r.id)
            .collect();
        world.repos[index].fork_of = earlier.choose(&mut rng).copied();
    }
}

impl World {
    /// Adds an organisation `login` on `forge` holding `repositories`
    /// repositories (a tenth of them forks of the one before), with stars,
    /// watchers, languages and topics drawn from the forge's accounts.
    /// The same arguments on the same world give the same organisation.
    pub fn add_organisation(&mut self, forge: Forge, login: &str, repositories: usize) -> Id {
        let mut rng = stream((self.orgs.len() as u64) << 32 | repositories as u64);
        let accounts = live_accounts(self, forge);
        let id = self.orgs.len() as Id;
        let created_at = self
            .repos
            .iter()
            .map(|r| r.created_at)
            .min()
            .unwrap_or_else(chrono::Utc::now)
            - Duration::days(30);
        let followers = if forge == Forge::GitHub {
            let count = rng.random_range(0..=accounts.len().min(40));
            accounts.choose_multiple(&mut rng, count).copied().collect()
        } else {
            Vec::new()
        };
        let members = accounts
            .choose_multiple(&mut rng, accounts.len().min(5))
            .copied()
            .collect();
        self.orgs.push(Org {
            id,
            forge,
            login: login.to_owned(),
            name: format!("{login} (organisation)"),
            members,
            followers,
            created_at,
        });
        let first = self.repos.len() as Id;
        for n in 0..repositories {
            let repo = self.repos.len() as Id;
            let language = *LANGUAGES.choose(&mut rng).unwrap_or(&"Rust");
            let mut languages = vec![(language, rng.random_range(20_000..2_000_000))];
            if let Some(extra) = LANGUAGES.choose(&mut rng).filter(|l| **l != language) {
                languages.push((extra, rng.random_range(100..20_000)));
            }
            let topic_count = rng.random_range(0..4);
            let stars = rng.random_range(0..=accounts.len().min(30));
            let watchers = rng.random_range(0..=stars);
            let repo_created = created_at + Duration::days(rng.random_range(1..1000));
            let stargazers = accounts
                .choose_multiple(&mut rng, stars)
                .map(|a| {
                    (
                        *a,
                        repo_created + Duration::hours(rng.random_range(1..5000)),
                    )
                })
                .collect();
            let fork_of = (repo > first && rng.random_bool(0.1)).then_some(repo - 1);
            let word = REPO_WORDS.choose(&mut rng).unwrap_or(&"tool");
            self.repos.push(Repo {
                id: repo,
                forge,
                owner: Owner::Org(id),
                name: format!("{word}-{n}"),
                previous_name: None,
                description: format!("{word} number {n}"),
                language,
                languages,
                topics: TOPICS
                    .choose_multiple(&mut rng, topic_count)
                    .copied()
                    .collect(),
                fork_of,
                stargazers,
                watchers: accounts
                    .choose_multiple(&mut rng, watchers)
                    .copied()
                    .collect(),
                created_at: repo_created,
                deleted: false,
            });
            self.by_repo.push(RepoItems::default());
        }
        id
    }
}
