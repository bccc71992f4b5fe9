//! Builds a [`World`] from a [`WorldConfig`]. Every random choice comes from
//! one ChaCha stream seeded by the config, so a config always yields the same world.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "ids are indexes into the world's own lists, which the config keeps far below \
              u32::MAX, and the float casts turn random numbers in 0..1 into shares of them"
)]

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names::*;
use super::organisations;
use super::*;

/// How likely a person is to have an account on each forge.
const FORGE_ODDS: [(Forge, f64); 5] = [
    (Forge::GitHub, 0.8),
    (Forge::GitLab, 0.35),
    (Forge::Bitbucket, 0.2),
    (Forge::Gerrit, 0.15),
    (Forge::Phabricator, 0.12),
];

/// Share of repositories on each forge.
const REPO_SHARE: [(Forge, f64); 5] = [
    (Forge::GitHub, 0.45),
    (Forge::GitLab, 0.2),
    (Forge::Bitbucket, 0.1),
    (Forge::Gerrit, 0.15),
    (Forge::Phabricator, 0.1),
];

pub fn generate(config: WorldConfig) -> World {
    generate_with_issues(config, 0)
}

/// Like [`generate`], then tops up every live repository that has an issue
/// tracker (every forge but Gerrit) to at least `issues_per_repo` issues,
/// opened by accounts of its forge at random times of the world's span:
/// busy trackers, for benchmarks. With 0 the world is [`generate`]'s.
pub fn generate_with_issues(config: WorldConfig, issues_per_repo: usize) -> World {
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        start: config.until - Duration::days(365 * i64::from(config.years)),
        until: config.until,
        world: World::default(),
        usernames: HashSet::new(),
        live: Default::default(),
    };
    generator.people(config.people);
    generator.orgs();
    generator.repos(config.repos);
    generator.social();
    generator.activity();
    generator.busy_trackers(issues_per_repo);
    organisations::extras(&mut generator.world, config.seed);
    generator.finish()
}

struct Generator {
    rng: ChaCha8Rng,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    world: World,
    /// (forge, lower-cased username) already taken, including previous names.
    usernames: HashSet<(Forge, String)>,
    /// Live accounts per forge, filled once the people exist.
    live: std::collections::HashMap<Forge, Vec<Id>>,
}

impl Generator {
    fn people(&mut self, count: usize) {
        for person_id in 0..count as Id {
            let first = *FIRST.choose(&mut self.rng).unwrap_or(&"Sam");
            let last = *LAST.choose(&mut self.rng).unwrap_or(&"Lee");
            let name = format!("{first} {last}");
            let mut forges: Vec<Forge> = FORGE_ODDS
                .iter()
                .filter(|(_, odds)| self.rng.random_bool(*odds))
                .map(|(forge, _)| *forge)
                .collect();
            if forges.is_empty() {
                forges.push(Forge::GitHub);
            }
            // Half the people use one handle everywhere; the rest pick per forge.
            let shared_handle = self.rng.random_bool(0.5);
            let base = handle(&mut self.rng, first, last);
            let utc_offset_minutes = *UTC_OFFSETS.choose(&mut self.rng).unwrap_or(&0);
            let mut accounts = Vec::new();
            for forge in forges {
                let wanted = if shared_handle {
                    base.clone()
                } else {
                    handle(&mut self.rng, first, last)
                };
                let username = self.unique_username(forge, &wanted);
                let previous_username = self
                    .rng
                    .random_bool(0.03)
                    .then(|| self.unique_username(forge, &format!("{username}-old")));
                let id = self.world.accounts.len() as Id;
                let created_at = self.start - Duration::days(self.rng.random_range(30..2000));
                self.world.accounts.push(Account {
                    id,
                    person: person_id,
                    forge,
                    email: format!(
                        "{}@{}.example",
                        username.to_lowercase(),
                        forge_domain(forge)
                    ),
                    username,
                    previous_username,
                    display_name: name.clone(),
                    utc_offset_minutes,
                    created_at,
                    deleted: self.rng.random_bool(0.01),
                    followers: Vec::new(),
                    following: Vec::new(),
                });
                accounts.push(id);
            }
            self.world.people.push(Person {
                id: person_id,
                name,
                accounts,
            });
        }
    }

    fn unique_username(&mut self, forge: Forge, wanted: &str) -> String {
        let mut candidate = wanted.to_owned();
        let mut n = 1;
        while !self.usernames.insert((forge, candidate.to_lowercase())) {
            n += 1;
            candidate = format!("{wanted}{n}");
        }
        candidate
    }

