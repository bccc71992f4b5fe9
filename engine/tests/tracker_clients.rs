//! The forge clients' tracker calls on all five forges, against the
//! simulator's truth: a repository's items whole and since a time (with
//! the world moving between the two), their comments, a repository's
//! description, and a repository that is not there.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use engine::forge::Client;
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::Issue;
use sim::server::{SimConfig, Simulator};
use sim::truth::IssueTruth;
use sim::world::World;

fn busiest_repo(world: &World, forge: Forge) -> String {
    let repo = world
        .repos
        .iter()
        .filter(|r| r.forge == forge && !r.deleted)
        .max_by_key(|r| world.issues_in(r.id).count() + world.changes_in(r.id).count())
        .unwrap();
    world.full_name(repo)
}

/// What the tracker shows of an item, to compare with the truth. Forges
/// that do not count comments on the item count the listed comments.
async fn seen(client: &Client, name: &str, issue: &Issue) -> IssueTruth {
    let comments = match issue.forge {
        Forge::Bitbucket | Forge::Phabricator => {
            client.comments(name, issue.number).await.unwrap().len() as u64
        }
        _ => issue.comments,
    };
    let mut assignees = issue.assignees.clone();
    assignees.sort();
    IssueTruth {
        number: issue.number,
        title: issue.title.clone(),
        open: issue.status == Status::Open,
        author: issue.author.clone().unwrap(),
        labels: Vec::new(),
        assignees,
        comments,
        updated_at: issue.updated_at,
    }
}

/// The truth as each forge can show it: Bitbucket and Phabricator have one
/// assignee (the first), labels are compared separately.
fn comparable(forge: Forge, truth: &IssueTruth) -> IssueTruth {
    let mut assignees = truth.assignees.clone();
    if matches!(forge, Forge::Bitbucket | Forge::Phabricator) {
        assignees.truncate(1);
    }
    assignees.sort();
    IssueTruth {
        labels: Vec::new(),
        assignees,
        ..truth.clone()
    }
}

#[tokio::test]
async fn every_forge_lists_a_repositorys_items_as_the_world_holds_them() {
    let simulator = Simulator::start(common::world(1), SimConfig::default())
        .await
        .unwrap();
    let world = &simulator.world;
    for forge in Forge::ALL {
        let client = common::client(&simulator, forge);
        let name = busiest_repo(world, forge);
        let expected = simulator.issue_truth(forge, &name).unwrap();
        assert!(expected.len() > 5, "{forge:?} {name} needs items");
        let list = client.issues(&name, None).await.unwrap();
        assert!(list.started.is_some(), "{forge:?}: the forge's clock");
        assert_eq!(list.items.len(), expected.len(), "{forge:?} {name}");
        for (issue, truth) in list.items.iter().zip(&expected) {
            assert_eq!(
                seen(&client, &name, issue).await,
                comparable(forge, truth),
                "{forge:?} {name}"
            );
            assert!(issue.url.starts_with("http"), "{}", issue.url);
            if matches!(forge, Forge::GitHub | Forge::GitLab | Forge::Phabricator) {
                let mut labels = issue.labels.clone();
                labels.sort();
                let mut wanted = truth.labels.clone();
                wanted.sort();
                assert_eq!(labels, wanted, "{forge:?} #{}", issue.number);
            }
        }
        // Comments carry their authors and text, oldest first.
        let commented = list.items.iter().find(|i| {
            expected
                .iter()
                .any(|t| t.number == i.number && t.comments > 1)
        });
        if let Some(issue) = commented {
            let comments = client.comments(&name, issue.number).await.unwrap();
            assert!(
                comments
                    .iter()
                    .all(|c| c.author.is_some() && !c.body.is_empty())
            );
            assert!(
                comments
                    .windows(2)
                    .all(|w| w[0].created_at <= w[1].created_at)
            );
        }
        let info = client.repository(&name).await.unwrap();
        assert_eq!(info.path, name, "{forge:?}");
        assert!(!info.private);
        let missing = client.repository("nobody-here/at-all").await.unwrap_err();
        assert!(
            matches!(missing, engine::Error::NotFound { .. }),
            "{forge:?}: {missing}"
        );
        assert!(
            missing.to_string().contains("nobody-here/at-all"),
            "{missing}"
        );
    }
    simulator.stop().await;
}

/// A sync takes what changed since the forge's clock at the last listing:
/// with the world moved on in between, the old list updated by the new one
/// is the truth, on every forge whose items the clock moves.
#[tokio::test]
async fn items_since_the_last_listing_bring_the_list_up_to_date() {
    let simulator = Simulator::start(common::world(1), SimConfig::default())
        .await
        .unwrap();
    let world = &simulator.world;
    for forge in [
        Forge::GitHub,
        Forge::GitLab,
        Forge::Bitbucket,
        Forge::Phabricator,
    ] {
        let client = common::client(&simulator, forge);
        let name = busiest_repo(world, forge);
        let repo = world.find_repo(forge, &name).unwrap();
        let issues: Vec<_> = world.issues_in(repo.id).collect();
        let then = issues[issues.len() * 2 / 3].created_at;
        simulator.set_clock(forge, Some(then));
        let first = client.issues(&name, None).await.unwrap();
        assert_eq!(
            first.started,
            Some(then),
            "{forge:?}: the forge's clock is the simulator's"
        );
        let later = then + Duration::days(45);
        simulator.set_clock(forge, Some(later));
        let since = first.started.unwrap() - Duration::minutes(2);
        let delta = client.issues(&name, Some(since)).await.unwrap();
        assert!(
            delta.items.len() < issues.len(),
            "{forge:?}: only what changed"
        );
        assert!(delta.items.iter().all(|i| i.updated_at >= since));
        let mut merged: BTreeMap<u64, Issue> =
            first.items.into_iter().map(|i| (i.number, i)).collect();
        merged.extend(delta.items.into_iter().map(|i| (i.number, i)));
        let expected = simulator.issue_truth(forge, &name).unwrap();
        assert_eq!(merged.len(), expected.len(), "{forge:?}");
        for (issue, truth) in merged.values().zip(&expected) {
            assert_eq!(
                seen(&client, &name, issue).await,
                comparable(forge, truth),
                "{forge:?} {name}"
            );
        }
        simulator.set_clock(forge, None);
    }
    simulator.stop().await;
}
