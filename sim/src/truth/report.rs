//! Ground truth for repository reports: per account, what it did in one
//! repository over a range of days, and the sets behind each KPI, counted
//! straight from the generated world. Tests compute a report from these
//! sets and compare it with Tally's, exactly: integers equal, percentiles
//! and shares taken from the same sets.
//!
//! Rules (what Tally must reproduce), for `[from, to]` in UTC days:
//! - tallies: commits by their author on the day authored; issues
//!   (Phabricator tasks) opened; pull/merge requests, Gerrit changes and
//!   Differential revisions opened, and merged on their merge day; reviews
//!   on the day submitted; issue comments on the day written;
//! - bug and performance share: of the issues opened in the range, those
//!   whose labels as the forge shows them (Bitbucket: kind, priority and
//!   component) include a bug or a performance label; each issue once;
//! - time to close: for issues closed in the range, closing less opening;
//! - time to first response: for issues opened in the range, the first
//!   comment by anyone but the author; issues nobody answered are counted
//!   apart;
//! - open issues at the report's instant, with their ages;
//! - commits per author in the range (contributor concentration);
//! - contributors per month: anyone who did any of the above in the month,
//!   new when it is the first month they did anything in the repository.
//!
//! Gerrit has no issues: its reports have changes and reviews only.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::world::{Forge, Id, Issue, World, is_bug_label, is_performance_label};

/// What one account did in the repository over the range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PersonTruth {
    pub commits: u64,
    pub issues_opened: u64,
    pub pulls_opened: u64,
    pub pulls_merged: u64,
    pub reviews: u64,
    pub issue_comments: u64,
}

/// A calendar month, `(year, month)`.
pub type Month = (i32, u32);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportTruth {
    /// Per account id; accounts that did nothing in the range are absent.
    pub people: BTreeMap<Id, PersonTruth>,
    /// Issue numbers (Phabricator: `T` ids) opened in the range.
    pub opened: BTreeSet<u64>,
    /// Of those, the ones with a bug label; and with a performance label.
    pub bugs: BTreeSet<u64>,
    pub performance: BTreeSet<u64>,
    /// Seconds from opening to closing, per issue closed in the range.
    pub close_seconds: BTreeMap<u64, i64>,
    /// Seconds to the first answer by someone else, per issue opened in
    /// the range that has one.
    pub first_response_seconds: BTreeMap<u64, i64>,
    /// Issues opened in the range nobody else has answered.
    pub unanswered: BTreeSet<u64>,
    /// Issues open at the report's instant, with their age in seconds, and
    /// how many of them carry each label (as the forge shows labels).
    pub open_ages: BTreeMap<u64, i64>,
    pub open_labels: BTreeMap<String, u64>,
    /// Commits in the range per author.
    pub commits_by_author: BTreeMap<Id, u64>,
    /// Per month of the range: who was new, who came back, by the name the
    /// forge shows (all deleted GitHub accounts are one `ghost`).
    pub new_contributors: BTreeMap<Month, BTreeSet<String>>,
    pub returning_contributors: BTreeMap<Month, BTreeSet<String>>,
}

/// The labels of `issue` as its forge shows them: Bitbucket has none, and
/// shows the kind, the priority and the component instead.
pub fn visible_labels(world: &World, issue: &Issue) -> Vec<String> {
    if world.repo(issue.repo).forge == Forge::Bitbucket {
        use crate::bitbucket::shapes::{issue_component, issue_kind, issue_priority};
        [
            Some(issue_kind(issue)),
            Some(issue_priority(issue)),
            issue_component(issue),
        ]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect()
    } else {
        issue.labels.iter().map(|l| (*l).to_owned()).collect()
    }
}

/// How `id`'s forge names it as an author: GitHub and GitLab show every
/// deleted account as `ghost`; the others keep the username.
pub fn shown_author(world: &World, id: Id) -> String {
    let account = world.account(id);
    if account.deleted && matches!(account.forge, Forge::GitHub | Forge::GitLab) {
        "ghost".to_owned()
    } else {
        account.username.clone()
    }
}