    fn orgs(&mut self) {
        for forge in Forge::ALL {
            let members = self.accounts_on(forge);
            if members.is_empty() {
                continue;
            }
            let count = members.len().div_ceil(20).max(1);
            for _ in 0..count {
                let word = *REPO_WORDS.choose(&mut self.rng).unwrap_or(&"org");
                let login = self.unique_username(forge, &format!("{word}-labs"));
                let size = self.rng.random_range(1..=members.len().min(12));
                let org_members = members
                    .choose_multiple(&mut self.rng, size)
                    .copied()
                    .collect();
                self.world.orgs.push(Org {
                    id: self.world.orgs.len() as Id,
                    forge,
                    name: format!("{} Labs", capitalise(word)),
                    login,
                    members: org_members,
                    followers: Vec::new(),
                    created_at: self.start - Duration::days(self.rng.random_range(100..3000)),
                });
            }
        }
    }

    fn repos(&mut self, count: usize) {
        let mut names: HashSet<(Forge, Option<Owner>, String)> = HashSet::new();
        for (forge, share) in REPO_SHARE {
            let accounts = self.accounts_on(forge);
            let orgs: Vec<Id> = self
                .world
                .orgs
                .iter()
                .filter(|o| o.forge == forge)
                .map(|o| o.id)
                .collect();
            if accounts.is_empty() {
                continue;
            }
            let wanted = ((count as f64 * share).round() as usize).max(1);
            for _ in 0..wanted {
                let owner = match orgs.choose(&mut self.rng) {
                    Some(org) if self.rng.random_bool(0.6) => Owner::Org(*org),
                    _ => Owner::Account(*accounts.choose(&mut self.rng).unwrap_or(&accounts[0])),
                };
                let mut name = repo_name(&mut self.rng, forge);
                let namespace = names_repos_by_owner(forge).then_some(owner);
                while !names.insert((forge, namespace, name.clone())) {
                    name = format!("{name}-{}", self.rng.random_range(2..100));
                }
                self.push_repo(forge, owner, name, &accounts);
            }
        }
    }

    fn push_repo(&mut self, forge: Forge, owner: Owner, name: String, accounts: &[Id]) {
        let id = self.world.repos.len() as Id;
        let language = *LANGUAGES.choose(&mut self.rng).unwrap_or(&"Rust");
        let mut languages = vec![(language, self.rng.random_range(20_000..2_000_000))];
        for extra in LANGUAGES.choose_multiple(&mut self.rng, 2) {
            if *extra != language {
                languages.push((extra, self.rng.random_range(100..20_000)));
            }
        }
        let topic_count = self.rng.random_range(0..4);
        let topics = TOPICS
            .choose_multiple(&mut self.rng, topic_count)
            .copied()
            .collect();
        let created_at = self.start - Duration::days(self.rng.random_range(0..1500));
        let star_count = (self.rng.random::<f64>().powi(3) * accounts.len() as f64) as usize;
        let stargazers = accounts
            .choose_multiple(&mut self.rng, star_count)
            .map(|a| {
                (
                    *a,
                    created_at + Duration::hours(self.rng.random_range(1..20_000)),
                )
            })
            .collect();
        let watcher_count = star_count / 3;
        let watchers = accounts
            .choose_multiple(&mut self.rng, watcher_count)
            .copied()
            .collect();
        let fork_of = (forge == Forge::GitHub && id > 0 && self.rng.random_bool(0.1))
            .then(|| {
                self.world
                    .repos
                    .iter()
                    .rev()
                    .find(|r| r.forge == forge)
                    .map(|r| r.id)
            })
            .flatten();
        let previous_name = self.rng.random_bool(0.03).then(|| format!("{name}-legacy"));
        self.world.repos.push(Repo {
            id,
            forge,
            owner,
            description: format!(
                "{} for {}",
                capitalise(&name),
                THINGS.choose(&mut self.rng).unwrap_or(&"")
            ),
            name,
            previous_name,
            language,
            languages,
            topics,
            fork_of,
            stargazers,
            watchers,
            created_at,
            deleted: self.rng.random_bool(0.01),
        });
    }

    fn social(&mut self) {
        for forge in [Forge::GitHub, Forge::GitLab] {
            let accounts = self.accounts_on(forge);
            for &follower in &accounts {
                let count = self.rng.random_range(0..=accounts.len().min(15));
                for &followed in accounts.choose_multiple(&mut self.rng, count) {
                    if followed != follower {
                        self.world.accounts[follower as usize]
                            .following
                            .push(followed);
                        self.world.accounts[followed as usize]
                            .followers
                            .push(follower);
                    }
                }
            }
        }
    }

