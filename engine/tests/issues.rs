//! Listing a repository's issues, whole or since a time, on the forges the
//! issue tracker reads, against the simulated world.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use chrono::{TimeZone, Utc};
use common::world;
use model::contribution::Status;
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};
use sim::world::World;

fn busiest_repo(world: &World, forge: Forge) -> &sim::world::Repo {
    world
        .repos
        .iter()
        .filter(|r| r.forge == forge && !r.deleted)
        .max_by_key(|r| world.issues_in(r.id).count())
        .unwrap()
}

#[tokio::test]
async fn bitbucket_issues_carry_kind_priority_and_component_as_labels() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let world = &simulator.world;
    let client = common::client(&simulator, Forge::Bitbucket);
    let repo = busiest_repo(world, Forge::Bitbucket);
    let name = world.full_name(repo);
    let issues = client.issues(&name, None).await.unwrap().items;
    assert_eq!(issues.len(), world.issues_in(repo.id).count());
    let open = world
        .issues_in(repo.id)
        .filter(|i| i.closed_at.is_none())
        .count();
    assert_eq!(
        issues.iter().filter(|i| i.status == Status::Open).count(),
        open
    );
    let bugs = world
        .issues_in(repo.id)
        .filter(|i| i.labels.iter().any(|l| sim::world::is_bug_label(l)))
        .count();
    assert_eq!(
        issues
            .iter()
            .filter(|i| i.labels.contains(&"bug".to_owned()))
            .count(),
        bugs
    );
    simulator.stop().await;
}

#[tokio::test]
async fn issues_list_whole_and_since_a_time() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let world = &simulator.world;
    let since = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    for forge in [Forge::GitHub, Forge::GitLab] {
        let client = common::client(&simulator, forge);
        let repo = busiest_repo(world, forge);
        let name = world.full_name(repo);
        let mut expected: Vec<(u64, Status, Vec<String>)> = world
            .issues_in(repo.id)
            .map(|i| {
                let status = if i.closed_at.is_some() {
                    Status::Closed
                } else {
                    Status::Open
                };
                (
                    u64::from(i.number),
                    status,
                    i.labels.iter().map(ToString::to_string).collect(),
                )
            })
            .collect();
        expected.sort_by_key(|e| e.0);
        assert!(
            expected.len() > 5,
            "{forge:?} needs a repository with issues"
        );
        let mut fetched: Vec<(u64, Status, Vec<String>)> = client
            .issues(&name, None)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| {
                assert!(i.url.starts_with("http"), "{}", i.url);
                (i.number, i.status, i.labels)
            })
            .collect();
        fetched.sort_by_key(|e| e.0);
        assert_eq!(fetched, expected, "{forge:?} {name}");

        let recent = client.issues(&name, Some(since)).await.unwrap().items;
        let expected_recent = world
            .issues_in(repo.id)
            .filter(|i| i.updated_at >= since)
            .count();
        assert_eq!(recent.len(), expected_recent, "{forge:?} since {since}");
        assert!(recent.iter().all(|i| i.updated_at >= since));

        let missing = client
            .issues("nobody/nothing-here", None)
            .await
            .unwrap_err();
        assert!(
            matches!(missing, engine::Error::NotFound { .. }),
            "{missing}"
        );
    }
    simulator.stop().await;
}