/// How `id`'s forge names it as a commit's author: the account it links the
/// commit to (GitHub and Bitbucket link by email; GitLab's commits link to
/// none, and Tally finds the account by its email), and for a deleted
/// account, which nothing links to, the name git recorded.
pub fn shown_commit_author(world: &World, id: Id) -> String {
    let account = world.account(id);
    if account.deleted {
        account.display_name.clone()
    } else {
        account.username.clone()
    }
}

/// An issue's number as the tracker keys it: a Phabricator task's is its
/// `T` id, unique across the instance.
fn number(world: &World, issue: &Issue) -> u64 {
    if world.repo(issue.repo).forge == Forge::Phabricator {
        u64::from(issue.id)
    } else {
        u64::from(issue.number)
    }
}

fn person(people: &mut BTreeMap<Id, PersonTruth>, id: Id) -> &mut PersonTruth {
    people.entry(id).or_default()
}

fn month_of(at: DateTime<Utc>) -> Month {
    (at.year(), at.month())
}

/// The report truth for `repo` over `[from, to]`, the world as it stands
/// at `at` (nothing later has happened yet; open issues are aged at `at`).
pub fn report(
    world: &World,
    repo: Id,
    from: NaiveDate,
    to: NaiveDate,
    at: DateTime<Utc>,
) -> ReportTruth {
    let in_range = |t: DateTime<Utc>| t <= at && (from..=to).contains(&t.date_naive());
    let mut truth = ReportTruth::default();
    // Every dated act in the repository, for the contributors per month.
    let mut acts: Vec<(String, DateTime<Utc>)> = Vec::new();
    let shown = |id: Id| shown_author(world, id);

    // A commit shows once committed; it counts on the day it was authored.
    for commit in world.commits_in(repo).filter(|c| c.committed_at <= at) {
        acts.push((
            shown_commit_author(world, commit.author),
            commit.authored_at,
        ));
        if in_range(commit.authored_at) {
            person(&mut truth.people, commit.author).commits += 1;
            *truth.commits_by_author.entry(commit.author).or_default() += 1;
        }
    }
    for change in world.changes_in(repo).filter(|c| c.created_at <= at) {
        acts.push((shown(change.author), change.created_at));
        if in_range(change.created_at) {
            person(&mut truth.people, change.author).pulls_opened += 1;
        }
        if change.merged_at.is_some_and(in_range) {
            person(&mut truth.people, change.author).pulls_merged += 1;
        }
        for review in change.reviews.iter().filter(|r| r.submitted_at <= at) {
            acts.push((shown(review.reviewer), review.submitted_at));
            if in_range(review.submitted_at) {
                person(&mut truth.people, review.reviewer).reviews += 1;
            }
        }
    }
    let has_issues = world.repo(repo).forge != Forge::Gerrit;
    for issue in world.issues_as_of(repo, at).filter(|_| has_issues) {
        let issue = issue.as_ref();
        let n = number(world, issue);
        acts.push((shown(issue.author), issue.created_at));
        for comment in &issue.comments {
            acts.push((shown(comment.author), comment.created_at));
            if in_range(comment.created_at) {
                person(&mut truth.people, comment.author).issue_comments += 1;
            }
        }
        if in_range(issue.created_at) {
            person(&mut truth.people, issue.author).issues_opened += 1;
            truth.opened.insert(n);
            let labels = visible_labels(world, issue);
            let has = |matches: fn(&str) -> bool| labels.iter().any(|l| matches(l));
            if has(is_bug_label) {
                truth.bugs.insert(n);
            }
            if has(is_performance_label) {
                truth.performance.insert(n);
            }
            let first_answer = issue
                .comments
                .iter()
                .filter(|c| c.author != issue.author)
                .map(|c| c.created_at)
                .min();
            match first_answer {
                Some(answered) => {
                    let seconds = (answered - issue.created_at).num_seconds();
                    truth.first_response_seconds.insert(n, seconds);
                }
                None => {
                    truth.unanswered.insert(n);
                }
            }
        }
        if let Some(closed) = issue.closed_at.filter(|c| in_range(*c)) {
            truth
                .close_seconds
                .insert(n, (closed - issue.created_at).num_seconds());
        }
        if issue.created_at <= at && issue.closed_at.is_none_or(|c| c > at) {
            truth
                .open_ages
                .insert(n, (at - issue.created_at).num_seconds());
            let labels: BTreeSet<String> = visible_labels(world, issue).into_iter().collect();
            for label in labels {
                *truth.open_labels.entry(label).or_default() += 1;
            }
        }
    }

    let mut first_month: BTreeMap<String, Month> = BTreeMap::new();
    for (who, when) in &acts {
        let month = month_of(*when);
        first_month
            .entry(who.clone())
            .and_modify(|m| *m = (*m).min(month))
            .or_insert(month);
    }
    for (who, when) in acts.iter().filter(|(_, when)| in_range(*when)) {
        let month = month_of(*when);
        let list = if first_month[who] == month {
            &mut truth.new_contributors
        } else {
            &mut truth.returning_contributors
        };
        list.entry(month).or_default().insert(who.clone());
    }
    truth
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{WorldConfig, generate};
    use chrono::TimeZone;

    fn world() -> World {
        generate(WorldConfig {
            seed: 17,
            people: 40,
            repos: 20,
            years: 2,
            until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        })
    }

    #[test]
    fn the_sets_agree_with_the_tallies_and_with_each_other() {
        let world = world();
        let from = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let mut busy = 0;
        for repo in world.repos.iter().filter(|r| !r.deleted) {
            let truth = report(&world, repo.id, from, to, at);
            let sum = |f: fn(&PersonTruth) -> u64| truth.people.values().map(f).sum::<u64>();
            assert_eq!(sum(|p| p.issues_opened), truth.opened.len() as u64);
            assert_eq!(
                sum(|p| p.commits),
                truth.commits_by_author.values().sum::<u64>()
            );
            assert!(truth.bugs.is_subset(&truth.opened));
            assert!(truth.performance.is_subset(&truth.opened));
            let answered: BTreeSet<u64> = truth.first_response_seconds.keys().copied().collect();
            assert!(answered.is_disjoint(&truth.unanswered));
            assert_eq!(
                answered
                    .union(&truth.unanswered)
                    .copied()
                    .collect::<BTreeSet<_>>(),
                truth.opened,
                "every issue opened is answered or not"
            );
            assert!(truth.close_seconds.values().all(|s| *s >= 0));
            for (month, new) in &truth.new_contributors {
                let back = truth
                    .returning_contributors
                    .get(month)
                    .cloned()
                    .unwrap_or_default();
                assert!(new.is_disjoint(&back), "{month:?}");
            }
            if repo.forge == Forge::Gerrit {
                assert!(truth.opened.is_empty(), "Gerrit has no issues");
            }
            busy += usize::from(!truth.opened.is_empty() && !truth.commits_by_author.is_empty());
        }
        assert!(
            busy > 0,
            "the world has repositories with issues and commits in range"
        );
    }

    #[test]
    fn bitbucket_shows_bugs_by_kind_and_other_labels_by_component() {
        let world = world();
        let issue = world
            .issues
            .iter()
            .find(|i| world.repo(i.repo).forge == Forge::Bitbucket && !i.labels.is_empty())
            .expect("a Bitbucket issue with labels");
        let shown = visible_labels(&world, issue);
        let bug = issue.labels.iter().any(|l| is_bug_label(l));
        assert_eq!(shown[0] == "bug", bug, "{shown:?} for {:?}", issue.labels);
    }
}