    fn activity(&mut self) {
        for account in 0..self.world.accounts.len() as Id {
            let forge = self.world.account(account).forge;
            let repos: Vec<Id> = self
                .world
                .repos
                .iter()
                .filter(|r| r.forge == forge && !r.deleted && r.fork_of.is_none())
                .map(|r| r.id)
                .collect();
            if repos.is_empty() {
                continue;
            }
            let home_count = self.rng.random_range(1..=repos.len().min(6));
            let home: Vec<Id> = repos
                .choose_multiple(&mut self.rng, home_count)
                .copied()
                .collect();
            for at in self.activity_times(account) {
                let repo = *home.choose(&mut self.rng).unwrap_or(&home[0]);
                self.event(account, repo, at);
            }
        }
    }

    /// When an account is active: bursty weeks, a few long gaps, working
    /// hours in the account's own time zone (so some land near UTC midnight).
    fn activity_times(&mut self, account: Id) -> Vec<DateTime<Utc>> {
        let offset = Duration::minutes(i64::from(self.world.account(account).utc_offset_minutes));
        let intensity = 0.05 + self.rng.random::<f64>().powi(3) * 4.0;
        let weeks = (self.until - self.start).num_weeks();
        let gaps: Vec<(i64, i64)> = (0..self.rng.random_range(0..3))
            .map(|_| {
                let from = self.rng.random_range(0..weeks.max(1));
                (from, from + self.rng.random_range(2..8))
            })
            .collect();
        let mut times = Vec::new();
        for week in 0..weeks {
            if gaps.iter().any(|(from, to)| (*from..*to).contains(&week))
                || !self.rng.random_bool(0.55)
            {
                continue;
            }
            let burst = if self.rng.random_bool(0.1) { 3.0 } else { 1.0 };
            for day in 0..7 {
                if !self.rng.random_bool(0.5) {
                    continue;
                }
                let events = poisson(&mut self.rng, intensity * burst);
                for _ in 0..events {
                    let local_minute = if self.rng.random_bool(0.85) {
                        self.rng.random_range(8 * 60..20 * 60)
                    } else {
                        self.rng.random_range(0..24 * 60)
                    };
                    let local_midnight = self.start + Duration::weeks(week) + Duration::days(day);
                    let at = local_midnight
                        + Duration::minutes(local_minute)
                        + Duration::seconds(self.rng.random_range(0..60))
                        - offset;
                    if at >= self.start && at < self.until {
                        times.push(at);
                    }
                }
            }
        }
        times
    }

    fn event(&mut self, account: Id, repo: Id, at: DateTime<Utc>) {
        let forge = self.world.account(account).forge;
        let roll: f64 = self.rng.random();
        match forge {
            Forge::Gerrit => self.change(account, repo, at),
            Forge::Phabricator if roll < 0.45 => self.issue(account, repo, at),
            Forge::Phabricator => self.change(account, repo, at),
            _ if roll < 0.7 => self.commit(account, repo, at),
            _ if roll < 0.85 => self.change(account, repo, at),
            _ => self.issue(account, repo, at),
        }
    }

    fn commit(&mut self, author: Id, repo: Id, at: DateTime<Utc>) {
        let committer = if self.rng.random_bool(0.9) {
            author
        } else {
            self.other_account(author).unwrap_or(author)
        };
        let co_authors = if self.rng.random_bool(0.05) {
            self.other_account(author).into_iter().collect()
        } else {
            Vec::new()
        };
        let sha = (0..40)
            .map(|_| char::from_digit(self.rng.random_range(0..16), 16).unwrap_or('0'))
            .collect();
        let message = self.title();
        self.world.commits.push(Commit {
            sha,
            repo,
            author,
            committer,
            co_authors,
            authored_at: at,
            committed_at: at + Duration::minutes(self.rng.random_range(0..120)),
            utc_offset_minutes: self.world.account(author).utc_offset_minutes,
            message,
        });
    }

