#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, TimeZone, Timelike, Utc};
use sim::truth::{Kind, truth};
use sim::world::{Forge, Status, World, WorldConfig, generate};

fn config(seed: u64) -> WorldConfig {
    WorldConfig {
        seed,
        people: 60,
        repos: 40,
        years: 2,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    }
}

fn fingerprint(world: &World) -> String {
    serde_json::to_string(&(
        &world.accounts,
        &world.repos,
        &world.commits,
        &world.changes,
        &world.issues,
    ))
    .unwrap()
}

#[test]
fn the_same_config_gives_the_same_world() {
    assert_eq!(
        fingerprint(&generate(config(7))),
        fingerprint(&generate(config(7)))
    );
    assert_ne!(
        fingerprint(&generate(config(7))),
        fingerprint(&generate(config(8)))
    );
}

#[test]
fn the_world_has_every_kind_of_thing_people_do() {
    let world = generate(config(1));
    assert_eq!(world.people.len(), 60);
    assert!(!world.commits.is_empty());
    for forge in Forge::ALL {
        assert!(
            world.accounts.iter().any(|a| a.forge == forge),
            "no account on {forge:?}"
        );
    }
    for status in [
        Status::Open,
        Status::Merged,
        Status::Closed,
        Status::Abandoned,
    ] {
        assert!(
            world.changes.iter().any(|c| c.status == status),
            "no change is {status:?}"
        );
    }
    assert!(
        world
            .issues
            .iter()
            .any(|i| i.labels.iter().any(|l| l.contains("bug")))
    );
    assert!(world.issues.iter().any(|i| !i.comments.is_empty()));
    assert!(world.changes.iter().any(|c| !c.reviews.is_empty()));
    assert!(
        world.accounts.iter().any(|a| a.previous_username.is_some()) || world.accounts.len() < 40
    );
    assert!(world.people.iter().any(|p| p.accounts.len() > 1));
}

#[test]
fn activity_stays_inside_the_span_and_reaches_utc_midnight() {
    let config = config(3);
    let world = generate(config);
    let start = config.until - Duration::days(365 * 2);
    for commit in &world.commits {
        assert!(commit.authored_at >= start && commit.authored_at < config.until);
    }
    for change in &world.changes {
        assert!(
            change
                .closed_at
                .is_none_or(|at| at >= change.created_at && at < config.until)
        );
    }
    let near_midnight = world
        .commits
        .iter()
        .filter(|c| c.authored_at.hour() == 23 || c.authored_at.hour() == 0)
        .count();
    assert!(
        near_midnight > 0,
        "no activity near UTC midnight to test day boundaries with"
    );
    let offsets: HashSet<i32> = world.commits.iter().map(|c| c.utc_offset_minutes).collect();
    assert!(offsets.len() > 3, "commits come from several time zones");
}

#[test]
fn usernames_are_unique_per_forge_ignoring_case() {
    let world = generate(config(5));
    let mut seen = HashSet::new();
    for account in &world.accounts {
        assert!(seen.insert((account.forge, account.username.to_lowercase())));
    }
}

#[test]
fn truth_adds_up_and_respects_the_range() {
    let world = generate(config(11));
    let busiest = world
        .accounts
        .iter()
        .max_by_key(|a| world.commits.iter().filter(|c| c.author == a.id).count())
        .unwrap();
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let year = truth(&world, busiest.id, from, to);
    assert!(year.total > 0);
    assert_eq!(year.total, year.by_kind.values().sum::<u64>());
    assert_eq!(year.total, year.by_day.values().sum::<u64>());
    assert_eq!(year.total, year.by_repo.values().sum::<u64>());
    assert!(year.by_day.keys().all(|day| (from..=to).contains(day)));
    let commits = world
        .commits
        .iter()
        .filter(|c| c.author == busiest.id && (from..=to).contains(&c.authored_at.date_naive()))
        .count() as u64;
    assert_eq!(
        year.by_kind.get(&Kind::Commit).copied().unwrap_or(0),
        commits
    );

    // Two halves add up to the whole: no day is counted twice or lost at the seam.
    let june_30 = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let first = truth(&world, busiest.id, from, june_30);
    let second = truth(&world, busiest.id, june_30.succ_opt().unwrap(), to);
    assert_eq!(first.total + second.total, year.total);
}

#[test]
fn issues_and_pull_requests_share_one_number_sequence_in_opening_order() {
    let world = generate(config(13));
    let repo = world
        .repos
        .iter()
        .max_by_key(|r| world.issues.iter().filter(|i| i.repo == r.id).count())
        .unwrap();
    let mut opened: Vec<(chrono::DateTime<Utc>, u32)> = world
        .issues
        .iter()
        .filter(|i| i.repo == repo.id)
        .map(|i| (i.created_at, i.number))
        .chain(
            world
                .changes
                .iter()
                .filter(|c| c.repo == repo.id)
                .map(|c| (c.created_at, c.number)),
        )
        .collect();
    opened.sort();
    let numbers: Vec<u32> = opened.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        numbers,
        (1..=u32::try_from(numbers.len()).unwrap()).collect::<Vec<_>>()
    );
}

#[test]
fn nobody_reviews_their_own_change_or_works_across_forges() {
    let world = generate(config(12));
    for change in &world.changes {
        let forge = world.repo(change.repo).forge;
        for review in &change.reviews {
            assert_ne!(
                review.reviewer, change.author,
                "self-review on change {}",
                change.id
            );
            assert_eq!(world.account(review.reviewer).forge, forge);
        }
    }
}
