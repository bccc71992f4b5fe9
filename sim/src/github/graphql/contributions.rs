//! What GitHub's `contributionsCollection` counts for a user over a window:
//! commits they authored (per repository and UTC day), issues and pull
//! requests they opened, reviews they submitted, repositories they created.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::world::{ChangeRequest, Forge, Id, Issue, Owner, Repo, Review, World};

pub struct Contributions<'w> {
    world: &'w World,
    pub account: Id,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Per repository, commits per UTC day.
    pub commits: BTreeMap<Id, BTreeMap<NaiveDate, u32>>,
    pub issues: Vec<&'w Issue>,
    pub pulls: Vec<&'w ChangeRequest>,
    pub reviews: Vec<(&'w ChangeRequest, &'w Review)>,
    pub repositories: Vec<&'w Repo>,
}

impl<'w> Contributions<'w> {
    pub fn collect(world: &'w World, account: Id, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let within = |at: DateTime<Utc>| at >= from && at <= to;
        let on_github = |repo: Id| world.repo(repo).forge == Forge::GitHub;
        let mut commits: BTreeMap<Id, BTreeMap<NaiveDate, u32>> = BTreeMap::new();
        for commit in world
            .commits
            .iter()
            .filter(|c| c.author == account && within(c.authored_at))
        {
            *commits
                .entry(commit.repo)
                .or_default()
                .entry(commit.authored_at.date_naive())
                .or_default() += 1;
        }
        let changes = world.changes.iter().filter(|c| on_github(c.repo));
        let mut reviews = Vec::new();
        let mut pulls = Vec::new();
        for change in changes {
            if change.author == account && within(change.created_at) {
                pulls.push(change);
            }
            for review in &change.reviews {
                if review.reviewer == account && within(review.submitted_at) {
                    reviews.push((change, review));
                }
            }
        }
        Self {
            world,
            account,
            from,
            to,
            commits,
            issues: world
                .issues
                .iter()
                .filter(|i| i.author == account && on_github(i.repo) && within(i.created_at))
                .collect(),
            pulls,
            reviews,
            repositories: world
                .repos
                .iter()
                .filter(|r| {
                    r.owner == Owner::Account(account) && !r.deleted && within(r.created_at)
                })
                .collect(),
        }
    }

    /// A repository of the world this collection was counted from.
    pub fn repo_ref(&self, id: Id) -> Option<&'w Repo> {
        self.world.repos.get(id as usize)
    }

    pub fn commit_total(&self) -> u32 {
        self.commits.values().flat_map(|days| days.values()).sum()
    }

    /// Counts per UTC day of everything the calendar shows.
    pub fn per_day(&self) -> BTreeMap<NaiveDate, u32> {
        let mut days: BTreeMap<NaiveDate, u32> = BTreeMap::new();
        for repo in self.commits.values() {
            for (day, n) in repo {
                *days.entry(*day).or_default() += n;
            }
        }
        let others = self
            .issues
            .iter()
            .map(|i| i.created_at)
            .chain(self.pulls.iter().map(|p| p.created_at))
            .chain(self.reviews.iter().map(|(_, r)| r.submitted_at));
        for at in others {
            *days.entry(at.date_naive()).or_default() += 1;
        }
        days
    }

    /// The calendar: every day of the window in weeks that start on Sunday.
    pub fn calendar(&self) -> Calendar {
        let counts = self.per_day();
        let mut nonzero: Vec<u32> = counts.values().copied().filter(|n| *n > 0).collect();
        nonzero.sort_unstable();
        let quartile = |q: usize| {
            nonzero
                .get((nonzero.len() * q / 4).min(nonzero.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        let bounds = [quartile(1), quartile(2), quartile(3)];
        let mut weeks: Vec<Week> = Vec::new();
        let mut day = self.from.date_naive();
        while day <= self.to.date_naive() {
            let count = counts.get(&day).copied().unwrap_or(0);
            let level = match count {
                0 => 0,
                n if n <= bounds[0] => 1,
                n if n <= bounds[1] => 2,
                n if n <= bounds[2] => 3,
                _ => 4,
            };
            let weekday = day.weekday().num_days_from_sunday();
            if weekday == 0 || weeks.is_empty() {
                weeks.push(Week {
                    first_day: day,
                    days: Vec::new(),
                });
            }
            if let Some(week) = weeks.last_mut() {
                week.days.push(Day {
                    date: day,
                    count,
                    level,
                    weekday,
                });
            }
            day += Duration::days(1);
        }
        Calendar {
            total: counts.values().sum(),
            weeks,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub total: u32,
    pub weeks: Vec<Week>,
}

#[derive(Debug, Clone)]
pub struct Week {
    pub first_day: NaiveDate,
    pub days: Vec<Day>,
}

#[derive(Debug, Clone, Copy)]
pub struct Day {
    pub date: NaiveDate,
    pub count: u32,
    /// 0 (none) to 4 (fourth quartile).
    pub level: u8,
    pub weekday: u32,
}

pub const LEVELS: [(&str, &str); 5] = [
    ("NONE", "#ebedf0"),
    ("FIRST_QUARTILE", "#9be9a8"),
    ("SECOND_QUARTILE", "#40c463"),
    ("THIRD_QUARTILE", "#30a14e"),
    ("FOURTH_QUARTILE", "#216e39"),
];