    fn change(&mut self, author: Id, repo: Id, created_at: DateTime<Utc>) {
        let forge = self.world.account(author).forge;
        let closes_at = created_at + Duration::minutes(self.rng.random_range(30..14 * 24 * 60));
        let roll: f64 = self.rng.random();
        let (status, closed_at) = if closes_at >= self.until || roll < 0.1 {
            (Status::Open, None)
        } else if roll < 0.8 {
            (Status::Merged, Some(closes_at))
        } else if matches!(forge, Forge::Gerrit | Forge::Phabricator) {
            (Status::Abandoned, Some(closes_at))
        } else {
            (Status::Closed, Some(closes_at))
        };
        let review_until = closed_at.unwrap_or(self.until);
        let mut reviews = Vec::new();
        for _ in 0..self.rng.random_range(0..3) {
            // Nobody reviews their own change.
            let Some(reviewer) = self.other_account(author) else {
                break;
            };
            let span = (review_until - created_at).num_minutes().max(1);
            let submitted_at = created_at + Duration::minutes(self.rng.random_range(0..span));
            let (state, vote) = match self.rng.random_range(0..3) {
                0 => (ReviewState::Approved, 2),
                1 => (ReviewState::ChangesRequested, -1),
                _ => (ReviewState::Commented, 0),
            };
            let vote = if forge == Forge::Gerrit { vote } else { 0 };
            reviews.push(Review {
                id: 0,
                reviewer,
                state,
                submitted_at,
                vote,
            });
        }
        let updated_at = reviews
            .iter()
            .map(|r| r.submitted_at)
            .chain(closed_at)
            .fold(created_at, DateTime::max);
        let title = self.title();
        self.world.changes.push(ChangeRequest {
            id: 0,
            number: 0,
            repo,
            author,
            title,
            status,
            created_at,
            updated_at,
            closed_at,
            merged_at: (status == Status::Merged).then_some(closed_at).flatten(),
            reviews,
        });
    }

    fn issue(&mut self, author: Id, repo: Id, created_at: DateTime<Utc>) {
        let mut labels = Vec::new();
        if self.rng.random_bool(0.3) {
            labels.push(*BUG_LABELS.choose(&mut self.rng).unwrap_or(&"bug"));
        }
        if self.rng.random_bool(0.12) {
            labels.push(
                *PERFORMANCE_LABELS
                    .choose(&mut self.rng)
                    .unwrap_or(&"performance"),
            );
        }
        if self.rng.random_bool(0.4) {
            labels.push(*OTHER_LABELS.choose(&mut self.rng).unwrap_or(&"question"));
        }
        let mut comments = Vec::new();
        let mut last = created_at;
        for _ in 0..poisson(&mut self.rng, 1.5) {
            last += Duration::minutes(self.rng.random_range(5..5 * 24 * 60));
            if last >= self.until {
                break;
            }
            let commenter = if self.rng.random_bool(0.3) {
                author
            } else {
                self.other_account(author).unwrap_or(author)
            };
            comments.push(Comment {
                id: 0,
                author: commenter,
                created_at: last,
                body: format!(
                    "{} — see the {}.",
                    self.title(),
                    THINGS.choose(&mut self.rng).unwrap_or(&"")
                ),
            });
        }
        let closes_at = last + Duration::minutes(self.rng.random_range(10..30 * 24 * 60));
        let closed_at = (self.rng.random_bool(0.6) && closes_at < self.until).then_some(closes_at);
        let assignees = if self.rng.random_bool(0.5) {
            self.other_account(author).into_iter().collect()
        } else {
            Vec::new()
        };
        let title = self.title();
        self.world.issues.push(Issue {
            id: 0,
            number: 0,
            repo,
            author,
            body: format!(
                "{title}.\n\nSteps to reproduce are in the {}.",
                THINGS.choose(&mut self.rng).unwrap_or(&"")
            ),
            title,
            labels,
            assignees,
            priority: self.rng.random_range(0..5),
            created_at,
            updated_at: closed_at.unwrap_or(last).max(last),
            closed_at,
            comments,
        });
    }

    fn busy_trackers(&mut self, issues_per_repo: usize) {
        if issues_per_repo == 0 {
            return;
        }
        let mut counts = vec![0usize; self.world.repos.len()];
        for issue in &self.world.issues {
            counts[issue.repo as usize] += 1;
        }
        let span = (self.until - self.start).num_seconds().max(1);
        for (repo, count) in counts.into_iter().enumerate() {
            let forge = self.world.repos[repo].forge;
            if forge == Forge::Gerrit || self.world.repos[repo].deleted {
                continue;
            }
            let authors: Vec<Id> = self
                .accounts_on(forge)
                .into_iter()
                .filter(|a| !self.world.account(*a).deleted)
                .collect();
            for _ in count..issues_per_repo {
                let Some(author) = authors.choose(&mut self.rng).copied() else {
                    break;
                };
                let at = self.start + Duration::seconds(self.rng.random_range(0..span));
                self.issue(author, repo as Id, at);
            }
        }
    }

    /// Another live account on the same forge, if there is one.
    fn other_account(&mut self, account: Id) -> Option<Id> {
        let forge = self.world.account(account).forge;
        let live = self.live.entry(forge).or_insert_with(|| {
            self.world
                .accounts
                .iter()
                .filter(|a| a.forge == forge && !a.deleted)
                .map(|a| a.id)
                .collect()
        });
        let others = live.iter().filter(|id| **id != account).count();
        if others == 0 {
            return None;
        }
        let pick = self.rng.random_range(0..others);
        live.iter().copied().filter(|id| *id != account).nth(pick)
    }

    fn title(&mut self) -> String {
        format!(
            "{} {}",
            VERBS.choose(&mut self.rng).unwrap_or(&"Fix"),
            THINGS.choose(&mut self.rng).unwrap_or(&"bug")
        )
    }

    fn accounts_on(&self, forge: Forge) -> Vec<Id> {
        self.world
            .accounts
            .iter()
            .filter(|a| a.forge == forge)
            .map(|a| a.id)
            .collect()
    }

    /// Sorts activity by time and numbers it: ids globally, numbers per repository.
    fn finish(mut self) -> World {
        let world = &mut self.world;
        world.commits.sort_by_key(|c| (c.authored_at, c.repo));
        world.changes.sort_by_key(|c| (c.created_at, c.repo));
        world.issues.sort_by_key(|i| (i.created_at, i.repo));
        let mut next_review = 1;
        for (index, change) in world.changes.iter_mut().enumerate() {
            change.id = index as Id + 1;
            for review in &mut change.reviews {
                review.id = next_review;
                next_review += 1;
            }
        }
        let mut next_comment = 1;
        for (index, issue) in world.issues.iter_mut().enumerate() {
            issue.id = index as Id + 1;
            for comment in &mut issue.comments {
                comment.id = next_comment;
                next_comment += 1;
            }
        }
        // Issues and pull requests share one number sequence per repository,
        // handed out in the order they were opened, as on GitHub.
        let mut opened: Vec<(DateTime<Utc>, bool, usize)> = world
            .changes
            .iter()
            .enumerate()
            .map(|(index, c)| (c.created_at, false, index))
            .chain(
                world
                    .issues
                    .iter()
                    .enumerate()
                    .map(|(index, i)| (i.created_at, true, index)),
            )
            .collect();
        opened.sort_unstable();
        let mut next_number = vec![0u32; world.repos.len()];
        for (_, is_issue, index) in opened {
            let repo = if is_issue {
                world.issues[index].repo
            } else {
                world.changes[index].repo
            };
            next_number[repo as usize] += 1;
            let number = next_number[repo as usize];
            if is_issue {
                world.issues[index].number = number;
            } else {
                world.changes[index].number = number;
            }
        }
        world.by_repo = vec![RepoItems::default(); world.repos.len()];
        for (index, commit) in world.commits.iter().enumerate() {
            world.by_repo[commit.repo as usize].commits.push(index);
        }
        for (index, change) in world.changes.iter().enumerate() {
            world.by_repo[change.repo as usize].changes.push(index);
        }
        for (index, issue) in world.issues.iter().enumerate() {
            world.by_repo[issue.repo as usize].issues.push(index);
        }
        self.world
    }
}

/// A username from a name, in one of the styles people pick.
fn handle(rng: &mut ChaCha8Rng, first: &str, last: &str) -> String {
    let first = first.to_lowercase();
    let last = last.to_lowercase();
    match rng.random_range(0..4) {
        0 => format!("{first}{last}"),
        1 => format!("{first}-{last}"),
        2 => format!("{}{last}", &first[..1]),
        _ => format!("{first}{}", rng.random_range(1..99)),
    }
}

fn repo_name(rng: &mut ChaCha8Rng, forge: Forge) -> String {
    let word = REPO_WORDS.choose(rng).unwrap_or(&"repo");
    let suffix = REPO_SUFFIXES.choose(rng).unwrap_or(&"");
    match forge {
        // Gerrit projects are paths.
        Forge::Gerrit => format!("platform/{word}{suffix}"),
        _ => format!("{word}{suffix}"),
    }
}

fn forge_domain(forge: Forge) -> &'static str {
    match forge {
        Forge::GitHub => "github",
        Forge::GitLab => "gitlab",
        Forge::Bitbucket => "bitbucket",
        Forge::Gerrit => "gerrit",
        Forge::Phabricator => "phabricator",
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A Poisson-distributed count (Knuth's method; `mean` stays small here).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}
